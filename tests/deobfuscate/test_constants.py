"""constants: names that always hold one constant are replaced by it."""

from skimscan.analyze.deobfuscate import constants
from tests.deobfuscate.helpers import clean, flat


def test_keys_payloads_and_window_aliases_are_propagated() -> None:
    code = ("(function (w, d) { var k = 'key-1', blob = 'QUJD'; run(k, w.atob(blob));"
            " d.title = k; })(window, document);")
    out = flat(clean(code, constants))
    assert 'run("key-1", window.atob("QUJD"));' in out and 'document.title = "key-1";' in out


def test_a_library_passed_into_an_iife_is_named_again() -> None:
    code = ("(function (_0x4e, w) { _0x4e.getJSON('https://x.example/j', {d: 1}); })"
            "(jQuery, window);")
    assert 'jQuery.getJSON("https://x.example/j"' in flat(clean(code, constants))


def test_local_names_of_globals_are_named_again() -> None:
    code = "var q = window.jQuery, d = window.document; q.post(d.title); var w = window; w.x(1);"
    out = flat(clean(code, constants))
    assert "jQuery.post(document.title);" in out and "window.x(1);" in out


def test_jquery_hands_itself_to_ready_handlers() -> None:
    code = ("jQuery(function (_0x44) { _0x44.post('https://x.example/p', {}); });"
            "jQuery(document).ready(function (q) { q.ajax({}); });")
    out = flat(clean(code, constants))
    assert 'jQuery.post("https://x.example/p"' in out and "jQuery.ajax({})" in out


def test_jquery_read_through_the_global_object_hands_itself_too() -> None:
    code = ("window.jQuery(function (_0x1f) { _0x1f.ajax({}); });"
            "self.$(document).ready(function (q) { q.post('https://x.example/p'); });")
    out = flat(clean(code, constants))
    assert "jQuery.ajax({})" in out and 'jQuery.post("https://x.example/p")' in out


def test_a_ready_handler_of_something_else_keeps_its_parameter() -> None:
    code = ("window.onReady(function (q) { q.ajax({}); });"
            "var jQuery = make(); jQuery(function (r) { r.post('/p'); });")
    out = flat(clean(code, constants))
    assert "q.ajax({})" in out and 'r.post("/p")' in out


def test_a_helper_called_once_sees_its_argument() -> None:
    code = "function run(code) { var s = make(); s.text = code; } run('alert(1)');"
    assert 's.text = "alert(1)";' in flat(clean(code, constants))


def test_written_shadowed_or_long_and_shared_values_stay() -> None:
    long = "x" * 300
    code = (f"var a = 1; a = 2; use(a); var b = '{long}'; use(b); use(b);"
            "var window = {}; (function (w) { use(w); })(window);"
            "(function (p) { p = 3; use(p); })(1); var o = {k: 1}; use(o);")
    out = flat(clean(code, constants))
    assert "use(a)" in out and out.count("use(b)") == 2 and "use(w)" in out and \
        "use(p)" in out and "use(o)" in out
