"""A broken statement does not hide the code around it: the tree-sitter front end leaves the
statement out, analyses the rest, and says so (`partially-parsed-script`); the esprima
reference can only give up on the whole script (`unparsed-script`)."""

from __future__ import annotations

from pathlib import Path

from skimscan.analyze.parse import ParseLimits
from skimscan.models import Verdict
from skimscan.pipeline import Engine, EngineOptions, analyze_source

SKIMMER = (Path(__file__).resolve().parents[1] / "fixtures" / "scripts" / "malicious"
           / "ba_modernizr_appended.js").read_text()
BROKEN = "var = ;\n"  # a line no parser accepts


def _report(code: str, parser: str):  # type: ignore[no-untyped-def]
    engine = Engine(EngineOptions(use_disk_cache=False, jobs=1,
                                  limits=ParseLimits(parser=parser)))
    return analyze_source(code, engine=engine, site="https://www.shop.example/checkout")


def test_skimmer_after_a_broken_line_is_still_caught() -> None:
    report = _report(BROKEN + SKIMMER, "tree-sitter")
    assert report.verdict is Verdict.MALICIOUS
    partial = [f for f in report.findings if f.rule == "partially-parsed-script"]
    assert len(partial) == 1 and "line 1" in partial[0].message
    assert partial[0].evidence["count"] == 1
    assert "analysis-gap" in partial[0].tags
    assert not any(f.rule == "unparsed-script" for f in report.findings)


def test_the_reference_parser_gives_up_on_the_whole_script() -> None:
    report = _report(BROKEN + SKIMMER, "esprima")
    assert any(f.rule == "unparsed-script" for f in report.findings)
    assert not any(f.rule == "partially-parsed-script" for f in report.findings)


def test_a_script_that_parses_has_no_partial_finding() -> None:
    report = _report(SKIMMER, "tree-sitter")
    assert report.verdict is Verdict.MALICIOUS
    assert not any(f.rule == "partially-parsed-script" for f in report.findings)
