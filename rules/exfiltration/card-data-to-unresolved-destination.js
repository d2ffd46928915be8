// Tests for card-data-to-unresolved-destination: card data reaching a sink whose destination
// is computed at run time. Findings are reported on the sink. Sections are separate scripts.

var num = document.querySelector('#cc_number').value;
// ruleid: card-data-to-unresolved-destination
fetch(window.checkoutConfig.apiBase + '/tokens', { method: 'POST', body: JSON.stringify({ n: num }) });

// ---
// The endpoint is a function parameter that no call site resolves.
function post(endpoint, body) {
  var x = new XMLHttpRequest();
  x.open('POST', endpoint);
  // ruleid: card-data-to-unresolved-destination
  x.send(body);
}
post(document.body.dataset.endpoint, btoa(document.getElementById('card-number').value));

// ---
// jQuery.ajax with the URL read from the DOM.
var cvv = jQuery('#cc_cvv').val();
// ruleid: card-data-to-unresolved-destination
jQuery.ajax({ url: jQuery('#payment-form').attr('data-action'), type: 'POST', data: { cvv: cvv } });

// ---
// Card data to a relative URL: known to be the site.
var pan = document.getElementById('card-number').value;
// ok: card-data-to-unresolved-destination
fetch('/checkout/payment', { method: 'POST', body: JSON.stringify({ pan: pan }) });

// ---
// Card data to Stripe: known to be a processor.
var n2 = document.getElementById('cardnumber').value;
// ok: card-data-to-unresolved-destination
fetch('https://api.stripe.com/v1/tokens', { method: 'POST', body: 'card[number]=' + n2 });

// ---
// A run-time destination, but no card data: an order-status poll.
// ok: card-data-to-unresolved-destination
fetch(window.checkoutConfig.apiBase + '/orders/' + window.orderId + '/status');
