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
typing (nothing was observed, so nothing outranks the static path), or when a send carried
something the canary search cannot read (binary, or base64 of binary: a cipher of the kit's
own), since that is no evidence the card stayed home. A detonated file's static
findings are weighed the same way against its detonation pages (detonate/files.py `merge`).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from skimscan.analyze.canary import b64_candidates
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


_MAX_READ = 65536
_DEPTH = 3
#: a value this long with no space, in an alphabet of letters, digits and symbols, and of high
#: entropy, is a token the canary search cannot read (a cipher of the kit's own). Shorter ones
#: are the session and visitor ids every analytics or fraud script sends (16 characters of
#: base36 is common); card number, expiry and code together cipher to more.
_TOKEN_MIN = 20
_TOKEN_ENTROPY = 3.6
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PAIRS = re.compile(r"[\w.\[\]%-]{1,64}=[^&]*(?:&[\w.\[\]%-]{1,64}=[^&]*)*&?")
_PLAIN = re.compile(r"[-+]?[0-9][0-9.,:_ ]*|[0-9a-fA-F-]+|https?://\S+|[A-Za-z_. -]+")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _readable_value(value: str, depth: int) -> bool:
    """A value the canary search reads through: short, words, numbers, hex and UUIDs (hashes
    and ids carry nothing to recover), URLs, or a base64/JSON/query layer made of such."""
    if len(value) < _TOKEN_MIN or _PLAIN.fullmatch(value) or " " in value.strip():
        return True
    if depth > 0 and any(readable(raw, depth - 1) for raw, _label in b64_candidates(value)):
        return True  # a base64 layer, decoded as the canary search decodes it
    return _entropy(value) < _TOKEN_ENTROPY


def readable(data: bytes, depth: int = _DEPTH) -> bool:
    """Whether the canary search can read everything a send carried: nothing, or text that is
    JSON or `key=value` pairs whose values are readable (`_readable_value`). Anything else —
    binary, a blob of the kit's own cipher, a long random token — is no evidence that the
    card stayed home, so such a send never lowers a finding."""
    if not data:
        return True
    try:
        text = data[:_MAX_READ].decode("utf-8")
    except UnicodeDecodeError:
        return False
    if _CONTROL.search(text):
        return False
    try:
        parsed = json.loads(text)
    except ValueError:
        if not _PAIRS.fullmatch(text):
            return _readable_value(text, depth)
        return all(_readable_value(k, depth) and _readable_value(v, depth)
                   for k, v in parse_qsl(text, keep_blank_values=True))
    return all(_readable_value(v, depth) for v in _strings(parsed))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _sends(requests: Iterable[RequestRecord], frames: Iterable[WebSocketMessage],
           ) -> dict[tuple[str, str], list[bool]]:
    """(script, host) -> for each send seen after typing, whether it carried the canary or
    something the canary search could not read (not `readable`).

    After typing, a send to an untrusted host is quarantined: that is how "after typing" is
    known without timestamps; sends to trusted hosts never raise these findings."""
    out: dict[tuple[str, str], list[bool]] = {}
    for r in requests:
        if r.quarantined:
            query = urlsplit(r.url).query.encode("utf-8", "replace")
            unknown = r.carries_canary or not readable(r.body or b"") or not readable(query)
            for script in {r.script, *r.stack} - {None}:
                out.setdefault((str(script), r.host), []).append(unknown)
    for m in frames:
        if m.quarantined and m.script:
            out.setdefault((m.script, (urlsplit(m.url).hostname or "").lower()),
                           []).append(not readable(m.payload.encode("utf-8", "surrogatepass")))
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
            f = lower(f, host, len(seen))
        out.append(f)
    return out


def lower(f: Finding, host: str, sends: int, where: str = "") -> Finding:
    """`f` lowered to medium because `sends` sends of its script to `host`, seen after the
    canary was typed, never carried the card (`where`: on which page, if not the scanned one)."""
    return replace(
        f, severity=Severity.MEDIUM, confidence=Confidence.MEDIUM,
        message=(f"{f.message} (lowered: after the canary card was typed{where}, this script "
                 f"sent to {host} {sends} time(s), never with the card)"),
        evidence={**f.evidence, "observed_sends": sends, "lowered_from": f.severity.name.lower()},
    )
