"""STAGE 3 (analyze) — check rules against their annotated test files.

Each rule `rules/<category>/<id>.yaml` has `<id>.js` beside it. A line `// ruleid: ID` says the
next code line must produce a finding of rule ID; `// ok: ID` says it must not. Several ids may
be listed, comma-separated. A line `// ---` splits the file into sections analysed as separate
scripts (line numbers are kept), so whole-script rules can have positive and negative cases.
Every rule needs at least one `ruleid:` and one `ok:` annotation, so that a rule which
matches nothing and a rule which matches everything both fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from skimscan.analyze.rules import RuleSet
from skimscan.models import Finding

_ANNOTATION = re.compile(r"^\s*(?://|/\*|<!--)\s*(ruleid|ok)\s*:\s*([\w,\s-]+?)\s*(?:\*/|-->)?\s*$")


@dataclass(frozen=True)
class RuleTestResult:
    rule: str
    test_file: str
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def rule_annotations(text: str) -> list[tuple[str, str, int]]:
    """(kind, rule id, expected line) for every annotation; the line is the next code line."""
    lines = text.splitlines()
    found: list[tuple[str, str, int]] = []
    for i, line in enumerate(lines):
        m = _ANNOTATION.match(line)
        if not m:
            continue
        target = i + 1
        while target < len(lines) and (
            not lines[target].strip() or _ANNOTATION.match(lines[target])
        ):
            target += 1
        for rid in m.group(2).split(","):
            if rid.strip():
                found.append((m.group(1), rid.strip(), target + 1))
    return found


def sections(text: str) -> list[str]:
    """Split on `// ---` lines; each section keeps its line numbers (earlier lines blanked)."""
    lines = text.split("\n")
    out: list[str] = []
    start = 0
    for i, line in enumerate([*lines, "// ---"]):
        if line.strip() == "// ---":
            if any(x.strip() for x in lines[start:i]):
                out.append("\n" * start + "\n".join(lines[start:i]))
            start = i + 1
    return out


def check_rules(rules: RuleSet, analyze: Callable[[str], list[Finding]],
               only: set[str] | None = None) -> list[RuleTestResult]:
    results: list[RuleTestResult] = []
    for rule in rules:
        if only and rule.id not in only:
            continue
        test_file = Path(rule.test_file)
        if not test_file.exists():
            results.append(RuleTestResult(rule.id, str(test_file), ("missing test file",)))
            continue
        text = test_file.read_text(encoding="utf-8")
        notes = [a for a in rule_annotations(text) if a[1] == rule.id]
        failures: list[str] = []
        if not any(k == "ruleid" for k, _, _ in notes):
            failures.append("no '// ruleid:' annotation for this rule")
        if not any(k == "ok" for k, _, _ in notes):
            failures.append("no '// ok:' annotation for this rule")
        lines: set[int] = set()
        for section in sections(text):
            findings = analyze(section)
            lines |= {f.location.line for f in findings if f.rule == rule.id and f.location}
        for kind, _, line in notes:
            if kind == "ruleid" and line not in lines:
                failures.append(f"{test_file.name}:{line}: expected a finding, got none")
            if kind == "ok" and line in lines:
                failures.append(f"{test_file.name}:{line}: unexpected finding")
        results.append(RuleTestResult(rule.id, str(test_file), tuple(failures)))
    return results
