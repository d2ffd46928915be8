"""STAGE 4 (policy): card reads beside a send, weighed against a data-flow analysis that read
the whole script.

Three rules fire on a script that reads card fields and sends to a host nobody approved
whether or not a data path joins the two (`COOCCURRENCE_RULES`; one of them for obfuscated
scripts): they are the net for kits whose path static analysis cannot follow — obfuscated,
decoded at run time, or staged in ways the taint analysis does not model. In a script static
analysis read completely (`analyze.opacity.read_completely`: parsed whole, and whatever hid
it undone by deobfuscation, whose clean program the analysis reads; no code built at run
time) every value was seen, and no path leads from the card fields to that host: what goes
there is something else — typing cadence, a card brand, a field count, a masked value, an
accessibility ping. Such a finding is lowered to medium (the target becomes suspicious, not
malicious): the script still reads card fields and talks to an unknown host, which a reviewer
should see, and `--detonate auto` runs a suspicious file with the canary to settle it.

Never lowered: anything in a script where some data path carries its data to a sink (the card
goes somewhere, even if not to that host); a send to a host that is known-bad, a look-alike or
unresolved; any finding of a script that gates itself or is a known kit (gate and evasion
rules, IOC findings — an automation check whose answer is sent as a signal, as fraud and
bot-detection profiles do, gates nothing); any script not read completely — obfuscation
deobfuscation did not undo, a decoder call left encoded, a rewrite that stopped at its
budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from skimscan.analyze.analyzer import RawAnalysis
from skimscan.analyze.opacity import read_completely
from skimscan.models import Confidence, Finding, HostClass, Severity
from skimscan.policy.observed import GATE_RULES

#: Rules that combine card reads with a send to an unknown host, with no data path required.
COOCCURRENCE_RULES = frozenset({"card-read-with-untrusted-send", "pay-button-trigger-exfil",
                                "obfuscated-card-collector"})
#: Findings of a script that gates itself or is a known kit: nothing of it is lowered.
#: (Obfuscation is not among them: a script read completely was read on its rewritten,
#: clean program — see `read_completely`.)
_GATED = frozenset({"evasion", "ioc"})


def weigh(findings: Sequence[Finding], raw: RawAnalysis) -> list[Finding]:
    """The script's findings, co-occurrence ones lowered where the taint analysis saw all."""
    if not read_completely(raw) or any(
            f.flow or gates(f) for f in findings):
        return list(findings)  # hidden, gated, or the card does go somewhere
    return [_lowered(f) if _lowerable(f) else f for f in findings]


def gates(f: Finding) -> bool:
    """A gate, evasion or IOC finding — but not a check whose answer the script collects as
    data (`{webdriver: !!navigator.webdriver}` in a fraud profile): that one hides nothing."""
    return (f.rule in GATE_RULES or bool(_GATED & set(f.tags))) and \
        not f.evidence.get("collected")


def _lowerable(f: Finding) -> bool:
    return (f.rule in COOCCURRENCE_RULES and f.is_blocking and not f.flow
            and f.evidence.get("host_class") == HostClass.UNKNOWN.value
            and "lowered_from" not in f.evidence)


def _lowered(f: Finding) -> Finding:
    host = f.evidence.get("host") or "that host"
    return replace(
        f, severity=Severity.MEDIUM, confidence=Confidence.MEDIUM,
        message=(f"{f.message} (lowered: static analysis read all of this script and no data "
                 f"path leads from its fields to any sink, {host} included)"),
        evidence={**f.evidence, "lowered_from": f.severity.name.lower()},
    )
