// Tests for automation-detection: navigator.webdriver, headless user agents, automation
// globals, WebGL renderer checks.

// ruleid: automation-detection
if (navigator.webdriver) { throw new Error('stop'); }

// ruleid: automation-detection
var headless = /HeadlessChrome/.test(navigator.userAgent);

// ruleid: automation-detection
var phantom = 'callPhantom' in window || '_phantom' in window;

var gl = document.createElement('canvas').getContext('webgl');
// ruleid: automation-detection
var dbg = gl.getExtension('WEBGL_debug_renderer_info');
var renderer = gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL);
// ruleid: automation-detection
if (/SwiftShader|llvmpipe/i.test(renderer)) { window.__skip = true; }

// ok: automation-detection
var isMobile = /Mobi|Android/i.test(navigator.userAgent);

// ok: automation-detection
var lang = navigator.language || navigator.userLanguage;

// ok: automation-detection
var isChrome = navigator.userAgent.indexOf('Chrome') !== -1 && !!window.chrome;

// ok: automation-detection
var touch = 'ontouchstart' in window || navigator.maxTouchPoints > 0;
