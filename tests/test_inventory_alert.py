"""Webhook alerts: delivery to a local aiohttp receiver, retry after a failure with backoff,
the HMAC signature, no retry on a client error, bounded attempts, Slack-compatible text."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from aiohttp import web

from skimscan.errors import ConfigError
from skimscan.inventory.alert import (
    SIGNATURE_HEADER,
    PageAlert,
    WebhookConfig,
    build_payload,
    deliver,
    signature,
    verify_signature,
)
from skimscan.inventory.diff import Change, ChangeKind

PAGE = "https://shop.test/checkout"
SECRET = "correct horse battery staple"


@dataclass
class Receiver:
    statuses: list[int]  # answers, in order; 200 once they run out
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), dict(request.headers)))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status, headers={"Retry-After": "0"} if status == 429 else {})


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver([])
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    rec.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield rec
    finally:
        await runner.cleanup()


def pages() -> list[PageAlert]:
    diff = "--- baseline\n+++ current\n@@ -1 +1,2 @@\n a();\n+steal();"
    return [PageAlert(PAGE, 7, "complete", (
        Change(ChangeKind.CHANGED_SCRIPT, PAGE, "https://shop.test/app.js", "h1", "h2", diff),
        Change(ChangeKind.NEW_HOST, PAGE, "baways.test", None, "look-alike"),
    ))]


async def test_retry_after_a_failure_then_signed_delivery(receiver: Receiver) -> None:
    receiver.statuses = [503]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    config = WebhookConfig(receiver.url, SECRET, attempts=3, backoff=0.25)
    payload = build_payload(pages(), sent_at="2026-11-28T03:00:00.000Z")
    delivery = await deliver(config, payload, sleep=sleep)
    assert delivery.ok and delivery.attempts == 2 and delivery.status == 200
    assert sleeps == [0.25]
    assert len(receiver.received) == 2
    body, headers = receiver.received[-1]
    assert verify_signature(SECRET, body, headers[SIGNATURE_HEADER])
    assert headers[SIGNATURE_HEADER] == signature(SECRET, body)
    assert not verify_signature("wrong secret", body, headers[SIGNATURE_HEADER])
    assert not verify_signature(SECRET, body + b" ", headers[SIGNATURE_HEADER])
    data = json.loads(body)
    assert data == json.loads(json.dumps(payload))  # the receiver gets exactly the payload
    assert data["schema"] == "skimscan/alert/v1" and data["summary"]["changes"] == 2
    assert data["text"].startswith("*skimscan*: 2 change(s) on 1 page(s)")
    assert "+steal();" in data["text"]  # a short diff for changed scripts
    assert SECRET not in body.decode()


async def test_backoff_is_exponential_and_bounded(receiver: Receiver) -> None:
    receiver.statuses = [500, 502, 429, 503]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    config = WebhookConfig(receiver.url, None, attempts=4, backoff=1.0, max_backoff=3.0)
    delivery = await deliver(config, build_payload(pages()), sleep=sleep)
    assert not delivery.ok and delivery.attempts == 4 and delivery.status == 503
    assert sleeps == [1.0, 2.0, 3.0]
    assert len(receiver.received) == 4
    assert SIGNATURE_HEADER not in receiver.received[0][1]  # no secret, no signature


async def test_client_errors_are_not_retried(receiver: Receiver) -> None:
    receiver.statuses = [404]

    async def sleep(seconds: float) -> None:
        raise AssertionError("must not wait")

    delivery = await deliver(WebhookConfig(receiver.url), build_payload(pages()), sleep=sleep)
    assert not delivery.ok and delivery.attempts == 1 and delivery.error == "HTTP 404"


async def test_unreachable_receiver_is_an_outcome_not_an_exception() -> None:
    async def sleep(seconds: float) -> None:
        return None

    config = WebhookConfig("http://127.0.0.1:9/hook", attempts=2, backoff=0.01, timeout=2)
    delivery = await deliver(config, build_payload(pages()), sleep=sleep)
    assert not delivery.ok and delivery.attempts == 2 and delivery.status is None
    assert delivery.error


def test_webhook_config_is_checked() -> None:
    with pytest.raises(ConfigError, match="not an http"):
        WebhookConfig("ftp://x/")
    with pytest.raises(ConfigError, match="at least 1"):
        WebhookConfig("https://x/", attempts=0)


def test_incomplete_pages_are_named_in_the_text() -> None:
    text = build_payload([PageAlert(PAGE, 3, "incomplete", (), "timed out")])["text"]
    assert "1 page(s) could not be scanned" in text and "timed out" in text
