"""STAGE 5 (report) — the JSON report, schema `skimscan/report/v1` (docs/reference/json.md).

A pure function of the `Report`: stable key order, findings in a total order, timestamps only
in the envelope. Request bodies are never written; evidence holds only what matched, and digit
runs that look like card numbers are masked on the way out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from skimscan.models import (
    Finding,
    Report,
    RequestRecord,
    ScriptReport,
    TargetReport,
    Verdict,
    luhn_valid,
)

SCHEMA = "skimscan/report/v1"
_PAN = re.compile(r"(?<!\d)(\d{6})\d{3,9}(\d{4})(?!\d)")


#: a card number written in groups ("4111 1111 1111 1111", "4111-1111-…"): 13-19 digits with
#: single spaces or dashes between them
_GROUPED = re.compile(r"(?<![\d-])\d{2,6}(?:[ -]\d{2,6}){2,5}(?![\d-])")


def _mask_grouped(m: re.Match[str]) -> str:
    text = m[0]
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    number = "".join(text[i] for i in digits)
    if not 13 <= len(number) <= 19 or not luhn_valid(number):
        return text  # dates, phone numbers, version strings: not a card
    hidden = set(digits[6:-4])
    return "".join("*" if i in hidden else c for i, c in enumerate(text))


def mask(text: str) -> str:
    """Keep the first 6 and last 4 digits of anything that looks like a card number: a run
    of 13-19 digits, or a Luhn-valid number written in groups. The length is kept."""
    text = _GROUPED.sub(_mask_grouped, text)
    return _PAN.sub(lambda m: f"{m.group(1)}{'*' * (len(m.group(0)) - 10)}{m.group(2)}", text)


def masked_json(value: Any) -> Any:
    """Evidence as JSON values with sorted keys and card-number-like digit runs masked."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {str(k): masked_json(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [masked_json(v) for v in value]
    return value


def finding_dict(f: Finding) -> dict[str, Any]:
    loc = f.location
    out: dict[str, Any] = {
        "rule": f.rule, "title": f.title, "severity": f.severity.label,
        "confidence": f.confidence.label, "script": f.script,
        "location": None if loc is None else {"line": loc.line, "column": loc.column},
        "message": mask(f.message), "evidence": masked_json(dict(f.evidence)), "tags": list(f.tags),
    }
    if f.flow:
        out["flow"] = [{"line": s.location.line, "column": s.location.column,
                        "step": mask(s.description)} for s in f.flow]
    if f.suppressed is not None:
        out["suppressed"] = f.suppressed
    return out


def script_dict(s: ScriptReport) -> dict[str, Any]:
    return {"id": s.id, "url": s.url, "kind": s.kind.value, "frame": s.frame,
            "sha256": s.sha256, "size": s.size, "host_class": s.host_class.value,
            "verdict": s.verdict.value, "parsed": s.parsed, "initiator": list(s.initiator),
            "authorization": s.authorization, "justification": s.justification,
            "library": s.library}


def request_dict(r: RequestRecord) -> dict[str, Any]:
    return {"url": mask(r.url), "method": r.method, "host": r.host, "script": r.script,
            "resource_type": r.resource_type, "status": r.status,
            "host_class": r.host_class.value, "carries_canary": r.carries_canary,
            "quarantined": r.quarantined}


def target_dict(t: TargetReport) -> dict[str, Any]:
    out = {"target": t.target, "kind": t.kind.value, "verdict": t.verdict.value,
           "error": t.error, "scripts": [script_dict(s) for s in t.scripts],
           "requests": [request_dict(r) for r in t.requests],
           "findings": [finding_dict(f) for f in t.findings], "notes": list(t.notes),
           "headers": dict(sorted(t.headers.items())), "page": masked_json(dict(t.page))}
    if t.detonation:  # files run on the synthetic checkout (scan-file --detonate)
        out["detonation"] = masked_json(dict(t.detonation))
    return out


def report_dict(report: Report) -> dict[str, Any]:
    summary = {"targets": len(report.targets)}
    for verdict, key in ((Verdict.MALICIOUS, "malicious"), (Verdict.SUSPICIOUS, "suspicious"),
                         (Verdict.CLEAN, "clean"), (Verdict.ERROR, "errors")):
        summary[key] = report.count(verdict)
    return {"schema": SCHEMA,
            "tool": {"name": "skimscan", "version": report.tool_version},
            "started_at": report.started_at, "finished_at": report.finished_at,
            "targets": [target_dict(t) for t in report.targets], "summary": summary}


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
