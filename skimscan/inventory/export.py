"""SIDE-CAR (inventory) — evidence for auditors: the script inventory (CSV, JSON, Markdown), the
history of scans and changes over a date range, and the SRI/CSP proposals, as text.

PCI DSS 6.4.3 asks for an inventory of every payment-page script with a written justification
and its authorisation; 11.6.1 for evidence that changes were detected, over time. Each record
here comes from the store (timestamps in UTC, scan ids to trace it back).

Invariants: renderers are pure functions of typed records and return a string; output is
deterministic (stable column and key order, rows sorted); JSON documents carry a schema name.
Markdown shows every string that came from a scan (script URLs and keys, hosts, header values,
finding messages, errors) as inert text (`md_text`): a script URL such as
`https://x.test/a.js?[Pay here](https://evil.test)` or one carrying `<script>`, `|` or
backticks renders as the characters it is, never as a link, an image, HTML, code or a table
cell of its own; code diffs go in fences longer than any backtick run they contain.

History exports: a change's `alerted` is what became of its alert, as the store's outbox
records it — `delivered` (a webhook accepted it), `failed` (the last delivery failed; the next
round sends it again), `pending` (raised, not sent yet), `no-webhook` (raised by a round without
a webhook: exit status and log only), `unknown` (raised before skimscan kept an outbox, no
delivery on record) — or `no` when the change raised no alert (already alerted, or found by a
scan a person asked for). Schema `skimscan/history/v2`: in v1 `alerted` was a boolean, true for
every raised alert however its delivery went; `delivery` is unchanged (the outbox state, `""`
when no alert was raised), as is everything else. The CSV's `alerted` column changed the same
way (columns are only ever added at the end); the Markdown's change table has the one
`alerted` column.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from skimscan.inventory.proposals import Proposals
from skimscan.inventory.store import (
    AlertRow,
    ChangeRow,
    Content,
    InventoryRow,
    ScanRow,
    ScriptState,
    Snapshot,
)
from skimscan.policy.policy import Policy
from skimscan.report.json_report import mask
from skimscan.report.terminal import printable

INVENTORY_SCHEMA = "skimscan/inventory/v1"
#: v2: a change's `alerted` is its alert's delivery state, not a boolean (module docstring)
HISTORY_SCHEMA = "skimscan/history/v2"
FORMATS = ("csv", "json", "md")


@dataclass(frozen=True)
class InventoryRecord:
    """One script on one page, as an auditor reads it."""

    target: str
    key: str
    url: str
    kind: str
    host_class: str
    sha256: str
    sri_sha384: str
    first_seen: str
    last_seen: str
    authorization: str  # approved / unapproved / unknown (no policy)
    owner: str
    justification: str
    integrity: str  # pinned-ok / pinned-mismatch / not-pinned / "" (no policy entry)
    in_baseline: str  # yes / no / no-baseline
    verdict: str
    scan_id: int


def inventory_records(rows: Sequence[InventoryRow],
                      policy: Policy | None = None) -> list[InventoryRecord]:
    """Records with authorisation from `policy` when given, else as recorded at scan time."""
    out: list[InventoryRecord] = []
    for r in rows:
        s = r.script
        owner = justification = integrity = ""
        authorization = s.authorization or "unknown"
        if s.justification:
            justification = s.justification
        if policy is not None:
            site = policy.for_url(r.target)
            url = s.url if s.url and "://" in s.url and s.kind in (
                "external", "dynamic", "worker") else None
            approved = site.approved_script(url, s.sha256)
            authorization = "approved" if approved else "unapproved"
            if approved is not None:
                owner, justification = approved.owner, approved.justification
                ok = approved.integrity_ok(dict(r.sri))
                integrity = ("not-pinned" if ok is None else "pinned-ok" if ok
                             else "pinned-mismatch")
        out.append(InventoryRecord(
            target=r.target, key=s.key, url=s.url or "", kind=s.kind, host_class=s.host_class,
            sha256=s.sha256, sri_sha384=f"sha384-{r.sri['sha384']}" if r.sri.get("sha384")
            else "", first_seen=r.first_seen, last_seen=r.last_seen,
            authorization=authorization, owner=owner, justification=justification,
            integrity=integrity,
            in_baseline="no-baseline" if r.in_baseline is None else
            ("yes" if r.in_baseline else "no"),
            verdict=s.verdict, scan_id=r.scan_id))
    return sorted(out, key=lambda x: (x.target, x.key, x.sha256))


def render_inventory(records: Sequence[InventoryRecord], fmt: str, *, generated_at: str) -> str:
    if fmt == "json":
        return _json({"schema": INVENTORY_SCHEMA, "generated_at": generated_at,
                      "scripts": [asdict(r) for r in records]})
    columns = [f.name for f in fields(InventoryRecord)]
    if fmt == "csv":
        return _csv(columns, [[getattr(r, c) for c in columns] for r in records])
    short = ["target", "url", "kind", "authorization", "owner", "justification", "integrity",
             "in_baseline", "first_seen", "last_seen", "sha256"]
    lines = ["# Payment-page script inventory (PCI DSS 6.4.3)", "",
             f"Generated {generated_at} from the skimscan store. "
             f"{len(records)} script(s); "
             f"{sum(1 for r in records if r.authorization != 'approved')} not approved.", ""]
    lines += _md_table(short, [[_short(r, c) for c in short] for r in records])
    return "\n".join(lines) + "\n"


def _short(r: InventoryRecord, column: str) -> str:
    value = str(getattr(r, column))
    if column == "url" and not value:
        return r.key
    if column == "sha256":
        return value[:16]
    return value


def render_history(scans: Sequence[ScanRow], changes: Sequence[ChangeRow], fmt: str, *,
                   since: str | None, until: str | None, generated_at: str,
                   deliveries: Sequence[AlertRow] = ()) -> str:
    """Scans, changes (each alerted one with its delivery: pending, failed, delivered,
    no-webhook or unknown) and every webhook delivery, as recorded — never as intended."""
    if fmt == "json":
        return _json({"schema": HISTORY_SCHEMA, "generated_at": generated_at,
                      "since": since, "until": until,
                      "scans": [asdict(s) for s in scans],
                      "changes": [{**asdict(c), "alerted": alert_state(c)} for c in changes],
                      "deliveries": [asdict(a) for a in deliveries]})
    scan_cols = ["id", "target", "started_at", "finished_at", "status", "verdict",
                 "tool_version", "rules_version", "baseline_id", "error"]
    change_cols = ["id", "scan_id", "target", "created_at", "kind", "subject", "before", "after",
                   "alerted", "fingerprint"]
    if fmt == "csv":
        return _history_csv(scans, changes, deliveries)
    period = f"{since or 'the beginning'} to {until or 'now'}"
    lines = ["# Monitoring history (PCI DSS 11.6.1)", "",
             f"Generated {generated_at}; scans started from {md_text(period)} (UTC).", "",
             f"## Scans ({len(scans)})", ""]
    lines += _md_table(scan_cols, [[getattr(s, c) for c in scan_cols] for s in scans])
    lines += ["", f"## Changes ({len(changes)})", ""]
    lines += _md_table(change_cols, [[alert_state(c) if k == "alerted" else getattr(c, k)
                                      for k in change_cols] for c in changes])
    lines += ["", f"## Alert deliveries ({len(deliveries)})", ""]
    lines += _md_table(["id", "created_at", "destination", "outcome", "attempts", "http_status",
                        "error", "scan_ids"],
                       [[a.id, a.created_at, a.destination, _outcome(a), a.attempts,
                         a.http_status, a.error, " ".join(map(str, a.scan_ids))]
                        for a in deliveries])
    details = [c for c in changes if c.detail]
    if details:
        lines += ["", "## Change details", ""]
        for c in details:
            lines += [f"### {md_text(c.kind)} {md_text(c.subject)} (scan {c.scan_id}, "
                      f"{md_text(c.created_at)})", "",
                      *_fence(c.detail, "diff" if c.kind == "changed-script" else ""), ""]
    return "\n".join(lines) + "\n"


def alert_state(c: ChangeRow) -> str:
    """What became of a change's alert (module docstring): the outbox state, or `no`."""
    return (c.delivery or "unknown") if c.alerted else "no"


def _outcome(a: AlertRow) -> str:
    return "delivered" if a.ok else "failed"


def _history_csv(scans: Sequence[ScanRow], changes: Sequence[ChangeRow],
                 deliveries: Sequence[AlertRow]) -> str:
    """One table: `scan`, `change` and `alert` records (new columns only ever at the end)."""
    header = ["record", "id", "scan_id", "target", "time", "status", "verdict", "kind",
              "subject", "before", "after", "alerted", "tool_version", "rules_version",
              "error", "delivery"]
    rows: list[list[Any]] = [
        ["scan", s.id, s.id, s.target, s.started_at, s.status, s.verdict, "", "", "", "",
         "", s.tool_version, s.rules_version, s.error, ""] for s in scans]
    rows += [["change", c.id, c.scan_id, c.target, c.created_at, "", "", c.kind, c.subject,
              c.before, c.after, alert_state(c), "", "", "", c.delivery] for c in changes]
    rows += [["alert", a.id, " ".join(map(str, a.scan_ids)), a.destination, a.created_at,
              _outcome(a), "", "", "", "", "", "", "", "",
              " ".join(x for x in (f"HTTP {a.http_status}" if a.http_status else "",
                                   a.error or "") if x), _outcome(a)] for a in deliveries]
    return _csv(header, rows)


def render_proposals(proposals: Sequence[Proposals], fmt: str) -> str:
    if fmt == "json":
        return _json({"schema": "skimscan/proposals/v1", "pages": [{
            "target": p.target, "scan_id": p.scan_id,
            "sri": [asdict(s) for s in p.sri],
            "csp": {"header": p.csp.header, "directives": dict(p.csp.directives),
                    "excluded": list(p.csp.excluded), "notes": list(p.csp.notes)},
        } for p in proposals]})
    lines: list[str] = []
    for p in proposals:
        lines += [f"# Proposals for {md_text(p.target)} (from scan {p.scan_id})", "",
                  "## Content-Security-Policy (deploy as -Report-Only first)", "",
                  *_fence(f"Content-Security-Policy: {p.csp.header}"), ""]
        lines += [f"- left out: {md_text(e)}" for e in p.csp.excluded]
        lines += [f"- note: {md_text(n)}" for n in p.csp.notes]
        lines += ["", "## Subresource Integrity", ""]
        if not p.sri:
            lines.append("No external scripts.")
        for s in p.sri:
            lines += _fence(s.tag, "html")
            if s.note:
                lines.append(f"Note: {md_text(s.note)}")
        lines.append("")
    return "\n".join(lines)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


#: What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"): a script URL or a
#: header value a page controls must never compute in the assessor's spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV value as data: text a spreadsheet would take for a formula gets a leading `'`."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    if not rows:
        return ["(none)"]

    def cell(v: Any) -> str:
        return "" if v is None else md_text(str(v))

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return out


#: Characters that start Markdown (and GFM) inline syntax: code, emphasis, strikethrough,
#: links and images, math, escapes. Backslash-escaped wherever they are.
_MD_PUNCTUATION = frozenset("\\`*_[]~$")
#: HTML (tags, autolinks `<https://…>`, entities) and table cells: as entities.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;"}


def md_text(text: str) -> str:
    """Scanned text as inert Markdown text in a table cell, a heading or a list item (never at
    the start of a line): line breaks as spaces, Markdown punctuation backslash-escaped, `|`,
    `<`, `>` and `&` as HTML entities, a leading `#` escaped. It renders as the characters it
    is; nothing in it can link, embed, run, format or split a table."""
    flat = " ".join(text.splitlines())  # every line break (\r, \n, U+2028, …), not only \n
    lead = len(flat) - len(flat.lstrip())
    out: list[str] = []
    for i, ch in enumerate(flat):
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_PUNCTUATION or (ch == "#" and i == lead):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _fence(text: str, info: str = "") -> list[str]:
    """A fenced code block for `text`, its fence longer than any backtick run in it, so no line
    of the text can close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return [ticks + info, text, ticks]


def render_starter_policy(snapshot: Snapshot, contents: Mapping[str, Content], *,
                          generated_at: str, schedule: str = "0 3 * * *",
                          originals: Mapping[str, str] | None = None) -> str:
    """A policy file listing every script the scan saw, each waiting for a person to write its
    owner and justification (PCI DSS 6.4.3). `load_policy` refuses the file until they do.

    A script without a URL of its own (inline, handler, eval) is named by its sha256, with a
    comment saying where it ran and how it begins (`preview`): the text the browser ran, from
    `originals` (sha256 → text, Store.original_texts), else its normalised form."""
    url = snapshot.target
    parts = urlsplit(url)
    lines = [
        f"# skimscan starter policy, written by `skimscan policy init` at {generated_at}",
        f"# from scan {snapshot.scan_id} of {_comment(url)}.",
        "# PCI DSS 6.4.3: every script below ran on the payment page. For each, write who owns",
        "# it and why the page needs it (owner, justification) — or remove it from the page and",
        "# from this list. skimscan refuses this file until every owner and justification is",
        "# filled in. `integrity` (commented) would pin the exact bytes seen (SRI form).",
        "version: 1",
        "sites:",
        f"  - name: {_q((parts.hostname or url) + (parts.path or ''))}",
        f"    pages: [{_q(url)}]",
    ]
    others = sorted({(d.host, d.host_class) for d in snapshot.destinations
                     if d.host_class not in ("first-party", "processor")})
    if others:
        lines.append("    # Hosts the page talked to that are neither first-party nor a known "
                     "payment processor;")
        lines.append("    # approve only those you recognise:")
        lines += [f"    #   - {_q(h)}  # {c}" for h, c in others]
    lines.append("    approved_hosts: []")
    lines.append("    scripts:")
    seen: set[str] = set()
    for s in sorted(snapshot.scripts, key=lambda s: (s.kind != "external", s.key)):
        by_url = named_by_url(s)
        if by_url and s.url:
            entry = s.url if s.key == s.url else s.key + "*"
            what = f"{s.kind}, host {s.host_class}"
        else:
            entry = f"inline:{s.sha256}"
            content = contents.get(s.sha256)
            text = (originals or {}).get(s.sha256)
            if text is None:
                text = content.normalized if content else ""
            what = f"{s.kind} in {_comment(s.frame or s.url or url)}: {preview(text)}"
        if entry in seen:
            continue
        seen.add(entry)
        lines += [f"      - url: {_q(entry)}",
                  f"        # {_comment(what) if by_url else what}",
                  '        owner: ""',
                  '        justification: ""']
        content = contents.get(s.sha256)
        if by_url and content and content.sri.get("sha384"):
            lines.append(f"        # integrity: {_q('sha384-' + content.sri['sha384'])}")
    if not snapshot.scripts:
        lines[-1] = "    scripts: []"
    lines += ["watch:", f"  pages: [{_q(url)}]",
              f"  schedule: {_q(schedule)}  # cron, local time; 11.6.1 asks for at least weekly",
              "  # webhook: \"https://hooks.example/skimscan\"  # secret: SKIMSCAN_WEBHOOK_SECRET"]
    return "\n".join(lines) + "\n"


def named_by_url(s: ScriptState) -> bool:
    """Whether a starter policy names this script by its URL (else by its sha256)."""
    return bool(s.url and "://" in s.url and s.kind in ("external", "dynamic", "worker"))


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text)


#: How much of a script's beginning a starter policy shows (characters, escapes included).
PREVIEW_WIDTH = 60


def preview(text: str, width: int = PREVIEW_WIDTH) -> str:
    """The beginning of a script as the rest of one comment line: whitespace collapsed to single
    spaces, card-number-like digits masked, every character that is not printable (controls,
    line and paragraph separators, bidi and other format characters) as its visible escape, at
    most `width` characters, `…` when there is more. Nothing in it can end the comment: the
    YAML around it stays what skimscan wrote."""
    flat = mask(" ".join(text[:width * 64].split()))  # mask first: never half a card number
    out: list[str] = []
    used = 0
    for ch in flat:
        piece = printable(ch)
        if used + len(piece) > width:
            out.append("…")
            break
        out.append(piece)
        used += len(piece)
    return "".join(out)


def _comment(text: str) -> str:
    """Scanned text (a URL) inside a comment line: collapsed, masked, escaped, bounded."""
    return preview(text, 110)
