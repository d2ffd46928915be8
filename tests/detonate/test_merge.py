"""A detonated file's target (detonate/files.py `merge`): its static findings weighed against
what its detonation pages saw it send, as page scans weigh them (policy/observed.py)."""

from __future__ import annotations

from dataclasses import replace

from skimscan.detonate.detonator import Detonation, PageRun
from skimscan.detonate.files import merge
from skimscan.models import (
    Confidence,
    Finding,
    FlowStep,
    HostClass,
    Location,
    ScriptKind,
    ScriptReport,
    Severity,
    TargetKind,
    TargetReport,
    Verdict,
)

HOST = "collect.riskpulse.example"


def beside(rule: str, script: str = "s1") -> Finding:
    return Finding(rule=rule, title="t", severity=Severity.HIGH, confidence=Confidence.MEDIUM,
                   message="reads card fields and sends", script=script,
                   evidence={"host": HOST, "host_class": "unknown"})


def target(*findings: Finding) -> TargetReport:
    script = ScriptReport(id="s1", url="fraud.js", kind=ScriptKind.FILE, frame=None,
                          sha256="0" * 64, size=10, host_class=HostClass.FIRST_PARTY,
                          verdict=Verdict.MALICIOUS)
    return TargetReport("fraud.js", TargetKind.FILE, Verdict.MALICIOUS, scripts=(script,),
                        findings=findings)


def ran(verdict: Verdict, *lowered: tuple[str, str, int, str]) -> Detonation:
    page = PageRun("magento2", "https://shop.example/checkout", verdict, 1.0)
    return Detonation(verdict, pages=(page,), lowered=lowered)


def test_a_send_after_typing_without_the_card_lowers_the_files_own_finding() -> None:
    merged = merge(target(beside("card-read-with-untrusted-send")),
                   ran(Verdict.CLEAN, ("card-read-with-untrusted-send", HOST, 2, "magento2")),
                   ["why"])
    [f] = merged.findings
    assert (f.severity, f.evidence["lowered_from"]) == (Severity.MEDIUM, "high")
    assert "on the detonation page magento2" in f.message
    assert merged.verdict is Verdict.SUSPICIOUS


def test_only_the_contradicted_rule_and_host_are_lowered() -> None:
    other = beside("pay-button-trigger-exfil")
    merged = merge(target(beside("card-read-with-untrusted-send"), other),
                   ran(Verdict.CLEAN, ("card-read-with-untrusted-send", HOST, 1, "magento2")),
                   ["why"])
    assert other in merged.findings and merged.verdict is Verdict.MALICIOUS


def test_a_detonation_that_proved_it_malicious_lowers_nothing() -> None:
    finding = beside("card-read-with-untrusted-send")
    merged = merge(target(finding),
                   ran(Verdict.MALICIOUS, ("card-read-with-untrusted-send", HOST, 1, "magento2")),
                   ["why"])
    assert finding in merged.findings and merged.verdict is Verdict.MALICIOUS


def test_a_taint_path_is_not_lowered_by_a_synthetic_page() -> None:
    """The synthetic checkout may lack what the file reads: a proven path from a card field to
    the host stands, whatever the detonation page saw."""
    path = replace(beside("card-data-to-untrusted-host"), severity=Severity.CRITICAL,
                   flow=(FlowStep(Location(1, 0), "card field '#cc'"),
                         FlowStep(Location(2, 0), "sent by fetch")))
    merged = merge(target(path),
                   ran(Verdict.CLEAN, ("card-data-to-untrusted-host", HOST, 1, "magento2")),
                   ["--detonate always"])
    assert path in merged.findings and merged.verdict is Verdict.MALICIOUS
