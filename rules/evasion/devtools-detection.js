// Tests for devtools-detection: debugger statements and outer/inner window size comparisons.

setInterval(function () {
  var t = Date.now();
  // ruleid: devtools-detection
  debugger;
  if (Date.now() - t > 100) { window.__open = true; }
}, 1000);

// ruleid: devtools-detection
var widthGap = window.outerWidth - window.innerWidth > 160;

// ruleid: devtools-detection
var heightGap = window.outerHeight - window.innerHeight > 160;

// ok: devtools-detection
var contentWidth = window.innerWidth - scrollbarWidth;

// ok: devtools-detection
if (window.innerWidth < 768) { document.body.classList.add('mobile'); }

// ok: devtools-detection
console.log('debugger attached? use the console to inspect state');

// ok: devtools-detection
var elapsed = performance.now() - start;
