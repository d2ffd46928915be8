"""From a capture to canary findings (no browser): the severity mapping, the session-replay
exception to the verdict rule, redaction, WebSocket frames, frames, storage and gate notes."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse

import pytest

from skimscan.models import (
    Canary,
    Confidence,
    Finding,
    HostClass,
    InstrumentEvent,
    PageCapture,
    RequestRecord,
    ScriptKind,
    ScriptSource,
    Severity,
    Verdict,
    WebSocketMessage,
)
from skimscan.pipeline import Engine, EngineOptions
from skimscan.policy.policy import SitePolicy
from skimscan.scanner import (
    analyze_capture,
    canary_findings,
    classifier_for,
    gate_notes,
    page_verdict,
    redact_url,
)

PAGE = "https://shop.example/checkout"
CANARY = Canary.generate(seed=21, year=2026)
CARD = json.dumps({"cc_number": CANARY.pan, "cvv": CANARY.cvv, "exp": CANARY.expiry})
PAN_LIKE = re.compile(r"(?<!\d)(411111|424242)\d{10}(?!\d)")


def request(url: str, body: str | None = None, *, script: str | None = "s1",
            quarantined: bool = True, resource: str = "fetch", method: str = "POST",
            status: int | None = 204) -> RequestRecord:
    classify = classifier_for(PAGE, SitePolicy()).classify
    host = url.split("/")[2]
    return RequestRecord(url=url, method=method, host=host, resource_type=resource,
                         script=script, status=status, quarantined=quarantined,
                         host_class=classify(url).host_class,
                         body=body.encode() if body is not None else None)


def findings_for(*requests: RequestRecord, **capture: object) -> tuple[list[Finding],
                                                                       tuple[RequestRecord, ...]]:
    cap = PageCapture(url=PAGE, final_url=PAGE, status=200, requests=requests, canary=CANARY,
                      **capture)  # type: ignore[arg-type]
    classify = classifier_for(PAGE, SitePolicy()).classify
    return canary_findings(cap, requests, classify, {"s1": "https://shop.example/app.js"})


def test_the_card_to_a_look_alike_is_critical_with_its_evidence() -> None:
    r = request("https://slripe.com/v1/collect", CARD)
    [f], marked = findings_for(r)
    assert (f.rule, f.severity, f.confidence) == ("canary-exfiltration", Severity.CRITICAL,
                                                  Confidence.HIGH)
    assert f.script == "s1" and marked[0].carries_canary
    ev = f.evidence
    assert ev["host"] == "slripe.com" and ev["host_class"] == "look-alike"
    assert ev["lookalike_of"] == "stripe.com" and ev["encoding"] == "plain"
    assert ev["fields"] == ["cvv", "expiry"] and ev["channel"] == "fetch"
    assert ev["request"]["method"] == "POST" and ev["quarantined"] is True and ev["sent"] == 0
    assert "slripe.com" in f.message and "https://shop.example/app.js" in f.message
    assert not PAN_LIKE.search(json.dumps(ev)) and not PAN_LIKE.search(f.message)


@pytest.mark.parametrize(
    ("url", "severity", "tags"),
    [
        ("https://evil.example/c", Severity.CRITICAL, set()),  # unknown
        ("https://www.google-analytics.com/collect", Severity.CRITICAL, set()),  # trusted channel
        ("https://api.telegram.org/bot1/sendMessage", Severity.CRITICAL, set()),
        ("https://rs.fullstory.com/rec/bundle", Severity.HIGH, {"data-leak"}),  # session replay
    ],
)
def test_severity_by_destination(url: str, severity: Severity, tags: set[str]) -> None:
    [f], _ = findings_for(request(url, CARD))
    assert f.severity is severity and f.confidence is Confidence.HIGH
    assert tags <= set(f.tags) and ("data-leak" in f.tags) == bool(tags)


@pytest.mark.parametrize("url", ["https://shop.example/api/pay", "https://cdn.shop.example/x",
                                 "https://api.stripe.com/v1/tokens"])
def test_the_merchant_and_its_processor_may_receive_it(url: str) -> None:
    found, marked = findings_for(request(url, CARD))
    assert found == [] and marked[0].carries_canary


def test_approved_hosts_may_receive_it() -> None:
    site = SitePolicy(approved_hosts=("vault.partner.example",))
    classify = classifier_for(PAGE, site).classify
    r = request("https://vault.partner.example/v", CARD)
    r2 = RequestRecord(r.url, r.method, r.host, r.resource_type, r.script, status=204,
                       host_class=classify(r.url).host_class, body=r.body)
    cap = PageCapture(url=PAGE, final_url=PAGE, status=200, requests=(r2,), canary=CANARY)
    assert canary_findings(cap, (r2,), classify, {})[0] == []


def test_part_of_the_number_is_medium() -> None:
    partial = f"bin={CANARY.bin}&last4={CANARY.last4}"
    [f], _ = findings_for(request("https://evil.example/c?" + partial, None, method="GET",
                                  resource="image"))
    assert (f.severity, f.confidence) == (Severity.MEDIUM, Confidence.MEDIUM)
    assert "first 6" in f.title


def test_encoded_in_the_url_and_redacted_in_the_report() -> None:
    token = base64.urlsafe_b64encode(CARD.encode()).decode().rstrip("=")
    [f], _ = findings_for(request(f"https://evil.example/p.gif?v=1&d={token}", None,
                                  method="GET", resource="image"))
    assert f.evidence["where"] == "url"
    assert f.evidence["request"]["url"] == (
        f"https://evil.example/p.gif?v=1&d=[canary: {f.evidence['encoding']}]")
    assert token not in json.dumps(f.evidence)
    assert redact_url("https://a.example/x/y?q=1", CANARY) == "https://a.example/x/y?q=1"


def test_requests_are_grouped_by_host_and_script_and_counted() -> None:
    rs = [request("https://evil.example/a", CARD), request("https://evil.example/b", CARD),
          request("https://evil.example/c", CARD, script="s2"),
          request("https://other.example/d", base64.b64encode(CARD.encode()).decode())]
    found, _ = findings_for(*rs)
    summary = sorted((f.evidence["host"], f.script, f.evidence["requests"]) for f in found)
    assert summary == [("evil.example", "s1", 2), ("evil.example", "s2", 1),
                       ("other.example", "s1", 1)]


def test_forwarded_requests_are_not_called_quarantined() -> None:
    [f], _ = findings_for(request("https://evil.example/a", CARD, quarantined=False, status=200))
    assert f.evidence["quarantined"] is False and f.evidence["sent"] == 1
    assert "never left" not in f.message
    # a request cancelled before it was sent (no status) did not leave either
    [g], _ = findings_for(request("https://evil.example/a", CARD, quarantined=False,
                                  status=None))
    assert g.evidence["quarantined"] is True


def test_websocket_frames_and_swallowed_sockets() -> None:
    socket = request("wss://livechatlnc.example/ws", None, method="GET", resource="websocket",
                     status=101, quarantined=False)
    frames = (WebSocketMessage("wss://livechatlnc.example/ws", "hello", "s1"),
              WebSocketMessage("wss://livechatlnc.example/ws", CARD, "s1", quarantined=True),
              WebSocketMessage("wss://new.example/ws", CARD[::-1], "s1", quarantined=True))
    found, marked = findings_for(socket, websocket_messages=frames)
    by_host = {f.evidence["host"]: f for f in found}
    assert set(by_host) == {"livechatlnc.example", "new.example"}
    assert by_host["livechatlnc.example"].evidence["channel"] == "websocket"
    assert by_host["new.example"].evidence["encoding"] == "reversed"
    assert all(f.evidence["quarantined"] for f in found)
    assert marked[0].carries_canary  # the socket's request is marked
    assert any(r.host == "new.example" and r.carries_canary for r in marked)


def test_instrumentation_names_the_sender_when_the_network_cannot() -> None:
    r = request("https://evil.example/form", f"d={CARD}", script=None, resource="document")
    sink = InstrumentEvent("sink", {"sink": "form-submit", "url": "https://evil.example/form"},
                           script="s3")
    [f], _ = findings_for(r, instrumentation=(sink,))
    assert f.script == "s3"


def test_postmessage_to_an_untrusted_frame_and_storage() -> None:
    events = (
        InstrumentEvent("sink", {"sink": "postMessage", "origin": "https://relay.evil.example"},
                        script="s1", data=CARD),
        InstrumentEvent("sink", {"sink": "postMessage", "origin": "https://js.stripe.com"},
                        script="s1", data=CARD),  # the processor's frame: expected
        InstrumentEvent("sink", {"sink": "message-received", "origin": PAGE},
                        script="s4", frame="https://relay.evil.example/frame.html", data=CARD),
        InstrumentEvent("storage", {"store": "local", "key": "_c"}, script="s5",
                        data=base64.b64encode(CARD.encode()).decode()),
        InstrumentEvent("storage", {"store": "local", "key": "_c", "via": "snapshot"},
                        data=base64.b64encode(CARD.encode()).decode()),
        InstrumentEvent("storage", {"store": "cookie", "key": "sid"}, data="sid=1"),
    )
    found, _ = findings_for(instrumentation=events)
    rules = sorted((f.rule, f.script) for f in found)
    assert rules == [("canary-in-storage", "s5"), ("canary-to-frame", "s1"),
                     ("canary-to-frame", "s4")]
    storage = next(f for f in found if f.rule == "canary-in-storage")
    assert storage.severity is Severity.MEDIUM and storage.evidence["encoding"] == "base64"


def test_a_frame_name_carried_to_another_origin() -> None:
    carried = base64.b32encode(CARD.encode()).decode()
    events = (
        InstrumentEvent("sink", {"sink": "window-name", "origin": "https://drop.evil.example"},
                        frame="https://drop.evil.example/blank.html", data=carried),
        InstrumentEvent("sink", {"sink": "window-name", "origin": "https://js.stripe.com"},
                        frame="https://js.stripe.com/v3/inner.html", data=CARD),
        InstrumentEvent("sink", {"sink": "window-name", "origin": "https://other.example"},
                        frame="https://other.example/f.html", data="__privateFrame0"),
    )
    [f], _ = findings_for(instrumentation=events)
    assert f.rule == "canary-to-frame" and f.evidence["destination"] == "drop.evil.example"
    assert f.evidence["encoding"] == "base32" and "name of a frame" in f.message


def test_code_loaded_only_after_typing() -> None:
    r = request("https://cdn.evil.example/stage2.js", None, method="GET", resource="script")
    found, _ = findings_for(r)
    [f] = [f for f in found if f.rule == "canary-triggered-load"]
    assert (f.severity, f.confidence) == (Severity.MEDIUM, Confidence.MEDIUM)
    assert "--live" in f.message
    ok = request("https://www.googletagmanager.com/gtm.js", None, method="GET",
                 resource="script")
    assert findings_for(ok)[0] == []  # well-known services load code lazily all the time


def leak(severity: Severity = Severity.HIGH) -> Finding:
    return Finding("canary-exfiltration", "t", severity, Confidence.HIGH, "m",
                   tags=("canary", "data-leak"))


def other(severity: Severity, confidence: Confidence = Confidence.MEDIUM) -> Finding:
    return Finding("x", "t", severity, confidence, "m")


def test_a_session_replay_leak_is_suspicious_not_malicious() -> None:
    assert page_verdict([leak()]) is Verdict.SUSPICIOUS
    assert page_verdict([leak(), other(Severity.MEDIUM)]) is Verdict.SUSPICIOUS
    assert page_verdict([leak(), other(Severity.CRITICAL)]) is Verdict.MALICIOUS
    assert page_verdict([other(Severity.HIGH)]) is Verdict.MALICIOUS
    assert page_verdict([other(Severity.LOW)]) is Verdict.CLEAN
    assert page_verdict([]) is Verdict.CLEAN
    from dataclasses import replace
    assert page_verdict([replace(leak(), suppressed="accepted")]) is Verdict.CLEAN


def test_analyze_capture_end_to_end() -> None:
    code = ("document.getElementById('pay').addEventListener('mouseup', function () {"
            "  var v = document.getElementById('cc_number').value;"
            "  navigator.sendBeacon('https://rs.fullstory.com/rec', v); });")
    script = ScriptSource("s1", code, "https://edge.fullstory.com/s/fs.js", ScriptKind.EXTERNAL,
                          frame=PAGE, sha256="0" * 64, size=len(code))
    r = request("https://rs.fullstory.com/rec", CARD, resource="ping")
    gate = InstrumentEvent("gate", {"check": "webdriver"}, script="s1")
    cap = PageCapture(url=PAGE, final_url=PAGE, status=200, scripts=(script,), requests=(r,),
                      canary=CANARY, instrumentation=(gate,), interaction=("typed it",),
                      gates=("script s1 checks navigator.webdriver (satisfied)",))
    report = analyze_capture(cap, Engine(EngineOptions(use_disk_cache=False, jobs=1)),
                             SitePolicy())
    canary = [f for f in report.findings if f.rule == "canary-exfiltration"]
    assert canary and canary[0].severity is Severity.HIGH and "data-leak" in canary[0].tags
    assert report.verdict in (Verdict.SUSPICIOUS, Verdict.MALICIOUS)
    if not any(f.is_blocking and "data-leak" not in f.tags for f in report.findings):
        assert report.verdict is Verdict.SUSPICIOUS
    assert report.requests[0].carries_canary and report.requests[0].host_class is \
        HostClass.WELL_KNOWN
    assert report.page["canary"]["pan"] == CANARY.masked_pan
    assert report.page["interaction"] == ["typed it"]
    assert "script s1 checks navigator.webdriver (satisfied)" in report.notes


def test_gate_notes_for_scripts_that_sent_nothing() -> None:
    cap = PageCapture(url=PAGE, final_url=PAGE, status=200, canary=CANARY)
    url_gate = Finding("checkout-url-gate", "t", Severity.LOW, Confidence.MEDIUM,
                       "URL gate on onestep", script="s2", evidence={"pattern": "onestep"})
    hit = Finding("checkout-url-gate", "t", Severity.LOW, Confidence.MEDIUM, "m", script="s3",
                  evidence={"pattern": "check.?out"})
    visitor = Finding("gated-card-collector", "t", Severity.HIGH, Confidence.MEDIUM, "m",
                      script="s4", evidence={"store": "cookie", "key": "_seen"})
    sent = Finding("canary-exfiltration", "t", Severity.CRITICAL, Confidence.HIGH, "m",
                   script="s4")
    notes = gate_notes(cap, [url_gate, hit, visitor, sent], {"s2": "https://x.example/a.js"})
    assert any("s2 (https://x.example/a.js) runs only on URLs matching 'onestep'" in n
               and "does not match" in n for n in notes)
    assert any("s3" in n and "matches it, yet nothing was sent" in n for n in notes)
    assert not any("s4" in n for n in notes)  # it did send: no gate stopped it
    plain = PageCapture(url=PAGE, final_url=PAGE, status=200)
    assert gate_notes(plain, [url_gate], {}) == []  # no shopping, no claims about gates


# ----------------------------------------------------------------------------- host names
def test_the_card_in_a_host_name_is_exfiltration_named_by_its_domain() -> None:
    labels = f"x{CANARY.pan}.collect.evil.example"
    [f], marked = findings_for(request(f"https://{labels}/", None, resource="connection",
                                       method="GET", status=None))
    assert f.rule == "canary-exfiltration" and f.severity is Severity.CRITICAL
    assert f.evidence["host"] == "evil.example" and f.evidence["where"] == "host name"
    assert f.evidence["channel"] == "host name (connection)"
    assert CANARY.pan not in json.dumps(f.evidence) + f.message
    assert f.evidence["request"]["url"].startswith("https://[canary:")
    assert marked[0].carries_canary


def test_the_card_spread_over_labels_is_found() -> None:
    pan = CANARY.pan
    spread = ".".join(pan[i:i + 4] for i in range(0, 16, 4))
    [f], _ = findings_for(request(f"https://{spread}.evil.example/", None, method="GET"))
    assert f.evidence["host"] == "evil.example"


def test_resource_hints_are_searched_as_requests_that_never_happened() -> None:
    hint = InstrumentEvent("sink", {"sink": "link-hint", "rel": "dns-prefetch",
                                    "url": f"https://d{CANARY.pan}.evil.example/"}, script="s1")
    quiet = InstrumentEvent("sink", {"sink": "link-hint", "rel": "preconnect",
                                     "url": "https://fonts.evil.example/"}, script="s1")
    [f], marked = findings_for(instrumentation=(hint, quiet))
    assert f.evidence["channel"] == "host name (link-hint)" and f.script == "s1"
    assert f.evidence["quarantined"] is True
    assert [r.carries_canary for r in marked if r.resource_type == "link-hint"] == [True, False]


def test_webrtc_servers_and_data_channels_are_searched_as_sends() -> None:
    label = base64.b32encode(CARD.encode()[:31]).decode().rstrip("=").lower()
    stun = InstrumentEvent("sink", {"sink": "webrtc", "url": f"stun://0{label}.relay.example:3478"},
                           script="s1")
    peer = InstrumentEvent("sink", {"sink": "webrtc", "url": "turn://turn.peer.example:443"},
                           script="s2")
    data = InstrumentEvent("sink", {"sink": "webrtc-data", "url": "turn://turn.peer.example:443"},
                           script="s2", data=base64.b64encode(CARD.encode()).decode())
    found, marked = findings_for(instrumentation=(stun, peer, data))
    got = sorted((f.script, f.evidence["host"], f.evidence["encoding"]) for f in found)
    assert got == [("s1", "relay.example", "base32"), ("s2", "turn.peer.example", "base64")]
    assert [(r.method, r.carries_canary) for r in marked if r.resource_type == "webrtc"] == [
        ("GET", True), ("SEND", True)]  # a connection that carried no card is not kept
    broken = InstrumentEvent("sink", {"sink": "webrtc", "url": "stun://["}, script="s3")
    assert findings_for(instrumentation=(broken,))[0] == []  # a bad name breaks nothing


def _chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def test_a_card_cut_into_pieces_over_requests_is_joined() -> None:
    hexed = CARD.encode().hex()
    pieces = [request(f"https://px.evil.example/p.gif?s=ab12&i={n}&v={part}", None,
                      method="GET", resource="image")
              for n, part in enumerate(_chunks(hexed, 24))]
    [f], marked = findings_for(*pieces)
    assert f.evidence["host"] == "px.evil.example" and f.severity is Severity.CRITICAL
    assert "split over" in f.evidence["where"] and "'v'" in f.evidence["where"]
    assert marked[0].carries_canary and not any(r.carries_canary for r in marked[1:])
    bodies = [request("https://px.evil.example/c", part) for part in _chunks(CARD, 7)]
    [f], _ = findings_for(*bodies)
    assert "body, joined" in f.evidence["where"]


def test_a_card_cut_over_the_parameters_of_one_request_is_joined() -> None:
    blob = base64.b64encode(CARD.encode()).decode()
    body = "v=1&t=event&ea=" + urllib.parse.quote(blob[:27]) + "&el=" + urllib.parse.quote(
        blob[27:])
    [f], _ = findings_for(request("https://www.google-analytics.com/collect", body))
    assert f.evidence["where"] == "body (its parameters joined)"
    assert "joined" in f.message
    url = "https://px.evil.example/c?a=" + blob[:27] + "&b=" + blob[27:]
    [f], _ = findings_for(request(url, None, method="GET"))
    assert f.evidence["where"] == "url (its parameters joined)"


def test_pieces_to_different_addresses_or_senders_are_not_joined() -> None:
    hexed = CARD.encode().hex()
    parts = _chunks(hexed, 24)
    apart = [request(f"https://px{n}.evil.example/p.gif?v={part}", None, method="GET")
             for n, part in enumerate(parts)]
    assert findings_for(*apart)[0] == []
    senders = [request(f"https://px.evil.example/p.gif?v={part}", None, method="GET",
                       script=f"s{n + 1}") for n, part in enumerate(parts)]
    assert findings_for(*senders)[0] == []


def test_an_ordinary_host_with_digits_is_not_the_card() -> None:
    found, _ = findings_for(request("https://cdn42.evil.example/a", "x=1"))
    assert found == []


def test_the_referrer_and_a_socket_s_subprotocols_are_searched() -> None:
    referred = RequestRecord(url="https://evil.example/pixel", method="GET", host="evil.example",
                             resource_type="fetch", script="s1", quarantined=True,
                             headers={"Referer": f"https://shop.example/pay?sid={CANARY.pan}"})
    socket = RequestRecord(url="wss://evil.example/live", method="GET", host="evil.example",
                           resource_type="websocket", script="s2", quarantined=True,
                           headers={"Sec-WebSocket-Protocol":
                                    "chat.v2, " + base64.urlsafe_b64encode(
                                        CANARY.pan.encode()).decode().rstrip("=")})
    found, _ = findings_for(referred, socket)
    assert {(f.script, f.evidence["where"]) for f in found} == {
        ("s1", "header Referer"), ("s2", "header Sec-WebSocket-Protocol")}


def test_a_card_encrypted_before_sending_is_caught_by_its_plaintext() -> None:
    encrypt = InstrumentEvent("sink", {"sink": "encrypt", "cipher": "CryptoJS"}, script="s1",
                              data=json.dumps({"number": CANARY.pan, "cvv": CANARY.cvv}))
    ciphertext = request("https://evil.example/c", "U2FsdGVkX19v8f3kZp0Q1w7xk0b3nqH2")
    merchant = request("https://shop.example/api/cart", "U2FsdGVkX1+abc")
    [f], _ = findings_for(ciphertext, merchant, instrumentation=(encrypt,))
    assert f.rule == "canary-exfiltration" and f.severity is Severity.CRITICAL
    assert f.evidence["host"] == "evil.example"
    assert f.evidence["where"] == "encrypted payload"
    assert f.evidence["encoding"].endswith("then encrypted with CryptoJS")
    # encrypted, but sent only to the merchant (its own payment flow): nothing to say
    found, _ = findings_for(merchant, instrumentation=(encrypt,))
    assert found == []
