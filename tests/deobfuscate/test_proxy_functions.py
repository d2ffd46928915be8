"""proxy_functions: one-line wrappers and aliases are inlined, chained ones too."""

from skimscan.analyze.deobfuscate import constant_folding, proxy_functions
from tests.deobfuscate.helpers import clean, flat


def test_operator_and_call_proxies_are_inlined() -> None:
    code = ("function _p(a, b) { return a + b; } function _c(f, x) { return f(x); }"
            "r = _c(send, _p(u, '?d=1'));")
    assert 'r = send(u + "?d=1");' in flat(clean(code, proxy_functions))


def test_chained_wrappers_with_offsets_unwind_to_the_decoder_call() -> None:
    code = ("function dec(i, k) { var t = table(); return t[i] + k; }"
            "function w1(a, b, c) { return dec(c - 10, a); }"
            "function w2(x, y) { return w1(y, 'f' - 1, x + 3); }"
            "v = w2(7, 'key');")
    out = flat(clean(code, proxy_functions, constant_folding))
    assert 'v = dec(0, "key");' in out


def test_aliases_of_functions_are_followed() -> None:
    code = ("function dec(i) { var t = table(); return t[i]; }"
            "const d1 = dec; const d2 = d1; z = d2(5);")
    assert "z = dec(5);" in flat(clean(code, proxy_functions))


def test_functions_with_side_effects_or_reused_arguments_are_not_inlined() -> None:
    code = ("function twice(a) { return a + a; } function body(a) { log(a); return a; }"
            "var r = twice(next()); var s = body(1); function p(a) { return a; } p = other;"
            "var t = p(2);")
    out = flat(clean(code, proxy_functions))
    assert "twice(next())" in out and "body(1)" in out and "p(2)" in out


def test_arguments_nobody_passed_are_dropped_from_the_inlined_call() -> None:
    """`f(a, b)` inlined with only `a` passed calls `send(a)`, not `send(a, undefined)`: the
    stand-in for a missing parameter is marked on the node and dropped at the end."""
    out = flat(clean("function _q(f, a, b) { return f(a, b); } _q(send, u);", proxy_functions))
    assert out.endswith("send(u);")
