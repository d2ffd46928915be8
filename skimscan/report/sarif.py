"""STAGE 5 (report) — SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run. `tool.driver.rules` holds every loaded rule (help text with its description, MITRE
ATT&CK and PCI DSS links, `security-severity`, `precision`), plus a descriptor for each rule id
that only the pipeline emits (`runtime-*`, `unparsed-script`). Each finding at or above
`min_severity` is one result (the CLI passes `--min-severity`, default `low`, so informational
findings such as `card-field-read` stay out of code scanning unless asked for):
- location: the script's URL, or the file's path as GitHub code scanning wants it — relative
  to `root` (the repository: `--root` or the working directory), with `uriBaseId` `%SRCROOT%`,
  which `run.originalUriBaseIds` maps to `root` as a `file://` URI; relative paths in the report
  are relative to `cwd`. A file outside `root` keeps an absolute `file://` URI (and no base:
  SARIF allows `uriBaseId` only on relative references); 1-based line and column; inline code
  keeps the page's URL because its lines are the document's; findings with no script location
  point at the target itself;
- `codeFlows` from the taint path (`Finding.flow`), each step a thread-flow location whose
  message is the step's description;
- `partialFingerprints["skimscan/v1"]`: the stable fingerprint (`fingerprint.py`), so alerts
  survive line shifts and cache-busting query strings;
- `level` from the finding's own severity (critical/high → error, medium → warning,
  low/info → note); rules carry `security-severity` (9.5, 8.0, 5.5, 3.0, 1.0);
- suppressed findings (policy or baseline) stay, with an accepted `external` suppression and
  its written justification.

Invariants: a pure function of (Report, rules); keys and order are deterministic (only the
invocation's start/end times change between identical runs); card-number-like digit runs are
masked in every message, URI and evidence value; request bodies are never written.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from skimscan.analyze.rules import Rule
from skimscan.models import (
    Confidence,
    Finding,
    Report,
    ScriptKind,
    ScriptReport,
    Severity,
    TargetKind,
    TargetReport,
    Verdict,
)
from skimscan.report.fingerprint import SARIF_KEY, normalise_path, target_fingerprints
from skimscan.report.json_report import mask, masked_json

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: The base of repository-relative paths, as CodeQL names it (`run.originalUriBaseIds`).
SRCROOT = "%SRCROOT%"

LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "1.0"}
PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
_MITRE = re.compile(r"^T\d{4}(?:\.\d{3})?$")
_URI_SAFE = "/:@!$&'()*+,;=?#[]~%-._"


def _rule_name(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_.]", rule_id) if part)


def mitre_url(technique: str) -> str:
    return "https://attack.mitre.org/techniques/" + technique.replace(".", "/") + "/"


def _help(rule: Rule) -> dict[str, str]:
    lines = [rule.description.strip(), "",
             f"Severity: {rule.severity.label}. Confidence: {rule.confidence.label}."]
    md = [f"**{rule.title}**", "", rule.description.strip(), "",
          f"- Severity: `{rule.severity.label}`, confidence: `{rule.confidence.label}`"]
    if rule.mitre:
        lines.append("MITRE ATT&CK: " + ", ".join(rule.mitre))
        md.append("- MITRE ATT&CK: " + ", ".join(
            f"[{t}]({mitre_url(t)})" if _MITRE.match(t) else t for t in rule.mitre))
    if rule.pci:
        lines.append("PCI DSS: " + ", ".join(rule.pci))
        md.append("- PCI DSS v4.0: " + ", ".join(f"requirement {p}" for p in rule.pci))
    if rule.references:
        lines.append("References: " + " ".join(rule.references))
        md.extend(["", "References:", *(f"- <{r}>" for r in rule.references)])
    return {"text": "\n".join(lines), "markdown": "\n".join(md)}


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    tags = sorted({"security", *rule.tags, *(f"pci-dss:{p}" for p in rule.pci),
                   *(f"attack:{m}" for m in rule.mitre)})
    out: dict[str, Any] = {
        "id": rule.id, "name": _rule_name(rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": " ".join(rule.description.split())},
        "help": _help(rule),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": tags, "precision": PRECISION[rule.confidence],
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "severity": rule.severity.label, "confidence": rule.confidence.label,
        },
    }
    if rule.references:
        out["helpUri"] = rule.references[0]
    return out


def _pipeline_rule(f: Finding) -> Rule:
    """A descriptor for a rule id the pipeline emits without a YAML rule (runtime, parse)."""
    return Rule(id=f.rule, title=f.title, severity=f.severity, confidence=f.confidence,
                description=f.title + ". Emitted by skimscan's pipeline, not a rule file.",
                match={}, tags=tuple(t for t in f.tags if ":" not in t),
                mitre=tuple(t.split(":", 1)[1] for t in f.tags if t.startswith("attack:")),
                pci=tuple(t.split(":", 1)[1] for t in f.tags if t.startswith("pci-dss:")))


@dataclass(frozen=True)
class _Paths:
    """How local paths become artifact locations: relative to `root`, read relative to `cwd`."""

    root: str | None = None
    cwd: str | None = None

    def local(self, path: str) -> str:
        """`path` (POSIX, normalised) absolute when `cwd` says where a relative one is."""
        text = path.replace("\\", "/")
        if self.cwd and not posixpath.isabs(text) and not _DRIVE.match(text):
            text = posixpath.join(self.cwd.replace("\\", "/"), text)
        return normalise_path(text, self.root)


_DRIVE = re.compile(r"^[A-Za-z]:/")


def _location(address: str, paths: _Paths) -> dict[str, str]:
    """An artifact location for a URL or a local path: a local path under the root is relative,
    with the `%SRCROOT%` base; one outside it is an absolute `file://` URI."""
    scheme = urlsplit(address).scheme.lower() if "://" in address else ""
    if scheme:
        return {"uri": quote(mask(address), safe=_URI_SAFE)}
    path = paths.local(address.split("#", 1)[0])
    if posixpath.isabs(path):
        return {"uri": "file://" + quote(path, safe="/:@!$&'()*+,;=~-._")}
    if _DRIVE.match(path):  # a Windows drive path
        return {"uri": "file:///" + quote(path, safe="/:@!$&'()*+,;=~-._")}
    return {"uri": quote(path, safe="/@!$&'()*+,;=~-._"), "uriBaseId": SRCROOT}


def _with_fragment(location: dict[str, str], fragment: str) -> dict[str, str]:
    return {**location, "uri": f"{location['uri'].split('#', 1)[0]}#{fragment}"}


def artifact_location(script: ScriptReport | None, target: TargetReport,
                      paths: _Paths | None = None) -> dict[str, str]:
    """Where a finding is: the script's URL or path, or the target for page-level findings."""
    paths = paths or _Paths()
    page = _location(target.target, paths)
    if script is None:
        return page
    url = script.url
    if not url:  # code with no address of its own (eval without a source URL, handlers)
        return _with_fragment(page, f"{script.kind.value}-{script.sha256[:12]}")
    if url.startswith("data:"):
        return _with_fragment(page, f"data-{script.sha256[:12]}")
    location = _location(url, paths)
    if script.kind is ScriptKind.EVAL:  # lines are the eval'd code's, not the parent's
        return _with_fragment(location, f"eval-{script.sha256[:12]}")
    return location


def artifact_uri(script: ScriptReport | None, target: TargetReport,
                 root: str | None = None) -> str:
    """The URI of `artifact_location` (relative to `root` for local paths under it)."""
    return artifact_location(script, target, _Paths(root))["uri"]


def _region(line: int, column: int, end_line: int | None = None,
            end_column: int | None = None) -> dict[str, int]:
    region = {"startLine": max(1, line), "startColumn": max(0, column) + 1}
    if end_line is not None and end_line >= line:
        region["endLine"] = end_line
        if end_column is not None and (end_line > line or end_column > column):
            region["endColumn"] = end_column + 1
    return region


def _physical(location: dict[str, str], region: dict[str, int] | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": dict(location)}
    if region is not None:
        physical["region"] = region
    return physical


def _result(f: Finding, fp: str, rule_index: int, script: ScriptReport | None,
            target: TargetReport, paths: _Paths) -> dict[str, Any]:
    where = artifact_location(script, target, paths)
    loc = f.location
    region = None if loc is None else _region(loc.line, loc.column, loc.end_line, loc.end_column)
    result: dict[str, Any] = {
        "ruleId": f.rule, "ruleIndex": rule_index, "level": LEVELS[f.severity],
        "message": {"text": mask(f.message)},
        "locations": [{"physicalLocation": _physical(where, region)}],
        "partialFingerprints": {SARIF_KEY: fp},
    }
    if target.kind is TargetKind.PAGE and script is not None:
        result["relatedLocations"] = [{
            "id": 1, "physicalLocation": _physical(_location(target.target, paths), None),
            "message": {"text": f"on page {mask(target.target)}"},
        }]
    if f.flow:
        result["codeFlows"] = [{
            "message": {"text": f"taint path to {f.evidence.get('sink', 'the sink')}"},
            "threadFlows": [{"locations": [
                {"location": {
                    "physicalLocation": _physical(where, _region(step.location.line,
                                                                 step.location.column)),
                    "message": {"text": mask(step.description)},
                }, "executionOrder": i + 1}
                for i, step in enumerate(f.flow)
            ]}],
        }]
    if f.suppressed is not None:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": mask(f.suppressed)}]
    props: dict[str, Any] = {
        "severity": f.severity.label, "confidence": f.confidence.label,
        "target": mask(target.target), "targetKind": target.kind.value,
        "evidence": masked_json(dict(f.evidence)), "tags": list(f.tags),
    }
    if script is not None:
        props["script"] = {"id": script.id, "url": mask(script.url) if script.url else None,
                           "kind": script.kind.value, "sha256": script.sha256,
                           "hostClass": script.host_class.value}
    result["properties"] = props
    return result


def sarif_dict(report: Report, rules: Iterable[Rule] = (), *, root: str | None = None,
               cwd: str | None = None,
               min_severity: Severity = Severity.INFO) -> dict[str, Any]:
    """The SARIF log as a dict. `root` (the repository) makes file paths repository-relative;
    `cwd` is what relative paths in the report are relative to (default: `root`); findings
    below `min_severity` are left out (default: none)."""
    paths = _Paths(root, cwd)
    by_id: dict[str, Rule] = {r.id: r for r in rules}
    for t in report.targets:
        for f in t.findings:
            if f.rule not in by_id and f.severity >= min_severity:
                by_id[f.rule] = _pipeline_rule(f)
    ordered = sorted(by_id)
    index = {rid: i for i, rid in enumerate(ordered)}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for t in report.targets:
        scripts = {s.id: s for s in t.scripts}
        for f, fp in zip(t.findings, target_fingerprints(t, root), strict=True):
            if f.severity >= min_severity:
                results.append(_result(f, fp, index[f.rule], scripts.get(f.script or ""), t,
                                       paths))
        where = [{"physicalLocation": _physical(_location(t.target, paths), None)}]
        if t.verdict is Verdict.ERROR or t.error:
            notifications.append({"level": "error", "locations": where, "message": {
                "text": f"{mask(t.target)}: {mask(t.error or 'could not be scanned')}"}})
        notifications.extend({"level": "note", "locations": where,
                              "message": {"text": f"{mask(t.target)}: {mask(n)}"}}
                             for n in t.notes)
    invocation: dict[str, Any] = {
        "executionSuccessful": not any(t.verdict is Verdict.ERROR for t in report.targets),
    }
    if report.started_at:
        invocation["startTimeUtc"] = report.started_at
    if report.finished_at:
        invocation["endTimeUtc"] = report.finished_at
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    summary = {"targets": len(report.targets)}
    for verdict, key in ((Verdict.MALICIOUS, "malicious"), (Verdict.SUSPICIOUS, "suspicious"),
                         (Verdict.CLEAN, "clean"), (Verdict.ERROR, "errors")):
        summary[key] = report.count(verdict)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "skimscan", "version": report.tool_version,
            "semanticVersion": report.tool_version,
            "rules": [rule_descriptor(by_id[rid]) for rid in ordered],
        }},
        "invocations": [invocation],
        **_base_ids(root),
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "targets": [{"target": mask(t.target), "kind": t.kind.value,
                         "verdict": t.verdict.value,
                         "error": mask(t.error) if t.error else None} for t in report.targets],
            "summary": summary,
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _base_ids(root: str | None) -> dict[str, Any]:
    """`originalUriBaseIds`: where `%SRCROOT%` is, when the root is known (a base URI ends in
    a slash, RFC 3986)."""
    if not root:
        return {}
    path = posixpath.normpath(root.replace("\\", "/"))
    prefix = "file://" if path.startswith("/") else "file:///"
    uri = prefix + quote(path.rstrip("/") + "/", safe="/:@!$&'()*+,;=~-._")
    return {"originalUriBaseIds": {SRCROOT: {"uri": uri}}}


def render_sarif(report: Report, rules: Iterable[Rule] = (), *, root: str | None = None,
                 cwd: str | None = None, min_severity: Severity = Severity.INFO) -> str:
    """SARIF 2.1.0 text for `report`; pass the loaded rules (`engine.rules`) for help text."""
    log = sarif_dict(report, rules, root=root, cwd=cwd, min_severity=min_severity)
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
