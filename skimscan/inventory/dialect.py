"""SIDE-CAR (inventory) — the databases the store runs on: an SQLite file, or PostgreSQL for a
fleet of workers sharing one record. `connect(location)` picks the backend from the string.

The store speaks one SQL to both, so its queries are written once: `?` placeholders, the SQLite
DDL of its migrations, `ON CONFLICT` upserts. What differs lives behind `Database`:

| | SQLite (`dialect_sqlite`) | PostgreSQL (`dialect_postgres`) |
| --- | --- | --- |
| placeholders | `?` | `?` rewritten to `%s` |
| DDL | as written | `BIGINT` identity ids, `BYTEA`, `TEXT COLLATE "C"` |
| new row id | `lastrowid` | `RETURNING id` |
| schema version | `PRAGMA user_version` | the one-row table `skimscan_schema` |
| write transaction | `BEGIN IMMEDIATE` + busy timeout | a transaction-level advisory lock |
| integrity check | `PRAGMA integrity_check` | the server's own (WAL, checksums) |

and on both, the store checks its own invariants (`Store.integrity_check`).

A database's name in any message is `display_name(location)`: a PostgreSQL URL never shows its
password (URLs end up in logs, CI output and bug reports).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

from skimscan.errors import ConfigError

T = TypeVar("T")

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class DatabaseUnavailable(ConfigError):
    """The database server cannot be reached, or stopped answering: a clear one-line message
    (never a driver traceback), with no password in it."""


class Cursor(Protocol):
    """What the store reads from a query: both drivers' cursors have it."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(ABC):
    """One connection to an inventory database, in the store's SQL (see the module docstring).
    Outside `write()`, each statement is its own transaction (autocommit)."""

    #: what messages call this database: a path, or a URL without its password
    name: str
    #: the driver's errors: a broken or foreign database while opening
    errors: tuple[type[Exception], ...]
    #: the driver's constraint violations (a duplicate key, a missing reference)
    integrity_errors: tuple[type[Exception], ...]

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement with `?` placeholders."""

    @abstractmethod
    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT into a table with an `id` key and return the new row's id."""

    @abstractmethod
    def script(self, ddl: str) -> None:
        """Run `;`-separated DDL written for SQLite, inside the current transaction."""

    @abstractmethod
    def write(self) -> AbstractContextManager[Database]:
        """A write transaction: writers take turns (one waits for the other's short write),
        readers never see half of one, and any error rolls all of it back."""

    @abstractmethod
    def version(self) -> int:
        """The schema version (0: no skimscan schema yet)."""

    @abstractmethod
    def set_version(self, version: int) -> None:
        """Record the schema version, inside the migration's write transaction."""

    @abstractmethod
    def integrity_check(self) -> str:
        """The backend's own check of its storage: "ok", or what is wrong."""

    def retrying(self, fn: Callable[[], T]) -> T:
        """Run `fn` while opening, retrying what a backend reports at once instead of waiting
        (only SQLite needs it)."""
        return fn()

    def describe(self, exc: BaseException) -> str:
        """A driver error as one line, without secrets."""
        return " ".join(str(exc).split())

    @abstractmethod
    def close(self) -> None: ...


def is_postgres(location: str) -> bool:
    return location.strip().lower().startswith(POSTGRES_SCHEMES)


def display_name(location: str) -> str:
    """The location as messages may show it: a URL's password (in the user part or a
    `password=` parameter) becomes `***`; a file path is shown as given."""
    if not is_postgres(location):
        return location
    parts = urlsplit(location.strip())
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = "&".join("password=***" if item.split("=", 1)[0].lower() == "password" else item
                     for item in parts.query.split("&")) if parts.query else ""
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


_USERINFO_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_PASSWORD_PARAM = re.compile(r"(password\s*=\s*)('[^']*'|[^\s&'\"]+)", re.IGNORECASE)


def secrets_of(location: str) -> tuple[str, ...]:
    """The password(s) in a URL, as written and decoded, to scrub from driver messages."""
    if not is_postgres(location):
        return ()
    parts = urlsplit(location.strip())
    found = [parts.password or ""]
    found += [item.split("=", 1)[1] for item in parts.query.split("&")
              if "=" in item and item.split("=", 1)[0].lower() == "password"]
    out = {s for raw in found if raw for s in (raw, unquote(raw))}
    return tuple(sorted(out, key=len, reverse=True))


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """`text` on one line with every password in it masked: the ones given, and whatever sits
    where a URL or a conninfo string keeps one (a driver may echo a malformed URL)."""
    for secret in secrets:
        text = text.replace(secret, "***")
    text = _USERINFO_PASSWORD.sub(r"\1***@", text)
    text = _PASSWORD_PARAM.sub(r"\1***", text)
    return " ".join(text.split())


def connect(location: str, *, create: bool, busy_timeout: float) -> Database:
    """Open `location`: a `postgresql://` (or `postgres://`) URL, else an SQLite file.
    `create=False` never creates anything: a missing file, or a PostgreSQL database without
    skimscan's schema, is a ConfigError naming it."""
    if is_postgres(location):
        from skimscan.inventory.dialect_postgres import connect_postgres

        return connect_postgres(location.strip(), create=create, busy_timeout=busy_timeout)
    from skimscan.inventory.dialect_sqlite import connect_sqlite

    return connect_sqlite(location, create=create, busy_timeout=busy_timeout)


def statements(script: str) -> list[str]:
    """The statements of a `;`-separated DDL script (the migrations hold no `;` in literals)."""
    return [s.strip() for s in script.split(";") if s.strip()]
