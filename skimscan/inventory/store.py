"""SIDE-CAR (inventory) — the store: targets, scans, scripts, destinations, headers,
findings, baselines, changes and alert deliveries; the evidence PCI DSS 11.6.1 auditors ask for.

Invariants:
- One database (`--db`, default `skimscan.db`): an SQLite file in WAL mode, or, for a fleet of
  workers, a PostgreSQL database (`postgresql://user@host/db`); dialect.py holds what differs,
  and every query here is written once for both. The schema version is `PRAGMA user_version`
  (SQLite) or the one row of `skimscan_schema` (PostgreSQL); `MIGRATIONS[i]` takes version i to
  i+1, each in its own transaction. A database written by a newer skimscan is refused, never
  downgraded.
- Every write is one write transaction (SQLite: `BEGIN IMMEDIATE` with a busy timeout;
  PostgreSQL: a transaction-level advisory lock), so scans in many processes can share a
  database: one waits for the other's short write, none sees half of it.
- A scan is recorded `running` first, then everything it found is written, and the status set to
  `complete` or `incomplete`, in a single transaction. A process killed half-way leaves the
  previous state intact; its `running` row is turned into `incomplete` by the next `open` (same
  host, process gone) — a broken scan never looks clean.
- Only this module touches the database. Script code is stored in normalised form (for diffs)
  and as the original text the browser ran (evidence), both compressed; the original once per
  distinct sha256, keyed by the sha256 of its own bytes, checked again when read back. Never
  request bodies.
- Alerts go through an outbox: the scan that raises an alert writes its outbox row in the same
  transaction as its results, and the row stays `pending`/`failed` until a webhook accepts it,
  so an alert is delivered at least once, whatever fails in between.
- Opening for reading (`create=False`) never creates a database: a mistyped `--db` is an error.
  skimscan never creates a PostgreSQL database, only its tables in one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from skimscan.errors import ConfigError
from skimscan.inventory.dialect import Database, connect

DEFAULT_DB = "skimscan.db"
BUSY_TIMEOUT_S = 60.0
#: A scan still `running` after this long is taken as dead, whatever its process id says.
STALE_AFTER = timedelta(hours=12)
STATUSES = ("running", "complete", "incomplete")

_V1 = """
CREATE TABLE targets (
  id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE scans (
  id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL REFERENCES targets(id),
  started_at TEXT NOT NULL, finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'incomplete')),
  tool_version TEXT NOT NULL, rules_version TEXT NOT NULL,
  verdict TEXT, error TEXT, pid INTEGER, hostname TEXT, baseline_id INTEGER);
CREATE INDEX scans_by_target ON scans(target_id, id);
CREATE INDEX scans_by_time ON scans(started_at);
CREATE TABLE contents (
  sha256 TEXT PRIMARY KEY, ast_hash TEXT NOT NULL, parsed INTEGER NOT NULL,
  size INTEGER NOT NULL, sri TEXT NOT NULL, normalized BLOB NOT NULL);
CREATE TABLE scan_scripts (
  scan_id INTEGER NOT NULL REFERENCES scans(id), key TEXT NOT NULL, url TEXT,
  kind TEXT NOT NULL, frame TEXT, sha256 TEXT NOT NULL, ast_hash TEXT NOT NULL,
  host_class TEXT NOT NULL, verdict TEXT NOT NULL, auth TEXT, justification TEXT,
  PRIMARY KEY (scan_id, key));
CREATE TABLE scan_destinations (
  scan_id INTEGER NOT NULL REFERENCES scans(id), origin TEXT NOT NULL, host TEXT NOT NULL,
  host_class TEXT NOT NULL, resource_type TEXT NOT NULL, requests INTEGER NOT NULL,
  PRIMARY KEY (scan_id, origin, resource_type));
CREATE TABLE scan_headers (
  scan_id INTEGER NOT NULL REFERENCES scans(id), name TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (scan_id, name));
CREATE TABLE scan_findings (
  scan_id INTEGER NOT NULL REFERENCES scans(id), fingerprint TEXT NOT NULL,
  rule TEXT NOT NULL, severity TEXT NOT NULL, confidence TEXT NOT NULL, message TEXT NOT NULL,
  script_key TEXT, suppressed TEXT, PRIMARY KEY (scan_id, fingerprint));
CREATE TABLE scripts (
  target_id INTEGER NOT NULL REFERENCES targets(id), key TEXT NOT NULL, sha256 TEXT NOT NULL,
  ast_hash TEXT NOT NULL, url TEXT, kind TEXT NOT NULL,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  first_scan_id INTEGER NOT NULL, last_scan_id INTEGER NOT NULL,
  PRIMARY KEY (target_id, key, sha256));
CREATE TABLE hosts (
  target_id INTEGER NOT NULL REFERENCES targets(id), host TEXT NOT NULL,
  host_class TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  PRIMARY KEY (target_id, host));
CREATE TABLE baselines (
  id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL REFERENCES targets(id),
  scan_id INTEGER NOT NULL REFERENCES scans(id), created_at TEXT NOT NULL,
  approved_by TEXT NOT NULL, note TEXT NOT NULL DEFAULT '');
CREATE TABLE changes (
  id INTEGER PRIMARY KEY, scan_id INTEGER NOT NULL REFERENCES scans(id),
  target_id INTEGER NOT NULL REFERENCES targets(id), baseline_id INTEGER,
  kind TEXT NOT NULL, subject TEXT NOT NULL, before TEXT, after TEXT,
  detail TEXT NOT NULL DEFAULT '', fingerprint TEXT NOT NULL,
  alerted INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
CREATE INDEX changes_by_scan ON changes(scan_id);
CREATE INDEX changes_by_time ON changes(created_at);
"""

_V2 = """
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, channel TEXT NOT NULL,
  destination TEXT NOT NULL, ok INTEGER NOT NULL, attempts INTEGER NOT NULL,
  http_status INTEGER, error TEXT, scan_ids TEXT NOT NULL, changes INTEGER NOT NULL);
"""

_V3 = """
CREATE TABLE originals (
  sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL);
ALTER TABLE contents ADD COLUMN normalizer INTEGER NOT NULL DEFAULT 1;
ALTER TABLE scans ADD COLUMN alerting INTEGER NOT NULL DEFAULT 1;
CREATE TABLE outbox (
  scan_id INTEGER PRIMARY KEY REFERENCES scans(id), created_at TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'failed', 'delivered', 'no-webhook', 'unknown')),
  attempts INTEGER NOT NULL DEFAULT 0, alert_id INTEGER REFERENCES alerts(id), settled_at TEXT);
CREATE INDEX outbox_by_state ON outbox(state, scan_id);
"""

#: Outbox states. `pending`: raised, not yet sent; `failed`: the last delivery failed (sent again
#: by the next round); `delivered`: a webhook accepted it; `no-webhook`: raised by a round without
#: a webhook (exit status and log only); `unknown`: raised before skimscan kept an outbox, and no
#: delivery of it is on record.
OUTBOX_STATES = ("pending", "failed", "delivered", "no-webhook", "unknown")
QUEUED = ("pending", "failed")


def _migrate_v3(db: Database) -> None:
    """Originals, the normaliser version of each content, which scans raise alerts, and the
    outbox — filled from the deliveries already on record, so history stays truthful."""
    db.script(_V3)
    sent: dict[int, list[tuple[int, bool, str]]] = {}
    for alert_id, ok, created, scan_ids in db.execute(
            "SELECT id, ok, created_at, scan_ids FROM alerts ORDER BY id"):
        for scan_id in json.loads(scan_ids or "[]"):
            sent.setdefault(int(scan_id), []).append((int(alert_id), bool(ok), str(created)))
    raised = {int(r[0]) for r in db.execute(
        "SELECT DISTINCT scan_id FROM changes WHERE alerted <> 0")}
    times = dict(db.execute("SELECT id, COALESCE(finished_at, started_at) FROM scans"))
    for scan_id in sorted((raised | sent.keys()) & times.keys()):
        tries = sent.get(scan_id, [])
        state = ("delivered" if any(ok for _, ok, _ in tries) else "failed" if tries
                 else "unknown")
        last = tries[-1] if tries else None
        db.execute("INSERT INTO outbox (scan_id, created_at, state, attempts, alert_id, "
                   "settled_at) VALUES (?, ?, ?, ?, ?, ?)",
                   (scan_id, times[scan_id], state, len(tries), last[0] if last else None,
                    last[2] if last else None))


_V4 = """
CREATE TABLE fleet_targets (
  id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, every_s INTEGER, cron TEXT, policy TEXT,
  next_due TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX fleet_targets_by_due ON fleet_targets(next_due);
CREATE TABLE fleet_runs (
  id INTEGER PRIMARY KEY, fleet_target_id INTEGER NOT NULL REFERENCES fleet_targets(id),
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'incomplete', 'done', 'failed')),
  enqueued_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0, worker TEXT, scan_id INTEGER, error TEXT);
CREATE INDEX fleet_runs_by_target ON fleet_runs(fleet_target_id, id);
CREATE INDEX fleet_runs_by_state ON fleet_runs(state);
"""

#: Fleet run states. `queued`: sent to the broker; `running`: a worker claimed it; `incomplete`:
#: the last attempt recorded an incomplete scan (another attempt may follow); `done`: a complete
#: scan is recorded (in the same transaction); `failed`: retries exhausted without one.
FLEET_OPEN = ("queued", "running", "incomplete")

Migration = str | Callable[[Database], None]
#: MIGRATIONS[i] upgrades schema version i to i + 1: SQL, or a function for what SQL cannot do.
#: The SQL is SQLite's; dialect_postgres.translate_ddl turns it into PostgreSQL's.
MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _migrate_v3, _V4)
SCHEMA_VERSION = len(MIGRATIONS)


def now_utc() -> str:
    """ISO 8601 UTC with milliseconds: sorts as text, and two scans in one second stay apart."""
    return _iso(datetime.now(UTC))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScriptState:
    """One script of one scan, by identity (see normalize.py)."""

    key: str
    url: str | None
    kind: str
    sha256: str
    ast_hash: str
    frame: str | None = None
    host_class: str = "first-party"
    verdict: str = "clean"
    authorization: str | None = None  # "approved" / "unapproved" / None (no policy)
    justification: str | None = None


@dataclass(frozen=True, slots=True)
class Destination:
    """Requests of one scan to one origin, by resource type."""

    origin: str  # scheme://host[:port]
    host: str
    host_class: str
    resource_type: str
    requests: int = 1


@dataclass(frozen=True, slots=True)
class FindingState:
    """A finding by identity: the fingerprint ignores line numbers and script ids."""

    fingerprint: str
    rule: str
    severity: str
    confidence: str
    message: str
    script_key: str | None = None
    suppressed: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """What one scan saw on one target: the unit that baselines approve and diffs compare."""

    target: str
    scripts: tuple[ScriptState, ...] = ()
    destinations: tuple[Destination, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    findings: tuple[FindingState, ...] = ()
    scan_id: int = 0
    started_at: str = ""

    @property
    def hosts(self) -> dict[str, str]:
        """Destination host → host class."""
        return {d.host: d.host_class for d in self.destinations if d.host}


@dataclass(frozen=True, slots=True)
class Content:
    """A script body by its sha256: the normalised code and the hashes derived from it."""

    sha256: str
    ast_hash: str
    parsed: bool
    size: int
    normalized: str = field(repr=False)
    sri: Mapping[str, str] = field(default_factory=dict)  # SRI digests of the raw bytes
    #: which naming scheme produced `normalized` (normalize.NORMALIZER_VERSION; 1 before it
    #: was recorded): forms of two schemes are re-normalised before they are compared
    normalizer: int = 1


@dataclass(frozen=True, slots=True)
class Original:
    """A script version as the browser ran it: its text, UTF-8, whose sha256 is `sha256`."""

    sha256: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class ScanRow:
    id: int
    target: str
    started_at: str
    finished_at: str | None
    status: str
    tool_version: str
    rules_version: str
    verdict: str | None
    error: str | None
    baseline_id: int | None


@dataclass(frozen=True, slots=True)
class Baseline:
    id: int
    target: str
    scan_id: int
    created_at: str
    approved_by: str
    note: str


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """A change as stored: with its scan, time and whether an alert was raised for it."""

    id: int
    scan_id: int
    target: str
    baseline_id: int | None
    kind: str
    subject: str
    before: str | None
    after: str | None
    detail: str
    fingerprint: str
    alerted: bool
    created_at: str
    #: for an alerted change, its alert's outbox state (OUTBOX_STATES); "" when not alerted
    delivery: str = ""


@dataclass(frozen=True, slots=True)
class QueuedAlert:
    """What one scan raised and no webhook has accepted yet: its alerted changes, or that the
    page stopped being scannable."""

    scan_id: int
    target: str
    started_at: str
    status: str  # of the scan: complete / incomplete
    error: str | None
    state: str  # pending / failed
    attempts: int
    changes: tuple[ChangeRow, ...]


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One delivery attempt of an alert (a webhook POST, with its retries), as recorded."""

    id: int
    created_at: str
    channel: str
    destination: str
    ok: bool
    attempts: int
    http_status: int | None
    error: str | None
    scan_ids: tuple[int, ...]
    changes: int


@dataclass(frozen=True, slots=True)
class NewChange:
    """A change to write with a scan (diff.Change in storable form)."""

    kind: str
    subject: str
    before: str | None
    after: str | None
    detail: str
    fingerprint: str
    alerted: bool


@dataclass(frozen=True, slots=True)
class InventoryRow:
    """One script version of a target's latest complete scan, with first/last seen."""

    target: str
    scan_id: int
    script: ScriptState
    first_seen: str
    last_seen: str
    sri: Mapping[str, str]
    in_baseline: bool | None  # None: the target has no baseline


@dataclass(frozen=True, slots=True)
class FleetTarget:
    """A page the fleet scans on its own schedule (`every_s` seconds, or `cron`)."""

    id: int
    url: str
    every_s: int | None
    cron: str | None
    policy: str | None
    next_due: str
    created_at: str


@dataclass(frozen=True, slots=True)
class FleetRun:
    """One scheduled scan of a fleet target, from enqueueing to its recorded result."""

    id: int
    target: FleetTarget
    state: str
    attempts: int
    scan_id: int | None


@dataclass(frozen=True, slots=True)
class FleetStatus:
    """A fleet target with its latest recorded scan and whether a run is pending or running."""

    target: FleetTarget
    last_scan: ScanRow | None
    open_run: str | None  # queued / running / incomplete, or None


# --- the store -------------------------------------------------------------------------------


class Store:
    """The inventory database. Use `with Store.open(location) as store:`; one per thread."""

    def __init__(self, db: Database) -> None:
        self._db = db
        #: the database as messages name it: a file path, or a URL without its password
        self.path = db.name
        self.hostname = socket.gethostname()
        #: the fleet run (fleet_runs.id) the next recorded scan settles, in the same transaction
        #: as the scan's results: a worker's job is done exactly when its result is stored
        self.fleet_run: int | None = None

    @classmethod
    def open(cls, location: str | os.PathLike[str] = DEFAULT_DB, *,
             busy_timeout: float = BUSY_TIMEOUT_S, create: bool = True) -> Store:
        """Open and migrate; recover scans whose process died. `location`: a
        `postgresql://` (or `postgres://`) URL, else an SQLite file.

        `create=False` is for the commands that only read the record (history, inventory, diff):
        a file that does not exist, or a PostgreSQL database without skimscan's schema, is an
        error naming it, never a new empty database whose empty report would look like evidence.
        """
        db = connect(str(location), create=create, busy_timeout=busy_timeout)
        store = cls(db)
        try:
            db.retrying(store.migrate)
            db.retrying(store.recover)
        except db.errors as exc:
            db.close()
            raise ConfigError(f"{db.name} is not a usable skimscan database: "
                              f"{db.describe(exc)}") from None
        except BaseException:
            db.close()
            raise
        return store

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """One write transaction (see dialect.Database.write); any error rolls it all back."""
        with self._db.write() as db:
            yield db

    # schema
    @property
    def version(self) -> int:
        return self._db.version()

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply migrations up to `target`, one transaction each (safe when racing another)."""
        if self.version > SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path} has schema version {self.version}, newer than this skimscan "
                f"understands ({SCHEMA_VERSION}); upgrade skimscan")
        while self.version < target:
            with self.transaction() as db:
                current = db.version()
                if current >= target:
                    break
                migration = MIGRATIONS[current]
                if isinstance(migration, str):
                    db.script(migration)
                else:
                    migration(db)
                db.set_version(current + 1)

    def recover(self) -> int:
        """Mark scans whose process is gone (or that ran too long) incomplete; return how many."""
        rows = self._db.execute(
            "SELECT id, pid, hostname, started_at FROM scans WHERE status = 'running'").fetchall()
        stale_before = _iso(datetime.now(UTC) - STALE_AFTER)
        dead = [r[0] for r in rows
                if (r[2] == self.hostname and r[1] is not None and not pid_alive(int(r[1])))
                or r[3] < stale_before]
        if not dead:
            return 0
        with self.transaction() as db:
            for scan_id in dead:
                db.execute(
                    "UPDATE scans SET status = 'incomplete', finished_at = ?, error = ? "
                    "WHERE id = ? AND status = 'running'",
                    (now_utc(), "the scanning process ended before the scan was recorded "
                                "(killed or crashed); nothing of it was kept", scan_id))
        return len(dead)

    # targets and scans
    def _target_id(self, db: Database, url: str, create: bool = True) -> int | None:
        row = db.execute("SELECT id FROM targets WHERE url = ?", (url,)).fetchone()
        if row is not None:
            return int(row[0])
        if not create:
            return None
        return db.insert("INSERT INTO targets (url, created_at) VALUES (?, ?)", (url, now_utc()))

    def begin_scan(self, target: str, tool_version: str, rules_version: str, *,
                   alerting: bool = True) -> int:
        """Record a scan as `running` (committed at once) and return its id. `alerting`: the
        scan raises alerts (watch); a scan for a person (diff, baseline) does not, and is not
        what later alerts are de-duplicated against."""
        with self.transaction() as db:
            target_id = self._target_id(db, target)
            return db.insert(
                "INSERT INTO scans (target_id, started_at, status, tool_version, rules_version, "
                "pid, hostname, alerting) VALUES (?, ?, 'running', ?, ?, ?, ?, ?)",
                (target_id, now_utc(), tool_version, rules_version, os.getpid(), self.hostname,
                 int(alerting)))

    def finish_scan(self, scan_id: int, snapshot: Snapshot, *, status: str,
                    verdict: str | None = None, error: str | None = None,
                    contents: Iterable[Content] = (), changes: Sequence[NewChange] = (),
                    baseline_id: int | None = None, originals: Iterable[bytes] = (),
                    enqueue: bool = False) -> None:
        """Write everything a scan found and its final status, all or nothing.

        Only a complete scan moves the inventory (`scripts`, `hosts` first/last seen); an
        incomplete one keeps what it saw as evidence, nothing more. `originals`: script texts
        (UTF-8 bytes) to keep as evidence. `enqueue`: the scan raised an alert — its outbox row
        is written with the rest, so no failure later can lose it.
        """
        if status not in ("complete", "incomplete"):
            raise ValueError(f"finish_scan: status {status!r}")
        with self.transaction() as db:
            row = db.execute("SELECT target_id, status FROM scans WHERE id = ?",
                             (scan_id,)).fetchone()
            if row is None:
                raise ValueError(f"no scan {scan_id}")
            target_id, current = int(row[0]), str(row[1])
            if current != "running":
                raise ValueError(f"scan {scan_id} is already {current}")
            now = now_utc()
            for c in contents:
                self._insert_content(db, c)
            for data in originals:
                self._insert_original(db, data)
            for s in snapshot.scripts:
                self._insert_script(db, scan_id, s)
                if status == "complete":
                    db.execute(
                        "INSERT INTO scripts (target_id, key, sha256, ast_hash, url, kind, "
                        "first_seen, last_seen, first_scan_id, last_scan_id) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (target_id, key, sha256) DO UPDATE SET "
                        "last_seen = excluded.last_seen, last_scan_id = excluded.last_scan_id, "
                        "url = excluded.url",
                        (target_id, s.key, s.sha256, s.ast_hash, s.url, s.kind, now, now,
                         scan_id, scan_id))
            for d in snapshot.destinations:
                db.execute("INSERT INTO scan_destinations VALUES (?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT (scan_id, origin, resource_type) DO UPDATE SET "
                           "host = excluded.host, host_class = excluded.host_class, "
                           "requests = excluded.requests",
                           (scan_id, d.origin, d.host, d.host_class, d.resource_type,
                            d.requests))
            if status == "complete":
                for host, host_class in snapshot.hosts.items():
                    db.execute(
                        "INSERT INTO hosts VALUES (?, ?, ?, ?, ?) ON CONFLICT (target_id, host) "
                        "DO UPDATE SET last_seen = excluded.last_seen, "
                        "host_class = excluded.host_class",
                        (target_id, host, host_class, now, now))
            for name, value in sorted(snapshot.headers.items()):
                db.execute("INSERT INTO scan_headers VALUES (?, ?, ?)", (scan_id, name, value))
            for f in snapshot.findings:
                db.execute("INSERT INTO scan_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT (scan_id, fingerprint) DO NOTHING",
                           (scan_id, f.fingerprint, f.rule, f.severity, f.confidence, f.message,
                            f.script_key, f.suppressed))
            for ch in changes:
                db.execute(
                    "INSERT INTO changes (scan_id, target_id, baseline_id, kind, subject, before, "
                    "after, detail, fingerprint, alerted, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (scan_id, target_id, baseline_id, ch.kind, ch.subject, ch.before, ch.after,
                     ch.detail, ch.fingerprint, int(ch.alerted), now))
            db.execute(
                "UPDATE scans SET status = ?, finished_at = ?, verdict = ?, error = ?, "
                "baseline_id = ? WHERE id = ?",
                (status, now, verdict, error, baseline_id, scan_id))
            if enqueue:
                _enqueue(db, scan_id, now)
            self._settle_run(db, scan_id, status, error, now)

    def _insert_content(self, db: Database, c: Content) -> None:
        db.execute("INSERT INTO contents (sha256, ast_hash, parsed, size, sri, "
                   "normalized, normalizer) VALUES (?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (sha256) DO NOTHING",
                   (c.sha256, c.ast_hash, int(c.parsed), c.size,
                    json.dumps(dict(c.sri), sort_keys=True),
                    zlib.compress(c.normalized.encode("utf-8", "surrogatepass"), 6),
                    c.normalizer))

    def _insert_original(self, db: Database, data: bytes) -> None:
        """Content-addressed: the key is computed here, so a version cannot be mislabelled."""
        db.execute("INSERT INTO originals (sha256, size, data) VALUES (?, ?, ?) "
                   "ON CONFLICT (sha256) DO NOTHING",
                   (hashlib.sha256(data).hexdigest(), len(data), zlib.compress(data, 9)))

    def _insert_script(self, db: Database, scan_id: int, s: ScriptState) -> None:
        db.execute("INSERT INTO scan_scripts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (scan_id, s.key, s.url, s.kind, s.frame, s.sha256, s.ast_hash, s.host_class,
                    s.verdict, s.authorization, s.justification))

    def fail_scan(self, scan_id: int, error: str, *, enqueue: bool = False) -> None:
        """A scan that could not run at all: `incomplete`, with the reason (and, with `enqueue`,
        an alert that the page stopped being scannable)."""
        with self.transaction() as db:
            now = now_utc()
            cur = db.execute("UPDATE scans SET status = 'incomplete', finished_at = ?, error = ? "
                             "WHERE id = ? AND status = 'running'", (now, error, scan_id))
            if enqueue and cur.rowcount:
                _enqueue(db, scan_id, now)
            if cur.rowcount:
                self._settle_run(db, scan_id, "incomplete", error, now)

    def _settle_run(self, db: Database, scan_id: int, status: str, error: str | None,
                    now: str) -> None:
        """The fleet run this scan belongs to takes its outcome (a done run never reopens)."""
        if self.fleet_run is None:
            return
        db.execute("UPDATE fleet_runs SET state = ?, scan_id = ?, finished_at = ?, error = ? "
                   "WHERE id = ? AND state <> 'done'",
                   ("done" if status == "complete" else "incomplete", scan_id, now, error,
                    self.fleet_run))

    # reading
    def scan(self, scan_id: int) -> ScanRow | None:
        row = self._db.execute(_SCAN_SELECT + " WHERE s.id = ?", (scan_id,)).fetchone()
        return _scan_row(row) if row else None

    def latest_scan(self, target: str, *, status: str | None = "complete",
                    before: int | None = None, alerting: bool | None = None) -> ScanRow | None:
        sql = _SCAN_SELECT + " WHERE t.url = ?"
        params: list[Any] = [target]
        for cond, value in (("s.status = ?", status), ("s.id < ?", before),
                            ("s.alerting = ?", None if alerting is None else int(alerting))):
            if value is not None:
                sql += " AND " + cond
                params.append(value)
        row = self._db.execute(sql + " ORDER BY s.id DESC LIMIT 1", params).fetchone()
        return _scan_row(row) if row else None

    def scans(self, *, target: str | None = None, since: str | None = None,
              until: str | None = None) -> list[ScanRow]:
        sql, params = _SCAN_SELECT + " WHERE 1 = 1", []
        for cond, value in (("t.url = ?", target), ("s.started_at >= ?", since),
                            ("s.started_at < ?", until)):
            if value is not None:
                sql += " AND " + cond
                params.append(value)
        return [_scan_row(r) for r in self._db.execute(sql + " ORDER BY s.id", params)]

    def targets(self) -> list[str]:
        return [str(r[0]) for r in self._db.execute("SELECT url FROM targets ORDER BY url")]

    def snapshot(self, scan_id: int) -> Snapshot:
        scan = self.scan(scan_id)
        if scan is None:
            raise ValueError(f"no scan {scan_id}")
        db = self._db
        scripts = tuple(ScriptState(
            key=r[0], url=r[1], kind=r[2], frame=r[3], sha256=r[4], ast_hash=r[5],
            host_class=r[6], verdict=r[7], authorization=r[8], justification=r[9])
            for r in db.execute(
                "SELECT key, url, kind, frame, sha256, ast_hash, host_class, verdict, auth, "
                "justification FROM scan_scripts WHERE scan_id = ? ORDER BY key", (scan_id,)))
        destinations = tuple(Destination(*r) for r in db.execute(
            "SELECT origin, host, host_class, resource_type, requests FROM scan_destinations "
            "WHERE scan_id = ? ORDER BY origin, resource_type", (scan_id,)))
        headers = {str(r[0]): str(r[1]) for r in db.execute(
            "SELECT name, value FROM scan_headers WHERE scan_id = ? ORDER BY name", (scan_id,))}
        findings = tuple(FindingState(*r) for r in db.execute(
            "SELECT fingerprint, rule, severity, confidence, message, script_key, suppressed "
            "FROM scan_findings WHERE scan_id = ? ORDER BY fingerprint", (scan_id,)))
        return Snapshot(scan.target, scripts, destinations, headers, findings, scan_id,
                        scan.started_at)

    def contents(self, sha256s: Iterable[str]) -> dict[str, Content]:
        """Stored contents by sha256 (normalisation is done once per script body)."""
        wanted = sorted({s for s in sha256s if s})
        out: dict[str, Content] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._db.execute(
                    "SELECT sha256, ast_hash, parsed, size, normalized, sri, normalizer "
                    f"FROM contents WHERE sha256 IN ({marks})", chunk):
                out[r[0]] = Content(r[0], r[1], bool(r[2]), int(r[3]),
                                    zlib.decompress(r[4]).decode("utf-8", "surrogatepass"),
                                    json.loads(r[5]), int(r[6]))
        return out

    # originals (evidence: what the browser ran)
    def missing_originals(self, sha256s: Iterable[str]) -> set[str]:
        """The sha256s among these whose original text is not kept yet (so a scan compresses
        and writes only what is new)."""
        wanted = sorted({s for s in sha256s if s})
        have: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            have.update(str(r[0]) for r in self._db.execute(
                f"SELECT sha256 FROM originals WHERE sha256 IN ({','.join('?' * len(chunk))})",
                chunk))
        return set(wanted) - have

    def original(self, digest: str) -> Original | None:
        """A script version's original text by its sha256, or a unique prefix of at least 8 hex
        digits (as `diff` labels show). The bytes are checked against their sha256 on the way
        out: evidence that no longer matches its name is an error, never returned."""
        digest = digest.strip().lower()
        if len(digest) < 8 or any(c not in "0123456789abcdef" for c in digest):
            raise ConfigError(f"{digest!r} is not a sha256 (or a prefix of at least 8 hex digits)")
        rows = self._db.execute(
            "SELECT sha256, data FROM originals WHERE sha256 >= ? AND sha256 < ? "
            "ORDER BY sha256 LIMIT 2", (digest, digest + "g")).fetchall()
        if len(rows) > 1:
            raise ConfigError(f"{digest} names more than one script version; give more digits")
        if not rows:
            return None
        sha256, blob = str(rows[0][0]), bytes(rows[0][1])
        try:
            data = zlib.decompress(blob)
        except zlib.error:
            data = b""
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ConfigError(f"{self.path}: the kept original of {sha256} does not match its "
                              "sha256; the database is damaged")
        return Original(sha256, data)

    def original_texts(self, sha256s: Iterable[str]) -> dict[str, str]:
        """The original text of these script versions (by full sha256), where it is kept and
        intact: what re-normalising an old stored form needs (diff.stale_forms)."""
        out: dict[str, str] = {}
        for digest in sorted({s for s in sha256s if s}):
            try:
                original = self.original(digest)
            except ConfigError:  # damaged evidence: the old form is used instead
                continue
            if original is not None and original.sha256 == digest:
                out[digest] = original.data.decode("utf-8", "surrogatepass")
        return out

    # baselines
    def set_baseline(self, target: str, scan_id: int, approved_by: str,
                     note: str = "") -> Baseline:
        """Approve a complete scan of `target` as the state later scans are compared with."""
        with self.transaction() as db:
            row = db.execute("SELECT t.url, s.status FROM scans s JOIN targets t "
                             "ON t.id = s.target_id WHERE s.id = ?", (scan_id,)).fetchone()
            if row is None or row[0] != target:
                raise ConfigError(f"scan {scan_id} is not a scan of {target}")
            if row[1] != "complete":
                raise ConfigError(f"scan {scan_id} of {target} is {row[1]}; only a complete "
                                  "scan can be approved as the baseline")
            target_id = self._target_id(db, target)
            created = now_utc()
            baseline_id = db.insert("INSERT INTO baselines (target_id, scan_id, created_at, "
                                    "approved_by, note) VALUES (?, ?, ?, ?, ?)",
                                    (target_id, scan_id, created, approved_by, note))
            return Baseline(baseline_id, target, scan_id, created, approved_by, note)

    def baseline(self, target: str) -> Baseline | None:
        row = self._db.execute(
            "SELECT b.id, t.url, b.scan_id, b.created_at, b.approved_by, b.note FROM baselines b "
            "JOIN targets t ON t.id = b.target_id WHERE t.url = ? ORDER BY b.id DESC LIMIT 1",
            (target,)).fetchone()
        return Baseline(*row) if row else None

    def baselines(self) -> list[Baseline]:
        return [Baseline(*r) for r in self._db.execute(
            "SELECT b.id, t.url, b.scan_id, b.created_at, b.approved_by, b.note FROM baselines b "
            "JOIN targets t ON t.id = b.target_id ORDER BY b.id")]

    # changes and alerts
    def changes(self, *, scan_id: int | None = None, target: str | None = None,
                since: str | None = None, until: str | None = None) -> list[ChangeRow]:
        sql = _CHANGE_SELECT + " WHERE 1 = 1"
        params: list[Any] = []
        for cond, value in (("c.scan_id = ?", scan_id), ("t.url = ?", target),
                            ("c.created_at >= ?", since), ("c.created_at < ?", until)):
            if value is not None:
                sql += " AND " + cond
                params.append(value)
        return [_change_row(r) for r in self._db.execute(sql + " ORDER BY c.id", params)]

    def record_alert(self, *, channel: str, destination: str, ok: bool, attempts: int,
                     http_status: int | None, error: str | None, scan_ids: Sequence[int],
                     changes: int, settles: bool = False) -> int:
        """Record one delivery (with its retries) and return its id. With `settles`, the
        queued alerts of `scan_ids` take its outcome (`delivered` or `failed`) in the same
        transaction, so the record of deliveries and the outbox never disagree."""
        with self.transaction() as db:
            alert_id = db.insert(
                "INSERT INTO alerts (created_at, channel, destination, ok, attempts, "
                "http_status, error, scan_ids, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now_utc(), channel, destination, int(ok), attempts, http_status, error,
                 json.dumps(list(scan_ids)), changes))
            if settles:
                _settle(db, scan_ids, "delivered" if ok else "failed", alert_id)
            return alert_id

    def alerts(self, *, since: str | None = None, until: str | None = None) -> list[AlertRow]:
        """Deliveries, oldest first (`since`/`until` on their time, UTC)."""
        sql, params = ("SELECT id, created_at, channel, destination, ok, attempts, http_status, "
                       "error, scan_ids, changes FROM alerts WHERE 1 = 1"), []
        for cond, value in (("created_at >= ?", since), ("created_at < ?", until)):
            if value is not None:
                sql += " AND " + cond
                params.append(value)
        return [AlertRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), bool(r[4]), int(r[5]),
                         r[6], r[7], tuple(int(i) for i in json.loads(r[8] or "[]")), int(r[9]))
                for r in self._db.execute(sql + " ORDER BY id", params)]

    # the outbox
    def queued_alerts(self, *, targets: Sequence[str] | None = None,
                      scan_ids: Iterable[int] | None = None) -> list[QueuedAlert]:
        """Alerts raised and not accepted by a webhook yet (`pending`, `failed`), oldest first."""
        rows = self._db.execute(
            "SELECT o.scan_id, t.url, s.started_at, s.status, s.error, o.state, o.attempts "
            "FROM outbox o JOIN scans s ON s.id = o.scan_id JOIN targets t ON t.id = s.target_id "
            f"WHERE o.state IN ({','.join('?' * len(QUEUED))}) ORDER BY o.scan_id",
            QUEUED).fetchall()
        wanted_targets = None if targets is None else set(targets)
        wanted_scans = None if scan_ids is None else set(scan_ids)
        out: list[QueuedAlert] = []
        for r in rows:
            if (wanted_targets is not None and r[1] not in wanted_targets) or \
                    (wanted_scans is not None and r[0] not in wanted_scans):
                continue
            changes = tuple(c for c in self.changes(scan_id=int(r[0])) if c.alerted)
            out.append(QueuedAlert(int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], str(r[5]),
                                   int(r[6]), changes))
        return out

    def settle_alerts(self, scan_ids: Iterable[int], *, state: str,
                      alert_id: int | None = None) -> None:
        """The outcome for queued alerts: `delivered` or `failed` by delivery `alert_id` (one
        more attempt each), or `no-webhook`. Settled rows (`delivered`) never go back."""
        if state not in OUTBOX_STATES or state in ("pending", "unknown"):
            raise ValueError(f"settle_alerts: state {state!r}")
        with self.transaction() as db:
            _settle(db, scan_ids, state, alert_id)

    # inventory
    def inventory(self, targets: Sequence[str] | None = None) -> list[InventoryRow]:
        """Scripts of each target's latest complete scan, with first/last seen of that version."""
        rows: list[InventoryRow] = []
        for target in targets or self.targets():
            scan = self.latest_scan(target)
            if scan is None:
                continue
            snap = self.snapshot(scan.id)
            base = self.baseline(target)
            base_keys = ({(s.key, s.ast_hash) for s in self.snapshot(base.scan_id).scripts}
                         if base else None)
            sris = self.contents(s.sha256 for s in snap.scripts)
            for s in snap.scripts:
                seen = self._db.execute(
                    "SELECT MIN(sc.first_seen), MAX(sc.last_seen) FROM scripts sc "
                    "JOIN targets t ON t.id = sc.target_id WHERE t.url = ? AND sc.key = ? "
                    "AND sc.ast_hash = ?", (target, s.key, s.ast_hash)).fetchone()
                content = sris.get(s.sha256)
                rows.append(InventoryRow(
                    target, scan.id, s, seen[0] or scan.started_at, seen[1] or scan.started_at,
                    dict(content.sri) if content else {},
                    None if base_keys is None else (s.key, s.ast_hash) in base_keys))
        return rows

    # the fleet (skimscan/fleet/): targets with their own schedules, and runs
    def fleet_add(self, url: str, *, every_s: int | None, cron: str | None,
                  policy: str | None, next_due: str) -> FleetTarget:
        """Add a fleet target, or change the schedule and policy of one already there."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO fleet_targets (url, every_s, cron, policy, next_due, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
                "every_s = excluded.every_s, cron = excluded.cron, policy = excluded.policy, "
                "next_due = excluded.next_due", (url, every_s, cron, policy, next_due, now_utc()))
        found = self.fleet_target(url)
        assert found is not None
        return found

    def fleet_remove(self, url: str) -> bool:
        """Stop scanning `url` in the fleet (its scans stay on record); False if not there."""
        with self.transaction() as db:
            row = db.execute("SELECT id FROM fleet_targets WHERE url = ?", (url,)).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM fleet_runs WHERE fleet_target_id = ?", (row[0],))
            db.execute("DELETE FROM fleet_targets WHERE id = ?", (row[0],))
            return True

    def fleet_target(self, url: str) -> FleetTarget | None:
        row = self._db.execute(_FLEET_SELECT + " WHERE url = ?", (url,)).fetchone()
        return FleetTarget(*row) if row else None

    def fleet_target_by_id(self, target_id: int) -> FleetTarget | None:
        row = self._db.execute(_FLEET_SELECT + " WHERE id = ?", (target_id,)).fetchone()
        return FleetTarget(*row) if row else None

    def fleet_targets(self) -> list[FleetTarget]:
        return [FleetTarget(*r) for r in self._db.execute(_FLEET_SELECT + " ORDER BY url")]

    def fleet_enqueue_due(self, now: str, next_due: Callable[[FleetTarget], str], *,
                          limit: int = 1000) -> list[FleetRun]:
        """Targets due at `now` without an open run: a `queued` run each, and their next due
        time moved on — one transaction, so two schedulers never enqueue a target twice."""
        with self.transaction() as db:
            rows = db.execute(
                _FLEET_SELECT + " WHERE next_due <= ? AND NOT EXISTS (SELECT 1 FROM fleet_runs r "
                f"WHERE r.fleet_target_id = fleet_targets.id AND r.state IN "
                f"({','.join('?' * len(FLEET_OPEN))})) ORDER BY next_due, id LIMIT ?",
                (now, *FLEET_OPEN, limit)).fetchall()
            runs: list[FleetRun] = []
            for row in rows:
                target = FleetTarget(*row)
                db.execute("UPDATE fleet_targets SET next_due = ? WHERE id = ?",
                           (next_due(target), target.id))
                run_id = db.insert("INSERT INTO fleet_runs (fleet_target_id, state, enqueued_at) "
                                   "VALUES (?, 'queued', ?)", (target.id, now))
                runs.append(FleetRun(run_id, target, "queued", 0, None))
            return runs

    def fleet_requeue_stale(self, now: str, before: str) -> list[FleetRun]:
        """Open runs untouched since `before` (their job was lost: a broker that dropped it, a
        retry that could not be sent): marked enqueued again at `now`, for the caller to send."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT r.id, r.state, r.attempts, r.scan_id, t.id, t.url, t.every_s, t.cron, "
                "t.policy, t.next_due, t.created_at FROM fleet_runs r JOIN fleet_targets t "
                "ON t.id = r.fleet_target_id WHERE r.state IN "
                f"({','.join('?' * len(FLEET_OPEN))}) "
                "AND COALESCE(r.finished_at, r.started_at, r.enqueued_at) < ? ORDER BY r.id",
                (*FLEET_OPEN, before)).fetchall()
            for r in rows:
                db.execute("UPDATE fleet_runs SET state = 'queued', enqueued_at = ?, "
                           "started_at = NULL, finished_at = NULL WHERE id = ?", (now, r[0]))
            return [FleetRun(int(r[0]), FleetTarget(*r[4:]), "queued", int(r[2]), r[3])
                    for r in rows]

    def fleet_claim(self, run_id: int, worker: str) -> FleetRun | None:
        """A worker takes a run: None when it is done (a redelivered job) or gone."""
        with self.transaction() as db:
            row = db.execute("SELECT r.state, r.attempts, r.scan_id, r.fleet_target_id "
                             "FROM fleet_runs r WHERE r.id = ?", (run_id,)).fetchone()
            if row is None or row[0] == "done":
                return None
            db.execute("UPDATE fleet_runs SET state = 'running', attempts = attempts + 1, "
                       "worker = ?, started_at = ? WHERE id = ?", (worker, now_utc(), run_id))
            target = db.execute(_FLEET_SELECT + " WHERE id = ?", (row[3],)).fetchone()
            return FleetRun(run_id, FleetTarget(*target), "running", int(row[1]) + 1, row[2])

    def fleet_fail(self, run_id: int, error: str) -> None:
        """Retries exhausted without a complete scan: the run is `failed` (never clean)."""
        with self.transaction() as db:
            db.execute("UPDATE fleet_runs SET state = 'failed', error = ?, finished_at = ? "
                       "WHERE id = ? AND state <> 'done'", (error, now_utc(), run_id))

    def fleet_runs(self, url: str | None = None) -> list[FleetRun]:
        sql = ("SELECT r.id, r.state, r.attempts, r.scan_id, t.id, t.url, t.every_s, t.cron, "
               "t.policy, t.next_due, t.created_at FROM fleet_runs r JOIN fleet_targets t "
               "ON t.id = r.fleet_target_id")
        rows = self._db.execute(sql + (" WHERE t.url = ?" if url else "") + " ORDER BY r.id",
                                (url,) if url else ()).fetchall()
        return [FleetRun(int(r[0]), FleetTarget(*r[4:]), str(r[1]), int(r[2]), r[3])
                for r in rows]

    def abandon_own_scans(self, pid: int, error: str) -> int:
        """Scans this process left `running` (a write that failed half-way, e.g. the database
        went away): incomplete, before the same process starts another."""
        with self.transaction() as db:
            cur = db.execute("UPDATE scans SET status = 'incomplete', finished_at = ?, error = ? "
                             "WHERE status = 'running' AND pid = ? AND hostname = ?",
                             (now_utc(), error, pid, self.hostname))
            return cur.rowcount

    def fleet_status(self) -> list[FleetStatus]:
        out: list[FleetStatus] = []
        for target in self.fleet_targets():
            last = self.latest_scan(target.url, status=None)
            row = self._db.execute(
                "SELECT state FROM fleet_runs WHERE fleet_target_id = ? AND state IN "
                f"({','.join('?' * len(FLEET_OPEN))}) ORDER BY id DESC LIMIT 1",
                (target.id, *FLEET_OPEN)).fetchone()
            out.append(FleetStatus(target, last, str(row[0]) if row else None))
        return out

    def integrity_check(self) -> str:
        """"ok", or what is wrong: the backend's own check of its storage (SQLite's
        `PRAGMA integrity_check`), then the store's invariant that a `running` scan has nothing
        written yet (its rows and final status are one transaction)."""
        storage = self._db.integrity_check()
        if storage != "ok":
            return storage
        half = [int(r[0]) for r in self._db.execute(_HALF_WRITTEN)]
        if half:
            return (f"scan(s) {', '.join(map(str, half))} are running but have results "
                    "written: a write was not all or nothing")
        return "ok"


_FLEET_SELECT = ("SELECT id, url, every_s, cron, policy, next_due, created_at "
                 "FROM fleet_targets")


_SCAN_SELECT = (
    "SELECT s.id, t.url, s.started_at, s.finished_at, s.status, s.tool_version, "
    "s.rules_version, s.verdict, s.error, s.baseline_id FROM scans s "
    "JOIN targets t ON t.id = s.target_id"
)


_HALF_WRITTEN = (
    "SELECT s.id FROM scans s WHERE s.status = 'running' AND ("
    + " OR ".join(f"EXISTS (SELECT 1 FROM {table} x WHERE x.scan_id = s.id)"
                  for table in ("scan_scripts", "scan_destinations", "scan_headers",
                                "scan_findings", "changes", "outbox"))
    + ") ORDER BY s.id LIMIT 10"
)


_CHANGE_SELECT = (
    "SELECT c.id, c.scan_id, t.url, c.baseline_id, c.kind, c.subject, c.before, c.after, "
    "c.detail, c.fingerprint, c.alerted, c.created_at, "
    "CASE WHEN c.alerted <> 0 THEN COALESCE(o.state, 'unknown') ELSE '' END "
    "FROM changes c JOIN targets t ON t.id = c.target_id "
    "LEFT JOIN outbox o ON o.scan_id = c.scan_id"
)


def _change_row(r: Sequence[Any]) -> ChangeRow:
    return ChangeRow(int(r[0]), int(r[1]), str(r[2]), r[3], str(r[4]), str(r[5]), r[6], r[7],
                     str(r[8]), str(r[9]), bool(r[10]), str(r[11]), str(r[12]))


def _settle(db: Database, scan_ids: Iterable[int], state: str,
            alert_id: int | None) -> None:
    """Queued rows only: a delivered alert never goes back to failed."""
    for scan_id in scan_ids:
        db.execute("UPDATE outbox SET state = ?, attempts = attempts + ?, "
                   "alert_id = COALESCE(?, alert_id), settled_at = ? "
                   f"WHERE scan_id = ? AND state IN ({','.join('?' * len(QUEUED))})",
                   (state, int(alert_id is not None), alert_id, now_utc(), scan_id, *QUEUED))


def _enqueue(db: Database, scan_id: int, now: str) -> None:
    db.execute("INSERT INTO outbox (scan_id, created_at, state) VALUES (?, ?, 'pending') "
               "ON CONFLICT (scan_id) DO NOTHING", (scan_id, now))


def _scan_row(r: Sequence[Any]) -> ScanRow:
    return ScanRow(int(r[0]), str(r[1]), str(r[2]), r[3], str(r[4]), str(r[5]), str(r[6]),
                   r[7], r[8], r[9])


def pid_alive(pid: int) -> bool:
    """A process of this host with that id still runs (ours always does)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
