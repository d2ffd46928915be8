"""The store, on SQLite and on PostgreSQL (`store_url`, tests/fleet/stores.py): schema
migrations, all-or-nothing scans, survival of a SIGKILL mid-write, and two processes writing to
one database at once."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

from skimscan.errors import ConfigError
from skimscan.inventory.dialect import is_postgres
from skimscan.inventory.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Content,
    Destination,
    FindingState,
    NewChange,
    ScriptState,
    Snapshot,
    Store,
)
from tests.fleet.backends import exists, integrity_error, raw

pytest_plugins = ("tests.fleet.stores",)

URL = "https://shop.test/checkout"


def snapshot(n_scripts: int = 2, tag: str = "a") -> Snapshot:
    scripts = tuple(ScriptState(f"https://shop.test/s{i}.js", f"https://shop.test/s{i}.js?v=1",
                                "external", f"{tag}{i:063d}", f"ast{tag}{i}")
                    for i in range(n_scripts))
    return Snapshot(URL, scripts,
                    (Destination("https://shop.test", "shop.test", "first-party", "script", 2),),
                    {"content-security-policy": "script-src 'self'"},
                    (FindingState("fp1", "rule-x", "low", "medium", "msg", scripts[0].key),))


def record(store: Store, snap: Snapshot, status: str = "complete") -> int:
    scan_id = store.begin_scan(URL, "0.1.0", "rules-1")
    contents = [Content(s.sha256, s.ast_hash, True, 10, f"code {s.key}", {"sha384": "x"})
                for s in snap.scripts]
    store.finish_scan(scan_id, snap, status=status, verdict="clean", contents=contents)
    return scan_id


def test_new_database_is_wal_and_current(store_url: str) -> None:
    db = store_url  # SQLite: a file in a folder that does not exist yet
    with Store.open(db) as store:
        assert store.version == SCHEMA_VERSION == len(MIGRATIONS)
        scan_id = record(store, snapshot())
        snap = store.snapshot(scan_id)
        assert [s.key for s in snap.scripts] == ["https://shop.test/s0.js",
                                                 "https://shop.test/s1.js"]
        assert snap.headers == {"content-security-policy": "script-src 'self'"}
        assert snap.hosts == {"shop.test": "first-party"}
        assert store.contents([snap.scripts[0].sha256])[snap.scripts[0].sha256].normalized == \
            "code https://shop.test/s0.js"
    if not is_postgres(db):
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migration_from_version_1_keeps_data(store_url: str) -> None:
    db = store_url
    con = raw(db)
    con.script(MIGRATIONS[0])  # what skimscan with schema 1 created
    con.set_version(1)
    con.execute("INSERT INTO targets (url, created_at) VALUES (?, '2026-01-01T00:00:00.000Z')",
                (URL,))
    con.close()
    with Store.open(db) as store:
        assert store.version == SCHEMA_VERSION
        assert store.targets() == [URL]
        store.record_alert(channel="webhook", destination="https://h/…", ok=True, attempts=1,
                           http_status=200, error=None, scan_ids=[1], changes=1)
        assert store.alerts()[0].ok  # the table migration 2 added


def test_newer_schema_is_refused(store_url: str) -> None:
    db = store_url
    with Store.open(db):
        pass
    con = raw(db)
    con.set_version(SCHEMA_VERSION + 1)
    con.close()
    with pytest.raises(ConfigError, match="newer than this skimscan"):
        Store.open(db)


def test_not_a_database(store_url: str) -> None:
    bad = store_url
    if is_postgres(bad):  # someone else's tables where skimscan's go
        con = raw(bad)
        con.execute("CREATE TABLE targets (x INTEGER)")
        con.close()
    else:
        Path(bad).parent.mkdir()
        Path(bad).write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(ConfigError, match="not a usable skimscan database"):
        Store.open(bad)


def test_a_failing_write_leaves_nothing_behind(store_url: str) -> None:
    with Store.open(store_url) as store:
        good = record(store, snapshot())
        scan_id = store.begin_scan(URL, "0.1.0", "rules-1")
        broken = Snapshot(URL, snapshot().scripts * 2)  # duplicate keys: the insert fails
        with pytest.raises(integrity_error(store_url)):
            store.finish_scan(scan_id, broken, status="complete",
                              changes=[NewChange("new-script", "k", None, "u", "", "f", True)])
        assert store.scan(scan_id).status == "running"  # type: ignore[union-attr]
        assert store.snapshot(scan_id).scripts == ()
        assert store.changes() == []
        assert store.latest_scan(URL).id == good  # type: ignore[union-attr]
        store.fail_scan(scan_id, "write failed")
        assert store.scan(scan_id).status == "incomplete"  # type: ignore[union-attr]


def test_incomplete_scans_do_not_move_the_inventory(store_url: str) -> None:
    with Store.open(store_url) as store:
        first = record(store, snapshot(tag="a"))
        record(store, snapshot(tag="b"), status="incomplete")
        rows = store.inventory()
        assert [r.scan_id for r in rows] == [first, first]
        assert all(r.script.sha256.startswith("a") for r in rows)
        assert store.latest_scan(URL).id == first  # type: ignore[union-attr]


def test_the_outbox_row_is_written_with_the_scan_or_not_at_all(store_url: str) -> None:
    with Store.open(store_url) as store:
        scan_id = store.begin_scan(URL, "0.1.0", "rules-1")
        change = NewChange("new-host", "drop.test", None, "unknown", "", "f1", True)
        with pytest.raises(integrity_error(store_url)):  # the write fails half-way ...
            store.finish_scan(scan_id, Snapshot(URL, snapshot().scripts * 2), status="complete",
                              changes=[change], enqueue=True)
        assert store.queued_alerts() == []  # ... and nothing of it is queued
        store.finish_scan(scan_id, snapshot(), status="complete", changes=[change],
                          enqueue=True)
        [queued] = store.queued_alerts(targets=[URL])
        assert (queued.scan_id, queued.state, [c.subject for c in queued.changes]) == (
            scan_id, "pending", ["drop.test"])
        assert store.queued_alerts(targets=["https://other.test/"]) == []
        alert = store.record_alert(channel="webhook", destination="https://h/…", ok=False,
                                   attempts=4, http_status=503, error="HTTP 503",
                                   scan_ids=[scan_id], changes=1)
        store.settle_alerts([scan_id], state="failed", alert_id=alert)
        assert [c.delivery for c in store.changes()] == ["failed"]
        assert [q.attempts for q in store.queued_alerts()] == [1]
        store.settle_alerts([scan_id], state="delivered", alert_id=alert)
        store.settle_alerts([scan_id], state="failed", alert_id=alert)  # settled: it stays
        assert [c.delivery for c in store.changes()] == ["delivered"]
        assert store.queued_alerts() == []
        with pytest.raises(ValueError, match="state"):
            store.settle_alerts([scan_id], state="pending")


def test_originals_are_content_addressed_and_checked_when_read(store_url: str) -> None:
    db = store_url
    texts = [b"var a = 1;\r\n", "// \u00fc\n".encode()]
    shas = [hashlib.sha256(t).hexdigest() for t in texts]
    with Store.open(db) as store:
        for _ in range(2):  # the same versions again: stored once
            scan_id = store.begin_scan(URL, "0.1.0", "rules-1")
            store.finish_scan(scan_id, snapshot(), status="incomplete", originals=texts)
        assert store.missing_originals([*shas, "f" * 64]) == {"f" * 64}
        assert [store.original(s).data for s in shas] == texts  # type: ignore[union-attr]
        assert store.original("f" * 64) is None
        with pytest.raises(ConfigError, match="prefix of at least 8"):
            store.original("abc")
    con = raw(db)
    assert con.execute("SELECT COUNT(*) FROM originals").fetchone()[0] == 2
    con.execute("UPDATE originals SET data = ? WHERE sha256 = ?",
                (zlib.compress(b"var a = 2;\r\n"), shas[0]))
    con.close()
    with Store.open(db) as store, pytest.raises(ConfigError, match="damaged"):
        store.original(shas[0])


def test_opening_for_reading_never_creates(store_url: str) -> None:
    missing = store_url  # SQLite: no file (nor folder); PostgreSQL: a database without schema
    with pytest.raises(ConfigError, match="no such skimscan database"):
        Store.open(missing, create=False)
    assert not exists(missing)
    with Store.open(missing):
        pass
    with Store.open(missing, create=False) as store:
        assert store.version == SCHEMA_VERSION


def test_baseline_only_from_complete_scans(store_url: str) -> None:
    with Store.open(store_url) as store:
        ok = record(store, snapshot())
        bad = record(store, snapshot(), status="incomplete")
        with pytest.raises(ConfigError, match="only a complete scan"):
            store.set_baseline(URL, bad, "me")
        with pytest.raises(ConfigError, match="not a scan of"):
            store.set_baseline("https://other.test/", ok, "me")
        b = store.set_baseline(URL, ok, "me", "reviewed")
        assert store.baseline(URL) == b and b.approved_by == "me"


def test_dead_running_scans_become_incomplete(store_url: str) -> None:
    db = store_url
    with Store.open(db) as store:
        scan_id = store.begin_scan(URL, "0.1.0", "r")
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    con = raw(db)
    con.execute("UPDATE scans SET pid = ? WHERE id = ?", (int(child.stdout), scan_id))
    con.close()
    with Store.open(db) as store:
        row = store.scan(scan_id)
        assert row is not None and row.status == "incomplete"
        assert "killed or crashed" in (row.error or "")


_KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from skimscan.inventory import store as st
    from tests.test_inventory_store import snapshot, URL
    s = st.Store.open(sys.argv[1])
    scan_id = s.begin_scan(URL, "0.1.0", "r")
    original = st.Store._insert_script
    calls = []
    def slow(self, db, scan, script):
        original(self, db, scan, script)
        calls.append(1)
        if len(calls) == 3:  # half-way through writing the scan, inside its transaction
            print(scan_id, flush=True)
            time.sleep(60)
    st.Store._insert_script = slow
    s.finish_scan(scan_id, snapshot(6, tag="k"), status="complete")
""")


def test_a_scan_killed_mid_write_leaves_the_previous_state(store_url: str) -> None:
    db = store_url
    with Store.open(db) as store:
        first = record(store, snapshot(tag="a"))
        base = store.set_baseline(URL, first, "me")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(db)], cwd=root,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    killed_scan = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    with Store.open(db) as store:
        assert store.integrity_check() == "ok"
        killed = store.scan(killed_scan)
        assert killed is not None and killed.status == "incomplete"
        assert store.snapshot(killed_scan).scripts == ()  # nothing half-written
        assert store.latest_scan(URL).id == first  # type: ignore[union-attr]
        assert store.baseline(URL) == base
        assert [r.script.sha256[0] for r in store.inventory()] == ["a", "a"]
        # and the database goes on working
        assert record(store, snapshot(tag="b")) > killed_scan


_WRITER = textwrap.dedent("""
    import sys
    from skimscan.inventory.store import Store
    from tests.test_inventory_store import snapshot, record, URL
    tag, n = sys.argv[2], int(sys.argv[3])
    with Store.open(sys.argv[1]) as s:
        for i in range(n):
            scan_id = record(s, snapshot(20, tag=tag))
            s.set_baseline(URL, scan_id, tag)
""")


def test_two_processes_write_one_database(store_url: str) -> None:
    db = store_url  # created (SQLite) or migrated by whichever process comes first
    root = Path(__file__).resolve().parents[1]
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(db), tag, "12"], cwd=root,
                              stderr=subprocess.PIPE, text=True) for tag in ("x", "y")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with Store.open(db) as store:
        assert store.integrity_check() == "ok"
        scans = store.scans(target=URL)
        assert len(scans) == 24 and {s.status for s in scans} == {"complete"}
        assert len(store.baselines()) == 24
        for s in scans:
            assert len(store.snapshot(s.id).scripts) == 20
