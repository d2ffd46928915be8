"""Throw-away servers for the tests of fleet mode: a real PostgreSQL (and a Redis) started from
the machine's own packages into a temporary folder, on 127.0.0.1 and a free port, and removed
with it. No mocks, no containers: what the store does against them is what it does in a fleet.

- PostgreSQL refuses to run as root, and CI runs as root: as root, initdb, pg_ctl and the
  server run as the `postgres` user that Debian's package creates (`runuser`, else `setpriv`),
  in a folder that user owns. As anyone else they run as that user.
- The cluster's superuser `skimscan` has a random password, needed over TCP (scram-sha-256),
  so URLs in tests carry a real password that no message may show; the unix socket in the
  folder is trusted, for the fixtures' own administration.
- The default collation is ICU's `en-US` (where the server has ICU), not C: the store must sort
  as SQLite does whatever the database's locale, and a C database would hide it if not.
- Durability is off (fsync, synchronous_commit): a test server, never data. A test that stops
  the server mid-run (`durable=True`) keeps `synchronous_commit` on: an immediate stop then
  loses no commit the store was told had happened (fsync stays off: the machine does not crash,
  only the server stops). Without it a commit acknowledged a few hundred milliseconds before
  the stop can vanish, as in a real server run without durability.

`start_postgres()` / `start_redis()` raise `ServiceError` with what failed and the end of the
server's log: the fixtures turn that into a failure, never a skip. Each server has a watchdog
process that stops it and removes its folder if the test process dies without doing so (a
`timeout`, a SIGKILL, a crashed xdist worker): no server outlives its tests.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

SERVICE_USER = "postgres"
SUPERUSER = "skimscan"
INSTALL_HINT = "run tools/install-services.sh (or `make services`)"


class ServiceError(RuntimeError):
    """A test server could not be started: the message says what, and what to do."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tool(name: str) -> str:
    """A PostgreSQL program: on PATH, else in Debian's /usr/lib/postgresql/N/bin (newest)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit()
                        else 0)
    if not candidates:
        raise ServiceError(f"PostgreSQL's {name} is not installed; {INSTALL_HINT}")
    return candidates[-1]


def _as_service_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix that runs a program as the unprivileged user, and that user's ids
    (all empty when not root: the program runs as the caller)."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        user = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise ServiceError(f"PostgreSQL will not run as root, and there is no {SERVICE_USER!r} "
                           f"user to run it as; {INSTALL_HINT}") from None
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVICE_USER, "--"], user.pw_uid, user.pw_gid
    if shutil.which("setpriv"):
        return (["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                 "--init-groups", "--"], user.pw_uid, user.pw_gid)
    raise ServiceError("running as root, and neither runuser nor setpriv is there to start "
                       f"PostgreSQL as {SERVICE_USER!r}")


def _reachable_tmp(uid: int | None) -> str:
    """A base folder the service user can reach: the temp dir, unless a parent of it is closed
    to others (then /tmp)."""
    base = tempfile.gettempdir()
    if uid is None:
        return base
    path = Path(base).resolve()
    for folder in (path, *path.parents):
        if not folder.stat().st_mode & stat.S_IXOTH:
            return "/tmp"
    return base


def _run(cmd: list[str], what: str, timeout: float, log: Path | None = None) -> str:
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ServiceError(f"{what}: no answer after {timeout:.0f} s{_tail(log)}") from None
    except OSError as exc:
        raise ServiceError(f"{what}: {exc}") from None
    if done.returncode != 0:
        raise ServiceError(f"{what} failed (exit {done.returncode}): "
                           f"{done.stdout.strip()[-1500:]}{_tail(log)}")
    return done.stdout


_WATCHDOG = """
import os, shutil, subprocess, sys, time
owner, root, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while True:
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        break
    except PermissionError:
        pass
    time.sleep(0.5)
if cmd:
    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60, check=False)
shutil.rmtree(root, ignore_errors=True)
"""


def _watchdog(root: Path, stop: list[str]) -> subprocess.Popen[bytes]:
    """A process that runs `stop` and removes `root` once this process is gone, unless it is
    ended first (the normal stop). Its own session: a signal to pytest's group spares it."""
    return subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(root),
                             *stop], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _end(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def _tail(log: Path | None, lines: int = 15) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").strip().splitlines()[-lines:]
    return "\n--- server log ---\n" + "\n".join(text) if text else ""


@dataclass
class PostgresServer:
    """A running throw-away PostgreSQL; `url(db)` is what `--db` takes."""

    root: Path
    port: int
    password: str = field(repr=False)
    prefix: list[str]
    pg_ctl: str
    host: str = "127.0.0.1"
    _databases: int = 0
    #: the server's `-o` options, to start it again with the same ones
    options: str = ""
    watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str, *, password: str | None = None) -> str:
        """A TCP URL with the superuser's password in it (or `password`)."""
        secret = quote(self.password if password is None else password, safe="")
        return f"postgresql://{SUPERUSER}:{secret}@{self.host}:{self.port}/{database}"

    def admin_dsn(self, database: str = "postgres") -> str:
        """Over the unix socket in the folder (trusted): for the fixtures' own administration."""
        return f"host={self.root} port={self.port} user={SUPERUSER} dbname={database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.admin_dsn(database), autocommit=True) as conn:
            conn.execute(sql.encode())

    def create_database(self, prefix: str = "t") -> str:
        """A new, empty database (no skimscan schema); returns its name."""
        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}"
        self.execute(f'CREATE DATABASE "{name}"')
        return name

    def stop_command(self) -> list[str]:
        return [*self.prefix, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w",
                "stop"]

    def stop(self) -> None:
        _end(self.watchdog)
        with contextlib.suppress(ServiceError):
            _run(self.stop_command(), "pg_ctl stop", 30)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(*, attempts: int = 3, timeout: float = 60,
                   durable: bool = False) -> PostgresServer:
    """initdb into a new temporary folder and start the server on a free port (`durable`:
    see the module docstring)."""
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    prefix, uid, gid = _as_service_user()
    root = Path(tempfile.mkdtemp(prefix="skimscan-pg-", dir=_reachable_tmp(uid)))
    try:
        if uid is not None and gid is not None:
            os.chown(root, uid, gid)
        password = secrets.token_urlsafe(18)
        pwfile = root / "pw"
        pwfile.write_text(password + "\n")
        if uid is not None and gid is not None:
            os.chown(pwfile, uid, gid)
        base = [*prefix, initdb, "-D", str(root / "data"), "-U", SUPERUSER,
                f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256",
                "-E", "UTF8", "--no-sync", "--no-instructions"]
        try:  # an ICU default collation where the server has ICU (see the module docstring)
            _run([*base, "--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US"],
                 "initdb", timeout)
        except ServiceError:
            shutil.rmtree(root / "data", ignore_errors=True)
            _run([*base, "--locale=C.UTF-8"], "initdb", timeout)
        pwfile.unlink()
        server = None
        for attempt in range(attempts):
            candidate = PostgresServer(root, free_port(), password, prefix, pg_ctl)
            options = (f"-c listen_addresses={candidate.host} -c port={candidate.port} "
                       f"-c unix_socket_directories={root} -c fsync=off "
                       f"-c synchronous_commit={'on' if durable else 'off'} "
                       "-c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB")
            candidate.options = options
            try:
                _run([*prefix, pg_ctl, "-D", str(candidate.data), "-l", str(candidate.log),
                      "-w", "-t", str(int(timeout)), "-o", options, "start"],
                     "pg_ctl start", timeout + 10, candidate.log)
            except ServiceError:
                if attempt == attempts - 1:  # a port taken between free_port() and bind
                    raise
                continue
            server = candidate
            break
        assert server is not None
        server.watchdog = _watchdog(root, server.stop_command())
        return server
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


@dataclass
class RedisServer:
    """A running throw-away Redis, no persistence; `url` is redis://127.0.0.1:PORT/0."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] = field(repr=False)
    host: str = "127.0.0.1"
    watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        _end(self.watchdog)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def start_redis(*, attempts: int = 3, timeout: float = 15) -> RedisServer:
    """`redis-server --port N --save '' --dir TMP` on 127.0.0.1, waited for until it answers."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError(f"redis-server is not installed; {INSTALL_HINT}")
    root = Path(tempfile.mkdtemp(prefix="skimscan-redis-"))
    log = root / "server.log"
    for attempt in range(attempts):
        port = free_port()
        with log.open("ab") as out:
            process = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(root), "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        server = RedisServer(root, port, process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if server.ping():
                server.watchdog = _watchdog(root, ["kill", "-TERM", str(process.pid)])
                return server
            time.sleep(0.05)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if attempt == attempts - 1:
            shutil.rmtree(root, ignore_errors=True)
            raise ServiceError(f"redis-server did not start on port {port}{_tail(log)}")
    raise AssertionError("unreachable")
