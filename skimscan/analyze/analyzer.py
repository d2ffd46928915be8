"""STAGE 3 (analyze) — analyse one script: parse, fold, facts, taint, rules.

Analysis is split in two so that caching is both correct and useful:
- `extract_facts(code)` is the expensive part (parsing, folding, the walk, taint). It depends on
  the code alone, so it is cached by sha256 (in memory and on disk) and can run in another
  process. Its result, `RawAnalysis`, is plain picklable data.
- `judge(raw, classify, rules)` is cheap: it classifies destinations against the page's site and
  policy, builds sink/flow facts and evaluates the rules. It runs for every (script, page) pair.

Invariants: the script is rewritten into its clean equivalent first (`analyze.deobfuscate`);
nothing of it runs in Python, and the decoders it defines run only in an embedded isolate with
no host bindings and hard limits (`deobfuscate/isolate.py`); folding is pure and bounded; it
never raises for bad input (parse failures become an `unparsed-script` finding and text rules
still run); code recovered from eval/new Function/string timers is analysed as a further stage, to a
bounded depth.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from skimscan.analyze import destinations, patterns
from skimscan.analyze.catalogue import PIPELINE_RULES
from skimscan.analyze.deobfuscate import Deobfuscation, deobfuscate_tree, worth_rewriting
from skimscan.analyze.deobfuscate.techniques import COSMETIC
from skimscan.analyze.facts import Fact
from skimscan.analyze.fold import Folder
from skimscan.analyze.opacity import obfuscated
from skimscan.analyze.parse import ParseLimits, parse
from skimscan.analyze.rules import RuleSet, ScriptContext
from skimscan.analyze.units import Span, located_spans
from skimscan.analyze.visitor import ScriptVisitor, SinkSite
from skimscan.models import (
    Confidence,
    Finding,
    FlowStep,
    HostClass,
    HostInfo,
    Location,
    Severity,
)

#: Bump when extraction changes, so that stale disk-cache entries are not reused.
EXTRACTOR_VERSION = "4"
MAX_STAGES = 3
MAX_STAGE_CODE = 2 * 1024 * 1024
_DATA_LABELS = ("card", "form", "keys", "input")
#: What a sink may carry: card data, or the bodies of the page's own requests (a hook on
#: XMLHttpRequest.prototype.send or window.fetch).
_SINK_LABELS = (*_DATA_LABELS, "request")
_ENCODER_NAMES = {"btoa": "base64", "encodeURIComponent": "url-encoding", "escape": "escape",
                  "stringify": "JSON", "fromCharCode": "char codes", "reverse": "reversal",
                  "charCodeAt": "char codes"}

Classify = Callable[[str | None], HostInfo]
#: A big ordinary bundle is analysed as written (see `deobfuscate.worth_rewriting`).
_AS_WRITTEN = Deobfuscation("", False, (), ())


@dataclass(frozen=True)
class RawSink:
    """A network sink as extracted, before its destination is classified."""

    sink: str
    location: Location
    url: str | None
    display: str | None
    method: str | None
    mode: str | None
    labels: tuple[str, ...]
    steps: tuple[FlowStep, ...]
    encoders: tuple[str, ...]


@dataclass(frozen=True)
class RawAnalysis:
    """Site-independent result of analysing one script's code."""

    facts: tuple[Fact, ...]
    sinks: tuple[RawSink, ...]
    recovered: tuple[tuple[str, Location, str], ...]  # (value, where, technique)
    parse_error: str | None
    stages: int = 1
    obfuscation: tuple[tuple[str, int, int, int], ...] = ()  # measure, score, line, column
    notes: tuple[str, ...] = field(default=())
    #: statements the parser left out (syntax errors it recovered from), reason and line
    dropped: tuple[str, ...] = ()
    #: the closures the script is made of, where there are several (see units.py)
    units: tuple[Span, ...] = ()


def extract_facts(code: str, limits: ParseLimits | None = None) -> RawAnalysis:
    """Parse and walk `code`, then every stage it decodes. Call inside `run_deep` (deeply
    nested code needs the stack)."""
    result = parse(code, limits)
    obfuscation = tuple(_text_obfuscation(code))
    if result.tree is None:
        return RawAnalysis((), (), (), result.error, 1, obfuscation)
    # The tree is rewritten in place into its clean equivalent (nodes keep the original
    # locations), and everything below sees only the clean tree.
    clean = deobfuscate_tree(result.tree, code) if worth_rewriting(code) else _AS_WRITTEN
    folders = [Folder(result.tree)]
    try:
        raw = _analyse_tree(code, result.tree, folders, obfuscation, limits, clean)
        return replace(raw, dropped=result.dropped) if result.dropped else raw
    except RecursionError:
        return RawAnalysis((), (), (), "nested too deeply for the analysis budget", 1, obfuscation)
    finally:
        for folder in folders:  # frees the trees now, not at the next cyclic collection
            folder.close()


def _analyse_tree(code: str, tree: Any, folders: list[Folder],
                  obfuscation: tuple[tuple[str, int, int, int], ...],
                  limits: ParseLimits | None, clean: Deobfuscation) -> RawAnalysis:
    folder = folders[0]
    # Text-level searches see the source and what decoders revealed (an obfuscator's string
    # table may hold the injected card form's markup or a base64 payload).
    revealed = "\n".join(clean.revealed)
    visitor = ScriptVisitor(tree, folder, _no_classify,
                            patterns.injected_card_fields(f"{code}\n{revealed}"))
    visitor.run()
    recovered = [(r.value, Location(r.line, r.column), r.via) for r in folder.recovered()]
    stage_facts, stages = _run_stages(code, folders, visitor, recovered, limits, clean.revealed)
    visitor.finish()
    unpacked = [Fact("dynamic-code", Location(s.line, s.column),
                     {"via": s.via, "decoded": s.decoded, "size": s.size})
                for s in clean.stages]
    stages += len(clean.stages)
    facts = [*visitor.facts, *unpacked, *stage_facts]
    sinks = [_raw_sink(site, visitor) for site in visitor.sinks]
    for f, deps in visitor.storage_writes:
        labels = set(deps.labels) | visitor.graph.labels_of(deps.bindings)
        data_labels = tuple(sorted(lb for lb in labels if lb in _DATA_LABELS))
        facts.append(replace(f, attrs={**f.attrs, "tainted": bool(data_labels),
                                       "labels": data_labels}))
    if len(recovered) >= 5:
        where = recovered[0][1]
        obfuscation = (*obfuscation, ("recovered-strings", len(recovered), where.line,
                                      where.column))
    rewrites = sum(n for t, n in clean.techniques if t not in COSMETIC)
    if clean.changed and rewrites:
        obfuscation = (*obfuscation, ("deobfuscated", rewrites, 1, 0))
    if clean.left_encoded:
        obfuscation = (*obfuscation, ("left-encoded", clean.left_encoded, 1, 0))
    return RawAnalysis(tuple(facts), tuple(sinks), tuple(recovered), None, stages,
                       tuple(sorted(obfuscation)), clean.notes,
                       units=located_spans(tree) if visitor.units else ())


def _run_stages(code: str, folders: list[Folder], visitor: ScriptVisitor,
                recovered: list[tuple[str, Location, str]],
                limits: ParseLimits | None, revealed: tuple[str, ...] = ()
                ) -> tuple[list[Fact], int]:
    """Analyse code the script builds and runs (eval, new Function, string timers, handlers
    in injected HTML, base64 payloads handed to an evaluator) inside the same visitor, so
    data flows between stages are followed. Bounded: MAX_STAGES levels, MAX_STAGE_CODE each."""
    facts: list[Fact] = []
    seen: set[str] = set()
    deepest = 1
    queue: list[tuple[Folder, str, int, int | None]] = [(folders[0], code, 1, None)]
    html_done = 0
    while queue:
        current, text, depth, _ = queue.pop(0)
        found: list[tuple[str, Location, str, tuple[str, ...] | None, Any]] = [
            (d.code, Location(d.line, d.column), d.via, d.params, d.node)
            for d in current.dynamic_code()]
        found.extend((c, w, v, None, None) for c, w, v in visitor.html_code[html_done:])
        html_done = len(visitor.html_code)
        if depth == 1 and not found and any(f.kind == "dynamic-code" for f in visitor.facts):
            # The payload may sit in the text or in a string only a decoder revealed (an
            # obfuscator's string table holding the base64 blob).
            hidden = "\n".join([*revealed, *(value for value, _, _ in recovered)])
            found.extend((c, w, v, None, None)
                         for c, w, v in _payload_candidates(f"{text}\n{hidden}", visitor))
        for stage_code, where, via, params, origin in found:
            if not stage_code.strip() or stage_code in seen or len(stage_code) > MAX_STAGE_CODE:
                continue
            seen.add(stage_code)
            # A code string written out in the source was not hidden; anything else was.
            # Hidden means decoded at run time; worker Blobs and injected markup are built
            # from visible strings (their code is analysed all the same).
            decoded = stage_code not in code and via not in ("blob", "injected-html")
            facts.append(Fact("dynamic-code", where, {"via": via, "decoded": decoded,
                                                      "size": len(stage_code)}))
            if depth > MAX_STAGES:
                continue
            # `Function('u', 'd', body)` compiles a function: analyse it as one, so that the
            # arguments of its calls (`send(url, card)`) reach its parameters.
            source = stage_code if params is None else \
                f"(function ({', '.join(params)}) {{\n{stage_code}\n}})"
            parsed = parse(source, limits)
            if parsed.tree is None:
                continue
            inner = Folder(parsed.tree)
            folders.append(inner)
            visitor.visit_stage(parsed.tree, inner, where,
                                compiled_at=origin if params is not None else None)
            recovered.extend((r.value, where, r.via) for r in inner.recovered())
            deepest = max(deepest, depth + 1)
            queue.append((inner, stage_code, depth + 1, None))
    return facts, deepest


_PAYLOAD = re.compile(r"[A-Za-z0-9+/]{80,}={0,2}")


def _payload_candidates(code: str, visitor: ScriptVisitor) -> list[tuple[str, Location, str]]:
    """Base64 blobs anywhere in the text (a CSS property, a comment, a fallback string) that
    decode to JavaScript, for scripts that run code the folder could not trace to its source."""
    where = next(f.location for f in visitor.facts if f.kind == "dynamic-code")
    out: list[tuple[str, Location, str]] = []
    for match in _PAYLOAD.finditer(code[:4_000_000]):
        blob = match.group(0)
        try:
            text = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
        if printable < 0.95 * len(text) or not re.search(r"[;(){}=]", text):
            continue
        out.append((text, where, "base64-payload"))
        if len(out) >= 8:
            break
    return out


#: Constants that look like URLs but are names, not destinations (XML namespaces, schemas).
_NOT_DESTINATIONS = re.compile(
    r"^(?:https?:)?//(?:www\.w3\.org|schema\.org|json-schema\.org|purl\.org|ns\.adobe\.com"
    r"|localhost|127\.0\.0\.1|\[::1\])(?:[:/]|$)",
    re.IGNORECASE,
)


def _as_url(text: str) -> str | None:
    ice = patterns.ICE_SERVER.match(text)  # a WebRTC data channel's STUN/TURN server
    if ice is not None:
        text = f"https://{ice.group(1)}/"
    url = text if patterns.looks_like_url(text) else (
        f"https://{text}/" if patterns.is_host(text) else None)
    if url is None or _NOT_DESTINATIONS.match(url):
        return None
    return url


def _raw_sink(site: SinkSite, visitor: ScriptVisitor) -> RawSink:
    dest = destinations.resolve(site.url_node, site.folder or visitor.folder,
                                embedded=site.sink in ("html-src", "css-url"))
    url = dest.url if dest.url is not None else site.url_text
    display = dest.display
    if url is None and site.url_deps is not None:
        # The URL comes through variables, properties or parameters: follow constants back,
        # and use the nearest ones only if they agree on one host (else it stays unresolved).
        for level in visitor.strings_reaching(site.url_deps):
            candidates = {c: t for t in level if (c := _as_url(t)) is not None}
            if not candidates:
                continue
            if site.sink == "webrtc" and site.owner is not None:
                # a data channel's data goes through the TURN relay; with STUN servers only
                # it goes to a peer the servers do not name (the connection itself, the other
                # webrtc sink, does contact its STUN servers)
                candidates = {c: t for c, t in candidates.items() if t.startswith("turn")}
                if not candidates:
                    break
            hosts = {destinations.host_of(c) for c in candidates}
            if len(hosts) == 1:
                url, text = sorted(candidates.items())[0]
                display = f"{dest.display or '…'} (= {text[:200]})"
            break
    labels = set(site.data.labels) | visitor.graph.labels_of(site.data.bindings)
    data_labels = tuple(sorted(lb for lb in labels if lb in _SINK_LABELS))
    steps: list[FlowStep] = []
    if data_labels:
        label = data_labels[0] if "card" not in data_labels else "card"
        if label in site.data.labels:
            steps.append(site.data.labels[label])
        else:
            steps.extend(visitor.graph.path(site.data.bindings, label))
    steps.append(FlowStep(site.location, f"sent by {site.sink}"))
    return RawSink(site.sink, site.location, url, display or url, site.method, site.mode,
                   data_labels, tuple(steps), tuple(sorted(site.data.encoders)))


def _no_classify(url: str | None) -> HostInfo:
    return HostInfo(url or "", HostClass.UNRESOLVED)


_HEX_NAME = re.compile(r"\b_0x[0-9a-f]{4,6}\b")
_HEX_ESCAPE = re.compile(r"\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}")
_CHARCODE = re.compile(r"fromCharCode")
_B64_LITERAL = re.compile(r"['\"][A-Za-z0-9+/]{40,}={0,2}['\"]")


def _text_obfuscation(code: str) -> list[tuple[str, int, int, int]]:
    """Cheap text measures of obfuscation: (measure, count, line, column of the first one).
    Rules decide what is too much."""
    head = code[:2_000_000]
    size_kb = max(1, len(head) // 1024)
    measures: list[tuple[str, int, int, int]] = []

    def first(pattern: re.Pattern[str]) -> tuple[int, int]:
        match = pattern.search(head)
        start = match.start() if match else 0
        return head.count("\n", 0, start) + 1, start - (head.rfind("\n", 0, start) + 1)

    hex_names = len(set(_HEX_NAME.findall(head)))
    if hex_names >= 3:
        measures.append(("hex-identifiers", hex_names, *first(_HEX_NAME)))
    escapes = len(_HEX_ESCAPE.findall(head))
    if escapes >= 20 and escapes / size_kb >= 5:
        measures.append(("escape-density", escapes // size_kb, *first(_HEX_ESCAPE)))
    charcodes = len(_CHARCODE.findall(head))
    if charcodes >= 3:
        measures.append(("fromcharcode", charcodes, *first(_CHARCODE)))
    b64 = len(_B64_LITERAL.findall(head))
    if b64 >= 1:
        measures.append(("base64-literals", b64, *first(_B64_LITERAL)))
    return measures


# --- judging ---------------------------------------------------------------------------------


def judge(
    raw: RawAnalysis,
    *,
    code: str,
    sha256: str,
    classify: Classify,
    rules: RuleSet,
    script_id: str | None = None,
    script_url: str | None = None,
    script_kind: str = "file",
) -> tuple[list[Fact], list[Finding]]:
    """Classify destinations for this site, build sink/flow facts, evaluate rules."""
    facts = list(raw.facts)
    own = classify(script_url) if script_url and "://" in script_url else HostInfo(
        "", HostClass.FIRST_PARTY)
    facts.append(Fact("script", Location(1, 0), {
        "host_class": own.host_class.value, "kind": script_kind, "url": script_url,
        "service": own.service, "category": own.category}))
    for sink in raw.sinks:
        info = classify(sink.url) if sink.url is not None else HostInfo("", HostClass.UNRESOLVED)
        attrs: dict[str, Any] = {
            "sink": sink.sink, "url": sink.display, "host": info.host or None,
            "host_class": info.host_class.value, "service": info.service,
            "category": info.category, "reason": info.reason, "method": sink.method,
            "tainted": bool(sink.labels), "labels": sink.labels, "mode": sink.mode,
            "lookalike_of": info.lookalike_of,
        }
        facts.append(Fact("network-sink", sink.location, attrs))
        if sink.labels:
            encoded = tuple(sorted({_ENCODER_NAMES[e] for e in sink.encoders
                                    if e in _ENCODER_NAMES}))
            flow_attrs = {
                "labels": sink.labels, "sink": sink.sink, "host": info.host or None,
                "host_class": info.host_class.value, "service": info.service,
                "category": info.category, "url": sink.display,
                "lookalike_of": info.lookalike_of, "steps": len(sink.steps),
                "encoded": encoded, "reason": info.reason,
            }
            facts.append(Fact("flow", sink.location, flow_attrs, sink.steps))
    for value, where, via in raw.recovered:
        host_attrs: dict[str, Any] = {"value": value[:200], "via": via}
        if patterns.looks_like_url(value):
            info = classify(value)
            host_attrs.update(host=info.host or None, host_class=info.host_class.value,
                              lookalike_of=info.lookalike_of)
        facts.append(Fact("recovered-string", where, host_attrs))
    for measure, score, line, column in raw.obfuscation:
        facts.append(Fact("obfuscation", Location(line, column),
                          {"measure": measure, "score": score}))
    # closures are judged apart only in code nothing hides (an obfuscated kit split in two
    # closures keeps its combinations)
    apart = raw.parse_error is None and not raw.dropped and not obfuscated(raw)
    ctx = ScriptContext(facts, code, sha256, raw.parse_error is None, not raw.dropped,
                        units=raw.units if apart else ())
    findings = rules.evaluate(ctx, script_id)
    if raw.parse_error is not None:
        findings.append(unparsed_finding(raw.parse_error, script_id))
    if raw.dropped:
        findings.append(partial_finding(raw.dropped, script_id))
    if raw.notes:
        findings.append(incomplete_finding(raw.notes, obfuscated(raw), script_id))
    return facts, findings


def incomplete_finding(notes: Sequence[str], hidden: bool, script_id: str | None) -> Finding:
    """Deobfuscation stopped early: in obfuscated code, what is still encoded may hide the
    flow, so the script cannot be `clean` (medium); elsewhere a gap worth a line (low)."""
    severity, confidence = (Severity.MEDIUM, Confidence.MEDIUM) if hidden else \
        (Severity.LOW, Confidence.HIGH)
    notes = list(dict.fromkeys(notes))  # a budget note comes once per round that met it
    return Finding(
        rule="deobfuscation-incomplete",
        title=PIPELINE_RULES["deobfuscation-incomplete"].title,
        severity=severity, confidence=confidence,
        message=f"{'; '.join(notes[:3])}: the analysis read the program as far as it was "
                "rewritten" + ("; obfuscated code may still hide a flow" if hidden else ""),
        script=script_id, location=Location(1, 0), evidence={"notes": list(notes[:10])},
        tags=("analysis-gap",),
    )


def unparsed_finding(reason: str, script_id: str | None) -> Finding:
    return Finding(
        rule="unparsed-script", title=PIPELINE_RULES["unparsed-script"].title,
        severity=Severity.LOW, confidence=Confidence.HIGH,
        message=f"Could not be parsed ({reason}); only text-level rules ran on it.",
        script=script_id, location=Location(1, 0), evidence={"reason": reason},
        tags=("analysis-gap",),
    )


def partial_finding(dropped: Sequence[str], script_id: str | None) -> Finding:
    """Some statements did not parse and were left out; the rest of the script was analysed
    (a broken line must not hide the code around it, nor go unmentioned)."""
    shown = "; ".join(dropped[:5]) + (f"; and {len(dropped) - 5} more" if len(dropped) > 5
                                       else "")
    return Finding(
        rule="partially-parsed-script", title=PIPELINE_RULES["partially-parsed-script"].title,
        severity=Severity.LOW, confidence=Confidence.HIGH,
        message=f"{len(dropped)} statement(s) did not parse and were left out of the analysis "
                f"({shown}); the rest of the script was analysed.",
        script=script_id, location=Location(1, 0),
        evidence={"dropped": list(dropped[:20]), "count": len(dropped)},
        tags=("analysis-gap",),
    )


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Total, deterministic order: worst first, then place, then rule."""
    return sorted(
        findings,
        key=lambda f: (-f.severity, -f.confidence, f.script or "",
                       f.location.line if f.location else 0,
                       f.location.column if f.location else 0, f.rule, f.message),
    )
