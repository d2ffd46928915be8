"""STAGE 5 (report) — JUnit XML, so that any CI (GitLab, Jenkins, Azure, CircleCI) shows findings.

One `<testsuite>` for the run and one `<testcase>` per target (page or file):
- a target with active findings at or above `fail_on` (severity) with at least
  `min_confidence` fails: one `<failure>` whose message names the worst rules and whose text
  lists every such finding (severity, confidence, rule, script:line, message, destination);
- a target that could not be scanned is an `<error>` (the scan is incomplete, as exit code 3),
  which outranks findings: they are listed in the error's text, so each case has one outcome;
- everything else passes; findings below the threshold and suppressed ones (with their
  reason) are listed in `<system-out>` so they are visible without failing the build.
`fail_on=None` (`--fail-on never`) fails nothing.

Invariants: a pure function of the report; the same report gives the same bytes (the suite's
`timestamp` is the only time in it); text is masked and stripped of characters XML 1.0 cannot
hold; the same threshold decides failures here and in the CLI's exit code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from skimscan.models import Confidence, Finding, Report, Severity, TargetReport, Verdict
from skimscan.report.json_report import mask

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: str) -> str:
    return _XML_BAD.sub("\ufffd", mask(value))


def fails(finding: Finding, fail_on: Severity | None, min_confidence: Confidence) -> bool:
    """The CLI's exit-code rule: active, at or above the severity, confident enough."""
    return (fail_on is not None and finding.suppressed is None
            and finding.severity >= fail_on and finding.confidence >= min_confidence)


def _where(f: Finding, scripts: dict[str, str]) -> str:
    where = scripts.get(f.script or "", f.script or "")
    if f.location is not None:
        where = f"{where}:{f.location.line}:{f.location.column + 1}"
    return where or "(page)"


def _line(f: Finding, scripts: dict[str, str]) -> str:
    dest = f.evidence.get("host")
    tail = f" [destination: {dest}]" if dest else ""
    return (f"{f.severity.label}/{f.confidence.label} {f.rule} at {_where(f, scripts)}: "
            f"{f.message}{tail}")


def _case(parent: ET.Element, t: TargetReport, fail_on: Severity | None,
          min_confidence: Confidence) -> tuple[int, int]:
    case = ET.SubElement(parent, "testcase", {
        "classname": f"skimscan.{t.kind.value}", "name": _text(t.target),
        "file": _text(t.target),
    })
    scripts = {s.id: (s.url or s.id) for s in t.scripts}
    failing = [f for f in t.findings if fails(f, fail_on, min_confidence)]
    other = [f for f in t.findings if not fails(f, fail_on, min_confidence)]
    threshold = fail_on.label if fail_on is not None else "never"
    listed = [_line(f, scripts) for f in failing]
    failures = errors = 0
    if t.verdict is Verdict.ERROR:  # one outcome per case; incomplete outranks findings (3 > 1)
        errors = 1
        text = [t.error or "", *t.notes]
        if failing:
            text += [f"and {len(failing)} finding(s) at or above {threshold}:", *listed]
        ET.SubElement(case, "error", {
            "type": "scan-incomplete",
            "message": _text(f"could not be scanned: {t.error or 'unknown reason'}"),
        }).text = _text("\n".join(text).strip())
    elif failing:
        failures = 1
        rules = sorted({f.rule for f in failing},
                       key=lambda r: (-max(f.severity for f in failing if f.rule == r), r))
        ET.SubElement(case, "failure", {
            "type": failing[0].severity.label,
            "message": _text(f"{t.verdict.value}: {len(failing)} finding(s) at or above "
                             f"{threshold} ({', '.join(rules)})"),
        }).text = _text("\n".join(listed))
    lines = [f"verdict: {t.verdict.value}"]
    if t.error and t.verdict is not Verdict.ERROR:
        lines.append(f"error: {t.error}")
    lines += [_line(f, scripts) + (f" (suppressed: {f.suppressed})" if f.suppressed else "")
              for f in other]
    lines += [f"note: {n}" for n in t.notes]
    ET.SubElement(case, "system-out").text = _text("\n".join(lines))
    return failures, errors


def render_junit(report: Report, fail_on: Severity | None = Severity.HIGH,
                 min_confidence: Confidence = Confidence.MEDIUM) -> str:
    """JUnit XML for `report`: a failing test case per target with findings at the threshold."""
    suites = ET.Element("testsuites", {"name": "skimscan"})
    suite = ET.SubElement(suites, "testsuite", {"name": "skimscan"})
    if report.started_at:
        suite.set("timestamp", report.started_at.removesuffix("Z"))
    props = ET.SubElement(suite, "properties")
    settings: Iterable[tuple[str, str]] = (
        ("skimscan.version", report.tool_version),
        ("fail-on", fail_on.label if fail_on is not None else "never"),
        ("min-confidence", min_confidence.label),
    )
    for name, value in settings:
        ET.SubElement(props, "property", {"name": name, "value": value})
    failures = errors = 0
    for t in report.targets:
        f, e = _case(suite, t, fail_on, min_confidence)
        failures += f
        errors += e
    counts = {"tests": str(len(report.targets)), "failures": str(failures),
              "errors": str(errors), "skipped": "0"}
    for element in (suites, suite):
        for key, value in counts.items():
            element.set(key, value)
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
