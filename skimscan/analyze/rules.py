"""STAGE 3 (analyze) — the YAML rule engine: load, validate, evaluate over facts.

A rule is data: metadata (id, title, severity, confidence, description, references, MITRE
ATT&CK, PCI DSS) and a `match` tree whose leaves are
- `fact: KIND` with `where:` conditions on the fact's attributes (node rules),
- `flow:` taint flows from card data (`labels`) to sinks, with `where:` on the sink,
- `text:` an RE2 regex over the script text (runs even when the script could not be parsed),
- `ioc:` known-bad hosts or script hashes,
and whose branches are `all:` / `any:` / `not:` / `rule: OTHER-ID` (composite rules).

Invariants: a broken rule file is a `RuleError` that starts with `file:line:`; user regexes
are RE2 (linear time, so a rule can never hang a scan); evaluation never raises; rules are
evaluated in dependency order and cycles are load errors.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

from skimscan.analyze.facts import FACT_KINDS, LABELS, Fact
from skimscan.analyze.units import GLOBAL, Locator, Span
from skimscan.analyze.yamlfile import load_yaml, strip_lines
from skimscan.errors import RuleError
from skimscan.models import Confidence, Finding, FlowStep, Location, Severity

_META_KEYS = frozenset(
    {"id", "title", "severity", "confidence", "description", "references", "mitre", "pci",
     "tags", "message", "match", "category"}
)
_REQUIRED = ("id", "title", "severity", "confidence", "description", "match")
_MATCH_KEYS = frozenset(
    {"fact", "where", "flow", "text", "ioc", "all", "any", "not", "rule", "unparsed"}
)
_COND_OPS = frozenset({"in", "not_in", "regex", "exists", "gte", "lte", "any_of", "equals"})
MAX_HITS_PER_RULE = 20


@dataclass(frozen=True)
class Hit:
    """One place a match tree matched."""

    location: Location
    attrs: Mapping[str, Any] = field(default_factory=dict)
    flow: tuple[FlowStep, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    confidence: Confidence
    description: str
    match: Mapping[str, Any]
    message: str = ""
    references: tuple[str, ...] = ()
    mitre: tuple[str, ...] = ()
    pci: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    category: str = ""
    path: str = ""
    depends: tuple[str, ...] = ()
    needs_tree: bool = True  # false for rules made of text/ioc leaves only

    @property
    def test_file(self) -> str:
        """The annotated test file beside the rule file (`<id>.js`, see `ruletest.py`)."""
        return str(Path(self.path).with_suffix(".js")) if self.path else ""


@dataclass(frozen=True)
class ScriptContext:
    """What a rule can look at for one script."""

    facts: Sequence[Fact]
    text: str
    sha256: str
    parsed: bool  # there is a tree (tree rules can run)
    #: every statement is in the tree: False when the parser left broken statements out,
    #: which text rules for unparsed code (`unparsed: true`) must still look at
    whole: bool = True
    #: the closures the script is made of (units.py): rules combine the facts of one unit and
    #: of global code, never of two units
    units: Sequence[Span] = ()


#: facts about the script as a whole, seen by every unit
_SCRIPT_WIDE = frozenset({"script", "obfuscation"})


class RuleSet:
    """Loaded, validated rules, evaluated in dependency order."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        by_id: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in by_id:
                raise RuleError(f"{rule.path}:1: duplicate rule id {rule.id!r} "
                                f"(also in {by_id[rule.id].path})")
            by_id[rule.id] = rule
        self.by_id = by_id
        self.order = _topological(by_id)
        self._regex: dict[str, Any] = {}

    @functools.cached_property
    def ioc_hosts(self) -> tuple[str, ...]:
        """Every host an `ioc:` leaf names, for the host classifier: a documented drop host is
        `known-bad` wherever it appears (the class the policy's `known_bad` also gives), so
        findings name it as such instead of `unknown`. Read once per rule set: every page and
        file scan builds a classifier with it."""
        found: set[str] = set()

        def walk(match: Any) -> None:
            if isinstance(match, Mapping):
                for key, value in match.items():
                    if key == "ioc" and isinstance(value, Mapping):
                        found.update(_spec_hosts(value))
                    else:
                        walk(value)
            elif isinstance(match, list | tuple):
                for item in match:
                    walk(item)

        for rule in self.by_id.values():
            walk(rule.match)
        return tuple(sorted(found))

    def __len__(self) -> int:
        return len(self.by_id)

    def __iter__(self) -> Any:
        return iter(self.by_id[r] for r in self.order)

    # --- evaluation -------------------------------------------------------------------------

    @functools.cached_property
    def combining(self) -> frozenset[str]:
        """Rules that combine two or more facts (`all:` of several leaves, or a rule that
        builds on one that does): in a script made of several closures they are judged on one
        closure plus global code at a time (units.py)."""
        found: set[str] = set()
        for rule_id in self.order:
            if _combines(self.by_id[rule_id].match, found):
                found.add(rule_id)
        return frozenset(found)

    @functools.cached_property
    def _combining_needs(self) -> frozenset[str]:
        """The combining rules and every rule they build on."""
        needed: set[str] = set()
        todo = list(self.combining)
        while todo:
            rule_id = todo.pop()
            if rule_id not in needed:
                needed.add(rule_id)
                todo.extend(self.by_id[rule_id].depends)
        return frozenset(needed)

    def evaluate(self, ctx: ScriptContext, script_id: str | None = None) -> list[Finding]:
        """Findings for one script. For a script made of several closures (a vendor bundle),
        rules that combine facts see global code alone and each closure with global code, one
        at a time; every other rule sees the whole script once."""
        if not ctx.units:
            return self._evaluate(ctx, ctx.facts, script_id)
        combining = self.combining
        findings = [f for f in self._evaluate(ctx, ctx.facts, script_id)
                    if f.rule not in combining]
        locate = Locator(ctx.units)
        shared: list[Fact] = []
        by_unit: dict[int, list[Fact]] = {}
        for f in ctx.facts:
            # a flow belongs where its data was read (a kit in its own closure may hand the
            # card to a library's transport in another)
            unit = GLOBAL if f.kind in _SCRIPT_WIDE else locate(
                f.flow[0].location if f.flow else f.location)
            (shared if unit == GLOBAL else by_unit.setdefault(unit, [])).append(f)
        seen: set[tuple[str, int]] = set()
        per_rule: dict[str, int] = {}
        for part in (shared, *(shared + own for own in by_unit.values())):
            for found in self._evaluate(ctx, part, script_id, only=self._combining_needs):
                line = found.location.line if found.location else 0
                if found.rule not in combining or (found.rule, line) in seen or \
                        per_rule.get(found.rule, 0) >= MAX_HITS_PER_RULE:
                    continue
                seen.add((found.rule, line))
                per_rule[found.rule] = per_rule.get(found.rule, 0) + 1
                findings.append(found)
        return findings

    def _evaluate(self, ctx: ScriptContext, facts: Sequence[Fact], script_id: str | None,
                  only: frozenset[str] | None = None) -> list[Finding]:
        results: dict[str, list[Hit]] = {}
        findings: list[Finding] = []
        by_kind: dict[str, list[Fact]] = {}
        for f in facts:
            by_kind.setdefault(f.kind, []).append(f)
        for rule_id in self.order:
            rule = self.by_id[rule_id]
            if (only is not None and rule_id not in only) or (
                    not ctx.parsed and rule.needs_tree):
                results[rule_id] = []
                continue
            try:
                hits = self._match(rule.match, ctx, by_kind, results)
            except Exception:  # a rule never aborts analysis of a script
                hits = []
            results[rule_id] = hits
            seen: set[int] = set()
            for hit in hits:
                if hit.location.line in seen:
                    continue
                seen.add(hit.location.line)
                findings.append(self._finding(rule, hit, script_id))
                if len(seen) >= MAX_HITS_PER_RULE:
                    break
        return findings

    def _finding(self, rule: Rule, hit: Hit, script_id: str | None) -> Finding:
        attrs = {k: v for k, v in hit.attrs.items() if v is not None and k != "steps"}
        message = _render(rule.message or rule.title, attrs)
        evidence: dict[str, Any] = {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(attrs.items())
        }
        tags = tuple(sorted({*rule.tags, *(f"pci-dss:{p}" for p in rule.pci),
                             *(f"attack:{m}" for m in rule.mitre)}))
        return Finding(
            rule=rule.id, title=rule.title, severity=rule.severity,
            confidence=rule.confidence, message=message, script=script_id,
            location=hit.location, evidence=evidence, tags=tags, flow=hit.flow,
        )

    def _match(self, m: Mapping[str, Any], ctx: ScriptContext,
               by_kind: Mapping[str, list[Fact]], done: Mapping[str, list[Hit]]) -> list[Hit]:
        if "fact" in m:
            where = m.get("where") or {}
            return [Hit(f.location, f.attrs, f.flow) for f in by_kind.get(m["fact"], ())
                    if self._where(where, f.attrs)]
        if "flow" in m:
            spec = m["flow"] or {}
            wanted = set(spec.get("labels") or LABELS)
            where = spec.get("where") or {}
            hits = []
            for f in by_kind.get("flow", ()):
                if wanted & set(f.get("labels", ())) and self._where(where, f.attrs):
                    hits.append(Hit(f.location, f.attrs, f.flow))
            return hits
        if "text" in m:
            return self._text(m["text"], ctx)
        if "ioc" in m:
            return self._ioc(m["ioc"], ctx, by_kind)
        if "rule" in m:
            return list(done.get(m["rule"], ()))
        if "unparsed" in m:
            gap = not (ctx.parsed and ctx.whole)
            return [Hit(Location(1, 0))] if gap == bool(m["unparsed"]) else []
        if "all" in m:
            collected: list[Hit] = []
            for sub in m["all"]:
                if "not" in sub and len(sub) == 1:
                    if self._match(sub["not"], ctx, by_kind, done):
                        return []
                    continue
                hits = self._match(sub, ctx, by_kind, done)
                if not hits:
                    return []
                collected.append(hits[0])
            if not collected:
                return []
            first = collected[0]
            merged: dict[str, Any] = {}
            flow: tuple[FlowStep, ...] = ()
            for h in collected:
                for k, v in h.attrs.items():
                    merged.setdefault(k, v)
                flow = flow or h.flow
            return [Hit(first.location, merged, flow)]
        if "any" in m:
            out: list[Hit] = []
            for sub in m["any"]:
                out.extend(self._match(sub, ctx, by_kind, done))
            return out
        if "not" in m:
            hits = self._match(m["not"], ctx, by_kind, done)
            return [] if hits else [Hit(Location(1, 0))]
        return []

    def _where(self, where: Mapping[str, Any], attrs: Mapping[str, Any]) -> bool:
        for key, cond in where.items():
            value = attrs.get(key)
            if not self._cond(cond, value):
                return False
        return True

    def _cond(self, cond: Any, value: Any) -> bool:
        if isinstance(cond, dict):
            for op, arg in cond.items():
                if op == "in":
                    if value not in arg and not (
                        isinstance(value, tuple) and set(value) & set(arg)
                    ):
                        return False
                elif op == "not_in":
                    if value in arg or (isinstance(value, tuple) and set(value) & set(arg)):
                        return False
                elif op == "any_of":
                    if not (isinstance(value, tuple) and set(value) & set(arg)):
                        return False
                elif op == "exists":
                    if (value is not None) != bool(arg):
                        return False
                elif op == "gte":
                    if not isinstance(value, int | float) or value < arg:
                        return False
                elif op == "lte":
                    if not isinstance(value, int | float) or value > arg:
                        return False
                elif op == "regex":
                    if value is None or not self._compiled(arg).search(str(value)):
                        return False
                elif op == "equals" and value != arg:
                    return False
            return True
        if isinstance(cond, list):
            return value in cond or (isinstance(value, tuple) and bool(set(value) & set(cond)))
        if isinstance(value, tuple):
            return cond in value
        return bool(value == cond)

    def _compiled(self, pattern: str) -> Any:
        compiled = self._regex.get(pattern)
        if compiled is None:
            compiled = re2.compile(pattern)
            self._regex[pattern] = compiled
        return compiled

    def _text(self, spec: Any, ctx: ScriptContext) -> list[Hit]:
        pattern = spec if isinstance(spec, str) else spec["regex"]
        rx = self._compiled(pattern)
        hits = []
        for match in rx.finditer(ctx.text):
            start = match.start()
            line = ctx.text.count("\n", 0, start) + 1
            col = start - (ctx.text.rfind("\n", 0, start) + 1)
            hits.append(Hit(Location(line, col), {"match": match.group(0)[:120]}))
            if len(hits) >= MAX_HITS_PER_RULE:
                break
        return hits

    def _ioc(self, spec: Mapping[str, Any], ctx: ScriptContext,
             by_kind: Mapping[str, list[Fact]]) -> list[Hit]:
        hashes = {h.lower() for h in spec.get("sha256", ())}
        if ctx.sha256 and ctx.sha256.lower() in hashes:
            return [Hit(Location(1, 0), {"sha256": ctx.sha256})]
        hosts = set(_spec_hosts(spec))
        hits = []
        for kind in ("network-sink", "recovered-string", "form-action", "flow"):
            for f in by_kind.get(kind, ()):
                host = (f.get("host") or "").lower()
                if host and any(host == h or host.endswith("." + h) for h in hosts):
                    hits.append(Hit(f.location, {**f.attrs, "ioc": host}, f.flow))
        if not hits and hosts and ctx.text:
            # The host as a whole name in the text (`x.baways.com` yes, `shopping-analytics.com`
            # for `g-analytics.com` no): the label before it must end.
            pattern = self._compiled(
                r"(?i)(?:^|[^a-z0-9-])(" + "|".join(re2.escape(h) for h in sorted(hosts))
                + r")(?:[^a-z0-9-]|$)")
            if pattern.search(ctx.text) is None:  # the common case, at RE2 speed
                return hits
            # The host in the code (a config object, a string table) — not in a comment.
            text = strip_comments(ctx.text) if ctx.parsed and ctx.whole else ctx.text
            for match in pattern.finditer(text):
                pos = match.start(1)
                line = text.count("\n", 0, pos) + 1
                host = match.group(1).lower()
                hits.append(Hit(Location(line, 0), {"ioc": host, "host": host}))
                if len(hits) >= MAX_HITS_PER_RULE:
                    break
        return hits


def _combines(match: Any, combining: set[str]) -> bool:
    """`match` joins two or more facts, or builds on a rule in `combining`."""
    if not isinstance(match, Mapping):
        return False
    if "all" in match:
        parts = [m for m in match["all"] if not (isinstance(m, Mapping) and "not" in m
                                                 and len(m) == 1)]
        if len(parts) > 1:
            return True
        return any(_combines(m, combining) for m in match["all"])
    if "any" in match:
        return any(_combines(m, combining) for m in match["any"])
    if "not" in match:
        return _combines(match["not"], combining)
    return match.get("rule") in combining


def strip_comments(code: str) -> str:
    """The code with `//` and `/* */` comments blanked (newlines kept, so lines still match).
    A small lexer: quotes and template literals are respected; a regex literal containing a
    quote can confuse it, which at worst leaves a comment in place."""
    out: list[str] = []
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if ch in "'\"`":
            j = i + 1
            while j < n and code[j] != ch:
                j += 2 if code[j] == "\\" else 1
            out.append(code[i:j + 1])
            i = j + 1
        elif code.startswith("//", i):
            j = code.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(c if c == "\n" else " " for c in code[i:j]))
            i = j
        else:
            j = i
            while j < n and code[j] not in "'\"`/":
                j += 1
            if j == i:  # a lone slash: division or a regex
                j = i + 1
            out.append(code[i:j])
            i = j
    return "".join(out)


def _render(template: str, attrs: Mapping[str, Any]) -> str:
    class _Safe(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "?"

    values = _Safe({k: (", ".join(v) if isinstance(v, tuple) else v) for k, v in attrs.items()})
    try:
        return template.format_map(values)
    except (ValueError, IndexError, AttributeError):
        return template


def _topological(by_id: Mapping[str, Rule]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(rid: str, trail: tuple[str, ...]) -> None:
        if state.get(rid) == 2:
            return
        if state.get(rid) == 1:
            rule = by_id[rid]
            raise RuleError(f"{rule.path}:1: rule dependency cycle: {' -> '.join((*trail, rid))}")
        state[rid] = 1
        rule = by_id[rid]
        for dep in rule.depends:
            if dep not in by_id:
                raise RuleError(f"{rule.path}:1: rule {rid!r} refers to unknown rule {dep!r}")
            visit(dep, (*trail, rid))
        state[rid] = 2
        order.append(rid)

    for rid in sorted(by_id):
        visit(rid, ())
    return order


# --- loading ---------------------------------------------------------------------------------


def default_rules_dir() -> Path:
    """Rules shipped with skimscan: the package copy in a wheel, the repo's `rules/` in a
    checkout."""
    packaged = importlib.resources.files("skimscan") / "_rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rules"


def _spec_hosts(spec: Mapping[str, Any]) -> Iterable[str]:
    """The hosts of an `ioc:` leaf as matched: lower case, a leading `*.` dropped."""
    return (str(h).lower().lstrip("*.") for h in spec.get("hosts", ()))


def load_rules(paths: Iterable[Path] | None = None) -> RuleSet:
    """Load every `*.yaml` under the given folders (default: the built-in rules)."""
    files: list[Path] = []
    for root in paths or [default_rules_dir()]:
        if root.is_file():
            files.append(root)
        elif root.is_dir():
            files.extend(sorted(root.rglob("*.yaml")) + sorted(root.rglob("*.yml")))
        else:
            raise RuleError(f"{root}:0: no such rule file or folder")
    return RuleSet(load_rule_file(f) for f in files)


def load_rule_file(path: Path) -> Rule:
    return _build_rule(path, load_yaml(path, RuleError))


def _build_rule(path: Path, raw: Any) -> Rule:
    if not isinstance(raw, dict):
        raise RuleError(f"{path}:1: a rule file holds one mapping (id, title, severity, ...)")
    line = raw.get("__line__", 1)
    unknown = sorted(k for k in raw if k not in _META_KEYS and k != "__line__")
    if unknown:
        raise RuleError(f"{path}:{line}: unknown key(s) {', '.join(unknown)}; "
                        f"allowed: {', '.join(sorted(_META_KEYS))}")
    for key in _REQUIRED:
        if key not in raw or raw[key] in (None, ""):
            raise RuleError(f"{path}:{line}: missing required key {key!r}")
    rid = str(raw["id"])
    if rid != path.stem:
        raise RuleError(f"{path}:{line}: rule id {rid!r} must equal the file name {path.stem!r}")
    try:
        severity = Severity.parse(str(raw["severity"]))
        confidence = Confidence.parse(str(raw["confidence"]))
    except ValueError as exc:
        raise RuleError(f"{path}:{line}: {exc}") from None
    depends: list[str] = []
    leaves: set[str] = set()
    _validate_match(path, raw["match"], depends, leaves)

    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise RuleError(f"{path}:{line}: {key!r} must be a list of strings")
        return tuple(str(v) for v in value)

    return Rule(
        id=rid, title=str(raw["title"]), severity=severity, confidence=confidence,
        description=" ".join(str(raw["description"]).split()), match=strip_lines(raw["match"]),
        message=str(raw.get("message") or ""), references=strings("references"),
        mitre=strings("mitre"), pci=strings("pci"), tags=strings("tags"),
        category=str(raw.get("category") or path.parent.name), path=str(path),
        depends=tuple(depends), needs_tree=not leaves <= {"text", "ioc"},
    )


def _validate_match(path: Path, m: Any, depends: list[str], leaves: set[str]) -> None:
    line = m.get("__line__", 0) if isinstance(m, dict) else 0
    if not isinstance(m, dict):
        raise RuleError(f"{path}:{line}: 'match' must be a mapping")
    keys = {k for k in m if k != "__line__"}
    unknown = keys - _MATCH_KEYS
    if unknown:
        raise RuleError(f"{path}:{line}: unknown match key(s) {', '.join(sorted(unknown))}; "
                        f"allowed: {', '.join(sorted(_MATCH_KEYS))}")
    kinds = keys - {"where"}
    if len(kinds) != 1:
        raise RuleError(f"{path}:{line}: a match needs exactly one of fact/flow/text/ioc/"
                        f"unparsed/all/any/not/rule, got {sorted(kinds) or 'none'}")
    kind = kinds.pop()
    if "where" in keys and kind != "fact":
        raise RuleError(f"{path}:{line}: 'where' goes with 'fact' (for flows: flow.where)")
    if kind == "fact":
        leaves.add("fact")
        fact = m["fact"]
        if fact not in FACT_KINDS:
            raise RuleError(f"{path}:{line}: unknown fact kind {fact!r}; "
                            f"known: {', '.join(sorted(FACT_KINDS))}")
        _validate_where(path, line, m.get("where"), FACT_KINDS[fact], str(fact))
    elif kind == "flow":
        leaves.add("flow")
        spec = m["flow"] or {}
        if not isinstance(spec, dict):
            raise RuleError(f"{path}:{line}: 'flow' must be a mapping (labels, where)")
        bad = {k for k in spec if k not in ("labels", "where", "__line__")}
        if bad:
            raise RuleError(f"{path}:{line}: unknown flow key(s) {', '.join(sorted(bad))}")
        labels = spec.get("labels") or []
        unknown_labels = set(labels) - LABELS
        if unknown_labels:
            raise RuleError(f"{path}:{line}: unknown taint label(s) "
                            f"{', '.join(sorted(unknown_labels))}; "
                            f"known: {', '.join(sorted(LABELS))}")
        _validate_where(path, line, spec.get("where"), FACT_KINDS["flow"], "flow")
    elif kind == "text":
        leaves.add("text")
        pattern = m["text"] if isinstance(m["text"], str) else (m["text"] or {}).get("regex")
        if not isinstance(pattern, str):
            raise RuleError(f"{path}:{line}: 'text' must be a regex string")
        _check_regex(path, line, pattern)
    elif kind == "ioc":
        leaves.add("ioc")
        spec = m["ioc"]
        if not isinstance(spec, dict) or not (spec.get("hosts") or spec.get("sha256")):
            raise RuleError(f"{path}:{line}: 'ioc' needs 'hosts' and/or 'sha256' lists")
    elif kind == "unparsed":
        leaves.add("text")
    elif kind == "rule":
        leaves.add("rule")
        depends.append(str(m["rule"]))
    elif kind in ("all", "any"):
        subs = m[kind]
        if not isinstance(subs, list) or not subs:
            raise RuleError(f"{path}:{line}: {kind!r} must be a non-empty list of matches")
        for sub in subs:
            _validate_match(path, sub, depends, leaves)
    elif kind == "not":
        _validate_match(path, m["not"], depends, leaves)


def _validate_where(path: Path, line: int, where: Any, allowed: frozenset[str], kind: str) -> None:
    if where is None:
        return
    if not isinstance(where, dict):
        raise RuleError(f"{path}:{line}: 'where' must be a mapping of attribute: condition")
    for attr, cond in where.items():
        if attr == "__line__":
            continue
        if attr not in allowed:
            raise RuleError(f"{path}:{line}: fact {kind!r} has no attribute {attr!r}; "
                            f"it has: {', '.join(sorted(allowed)) or 'none'}")
        if isinstance(cond, dict):
            ops = {k for k in cond if k != "__line__"}
            bad = ops - _COND_OPS
            if bad:
                raise RuleError(f"{path}:{cond.get('__line__', line)}: unknown condition "
                                f"{', '.join(sorted(bad))}; "
                                f"allowed: {', '.join(sorted(_COND_OPS))}")
            if "regex" in ops:
                _check_regex(path, cond.get("__line__", line), str(cond["regex"]))


def _check_regex(path: Path, line: int, pattern: str) -> None:
    try:
        re2.compile(pattern)
    except Exception as exc:
        raise RuleError(f"{path}:{line}: regex {pattern!r} is not valid RE2: {exc}") from None
