"""The tree-sitter front end changes nothing a user sees: on every fixture and every real npm
bundle, analysis with tree-sitter and with esprima2 (the reference) gives the same verdict and
the same findings — rule, severity, confidence, place and message.

The node-by-node comparison of the trees themselves is tests/test_treesitter.py; this is the
end-to-end half of the differential test. Known builds are off (every file is analysed). On the
npm corpus the trees are compared node by node (test_treesitter.py, `corpus`): identical trees
give identical analyses, and a second, verdict-level pass over the 5 MB (about two minutes of
CPU) would not fit the suite's budget; `_differences(corpus files)` runs it by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from skimscan.analyze.parse import ParseLimits
from skimscan.pipeline import Engine, EngineOptions, scan_files

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(ROOT / "tools"))


#: Every script and page fixture that is analysed statically (the eval set included).
FILES = sorted(p for folder in ("scripts", "html", "obfuscated", "detonate", "eval", "demo",
                                "docs")
               for p in (FIXTURES / folder).rglob("*")
               if p.suffix in (".js", ".html") and p.is_file())


def _engine(parser: str) -> Engine:
    return Engine(EngineOptions(use_disk_cache=False, jobs=1, known_builds=False,
                                limits=ParseLimits(parser=parser)))


def _outcome(report: Any) -> dict[str, Any]:
    """What a user reads of each target, keyed by its file name."""
    out: dict[str, Any] = {}
    for t in report.targets:
        out[t.target] = (
            t.verdict.value,
            sorted((f.rule, int(f.severity), int(f.confidence), f.script,
                    f.location.line if f.location else None,
                    f.location.column if f.location else None, f.message)
                   for f in t.findings),
            [(s.id, s.parsed) for s in t.scripts],
        )
    return out


def _differences(files: list[Path], *, again: bool = True) -> list[str]:
    """Files whose outcome differs between the parsers. Deobfuscation has wall-clock budgets
    (an isolate's evaluations, the passes' rounds), which a loaded machine can exhaust in one
    run and not the other: a difference counts only when it shows again in a second, fresh run
    of the files that differed."""
    ts = _outcome(scan_files(files, engine=_engine("tree-sitter")))
    ref = _outcome(scan_files(files, engine=_engine("esprima")))
    differing = [f for f in files if ts.get(str(f)) != ref.get(str(f))]
    if differing and again:
        return _differences(differing, again=False)
    problems = []
    for name in sorted(ref):
        if ts.get(name) != ref[name]:
            ours, theirs = ts.get(name), ref[name]
            if ours is None:
                problems.append(f"{name}: missing with tree-sitter")
                continue
            gone = sorted(set(map(str, theirs[1])) - set(map(str, ours[1])))
            new = sorted(set(map(str, ours[1])) - set(map(str, theirs[1])))
            problems.append(f"{name}: esprima {theirs[0]}, tree-sitter {ours[0]}; "
                            f"only with esprima: {gone[:3]}; only with tree-sitter: {new[:3]}; "
                            f"scripts {theirs[2]} vs {ours[2]}")
    return problems


def test_there_are_fixtures_to_compare() -> None:
    assert len(FILES) >= 250


def test_fixtures_same_findings_with_either_parser() -> None:
    assert _differences(FILES) == []
