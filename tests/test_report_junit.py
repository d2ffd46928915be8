"""JUnit XML: one test case per target, failures at --fail-on, errors for incomplete scans."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from skimscan.cli import EXIT_FINDINGS, exit_code
from skimscan.models import Confidence, Severity, Verdict
from skimscan.report.junit import render_junit

from .test_report_sarif import PAGE, PAN, UNMASKED_PAN, sample_report


def cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    return {c.attrib["name"]: c for c in root.iter("testcase")}


def test_one_case_per_target_with_failures_and_errors() -> None:
    xml = render_junit(sample_report(), Severity.HIGH, Confidence.MEDIUM)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    root = ET.fromstring(xml)
    suite = root.find("testsuite")
    assert suite is not None
    assert (root.attrib["tests"], root.attrib["failures"], root.attrib["errors"]) == \
        ("3", "1", "1")
    assert suite.attrib["tests"] == "3" and suite.attrib["timestamp"] == "2026-01-01T00:00:00"
    by_name = cases(xml)
    assert set(by_name) == {PAGE, "build/js/checkout.js", "https://shop.example/broken"}

    page = by_name[PAGE]
    failure = page.find("failure")
    assert failure is not None and page.attrib["classname"] == "skimscan.page"
    assert failure.attrib["type"] == "critical"
    assert "2 finding(s) at or above high" in failure.attrib["message"]
    assert "card-data-to-lookalike-host" in failure.attrib["message"]
    text = failure.text or ""
    assert "critical/high card-data-to-lookalike-host at " \
           "https://shop.example/static/js/app.js?v=1700000000:12:5" in text
    assert "[destination: paymemts.example]" in text
    # below the threshold or accepted: visible, but not failing
    out = page.findtext("system-out") or ""
    assert "form-field-sweep" in out
    assert "(suppressed: the processor's own field)" in out
    assert "form-field-sweep" not in text

    assert by_name["build/js/checkout.js"].find("failure") is None  # medium < high
    broken = by_name["https://shop.example/broken"]
    error = broken.find("error")
    assert error is not None and "navigation timed out" in error.attrib["message"]


def test_threshold_and_confidence_decide_failures() -> None:
    report = sample_report()
    medium = cases(render_junit(report, Severity.MEDIUM, Confidence.MEDIUM))
    assert medium["build/js/checkout.js"].find("failure") is not None
    strict = cases(render_junit(report, Severity.MEDIUM, Confidence.HIGH))
    assert strict["build/js/checkout.js"].find("failure") is None  # only medium confidence
    never = ET.fromstring(render_junit(report, None, Confidence.LOW))
    assert never.attrib["failures"] == "0"
    setting = never.find("testsuite/properties/property[@name='fail-on']")
    assert setting is not None and setting.attrib["value"] == "never"


@pytest.mark.parametrize("fail_on", ["critical", "high", "medium", "low", "info", "never"])
@pytest.mark.parametrize("confidence", ["low", "medium", "high"])
def test_failures_agree_with_the_cli_exit_code(fail_on: str, confidence: str) -> None:
    report = sample_report()
    report = replace(report, targets=report.targets[:2])  # no error target: exit 0 or 1
    xml = render_junit(report, None if fail_on == "never" else Severity.parse(fail_on),
                       Confidence.parse(confidence))
    failed = ET.fromstring(xml).attrib["failures"] != "0"
    assert failed == (exit_code(report, fail_on, confidence) == EXIT_FINDINGS)


def test_accepted_findings_never_fail() -> None:
    report = sample_report()
    page = report.targets[0]
    accepted = tuple(replace(f, suppressed=f.suppressed or "known, ticket SEC-1")
                     for f in page.findings)
    report = replace(report, targets=(replace(page, findings=accepted,
                                              verdict=Verdict.CLEAN),))
    root = ET.fromstring(render_junit(report, Severity.INFO, Confidence.LOW))
    assert root.attrib["failures"] == "0"
    assert "known, ticket SEC-1" in (root.findtext("testsuite/testcase/system-out") or "")


def test_masked_escaped_and_xml_safe() -> None:
    report = sample_report(message=f"<b>&</b> card {PAN} \x01\x1b sent")
    xml = render_junit(report)
    root = ET.fromstring(xml)  # parses: control characters replaced, markup escaped
    assert PAN not in xml and not UNMASKED_PAN.search(xml)
    failure_text = root.findtext("testsuite/testcase/failure") or ""
    assert "<b>&</b> card 411111******1111 \ufffd\ufffd sent" in failure_text
    assert not re.search(r"<b>", xml)


def test_deterministic_apart_from_the_timestamp() -> None:
    first = render_junit(sample_report())
    assert render_junit(sample_report()) == first
    later = render_junit(sample_report(started="2027-02-02T02:02:02Z"))
    assert later.replace("2027-02-02T02:02:02", "2026-01-01T00:00:00") == first


def test_an_incomplete_target_is_an_error_even_with_findings() -> None:
    report = sample_report()
    page = replace(report.targets[0], verdict=Verdict.ERROR, error="one script timed out")
    case = cases(render_junit(replace(report, targets=(page,))))[PAGE]
    assert [child.tag for child in case] == ["error", "system-out"]  # one outcome per case
    error = case.find("error")
    assert error is not None and "one script timed out" in error.attrib["message"]
    assert "and 2 finding(s) at or above high:" in (error.text or "")
    assert "card-data-to-lookalike-host" in (error.text or "")
