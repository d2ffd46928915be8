"""Fixtures of the fleet-mode tests: throw-away servers (servers.py), one per session (per xdist
worker), started on first use and stopped when pytest ends; a server that cannot start fails
the tests that need it with the reason, never skips them. The store fixtures (`store_url`,
`store_urls`, `postgres_server`) come from stores.py, shared with tests/test_inventory_*.py."""

from __future__ import annotations

import pytest

# stores.py is also a plugin (test modules' `pytest_plugins`): imported here first, it must go
# through pytest's assert rewriting as a plugin would, or pytest warns when loading it as one.
pytest.register_assert_rewrite("tests.fleet.stores")

from tests.fleet.servers import RedisServer, ServiceError, start_redis  # noqa: E402
from tests.fleet.stores import (  # noqa: E402
    postgres_server,
    store_backend,
    store_url,
    store_urls,
)

__all__ = ["postgres_server", "redis_server", "store_backend", "store_url", "store_urls"]

_REDIS = pytest.StashKey[RedisServer | ServiceError]()


@pytest.fixture(scope="session")
def redis_server(request: pytest.FixtureRequest) -> RedisServer:
    """The session's Redis (for the fleet's queue), started on first use."""
    config = request.config
    server = config.stash.get(_REDIS, None)
    if server is None:
        try:
            server = start_redis()
        except ServiceError as exc:
            server = exc
        except Exception as exc:  # a bug or a broken machine: the same failure, with its type
            server = ServiceError(f"{type(exc).__name__}: {exc}")
        else:
            config.add_cleanup(server.stop)
        config.stash[_REDIS] = server
    if isinstance(server, ServiceError):
        pytest.fail(f"the test Redis server could not start: {server}", pytrace=False)
    return server
