"""`make bench`: skimscan's throughput, with ratios against baselines measured in the same run.

Static analysis, on the real-world corpus (`make corpus`), one process, CPU time:
- parse only: esprima2 through skimscan's parser interface (GC paused, as in analysis);
- parse only, plain: `esprima.parseScript` as a user would call it (for reference);
- full analysis, cold: parse + fold + facts + taint + rules, empty cache;
- full analysis, warm: the same files again, results from the disk cache;
- full analysis, cold, process pool: wall time with one worker per core.

Browser scans, on the fixture shop (started on 127.0.0.1 for the run):
- bare page load with Playwright (fresh context per page, no capture) vs a full skimscan scan of
  the same pages, and pages per minute at `--concurrency 1` and `2`.

Ratios are against baselines from the same run, so the machine's speed cancels out.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import corpus  # noqa: E402
import esprima  # noqa: E402

from skimscan.analyze.parse import parse, run_deep  # noqa: E402
from skimscan.pipeline import Engine, EngineOptions, scan_files  # noqa: E402


def cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def _drop(_: object) -> None:
    """Discard a parse result (its tree is freed here, inside the timed call)."""


def wall(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def static_bench() -> None:
    files = corpus.corpus_files(ROOT)
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    size_mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"static analysis: {len(files)} real npm bundles, {size_mb:.2f} MB, 1 process "
          "(CPU seconds)")
    opts = {"tolerant": True, "loc": True, "range": True}
    plain = cpu(lambda: [_drop(esprima.parseScript(t, opts)) for t in texts])
    # Interleaved, file by file: parse only, full analysis, parse only again. A shared machine
    # speeds up and slows down over minutes; measuring each file's baseline right beside its
    # analysis cancels that drift. Each tree is dropped as soon as it is built, as analysis
    # drops its own (holding them all would slow parsing and flatter the ratio), and the
    # faster of the two parses is the file's baseline (the stricter ratio).
    parse_s = cold_s = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        cold = Engine(EngineOptions(cache_dir=cache, jobs=1))
        for path, text in zip(files, texts, strict=True):
            before = cpu(lambda t=text: _drop(run_deep(lambda: parse(t))))
            cold_s += cpu(lambda p=path: scan_files([p], engine=cold))
            after = cpu(lambda t=text: _drop(run_deep(lambda: parse(t))))
            parse_s += min(before, after)
        warm = Engine(EngineOptions(cache_dir=cache, jobs=1))
        warm_s = cpu(lambda: scan_files(files, engine=warm))
    pool = Engine(EngineOptions(use_disk_cache=False, jobs=os.cpu_count()))
    pool_s = wall(lambda: scan_files(files, engine=pool))
    rows = [
        ("parse only (skimscan parser interface)", parse_s),
        ("parse only, plain esprima.parseScript", plain),
        ("full analysis, cold", cold_s),
        ("full analysis, warm (disk cache)", warm_s),
        (f"full analysis, cold, {os.cpu_count()} processes (wall)", pool_s),
    ]
    print(f"  {'measure':46} {'seconds':>8} {'MB/s':>7} {'x parse':>8}")
    for name, seconds in rows:
        print(f"  {name:46} {seconds:8.2f} {size_mb / seconds:7.2f} {seconds / parse_s:8.2f}")
    print("  (each file: parse only, full analysis, parse only again; the faster parse is its "
          "baseline)")
    print(f"  full analysis / parse only: {cold_s / parse_s:.2f}  (target <= 1.5)")
    print(f"  cold / warm: {cold_s / warm_s:.1f}x faster warm  (target >= 20)")
    print(f"  warm run: {warm.cache.hits} cache hits, {warm.cache.misses} misses")


async def browser_bench() -> None:
    import json

    from playwright.async_api import async_playwright

    from fixtures.shop import start_shop
    from skimscan.capture.browser import find_chromium, launch_args
    from skimscan.capture.hostmap import HostMap
    from skimscan.scanner import Scanner, ScanOptions

    pages = json.loads((ROOT / "fixtures" / "shop" / "pages.json").read_text())["pages"]
    shop = await start_shop()
    try:
        urls = [shop.url(p["path"]) for p in pages]
        host_map = HostMap.parse(shop.map_host_specs(), confine=True)
        print(f"\nbrowser scans: {len(urls)} fixture-shop checkout pages (wall seconds)")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=find_chromium(),
                                               args=launch_args(resolver_rules=host_map.chromium_rules()))
            start = time.perf_counter()
            for url in urls:
                context = await browser.new_context(ignore_https_errors=True)
                page = await context.new_page()
                await page.goto(url, wait_until="load")
                await context.close()
            bare = time.perf_counter() - start
            await browser.close()
        results = {}
        for concurrency in (1, 2):
            options = ScanOptions(host_map=host_map, ignore_https_errors=True, wait=0.0,
                                  concurrency=concurrency)
            engine = Engine(EngineOptions(use_disk_cache=False))
            async with Scanner(options, engine) as scanner:
                start = time.perf_counter()
                await scanner.scan_many(urls)
                results[concurrency] = time.perf_counter() - start
        print(f"  bare page load (Playwright, fresh context): {bare:6.2f}s "
              f"{60 * len(urls) / bare:6.1f} pages/min")
        for concurrency, seconds in results.items():
            print(f"  skimscan scan, --concurrency {concurrency}:        {seconds:6.2f}s "
                  f"{60 * len(urls) / seconds:6.1f} pages/min  ({seconds / bare:.2f}x bare)")
    finally:
        await shop.stop()


def main() -> int:
    static_bench()
    if "--static-only" not in sys.argv:
        asyncio.run(browser_bench())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
