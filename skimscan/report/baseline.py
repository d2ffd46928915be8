"""STAGE 5 (report) — baselines: accepted findings, so CI fails only on new ones.

A baseline is a versioned JSON file a team commits beside its CI configuration:

    {"schema": "skimscan/baseline/v1",
     "tool": {"name": "skimscan", "version": "0.1.0"},
     "entries": [{"fingerprint": "<32 hex>:0", "rule": "card-field-read",
                  "target": "https://shop.example/checkout", "reason": "our own card form",
                  "script": "https://shop.example/js/checkout.js",
                  "message": "reads #cc_number via querySelector"}]}

`fingerprint` (see `fingerprint.py`: rule + script identity + evidence key, never a line) is
what matches; `rule` and `target` say what was accepted; `reason` is required (a suppression
always carries a written justification); `script` and `message` are there for the person who
reviews the file and are not used for matching. An accepted finding matches on every target
where the same script does the same thing.

Invariants: `apply_baseline` suppresses, never drops — an accepted finding stays in the report
with `suppressed=<reason>`, and verdicts are recomputed from the findings that remain active.
A finding already suppressed (by a policy) keeps its own reason. Loading never half-succeeds:
a bad file is a `ConfigError` naming the file and the entry. The file is written with sorted
entries and no timestamp, so re-writing an unchanged baseline changes no byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from skimscan.errors import ConfigError
from skimscan.models import Report, ScriptReport, TargetReport, Verdict, verdict_for
from skimscan.report.fingerprint import FINGERPRINT_RE, target_fingerprints
from skimscan.report.json_report import mask

SCHEMA = "skimscan/baseline/v1"
_ENTRY_KEYS = ("fingerprint", "rule", "target", "reason")


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    rule: str
    target: str
    reason: str
    script: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Baseline:
    """Accepted findings, by fingerprint. The first entry for a fingerprint wins."""

    entries: tuple[BaselineEntry, ...] = ()
    path: str | None = None

    def reason_for(self, fingerprint: str) -> str | None:
        for entry in self.entries:
            if entry.fingerprint == fingerprint:
                return entry.reason
        return None

    def reasons(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for entry in self.entries:
            out.setdefault(entry.fingerprint, entry.reason)
        return out


# --- reading ---------------------------------------------------------------------------------


def parse_baseline(data: Any, source: str = "<baseline>") -> Baseline:
    """Validate decoded JSON as a baseline; `ConfigError` names `source` and the bad entry."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a baseline is a JSON object with 'schema' and 'entries'")
    schema = data.get("schema")
    if schema != SCHEMA:
        raise ConfigError(f"{source}: unsupported baseline schema {schema!r} (this skimscan "
                          f"reads {SCHEMA!r}; write a new one with --write-baseline)")
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list):
        raise ConfigError(f"{source}: 'entries' must be a list")
    entries: list[BaselineEntry] = []
    for i, raw in enumerate(raw_entries):
        where = f"{source}: entry {i + 1}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: must be an object with {', '.join(_ENTRY_KEYS)}")
        missing = [k for k in _ENTRY_KEYS if not isinstance(raw.get(k), str)]
        if missing:
            raise ConfigError(f"{where}: missing or non-text {', '.join(missing)}")
        if not FINGERPRINT_RE.match(raw["fingerprint"]):
            raise ConfigError(f"{where}: fingerprint {raw['fingerprint']!r} is not a skimscan "
                              "v1 fingerprint (32 hex digits, ':', a number)")
        if not raw["reason"].strip():
            raise ConfigError(f"{where}: 'reason' is empty; every accepted finding needs a "
                              "written reason")
        extra = {k: raw.get(k) for k in ("script", "message")}
        entries.append(BaselineEntry(
            fingerprint=raw["fingerprint"], rule=raw["rule"], target=raw["target"],
            reason=raw["reason"].strip(),
            script=extra["script"] if isinstance(extra["script"], str) else None,
            message=extra["message"] if isinstance(extra["message"], str) else None,
        ))
    return Baseline(tuple(entries), source)


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline file; every problem is a one-line `ConfigError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: baseline file not found (create one with "
                          "--write-baseline FILE --reason TEXT)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read baseline: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}:{exc.lineno}: baseline is not valid JSON: {exc.msg}") from None
    return parse_baseline(data, str(p))


# --- writing ---------------------------------------------------------------------------------


def baseline_entries(report: Report, reason: str, root: str | None = None
                     ) -> tuple[BaselineEntry, ...]:
    """One entry per finding of `report`. Findings already suppressed keep their reason."""
    if not reason.strip():
        raise ConfigError("a baseline needs a reason (--reason TEXT): why are these findings "
                          "accepted?")
    seen: dict[str, BaselineEntry] = {}
    for target in report.targets:
        scripts = {s.id: s for s in target.scripts}
        for finding, fp in zip(target.findings, target_fingerprints(target, root), strict=True):
            if fp in seen:
                continue
            script = scripts.get(finding.script or "")
            seen[fp] = BaselineEntry(
                fingerprint=fp, rule=finding.rule, target=target.target,
                reason=finding.suppressed or reason.strip(),
                script=(script.url or script.kind.value) if script else None,
                message=mask(finding.message),
            )
    return tuple(sorted(seen.values(), key=lambda e: (e.target, e.rule, e.fingerprint)))


def render_baseline(report: Report, reason: str, root: str | None = None) -> str:
    """The baseline file's text for `report` (pure; `write_baseline` writes it)."""
    entries = []
    for e in baseline_entries(report, reason, root):
        entry: dict[str, Any] = {"fingerprint": e.fingerprint, "rule": e.rule,
                                 "target": e.target, "reason": e.reason}
        if e.script is not None:
            entry["script"] = e.script
        if e.message is not None:
            entry["message"] = e.message
        entries.append(entry)
    data = {"schema": SCHEMA, "tool": {"name": "skimscan", "version": report.tool_version},
            "entries": entries}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_baseline(report: Report, path: str | Path, reason: str,
                   root: str | None = None) -> Baseline:
    """Accept every finding of `report`: write the baseline file and return what it holds.
    Its folder is created (a baseline lives beside the CI configuration, e.g. in `.skimscan/`,
    which the first run has not made yet)."""
    text = render_baseline(report, reason, root)
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot write baseline: {exc}") from None
    return parse_baseline(json.loads(text), str(p))


# --- applying --------------------------------------------------------------------------------


def _rejudge(target: TargetReport, touched: set[str]) -> TargetReport:
    def script_verdict(s: ScriptReport) -> ScriptReport:
        if s.id not in touched or s.verdict is Verdict.ERROR:
            return s
        return replace(s, verdict=verdict_for([f for f in target.findings if f.script == s.id]))

    scripts = tuple(script_verdict(s) for s in target.scripts)
    verdict = target.verdict
    if verdict is not Verdict.ERROR:
        verdict = verdict_for(target.findings)
        if target.error is not None and verdict is not Verdict.MALICIOUS:
            verdict = Verdict.ERROR  # a script we could not analyse never looks clean
    return replace(target, scripts=scripts, verdict=verdict)


def apply_baseline(report: Report, baseline: Baseline, root: str | None = None) -> Report:
    """Mark findings the baseline accepts as `suppressed=<reason>`; keep everything else."""
    reasons = baseline.reasons()
    targets: list[TargetReport] = []
    for target in report.targets:
        findings = list(target.findings)
        touched: set[str] = set()
        for i, fp in enumerate(target_fingerprints(target, root)):
            reason = reasons.get(fp)
            if reason is not None and findings[i].suppressed is None:
                findings[i] = replace(findings[i], suppressed=reason)
                touched.add(findings[i].script or "")
        if touched:
            target = _rejudge(replace(target, findings=tuple(findings)), touched)
        targets.append(target)
    return replace(report, targets=tuple(targets))
