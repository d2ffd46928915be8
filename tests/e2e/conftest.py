"""Real-browser fixtures: the fixture shop and one Chromium per test module, and the scan of
every checkout page (shared by test_scan and test_canary_shop: one scan per test session)."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `fixtures.shop` lives beside the package, not inside it
    sys.path.insert(0, str(ROOT))

from fixtures.shop import Shop, start_shop  # noqa: E402
from skimscan.capture.hostmap import HostMap  # noqa: E402
from skimscan.capture.page import BrowserSession  # noqa: E402
from skimscan.models import Report  # noqa: E402


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop() -> AsyncIterator[Shop]:
    running = await start_shop()
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


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def checkout_report() -> AsyncIterator[Report]:
    """Every checkout page of pages.json scanned as `skimscan scan` does by default: in a real
    browser, with the shopper typing a canary card under quarantine. Once per test session."""
    from skimscan.pipeline import Engine, EngineOptions
    from skimscan.scanner import Scanner, ScanOptions

    running = await start_shop()
    try:
        options = ScanOptions(host_map=shop_host_map(running), ignore_https_errors=True,
                              wait=1.0, concurrency=2)
        async with Scanner(options, Engine(EngineOptions(use_disk_cache=False))) as scanner:
            yield await scanner.scan_many([running.url(p["path"]) for p in PAGES])
    finally:
        await running.stop()
