"""When `--detonate auto` runs a file in the browser: the reasons, as a table.

Detonation costs seconds per file; static analysis costs milliseconds. `auto` detonates only
the files static analysis could not settle: not already malicious, and at least one reason
below holds. A minified library that reads no form and hides nothing is not detonated, so a
folder of ordinary bundles stays about as fast as a static scan.
"""

from __future__ import annotations

from collections.abc import Callable

from skimscan.analyze.analyzer import RawAnalysis
from skimscan.analyze.opacity import has_kind, obfuscated, reads_card, unread_code, watches_forms
from skimscan.models import HostClass, TargetReport, Verdict
from skimscan.policy.observed import GATE_RULES


def _opaque_code(raw: RawAnalysis) -> bool:
    """Code built at run time that static analysis could not read, in a file that watches
    forms (a loader whose stage only the browser assembles)."""
    return unread_code(raw) and (watches_forms(raw) or reads_card(raw))


def _unresolved_send(raw: RawAnalysis) -> bool:
    """Data goes to a destination static analysis could not name, from code that watches
    forms or keys (plain libraries send to computed URLs all the time)."""
    unresolved = any(sink.url is None for sink in raw.sinks) or any(
        f.kind == "form-action" and (
            not f.get("host") or f.get("host_class") == HostClass.UNRESOLVED.value)
        for f in raw.facts)
    return unresolved and watches_forms(raw)


#: (reason, test); the first that holds is enough, all that hold are reported.
REASONS: tuple[tuple[str, Callable[[RawAnalysis], bool]], ...] = (
    ("unparsable", lambda raw: raw.parse_error is not None),
    ("obfuscated", obfuscated),
    ("runs code static analysis could not read", _opaque_code),
    ("reads card-like fields", reads_card),
    ("sends to destinations static analysis could not resolve", _unresolved_send),
    ("checks its environment", lambda raw: has_kind(raw, "anti-analysis", "url-gate",
                                                     "visitor-gate")),
)


def only_beside(target: TargetReport) -> bool:
    """Malicious only by co-occurrence: every blocking finding is card or form reads beside a
    send to an *unknown* host, with no taint path between them, and nothing gates or hides the
    script. Fraud collectors, funnel analytics and address widgets look like that too; running
    the file settles it (a send after typing without the card lowers these findings, as on
    page scans; the canary leaving makes it malicious by proof)."""
    blocking = [f for f in target.findings if f.is_blocking and f.suppressed is None]
    return bool(blocking) and all(
        not f.flow and f.evidence.get("host_class") == HostClass.UNKNOWN.value
        and "lowered_from" not in f.evidence for f in blocking) and not any(
        f.rule in GATE_RULES or "evasion" in f.tags or "ioc" in f.tags or "obfuscation" in f.tags
        for f in target.findings)


def reasons(target: TargetReport, raws: list[RawAnalysis | str]) -> list[str]:
    """Why `auto` should detonate this file target (empty: it should not)."""
    if target.verdict is Verdict.MALICIOUS:
        return (["static analysis found card reads beside a send, with no path between them"]
                if only_beside(target) else [])
    found: list[str] = []
    if target.verdict is Verdict.SUSPICIOUS:
        found.append("static analysis found it suspicious")
    if target.verdict is Verdict.ERROR or any(isinstance(r, str) for r in raws):
        found.append("static analysis could not finish")
    for name, test in REASONS:
        if any(isinstance(r, RawAnalysis) and test(r) for r in raws):
            found.append(name)
    return found
