// Tests for eval-of-decoded-code: eval, new Function or a string timer running a string that
// had to be decoded (base64, char codes, reversal).

// ruleid: eval-of-decoded-code
eval(atob('d2luZG93Ll9fc3RhZ2UgPSAyOyBjb25zb2xlLmxvZygicmVhZHkiKTs='));

// ruleid: eval-of-decoded-code
new Function(String.fromCharCode(119,105,110,100,111,119,46,95,95,115,116,97,103,101,32,61,32,52,59))();

var stage3 = ';3 = egats__.wodniw'.split('').reverse().join('');
// ruleid: eval-of-decoded-code
setTimeout(stage3, 10);

// ok: eval-of-decoded-code
var x = new XMLHttpRequest(); x.onload = function () { eval(x.responseText); };

// ok: eval-of-decoded-code
var legacy = eval('(' + window.serverJson + ')');

// ok: eval-of-decoded-code
setTimeout(function () { window.__stage = 5; }, 10);

// ok: eval-of-decoded-code
var decoded = atob('d2luZG93Ll9fc3RhZ2UgPSAyOyBjb25zb2xlLmxvZygicmVhZHkiKTs=');
