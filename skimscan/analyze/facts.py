"""STAGE 3 (analyze) — facts: what a script does, independent of any rule.

A fact is a kind plus attributes plus a location. Rules (YAML) match facts; they never see the
AST. Kinds and their attributes are documented in `docs/facts.md`, and this is the list the rule
loader validates rule files against, so a typo in a rule is a load error, not a silent miss.

Taint flows are facts too (kind `flow`): a path from card data to a sink, with its steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from skimscan.models import FlowStep, Location

#: Fact kinds and the attributes each may carry.
FACT_KINDS: Mapping[str, frozenset[str]] = {
    "card-read": frozenset({"field", "via"}),
    "input-sweep": frozenset({"selector", "via"}),
    "form-serialize": frozenset({"via"}),
    "listener": frozenset({"event", "target", "via", "selector"}),
    "network-sink": frozenset(
        {"sink", "url", "host", "host_class", "service", "category", "reason", "method",
         "tainted", "labels", "mode", "lookalike_of"}
    ),
    "dom-inject": frozenset({"element", "via"}),
    "form-action": frozenset({"url", "host", "host_class", "tainted"}),
    "storage-write": frozenset({"store", "key", "tainted", "labels"}),
    "storage-read": frozenset({"store", "key"}),
    "timer": frozenset({"fn", "delay", "string_code"}),
    "anti-analysis": frozenset({"check", "collected"}),
    "token-field": frozenset({"via"}),
    "url-gate": frozenset({"pattern", "via"}),
    "visitor-gate": frozenset({"store", "key"}),
    "dynamic-code": frozenset({"via", "decoded", "size"}),
    "obfuscation": frozenset({"measure", "score"}),
    "recovered-string": frozenset({"value", "via", "host", "host_class", "lookalike_of"}),
    "mutation-observer": frozenset(),
    "self-remove": frozenset({"via"}),
    "handler-rewrite": frozenset({"event", "target"}),
    "script": frozenset({"host_class", "kind", "url", "service", "category"}),
    "flow": frozenset(
        {"labels", "sink", "host", "host_class", "service", "category", "url", "lookalike_of",
         "steps", "encoded", "reason"}
    ),
}

#: Taint labels: what kind of data a value carries.
LABELS = frozenset({"card", "form", "keys", "input", "stored", "request"})


@dataclass(frozen=True)
class Fact:
    """One observed behaviour. `attrs` values are str, int, bool, None or tuples of str."""

    kind: str
    location: Location
    attrs: Mapping[str, Any] = field(default_factory=dict)
    flow: tuple[FlowStep, ...] = ()

    def get(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)
