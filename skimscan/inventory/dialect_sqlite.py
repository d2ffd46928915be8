"""SIDE-CAR (inventory) — the store on an SQLite file (see dialect.py): WAL mode so readers never
wait for a writer, `BEGIN IMMEDIATE` with a busy timeout so writers (processes) take turns,
`PRAGMA user_version` as the schema version."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from skimscan.errors import ConfigError
from skimscan.inventory.dialect import Cursor, Database, statements

T = TypeVar("T")


def _with_lock_retry(fn: Callable[[], T], budget: float) -> T:
    """Run `fn`, retrying while another process holds the lock. Switching to WAL and the
    first migration of a fresh file can report "database is locked" at once, without waiting
    for the busy timeout, when two processes open the same new database together."""
    deadline = time.monotonic() + budget
    delay = 0.05
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


class SQLiteDatabase(Database):
    errors = (sqlite3.DatabaseError,)
    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, conn: sqlite3.Connection, name: str, busy_timeout: float) -> None:
        self._conn = conn
        self.name = name
        self._busy_timeout = busy_timeout

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self._conn.execute(sql, params)

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self._conn.execute(sql, params).lastrowid or 0)

    def script(self, ddl: str) -> None:
        for statement in statements(ddl):  # not executescript(): it would commit
            self._conn.execute(statement)

    @contextlib.contextmanager
    def write(self) -> Iterator[Database]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def set_version(self, version: int) -> None:
        self._conn.execute(f"PRAGMA user_version = {int(version)}")

    def integrity_check(self) -> str:
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    def retrying(self, fn: Callable[[], T]) -> T:
        return _with_lock_retry(fn, self._busy_timeout)

    def close(self) -> None:
        self._conn.close()


def connect_sqlite(location: str, *, create: bool, busy_timeout: float) -> SQLiteDatabase:
    """Open (or, with `create`, create) the file; WAL, synchronous=NORMAL, foreign keys on."""
    text = str(location)
    memory = text == ":memory:"
    if not memory and not create and not Path(text).is_file():
        raise ConfigError(f"{text}: no such skimscan database; check --db (or SKIMSCAN_DB) "
                          "— `skimscan baseline` and `skimscan watch` create one")
    if not memory and create:
        Path(text).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    # Read-only opening goes through `mode=rw`, so SQLite itself will not create the file.
    where = text if create or memory else Path(text).resolve().as_uri() + "?mode=rw"
    try:
        conn = sqlite3.connect(where, timeout=busy_timeout, isolation_level=None,
                               uri=where != text)
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot open the database {text}: {exc}") from None
    db = SQLiteDatabase(conn, text, busy_timeout)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        mode = db.retrying(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        if not memory and str(mode).lower() != "wal":
            raise ConfigError(f"{text}: could not switch the database to WAL mode ({mode})")
        conn.execute("PRAGMA synchronous = NORMAL")  # durable against a killed process
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ConfigError(f"{text} is not a usable skimscan database: {exc}") from None
    except BaseException:
        conn.close()
        raise
    return db
