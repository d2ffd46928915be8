"""`make bench`: throughput of skimscan's static analysis on the real-world corpus.

Prints, in one run and on the same files:
- parse only: esprima2 through skimscan's parser interface, every file, one process;
- full analysis, cold: parse + fold + facts + taint + rules, no cache, one process;
- full analysis, warm: the same files again with the disk cache filled by the cold run;
- full analysis, cold, in parallel: the engine's process pool (one worker per core).
Ratios are against the parse-only baseline measured in the same run, so machine speed cancels.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import corpus  # noqa: E402

from skimscan.analyze.parse import parse, run_deep  # noqa: E402
from skimscan.pipeline import Engine, EngineOptions, scan_files  # noqa: E402


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    files = corpus.corpus_files(ROOT)
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    size_mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"corpus: {len(files)} real npm bundles, {size_mb:.2f} MB")

    parse_s = timed(lambda: [run_deep(lambda t=t: parse(t)) for t in texts])
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        cold = Engine(EngineOptions(cache_dir=cache, jobs=1))
        cold_s = timed(lambda: scan_files(files, engine=cold))
        warm = Engine(EngineOptions(cache_dir=cache, jobs=1))
        warm_s = timed(lambda: scan_files(files, engine=warm))
        par = Engine(EngineOptions(use_disk_cache=False))
        par_s = timed(lambda: scan_files(files, engine=par))

    rows = [
        ("parse only (esprima2, 1 process)", parse_s, 1.0),
        ("full analysis, cold (1 process)", cold_s, cold_s / parse_s),
        ("full analysis, warm (disk cache)", warm_s, warm_s / parse_s),
        ("full analysis, cold (process pool)", par_s, par_s / parse_s),
    ]
    print(f"{'measure':40} {'seconds':>8} {'MB/s':>7} {'vs parse':>9}")
    for name, seconds, ratio in rows:
        print(f"{name:40} {seconds:8.2f} {size_mb / seconds:7.2f} {ratio:8.2f}x")
    print(f"full/parse ratio: {cold_s / parse_s:.2f} (target <= 1.5)")
    print(f"warm speed-up: {cold_s / warm_s:.1f}x (target >= 20)")
    print(f"cache: {warm.cache.hits} hits, {warm.cache.misses} misses on the warm run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
