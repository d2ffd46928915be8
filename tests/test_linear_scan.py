"""String and template literals scanned in linear time (issue 13, item 14): the replacement
scanner gives exactly esprima's own tokens and trees — values, octal flags, line bookkeeping,
ranges, errors — on every kind of literal and on every fixture script, and parse time grows
linearly with a literal's length (esprima's own scanner: quadratically; 2 MB took 50 s)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import esprima
import pytest
from esprima.scanner import Scanner

from skimscan.analyze import linear_scan
from skimscan.analyze.parse import ParseLimits, parse

ROOT = Path(__file__).resolve().parents[1]
LITERALS = [
    r'"plain"', r"'single'", r'"a\x41\u0042\u{1F600}c"', r'"\101\0\7\08"', r'"\8\9"',
    r'"tab\tnl\nret\rb\bf\fv\v"', '"line\\\ncontinued"', '"crlf\\\r\ncontinued"',
    '"para\\\u2028sep"', r'"quote \" and \\ backslash"', r"'it\'s'", r'"\q unknown escape"',
    "`plain template`", "`a${1}b${`nested ${2}`}c`", "`multi\nline\r\nand\u2028`",
    r"`esc \x41 \u0042 \u{43} \n \` \$ $notexpr \0`", r"`\u{` + 1", "`line\\\ncont`",
    "'" + "long " * 2000 + "'", '"ünïcödé ✓ 𝄞"',
]
BROKEN = ['"unterminated', '"new\nline"', r'"\x4"', r'"\u00G0"', "`open", r"`\01`",
          r"`\1`", r'"\u{110000}"']


@contextmanager
def scanner(which: str) -> Iterator[None]:
    linear_scan.install()
    chosen = (linear_scan.original if which == "esprima" else
              {"scanStringLiteral": linear_scan.scan_string_literal,
               "scanTemplate": linear_scan.scan_template})
    before = {name: getattr(Scanner, name) for name in chosen}
    for name, fn in chosen.items():
        setattr(Scanner, name, fn)
    try:
        yield
    finally:
        for name, fn in before.items():
            setattr(Scanner, name, fn)


def both(fn: Any, code: str) -> tuple[Any, Any]:
    out = []
    for which in ("esprima", "linear"):
        with scanner(which):
            try:
                out.append(fn(code))
            except esprima.Error as exc:
                out.append(("error", str(exc)))
    return out[0], out[1]


def tokens(code: str) -> Any:
    return [t.toDict() for t in esprima.tokenize(code, {"range": True, "loc": True})]


def tree(code: str) -> Any:
    return esprima.parseScript(code, {"range": True, "loc": True, "tolerant": True}).toDict()


@pytest.mark.parametrize("literal", LITERALS + BROKEN)
def test_every_kind_of_literal_gives_esprimas_own_tokens_and_tree(literal: str) -> None:
    code = f"var x = {literal};\nvar after = 1;"
    old, new = both(tokens, code)
    assert new == old
    old, new = both(tree, code)
    assert new == old


def test_every_fixture_script_parses_to_the_same_tree() -> None:
    files = sorted((ROOT / "fixtures").glob("**/*.js"))
    assert len(files) > 100
    for path in files:
        code = path.read_text(errors="replace")
        if len(code) > 300_000:
            continue
        old, new = both(tree, code)
        assert new == old, path


def test_parse_time_grows_linearly_with_the_literal() -> None:
    """A ratio measured in one run (not a time limit): four times the literal takes about
    four times as long; esprima's own scanner took sixteen (2 MB: 50 s). CPU time of this
    process, not the wall clock: a busy machine (a parallel suite, a browser) stretched the
    larger run's wall time past the ratio."""
    def seconds(repeat: int) -> float:
        code = 'var payload = "' + "ab\\x41" * repeat + '";'
        started = time.process_time()
        assert parse(code, ParseLimits()).error is None
        return time.process_time() - started

    seconds(20_000)  # warm up
    small = min(seconds(60_000) for _ in range(3))
    large = min(seconds(240_000) for _ in range(3))  # 1.4 MB
    assert large / small < 9, (small, large)
