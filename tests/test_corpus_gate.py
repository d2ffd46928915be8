"""The real-world benign gate: no shipped rule may call a real npm bundle malicious."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from skimscan.models import Confidence, Severity, Verdict
from skimscan.pipeline import Engine, EngineOptions, scan_files

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import corpus  # noqa: E402

# one analysis of the corpus, on one worker
pytestmark = [pytest.mark.corpus, pytest.mark.xdist_group("corpus-gate")]


@pytest.fixture(scope="module")
def corpus_report():  # type: ignore[no-untyped-def]
    try:
        files = corpus.corpus_files(ROOT)
    except corpus.CorpusError as exc:
        pytest.fail(f"corpus not fetched ({exc}); run `make corpus`")
    # Known builds off: the corpus is made of published npm builds, and this gate is about
    # what the analysis says of them.
    engine = Engine(EngineOptions(use_disk_cache=False, known_builds=False))
    return files, scan_files(files, engine=engine)


def test_every_bundle_was_analysed(corpus_report) -> None:  # type: ignore[no-untyped-def]
    files, report = corpus_report
    assert len(report.targets) == len(files) >= 30
    errors = [(t.target, t.error) for t in report.targets if t.verdict is Verdict.ERROR]
    assert errors == []
    unparsed = [t.target for t in report.targets
                if any(f.rule == "unparsed-script" for f in t.findings)]
    assert unparsed == []


def test_no_real_bundle_is_malicious(corpus_report) -> None:  # type: ignore[no-untyped-def]
    _, report = corpus_report
    blocking = [
        (Path(t.target).name, f.rule, f.message)
        for t in report.targets for f in t.findings
        if f.severity >= Severity.HIGH and f.confidence >= Confidence.MEDIUM
    ]
    assert blocking == []
    assert report.count(Verdict.MALICIOUS) == 0
