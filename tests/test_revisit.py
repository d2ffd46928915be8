"""Store now, send later (issue 16, item 5), without a browser: a script the page ran again on
the visit the scan came back for is one script, and a send on that visit from storage is blamed
on the script that stored the card when the send's own stack names nobody."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

from skimscan.capture.revisit import fold_repeated_scripts
from skimscan.models import (
    Canary,
    InstrumentEvent,
    PageCapture,
    RequestRecord,
    ScriptKind,
    ScriptSource,
)
from skimscan.policy.policy import SitePolicy
from skimscan.scanner import canary_findings, classifier_for

PAGE = "https://shop.example/checkout"
KIT = "https://recover.test/v3/resume.js"
CANARY = Canary.generate(seed=31, year=2026)
STORED = base64.b64encode(json.dumps({"n": CANARY.pan, "c": CANARY.cvv}).encode()).decode()


def script(sid: str, url: str, code: str, kind: ScriptKind = ScriptKind.EXTERNAL,
           frame: str = PAGE) -> ScriptSource:
    return ScriptSource(sid, code, url, kind, frame=frame, sha256=f"sha-{code}")


def capture(requests: tuple[RequestRecord, ...], events: tuple[InstrumentEvent, ...],
            revisited_at: float | None = 100.0) -> PageCapture:
    return PageCapture(
        url=PAGE, final_url=PAGE, status=200,
        scripts=(script("s1", KIT, "kit"), script("s2", PAGE, "inline"),
                 script("s7", KIT, "kit", frame=PAGE + "?step=success"),
                 script("s8", PAGE + "?step=success", "inline", ScriptKind.INLINE),
                 script("s9", KIT, "kit v2")),
        requests=requests, instrumentation=events, canary=CANARY, canary_typed_at=50.0,
        revisited_at=revisited_at)


def test_scripts_run_again_on_the_next_visit_fold_into_their_first_copy() -> None:
    sent = RequestRecord("https://recover.test/v3/resume", "POST", "recover.test",
                         script="s7", stack=("s7", "s9"))
    stored = InstrumentEvent("storage", {"store": "local", "key": "k"}, "s7", stack=("s7",),
                             data=STORED)
    folded = fold_repeated_scripts(capture((sent,), (stored,)))
    assert [s.id for s in folded.scripts] == ["s1", "s2", "s8", "s9"]  # s7 was s1 again
    assert folded.requests[0].script == "s1" and folded.requests[0].stack == ("s1", "s9")
    assert folded.instrumentation[0].script == "s1"
    # an inline script of the success page is not the checkout's inline script (other code)
    assert "s8" in {s.id for s in folded.scripts}


def test_a_send_on_the_next_visit_names_the_script_that_stored_the_card() -> None:
    stored = InstrumentEvent("storage", {"store": "local", "key": "k"}, "s1", data=STORED)
    beacon = RequestRecord("https://recover.test/v3/resume", "POST", "recover.test",
                           resource_type="ping", script=None, status=204, quarantined=True,
                           body=STORED.encode(), at=120.0)
    cap = capture((beacon,), (stored,))
    classify = classifier_for(PAGE, SitePolicy()).classify
    findings, _requests = canary_findings(cap, cap.requests, classify,
                                          {"s1": KIT, "s2": PAGE})
    [f] = [f for f in findings if f.rule == "canary-exfiltration"]
    assert f.script == "s1" and f.evidence["sent_on"] == "the next visit"
    assert len(f.evidence["stored_by"]) == 1 and KIT in f.evidence["stored_by"][0]
    assert "the same script had put it" in f.message
    # the same send before the shopper came back is not 'later', and stays unattributed
    early = capture((replace(beacon, at=90.0),), (stored,))
    findings, _requests = canary_findings(early, early.requests, classify, {"s1": KIT})
    [f] = [f for f in findings if f.rule == "canary-exfiltration"]
    assert f.script is None and "sent_on" not in f.evidence
