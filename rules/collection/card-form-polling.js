// Tests for card-form-polling: setInterval in a script that reads card fields. The finding is
// reported on the setInterval call. Sections are separate scripts.

// Ticketmaster-style re-arming poll every 30 ms.
// ruleid: card-form-polling
var timer = setInterval(function () {
  var num = document.querySelector('input[name="cardnumber"]');
  if (num && num.value.length >= 15) {
    clearInterval(timer);
  }
}, 30);

// ---
// Polling through `window.` with an arrow function and a helper that reads the CVV.
function cvvReady() {
  return !!document.getElementById('security_code');
}
// ruleid: card-form-polling
window.setInterval(() => { if (cvvReady()) { document.body.dataset.ready = '1'; } }, 500);

// ---
// Card formatter that debounces with setTimeout, not setInterval.
var field = document.getElementById('cc-number');
var pending;
field.addEventListener('keyup', function () {
  clearTimeout(pending);
  // ok: card-form-polling
  pending = setTimeout(function () { field.value = field.value.trim(); }, 150);
});

// ---
// A carousel that rotates every 5 s: setInterval, no card fields.
var slides = document.querySelectorAll('.hero-slide');
var current = 0;
// ok: card-form-polling
setInterval(function () {
  slides[current].classList.remove('active');
  current = (current + 1) % slides.length;
  slides[current].classList.add('active');
}, 5000);
