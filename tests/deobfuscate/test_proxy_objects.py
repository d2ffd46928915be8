"""proxy_objects: read-only tables of constants and one-line functions are inlined."""

from skimscan.analyze.deobfuscate import proxy_objects
from tests.deobfuscate.helpers import clean, flat


def test_table_entries_replace_their_uses_through_aliases() -> None:
    code = ("const T = {'aBc': 'ajax', 'dEf': function (a, b) { return a(b); },"
            " 'gHi': function (a, b) { return a === b; }};"
            "const U = T; U['dEf']($[T['aBc']], cfg); if (T.gHi(x, 1)) {}")
    out = flat(clean(code, proxy_objects))
    assert "$.ajax(cfg);" in out and "if (x === 1)" in out


def test_tables_that_are_written_or_escape_are_left_alone() -> None:
    code = ("const A = {k: 'v'}; A.k = 'w'; use(A.k);"
            "const B = {k: 'v'}; register(B); use(B.k);")
    out = flat(clean(code, proxy_objects))
    assert "use(A.k)" in out and "use(B.k)" in out
