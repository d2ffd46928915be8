"""STAGE 5 (report) — the self-contained HTML report, for the person who has to act on it.

One file, readable offline, in the order a security lead asks the questions:
1. the verdict, at the top (worst target first: which page, which script, which destination);
2. per target: the page screenshot with the card fields marked (when the capture recorded
   their boxes in `page["card_field_boxes"]`; otherwise the fields are listed beside it), each
   finding with its evidence — the code excerpt with the lines and taint steps highlighted,
   the request that carried the canary (masked) or the requests seen to the destination,
   the taint path, the rule's explanation and references — then a graph of scripts to the
   hosts they talk to (inline SVG), the script inventory (first or third party, processor,
   approved by the policy or not), the requests, the security headers and what could not be
   seen.

Invariants: a pure function of (Report, rules, sources); no network — no script, no external
font, image or stylesheet; the screenshot is a data: URI and a Content-Security-Policy meta
tag (`default-src 'none'`, the one stylesheet allowed by its hash) makes the browser refuse
anything else; every text from the scan (URLs, messages, code) is masked and escaped, and no
attribute or element is built from it except as escaped text; deterministic (the start and
finish times are the only times in it); no JavaScript, so it renders with none.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from skimscan.analyze.deobfuscate import deobfuscate
from skimscan.analyze.rules import Rule
from skimscan.models import (
    Finding,
    HostClass,
    Report,
    RequestRecord,
    ScriptSource,
    Severity,
    TargetReport,
    Verdict,
)
from skimscan.report.html_parts import (
    HOST_COLORS,
    code_excerpt,
    esc,
    finding_marks,
    png_size,
    script_host_graph,
    script_label,
    short,
)
from skimscan.report.sarif import mitre_url

#: script id or sha256 → its code (a `ScriptSource` also gives the document line it starts at)
Sources = Mapping[str, str | ScriptSource]

_VERDICT_ORDER = {Verdict.MALICIOUS: 0, Verdict.ERROR: 1, Verdict.SUSPICIOUS: 2, Verdict.CLEAN: 3}
_VERDICT_WORD = {Verdict.MALICIOUS: "Malicious", Verdict.ERROR: "Incomplete",
                 Verdict.SUSPICIOUS: "Suspicious", Verdict.CLEAN: "No skimmer found"}
_CARD_LABELS = {"card", "form", "keys"}
_EVIDENCE_ORDER = ("host", "host_class", "lookalike_of", "service", "category", "reason", "sink",
                   "method", "mode", "url", "labels", "encoded", "field", "selector", "event",
                   "target", "via")

CSS = """
:root{--red:#c62828;--orange:#ef6c00;--green:#2e7d32;--grey:#546e7a;--ink:#1c2329;
--muted:#5f6b76;--line:#d8dee4;--bg:#f6f8fa;--purple:#6a1b9a}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
background:var(--bg)}
main,.wrap{max-width:1180px;margin:0 auto;padding:0 20px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
code{overflow-wrap:anywhere}
a{color:#0b57d0}
.verdict{color:#fff;padding:26px 0 22px;margin-bottom:18px}
.v-malicious{background:var(--red)}.v-error{background:var(--purple)}
.v-suspicious{background:var(--orange)}.v-clean{background:var(--green)}
.verdict .kicker{margin:0;opacity:.85;font-size:13px;letter-spacing:.08em;text-transform:uppercase}
.verdict h1{margin:2px 0 6px;font-size:34px;line-height:1.15}
.verdict .lede{margin:0 0 10px;font-size:17px;max-width:70em}
.verdict ul.hits{margin:0 0 10px;padding-left:20px}
.verdict code{font-size:14px;background:rgba(255,255,255,.16);padding:1px 4px;border-radius:3px}
.counts{display:flex;flex-wrap:wrap;gap:8px;padding:0;margin:0;list-style:none}
.counts li{background:rgba(255,255,255,.18);padding:2px 10px;border-radius:12px;font-size:13px}
nav.toc{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;
margin-bottom:18px}
nav.toc ol{margin:4px 0 0;padding-left:22px}
section.target{background:#fff;border:1px solid var(--line);border-radius:8px;padding:4px 22px 18px;
margin-bottom:22px}
section.target>h2{font-size:20px;margin:16px 0 6px;overflow-wrap:anywhere}
h3{font-size:16px;margin:22px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;color:#fff;font-size:12px;
font-weight:600;text-transform:uppercase;letter-spacing:.04em;vertical-align:2px}
.b-malicious,.s-critical{background:var(--red)}.s-high{background:#e53935}
.b-suspicious,.s-medium{background:var(--orange)}.s-low{background:#0277bd}
.s-info,.b-clean{background:var(--grey)}.b-clean{background:var(--green)}
.b-error{background:var(--purple)}
.keyfacts{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:8px 0 0}
.keyfacts dt{color:var(--muted)}.keyfacts dd{margin:0}
.shot{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap}
.shot figure{margin:0;flex:1 1 560px;max-width:760px}
.frame{position:relative;border:1px solid var(--line);border-radius:6px;overflow:hidden;
max-height:620px;overflow-y:auto}
.frame img{display:block;width:100%;height:auto}
.frame svg{position:absolute;left:0;top:0;width:100%;height:100%}
.frame rect{fill:rgba(198,40,40,.12);stroke:#c62828;stroke-width:3}
.frame text{fill:#c62828;font:bold 13px system-ui,sans-serif}
.shot figcaption{color:var(--muted);font-size:13px;margin-top:4px}
.shot .facts{flex:1 1 280px}
.shot .facts ul{margin:2px 0 10px;padding-left:20px}
article.finding{border:1px solid var(--line);border-left:5px solid var(--grey);border-radius:6px;
padding:10px 14px;margin:12px 0}
article.f-critical{border-left-color:var(--red)}article.f-high{border-left-color:#e53935}
article.f-medium{border-left-color:var(--orange)}article.f-low{border-left-color:#0277bd}
article.accepted{opacity:.75}
article.finding h4{margin:0;font-size:16px;display:inline}
.fhead{display:flex;flex-wrap:wrap;gap:8px;align-items:baseline}
.rule{color:var(--muted)}
.message{margin:6px 0;font-size:15px}
.accepted-note{background:#fff8e1;border:1px solid #ffe082;padding:4px 8px;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg);font-weight:600}
td{overflow-wrap:anywhere}
td.nw{white-space:nowrap;overflow-wrap:normal}
table.inv td:nth-child(2){min-width:22em}
table.ev th{width:150px;background:none;color:var(--muted);font-weight:normal}
ol.flow{margin:6px 0;padding-left:26px;font-size:14px}
ol.flow .loc{color:var(--muted);font-family:ui-monospace,monospace;font-size:12px}
pre.code{background:#0f1720;color:#d7dee6;padding:10px 0;border-radius:6px;overflow-x:auto;
white-space:pre;margin:8px 0;line-height:1.45}
pre.code .line{display:block;padding:0 12px 0 5.2em;text-indent:-5.2em}
pre.code .hit{background:#2a1e1e;white-space:pre-wrap;overflow-wrap:anywhere}
pre.code .ln{display:inline-block;width:4.2em;margin-right:1em;text-align:right;color:#7b8794;
text-indent:0;user-select:none}
pre.code .hit .ln{color:#ffab91}
pre.code mark{background:#ffd54f;color:#111;border-radius:2px;padding:0 1px}
pre.code mark[data-step]::before{content:attr(data-step);font-size:10px;background:#c62828;
color:#fff;border-radius:6px;padding:0 4px;margin-right:2px;vertical-align:2px}
pre.code .cut,pre.code .gap{color:#7b8794}
pre.code .gap{display:block;padding-left:3.5em}
.req-canary{color:var(--red);font-weight:600}
.muted{color:var(--muted)}
.ok{color:var(--green);font-weight:600}.bad{color:var(--red);font-weight:600}
svg.graph{max-width:100%;height:auto;background:#fff}
svg.graph text{font:13px system-ui,sans-serif}
svg.graph .gh{fill:#5f6b76;font-weight:600}
svg.graph .edge{fill:none;stroke:#90a4ae;stroke-width:1.5}
svg.graph .edge.static{stroke:#ef6c00;stroke-dasharray:6 4;stroke-width:2}
svg.graph .edge.card{stroke:#c62828;stroke-width:3.5}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:13px;color:var(--muted);margin:4px 0}
.sw{display:inline-block;width:26px;height:0;border-top:3px solid;vertical-align:4px;
margin-right:4px}
.sw.card{border-color:#c62828}.sw.static{border-top:2px dashed #ef6c00}
.sw.seen{border-color:#90a4ae}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px}
details>summary{cursor:pointer;color:#0b57d0}
footer{color:var(--muted);font-size:13px;padding:10px 0 30px}
h5{font-size:14px;margin:12px 0 4px}
@media print{.frame{max-height:none;overflow:visible}}
"""


# --- small pieces ---------------------------------------------------------------------------


def _badge(verdict: Verdict) -> str:
    return f'<span class="badge b-{verdict.value}">{esc(verdict.value)}</span>'


def _sev(severity: Severity) -> str:
    return f'<span class="badge s-{severity.label}">{severity.label}</span>'


def _code(text: str, limit: int = 120) -> str:
    return f"<code>{esc(short(text, limit))}</code>"


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) if value else '<span class="muted">none</span>'
    if isinstance(value, dict):
        return ", ".join(f"{esc(k)}: {_value(v)}" for k, v in sorted(value.items()))
    if isinstance(value, bool) or value is None:
        return esc(str(value).lower())
    return esc(short(str(value), 300))


def _resolve_sources(target: TargetReport, sources: Sources | None
                     ) -> dict[str, tuple[str, int]]:
    """script id → (code, document line offset), only where the code matches the script."""
    if not sources:
        return {}
    out: dict[str, tuple[str, int]] = {}
    for s in target.scripts:
        given = sources.get(s.sha256) if s.sha256 else None
        if given is None:
            given = sources.get(s.id)
        if given is None:
            continue
        code, offset = (given.code, given.line_offset) if isinstance(given, ScriptSource) \
            else (given, 0)
        digest = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
        if s.sha256 and digest != s.sha256:
            continue  # another target's s1, or stale code: showing it would mislead
        out[s.id] = (code, offset)
    return out


def _exfil_pairs(target: TargetReport) -> list[tuple[str, str | None]]:
    """(script label, destination host) of the active blocking findings, worst first."""
    scripts = {s.id: s for s in target.scripts}
    pairs: list[tuple[str, str | None]] = []
    for f in target.findings:
        if f.suppressed is not None or not f.is_blocking:
            continue
        script = scripts.get(f.script or "")
        label = script_label(script) if script else "the page"
        host = f.evidence.get("host")
        pair = (label, host if isinstance(host, str) and host else None)
        if pair not in pairs:
            pairs.append(pair)
    # a pair with a host says more than the same script without one
    with_host = {p[0] for p in pairs if p[1]}
    return [p for p in pairs if p[1] or p[0] not in with_host]


# --- the verdict ----------------------------------------------------------------------------


def _overall(report: Report) -> Verdict:
    if not report.targets:
        return Verdict.CLEAN
    return min((t.verdict for t in report.targets), key=lambda v: _VERDICT_ORDER[v])


def _verdict_header(report: Report, targets: Sequence[TargetReport]) -> str:
    overall = _overall(report)
    n = len(report.targets)
    bad = [t for t in targets if t.verdict is Verdict.MALICIOUS]
    errors = [t for t in targets if t.verdict is Verdict.ERROR]
    suspicious = [t for t in targets if t.verdict is Verdict.SUSPICIOUS]
    lines: list[str] = []
    if bad:
        lede = (f"Card-skimmer behaviour on {len(bad)} of {n} target(s). Treat the scripts "
                "below as compromised until proven otherwise.")
        for t in bad:
            for label, host in _exfil_pairs(t)[:4]:
                dest = f" sends card data to <strong>{esc(host)}</strong>" if host \
                    else " collects card data"
                lines.append(f"<li>{_code(label)}{dest} — on {_code(t.target)}</li>")
    elif errors:
        lede = (f"The scan is incomplete: {len(errors)} of {n} target(s) could not be scanned, "
                "so this report cannot say they are clean.")
    elif suspicious:
        lede = (f"No confirmed skimmer, but {len(suspicious)} of {n} target(s) have suspicious "
                "findings to review.")
    else:
        lede = (f"No skimmer behaviour found on {n} target(s). No findings is not a clean bill "
                "of health: static analysis sees only the code it was given.")
    if bad and errors:
        lede += f" {len(errors)} target(s) could not be scanned."
    counts = "".join(f"<li>{report.count(v)} {esc(v.value)}</li>" for v in
                     (Verdict.MALICIOUS, Verdict.SUSPICIOUS, Verdict.CLEAN, Verdict.ERROR))
    hits = f'<ul class="hits">{"".join(lines)}</ul>' if lines else ""
    return (f'<header class="verdict v-{overall.value}" id="verdict"><div class="wrap">'
            f'<p class="kicker">skimscan report</p>'
            f'<h1 data-verdict="{overall.value}">{esc(_VERDICT_WORD[overall])}</h1>'
            f'<p class="lede">{esc(lede)}</p>{hits}<ul class="counts">{counts}</ul>'
            f"</div></header>")


# --- the page: screenshot and card fields ----------------------------------------------------


def _boxes(page: Mapping[str, Any]) -> list[tuple[float, float, float, float, str]]:
    raw = page.get("card_field_boxes")
    out: list[tuple[float, float, float, float, str]] = []
    if not isinstance(raw, list | tuple):
        return out
    for box in raw:
        if not isinstance(box, Mapping):
            continue
        try:
            x, y, w, h = (float(box[k]) for k in ("x", "y", "width", "height"))
        except (KeyError, TypeError, ValueError):
            continue
        if w > 0 and h > 0:
            out.append((x, y, w, h, str(box.get("selector") or box.get("label") or "")))
    return out


def _page_section(t: TargetReport) -> str:
    page = t.page or {}
    fields = [str(f) for f in page.get("card_fields") or ()]
    facts: list[str] = []
    for title, key in (("Card fields", "card_fields"), ("Forms (action)", "forms"),
                       ("Iframes", "iframes"), ("CSP in meta tags", "csp_meta")):
        items = [str(v) for v in page.get(key) or ()]
        body = "".join(f"<li>{_code(v, 160)}</li>" for v in items) if items \
            else '<li class="muted">none found</li>'
        facts.append(f"<h4>{esc(title)}</h4><ul>{body}</ul>")
    figure = ""
    size = png_size(t.screenshot_png) if t.screenshot_png else None
    if t.screenshot_png and size:
        width, height = size
        data = base64.b64encode(t.screenshot_png).decode("ascii")
        boxes = _boxes(page)
        overlay = ""
        if boxes:
            rects = "".join(
                f'<g><title>{esc(label)}</title><rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" '
                f'height="{h:.0f}" rx="3"/><text x="{x:.0f}" y="{max(12.0, y - 4):.0f}">'
                f"{esc(short(label, 40))}</text></g>" for x, y, w, h, label in boxes)
            overlay = (f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
                       f'xmlns="http://www.w3.org/2000/svg" aria-hidden="true">{rects}</svg>')
        caption = (f"{len(boxes)} card field(s) marked in red." if boxes else
                   (f"{len(fields)} card field(s) found (listed at the right; this capture did "
                    "not record their positions)." if fields else "No card field found."))
        figure = (f'<figure><div class="frame"><img alt="Screenshot of {esc(t.target)}" '
                  f'width="{width}" height="{height}" src="data:image/png;base64,{data}">'
                  f"{overlay}</div><figcaption>{esc(caption)}</figcaption></figure>")
    elif t.kind.value == "page":
        figure = '<p class="muted">No screenshot was captured for this page.</p>'
    if not figure and not any(page.get(k) for k in ("card_fields", "forms", "iframes")):
        return ""
    return (f'<h3>The page</h3><div class="shot">{figure}<div class="facts">{"".join(facts)}'
            "</div></div>")


# --- findings ---------------------------------------------------------------------------------


def _requests_for(f: Finding, t: TargetReport) -> tuple[str, list[RequestRecord]]:
    host = f.evidence.get("host")
    canary = [r for r in t.requests if r.carries_canary and (
        (f.script and r.script == f.script) or (host and r.host == host))]
    if canary:
        return "Request that carried the canary card", canary
    if isinstance(host, str) and host:
        return f"Requests seen to {host}", [r for r in t.requests if r.host == host]
    return "", []


def _request_table(requests: Sequence[RequestRecord], limit: int = 20) -> str:
    rows = []
    for r in requests[:limit]:
        flags = []
        if r.carries_canary:
            flags.append('<span class="req-canary">carried the canary</span>')
        if r.quarantined:
            flags.append("quarantined (answered locally, never forwarded)")
        rows.append(f"<tr><td>{esc(r.method)}</td><td>{_code(r.url, 240)}</td>"
                    f"<td>{esc(r.resource_type)}</td><td>{esc(r.host_class.value)}</td>"
                    f"<td>{esc(r.script or 'page')}</td>"
                    f"<td>{esc(r.status if r.status is not None else '—')}</td>"
                    f"<td>{', '.join(flags)}</td></tr>")
    more = (f'<p class="muted">and {len(requests) - limit} more.</p>'
            if len(requests) > limit else "")
    return ("<table><thead><tr><th>method</th><th>URL (masked)</th><th>type</th><th>host class</th>"
            "<th>script</th><th>status</th><th></th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>" + more)


def _rule_details(rule: Rule | None) -> str:
    if rule is None:
        return ""
    bits = [f"<p>{esc(' '.join(rule.description.split()))}</p>"]
    if rule.mitre:
        links = ", ".join(f'<a href="{esc(mitre_url(m))}" rel="noreferrer noopener">{esc(m)}</a>'
                          for m in rule.mitre)
        bits.append(f"<p>MITRE ATT&amp;CK: {links}</p>")
    if rule.pci:
        bits.append(f"<p>PCI DSS v4.0 requirements: {esc(', '.join(rule.pci))}</p>")
    refs = [r for r in rule.references if r.startswith(("https://", "http://"))]
    if refs:
        bits.append("<p>References: " + ", ".join(
            f'<a href="{esc(r)}" rel="noreferrer noopener">{esc(short(r, 80))}</a>' for r in refs)
            + "</p>")
    return f"<details><summary>About this rule</summary>{''.join(bits)}</details>"


def _finding(f: Finding, index: str, t: TargetReport, rules: Mapping[str, Rule],
             code: Mapping[str, tuple[str, int]]) -> str:
    scripts = {s.id: s for s in t.scripts}
    script = scripts.get(f.script or "")
    classes = ["finding", f"f-{f.severity.label}"] + (["accepted"] if f.suppressed else [])
    parts = [f'<article class="{" ".join(classes)}" id="{esc(index)}" data-rule="{esc(f.rule)}">',
             f'<div class="fhead">{_sev(f.severity)}<span class="muted">'
             f"{esc(f.confidence.label)} confidence</span><h4>{esc(f.title)}</h4>"
             f'<code class="rule">{esc(f.rule)}</code></div>',
             f'<p class="message">{esc(f.message)}</p>']
    if f.suppressed:
        parts.append(f'<p class="accepted-note">Accepted: {esc(f.suppressed)}</p>')
    where = "the page (runtime evidence)" if script is None else script_label(script)
    loc = f" line {f.location.line}, column {f.location.column + 1}" if f.location else ""
    meta = [f"<dt>Script</dt><dd>{_code(where, 200)}{esc(loc)}"
            + (f' <span class="muted">({esc(script.kind.value)}, '
               f"{esc(script.host_class.value)}, {esc(script.id)})</span>" if script else "")
            + "</dd>"]
    host = f.evidence.get("host")
    if isinstance(host, str) and host:
        host_class = str(f.evidence.get("host_class") or "")
        reason = str(f.evidence.get("reason") or "")
        meta.append(f"<dt>Destination</dt><dd><strong>{esc(host)}</strong>"
                    + (f" ({esc(host_class)})" if host_class else "")
                    + (f' <span class="muted">— {esc(reason)}</span>' if reason else "")
                    + "</dd>")
    parts.append(f'<dl class="keyfacts">{"".join(meta)}</dl>')
    if f.flow:
        steps = "".join(f'<li><span class="loc">{s.location.line}:{s.location.column + 1}'
                        f"</span> {esc(s.description)}</li>" for s in f.flow)
        parts.append(f"<h5>Taint path</h5><ol class=\"flow\">{steps}</ol>")
    if script is not None and script.id in code and (f.location or f.flow):
        source, offset = code[script.id]
        excerpt = code_excerpt(source, finding_marks(f), offset)
        if excerpt:
            parts.append(excerpt)
    elif f.location is not None and script is not None:
        parts.append('<p class="muted">Source code not included in this report.</p>')
    evidence = [k for k in _EVIDENCE_ORDER if k in f.evidence and k not in ("host", "reason")]
    evidence += sorted(k for k in f.evidence if k not in _EVIDENCE_ORDER)
    if evidence:
        rows = "".join(f"<tr><th>{esc(k)}</th><td>{_value(f.evidence[k])}</td></tr>"
                       for k in evidence)
        parts.append(f'<details><summary>Evidence</summary><table class="ev">{rows}</table>'
                     "</details>")
    title, requests = _requests_for(f, t)
    if requests:
        parts.append(f"<h5>{esc(title)}</h5>{_request_table(requests, 5)}")
    elif title:
        parts.append(f'<p class="muted">{esc(title)}: none during the scan (the code sends '
                     "when its trigger fires, e.g. on the pay button).</p>")
    parts.append(_rule_details(rules.get(f.rule)))
    parts.append("</article>")
    return "".join(parts)


def _findings_section(t: TargetReport, n: int, rules: Mapping[str, Rule],
                      code: Mapping[str, tuple[str, int]]) -> str:
    main = [(i, f) for i, f in enumerate(t.findings)
            if f.suppressed is None and f.severity > Severity.INFO]
    quiet = [(i, f) for i, f in enumerate(t.findings)
             if not (f.suppressed is None and f.severity > Severity.INFO)]
    out = [f"<h3>Findings ({len(main)})</h3>"]
    if not main:
        out.append('<p class="muted">No finding above informational.</p>')
    out.extend(_finding(f, f"t{n}-f{i + 1}", t, rules, code) for i, f in main)
    if quiet:
        out.append(f"<details><summary>{len(quiet)} informational or accepted finding(s) "
                   "(script inventory, suppressed by policy or baseline)</summary>")
        out.extend(_finding(f, f"t{n}-f{i + 1}", t, rules, code) for i, f in quiet)
        out.append("</details>")
    return "".join(out)


# --- graph, inventory, requests ---------------------------------------------------------------


def _graph_section(t: TargetReport) -> str:
    svg = script_host_graph(t)
    if not svg:
        return ""
    classes = sorted({r.host_class for r in t.requests} | {
        HostClass(str(f.evidence["host_class"])) for f in t.findings
        if str(f.evidence.get("host_class")) in {c.value for c in HostClass}},
        key=lambda c: c.value)
    dots = "".join(f'<span><span class="dot {esc("h-" + c.value)}"></span>{esc(c.value)}</span>'
                   for c in classes)
    legend = ('<div class="legend"><span><span class="sw card"></span>card data / canary</span>'
              '<span><span class="sw static"></span>send found in code, not seen</span>'
              '<span><span class="sw seen"></span>requests seen</span>' + dots + "</div>")
    return f"<h3>Scripts and the hosts they talk to</h3>{legend}{svg}"


def _inventory_section(t: TargetReport) -> str:
    if not t.scripts:
        return ""
    rank = {Verdict.MALICIOUS: 0, Verdict.SUSPICIOUS: 1, Verdict.ERROR: 2, Verdict.CLEAN: 3}
    ordered = sorted(enumerate(t.scripts), key=lambda p: (rank[p[1].verdict], p[0]))
    rows = []
    for _, s in ordered:
        party = "first party" if s.host_class is HostClass.FIRST_PARTY else "third party"
        processor = "yes" if s.host_class is HostClass.PROCESSOR else "—"
        if s.authorization == "approved":
            auth = '<span class="ok">approved</span>' + (
                f" — {esc(s.justification)}" if s.justification else "")
        elif s.authorization == "unapproved":
            auth = '<span class="bad">not approved</span>'
        else:
            auth = '<span class="muted nw">no policy</span>'
        first = s.initiator[0] if s.initiator else ""
        loaded_by = ("page" if first == t.target else "its frame" if first == s.frame
                     else short(first, 48) or "—")
        rows.append(
            f'<tr data-script="{esc(s.id)}"><td class="nw">{esc(s.id)}</td>'
            f'<td>{_code(script_label(s), 140)}</td><td class="nw">{esc(s.kind.value)}</td>'
            f'<td class="nw">{party}</td><td class="nw">{esc(s.host_class.value)}</td>'
            f'<td class="nw">{processor}</td><td>{auth}</td>'
            f'<td class="nw">{_badge(s.verdict)}</td><td>{esc(loaded_by)}</td>'
            # a digest is not card data: masking would mangle the ~5% with a long digit run
            f'<td class="mono nw" title="{html.escape(s.sha256)}">{html.escape(s.sha256[:10])}'
            "</td>"
            f'<td class="nw">{s.size:,}</td></tr>')
    return (f'<h3>Script inventory ({len(t.scripts)})</h3><table class="inv"><thead><tr>'
            "<th>id</th><th>script</th><th>kind</th><th>party</th><th>host class</th>"
            '<th>processor</th><th title="PCI DSS 6.4.3 authorisation">policy</th>'
            "<th>verdict</th><th>loaded by</th><th>sha256</th><th>bytes</th></tr></thead>"
            "<tbody>" + "".join(rows) + "</tbody></table>")


def _requests_section(t: TargetReport) -> str:
    if not t.requests:
        return ""
    canary = sum(1 for r in t.requests if r.carries_canary)
    label = f"All requests ({len(t.requests)}" + (f", {canary} with the canary" if canary
                                                  else "") + ")"
    return (f"<h3>Requests</h3><details><summary>{esc(label)}</summary>"
            f"{_request_table(t.requests, 500)}</details>")


def _extras_section(t: TargetReport) -> str:
    out = []
    if t.headers:
        rows = "".join(f"<tr><th>{esc(k)}</th><td>{_code(v, 400)}</td></tr>"
                       for k, v in sorted(t.headers.items()))
        out.append(f'<h3>Security headers</h3><table class="ev">{rows}</table>')
    if t.notes:
        items = "".join(f"<li>{esc(n)}</li>" for n in t.notes)
        out.append(f"<h3>What could not be seen</h3><ul>{items}</ul>")
    return "".join(out)


def _target_section(t: TargetReport, n: int, rules: Mapping[str, Rule],
                    sources: Sources | None) -> str:
    code = _resolve_sources(t, sources)
    parts = [f'<section class="target" id="t{n}" data-verdict="{t.verdict.value}">',
             f"<h2>{_badge(t.verdict)} {esc(t.target)}</h2>"]
    if t.error:
        parts.append(f'<p class="accepted-note">Could not be scanned completely: '
                     f"{esc(t.error)}</p>")
    pairs = _exfil_pairs(t)
    if pairs:
        items = "".join(
            f"<li>{_code(label, 160)}"
            + (f" → <strong>{esc(host)}</strong>" if host else " (collects card data)")
            + "</li>" for label, host in pairs)
        parts.append(f'<dl class="keyfacts"><dt>Card data goes</dt><dd><ul>{items}</ul></dd></dl>')
    parts.append(_findings_section(t, n, rules, code))
    parts.append(_deobfuscated_section(t, code))
    parts.append(_page_section(t))
    parts.append(_graph_section(t))
    parts.append(_inventory_section(t))
    parts.append(_requests_section(t))
    parts.append(_extras_section(t))
    parts.append("</section>")
    return "".join(parts)


#: Lines of a script's deobfuscated source shown in the report.
DEOBFUSCATED_LINES = 400


def _deobfuscated_section(t: TargetReport, code: Mapping[str, tuple[str, int]]) -> str:
    """For each flagged script whose source is in the report and that the analysis rewrote:
    the clean program the rules saw (folded, masked, cut at DEOBFUSCATED_LINES lines)."""
    out: list[str] = []
    for s in t.scripts:
        if s.verdict not in (Verdict.MALICIOUS, Verdict.SUSPICIOUS) or s.id not in code:
            continue
        clean = deobfuscate(code[s.id][0])
        if not clean.changed or not clean.code:
            continue
        lines = clean.code.splitlines()
        rewrites = ", ".join(f"{name} {count}" for name, count in clean.techniques)
        more = len(lines) - DEOBFUSCATED_LINES
        body = "".join(f'<span class="line">{esc(line)}</span>'
                       for line in lines[:DEOBFUSCATED_LINES])
        if more > 0:
            body += f'<span class="gap">… {more} more line(s): skimscan deobfuscate</span>'
        out.append(f"<details><summary>{_code(script_label(s), 140)} — what the analysis saw "
                   f"({esc(rewrites)})</summary><pre class=\"code\">{body}</pre></details>")
    if not out:
        return ""
    return ("<h3>Deobfuscated source</h3><p class=\"muted\">The analysis rewrote these scripts "
            "into plain code before reading them (string tables decoded, proxies inlined, "
            "control flow restored); `skimscan deobfuscate FILE` prints the same.</p>"
            + "".join(out))


def _host_dot_css() -> str:
    return "".join(f".h-{c.value}{{background:{HOST_COLORS[c]}}}" for c in HostClass)


def render_html(report: Report, rules: Iterable[Rule] = (), sources: Sources | None = None,
                *, title: str | None = None) -> str:
    """The HTML report: one self-contained, offline, script-free file.

    `sources` maps a script's sha256 or id to its code (a `ScriptSource` carries the document
    line an inline script starts at); code whose sha256 does not match the script is ignored.
    """
    by_id = {r.id: r for r in rules}
    targets = sorted(report.targets, key=lambda t: (_VERDICT_ORDER[t.verdict], t.target))
    css = (CSS + _host_dot_css()).strip()
    css_hash = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; img-src data:; style-src 'sha256-{css_hash}'; "
           "base-uri 'none'; form-action 'none'")
    overall = _overall(report)
    page_title = title or (f"skimscan: {_VERDICT_WORD[overall]} — "
                           + (targets[0].target if len(targets) == 1
                              else f"{len(targets)} targets"))
    toc = ""
    if len(targets) > 1:
        items = "".join(f'<li>{_badge(t.verdict)} <a href="#t{i + 1}">{esc(t.target)}</a></li>'
                        for i, t in enumerate(targets))
        toc = f'<nav class="toc"><strong>Targets</strong><ol>{items}</ol></nav>'
    sections = "".join(_target_section(t, i + 1, by_id, sources) for i, t in enumerate(targets))
    when = " to ".join(esc(x) for x in (report.started_at, report.finished_at) if x)
    footer = (f"<footer>skimscan {esc(report.tool_version)}"
              + (f", scan {when}" if when else "")
              + ". Card-number-like digits are masked in the text; the screenshot has every "
              "text field of the page painted over. "
              "No findings is not a clean bill of health: static analysis sees only the code it "
              "was given, and a skimmer may serve itself only to some visitors.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            '<meta name="referrer" content="no-referrer">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="generator" content="skimscan">'
            f"<title>{esc(page_title)}</title>"
            '<link rel="icon" href="data:,">'
            f"<style>{css}</style></head><body>"
            + _verdict_header(report, targets) + f"<main>{toc}{sections}{footer}</main>"
            + "</body></html>\n")
