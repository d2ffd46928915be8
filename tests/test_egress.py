"""The egress proxy on its own: real sockets, a real upstream server (aiohttp over TLS), a
client that speaks to the proxy as Chromium does (CONNECT, then TLS, then HTTP or WebSocket).

What matters: an inspected host gets each request and message forwarded only while `hold` says
no; once it says yes nothing reaches the upstream server and everything is recorded; refused
and private destinations are never connected to."""

from __future__ import annotations

import asyncio
import base64
import os
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from aiohttp import WSMsgType, web

from skimscan.capture.egress import EgressProxy
from skimscan.capture.hostmap import HostMap
from skimscan.capture.tls import make_mitm_identity, make_ssl_context


@dataclass
class Upstream:
    port: int
    log: list[tuple[str, str, bytes]] = field(default_factory=list)  # (method, path, body)
    headers: list[dict[str, str]] = field(default_factory=list)


@pytest_asyncio.fixture
async def upstream(tmp_path: object) -> AsyncIterator[Upstream]:
    up = Upstream(0)

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    up.log.append(("WS", request.path, msg.data.encode()))
                    await ws.send_str("echo:" + msg.data)
            return ws
        body = await request.read()
        up.log.append((request.method, request.path_qs, body))
        up.headers.append({k.lower(): v for k, v in request.headers.items()})
        return web.Response(text="upstream says hi")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    ctx, _tmp = make_ssl_context(["up.test"])
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    up.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield up
    await runner.cleanup()


@dataclass
class Rig:
    proxy: EgressProxy
    held_hosts: set[str]
    bare_urls: set[str]


@pytest_asyncio.fixture
async def rig(upstream: Upstream) -> AsyncIterator[Rig]:
    held: set[str] = set()
    bare: set[str] = set()
    host_map = HostMap.parse([f"*.test=127.0.0.1:{upstream.port}"], confine=True)
    proxy = EgressProxy(
        host_map,
        decide=lambda host, port: "tunnel" if host == "shop.test" else "inspect",
        hold=lambda host, url: "bare" if url in bare else "hold" if host in held else "pass",
        mitm=make_mitm_identity().context,
        verify_upstream=False,
    )
    await proxy.start()
    yield Rig(proxy, held, bare)
    await proxy.close()


def _client_tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the browser is told to accept the proxy's key; here too
    return ctx


async def _connect(proxy: EgressProxy, host: str,
                   ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
    await writer.drain()
    status = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " in status:
        await writer.start_tls(_client_tls(), server_hostname=host)
    return reader, writer, status


async def _request(proxy: EgressProxy, host: str, method: str, path: str,
                   body: bytes = b"") -> bytes:
    reader, writer, status = await _connect(proxy, host)
    if b" 200 " not in status:
        writer.close()
        return status
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: https://shop.test\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return data


async def test_inspected_requests_pass_until_held_then_never(rig: Rig, upstream: Upstream,
                                                             ) -> None:
    answer = await _request(rig.proxy, "cdn.test", "POST", "/before", b"hello")
    assert answer.startswith(b"HTTP/1.1 200") and b"upstream says hi" in answer
    assert upstream.log == [("POST", "/before", b"hello")]

    rig.held_hosts.add("cdn.test")  # the quarantine is armed
    answer = await _request(rig.proxy, "cdn.test", "POST", "/after?x=1", b"4242424242424242")
    assert answer.startswith(b"HTTP/1.1 204")
    assert b"Access-Control-Allow-Origin: https://shop.test" in answer
    assert upstream.log == [("POST", "/before", b"hello")]  # nothing more reached it
    [held] = rig.proxy.held
    assert (held.kind, held.method, held.url, held.body) == (
        "request", "POST", "https://cdn.test/after?x=1", b"4242424242424242")


async def test_a_request_let_through_bare_keeps_only_the_browser_s_own_headers(
        rig: Rig, upstream: Upstream) -> None:
    rig.held_hosts.add("cdn.test")
    rig.bare_urls.add("https://cdn.test/stage2.js")
    reader, writer, _ = await _connect(rig.proxy, "cdn.test")
    writer.write(b"GET /stage2.js HTTP/1.1\r\nHost: cdn.test\r\nAccept: 4242424242424242\r\n"
                 b"Sec-Fetch-Dest: script\r\nX-Trace-Id: 34323432\r\n"
                 b"Referer: https://shop.test/pay?sid=4242424242424242\r\n"
                 b"Cookie: c=4242424242424242\r\nConnection: close\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert b"upstream says hi" in answer
    [headers] = upstream.headers
    # only what the browser alone sets, and an Accept of the proxy's own
    assert headers["accept"] == "*/*" and headers["sec-fetch-dest"] == "script"
    assert not {"x-trace-id", "referer", "cookie"} & set(headers)
    # what was not forwarded is held, for the canary search
    [held] = rig.proxy.held
    assert {k.lower() for k in held.headers} == {"accept", "x-trace-id", "referer", "cookie"}


async def test_a_released_url_carries_no_body(rig: Rig, upstream: Upstream) -> None:
    rig.held_hosts.add("cdn.test")
    rig.bare_urls.add("https://cdn.test/c")
    answer = await _request(rig.proxy, "cdn.test", "POST", "/c", b"4242424242424242")
    assert answer.startswith(b"HTTP/1.1 204") and upstream.log == []
    assert [h.body for h in rig.proxy.held] == [b"4242424242424242"]


async def test_a_preflight_is_answered_so_the_real_request_follows(rig: Rig) -> None:
    rig.held_hosts.add("cdn.test")
    reader, writer, _ = await _connect(rig.proxy, "cdn.test")
    writer.write(b"OPTIONS /c HTTP/1.1\r\nHost: cdn.test\r\nOrigin: https://shop.test\r\n"
                 b"Access-Control-Request-Method: POST\r\n"
                 b"Access-Control-Request-Headers: content-type\r\n\r\n"
                 b"POST /c HTTP/1.1\r\nHost: cdn.test\r\nContent-Length: 2\r\n\r\n{}")
    await writer.drain()
    first = await reader.readuntil(b"\r\n\r\n")
    second = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    assert b"Access-Control-Allow-Headers: content-type" in first
    assert b"Access-Control-Allow-Methods: POST" in first
    assert second.startswith(b"HTTP/1.1 204")
    assert [(h.method, h.body) for h in rig.proxy.held] == [("POST", b"{}")]  # not the preflight


async def test_a_socket_opened_before_typing_is_relayed_then_held(rig: Rig,
                                                                  upstream: Upstream) -> None:
    reader, writer, _ = await _connect(rig.proxy, "ws.test")
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(f"GET /ws HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                 "Sec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    assert b"permessage-deflate" not in head  # not offered upstream: messages stay readable

    def frame(text: str) -> bytes:
        mask = os.urandom(4)
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(text.encode()))
        return bytes([0x81, 0x80 | len(data)]) + mask + data

    writer.write(frame("before"))
    await writer.drain()
    echo = await asyncio.wait_for(reader.readexactly(2 + len("echo:before")), 10)
    assert echo.endswith(b"echo:before")
    rig.held_hosts.add("ws.test")
    writer.write(frame("card=4242424242424242"))
    await writer.drain()
    for _ in range(50):
        if rig.proxy.held:
            break
        await asyncio.sleep(0.02)
    writer.close()
    assert upstream.log == [("WS", "/ws", b"before")]
    [held] = rig.proxy.held
    assert (held.kind, held.method, held.url, held.body) == (
        "websocket", "SEND", "wss://ws.test/ws", b"card=4242424242424242")


async def test_trusted_hosts_are_tunnelled_and_names_outside_the_map_refused(
        rig: Rig, upstream: Upstream) -> None:
    answer = await _request(rig.proxy, "shop.test", "GET", "/page")
    assert b"upstream says hi" in answer and upstream.log[-1][:2] == ("GET", "/page")
    refused = await _request(rig.proxy, "elsewhere.example", "GET", "/")
    assert refused.startswith(b"HTTP/1.1 502")
    assert any(c.host == "elsewhere.example" and c.decision == "refuse"
               for c in rig.proxy.connections)


async def test_a_connection_without_a_request_after_typing_still_names_its_host(
        rig: Rig) -> None:
    rig.held_hosts.add("x4242424242424242.cdn.test")
    _reader, writer, _ = await _connect(rig.proxy, "x4242424242424242.cdn.test")
    writer.close()
    for _ in range(50):
        if rig.proxy.held:
            break
        await asyncio.sleep(0.02)
    [held] = rig.proxy.held
    assert (held.kind, held.url) == ("connection", "https://x4242424242424242.cdn.test/")


@pytest.mark.parametrize("address", ["10.0.0.7", "169.254.169.254", "127.0.0.1"])
async def test_private_addresses_a_page_names_are_not_fetched(address: str) -> None:
    proxy = EgressProxy(HostMap(), decide=lambda host, port: "tunnel",
                        hold=lambda host, url: "pass", mitm=make_mitm_identity().context)
    await proxy.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(f"GET http://{address}/latest/meta-data HTTP/1.1\r\n"
                     f"Host: {address}\r\n\r\n".encode())
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    finally:
        await proxy.close()
    assert answer.startswith(b"HTTP/1.1 502")
    [conn] = proxy.connections
    assert conn.decision == "refuse" and "private address" in conn.reason


def test_without_openssl_the_browser_scan_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from skimscan.capture import tls
    from skimscan.errors import BrowserNotFoundError

    monkeypatch.setattr(tls.shutil, "which", lambda name: None)
    with pytest.raises(BrowserNotFoundError, match="apt-get install openssl"):
        tls.make_mitm_identity()


def test_the_identity_s_spki_hash_is_that_of_its_key() -> None:
    identity = make_mitm_identity()
    assert len(base64.b64decode(identity.spki_sha256)) == 32  # sha256, base64 as Chromium wants
    assert make_mitm_identity().spki_sha256 != identity.spki_sha256  # fresh every time
