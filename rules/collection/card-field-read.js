// Tests for card-field-read: card fields selected by selector, id, name, autocomplete
// token or form property; ordinary fields and Bootstrap `.card` components are not.

// ruleid: card-field-read
var ccNumber = document.querySelector('input[name="payment[cc_number]"]').value;

// ruleid: card-field-read
var cvv = document.getElementById('cvv').value;

// ruleid: card-field-read
var expiry = jQuery('[autocomplete="cc-exp"]').val();

// ruleid: card-field-read
var holder = checkoutForm.cardholder.value;

var numberSelector = '#card-number';
// ruleid: card-field-read
var numberField = document.querySelector(numberSelector);

// ok: card-field-read
var panel = document.querySelector('.card .card-body');

// ok: card-field-read
var email = document.getElementById('email').value;

// ok: card-field-read
var discard = document.getElementById('discard-changes');

// ok: card-field-read
var postcode = document.querySelector('#billing-postcode').value;
