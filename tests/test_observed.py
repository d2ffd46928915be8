"""Runtime evidence outranks static suspicion (policy/observed.py): a static finding of a script
to a host is lowered when the scan saw that script send to that host after typing, never with
the card — and only then."""

from __future__ import annotations

from skimscan.models import (
    Confidence,
    Finding,
    RequestRecord,
    Severity,
    WebSocketMessage,
)
from skimscan.policy.observed import weigh_observed

HOST = "in.replaycloud.example"


def static(rule: str = "keystrokes-to-untrusted-host", script: str = "s1",
           severity: Severity = Severity.HIGH, tags: tuple[str, ...] = ()) -> Finding:
    return Finding(rule=rule, title="t", severity=severity, confidence=Confidence.HIGH,
                   message="input sent to the host", script=script,
                   evidence={"host": HOST}, tags=tags)


def send(*, script: str | None = "s1", carries: bool = False, quarantined: bool = True,
         stack: tuple[str, ...] = ()) -> RequestRecord:
    return RequestRecord(url=f"https://{HOST}/rec", method="POST", host=HOST, script=script,
                         quarantined=quarantined, carries_canary=carries, stack=stack)


def test_sends_without_the_card_lower_the_static_finding() -> None:
    [f] = weigh_observed([static()], [send(), send()], [], canary_typed=True)
    assert (f.severity, f.confidence) == (Severity.MEDIUM, Confidence.MEDIUM)
    assert f.evidence["observed_sends"] == 2 and f.evidence["lowered_from"] == "high"
    assert "never with the card" in f.message


def test_a_send_through_a_library_on_the_stack_counts_for_the_script() -> None:
    [f] = weigh_observed([static()], [send(script="lib", stack=("lib", "s1"))], [],
                         canary_typed=True)
    assert f.severity is Severity.MEDIUM


def test_websocket_messages_count_as_sends() -> None:
    frame = WebSocketMessage(f"wss://{HOST}/ws", "{\"k\":\"****\"}", script="s1",
                             quarantined=True)
    [f] = weigh_observed([static()], [], [frame], canary_typed=True)
    assert f.severity is Severity.MEDIUM


def test_nothing_is_lowered_without_observation() -> None:
    finding = static()
    # no canary typed; no send after typing; a send that carried the card; another host
    assert weigh_observed([finding], [send()], [], canary_typed=False) == [finding]
    assert weigh_observed([finding], [send(quarantined=False)], [], canary_typed=True) == \
        [finding]
    assert weigh_observed([finding], [send(), send(carries=True)], [],
                          canary_typed=True) == [finding]
    assert weigh_observed([finding], [send(script="s2")], [], canary_typed=True) == [finding]


def test_scripts_that_gate_or_evade_keep_their_findings() -> None:
    for other in (static(rule="checkout-url-gate", severity=Severity.MEDIUM),
                  static(rule="timing-evasion", severity=Severity.LOW, tags=("evasion",))):
        out = weigh_observed([static(), other], [send()], [], canary_typed=True)
        assert out[0].severity is Severity.HIGH


def test_runtime_findings_are_never_lowered() -> None:
    runtime = static(rule="runtime-data-to-unknown-host", tags=("runtime",))
    assert weigh_observed([runtime], [send()], [], canary_typed=True) == [runtime]
