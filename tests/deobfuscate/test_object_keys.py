"""object_keys: an object built key by key becomes one literal."""

from skimscan.analyze.deobfuscate import object_keys
from tests.deobfuscate.helpers import clean, flat


def test_assignments_after_the_literal_move_into_it() -> None:
    code = ("var o = {a: 1}; o['host'] = 'x.example'; function h() {} o.path = '/g'; send(o);")
    out = flat(clean(code, object_keys))
    assert 'var o = {a: 1, host: "x.example", path: "/g"};' in out
    assert "o.path =" not in out and "function h()" in out


def test_assignments_that_read_the_object_or_repeat_a_key_stay() -> None:
    code = "var o = {}; o.a = 1; o.b = o.a + 1; var p = {k: 1}; p.k = 2;"
    out = flat(clean(code, object_keys))
    assert "var o = {a: 1};" in out and "o.b = o.a + 1;" in out and "p.k = 2;" in out


def test_a_literal_built_under_a_temporary_name_moves_to_the_name_it_is_handed_to() -> None:
    """What transformObjectKeys writes: the object is built under a temporary, then handed on."""
    code = ("var _0x1f = {}; _0x1f['cc_number'] = ''; _0x1f.cc_cvv = ''; function h() {}\n"
            "var fields = _0x1f; Object.keys(fields).forEach(h);")
    out = flat(clean(code, object_keys))
    assert 'var fields = {cc_number: "", cc_cvv: ""};' in out and "_0x1f" not in out


def test_a_temporary_read_elsewhere_or_written_again_is_not_handed_over() -> None:
    for code in ("var t = {a: 1}; var x = t; t.b = 2;",  # read after the hand-over
                 "var t = {a: 1}; var x = t; t = null;",  # written again
                 "var t = {a: 1}; f(); var x = t;"):  # something runs in between
        out = flat(clean(code, object_keys))
        assert "var t = {a: 1};" in out and "var x = t;" in out, code
