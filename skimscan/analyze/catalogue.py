"""STAGE 3 (analyze) — the catalogue of every rule: the rules the pipeline emits without a rule
file, as data, and one summary shape for them and the YAML rules.

The YAML rules describe themselves (`rules.py`). The pipeline's own findings — a script that
could not be parsed, data a page sent, the canary card seen leaving — are written by code in
several stages, and a policy, `skimscan rules list` and the reference (docs/reference/rules.md)
need them described in one place: `PIPELINE_RULES` is that place. The policy derives the rule
ids it accepts from it (`skimscan.policy.policy.PIPELINE_RULE_IDS`), and the emitting code takes
the title from it where one title fits every case.

A pipeline rule may take several severities: `variants` lists each with when it applies, worst
first (the first is the one `rules list` shows). Two things change any rule's severity after it
is emitted, and are not repeated per rule: a policy `override`, and detonation's cap (a finding
that rests on elements the sandbox created for the file is at most high/medium).

Nothing here imports the policy, report or scanner layers: they import this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from skimscan.analyze.rules import Rule
from skimscan.models import Confidence, Severity

#: Where a finding comes from: analysis of code (files, a page's scripts, code a detonated file
#: produced), runtime evidence of a page loaded in the browser (`scan`), or runtime evidence of
#: a file run on the synthetic checkout (`scan-file --detonate`).
STAGES = ("static analysis", "page scan", "detonation")
#: `source` of a summary: a rule file, or the pipeline's own code.
SOURCE_YAML, SOURCE_PIPELINE = "yaml", "pipeline"


@dataclass(frozen=True)
class Variant:
    """One severity/confidence a pipeline rule is emitted with, and when."""

    severity: Severity
    confidence: Confidence
    when: str


@dataclass(frozen=True)
class PipelineRule:
    """A rule the pipeline emits without a rule file."""

    id: str
    title: str
    category: str
    variants: tuple[Variant, ...]  # worst first
    description: str
    stages: tuple[str, ...]
    tags: tuple[str, ...] = ()  # as emitted, without the `attack:`/`pci-dss:` ones
    mitre: tuple[str, ...] = ()
    pci: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        return self.variants[0].severity

    @property
    def confidence(self) -> Confidence:
        return self.variants[0].confidence

    @property
    def finding_tags(self) -> tuple[str, ...]:
        """The tags its findings carry, as a YAML rule's do (`RuleSet._finding`)."""
        return tuple(sorted({*self.tags, *(f"pci-dss:{p}" for p in self.pci),
                             *(f"attack:{m}" for m in self.mitre)}))


#: Every rule id the pipeline emits without a rule file, in one table.
PIPELINE_RULE_TABLE: tuple[PipelineRule, ...] = (
    PipelineRule(
        id="unparsed-script", title="Script could not be parsed", category="analysis",
        variants=(Variant(Severity.LOW, Confidence.HIGH, "always"),),
        description="The script is not valid JavaScript, or is over the parse budget (size, "
                    "nesting, time), so no syntax tree was built: only the text-level rules "
                    "(`text:`, `ioc:`) ran on it. An analysis gap to look at, not a verdict; "
                    "the reason is in the evidence.",
        stages=("static analysis",), tags=("analysis-gap",)),
    PipelineRule(
        id="partially-parsed-script", title="Part of the script could not be parsed",
        category="analysis",
        variants=(Variant(Severity.LOW, Confidence.HIGH, "always"),),
        description="Some statements are not valid JavaScript. The parser (tree-sitter) "
                    "recovered: the broken statements were left out and everything else was "
                    "analysed. The evidence lists each one with its line. An analysis gap to "
                    "look at (a skimmer hidden in the broken part was not analysed), not a "
                    "verdict.",
        stages=("static analysis",), tags=("analysis-gap",)),
    PipelineRule(
        id="deobfuscation-incomplete", title="Deobfuscation stopped before it was done",
        category="analysis",
        variants=(Variant(Severity.MEDIUM, Confidence.MEDIUM, "the script is obfuscated"),
                  Variant(Severity.LOW, Confidence.HIGH, "otherwise")),
        description="Rewriting the script into its clean equivalent stopped early: at its "
                    "CPU budget, nested too deeply, or on a tree a pass does not know (the "
                    "reason is in the evidence). The rest of the analysis ran on the program "
                    "as far as it was rewritten, so a flow hidden in the part left encoded may "
                    "be missing. An obfuscated script in that state is never `clean`: it is "
                    "suspicious until a reviewer or a detonation (`--detonate auto` runs it) "
                    "settles it.",
        stages=("static analysis",), tags=("analysis-gap",)),
    PipelineRule(
        id="injected-card-form",
        title="A card form was put on the page by an unapproved script", category="injection",
        variants=(
            Variant(Severity.HIGH, Confidence.MEDIUM,
                    "the shopper typed the canary card into that very field"),
            Variant(Severity.MEDIUM, Confidence.LOW, "the field was not typed into"),
            Variant(Severity.LOW, Confidence.LOW,
                    "the inserting script is shared code from a public CDN (a framework from "
                    "unpkg), typed into or not"),
        ),
        description="A card-number field was put into the document by a script (not the "
                    "page's HTML) from a host nobody approved, seen from inside the inserting "
                    "call. The merchant's own site, its processors or a host the policy "
                    "approves anywhere on the stack means the shop drew its own form: no "
                    "finding. Known libraries on the stack are looked through.",
        stages=("page scan", "detonation"), tags=("fake-form", "runtime"),
        mitre=("T1056.003",), pci=("6.4.3", "11.6.1")),
    PipelineRule(
        id="card-form-action-to-untrusted-host",
        title="A script pointed the card form at a host that may not receive card data",
        category="injection",
        variants=(
            Variant(Severity.HIGH, Confidence.HIGH, "a look-alike or known-bad host"),
            Variant(Severity.HIGH, Confidence.MEDIUM, "an unknown host"),
            Variant(Severity.MEDIUM, Confidence.LOW,
                    "the script that set it is the merchant's own or its processor's"),
        ),
        description="A script set the `action` of a form holding card fields (by the property "
                    "or `setAttribute`) to a host that is not the page's own site, a payment "
                    "processor or approved by the policy, seen at run time: on submit the "
                    "browser posts the card there, whatever the page's own code does — the "
                    "form-jacking that needs no network call of its own.",
        stages=("page scan", "detonation"), tags=("form-hijack", "exfiltration", "runtime"),
        mitre=("T1056.003",), pci=("6.4.3", "11.6.1")),
    PipelineRule(
        id="runtime-data-to-lookalike-host",
        title="The page sent data to a look-alike or known-bad host", category="exfiltration",
        variants=(Variant(Severity.HIGH, Confidence.HIGH, "always"),),
        description="A request the page made carried data (a body, a WebSocket payload or a "
                    "long query string) to a host that imitates the site or a known brand, or "
                    "that an IOC rule lists. One finding per host.",
        stages=("page scan", "detonation"), tags=("exfiltration", "runtime"), pci=("11.6.1",)),
    PipelineRule(
        id="runtime-data-to-unknown-host",
        title="The page sent data to an unknown host", category="exfiltration",
        variants=(Variant(Severity.MEDIUM, Confidence.MEDIUM, "always"),),
        description="A request the page made carried data (a body, a WebSocket payload or a "
                    "long query string) to a host that is neither the site, a processor, a "
                    "well-known service nor approved by the policy. One finding per host.",
        stages=("page scan", "detonation"), tags=("exfiltration", "runtime"), pci=("11.6.1",)),
    PipelineRule(
        id="canary-exfiltration",
        title="The canary card was sent to a host that may not receive it",
        category="exfiltration",
        variants=(
            Variant(Severity.CRITICAL, Confidence.HIGH,
                    "the full number reached a third party: the skimmer signature"),
            Variant(Severity.HIGH, Confidence.HIGH,
                    "the full number reached a session-replay vendor: a leak, not a skimmer "
                    "(tags `data-leak`, `privacy`; the page is suspicious, not malicious)"),
            Variant(Severity.MEDIUM, Confidence.MEDIUM,
                    "only part of the number left (first 6 and last 4 digits)"),
        ),
        description="The test card the shopper typed was found, in any encoding, in a request "
                    "URL, header or body, a WebSocket frame or a host name, going to a host "
                    "that is not the page's own site, an approved processor or approved by the "
                    "policy. Names the script, the host, the encoding and the channel, with the "
                    "request (card redacted) as evidence; a send on the next visit, from browser "
                    "storage, says `sent_on` and `stored_by`.",
        stages=("page scan", "detonation"), tags=("canary", "exfiltration", "runtime"),
        mitre=("T1056.003",), pci=("6.4.3", "11.6.1")),
    PipelineRule(
        id="canary-to-frame", title="The canary card was handed to another frame",
        category="exfiltration",
        variants=(Variant(Severity.HIGH, Confidence.MEDIUM, "always"),),
        description="The full canary card number was passed by `postMessage` to a frame of an "
                    "untrusted origin, or to any origin (`'*'`), or received by such a frame, "
                    "or carried into such a frame in its name (`window.name`, set before the "
                    "frame was sent to that origin).",
        stages=("page scan", "detonation"),
        tags=("canary", "exfiltration", "postmessage", "runtime"),
        mitre=("T1056.003",), pci=("6.4.3", "11.6.1")),
    PipelineRule(
        id="canary-in-storage", title="The canary card was kept in browser storage",
        category="exfiltration",
        variants=(Variant(Severity.MEDIUM, Confidence.HIGH, "always"),),
        description="The full canary card number was written to a cookie, localStorage or "
                    "sessionStorage: staged for a later page (store now, send later), or "
                    "stored against PCI DSS 3.3.",
        stages=("page scan", "detonation"), tags=("canary", "runtime", "storage"),
        mitre=("T1056.003",), pci=("6.4.3", "11.6.1")),
    PipelineRule(
        id="canary-triggered-load",
        title="Code was requested from an untrusted host after the card was typed",
        category="evasion",
        variants=(Variant(Severity.MEDIUM, Confidence.MEDIUM, "always"),),
        description="A script asked for code from an unknown, look-alike, known-bad or "
                    "unresolved host only once card data was typed. The quarantine answered "
                    "the request locally, so what that code would have done was not seen "
                    "(`--live`, in a safe environment, shows it).",
        stages=("page scan", "detonation"), tags=("canary", "evasion", "runtime"),
        pci=("6.4.3",)),
)

#: The table by rule id.
PIPELINE_RULES: Mapping[str, PipelineRule] = {r.id: r for r in PIPELINE_RULE_TABLE}


# --- one shape for every rule: `rules list`, its JSON, the reference -------------------------


@dataclass(frozen=True)
class RuleSummary:
    """A rule as `skimscan rules list` and the reference show it, whatever defines it."""

    id: str
    title: str
    severity: Severity
    confidence: Confidence
    category: str
    tags: tuple[str, ...]
    mitre: tuple[str, ...]
    pci: tuple[str, ...]
    source: str  # SOURCE_YAML or SOURCE_PIPELINE
    description: str
    stages: tuple[str, ...]
    variants: tuple[Variant, ...]
    path: str = ""  # the rule file, for YAML rules

    def to_json(self) -> dict[str, Any]:
        """The object of `rules list --format json` (keys in this order, always all)."""
        return {"id": self.id, "title": self.title, "severity": self.severity.label,
                "confidence": self.confidence.label, "category": self.category,
                "tags": list(self.tags), "mitre": list(self.mitre), "pci": list(self.pci),
                "source": self.source, "description": self.description}


def yaml_summary(rule: Rule) -> RuleSummary:
    return RuleSummary(
        id=rule.id, title=rule.title, severity=rule.severity, confidence=rule.confidence,
        category=rule.category, tags=rule.tags, mitre=rule.mitre, pci=rule.pci,
        source=SOURCE_YAML, description=rule.description, stages=("static analysis",),
        variants=(Variant(rule.severity, rule.confidence, "always"),), path=rule.path)


def pipeline_summary(rule: PipelineRule) -> RuleSummary:
    """The summary of a pipeline rule; with several severities, the description ends with
    when each applies (so a reader of the JSON alone learns that a rule can be medium)."""
    description = rule.description
    if len(rule.variants) > 1:
        description += " Severity: " + "; ".join(
            f"{v.severity.label} ({v.confidence.label} confidence) when {v.when}"
            for v in rule.variants) + "."
    return RuleSummary(
        id=rule.id, title=rule.title, severity=rule.severity, confidence=rule.confidence,
        category=rule.category, tags=rule.tags, mitre=rule.mitre, pci=rule.pci,
        source=SOURCE_PIPELINE, description=description, stages=rule.stages,
        variants=rule.variants)


def all_rules(yaml_rules: Iterable[Rule],
              pipeline: Iterable[PipelineRule] = PIPELINE_RULE_TABLE) -> list[RuleSummary]:
    """Every rule — the given YAML rules and the pipeline's — sorted by id (a stable order for
    tables, JSON and the reference). A rule file that reuses a pipeline id is listed once, as
    the file: the policy and the report see one rule of that id."""
    by_id = {r.id: pipeline_summary(r) for r in pipeline}
    by_id.update({r.id: yaml_summary(r) for r in yaml_rules})
    return [by_id[rid] for rid in sorted(by_id)]
