"""call_forms: bound and comma-expression calls become direct calls."""

from skimscan.analyze.deobfuscate import call_forms
from tests.deobfuscate.helpers import clean, flat


def test_bound_and_comma_calls_become_direct() -> None:
    code = ("window.fetch.bind(window)(url, opts); send.bind(xhr, 'x')(body);"
            "(0, helper.post)(data);")
    out = flat(clean(code, call_forms))
    assert "window.fetch(url, opts);" in out and 'send.call(xhr, "x", body);' in out \
        and "helper.post(data);" in out


def test_other_calls_stay() -> None:
    code = "f.bind(o); g(a)(b); (a, b)(c);"
    assert flat(clean(code, call_forms)) == "f.bind(o); g(a)(b); (a, b)(c);"
