// Tests for card-data-staged-in-storage: card or form data written to localStorage,
// sessionStorage or a cookie. Sections are separate scripts.

var n1 = document.querySelector('#cc_number').value;
// ruleid: card-data-staged-in-storage
localStorage.setItem('_gat_cache', btoa(n1));

var stage = { cvv: document.getElementById('cvv').value };
// ruleid: card-data-staged-in-storage
document.cookie = '_ga_sess=' + encodeURIComponent(JSON.stringify(stage)) + '; path=/; max-age=86400';

// ruleid: card-data-staged-in-storage
sessionStorage.checkoutData = jQuery('#co-payment-form').serialize();

function keep(value) {
  // ruleid: card-data-staged-in-storage
  localStorage['x_' + Date.now()] = value;
}
keep(document.querySelector('[autocomplete="cc-exp"]').value);

// ---
// Ordinary checkout state in storage; the card field is only formatted, never stored.
var cardField = document.getElementById('card-number');
cardField.addEventListener('input', function () {
  cardField.value = cardField.value.replace(/\D/g, '').replace(/(\d{4})(?=\d)/g, '$1 ');
});

// ok: card-data-staged-in-storage
localStorage.setItem('cart', JSON.stringify(window.cartItems));

// ok: card-data-staged-in-storage
document.cookie = 'cookie_consent=accepted; path=/; max-age=31536000';

// ok: card-data-staged-in-storage
sessionStorage.setItem('checkoutStep', 'payment');

// ok: card-data-staged-in-storage
localStorage.setItem('preferredShipping', document.getElementById('shipping-method').value);
