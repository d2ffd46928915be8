"""Runtime evidence outranks static suspicion (policy/observed.py): a static finding of a script
to a host is lowered when the scan saw that script send to that host after typing, never with
the card — and only then."""

from __future__ import annotations

import base64

import pytest

from skimscan.models import (
    Confidence,
    Finding,
    RequestRecord,
    Severity,
    WebSocketMessage,
)
from skimscan.policy.observed import readable, weigh_observed

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


def body_send(body: bytes, url: str = f"https://{HOST}/rec") -> RequestRecord:
    return RequestRecord(url=url, method="POST", host=HOST, script="s1", quarantined=True,
                         body=body)


CIPHERED = bytes([0x01, 0x1e]) + bytes((0x5A + i) ^ (7 * i % 31) for i in range(30))


@pytest.mark.parametrize("body", [
    CIPHERED,                                                  # a blob of the kit's own cipher
    base64.b64encode(CIPHERED[2:]),                            # ... in base64
    b"d=" + base64.urlsafe_b64encode(bytes(range(7, 47))),     # ... as a form value
    b'{"p":"QwE7r|yU1iOp9AsDf5Gh_J~k0Lz"}',                    # a long token, high entropy
])
def test_a_send_the_canary_search_cannot_read_lowers_nothing(body: bytes) -> None:
    """No evidence the card stayed home: a send of ciphertext may carry it under a cipher the
    canary search does not know."""
    finding = static()
    assert weigh_observed([finding], [body_send(body)], [], canary_typed=True) == [finding]
    assert not readable(body)


@pytest.mark.parametrize("body", [
    b"",
    b'{"event":"payment_info_entered","card_brand":"visa","t":[120,95,180],"len":16}',
    b"v=1&tid=UA-100-1&cid=1234567890.1234567890&t=event&ec=checkout&ea=pay",
    base64.b64encode(b'{"fields":["cc-number"],"keys":12,"ms":[80,91,77]}'),
    b"fp=3f2a9c1b3f2a9c1b3f2a9c1b3f2a9c1b3f2a9c1b&id=3f2a9c1b-3f2a-9c1b-3f2a-9c1b3f2a9c1b",
    b"u=https%3A%2F%2Fshop.test%2Fcheckout&title=Checkout%20-%20Test%20Shop",
    b'{"site":"rp-1","sid":"MIX3K2Q9ZB7TQW4P","fields":{"cc-number":{"keys":16}}}',  # an id
])
def test_readable_sends_without_the_card_still_lower(body: bytes) -> None:
    assert readable(body)
    [f] = weigh_observed([static()], [body_send(body)], [], canary_typed=True)
    assert f.severity is Severity.MEDIUM


def test_a_ciphertext_in_the_url_lowers_nothing() -> None:
    token = base64.urlsafe_b64encode(CIPHERED).decode()
    finding = static()
    sent = body_send(b"", url=f"https://{HOST}/i.gif?k={token}")
    assert weigh_observed([finding], [sent], [], canary_typed=True) == [finding]
