// Tests for self-removing-script: a script that removes its own <script> element.

// ruleid: self-removing-script
document.currentScript.remove();

// ruleid: self-removing-script
document.currentScript.parentNode.removeChild(document.currentScript);

// ok: self-removing-script
document.querySelector('.cookie-banner').remove();

var list = document.getElementById('mini-cart');
// ok: self-removing-script
list.removeChild(list.firstChild);

// ok: self-removing-script
var src = document.currentScript && document.currentScript.src;
