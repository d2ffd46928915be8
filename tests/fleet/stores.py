"""Fixtures that run one test against both stores: `store_url` is a fresh SQLite file, then a
fresh PostgreSQL database (an empty one, on the session's throw-away server: CREATE DATABASE
per test, ~60 ms). The PostgreSQL cases carry the `services` marker (`-m 'not services'`
deselects them); `make test` runs them.

A test module outside tests/fleet loads these with `pytest_plugins = ("tests.fleet.stores",)`
and takes its helpers from tests/fleet/backends.py (a plain import of this module first would
keep pytest from loading it as a plugin cleanly); tests/fleet/conftest.py re-exports them.
The server is kept on the pytest config, not in a fixture's own cache, so a session (an xdist
worker) starts one server, however many modules ask for it. A server that cannot start fails the
tests that need it, with the reason: a skipped test would hide a broken feature.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fleet.servers import PostgresServer, ServiceError, start_postgres

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.services))

_POSTGRES = pytest.StashKey[PostgresServer | ServiceError]()


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> PostgresServer:
    """The session's PostgreSQL, started on first use and stopped when pytest ends."""
    config = request.config
    server = config.stash.get(_POSTGRES, None)
    if server is None:
        try:
            server = start_postgres()
        except ServiceError as exc:  # remembered: the next test fails at once, for the same reason
            server = exc
        except Exception as exc:  # a bug or a broken machine: the same failure, with its type
            server = ServiceError(f"{type(exc).__name__}: {exc}")
        else:
            config.add_cleanup(server.stop)
        config.stash[_POSTGRES] = server
    if isinstance(server, ServiceError):
        pytest.fail(f"the test PostgreSQL server could not start: {server}", pytrace=False)
    return server


@pytest.fixture(params=BACKENDS)
def store_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_urls(store_backend: str, tmp_path: Path,
               request: pytest.FixtureRequest) -> Callable[[], str]:
    """Make a fresh store location each call: an SQLite path (neither the file nor its folder
    exists yet) or the URL of an empty PostgreSQL database (with the server's password in it)."""
    made = [0]

    def make() -> str:
        made[0] += 1
        if store_backend == "sqlite":
            return str(tmp_path / f"store{made[0]}" / "inv.db")
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.url(server.create_database())

    return make


@pytest.fixture
def store_url(store_urls: Callable[[], str]) -> str:
    """A fresh store location (see `store_urls`)."""
    return store_urls()
