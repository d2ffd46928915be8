"""Static mode (`--no-browser`) against the fixture shop: no browser, bounded, honest notes."""

from __future__ import annotations

import pytest

from fixtures.shop import Shop
from skimscan.capture.hostmap import HostMap
from skimscan.capture.static import fetch_static
from skimscan.errors import TargetError
from skimscan.models import ScriptKind

pytestmark = pytest.mark.asyncio(loop_scope="module")


def hosts(shop: Shop) -> HostMap:
    return HostMap.parse(shop.map_host_specs(), confine=True)


async def test_static_finds_what_the_html_carries(shop: Shop) -> None:
    cap = await fetch_static(
        shop.url("/lab/kinds"), timeout=10, host_map=hosts(shop), ignore_https_errors=True
    )
    kinds = {(s.kind, s.code.strip()[:24]) for s in cap.scripts}
    assert (ScriptKind.EXTERNAL, "window.__external = 1;") in kinds
    assert (ScriptKind.HANDLER, "window.__clicked = 1") in kinds
    assert (ScriptKind.JAVASCRIPT_URL, "window.__jsUrl=1") in kinds
    assert any(s.kind is ScriptKind.INLINE and "__inline" in s.code for s in cap.scripts)
    assert not any("injected" in (s.url or "") for s in cap.scripts)  # needs a browser
    assert any("static mode" in n for n in cap.notes)
    assert cap.response_headers.get("x-shop-fixture") == "1"


async def test_static_errors_are_target_errors(shop: Shop) -> None:
    with pytest.raises(TargetError, match="TLS certificate"):
        await fetch_static(shop.url("/checkout/clean"), timeout=5, host_map=hosts(shop))
    with pytest.raises(TargetError, match="redirects in a loop"):
        await fetch_static(
            shop.url("/hostile/redirect-loop"),
            timeout=5,
            host_map=hosts(shop),
            ignore_https_errors=True,
        )
    with pytest.raises(TargetError, match="in time"):
        await fetch_static(
            shop.url("/hostile/never-loads"),
            timeout=1.5,
            host_map=hosts(shop),
            ignore_https_errors=True,
        )


async def test_static_bounds_huge_responses(shop: Shop) -> None:
    cap = await fetch_static(
        shop.url("/hostile/huge"),
        timeout=10,
        host_map=hosts(shop),
        ignore_https_errors=True,
        max_bytes=1_000_000,
    )
    assert any("only the start" in n for n in cap.notes)
