"""sequences: comma chains in statement position become statements."""

from skimscan.analyze.deobfuscate import sequences
from tests.deobfuscate.helpers import rewrite


def test_statement_chains_are_split() -> None:
    out = rewrite("a(), b = 1, c(); var x = 1, y = 2;", sequences)
    assert dict(out.techniques)["sequences"] == 2


def test_sequences_inside_expressions_stay() -> None:
    out = rewrite("f((a(), b)); for (i = 0, j = 1; i < j; i++, j--) {}", sequences)
    assert "sequences" not in dict(out.techniques)
