"""The shipped rules: metadata, coverage, and each rule's annotated test file."""

from __future__ import annotations

import pytest

from skimscan.analyze.rules import load_rules
from skimscan.analyze.ruletest import check_rules
from skimscan.pipeline import Engine, analyze_source

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
