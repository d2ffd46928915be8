"""STAGE 4 (policy): static suspicion weighed against what the scan saw the script do.

A static finding says a script *may* send card data to a host (a taint path, or card reads and
a send to that host in one script). When the canary was typed and the scan then saw that script
send to that host — and none of those sends carried the card in any encoding the canary search
knows — the runtime evidence is stronger than the static suspicion: the finding is lowered to
medium, with the observed sends as evidence. Masked session replay is the case in point: it
reads every field and sends every keystroke, as `****`.

Not lowered: runtime findings themselves; findings of a script that gates or delays itself
(`GATE_RULES`, or tagged `evasion`), since what it does under other conditions was not seen;
and any finding when the canary was not typed or the script sent nothing to that host after
typing (nothing was observed, so nothing outranks the static path).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from skimscan.models import (
    Confidence,
    Finding,
    RequestRecord,
    Severity,
    WebSocketMessage,
)

#: rules that say a script behaves differently when watched or outside a checkout
GATE_RULES = frozenset({"checkout-url-gate", "gated-card-collector", "evasive-card-collector",
                        "automation-detection", "devtools-detection"})
_LOWERED = (Severity.HIGH, Severity.CRITICAL)


def _sends(requests: Iterable[RequestRecord], frames: Iterable[WebSocketMessage],
           ) -> dict[tuple[str, str], list[bool]]:
    """(script, host) -> for each send seen after typing, whether it carried the canary.

    After typing, a send to an untrusted host is quarantined: that is how "after typing" is
    known without timestamps; sends to trusted hosts never raise these findings."""
    out: dict[tuple[str, str], list[bool]] = {}
    for r in requests:
        if r.quarantined:
            for script in {r.script, *r.stack} - {None}:
                out.setdefault((str(script), r.host), []).append(r.carries_canary)
    for m in frames:
        if m.quarantined and m.script:
            out.setdefault((m.script, (urlsplit(m.url).hostname or "").lower()),
                           []).append(False)
    return out


def weigh_observed(findings: Sequence[Finding], requests: Sequence[RequestRecord],
                   frames: Sequence[WebSocketMessage], *, canary_typed: bool) -> list[Finding]:
    """The findings, static ones lowered where the observed sends contradict them."""
    if not canary_typed:
        return list(findings)
    sends = _sends(requests, frames)
    carried = {f.script for f in findings if "canary" in f.tags and f.script}
    gated = {f.script for f in findings
             if f.script and (f.rule in GATE_RULES or "evasion" in f.tags)}
    out = []
    for f in findings:
        host = str(f.evidence.get("host", "")).lower()
        seen = sends.get((f.script or "", host), [])
        if (f.severity in _LOWERED and host and f.script and seen and not any(seen)
                and "runtime" not in f.tags and "canary" not in f.tags
                and f.script not in carried and f.script not in gated):
            f = replace(
                f, severity=Severity.MEDIUM, confidence=Confidence.MEDIUM,
                message=(f"{f.message} (lowered: after the canary card was typed, this script "
                         f"sent to {host} {len(seen)} time(s), never with the card)"),
                evidence={**f.evidence, "observed_sends": len(seen),
                          "lowered_from": f.severity.name.lower()},
            )
        out.append(f)
    return out
