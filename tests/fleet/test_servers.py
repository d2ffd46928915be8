"""The throw-away servers themselves: PostgreSQL wants the password over TCP (so the URLs the
tests use carry a real secret) and runs as an unprivileged user; Redis answers and keeps
nothing on disk."""

from __future__ import annotations

import os
import socket

import psycopg
import pytest

from tests.fleet.servers import SERVICE_USER, PostgresServer, RedisServer

pytestmark = pytest.mark.services


def test_postgres_needs_the_password_over_tcp(postgres_server: PostgresServer) -> None:
    server = postgres_server
    with psycopg.connect(server.url("postgres")) as conn:
        user = conn.execute("SELECT usename FROM pg_stat_activity WHERE pid = "
                            "pg_backend_pid()").fetchone()
        assert user == ("skimscan",)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(server.url("postgres", password="wrong"))
    owner = server.data.stat().st_uid
    if os.geteuid() == 0:  # PostgreSQL refuses root: it runs as the package's user
        import pwd

        assert pwd.getpwuid(owner).pw_name == SERVICE_USER


def test_redis_answers(redis_server: RedisServer) -> None:
    with socket.create_connection((redis_server.host, redis_server.port), timeout=5) as s:
        s.sendall(b"SET k v\r\nGET k\r\nCONFIG GET save\r\n")
        data = b""
        while not data.endswith(b"save\r\n$0\r\n\r\n") and len(data) < 4096:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"+OK\r\n$1\r\nv\r\n") and data.endswith(b"$0\r\n\r\n")
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
