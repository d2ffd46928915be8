"""Fleet bookkeeping without a browser: schedules, the due-target enqueuer, run claiming and
settling in the scan's own transaction (both stores), per-site leases on a real Redis, and the
CLI's one-line errors."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from skimscan.errors import ConfigError
from skimscan.fleet.schedule import SiteLeases, enqueue_due, next_due, parse_every
from skimscan.inventory.store import FleetTarget, Snapshot, Store, _iso
from tests.fleet.servers import RedisServer

NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


def test_every_parses_units_and_refuses_nonsense() -> None:
    assert parse_every("1d") == 86400
    assert parse_every("15m") == 900
    assert parse_every("120") == 120
    for bad in ("soon", "10s", "-1h"):
        with pytest.raises(ConfigError):
            parse_every(bad)


def test_next_due_interval_and_cron() -> None:
    every = FleetTarget(1, "https://a.test/", 3600, None, None, "", "")
    assert next_due(every, NOW) == "2026-12-07T05:00:00.000Z"
    cron = FleetTarget(2, "https://b.test/", None, "30 * * * *", None, "", "")
    assert next_due(cron, NOW).endswith(":30:00.000Z")


def _add(store: Store, url: str, due: datetime) -> FleetTarget:
    return store.fleet_add(url, every_s=3600, cron=None, policy=None, next_due=_iso(due))


def test_due_targets_are_enqueued_once(store_url: str) -> None:
    sent: list[tuple[int, int, float]] = []
    with Store.open(store_url) as store:
        a = _add(store, "https://a.test/pay", NOW - timedelta(minutes=1))
        _add(store, "https://b.test/pay", NOW + timedelta(minutes=5))
        first = enqueue_due(store, lambda t, r, d: sent.append((t, r, d)), now=NOW, jitter_s=10)
        assert [e.run.target.url for e in first] == ["https://a.test/pay"]
        assert sent == [(a.id, first[0].run.id, first[0].delay_s)]
        assert 0 <= first[0].delay_s <= 10
        # two hours on both are due, but a's run is still open: only b is enqueued
        again = enqueue_due(store, lambda *_: None, now=NOW + timedelta(hours=2), jitter_s=0,
                            stale_after=timedelta(hours=3))
        assert [e.run.target.url for e in again] == ["https://b.test/pay"]
        target = store.fleet_target("https://a.test/pay")
        assert target is not None and target.next_due == "2026-12-07T05:00:00.000Z"


def test_a_lost_job_is_sent_again(store_url: str) -> None:
    sent: list[int] = []
    with Store.open(store_url) as store:
        _add(store, "https://a.test/pay", NOW)
        (run,) = enqueue_due(store, lambda t, r, d: sent.append(r), now=NOW, jitter_s=0)
        later = NOW + timedelta(minutes=30)
        assert enqueue_due(store, lambda t, r, d: sent.append(r), now=later) == []
        much_later = NOW + timedelta(minutes=61)
        again = enqueue_due(store, lambda t, r, d: sent.append(r), now=much_later, jitter_s=0)
        assert [e.run.id for e in again] == [run.run.id] and sent == [run.run.id] * 2
        assert [r.state for r in store.fleet_runs()] == ["queued"]


def test_a_run_is_done_in_the_scans_transaction_and_never_redone(store_url: str) -> None:
    with Store.open(store_url) as store:
        _add(store, "https://a.test/pay", NOW)
        (run,) = store.fleet_enqueue_due(_iso(NOW), lambda t: _iso(NOW + timedelta(days=1)))
        claimed = store.fleet_claim(run.id, "host:1")
        assert claimed is not None and claimed.attempts == 1
        # an incomplete attempt leaves the run open and claimable
        store.fleet_run = run.id
        scan = store.begin_scan(run.target.url, "t", "r")
        store.fail_scan(scan, "page down")
        assert [r.state for r in store.fleet_runs()] == ["incomplete"]
        assert store.fleet_claim(run.id, "host:2") is not None
        scan = store.begin_scan(run.target.url, "t", "r")
        store.finish_scan(scan, Snapshot(run.target.url), status="complete", verdict="clean")
        (done,) = store.fleet_runs()
        assert (done.state, done.scan_id, done.attempts) == ("done", scan, 2)
        assert store.fleet_claim(run.id, "host:3") is None  # a redelivered job is skipped
        (status,) = store.fleet_status()
        assert status.open_run is None and status.last_scan is not None
        assert status.last_scan.status == "complete"


def test_removing_a_target_keeps_its_scans(store_url: str) -> None:
    with Store.open(store_url) as store:
        _add(store, "https://a.test/pay", NOW)
        store.fleet_enqueue_due(_iso(NOW), lambda t: _iso(NOW))
        scan = store.begin_scan("https://a.test/pay", "t", "r")
        store.finish_scan(scan, Snapshot("https://a.test/pay"), status="complete")
        assert store.fleet_remove("https://a.test/pay")
        assert not store.fleet_remove("https://a.test/pay")
        assert store.fleet_targets() == [] and store.scan(scan) is not None


@pytest.mark.services
def test_site_leases_limit_one_host(redis_server: RedisServer) -> None:
    leases = SiteLeases(redis_server.url, limit=2, lease_s=30, prefix="test:site:")
    one, two = leases.acquire("shop.test"), leases.acquire("shop.test")
    assert one and two and leases.acquire("shop.test") is None
    assert leases.acquire("other.test") is not None
    leases.release("shop.test", one)
    assert leases.acquire("shop.test") is not None


@pytest.mark.services
def test_a_dead_workers_lease_is_dropped(redis_server: RedisServer) -> None:
    leases = SiteLeases(redis_server.url, limit=1, lease_s=300, prefix="test:dead:")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(gone.stdout)
    leases.client.zadd("test:dead:shop.test",
                       {f"{leases.hostname}:{dead_pid}:x": 10**12})
    assert leases.acquire("shop.test") is not None


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "skimscan", "fleet", *args],
                          capture_output=True, text=True, timeout=60, check=False)


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    missing = _cli("status", "--db", str(tmp_path / "none.db"))
    broker = _cli("worker", "--db", str(tmp_path / "x.db"), "--broker", "redis://127.0.0.1:9/0")
    bad = _cli("add", "https://a.test/", "--every", "soon", "--db", str(tmp_path / "x.db"))
    for done in (missing, broker, bad):
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
    assert "cannot reach the broker redis://127.0.0.1:9/0" in broker.stderr


def test_cli_add_list_status_remove(tmp_path: Path) -> None:
    db = str(tmp_path / "f.db")
    assert _cli("add", "https://a.test/pay", "--every", "6h", "--db", db).returncode == 0
    assert _cli("add", "https://b.test/pay", "--cron", "@daily", "--db", db).returncode == 0
    listed = _cli("list", "--db", db).stdout
    assert "https://a.test/pay\tevery 6h" in listed and "cron '@daily'" in listed
    status = _cli("status", "--db", db).stdout
    assert "https://a.test/pay\t-\tnever scanned" in status
    assert _cli("remove", "https://a.test/pay", "--db", db).returncode == 0
    assert "a.test" not in _cli("list", "--db", db).stdout
