"""Fleet mode end to end: a real Redis and PostgreSQL (tests/fleet/servers.py), the fixture shop
(fixtures/shop, every host mapped to it as the e2e tests do), two `skimscan fleet worker`
processes with their own Chromium, and `skimscan fleet scheduler` enqueueing 50 pages (the
shop's quick checkout pages, repeated with distinct query strings).

While they run, one worker process is killed with SIGKILL in the middle of a scan, and later
PostgreSQL is stopped for a few seconds. In the end every page has exactly one complete scan,
every run is `done`, and no page has more than one alert in the outbox.

About 3–4 minutes on 2 cores (50 real browser scans): marked `fleet`, run by `make test-fleet`
(which .ci/run calls after `make test`), deselected from `make test`'s run by that marker.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from skimscan.inventory.store import Store
from tests.fleet.backends import raw
from tests.fleet.servers import PostgresServer, RedisServer, _run, start_postgres

pytestmark = [pytest.mark.services, pytest.mark.browser, pytest.mark.fleet]

ROOT = Path(__file__).resolve().parents[2]
#: quick pages of the shop (no 40-second listeners): two clean, three with a skimmer
PAGES = ("/checkout/clean", "/checkout/clean-direct", "/checkout/ba", "/checkout/gtm",
         "/checkout/xor")
MALICIOUS = {"/checkout/ba", "/checkout/gtm", "/checkout/xor"}
COUNT = 50
DEADLINE_S = 420.0


@dataclass
class Fleet:
    db: str
    redis: RedisServer
    postgres: PostgresServer
    env: dict[str, str]
    logs: Path
    workers: list[subprocess.Popen[bytes]]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "skimscan", *args]


@pytest.fixture
def shop_specs() -> Iterator[list[str]]:
    """`python -m fixtures.shop` in its own process: its map_host specs."""
    process = subprocess.Popen([sys.executable, "-m", "fixtures.shop"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        yield list(json.loads(first)["map_host"])
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this test alone: it is stopped and started again mid-test, so it
    keeps every commit it acknowledged (`durable`)."""
    server = start_postgres(durable=True)
    try:
        yield server
    finally:
        server.stop()


def _restart(server: PostgresServer, down_s: float) -> None:
    """Stop the server (immediate: connections drop), wait, start it on the same port."""
    _run(server.stop_command(), "pg_ctl stop", 30)
    time.sleep(down_s)
    _run([*server.prefix, server.pg_ctl, "-D", str(server.data), "-l", str(server.log), "-w",
          "-t", "60", "-o", server.options, "start"], "pg_ctl start", 70, server.log)


@pytest.fixture
def fleet(redis_server: RedisServer, own_postgres: PostgresServer, shop_specs: list[str],
          tmp_path: Path) -> Iterator[Fleet]:
    db = own_postgres.url(own_postgres.create_database("fleet"))
    env = {**os.environ, "SKIMSCAN_MAP_HOST": ",".join(shop_specs), "PYTHONPATH": str(ROOT)}
    env.pop("SKIMSCAN_DB", None)
    made = Fleet(db, redis_server, own_postgres, env, tmp_path, [])
    try:
        yield made
    finally:
        for process in made.workers:  # each worker in its own session: its whole group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in made.workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _start_worker(fleet: Fleet, name: str) -> subprocess.Popen[bytes]:
    log = (fleet.logs / f"{name}.log").open("wb")
    process = subprocess.Popen(
        _cli("fleet", "worker", "--concurrency", "1", "--db", fleet.db, "--broker",
             fleet.redis.url, "--ignore-https-errors", "--wait", "0.5", "--no-cache",
             "--backoff", "1", "--retries", "5", "--per-site", "2"),
        cwd=fleet.logs, env=fleet.env, stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    fleet.workers.append(process)
    return process


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    out.add(int(entry.name))
    return out


def _query(db: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    con = raw(db)
    try:
        return [tuple(r) for r in con.execute(sql, params).fetchall()]
    finally:
        con.close()


def _wait(what: str, check: object, deadline: float, fleet: Fleet) -> None:
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():  # type: ignore[operator]
                return
        time.sleep(0.5)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                      for p in sorted(fleet.logs.glob("*.log")))
    pytest.fail(f"timed out waiting for {what}\n{tails}")


def test_fleet_survives_a_killed_worker_and_a_database_restart(fleet: Fleet) -> None:
    started = time.monotonic()
    deadline = started + DEADLINE_S
    urls = [f"https://shop.test{PAGES[i % len(PAGES)]}?n={i}" for i in range(COUNT)]
    done = subprocess.run(_cli("fleet", "add", urls[0], "--every", "1d", "--db", fleet.db),
                          env=fleet.env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    with Store.open(fleet.db) as store:  # the other 49 through the API (49 CLI starts: slow)
        first = store.fleet_target(urls[0])
        assert first is not None
        for url in urls[1:]:
            store.fleet_add(url, every_s=86400, cron=None, policy=None, next_due=first.next_due)

    workers = [_start_worker(fleet, "worker-1"), _start_worker(fleet, "worker-2")]
    done = subprocess.run(_cli("fleet", "scheduler", "--db", fleet.db, "--broker",
                               fleet.redis.url, "--jitter", "0", "--ticks", "1"),
                          env=fleet.env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert f"enqueued {COUNT} page(s)" in done.stderr

    # Kill -9 the worker process that is in the middle of a scan (its pid is on the scan row).
    # Pool processes are looked up at each poll: a worker forks its pool after it starts.
    victim: list[int] = []

    def scanning() -> bool:
        children = {pid for w in workers for pid in _children(w.pid)}
        rows = _query(fleet.db, "SELECT pid FROM scans WHERE status = 'running'")
        pids = [int(str(r[0])) for r in rows if int(str(r[0])) in children]
        if pids:
            victim.append(pids[0])
        return bool(pids)

    _wait("a scan in progress", scanning, deadline, fleet)
    time.sleep(1.0)  # well inside the scan (several seconds each)
    os.kill(victim[0], signal.SIGKILL)

    # Then, with about a third done, the database goes away for a few seconds.
    def complete_count() -> int:
        return int(str(_query(fleet.db, "SELECT COUNT(*) FROM fleet_runs WHERE state = 'done'")
                       [0][0]))

    _wait("a third of the pages", lambda: complete_count() >= COUNT // 3, deadline, fleet)
    _restart(fleet.postgres, down_s=4.0)

    _wait("every page recorded", lambda: complete_count() == COUNT, deadline, fleet)
    elapsed = time.monotonic() - started

    per_target = dict(_query(fleet.db, """
        SELECT t.url, COUNT(s.id) FROM targets t LEFT JOIN scans s
        ON s.target_id = t.id AND s.status = 'complete' GROUP BY t.url"""))
    assert sorted(per_target) == sorted(urls)
    assert {u: n for u, n in per_target.items() if n != 1} == {}, "one complete scan each"
    states = dict(_query(fleet.db, "SELECT state, COUNT(*) FROM fleet_runs GROUP BY state"))
    assert states == {"done": COUNT}
    alerts = dict(_query(fleet.db, """
        SELECT t.url, COUNT(o.scan_id) FROM targets t JOIN scans s ON s.target_id = t.id
        JOIN outbox o ON o.scan_id = s.id GROUP BY t.url"""))
    assert all(n == 1 for n in alerts.values()), f"duplicate alerts: {alerts}"
    assert set(alerts) == {u for u in urls if u.split("?")[0].removeprefix(
        "https://shop.test") in MALICIOUS}
    # The killed process's scan is on record as incomplete, never clean.
    killed = _query(fleet.db, "SELECT status FROM scans WHERE pid = ?", (victim[0],))
    assert killed and all(r[0] == "incomplete" for r in killed)
    logs = "".join(p.read_text(errors="replace") for p in fleet.logs.glob("worker-*.log"))
    assert "'action': 'retrying'" in logs, "the database outage was retried"
    assert all(w.poll() is None for w in workers), "both workers still run"
    print(f"\n{COUNT} pages in {elapsed:.0f} s with 2 workers")
