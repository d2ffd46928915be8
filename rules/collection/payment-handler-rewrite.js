// Tests for payment-handler-rewrite: onclick/onsubmit/onmouseup/... assigned on a pay button,
// a form or a card field.

// ruleid: payment-handler-rewrite
document.getElementById('place-order').onclick = function () { return true; };

// ruleid: payment-handler-rewrite
document.querySelector('#co-payment-form').onsubmit = function () { return validate(); };

// ruleid: payment-handler-rewrite
document.getElementById('cc_number').onmouseup = function () { window.__n = this.value; };

// ruleid: payment-handler-rewrite
document.querySelector('button.checkout-submit').ontouchend = function () { return true; };

// ok: payment-handler-rewrite
window.onload = function () { document.body.classList.add('ready'); };

// ok: payment-handler-rewrite
document.getElementById('newsletter-close').onclick = function () { this.parentNode.hidden = true; };

// ok: payment-handler-rewrite
document.getElementById('hero-image').onerror = function () { this.src = '/img/fallback.png'; };

// ok: payment-handler-rewrite
document.querySelector('#cc_number').onfocus = function () { this.select(); };
