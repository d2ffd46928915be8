"""Hostile input, size: a 5 MB script does not take the machine's memory.

A fresh process (so that the peak is this script's alone) parses, then analyses, 5 MB of real
npm bundles concatenated into one script; both stay under 500 MB. Parsing: tree-sitter's tree
and the ESTree made from it are never alive together in full (big function bodies are parsed
one at a time once the whole tree is gone) and py-tree-sitter's node wrappers are let go
statement by statement (the parse peak was 753 MB). The analysis holds the ESTree throughout,
and its nodes keep their fields in slots (`estree`): the tree is ~160 MB of objects instead of
~280, and the full analysis peaks at ~470 MB (it was 955, then 545).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import corpus  # noqa: E402

PEAK = """
import sys
from skimscan.analyze.parse import ParseLimits, parse, run_deep
from skimscan.pipeline import Engine, EngineOptions, analyze_source
code = open(sys.argv[1], encoding="utf-8").read()
if sys.argv[2] == "full":
    report = analyze_source(code, engine=Engine(EngineOptions(use_disk_cache=False,
                                                              known_builds=False)))
    print(report.verdict.value)
else:
    result = run_deep(lambda: parse(code, ParseLimits()))
    print("parsed" if result.tree is not None and not result.dropped else result.error)
# this process's own peak (VmHWM): ru_maxrss carries the parent's peak over exec, and a test
# worker that ran other tests may well have passed 500 MB
print(next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM:")) // 1024)
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        files = sorted(corpus.corpus_files(ROOT))
    except corpus.CorpusNotFetchedError as exc:
        pytest.skip(str(exc))
    parts: list[str] = []
    total = 0
    for path in files:
        if total >= 5_000_000:
            break
        text = path.read_text(encoding="utf-8", errors="replace")
        parts.append(text)
        total += len(text)
    assert total >= 5_000_000, "the corpus is smaller than the bundle this test needs"
    out = tmp_path_factory.mktemp("memory") / "bundle.js"
    out.write_text(";\n".join(parts), encoding="utf-8")
    return out


def peak_mb(bundle: Path, what: str) -> tuple[str, int]:
    done = subprocess.run([sys.executable, "-c", PEAK, str(bundle), what], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    outcome, peak = done.stdout.split()[-2:]
    return outcome, int(peak)


@pytest.mark.corpus
def test_parsing_a_5_mb_script_stays_under_500_mb(bundle: Path) -> None:
    outcome, peak = peak_mb(bundle, "parse")
    assert outcome == "parsed"
    assert peak <= 500, f"peak RSS {peak} MB"


@pytest.mark.corpus
def test_analysing_a_5_mb_script_stays_under_500_mb(bundle: Path) -> None:
    outcome, peak = peak_mb(bundle, "full")
    assert outcome in ("clean", "suspicious", "malicious")
    assert peak <= 500, f"peak RSS {peak} MB"
