"""The synthetic checkout server, over real HTTPS on loopback (no browser)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio

from skimscan.capture.hostmap import HostMap
from skimscan.detonate.checkout import (
    PROCESSOR_HOST,
    SAMPLE_HOST,
    SESSION_COOKIE,
    SHOP_HOST,
    SyntheticCheckout,
    page_url,
)
from skimscan.detonate.templates import JQUERY, SAMPLE_MARKER


@pytest_asyncio.fixture
async def checkout() -> AsyncIterator[SyntheticCheckout]:
    async with SyntheticCheckout() as running:
        yield running


def _client(checkout: SyntheticCheckout) -> aiohttp.ClientSession:
    host_map = HostMap.parse(checkout.host_map_specs(), confine=True)
    connector = aiohttp.TCPConnector(resolver=host_map.resolver(), ssl=False)
    return aiohttp.ClientSession(connector=connector)


def _cookie(checkout: SyntheticCheckout, template, staged) -> str:  # type: ignore[no-untyped-def]
    jar = checkout.cookies(template, staged)
    session = next(c for c in jar if c["name"] == SESSION_COOKIE)
    assert session["httpOnly"], "page code must not see which file the sandbox runs"
    return "; ".join(f"{c['name']}={c['value']}" for c in jar)


async def test_a_page_carries_the_staged_file_and_the_visitors_state(
        checkout: SyntheticCheckout) -> None:
    template = next(t for t in checkout.templates if t.local_storage)
    staged = checkout.stage("kit.js", "console.log(1)")
    async with _client(checkout) as client:
        async with client.get(page_url(template),
                              headers={"Cookie": _cookie(checkout, template, staged)}) as r:
            html = await r.text()
        assert r.status == 200
        assert SAMPLE_MARKER not in html
        assert f'<script src="{staged.script_url}"></script>' in html
        assert "localStorage.setItem" in html and f"/static/{JQUERY}" in html
        async with client.get(staged.script_url) as r:
            assert await r.text() == "console.log(1)"
        async with client.get(f"https://{SHOP_HOST}/static/{JQUERY}") as r:
            assert (await r.read()).startswith(b"/*! jQuery v3.7.1")
        # without the session cookie, at another path, or once released: nothing
        async with client.get(page_url(template)) as r:
            assert r.status == 204
        other = next(t for t in checkout.templates if t.path != template.path)
        async with client.get(page_url(other),
                              headers={"Cookie": _cookie(checkout, template, staged)}) as r:
            assert r.status == 204
        checkout.release(staged)
        async with client.get(staged.script_url) as r:
            assert r.status == 204


async def test_two_platforms_share_a_url_and_each_page_is_its_own(
        checkout: SyntheticCheckout) -> None:
    shared = [t for t in checkout.templates if t.path.split("#")[0] == "/checkout/"]
    assert len(shared) >= 2
    staged = checkout.stage("a.js", "1")
    async with _client(checkout) as client:
        pages = []
        for template in shared:
            async with client.get(page_url(template), headers={
                    "Cookie": _cookie(checkout, template, staged)}) as r:
                pages.append(await r.text())
    assert len(set(pages)) == len(shared)


async def test_an_html_checkout_is_the_page_and_a_fragment_goes_into_one(
        checkout: SyntheticCheckout) -> None:
    page = ('<html><head><title>t</title></head><body><form><label for="cc">Card number</label>'
            '<input id="cc" name="cc_number" autocomplete="cc-number"></form></body></html>')
    fragment = "<html><body><div id=promo>sale</div><script>window.__x = 1</script></body></html>"
    template = checkout.templates[0]
    async with _client(checkout) as client:
        htmls = []
        for code in (page, fragment):
            staged = checkout.stage("f.html", code, html=True)
            async with client.get(page_url(template), headers={
                    "Cookie": _cookie(checkout, template, staged)}) as r:
                htmls.append(await r.text())
    whole, inserted = htmls
    assert whole.startswith("<html><head><script") and 'name="cc_number"' in whole
    assert f"/static/{JQUERY}" in whole.split("</head>")[0]
    assert "payment[cc_number]" not in whole  # not the template: the file is the page
    assert "payment[cc_number]" in inserted and "window.__x = 1" in inserted
    assert inserted.index("window.__x = 1") > inserted.index("payment[cc_number]")


async def test_hosted_fields_and_unknown_paths(checkout: SyntheticCheckout) -> None:
    async with _client(checkout) as client:
        async with client.get(f"https://{PROCESSOR_HOST}/v3/elements-inner-card.html"
                              "?field=cvc") as r:
            html = await r.text()
        assert 'autocomplete="cc-csc"' in html and "{{" not in html
        async with client.post(f"https://{SHOP_HOST}/checkout/place-order", data="a=1") as r:
            assert r.status == 200 and await r.json() == {}
        async with client.get(f"https://{SAMPLE_HOST}/nothing/here.js") as r:
            assert r.status == 204
