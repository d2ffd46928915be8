// Tests for card-form-mutation-watch: a MutationObserver in a script that also reads card
// fields. The finding is reported on the observer. Sections are separate scripts.

// Skimmer waiting for a single-page checkout to render the card form.
// ruleid: card-form-mutation-watch
var watcher = new MutationObserver(function () {
  var field = document.querySelector('#cc_number');
  if (field && !field.dataset.hooked) {
    field.dataset.hooked = '1';
  }
});
watcher.observe(document.body, { childList: true, subtree: true });

// ---
// Card reads first, observer later, through `window.` and an arrow callback.
function grab() {
  return document.getElementById('cardNumber').value + '|' +
         document.getElementsByName('cc_cvv')[0].value;
}
// ruleid: card-form-mutation-watch
var mo = new window.MutationObserver(() => grab());
mo.observe(document.documentElement, { childList: true, subtree: true });

// ---
// Lazy-image loader: an observer, no card fields.
// ok: card-form-mutation-watch
var lazy = new MutationObserver(function (records) {
  records.forEach(function (r) {
    r.addedNodes.forEach(function (n) {
      if (n.tagName === 'IMG' && n.dataset.src) { n.src = n.dataset.src; }
    });
  });
});
lazy.observe(document.body, { childList: true, subtree: true });

// ---
// Card formatter without an observer: reads the card field on input.
// ok: card-form-mutation-watch
var input = document.querySelector('[autocomplete="cc-number"]');
input.addEventListener('input', function () {
  input.value = input.value.replace(/\D/g, '').replace(/(\d{4})(?=\d)/g, '$1 ');
});
