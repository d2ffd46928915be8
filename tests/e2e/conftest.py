"""Real-browser fixtures: the fixture shop and one Chromium per test module."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `fixtures.shop` lives beside the package, not inside it
    sys.path.insert(0, str(ROOT))

from fixtures.shop import Shop, start_shop  # noqa: E402
from skimscan.capture.hostmap import HostMap  # noqa: E402
from skimscan.capture.page import BrowserSession  # noqa: E402


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
