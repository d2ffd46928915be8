"""STAGE 5 (report) — the terminal table for people (rich).

One panel per target that has findings or an error, worst first, then a summary line. The
table shows what a person needs at 3 a.m.: verdict, rule, where, and the message that names
the card data, the script and the destination.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from skimscan.models import Report, Severity, TargetReport, Verdict
from skimscan.report.json_report import mask
from skimscan.report.terminal import printable

_VERDICT_STYLE = {Verdict.MALICIOUS: "bold red", Verdict.SUSPICIOUS: "yellow",
                  Verdict.CLEAN: "green", Verdict.ERROR: "bold magenta"}
_SEV_STYLE = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
              Severity.LOW: "cyan", Severity.INFO: "dim"}


def _target_table(t: TargetReport, min_severity: Severity) -> Table:
    title = Text.assemble((t.verdict.value.upper(), _VERDICT_STYLE[t.verdict]), "  ",
                          printable(t.target))
    table = Table(title=title, title_justify="left", show_lines=False, expand=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("conf.", no_wrap=True)
    table.add_column("rule", overflow="fold", max_width=32)
    table.add_column("where", overflow="fold", max_width=36)
    table.add_column("message", overflow="fold", ratio=3, min_width=40)
    scripts = {s.id: s for s in t.scripts}
    for f in t.findings:
        if f.severity < min_severity:
            continue
        script = scripts.get(f.script or "")
        where = _short(script.url or script.id) if script else ""
        if f.location is not None:
            where = f"{where}:{f.location.line}"
        message = mask(f.message) + (f"  [suppressed: {f.suppressed}]" if f.suppressed else "")
        # Text, not str: rich would read "[...]" in scan data as markup and drop or obey it
        # printable: scan data must not drive the terminal (ESC sequences, bidi overrides)
        table.add_row(Text(f.severity.label, _SEV_STYLE[f.severity]), f.confidence.label,
                      Text(printable(f.rule)), Text(printable(where)), Text(printable(message)))
    return table


def _short(url: str) -> str:
    """`https://shop.test/static/js/app.min.js?v=3` -> `shop.test/…/app.min.js`."""
    if "://" not in url:
        return url if len(url) <= 60 else "…" + url[-59:]
    host, _, path = url.split("://", 1)[1].partition("/")
    path = path.split("?", 1)[0].split("#", 1)[0]
    if "/" in path:
        path = "…/" + path.rsplit("/", 1)[1]
    return f"{host}/{path}"


def render_table(report: Report, *, width: int | None = None, color: bool = False,
                 min_severity: Severity = Severity.LOW, show_clean: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or 120, force_terminal=color,
                      no_color=not color, highlight=False)
    order = {Verdict.MALICIOUS: 0, Verdict.ERROR: 1, Verdict.SUSPICIOUS: 2, Verdict.CLEAN: 3}
    for t in sorted(report.targets, key=lambda t: (order[t.verdict], t.target)):
        if t.verdict is Verdict.ERROR:
            console.print(Text.assemble(("ERROR", "bold magenta"), "  ", printable(t.target),
                                        "  ", (printable(t.error or ""), "magenta")))
        shown = [f for f in t.findings if f.severity >= min_severity]
        if shown:
            console.print(_target_table(t, min_severity))
        elif t.verdict is not Verdict.ERROR and show_clean:
            console.print(Text.assemble((t.verdict.value.upper(), _VERDICT_STYLE[t.verdict]),
                                        "  ", printable(t.target)))
        for note in t.notes:
            console.print(Text(f"  note: {printable(note)}", "dim"))
    counts = ", ".join(f"{report.count(v)} {v.value}" for v in
                       (Verdict.MALICIOUS, Verdict.SUSPICIOUS, Verdict.CLEAN, Verdict.ERROR))
    console.print(f"{len(report.targets)} target(s): {counts}")
    return buffer.getvalue()
