// Tests for hidden-untrusted-url: a URL to an unknown or look-alike host recovered by folding
// base64, char codes, reversal, XOR or a string table (not by plain concatenation).

// ruleid: hidden-untrusted-url
var gate = atob('aHR0cHM6Ly9jZG4tYW5hbHl0aWNzLW1ldHJpY3MudG9wL2MuanM=');

// ruleid: hidden-untrusted-url
var cdn = String.fromCharCode(104,116,116,112,115,58,47,47,106,115,100,101,108,108,118,114,46,99,111,109,47,110,112,109,47,108,46,106,115);

// ruleid: hidden-untrusted-url
var drop = 'sj.x/zyx.etagyap-eruces//:sptth'.split('').reverse().join('');

function unmask(s, k) {
  var out = '';
  for (var i = 0; i < s.length; i++) { out += String.fromCharCode(s.charCodeAt(i) ^ k); }
  return out;
}
// ruleid: hidden-untrusted-url
var beacon = unmask('\x22\x3e\x3e\x3a\x39\x70\x65\x65\x27\x2f\x3e\x38\x23\x29\x39\x67\x29\x2e\x24\x67\x39\x3e\x2b\x3e\x23\x29\x64\x3e\x25\x3a\x65\x25\x64\x20\x39', 74);

// ok: hidden-untrusted-url
var plain = 'https://cdn-analytics-metrics.top/plain.js';

// ok: hidden-untrusted-url
var joined = 'https://' + 'cdn.shop-assets.example.net' + '/app.js';

// ok: hidden-untrusted-url
var ga = atob('aHR0cHM6Ly93d3cuZ29vZ2xlLWFuYWx5dGljcy5jb20vYW5hbHl0aWNzLmpz');

// ok: hidden-untrusted-url
var settings = JSON.parse(atob('eyJ0aGVtZSI6ImRhcmsiLCJsb2NhbGUiOiJlbi1HQiJ9'));
