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
