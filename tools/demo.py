"""`make demo`: what skimscan finds, on the bundled fixtures, in two minutes.

1. Static analysis of every fixture script and HTML page (malicious and benign): one line per
   file with its verdict and strongest finding.
2. The fixture shop (a local aiohttp server playing a merchant, its processor, analytics, a tag
   manager, a chat vendor and attackers' look-alike hosts) is started on 127.0.0.1, every
   checkout page is scanned in a real headless Chromium, and the findings are printed; then the
   shop is stopped. Third-party host names are routed to the local shop (`--map-host`), so
   nothing leaves the machine.
3. The proof: on each page the scanner typed a test card unique to the page and pressed pay,
   under quarantine; every confirmed exfiltration is listed with its evidence (script, drop
   host, how the card was encoded, the request), and one is shown in full.
4. Detonation: a file whose payload only a browser can decrypt (`fixtures/demo/`) is clean to
   static analysis; `scan-file --detonate auto` runs it on the synthetic checkout, where the
   canary proves what it does.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.shop import start_shop  # noqa: E402
from fixtures.shop.server import MERCHANT, PROCESSOR_HOSTS  # noqa: E402
from skimscan.analyze.canary import find_canary  # noqa: E402
from skimscan.capture.hostmap import HostMap  # noqa: E402
from skimscan.errors import SkimscanError  # noqa: E402
from skimscan.models import Report, Severity, Verdict  # noqa: E402
from skimscan.pipeline import Engine, EngineOptions, scan_files  # noqa: E402
from skimscan.report.table import render_table  # noqa: E402
from skimscan.scanner import Scanner, ScanOptions, canary_for  # noqa: E402

STYLE = {"malicious": "bold red", "suspicious": "yellow", "clean": "green", "error": "magenta"}


def verdict_table(title: str, rows: list[tuple[str, str, Report, int]]) -> Table:
    table = Table(title=title, expand=True, title_justify="left")
    table.add_column("target", overflow="fold", ratio=2)
    table.add_column("expected")
    table.add_column("verdict")
    table.add_column("strongest finding", overflow="fold", ratio=4)
    for name, expected, report, index in rows:
        t = report.targets[index]
        top = next((f for f in t.findings if f.severity >= Severity.MEDIUM), None)
        text = f"{top.rule}: {top.message}" if top else (t.error or "")
        table.add_row(name, expected, f"[{STYLE[t.verdict.value]}]{t.verdict.value}[/]", text)
    return table


def static_part(console: Console, engine: Engine) -> None:
    report = scan_files([ROOT / "fixtures" / "scripts", ROOT / "fixtures" / "html"],
                        engine=engine)
    rows = []
    for i, t in enumerate(report.targets):
        rel = Path(t.target).relative_to(ROOT / "fixtures")
        expected = ("known gap" if "gaps" in rel.parts  # see fixtures/scripts/README.md
                    else "malicious" if "malicious" in rel.parts else "benign")
        rows.append((str(rel), expected, report, i))
    console.print(verdict_table("1. skimscan scan-file fixtures/ — static analysis", rows))
    malicious = [t for t in report.targets if "/malicious/" in t.target]
    benign = [t for t in report.targets if "/benign/" in t.target]
    caught = sum(t.verdict is Verdict.MALICIOUS for t in malicious)
    wrong = sum(t.verdict is Verdict.MALICIOUS for t in benign)
    console.print(f"malicious fixtures caught: {caught}/{len(malicious)}; "
                  f"benign fixtures called malicious: {wrong}/{len(benign)}\n")


async def browser_part(console: Console, engine: Engine) -> None:
    pages = json.loads((ROOT / "fixtures" / "shop" / "pages.json").read_text())["pages"]
    shop = await start_shop()
    try:
        host_map = HostMap.parse(shop.map_host_specs(), confine=True)
        options = ScanOptions(host_map=host_map, ignore_https_errors=True, wait=1.0,
                              concurrency=3, canary_seed=int(time.time()))
        console.print(f"2. fixture shop on 127.0.0.1:{shop.https_port} (HTTPS); scanning "
                      f"{len(pages)} checkout pages in Chromium …")
        urls = [shop.url(p["path"]) for p in pages]
        async with Scanner(options, engine) as scanner:
            report = await scanner.scan_many(urls)
    finally:
        await shop.stop()
    # The quarantine, from the other side: what the shop's simulated third parties received.
    third = [r for r in shop.log if r.host not in (MERCHANT, *PROCESSOR_HOSTS)]
    cards = [c for url in urls if (c := canary_for(options, url)) is not None]
    leaked = [r for r in third for c in cards
              if find_canary(c, r.path_qs) or find_canary(c, r.body)]
    console.print(f"   the shop's own server log: {len(third)} requests reached its simulated "
                  f"third-party hosts during the scans; {len(leaked)} carried one of the "
                  f"{len(cards)} typed cards")
    rows = [(p["path"], p["expected"], report, i) for i, p in enumerate(pages)]
    console.print(verdict_table("skimscan scan https://shop.test/checkout/… — real browser",
                                rows))
    detail = [t for t in report.targets if t.target.endswith(("/checkout/ba", "/checkout/gtm"))]
    if detail:
        console.print("\nFindings of two compromised pages (British Airways style and a "
                      "tag-manager-injected skimmer):")
        console.print(render_table(Report(tuple(detail), report.tool_version),
                                   width=console.width, color=console.is_terminal,
                                   min_severity=Severity.MEDIUM), end="")
    canary_part(console, report)


def canary_part(console: Console, report: Report) -> None:
    """Every page where the canary card was caught leaving, and one case in full."""
    table = Table(title="3. confirmed by the canary card — typed by the scanner, caught leaving",
                  expand=True, title_justify="left")
    for column, ratio in (("page", 2), ("severity", 1), ("script", 3), ("drop host", 2),
                          ("encoding", 2), ("request", 3)):
        table.add_column(column, overflow="fold", ratio=ratio)
    shown = None
    for t in report.targets:
        scripts = {s.id: s.url or s.id for s in t.scripts}
        for f in t.findings:
            if f.rule != "canary-exfiltration":
                continue
            ev, req = f.evidence, f.evidence["request"]
            # it sent through a library (jQuery's $.ajax): the blamed script is its caller
            libs = [s.rstrip(")").rsplit("/", 1)[-1] for s in ev.get("through", [])]
            script = scripts.get(f.script or "", "?") + (
                f" (through {', '.join(libs)})" if libs else "")
            table.add_row(t.target.rsplit("/", 1)[-1], f.severity.label,
                          escape(script), ev["host"], ev["encoding"],
                          escape(f"{req['method']} {req['url'][:70]}"))
            if shown is None or t.target.endswith("/checkout/xor"):
                shown = (t, f, scripts)
    console.print(table)
    if shown is None:
        console.print("[magenta]no canary was seen leaving any page[/]")
        return
    t, f, scripts = shown
    ev = f.evidence
    console.print(f"\nIn full — {t.target} ({t.verdict.value}):")
    console.print(f"  [bold red]{f.severity.label}[/] {f.rule}: {escape(f.message)}")
    console.print(f"  script     {escape(scripts.get(f.script or '', '?'))}")
    console.print(f"  drop host  {ev['host']} ({ev['host_class']})  ·  channel {ev['channel']}"
                  f"  ·  card found in the {ev['where']}, encoded as {ev['encoding']}")
    console.print(f"  request    {ev['request']['method']} {escape(ev['request']['url'])}")
    console.print(f"  excerpt    {escape(ev['request']['excerpt'])}")
    if ev.get("triggers"):
        console.print(f"  triggered  {escape(', '.join(ev['triggers']))}")
    held = "held it: the card never left the browser" if ev["quarantined"] else "off (--live)"
    console.print(f"  quarantine {held}")
    canary = t.page.get("canary", {})
    console.print(escape(f"  the canary {canary.get('pan')} exp {canary.get('expiry')} "
                         f"({canary.get('name')}), a test card number unique to this page"))


def detonation_part(console: Console, engine: Engine) -> None:
    from skimscan.detonate import scan_files as scan_detonating

    files = sorted((ROOT / "fixtures" / "demo").glob("*.js"))
    static = scan_files(files, engine=engine)
    console.print("\n4. skimscan scan-file fixtures/demo/ --detonate auto — files static "
                  "analysis cannot settle run on a synthetic checkout …")
    report = scan_detonating(files, engine=engine, detonate="auto")
    table = Table(title="static analysis, then detonation", expand=True, title_justify="left")
    for column in ("file", "static", "detonated because", "pages", "verdict"):
        table.add_column(column, overflow="fold")
    for before, after in zip(static.targets, report.targets, strict=True):
        det = after.detonation
        pages = ", ".join(f"{p['template']}: {p['verdict']}" for p in det.get("pages", []))
        table.add_row(Path(after.target).name, before.verdict.value,
                      ", ".join(det.get("reasons", [])) or "-", pages or "-",
                      f"[{STYLE[after.verdict.value]}]{after.verdict.value}[/]")
    console.print(table)
    for t in report.targets:
        for f in t.findings:
            if f.rule == "canary-exfiltration" and "detonation" in f.tags:
                console.print(f"  [bold red]{f.severity.label}[/] {escape(f.message)}")
                console.print(f"  page       {f.evidence['detonation']['url']}")
                console.print(f"  request    {escape(f.evidence['request']['url'])}")


def main() -> int:
    console = Console(width=max(130, Console().width))
    engine = Engine(EngineOptions())
    static_part(console, engine)
    try:
        asyncio.run(browser_part(console, engine))
        detonation_part(console, engine)
    except SkimscanError as exc:
        console.print(f"[magenta]browser part skipped: {exc}[/]")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
