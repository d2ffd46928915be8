"""STAGE 5 (report) — building blocks of the HTML report: escaping, code excerpts, the graph.

Everything that reaches the page goes through `esc()`: card-number-like digit runs masked,
then HTML-escaped (quotes included, so the result is safe in text and in attribute values).
Captured code is data from a possibly hostile page; it is only ever shown as escaped text.

- `code_excerpt()` shows the lines of a finding and its taint path, with the exact places
  highlighted; minified lines are cut to windows around the highlighted columns.
- `script_host_graph()` draws scripts (left) and the hosts they talk to (right) as inline SVG:
  requests the browser saw, destinations the analysis resolved, and card data sent.
- `png_size()` reads a screenshot's dimensions, so overlays scale with it.

Invariants: pure functions, deterministic output (sorted, no random ids), no network
references (no external fonts, images or links loaded by the SVG).
"""

from __future__ import annotations

import html
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from skimscan.models import Finding, HostClass, ScriptKind, ScriptReport, TargetReport, Verdict
from skimscan.report.json_report import mask

_LINE_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029]")
_TOKEN = re.compile(r"[\w$]+(?:\.[\w$]+){0,3}|\"[^\"\n]{0,40}\"|'[^'\n]{0,40}'|\S")
WINDOW_BEFORE, WINDOW_AFTER = 50, 110
CONTEXT_WIDTH = 160
MAX_WINDOWS = 6
MERGE_GAP = 60


def esc(value: object) -> str:
    """Masked and HTML-escaped text, safe in element content and in quoted attributes."""
    return html.escape(mask(str(value)), quote=True)


def short(text: str, limit: int) -> str:
    """Cut the middle of a long text: the start and the end of a URL say the most."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


# --- code excerpts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A place to highlight: 1-based document line, 0-based column, a short label."""

    line: int
    column: int
    label: str = ""


def split_lines(code: str) -> list[str]:
    """Lines as ESTree counts them (\\n, \\r\\n, \\r, U+2028, U+2029)."""
    return _LINE_BREAK.split(code)


def _windows(columns: Sequence[int], length: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for col in sorted(set(columns)):
        start, end = max(0, col - WINDOW_BEFORE), min(length, col + WINDOW_AFTER)
        if spans and start <= spans[-1][1] + MERGE_GAP:  # never cut out a few characters
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans[:MAX_WINDOWS]


def _marked_line(text: str, marks: Sequence[Mark]) -> str:
    labels: dict[int, list[str]] = {}
    for m in marks:
        labels.setdefault(min(max(0, m.column), len(text)), []).append(m.label)
    out: list[str] = []
    windows = _windows(list(labels), len(text))
    for start, end in windows:
        if start > 0:
            out.append('<span class="cut">…</span>')
        pos = start
        for col in sorted(c for c in labels if start <= c <= end):
            if col < pos:  # inside the previous highlighted token
                continue
            out.append(html.escape(text[pos:col]))
            token = _TOKEN.match(text, col)
            word = token.group(0) if token else ""
            names = ",".join(sorted({lb for lb in labels[col] if lb},
                                    key=lambda s: (len(s), s)))
            attr = f' data-step="{html.escape(names)}"' if names else ""
            out.append(f'<mark{attr}>{html.escape(word)}</mark>')
            pos = col + len(word)
        if pos < end:
            out.append(html.escape(text[pos:end]))
        if end < len(text) and (start, end) == windows[-1]:
            out.append('<span class="cut">…</span>')
    return "".join(out)


def code_excerpt(code: str, marks: Sequence[Mark], line_offset: int = 0,
                 context: int = 2, max_lines: int = 24) -> str | None:
    """`<pre>` with the marked lines (and `context` lines around them), or None when no mark
    falls inside `code`. `line_offset` is the document line where `code` starts (0-based)."""
    lines = split_lines(code)
    by_line: dict[int, list[Mark]] = {}
    for m in marks:
        index = m.line - 1 - line_offset
        if 0 <= index < len(lines):
            by_line.setdefault(index, []).append(m)
    if not by_line:
        return None
    shown: set[int] = set()
    for index in by_line:
        shown.update(range(max(0, index - context), min(len(lines), index + context + 1)))
    rows: list[str] = []
    previous = None
    for index in sorted(shown)[:max_lines]:
        if previous is not None and index > previous + 1:
            rows.append('<span class="gap">⋮</span>')
        previous = index
        text = mask(lines[index])  # masking keeps the length, so columns stay right
        number = index + 1 + line_offset
        if index in by_line:
            body = _marked_line(text, by_line[index])
            rows.append(f'<span class="line hit"><span class="ln">{number}</span>{body}</span>')
        else:
            body = html.escape(short(text, CONTEXT_WIDTH) if len(text) > CONTEXT_WIDTH else text)
            rows.append(f'<span class="line"><span class="ln">{number}</span>{body}</span>')
    return '<pre class="code">' + "".join(rows) + "</pre>"


# --- script → host graph ----------------------------------------------------------------------

HOST_COLORS = {
    HostClass.FIRST_PARTY: "#2e7d32", HostClass.PROCESSOR: "#1565c0",
    HostClass.APPROVED: "#00838f", HostClass.WELL_KNOWN: "#546e7a",
    HostClass.UNKNOWN: "#ef6c00", HostClass.UNRESOLVED: "#6a1b9a",
    HostClass.LOOKALIKE: "#c62828", HostClass.KNOWN_BAD: "#b71c1c",
}
VERDICT_COLORS = {Verdict.MALICIOUS: "#c62828", Verdict.SUSPICIOUS: "#ef6c00",
                  Verdict.CLEAN: "#455a64", Verdict.ERROR: "#6a1b9a"}
_CARD_LABELS = {"card", "form", "keys"}


@dataclass(frozen=True)
class Edge:
    source: str  # script id, or "" for the page itself
    host: str
    requests: int
    card: bool  # an active finding says card/form/keystroke data goes there
    canary: bool  # a request to it carried the canary
    static: bool  # the analysis found a send there (whether or not it was seen)


def graph_edges(target: TargetReport) -> tuple[list[Edge], dict[str, HostClass]]:
    """Edges from scripts (or the page) to hosts, and each host's class."""
    counts: dict[tuple[str, str], list[int]] = {}  # [requests, card, canary, static]
    classes: dict[str, HostClass] = {}
    for r in target.requests:
        if not r.host:
            continue
        slot = counts.setdefault((r.script or "", r.host), [0, 0, 0, 0])
        slot[0] += 1
        slot[2] |= int(r.carries_canary)
        classes.setdefault(r.host, r.host_class)
    for f in target.findings:
        host = f.evidence.get("host")
        if not isinstance(host, str) or not host or f.suppressed is not None:
            continue
        slot = counts.setdefault((f.script or "", host), [0, 0, 0, 0])
        slot[3] = 1
        labels = f.evidence.get("labels")
        tainted = isinstance(labels, list | tuple) and bool(_CARD_LABELS & set(labels))
        slot[1] |= int(tainted and f.is_blocking)
        if host not in classes:
            try:
                classes[host] = HostClass(str(f.evidence.get("host_class")))
            except ValueError:
                classes[host] = HostClass.UNKNOWN
    edges = [Edge(s, h, v[0], bool(v[1]), bool(v[2]), bool(v[3]))
             for (s, h), v in sorted(counts.items())]
    return edges, classes


def _host_rank(host_class: HostClass) -> int:
    order = (HostClass.KNOWN_BAD, HostClass.LOOKALIKE, HostClass.UNRESOLVED, HostClass.UNKNOWN,
             HostClass.WELL_KNOWN, HostClass.APPROVED, HostClass.PROCESSOR, HostClass.FIRST_PARTY)
    return order.index(host_class)


def script_host_graph(target: TargetReport) -> str:
    """Inline SVG of scripts → hosts, or "" when nothing talked to anything."""
    edges, classes = graph_edges(target)
    if not edges:
        return ""
    scripts = {s.id: s for s in target.scripts}
    order = {s.id: i for i, s in enumerate(target.scripts)}
    verdict_rank = {Verdict.MALICIOUS: 0, Verdict.SUSPICIOUS: 1, Verdict.ERROR: 2,
                    Verdict.CLEAN: 3}
    sources = sorted({e.source for e in edges}, key=lambda s: (
        s != "", verdict_rank[scripts[s].verdict] if s in scripts else 3, order.get(s, 999), s))
    hosts = sorted({e.host for e in edges}, key=lambda h: (_host_rank(classes[h]), h))
    row, top, width = 34, 34, 1000
    lx, lw, rx, rw = 8, 400, 640, 352
    height = top + max(len(sources), len(hosts)) * row + 8
    y_of_source = {s: top + i * row for i, s in enumerate(sources)}
    y_of_host = {h: top + i * row for i, h in enumerate(hosts)}
    parts = [
        f'<svg class="graph" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="Scripts and the hosts they send requests or data to">',
        f'<text x="{lx}" y="20" class="gh">scripts</text>',
        f'<text x="{rx}" y="20" class="gh">hosts they talk to</text>',
    ]
    for e in edges:
        y1, y2 = y_of_source[e.source] + 12, y_of_host[e.host] + 12
        x1, x2 = lx + lw, rx
        kind = "card" if e.card or e.canary else ("static" if e.static and not e.requests
                                                  else "seen")
        what = []
        if e.requests:
            what.append(f"{e.requests} request(s) seen")
        if e.static:
            what.append("send found in the code")
        if e.card:
            what.append("card data")
        if e.canary:
            what.append("carried the canary")
        label = f"{_source_name(e.source, scripts)} → {e.host}: {', '.join(what)}"
        parts.append(
            f'<path class="edge {kind}" d="M{x1},{y1} C{x1 + 110},{y1} {x2 - 110},{y2} '
            f'{x2},{y2}"><title>{esc(label)}</title></path>')
    for s in sources:
        y = y_of_source[s]
        script = scripts.get(s)
        color = VERDICT_COLORS[script.verdict] if script else "#455a64"
        name = _source_name(s, scripts)
        parts.append(
            f'<g class="node"><title>{esc(name)}</title>'
            f'<rect x="{lx}" y="{y}" width="{lw}" height="24" rx="4" fill="#fff" '
            f'stroke="{color}" stroke-width="{2 if script and script.verdict is not Verdict.CLEAN else 1}"/>'  # noqa: E501
            f'<text x="{lx + 8}" y="{y + 16}" fill="{color}">{esc(short(name, 60))}</text></g>')
    for h in hosts:
        y = y_of_host[h]
        color = HOST_COLORS[classes[h]]
        parts.append(
            f'<g class="node"><title>{esc(h)} ({esc(classes[h].value)})</title>'
            f'<rect x="{rx}" y="{y}" width="{rw}" height="24" rx="12" fill="{color}"/>'
            f'<text x="{rx + 12}" y="{y + 16}" fill="#fff">{esc(short(h, 36))} · '
            f'{esc(classes[h].value)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _source_name(source: str, scripts: dict[str, ScriptReport]) -> str:
    script = scripts.get(source)
    if script is None:
        return "the page itself (document)" if source == "" else source
    return script_label(script)


_NO_ADDRESS = (ScriptKind.INLINE, ScriptKind.HANDLER, ScriptKind.JAVASCRIPT_URL, ScriptKind.EVAL)


def script_label(script: ScriptReport) -> str:
    """How a script is named for people: its URL, or its kind and id for code without one."""
    if script.kind in _NO_ADDRESS or not script.url:
        where = f" in {script.url.split('#', 1)[0]}" if script.url else ""
        return f"{script.kind.value} script {script.id}{where}"
    return script.url


# --- screenshots ------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, or None when `data` is not one."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return (int(width), int(height)) if width and height else None


def finding_marks(f: Finding) -> list[Mark]:
    """The finding's own place and every step of its taint path, numbered."""
    marks = [Mark(s.location.line, s.location.column, str(i + 1)) for i, s in enumerate(f.flow)]
    if f.location is not None:
        marks.append(Mark(f.location.line, f.location.column, ""))
    return marks
