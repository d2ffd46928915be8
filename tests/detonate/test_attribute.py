"""Which findings of a detonation page are the file's, and the cached round trip of a result."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from skimscan.detonate.attribute import DETONATION_TAG, attribute, reattribute, template_ids
from skimscan.detonate.detonator import Detonation, PageRun
from skimscan.detonate.store import DetonationStore, decode, encode
from skimscan.models import (
    Confidence,
    Finding,
    HostClass,
    InstrumentEvent,
    Location,
    PageCapture,
    RequestRecord,
    ScriptKind,
    ScriptReport,
    ScriptSource,
    Severity,
    TargetKind,
    TargetReport,
    Verdict,
)
from skimscan.policy.observed import lower

SAMPLE = "https://cdn.widget-hub.example/t0k3n/kit.js"
JQ = "https://www.harbor-goods.example/static/jquery-3.7.1.min.js"
PAGE_HTML = "<script>window.checkoutConfig = {};</script>"


def script(sid: str, url: str | None, kind: ScriptKind, code: str = "x") -> ScriptSource:
    return ScriptSource(id=sid, code=code, url=url, kind=kind, frame="https://shop/",
                        sha256=sid * 8, size=len(code))


SOURCES = [script("s1", JQ, ScriptKind.EXTERNAL), script("s2", None, ScriptKind.INLINE,
                                                         "window.checkoutConfig = {};"),
           script("s3", SAMPLE, ScriptKind.EXTERNAL), script("s4", None, ScriptKind.EVAL)]


def finding(rule: str, sid: str | None, *tags: str, severity: Severity = Severity.CRITICAL,
            ) -> Finding:
    return Finding(rule=rule, title=rule, severity=severity, confidence=Confidence.HIGH,
                   message=f"sent by {sid} ({SAMPLE})", script=sid, tags=tags)


def page(findings: list[Finding]) -> TargetReport:
    reports = tuple(ScriptReport(s.id, s.url, s.kind, s.frame, s.sha256, s.size,
                                 HostClass.UNKNOWN, Verdict.CLEAN) for s in SOURCES)
    return TargetReport("https://shop/", TargetKind.PAGE, Verdict.MALICIOUS, scripts=reports,
                        findings=tuple(findings), sources={s.sha256: s for s in SOURCES})


def run(findings: list[Finding], events: tuple[InstrumentEvent, ...] = ()):  # type: ignore[no-untyped-def]
    return attribute(page(findings), events, sample_url=SAMPLE, file_script_id="f1",
                     template="magento2", page_url="https://shop/checkout/",
                     template_scripts=template_ids(SOURCES, PAGE_HTML), file_is_html=False)


def test_runtime_findings_of_the_file_and_all_of_its_stages_are_kept() -> None:
    got = run([finding("canary-exfiltration", "s3", "canary", "runtime"),
               finding("card-data-to-untrusted-host", "s3"),  # static: on the file already
               finding("card-data-to-untrusted-host", "s4"),  # its eval stage: new code
               finding("form-field-sweep", "s1", severity=Severity.INFO),  # jQuery: template
               finding("runtime-data-to-unknown-host", None, "runtime")])
    kept = {(f.rule, f.script) for f in got.findings}
    assert kept == {("canary-exfiltration", "f1"), ("card-data-to-untrusted-host", "magento2:s4"),
                    ("runtime-data-to-unknown-host", None)}
    assert all(DETONATION_TAG in f.tags and f.evidence["detonation"]["template"] == "magento2"
               for f in got.findings)
    assert [s.id for s in got.scripts] == ["magento2:s4"]
    exfil = next(f for f in got.findings if f.rule == "canary-exfiltration")
    assert "sent by f1 (" in exfil.message and exfil.severity is Severity.CRITICAL


def test_the_files_static_findings_the_page_lowered_are_reported_for_merge() -> None:
    """The page weighed the file's own static findings against its sends (policy/observed.py):
    those it lowered are handed on as (rule, host, sends), the others are not."""
    lowered = lower(replace(finding("card-read-with-untrusted-send", "s3"),
                            evidence={"host": "drop.test"}), "drop.test", 3)
    got = run([lowered, finding("pay-button-trigger-exfil", "s3"),
               lower(replace(finding("card-read-with-untrusted-send", "s1"),
                             evidence={"host": "x.test"}), "x.test", 1)])  # jQuery: template
    assert got.lowered == (("card-read-with-untrusted-send", "drop.test", 3),)
    assert got.findings == ()


def test_a_finding_resting_on_created_elements_is_capped_and_says_so() -> None:
    synth = InstrumentEvent("synth", {"field": "#sagepay_cc_number", "kind": "pan"}, "s3")
    got = run([finding("canary-exfiltration", "s3", "canary", "runtime")], (synth,))
    (f,) = got.findings
    assert (f.severity, f.confidence) == (Severity.HIGH, Confidence.MEDIUM)
    assert f.evidence["synthesised"] == ["#sagepay_cc_number (pan)"]
    assert "created elements" in f.message
    assert f.is_blocking  # still a skimmer, with the doubt written down


def test_a_library_sending_for_the_file_is_blamed_on_the_file() -> None:
    """`$.ajax` in the shop's jQuery sends what the file collected: the stack says so."""
    request = RequestRecord(url="https://drop.test/c", method="POST", host="drop.test",
                            script="s1", stack=("s1", "s3"))
    template_only = RequestRecord(url="https://www.harbor-goods.example/api", method="POST",
                                  host="www.harbor-goods.example", script="s2", stack=("s2",))
    capture = PageCapture(url="https://shop/", final_url="https://shop/", status=200,
                          scripts=tuple(SOURCES), requests=(request, template_only))
    fixed = reattribute(capture, template_ids(capture.scripts, PAGE_HTML))
    assert [r.script for r in fixed.requests] == ["s3", "s2"]


def test_results_round_trip_through_the_store(tmp_path: Path) -> None:
    f = Finding(rule="canary-exfiltration", title="t", severity=Severity.CRITICAL,
                confidence=Confidence.HIGH, message="m", script="f1",
                location=Location(3, 4), evidence={"host": "drop.test"}, tags=("canary",))
    s = ScriptReport("magento2:s4", None, ScriptKind.EVAL, "https://shop/", "ab" * 32, 10,
                     HostClass.UNKNOWN, Verdict.MALICIOUS)
    result = Detonation(Verdict.MALICIOUS, (f,), (s,), (PageRun(
        "magento2", "https://shop/checkout/", Verdict.MALICIOUS, 1.5, gates=("g",)),),
        lowered=(("card-read-with-untrusted-send", "drop.test", 2, "magento2"),))
    assert decode(encode(result)) == result
    store = DetonationStore(tmp_path, "settings")
    assert store.get("ab" * 32) is None
    store.put("ab" * 32, result)
    assert store.get("ab" * 32) == result
    assert DetonationStore(tmp_path, "other settings").get("ab" * 32) is None
    store.put("cd" * 32, Detonation(Verdict.ERROR, error="crashed"))
    assert store.get("cd" * 32) is None, "a failed detonation is run again next time"
