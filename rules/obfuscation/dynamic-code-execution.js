// Tests for dynamic-code-execution: eval, new Function and string timers on code that is not
// a decoded constant.

var xhr = new XMLHttpRequest();
xhr.onload = function () {
  // ruleid: dynamic-code-execution
  eval(xhr.responseText);
};

// ruleid: dynamic-code-execution
var render = new Function('data', window.templateSource);

// ruleid: dynamic-code-execution
window.execScript ? window.execScript(window.__code) : window.eval(window.__code);

// ruleid: dynamic-code-execution
setTimeout(`checkout_${window.step}()`, 100);

// ok: dynamic-code-execution
var parsed = JSON.parse(xhr.responseText);

// ok: dynamic-code-execution
setTimeout(function () { document.body.classList.add('loaded'); }, 100);

// ok: dynamic-code-execution
setInterval(refreshCart, 30000);

// ok: dynamic-code-execution
var evaluated = window.mathjs.evaluate('2 + 3');
