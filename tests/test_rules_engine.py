"""The rule loader and evaluator: clear file:line errors, conditions, composites."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.analyze.facts import Fact
from skimscan.analyze.rules import RuleSet, ScriptContext, load_rule_file, load_rules
from skimscan.errors import RuleError
from skimscan.models import Location

GOOD = """id: {id}
title: T
severity: high
confidence: medium
description: d
references: [https://example.org]
mitre: [T1056]
pci: ["6.4.3"]
match:
{match}
"""


def write(tmp_path: Path, rid: str, match: str, **extra: str) -> Path:
    text = GOOD.format(id=rid, match=match)
    for key, value in extra.items():
        text += f"{key}: {value}\n"
    path = tmp_path / f"{rid}.yaml"
    path.write_text(text)
    return path


def test_valid_rule_loads(tmp_path: Path) -> None:
    rule = load_rule_file(write(tmp_path, "r1", "  fact: card-read"))
    assert rule.id == "r1" and rule.severity.label == "high" and rule.pci == ("6.4.3",)


@pytest.mark.parametrize(
    ("match", "needle", "line"),
    [
        ("  fact: card-reed", "unknown fact kind 'card-reed'", 10),
        ("  fact: card-read\n  where:\n    colour: red", "has no attribute 'colour'", 10),
        ("  text: '(unclosed'", "not valid RE2", 10),
        ("  flow:\n    labels: [cash]", "unknown taint label", 10),
        ("  bogus: 1", "unknown match key", 10),
        ("  fact: card-read\n  where:\n    field: {like: x}", "unknown condition like", 12),
    ],
)
def test_bad_rules_name_file_and_line(tmp_path: Path, match: str, needle: str, line: int) -> None:
    path = write(tmp_path, "bad", match)
    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert needle in message


def test_invalid_yaml_points_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\ntitle: [unclosed\nseverity: high\n")
    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    assert str(info.value).startswith(f"{path}:") and "invalid YAML" in str(info.value)


def test_missing_key_and_id_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("id: x\ntitle: t\nseverity: high\nconfidence: low\nmatch: {fact: card-read}\n")
    with pytest.raises(RuleError, match="missing required key 'description'"):
        load_rule_file(path)
    other = write(tmp_path, "named", "  fact: card-read")
    other.rename(tmp_path / "renamed.yaml")
    with pytest.raises(RuleError, match="must equal the file name"):
        load_rule_file(tmp_path / "renamed.yaml")


def test_bad_severity(tmp_path: Path) -> None:
    path = write(tmp_path, "sev", "  fact: card-read").read_text().replace("high", "huge")
    (tmp_path / "sev.yaml").write_text(path)
    with pytest.raises(RuleError, match="unknown severity 'huge'"):
        load_rule_file(tmp_path / "sev.yaml")


def test_unknown_rule_reference_and_cycle(tmp_path: Path) -> None:
    write(tmp_path, "a", "  rule: b")
    with pytest.raises(RuleError, match="unknown rule 'b'"):
        load_rules([tmp_path])
    write(tmp_path, "b", "  rule: a")
    with pytest.raises(RuleError, match="cycle"):
        load_rules([tmp_path])


def _ctx(*facts: Fact, text: str = "", parsed: bool = True) -> ScriptContext:
    return ScriptContext(list(facts), text, "ab" * 32, parsed)


def test_conditions_and_composites(tmp_path: Path) -> None:
    write(tmp_path, "sink-unknown",
          "  fact: network-sink\n  where:\n    host_class: {in: [unknown]}\n    tainted: true")
    write(tmp_path, "combo", "  all:\n    - fact: card-read\n    - rule: sink-unknown")
    write(tmp_path, "none-card", "  all:\n    - fact: network-sink\n    - not: {fact: card-read}")
    rules = load_rules([tmp_path])
    sink = Fact("network-sink", Location(7, 2), {"host_class": "unknown", "tainted": True})
    read = Fact("card-read", Location(3, 0), {"field": "#cc"})
    found = {(f.rule, f.location.line) for f in rules.evaluate(_ctx(read, sink)) if f.location}
    assert found == {("sink-unknown", 7), ("combo", 3)}
    safe = Fact("network-sink", Location(9, 0), {"host_class": "processor", "tainted": True})
    assert {f.rule for f in rules.evaluate(_ctx(read, safe))} == set()
    assert {f.rule for f in rules.evaluate(_ctx(safe))} == {"none-card"}


def test_text_rules_run_on_unparsed_scripts_and_others_do_not(tmp_path: Path) -> None:
    write(tmp_path, "t", "  text: 'evil\\.example'")
    write(tmp_path, "f", "  fact: card-read")
    rules = load_rules([tmp_path])
    read = Fact("card-read", Location(1, 0), {})
    findings = rules.evaluate(_ctx(read, text="x\n  evil.example", parsed=False))
    assert [(f.rule, f.location.line if f.location else 0) for f in findings] == [("t", 2)]


def test_messages_render_attributes(tmp_path: Path) -> None:
    write(tmp_path, "m", "  fact: network-sink", message="'sent to {host} ({missing})'")
    rules = RuleSet([load_rule_file(tmp_path / "m.yaml")])
    sink = Fact("network-sink", Location(1, 0), {"host": "drop.example"})
    assert rules.evaluate(_ctx(sink))[0].message == "sent to drop.example (?)"


def test_docs_facts_table_names_every_fact_kind_and_attribute() -> None:
    """docs/facts.md is what rule authors read: every kind and attribute the loader accepts is
    in its table, and it names none the loader would reject."""
    import re
    from pathlib import Path

    from skimscan.analyze.facts import FACT_KINDS

    text = (Path(__file__).resolve().parents[1] / "docs" / "facts.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            for kind in re.findall(r"`([a-z-]+)`", cells[0]):
                rows[kind] = set(re.findall(r"`([a-z_]+)`", cells[1]))
    assert set(rows) == set(FACT_KINDS)
    for kind, attrs in FACT_KINDS.items():
        assert attrs <= rows[kind], (kind, attrs - rows[kind])
        documented_attrs = {a for a in rows[kind] if a in {x for v in FACT_KINDS.values()
                                                            for x in v}}
        assert documented_attrs <= attrs, (kind, documented_attrs - attrs)
