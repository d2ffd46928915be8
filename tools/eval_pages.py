"""`make eval`, checkout pages: does the quarantine hold, and does the canary catch, on channel
pages written blind (from technique descriptions, by a writer who had not read the scanner)?

Each page listed in `fixtures/shop/sites/shop.test/lab/blind/index.json` (channels) and
`lab/kits/index.json` (kits: fake forms, stored-then-sent cards, late listeners, rotated
encodings, sends through jQuery) is scanned as `skimscan scan` does by default (a shopper types
a canary card under quarantine), on the fixture shop with the drop host `sink.test`
(fixtures/shop/sink.py) beside it. Per page: the verdict against the expected one, and — from
the drop host's own log (requests, frames, SNI names, TCP bytes, UDP datagrams) — whether
anything carrying the card arrived after it was typed. A leak is a failure of the quarantine
whatever the verdict; where the index names the script that sends, a skimmer page counts as
caught only when that script is the one blamed.

Run alone: `python tools/eval_pages.py [-v]`. A measurement, not a gate: exits 0 unless the
harness itself fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.shop import start_shop  # noqa: E402
from fixtures.shop.sink import start_sink  # noqa: E402
from skimscan.analyze.canary import find_canary  # noqa: E402
from skimscan.capture.hostmap import HostMap  # noqa: E402
from skimscan.pipeline import Engine, EngineOptions  # noqa: E402
from skimscan.scanner import Scanner, ScanOptions, canary_for  # noqa: E402

INDEXES = (ROOT / "fixtures/shop/sites/shop.test/lab/blind/index.json",
           ROOT / "fixtures/shop/sites/shop.test/lab/kits/index.json")


@dataclass(frozen=True)
class PageResult:
    page: str
    expected: str
    verdict: str
    leaked: tuple[str, ...]  # channels of the drop host's log that carried the card
    channels: tuple[str, ...]  # how skimscan says the card went out
    hosts: tuple[str, ...] = ()  # where skimscan says it went
    blamed: tuple[str, ...] = ()  # the scripts (URLs) skimscan says sent it
    #: the script that should be blamed (a URL or path), when the index names one
    culprit: str = ""

    @property
    def blamed_right(self) -> bool:
        return not self.culprit or any(b.endswith(self.culprit) for b in self.blamed)

    @property
    def right(self) -> bool:
        malicious = self.verdict == "malicious"
        if self.expected == "malicious" and not self.blamed_right:
            return False
        return not self.leaked and malicious == (self.expected == "malicious")


async def scan_with_sink(pages: Sequence[tuple[str, str] | tuple[str, str, str]]
                         ) -> list[PageResult]:
    """Each (path on the fixture shop, expected verdict[, the script to blame]) scanned in
    turn, as `skimscan scan` does by default, with the drop host's log read for the card
    typed on that page."""
    shop, sink = await start_shop(), await start_sink()
    try:
        host_map = HostMap.parse([*sink.map_host_specs(), *shop.map_host_specs()], confine=True)
        options = ScanOptions(host_map=host_map, ignore_https_errors=True, wait=1.5,
                              concurrency=1, canary_seed=12)
        out = []
        async with Scanner(options, Engine(EngineOptions(use_disk_cache=False))) as scanner:
            for path, expected, *culprit in pages:
                url = shop.url(path)
                started = time.time()
                target = await scanner.scan(url)
                canary = canary_for(options, url)
                assert canary is not None
                leaked = sorted({channel for _at, channel, text in
                                 sink.everything_text(since=started)
                                 if find_canary(canary, text)})
                exfil = [f for f in target.findings if f.rule == "canary-exfiltration"]
                urls = {s.id: s.url or "" for s in target.scripts}
                out.append(PageResult(
                    path.rsplit("/", 1)[-1].removesuffix(".html"), expected,
                    target.verdict.value, tuple(leaked),
                    tuple(sorted({str(f.evidence.get("channel", "")) for f in exfil})),
                    tuple(sorted({str(f.evidence.get("host", "")) for f in exfil})),
                    tuple(sorted({urls.get(f.script or "", "") for f in exfil})),
                    culprit[0] if culprit else ""))
        return out
    finally:
        await sink.stop()
        await shop.stop()


async def scan_pages(index: Path) -> list[PageResult]:
    folder = "/" + str(index.parent.relative_to(ROOT / "fixtures/shop/sites/shop.test"))
    return await scan_with_sink([(f"{folder}/{entry['page']}.html", entry["expected"],
                                  str(entry.get("script") or ""))
                                 for entry in json.loads(index.read_text())])


def report(results: Sequence[PageResult], *, verbose: bool, title: str) -> str:
    mal = [r for r in results if r.expected == "malicious"]
    ben = [r for r in results if r.expected != "malicious"]
    lines = [f"{title}: {sum(r.right for r in mal)}/{len(mal)} skimmer pages malicious "
             "(with the right script blamed where the index names it), "
             f"{sum(r.verdict == 'malicious' for r in ben)}/{len(ben)} hard negatives "
             f"called malicious, {sum(bool(r.leaked) for r in results)} page(s) leaked the "
             "card to the drop host"]
    for r in results:
        if verbose or not r.right:
            mark = "ok  " if r.right else "MISS" if r.expected == "malicious" else "FP  "
            leak = f"  LEAKED via {', '.join(r.leaked)}" if r.leaked else ""
            blame = ("" if r.blamed_right or r.expected != "malicious" else
                     f"  BLAMED {', '.join(r.blamed) or 'nobody'} (not {r.culprit})")
            lines.append(f"  {mark} {r.page:<28} {r.verdict:<10} "
                         f"{', '.join(r.channels) or '-'}{leak}{blame}")
    return "\n".join(lines)


def run(verbose: bool = False) -> str:
    parts = []
    for index in INDEXES:
        if index.is_file():
            results = asyncio.run(scan_pages(index))
            parts.append(report(results, verbose=verbose,
                                title=f"checkout pages ({index.parent.name})"))
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("-v", "--verbose", action="store_true", help="every page, not only misses")
    print(run(verbose=p.parse_args(argv).verbose))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
