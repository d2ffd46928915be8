"""`make demo`: scan the bundled fixtures and print what skimscan finds.

Runs the static engine over every fixture script and HTML page (malicious and benign), prints
one line per file with its verdict and strongest finding, then the full findings of a few
well-known attack styles. Nothing here runs the fixture code: analysis is static.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from skimscan.models import Report, Verdict
from skimscan.pipeline import Engine, EngineOptions, scan_files
from skimscan.report.table import render_table

ROOT = Path(__file__).resolve().parents[1]
STYLE = {"malicious": "bold red", "suspicious": "yellow", "clean": "green", "error": "magenta"}


def summary_table(report: Report) -> Table:
    table = Table(title="skimscan scan-file fixtures/ (static analysis)", expand=True)
    table.add_column("file", overflow="fold")
    table.add_column("expected")
    table.add_column("verdict")
    table.add_column("strongest finding", overflow="fold", ratio=2)
    for t in report.targets:
        rel = Path(t.target).relative_to(ROOT / "fixtures")
        expected = "malicious" if "malicious" in rel.parts else "benign"
        top = t.findings[0] if t.findings else None
        text = f"{top.rule}: {top.message}" if top and top.severity.value >= 2 else ""
        table.add_row(str(rel), expected, f"[{STYLE[t.verdict.value]}]{t.verdict.value}[/]", text)
    return table


def main() -> int:
    console = Console(width=max(120, Console().width))
    engine = Engine(EngineOptions())
    report = scan_files([ROOT / "fixtures" / "scripts", ROOT / "fixtures" / "html"], engine=engine)
    console.print(summary_table(report))
    wanted = ("ba_", "newegg", "ticketmaster")
    detail = [t for t in report.targets if Path(t.target).name.startswith(wanted)]
    if detail:
        console.print(render_table(Report(tuple(detail), report.tool_version), width=console.width,
                                   color=console.is_terminal), end="")
    malicious = [t for t in report.targets if "/malicious/" in t.target]
    benign = [t for t in report.targets if "/benign/" in t.target]
    caught = sum(t.verdict is Verdict.MALICIOUS for t in malicious)
    false = sum(t.verdict is Verdict.MALICIOUS for t in benign)
    console.print(f"malicious fixtures caught: {caught}/{len(malicious)}; "
                  f"benign fixtures called malicious: {false}/{len(benign)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
