// Tests for card-data-to-any-window: card data posted with target origin '*' or one computed
// at run time, from a script that is not a processor's. Sections are separate scripts.

var card = { n: document.querySelector('#cc_number').value };
// ruleid: card-data-to-any-window
window.top.postMessage(JSON.stringify(card), '*');

// ---
// Target origin taken from configuration.
function relay(msg) {
  // ruleid: card-data-to-any-window
  parent.postMessage(msg, window.__relayOrigin);
}
relay({ number: document.getElementById('cardnumber').value });

// ---
// No card data: a resize message.
// ok: card-data-to-any-window
parent.postMessage({ type: 'resize', height: document.body.scrollHeight }, '*');

// ---
// Card data, but to a fixed processor origin.
var field = document.getElementById('card-number');
// ok: card-data-to-any-window
window.parent.frames[0].postMessage({ type: 'tokenize', value: field.value }, 'https://js.stripe.com');
