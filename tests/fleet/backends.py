"""What a test of the store does behind its back, the same way on both backends: set up an old
schema, damage a row, look at what was created. Statements are in the store's SQL (`?`
placeholders, see skimscan/inventory/dialect.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from skimscan.inventory.dialect import Database, connect, is_postgres


def raw(url: str) -> Database:
    """The database without the store: no migration, no recovery; each statement is committed
    at once."""
    return connect(url, create=True, busy_timeout=10)


def integrity_error(url: str) -> type[Exception]:
    """What the driver raises for a duplicate key."""
    if is_postgres(url):
        import psycopg

        return psycopg.IntegrityError
    return sqlite3.IntegrityError


def exists(url: str) -> bool:
    """Whether anything of a store was created at `url`: the file or its folder (SQLite); a
    schema version (PostgreSQL: the database itself is never skimscan's to make)."""
    if not is_postgres(url):
        return Path(url).exists() or Path(url).parent.exists()
    db = raw(url)
    try:
        return db.version() > 0
    finally:
        db.close()
