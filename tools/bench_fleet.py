#!/usr/bin/env python3
"""Fleet throughput on the fixture shop: pages/min with 1 and 2 `skimscan fleet worker`
processes (one Chromium each), a throw-away Redis and PostgreSQL (tests/fleet/servers.py).

Measured per run: wall time from enqueue to the last recorded result, machine CPU seconds
spent (all processes: workers, Chromium, shop, PostgreSQL, Redis — /proc/stat), peak memory
(PSS) of the worker process trees, and the database's growth per recorded scan. docs/fleet.md
projects a fleet from these numbers.

    python tools/bench_fleet.py [--pages 20] [--workers 1,2] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from skimscan.inventory.store import Store, now_utc  # noqa: E402
from tests.fleet.backends import raw  # noqa: E402
from tests.fleet.servers import start_postgres, start_redis  # noqa: E402

PAGES = ("/checkout/clean", "/checkout/clean-direct", "/checkout/ba", "/checkout/gtm",
         "/checkout/xor")


@dataclass
class Result:
    workers: int
    pages: int
    wall_s: float
    pages_per_min: float
    cpu_s_per_page: float
    peak_pss_mb_per_worker: float
    db_bytes_per_scan: float


def _cpu_jiffies() -> int:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    busy = [int(v) for i, v in enumerate(fields) if i not in (3, 4)]  # minus idle, iowait
    return sum(busy)


def _tree(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in out:
                out.add(child)
                frontier.append(child)
    return out


def _rss_kb(pids: set[int]) -> int:
    """Proportional set size (PSS) of the processes: shared pages (Chromium's processes share a
    lot) counted once across them, unlike summing RSS."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return total


def _done(db: str) -> int:
    con = raw(db)
    try:
        return int(con.execute("SELECT COUNT(*) FROM fleet_runs WHERE state IN "
                               "('done', 'failed')").fetchone()[0])
    finally:
        con.close()


def _db_size(db: str) -> int:
    con = raw(db)
    try:
        return int(con.execute("SELECT pg_database_size(current_database())").fetchone()[0])
    finally:
        con.close()


def run(workers: int, pages: int, postgres: object, redis_url: str, env: dict[str, str],
        logs: Path) -> Result:
    db = postgres.url(postgres.create_database(f"bench{workers}"))  # type: ignore[attr-defined]
    with Store.open(db) as store:
        for i in range(pages):
            store.fleet_add(f"https://shop.test{PAGES[i % len(PAGES)]}?bench={i}",
                            every_s=86400, cron=None, policy=None, next_due=now_utc())
    empty = _db_size(db)
    procs = []
    for n in range(workers):
        out = (logs / f"w{workers}-{n}.log").open("wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "skimscan", "fleet", "worker", "--db", db, "--broker",
             redis_url, "--ignore-https-errors", "--wait", "0.5", "--no-cache"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
    try:
        time.sleep(8)  # workers up (the first page also starts each browser: that is counted)
        cpu0, start = _cpu_jiffies(), time.monotonic()
        subprocess.run([sys.executable, "-m", "skimscan", "fleet", "scheduler", "--db", db,
                        "--broker", redis_url, "--jitter", "0", "--ticks", "1"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        peak = 0
        while _done(db) < pages:
            if time.monotonic() - start > 60 * 30:
                raise SystemExit("bench: gave up after 30 minutes")
            peak = max(peak, sum(_rss_kb(_tree(p.pid)) for p in procs))
            time.sleep(0.5)
        wall = time.monotonic() - start
        cpu = (_cpu_jiffies() - cpu0) / os.sysconf("SC_CLK_TCK")
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    grown = _db_size(db) - empty
    return Result(workers, pages, round(wall, 1), round(pages / wall * 60, 1),
                  round(cpu / pages, 2), round(peak / 1024 / workers, 0),
                  round(grown / pages, 0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    shop = subprocess.Popen([sys.executable, "-m", "fixtures.shop"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    redis = start_redis()
    postgres = start_postgres()
    results = []
    try:
        assert shop.stdout is not None
        specs = json.loads(shop.stdout.readline())["map_host"]
        env = {**os.environ, "SKIMSCAN_MAP_HOST": ",".join(specs), "PYTHONPATH": str(ROOT)}
        with tempfile.TemporaryDirectory(prefix="skimscan-bench-fleet-") as logs:
            for n in (int(w) for w in args.workers.split(",")):
                result = run(n, args.pages, postgres, redis.url, env, Path(logs))
                results.append(result)
                print(json.dumps(asdict(result)), file=sys.stderr, flush=True)
    finally:
        shop.terminate()
        shop.wait(timeout=20)
        redis.stop()
        postgres.stop()
    print("| workers | pages | wall s | pages/min | CPU s/page | peak PSS MB/worker "
          "| DB bytes/scan |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.workers} | {r.pages} | {r.wall_s} | {r.pages_per_min} | "
              f"{r.cpu_s_per_page} | {r.peak_pss_mb_per_worker:.0f} | {r.db_bytes_per_scan:.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
