"""The store on a real PostgreSQL, as a fleet uses it: workers in many processes take turns to
write and never see half of each other's scans; a worker killed during a scan leaves it
`incomplete`, not `running`; the schema is built by migrations in an empty database, however
many workers start at once; and every failure to reach the database is one clear line that
names it without its password — through the API and the command line.

The store's behaviour shared with SQLite is tested on both in tests/test_inventory_*.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from skimscan.cli import main
from skimscan.errors import ConfigError
from skimscan.inventory.dialect import DatabaseUnavailable
from skimscan.inventory.store import SCHEMA_VERSION, Store
from tests.fleet.backends import exists, raw
from tests.fleet.servers import PostgresServer, free_port
from tests.test_inventory_store import URL, record, snapshot

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.url(postgres_server.create_database())


def _python(script: str, *args: str, stdin: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _waiting_writers(url: str) -> int:
    """Sessions of this database waiting for an advisory lock (the store's writer lock)."""
    db = raw(url)
    try:
        return int(db.execute(
            "SELECT COUNT(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND NOT l.granted "
            "AND d.datname = current_database()").fetchone()[0])
    finally:
        db.close()


# --- writers take turns ----------------------------------------------------------------------

_PAUSED_WRITER = textwrap.dedent("""
    import sys
    from skimscan.inventory import store as st
    from tests.test_inventory_store import snapshot, URL
    s = st.Store.open(sys.argv[1])
    scan_id = s.begin_scan(URL, "0.1.0", "r")
    original = st.Store._insert_script
    calls = []
    def paused(self, db, scan, script):
        original(self, db, scan, script)
        calls.append(1)
        if len(calls) == 3:  # half-way through writing the scan, inside its transaction
            print(scan_id, flush=True)
            sys.stdin.readline()  # until the test lets it go on
    st.Store._insert_script = paused
    s.finish_scan(scan_id, snapshot(6, tag="p"), status="complete")
    print("done", flush=True)
""")

_WRITER = textwrap.dedent("""
    import sys
    from skimscan.inventory.store import Store
    from tests.test_inventory_store import snapshot, record, URL
    tag, n = sys.argv[2], int(sys.argv[3])
    with Store.open(sys.argv[1]) as s:
        for i in range(n):
            scan_id = record(s, snapshot(20, tag=tag))
            if i % 2:
                s.set_baseline(URL, scan_id, tag)
    print("done", flush=True)
""")


def test_a_writer_waits_for_another_and_readers_never_see_half_a_scan(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        first = record(store, snapshot(tag="a"))
    paused = _python(_PAUSED_WRITER, pg_url, stdin=True)
    writer = None
    try:
        assert paused.stdout is not None and paused.stdin is not None
        half = int(paused.stdout.readline())  # 3 of its 6 scripts written, not committed
        writer = _python(_WRITER, pg_url, "y", "2")
        _wait_for(lambda: _waiting_writers(pg_url) == 1, "the second writer to wait")
        assert writer.poll() is None
        with Store.open(pg_url, create=False) as reader:  # reading waits for no one
            scan = reader.scan(half)
            assert scan is not None and scan.status == "running"
            assert reader.snapshot(half).scripts == ()
            assert reader.latest_scan(URL).id == first  # type: ignore[union-attr]
            assert reader.integrity_check() == "ok"
        paused.stdin.write("\n")
        paused.stdin.flush()
        assert paused.wait(timeout=30) == 0 and paused.stdout.read().strip() == "done"
        _, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
    finally:
        for proc in (paused, writer):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    with Store.open(pg_url, create=False) as store:
        scans = store.scans(target=URL)
        assert [s.id for s in scans][:2] == [first, half]
        assert {s.status for s in scans} == {"complete"} and len(scans) == 4
        assert [x.sha256[0] for x in store.snapshot(half).scripts] == ["p"] * 6
        for later in scans[2:]:  # the waiting writer's scans begin after the paused one ended
            assert [x.sha256[0] for x in store.snapshot(later.id).scripts] == ["y"] * 20
        assert store.integrity_check() == "ok"


def test_concurrent_writers_never_interleave_a_scans_rows(pg_url: str) -> None:
    tags, n = ("x", "y", "z"), 8
    procs = [_python(_WRITER, pg_url, tag, str(n)) for tag in tags]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with Store.open(pg_url, create=False) as store:
        scans = store.scans(target=URL)
        assert len(scans) == len(tags) * n and {s.status for s in scans} == {"complete"}
        owner = {}
        for s in scans:
            shas = {x.sha256[0] for x in store.snapshot(s.id).scripts}
            assert len(store.snapshot(s.id).scripts) == 20 and len(shas) == 1, (s.id, shas)
            owner[s.id] = shas.pop()
        assert sorted(owner.values()) == sorted(t for t in tags for _ in range(n))
        for b in store.baselines():  # approved by the process that wrote the scan
            assert owner[b.scan_id] == b.approved_by
        db = raw(pg_url)
        try:  # the inventory's first/last seen point at scans of the same version
            for sha, first_scan, last_scan in db.execute(
                    "SELECT sha256, first_scan_id, last_scan_id FROM scripts"):
                assert owner[first_scan] == owner[last_scan] == sha[0]
        finally:
            db.close()
        assert store.integrity_check() == "ok"


# --- a killed worker -------------------------------------------------------------------------

_RUNNING = textwrap.dedent("""
    import sys, time
    from skimscan.inventory.store import Store
    from tests.test_inventory_store import URL
    s = Store.open(sys.argv[1])
    print(s.begin_scan(URL, "0.1.0", "r"), flush=True)
    time.sleep(120)
""")


def test_a_scan_left_running_by_a_killed_process_is_recovered_as_incomplete(
        pg_url: str) -> None:
    proc = _python(_RUNNING, pg_url)
    try:
        assert proc.stdout is not None
        scan_id = int(proc.stdout.readline())
        with Store.open(pg_url) as store:  # its process is alive: still running
            assert store.scan(scan_id).status == "running"  # type: ignore[union-attr]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    with Store.open(pg_url, create=False) as store:
        row = store.scan(scan_id)
        assert row is not None and row.status == "incomplete" and row.finished_at
        assert "killed or crashed" in (row.error or "")
        assert store.integrity_check() == "ok"


def test_only_this_hosts_dead_scans_are_recovered_unless_stale(pg_url: str) -> None:
    """Another worker's pid means nothing here: its scan stays running until it is too old."""
    with Store.open(pg_url) as store:
        elsewhere = store.begin_scan(URL, "0.1.0", "r")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    db = raw(pg_url)
    db.execute("UPDATE scans SET hostname = 'worker-elsewhere', pid = ? WHERE id = ?",
               (int(dead.stdout), elsewhere))
    db.close()
    with Store.open(pg_url) as store:
        assert store.scan(elsewhere).status == "running"  # type: ignore[union-attr]
    old = (datetime.now(UTC) - timedelta(hours=13)).isoformat(timespec="milliseconds")
    db = raw(pg_url)
    db.execute("UPDATE scans SET started_at = ? WHERE id = ?",
               (old.replace("+00:00", "Z"), elsewhere))
    db.close()
    with Store.open(pg_url) as store:
        assert store.scan(elsewhere).status == "incomplete"  # type: ignore[union-attr]


# --- migrations ------------------------------------------------------------------------------

_OPEN = textwrap.dedent("""
    import sys
    from skimscan.inventory.store import Store
    Store.open(sys.argv[1]).close()
""")

TABLES = {"targets", "scans", "contents", "scan_scripts", "scan_destinations", "scan_headers",
          "scan_findings", "scripts", "hosts", "baselines", "changes", "alerts", "originals",
          "outbox", "fleet_targets", "fleet_runs", "skimscan_schema"}


def test_migrations_build_the_schema_in_an_empty_database(pg_url: str) -> None:
    with pytest.raises(ConfigError, match="no such skimscan database"):
        Store.open(pg_url, create=False)  # reading never creates
    assert not exists(pg_url)
    procs = [_python(_OPEN, pg_url) for _ in range(4)]  # workers starting together
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    with Store.open(pg_url, create=False) as store:
        assert store.version == SCHEMA_VERSION
    db = raw(pg_url)
    try:
        columns = {(str(r[0]), str(r[1])): (str(r[2]), r[3], str(r[4])) for r in db.execute(
            "SELECT table_name, column_name, data_type, collation_name, is_identity "
            "FROM information_schema.columns WHERE table_schema = current_schema()")}
        assert {t for t, _ in columns} == TABLES
        assert db.execute("SELECT COUNT(*) FROM skimscan_schema").fetchone()[0] == 1
    finally:
        db.close()
    ids = {t for (t, c), (_, _, identity) in columns.items() if identity == "YES"}
    assert ids == {"targets", "scans", "baselines", "changes", "alerts", "fleet_targets",
                   "fleet_runs"}
    assert all(columns[(t, "id")][0] == "bigint" for t in ids)
    assert columns[("originals", "data")][0] == columns[("contents", "normalized")][0] == "bytea"
    texts = {key: collation for key, (kind, collation, _) in columns.items() if kind == "text"}
    assert texts and set(texts.values()) == {"C"}  # sorted as SQLite sorts, whatever the locale
    assert [k for k, (kind, _, _) in columns.items() if kind == "integer"] == [
        ("skimscan_schema", "version")]  # every other integer is 64-bit, as in SQLite


def test_order_is_by_code_point_whatever_the_databases_locale(pg_url: str) -> None:
    """The test server's default collation is ICU en-US, where "B" sorts after "a"."""
    urls = ["https://shop.test/a", "https://shop.test/B", "https://shop.test/_x",
            "https://shop.test/a-b", "https://shop.test/ab", "https://shop.test/Z"]
    with Store.open(pg_url) as store:
        for url in urls:
            store.begin_scan(url, "0.1.0", "r")
        assert store.targets() == sorted(urls)
        db = raw(pg_url)
        try:
            assert db.execute("SELECT 'B' < 'a'").fetchone()[0] is False  # the locale's order
        finally:
            db.close()


# --- errors name the database, never its password ---------------------------------------------


def test_a_missing_database_is_an_error_naming_the_url_without_its_password(
        postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    server, secret = postgres_server, postgres_server.password
    url = server.url("no_such_db")
    shown = f"postgresql://skimscan:***@127.0.0.1:{server.port}/no_such_db"
    for create in (False, True):  # skimscan creates tables, never the database
        with pytest.raises(ConfigError) as info:
            Store.open(url, create=create)
        assert shown in str(info.value) and "no such database" in str(info.value)
        assert secret not in str(info.value)
    monkeypatch.delenv("SKIMSCAN_DB", raising=False)
    for argv in (["history", "--db", url], ["inventory", "--db", url],
                 ["diff", URL, "--no-scan", "--db", url]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert shown in err and secret not in err and "Traceback" not in err
    monkeypatch.setenv("SKIMSCAN_DB", url.replace("postgresql://", "postgres://"))
    assert main(["inventory"]) == 2
    err = capsys.readouterr().err
    assert shown.replace("postgresql://", "postgres://") in err and secret not in err


def test_connection_failures_are_one_line_without_the_password(
        postgres_server: PostgresServer, pg_url: str) -> None:
    server = postgres_server
    database = pg_url.rsplit("/", 1)[1]
    wrong = server.url(database, password="Wrong-Secret-42")
    with pytest.raises(DatabaseUnavailable, match="cannot connect") as info:
        Store.open(wrong)
    assert "Wrong-Secret-42" not in str(info.value) and ":***@" in str(info.value)
    query = f"postgresql://skimscan@127.0.0.1:{server.port}/{database}?password=Wrong-Secret-42"
    with pytest.raises(DatabaseUnavailable) as info:
        Store.open(query)
    assert "Wrong-Secret-42" not in str(info.value) and "password=***" in str(info.value)
    nobody = server.url(database).replace(f":{server.port}/", f":{free_port()}/")
    with pytest.raises(DatabaseUnavailable, match="cannot connect") as info:
        Store.open(nobody)
    assert server.password not in str(info.value) and "\n" not in str(info.value)
    # and a connection lost while running: the same kind of message, not a driver traceback
    with Store.open(pg_url) as store:
        server.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       f"WHERE datname = '{database}' AND application_name = 'skimscan'")
        with pytest.raises(DatabaseUnavailable) as info:
            store.targets()
        assert store.path in str(info.value) and server.password not in str(info.value)


def test_inventory_history_and_diff_read_a_postgres_store(
        pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(pg_url) as store:
        first = record(store, snapshot(tag="a"))
        store.set_baseline(URL, first, "me")
        latest = record(store, snapshot(tag="b"))  # every script is another version
    assert main(["inventory", "--db", pg_url, "-f", "json"]) == 0
    scripts = json.loads(capsys.readouterr().out)["scripts"]
    assert {s["scan_id"] for s in scripts} == {latest} and len(scripts) == 2
    assert main(["history", "--db", pg_url, "-f", "json"]) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)["scans"]] == [first, latest]
    assert main(["diff", URL, "--no-scan", "--db", pg_url, "-f", "json"]) == 1
    [page] = json.loads(capsys.readouterr().out)["pages"]
    assert page["scan_id"] == latest and page["baseline"]["scan_id"] == first
    assert page["changes"]
