"""control_flow: dispatcher loops become straight code in the encoded order."""

from skimscan.analyze.deobfuscate import builtin_calls, constant_folding, control_flow
from tests.deobfuscate.helpers import clean, flat


def test_dispatcher_is_unflattened_in_order() -> None:
    code = ("function go() { var o = '2|0|1'.split('|'), i = 0; while (!![]) {"
            " switch (o[i++]) { case '0': b(); continue; case '1': c(); continue;"
            " case '2': a(); continue; } break; } }")
    out = flat(clean(code, builtin_calls, constant_folding, control_flow))
    assert out == "function go() { a(); b(); c(); }"


def test_loops_that_jump_out_or_reuse_the_counter_stay() -> None:
    code = ("var o = ['0', '1'], i = 0; while (true) { switch (o[i++]) {"
            " case '0': if (x) break; continue; case '1': y(); continue; } break; }"
            "var p = ['0'], j = 0; log(j); while (true) { switch (p[j++]) {"
            " case '0': z(); continue; } break; }")
    out = flat(clean(code, control_flow))
    assert out.count("switch") == 2
