// Tests for form-field-sweep: every input/select/textarea selected, form.elements or
// document.forms walked, or a whole form serialised.

// ruleid: form-field-sweep
var fields = document.querySelectorAll('input, select, textarea');

// ruleid: form-field-sweep
var pairs = jQuery('#checkout').serializeArray();

var form = document.getElementById('co-payment-form');
// ruleid: form-field-sweep
var data = new FormData(form);

// ruleid: form-field-sweep
for (var i = 0; i < document.forms.length; i++) { console.log(document.forms[i].id); }

// ruleid: form-field-sweep
var inputs = document.getElementsByTagName('input');

// ok: form-field-sweep
var tiles = document.querySelectorAll('.product-tile');

// ok: form-field-sweep
var images = document.getElementsByTagName('img');

// ok: form-field-sweep
var headings = document.querySelectorAll('h1, h2, .section-title');
