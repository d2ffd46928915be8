// Tests for card-data-to-session-replay: card data reaching a session replay, chat or
// error-tracking vendor. Findings are reported on the sink. Sections are separate scripts.

// A replay recorder that does not mask the card field.
var events = [];
document.getElementById('cc-number').addEventListener('input', function (e) {
  events.push({ t: Date.now(), v: e.target.value });
});
setInterval(function () {
  // ruleid: card-data-to-session-replay
  navigator.sendBeacon('https://in.hotjar.com/api/v2/client/sites/123/visit-data', JSON.stringify(events));
}, 5000);

// ---
// Error report carrying the card form state to Sentry.
function report(err, state) {
  // ruleid: card-data-to-session-replay
  fetch('https://o123.ingest.sentry.io/api/456/store/', { method: 'POST',
    body: JSON.stringify({ message: err.message, extra: state }) });
}
try { window.submitPayment(); } catch (err) {
  report(err, { number: document.querySelector('#card-number').value });
}

// ---
// Chat widget given the card number as "conversation context" over XHR.
var x = new XMLHttpRequest();
x.open('POST', 'https://api-iam.intercom.io/messenger/web/metrics');
// ruleid: card-data-to-session-replay
x.send(JSON.stringify({ context: { cvv: document.getElementById('cvv').value } }));

// ---
// A replay recorder that masks inputs: it sends mouse movement only.
var moves = [];
document.addEventListener('mousemove', function (e) { moves.push([e.clientX, e.clientY]); });
setInterval(function () {
  // ok: card-data-to-session-replay
  navigator.sendBeacon('https://in.hotjar.com/api/v2/client/sites/123/visit-data', JSON.stringify(moves));
}, 5000);

// ---
// An error report without any card data.
window.addEventListener('error', function (e) {
  // ok: card-data-to-session-replay
  fetch('https://o123.ingest.sentry.io/api/456/store/', { method: 'POST',
    body: JSON.stringify({ message: e.message, url: location.href }) });
});

// ---
// Card data to the merchant's own backend (relative).
var pan = document.getElementById('card-number').value;
// ok: card-data-to-session-replay
fetch('/api/payments', { method: 'POST', body: JSON.stringify({ pan: pan }) });
