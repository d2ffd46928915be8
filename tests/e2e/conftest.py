"""Real-browser fixtures: the fixture shop and one Chromium per test module, and the scan of
every checkout page (shared by test_scan and test_canary_shop: one scan per test session)."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_asyncio

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `fixtures.shop` lives beside the package, not inside it
    sys.path.insert(0, str(ROOT))

from fixtures.shop import Shop, start_shop  # noqa: E402
from fixtures.shop.sink import Sink, start_sink  # noqa: E402
from skimscan.capture.hostmap import HostMap  # noqa: E402
from skimscan.capture.page import BrowserSession  # noqa: E402
from skimscan.models import Canary, Report  # noqa: E402


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop() -> AsyncIterator[Shop]:
    running = await start_shop()
    try:
        yield running
    finally:
        await running.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sink() -> AsyncIterator[Sink]:
    """The drop host (fixtures/shop/sink.py): logs everything that reaches it."""
    running = await start_sink()
    try:
        yield running
    finally:
        await running.stop()


def shop_host_map(shop: Shop) -> HostMap:
    """Every fixture host to the shop; every other name unresolvable (no internet in tests)."""
    return HostMap.parse(shop.map_host_specs(), confine=True)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(shop: Shop) -> AsyncIterator[BrowserSession]:
    async with BrowserSession(host_map=shop_host_map(shop)) as browser_session:
        yield browser_session


PAGES: list[dict[str, Any]] = json.loads(
    (ROOT / "fixtures" / "shop" / "pages.json").read_text()
)["pages"]


@dataclass
class CheckoutScan:
    """The scan of every checkout page, with what the shop's own server received (every
    simulated host's requests) and the canary each page was given."""

    report: Report
    shop_log: list[Any]
    canaries: dict[str, Canary]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def checkout_scan() -> AsyncIterator[CheckoutScan]:
    """Every checkout page of pages.json scanned as `skimscan scan` does by default: in a real
    browser, with the shopper typing a canary card under quarantine. Once per test session."""
    from skimscan.pipeline import Engine, EngineOptions
    from skimscan.scanner import Scanner, ScanOptions, canary_for

    running = await start_shop()
    try:
        options = ScanOptions(host_map=shop_host_map(running), ignore_https_errors=True,
                              wait=1.0, concurrency=2, canary_seed=2026)
        urls = [running.url(p["path"]) for p in PAGES]
        async with Scanner(options, Engine(EngineOptions(use_disk_cache=False))) as scanner:
            report = await scanner.scan_many(urls)
        canaries = {url: c for url in urls if (c := canary_for(options, url)) is not None}
        yield CheckoutScan(report, list(running.log), canaries)
    finally:
        await running.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def checkout_report(checkout_scan: CheckoutScan) -> Report:
    return checkout_scan.report
