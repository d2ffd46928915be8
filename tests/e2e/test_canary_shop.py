"""The canary end to end (issue 4): every compromised checkout page of the fixture shop is
confirmed by the canary card leaving it (script, host, encoding, request), clean pages never are,
and the quarantine keeps the card inside the browser — proven by a separate local drop host that
counts what it receives."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from fixtures.shop import Shop
from fixtures.shop.server import ATTACKER_HOSTS, MERCHANT, PROCESSOR_HOSTS
from fixtures.shop.sink import Sink
from skimscan.analyze.canary import find_canary
from skimscan.capture.hostmap import HostMap
from skimscan.capture.page import BrowserSession
from skimscan.models import (
    Canary,
    Confidence,
    Finding,
    Report,
    Severity,
    TargetReport,
    Verdict,
)
from skimscan.pipeline import Engine, EngineOptions
from skimscan.policy.policy import SitePolicy
from skimscan.scanner import analyze_capture

from .conftest import PAGES, CheckoutScan

# One worker runs the module: its shop scan (a module fixture, ~2 min) is made once, not once
# per xdist worker.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("canary-shop")]
in_module_loop = pytest.mark.asyncio(loop_scope="module")
PAN_LIKE = re.compile(r"(?<!\d)(411111|424242)\d{10}(?!\d)")


def target(report: Report, path: str) -> TargetReport:
    return next(t for t in report.targets if t.target.endswith(path))


def canary_findings(t: TargetReport, rule: str = "canary-exfiltration") -> list[Finding]:
    return [f for f in t.findings if f.rule == rule]


# ----------------------------------------------------------------------------- every page


def test_no_checkout_page_let_the_card_reach_a_host_of_the_shop_server(
        checkout_scan: CheckoutScan) -> None:
    """From the server's own log: the simulated attackers, vendors and CDNs of the fixture shop
    received traffic during the scans, and never one of the typed cards, in any encoding."""
    log = checkout_scan.shop_log
    untrusted = [r for r in log if r.host not in (MERCHANT, *PROCESSOR_HOSTS)]
    assert {r.host for r in untrusted} & set(ATTACKER_HOSTS)  # they were reachable
    report = checkout_scan.report
    typed = {t.target: checkout_scan.canaries[t.target] for t in report.targets
             if t.page.get("canary")}
    assert len(typed) >= 15  # the canaries the scan says it typed are the seeded ones:
    assert all(t.page["canary"]["pan"] == typed[t.target].masked_pan
               for t in report.targets if t.target in typed)
    leaked = [(r.host, r.method, r.path_qs[:80]) for r in untrusted
              for canary in checkout_scan.canaries.values()
              if find_canary(canary, r.path_qs) or find_canary(canary, r.body)]
    assert leaked == []



@pytest.mark.parametrize("page", PAGES, ids=[p["path"] for p in PAGES])
def test_checkout_page_canary(page: dict[str, Any], checkout_report: Report) -> None:
    t = target(checkout_report, page["path"])
    assert t.error is None
    scripts = {s.id: s for s in t.scripts}
    found = canary_findings(t)
    if page["expected"] == "clean":
        assert not [f for f in t.findings if f.rule.startswith("canary-")], [
            f.message for f in found]
        assert t.verdict is not Verdict.MALICIOUS
        untrusted = [r for r in t.requests if r.carries_canary and
                     not r.host_class.is_trusted_for_card_data]
        assert untrusted == []
        return
    assert found, [f.rule for f in t.findings]
    named = [f for f in found if f.evidence["host"] == page["drop_host"]]
    assert named, [(f.evidence["host"], f.script) for f in found]
    f = named[0]
    script = scripts[f.script or ""]
    assert script.url == page["exfil_script"], (script.url, f.message)
    assert any(page["encoding"] in e for e in f.evidence["encodings"]), f.evidence["encodings"]
    request = f.evidence["request"]
    assert request["method"] in ("GET", "POST") and page["drop_host"] in request["url"]
    assert f.evidence["quarantined"] is True  # answered locally: it never left the browser
    for text in (f.message, request["url"], request["excerpt"], str(f.evidence)):
        assert not PAN_LIKE.search(text), text  # the card number is masked everywhere
    assert "******" in request["excerpt"]
    assert any(r.carries_canary and r.host == page["drop_host"] for r in t.requests)
    if page.get("leak"):  # session replay: a high finding that is not a skimmer
        assert (f.severity, f.confidence) == (Severity.HIGH, Confidence.HIGH)
        assert "data-leak" in f.tags and t.verdict is Verdict.SUSPICIOUS
        assert page["expected"] == "suspicious"
        return
    assert (f.severity, f.confidence) == (Severity.CRITICAL, Confidence.HIGH)
    assert t.verdict is Verdict.MALICIOUS
    assert script.verdict is Verdict.MALICIOUS
    if page.get("sent_on"):  # store now, send later: seen on the visit the scan came back for
        assert f.evidence.get("sent_on") == page["sent_on"], f.message
        assert f.evidence.get("stored_by"), f.evidence
        assert len([s for s in t.scripts if s.url == page["exfil_script"]]) == 1  # one script
    if page.get("fake_form"):  # the card form itself was the kit's, and says who drew it
        [drawn] = [x for x in t.findings if x.rule == "injected-card-form"]
        assert drawn.script == f.script and drawn.evidence["typed"] is True


def test_the_shopper_typed_in_every_frame_and_held_the_payment(checkout_report: Report) -> None:
    clean = target(checkout_report, "/checkout/clean")  # card fields in the processor's iframe
    steps = clean.page["interaction"]
    assert any("card number" in s and "js.stripe.com" in s for s in steps), steps
    assert any(s.startswith("pressed the pay button") for s in steps)
    assert clean.page["canary"]["pan"].count("*") == 6
    ba = target(checkout_report, "/checkout/ba")
    assert any("held the pay submission" in s and "/api/pay" in s for s in ba.page["interaction"])
    behaviour = ba.page["behaviour"]
    skimmer = next(s.id for s in ba.scripts if s.url and s.url.endswith("modernizr-2.6.2.min.js"))
    assert "listens mouseup on #pay" in behaviour[skimmer]
    assert "reads #cc_number (value)" in behaviour[skimmer]
    boxes = {b["selector"]: b for b in ba.page["card_field_boxes"]}  # marked on the screenshot
    assert {"#cc_number", "#cc_exp", "#cc_cid"} <= set(boxes)
    assert all(b["width"] > 0 and b["height"] > 0 for b in boxes.values())
    [f] = canary_findings(ba)
    assert f.evidence["triggers"] == ["mouseup on #pay", "touchend on #pay"]
    assert set(f.evidence["fields"]) >= {"cvv", "expiry", "name"}


# ----------------------------------------------------------------------------- quarantine


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sink_session(shop: Shop, sink: Sink) -> AsyncIterator[BrowserSession]:
    host_map = HostMap.parse([*sink.map_host_specs(), *shop.map_host_specs()], confine=True)
    async with BrowserSession(host_map=host_map) as session:
        yield session


def carries(canary: Canary, text: str | bytes) -> bool:
    return bool(find_canary(canary, text))


@in_module_loop
async def test_quarantine_keeps_the_canary_in_the_browser(
    sink_session: BrowserSession, sink: Sink, shop: Shop
) -> None:
    before_sink, before_shop = len(sink.log), len(shop.log)
    canary = Canary.generate()
    cap = await sink_session.capture(shop.url("/lab/sink"), timeout=15, wait=1.5,
                                     ignore_https_errors=True, shop=True, canary=canary)
    received = sink.log[before_sink:]
    typed_at = cap.canary_typed_at
    assert typed_at is not None and cap.canary == canary
    # The drop host got the page's load-time traffic (so it was reachable) ...
    assert {"WS-OPEN", "WS", "GET"} <= {r.method for r in received if r.at < typed_at}
    # ... and, once the card was being typed, nothing at all; never the card.
    assert [r.text for r in received if r.at >= typed_at] == []
    assert not [r.text for r in received if carries(canary, r.text)]
    # The page's own host still got its requests, the pay submission never.
    own = [r.path_qs for r in shop.log[before_shop:]]
    assert "/lab/sink" in own and "/lab/echo?phase=typed" in own
    assert not [r for r in shop.log[before_shop:] if r.path_qs.startswith("/api/pay")]
    # Everything was recorded, answered locally, with its initiating script.
    sink_js = next(s.id for s in cap.scripts if s.url and s.url.endswith("/static/lab/sink.js"))
    out = [r for r in cap.requests if r.host == "sink.test"
           and (carries(canary, r.url) or (r.body is not None and carries(canary, r.body)))]
    # (an iframe navigation replaced at once by the form posted into it never gets that far)
    assert all(r.quarantined or r.status is None for r in out)
    kinds = {r.resource_type for r in out}
    assert {"fetch", "xhr", "ping", "image", "script", "document", "eventsource"} <= kinds, kinds
    assert all(r.script == sink_js for r in out if r.resource_type in ("fetch", "xhr", "ping"))
    frames = [m for m in cap.websocket_messages if carries(canary, m.payload)]
    assert frames and all(m.quarantined and m.script == sink_js for m in frames)
    local = [r for r in cap.requests if r.resource_type == "websocket" and r.quarantined]
    assert local and all(r.host == "sink.test" for r in local)
    held = [r for r in cap.requests if r.url.endswith("/api/pay")]
    assert held and all(r.quarantined for r in held)

    report = analyze_capture(cap, Engine(EngineOptions(use_disk_cache=False, jobs=1)),
                             SitePolicy())
    found = [f for f in report.findings if f.rule == "canary-exfiltration"]
    assert {f.evidence["host"] for f in found} == {"sink.test"}
    [f] = [f for f in found if f.script == sink_js]
    assert f.evidence["quarantined"] is True and f.evidence["requests"] >= 10
    assert report.verdict is Verdict.MALICIOUS


@in_module_loop
async def test_live_mode_lets_the_canary_out_but_never_the_payment(
    sink_session: BrowserSession, sink: Sink, shop: Shop
) -> None:
    """The positive control: the same page with the quarantine lifted does reach the sink, so
    the test above would have seen a leak."""
    before_sink, before_shop = len(sink.log), len(shop.log)
    canary = Canary.generate()
    cap = await sink_session.capture(shop.url("/lab/sink"), timeout=15, wait=1.5,
                                     ignore_https_errors=True, shop=True, canary=canary,
                                     live=True)
    received = sink.log[before_sink:]
    assert [r for r in received if carries(canary, r.text)]
    assert {r.method for r in received if carries(canary, r.text)} >= {"POST", "GET", "WS"}
    assert not [r for r in shop.log[before_shop:] if r.path_qs.startswith("/api/pay")]
    assert any("live mode" in s for s in cap.interaction)


@in_module_loop
async def test_the_plaintext_of_each_cipher_kits_use_is_recorded(session: BrowserSession,
                                                                 shop: Shop) -> None:
    """WebCrypto, CryptoJS and JSEncrypt: where a kit encrypts, the instrumentation records the
    plaintext (in memory only), so the card is found although no request shows it."""
    ciphers: set[str] = set()
    for page in ("/checkout/encrypted", "/checkout/encrypted-libs"):
        canary = Canary.generate()
        cap = await session.capture(shop.url(page), timeout=15, wait=1.0,
                                    ignore_https_errors=True, shop=True, canary=canary)
        ciphers |= {e.detail["cipher"] for e in cap.instrumentation
                    if e.detail.get("sink") == "encrypt" and e.data and carries(canary, e.data)}
    assert ciphers == {"WebCrypto AES-GCM", "CryptoJS", "JSEncrypt (RSA)"}
