"""STAGE 4 (policy): a processor's client-side tokenization, told from a skimmer's copy.

A payment SDK that predates hosted fields (and many still in use) reads the card fields,
posts the card to its processor's API and puts what the API answers — a token — into a hidden
field of the shop's form, which is then submitted instead of the card: the card is *swapped*,
not copied. A skimmer copies: it sends the card away and lets the shop's own payment go on;
it has no use for the answer. So when a script read completely (`opacity.read_completely`)
sends card data to exactly one host nobody approved, and writes what a request answered into
a field it made (`token-field`), that host is most likely the merchant's processor — or a
processor the merchant has not approved yet. Its findings are lowered to medium (the target is
`suspicious`) with a message that says what to do: approve the host if it is the processor.

Never lowered: a look-alike or known-bad host; card data sent to more than one unapproved
host; any script that gates or hides itself (gate, evasion and IOC findings); any script not
read completely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from skimscan.analyze.analyzer import RawAnalysis
from skimscan.analyze.opacity import has_kind, read_completely
from skimscan.models import Confidence, Finding, HostClass, Severity
from skimscan.policy.cooccurrence import gates


def weigh(findings: Sequence[Finding], raw: RawAnalysis) -> list[Finding]:
    """The script's findings, lowered where they are a processor's tokenization."""
    if not has_kind(raw, "token-field") or not read_completely(raw) or any(
            gates(f) for f in findings):
        return list(findings)
    carried = {f.evidence.get("host") for f in findings if f.flow and f.is_blocking}
    hosts = {f.evidence.get("host") for f in findings if f.is_blocking}
    if len(carried) != 1 or hosts - carried or any(
            f.evidence.get("host_class") != HostClass.UNKNOWN.value
            for f in findings if f.is_blocking):
        return list(findings)
    host = str(next(iter(carried)))
    return [_lowered(f, host) if f.is_blocking else f for f in findings]


def _lowered(f: Finding, host: str) -> Finding:
    return replace(
        f, severity=Severity.MEDIUM, confidence=Confidence.MEDIUM,
        message=(f"{f.message} (lowered: the script swaps the card for what {host} answers, "
                 f"in a field it adds to the form — a processor's tokenization; approve {host} "
                 f"if it is your payment processor)"),
        evidence={**f.evidence, "lowered_from": f.severity.name.lower(), "tokenized": True},
    )
