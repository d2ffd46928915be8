"""`--no-browser` never fetches non-public addresses a page names (issue 13, item 3): a script
at a loopback, private or link-local address — named directly, or reached by a redirect of a
same-site script — is refused and noted, every hop is recorded, and the internal server hears
nothing; the page's own address, names the host map maps, and `allow_private` are allowed.
Real aiohttp servers on loopback: the page on 127.0.0.1 (mapped, as a staging scan maps it),
an "internal" server on 127.0.0.2 that the page must not make skimscan reach."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from aiohttp import web

from skimscan.capture.hostmap import HostMap
from skimscan.capture.static import GuardedResolver, Refused, fetch_static

pytestmark = pytest.mark.asyncio(loop_scope="module")
INTERNAL = "127.0.0.2"


@dataclass
class Servers:
    page_port: int
    internal_port: int
    internal_log: list[str] = field(default_factory=list)
    runners: list[web.AppRunner] = field(default_factory=list)


async def _serve(app: web.Application, host: str) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    sock = site._server.sockets[0]  # type: ignore[union-attr]
    return runner, int(sock.getsockname()[1])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def servers() -> AsyncIterator[Servers]:
    internal = web.Application()
    box = Servers(0, 0)

    async def secret(request: web.Request) -> web.Response:
        box.internal_log.append(request.path)
        return web.Response(text="var metadata = 'instance-secret';",
                            content_type="application/javascript")

    internal.router.add_get("/{tail:.*}", secret)
    runner, box.internal_port = await _serve(internal, INTERNAL)
    box.runners.append(runner)
    target = f"http://{INTERNAL}:{box.internal_port}/latest/meta-data.js"

    page = web.Application()

    async def html(request: web.Request) -> web.Response:
        return web.Response(content_type="text/html", text=(
            "<html><body>"
            f'<script src="{target}"></script>'
            '<script src="/static/app.js"></script>'
            '<script src="/static/own.js"></script>'
            "</body></html>"))

    async def app_js(request: web.Request) -> web.Response:
        raise web.HTTPFound(target)  # a same-site script that redirects inside the network

    async def own_js(request: web.Request) -> web.Response:
        return web.Response(text="var own = 1;", content_type="application/javascript")

    page.router.add_get("/checkout", html)
    page.router.add_get("/static/app.js", app_js)
    page.router.add_get("/static/own.js", own_js)
    runner, box.page_port = await _serve(page, "127.0.0.1")
    box.runners.append(runner)
    yield box
    for r in box.runners:
        await r.cleanup()


def page_map(servers: Servers) -> HostMap:
    return HostMap.parse([f"shop.example={'127.0.0.1'}:{servers.page_port}"])


async def test_non_public_scripts_and_redirect_hops_are_refused(servers: Servers) -> None:
    servers.internal_log.clear()
    cap = await fetch_static("http://shop.example/checkout", timeout=10,
                             host_map=page_map(servers))
    assert servers.internal_log == []  # the internal server heard nothing
    assert [s.url for s in cap.scripts] == ["http://shop.example/static/own.js"]
    refused = [n for n in cap.notes if "refused" in n and INTERNAL in n]
    assert len(refused) == 2, cap.notes  # named directly, and reached by a redirect
    # every hop is recorded: the same-site script answered 302, nothing claims a 200 for it
    hops = [(r.url, r.status) for r in cap.requests if r.resource_type == "script"]
    assert ("http://shop.example/static/app.js", 302) in hops
    assert not any(url.endswith("/static/app.js") and status == 200 for url, status in hops)


async def test_allow_private_fetches_them(servers: Servers) -> None:
    servers.internal_log.clear()
    cap = await fetch_static("http://shop.example/checkout", timeout=10,
                             host_map=page_map(servers), allow_private=True)
    assert servers.internal_log == ["/latest/meta-data.js", "/latest/meta-data.js"]
    assert sum(1 for s in cap.scripts if "instance-secret" in s.code) == 2


async def test_the_pages_own_private_address_is_allowed(servers: Servers) -> None:
    """A staging page on a private address may load its scripts from that address."""
    cap = await fetch_static(f"http://{INTERNAL}:{servers.internal_port}/page.js",
                             timeout=10)
    assert cap.status == 200  # the user chose the page: its own address is fetched


async def test_names_that_resolve_to_non_public_addresses_are_refused() -> None:
    resolver = GuardedResolver(HostMap(), allowed=lambda address: False)
    with pytest.raises(Refused, match="non-public"):
        await resolver.resolve("localhost", 80, socket.AF_INET)
    mapped = GuardedResolver(HostMap.parse(["intranet.example=127.0.0.1"]),
                             allowed=lambda address: False)
    [entry] = await mapped.resolve("intranet.example", 80, socket.AF_INET)
    assert entry["host"] == "127.0.0.1"  # the user mapped it: a staging scan


async def test_the_cli_refuses_by_default_and_allow_private_lifts_it(servers: Servers,
                                                                    tmp_path: object) -> None:
    """`skimscan scan --no-browser` (and SKIMSCAN_ALLOW_PRIVATE, like every option)."""
    import asyncio
    import json
    import os
    import sys

    async def scan(*extra: str, env: dict[str, str] | None = None) -> dict[str, object]:
        servers.internal_log.clear()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "skimscan", "scan", "--no-browser", "--no-cache",
            "--map-host", f"shop.example=127.0.0.1:{servers.page_port}", "-f", "json",
            "--fail-on", "never", *extra, "http://shop.example/checkout",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **(env or {})})
        out, _err = await process.communicate()
        return dict(json.loads(out)["targets"][0])

    target = await scan()
    assert servers.internal_log == [] and any("refused" in n for n in target["notes"])
    await scan("--allow-private")
    assert len(servers.internal_log) == 2
    await scan(env={"SKIMSCAN_ALLOW_PRIVATE": "1"})
    assert len(servers.internal_log) == 2
