"""STAGE 3 (analyze): the canary never reaches a report in any encoding the search knows.

Reports mask card-number-like digit runs on the way out (report/json_report.py `mask`), but
the canary a scan typed also travels base64-encoded, URL-encoded, XORed, ROT13'd… in request
URLs, excerpts and messages, where no digit run shows. A page scan knows its canary, so it
replaces every token that holds the whole canary number, in any of those encodings, with
`[canary: <encoding>]` before anything is reported or stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from skimscan.analyze.canary import find_canary
from skimscan.models import Canary

#: a run of characters an encoded canary is made of (base64/url/hex/escapes), long enough
_TOKEN = re.compile(r"[A-Za-z0-9+/_%.~\\-]{12,}={0,2}")


def redact_text(text: str, canary: Canary) -> str:
    """`text` with every token that holds the whole canary number replaced."""
    def clean(m: re.Match[str]) -> str:
        found = [f for f in find_canary(canary, m[0]) if f.is_full]
        return f"[canary: {found[0].encoding}]" if found else m[0]

    return _TOKEN.sub(clean, text) if len(text) >= 12 else text


def redact_value(value: Any, canary: Canary) -> Any:
    """Evidence (strings, lists, mappings) with the canary redacted in every string."""
    if isinstance(value, str):
        return redact_text(value, canary)
    if isinstance(value, Mapping):
        return {k: redact_value(v, canary) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v, canary) for v in value)
    return value
