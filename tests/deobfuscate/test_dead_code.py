"""dead_code: branches behind constant tests go; branches on run-time values stay."""

from skimscan.analyze.deobfuscate import constant_folding, dead_code
from tests.deobfuscate.helpers import clean, flat


def test_opaque_predicates_keep_only_the_branch_that_runs() -> None:
    code = "if ('xk' === 'xq') { junk(); } else { real(); } v = false ? a : b;"
    assert flat(clean(code, constant_folding, dead_code)) == "real(); v = b;"


def test_run_time_conditions_stay() -> None:
    code = "if (location.pathname === '/checkout') { go(); } while (ok) { step(); }"
    out = flat(clean(code, constant_folding, dead_code))
    assert "if (location.pathname" in out and "while (ok)" in out
