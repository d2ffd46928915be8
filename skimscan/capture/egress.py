"""STAGE 1 (capture): the egress proxy — every connection of a capture's browser context goes
through here, so the quarantine holds the channels a request route cannot see.

Playwright's route sees the requests of pages and frames. It does not see a WebSocket opened by a
worker, a beacon sent while a page unloads, the TLS handshake of a navigation (the host name is
in its SNI), or a connection the browser opens ahead of a request (preconnect). So each capture's
browser context uses this proxy (Chromium's per-context proxy), and Chromium itself resolves no
name (`browser.launch_args`): no DNS query, TCP connection or TLS ClientHello leaves the machine
for a name this proxy has not decided on.

For each connection (and, for plain HTTP, each request) the proxy asks `decide(host, port)`:

- `tunnel`: connect to the host, through the host map as Chromium would, and relay the bytes
  (the page's own site and its processors, or every host when nothing is typed);
- `inspect`: accept the browser's TLS with a throw-away certificate the browser accepts for
  this proxy's key only (`--ignore-certificate-errors-spki-list`), then decide each request and
  each WebSocket message on its own with `hold(host, url)` (a `Verdict`): forwarded to the host
  (a fresh upstream connection, verified like the browser would) while nothing is typed; once
  the quarantine is armed, recorded (`Held`) and answered here — 204, CORS preflights included
  so that the real request follows; a socket accepted locally — and never sent; or, for a
  request let through after typing, forwarded "bare" (only the browser's own headers). A
  connection opened before typing therefore cannot carry what is typed after it;
- `refuse`: 403 and close — a name that may not be resolved (a confined scan) or a private
  address the page named (`private_ok` decides which private destinations the user asked for).

Invariants:
- Nothing a held request or message carries is forwarded; bodies and frames are kept up to a
  limit. A decision that raises holds (fails closed).
- Listens on 127.0.0.1 only; one proxy per browser context; `close()` ends every connection.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlsplit

from skimscan.capture.hostmap import HostMap, is_loopback, is_public_address

log = logging.getLogger(__name__)

Decision = Literal["tunnel", "inspect", "refuse"]
#: per request of an inspected connection: answered here; forwarded; forwarded with only the
#: browser's own headers (a request let through after typing: no cookie, referrer or header
#: the page set can carry what was typed)
Verdict = Literal["hold", "pass", "bare"]
MAX_HEADER_BYTES = 64 * 1024
MAX_HELD = 2000  # records kept per context: a page looping sends cannot exhaust memory
HELD_BYTES = 32 * 1024 * 1024  # bodies and messages kept per context, in all
MAX_BODY = 64 * 1024 * 1024  # a request body or WebSocket message larger than this ends it
UPSTREAM_TIMEOUT = 30.0  # seconds for a name to resolve, or an upstream to start answering
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_HOP_HEADERS = frozenset({"proxy-connection", "proxy-authorization", "connection", "keep-alive",
                          "content-length", "transfer-encoding"})
#: What a "bare" request keeps: headers only the browser can set (the fetch standard's
#: forbidden ones), plus `Accept: */*` of its own — nothing the page could fill.
_BARE_HEADERS = frozenset({"host", "accept-encoding", "origin", "sec-ch-ua", "sec-ch-ua-mobile",
                           "sec-ch-ua-platform", "sec-fetch-site", "sec-fetch-mode",
                           "sec-fetch-dest", "sec-fetch-user"})
_BARE_METHODS = frozenset({"GET", "HEAD"})
#: Not offered upstream: a compressed WebSocket message could not be read to decide on it.
_WS_EXTENSIONS = "sec-websocket-extensions"


@dataclass(frozen=True)
class Held:
    """One request, WebSocket message or bare connection the proxy answered itself."""

    at: float  # time.time()
    host: str
    port: int
    kind: Literal["request", "websocket", "connection"]
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class Connection:
    """A connection the browser asked for, and what the proxy decided."""

    at: float
    host: str
    port: int
    decision: Decision
    reason: str = ""


class _Request:
    __slots__ = ("body", "headers", "method", "target", "version")

    def __init__(self, method: str, target: str, version: str,
                 headers: list[tuple[str, str]], body: bytes) -> None:
        self.method, self.target, self.version = method, target, version
        self.headers, self.body = headers, body

    def header(self, name: str) -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), "")


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, list[tuple[str, str]]] | None:
    """The request line and headers, or None at the end of the stream."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError as exc:
        raise ValueError("request head too large") from exc
    lines = raw.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return lines[0], headers


async def _read_body(reader: asyncio.StreamReader, headers: list[tuple[str, str]]) -> bytes:
    """The request body (Content-Length or chunked), whole: it may be forwarded (records keep
    a prefix of it). Larger than `MAX_BODY` is an error that ends the connection."""
    values = {k.lower(): v for k, v in headers}
    kept = bytearray()

    def keep(chunk: bytes) -> None:
        if len(kept) + len(chunk) > MAX_BODY:
            raise ValueError("request body too large")
        kept.extend(chunk)

    if "chunked" in values.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size > MAX_BODY:
                raise ValueError("request body too large")
            if size == 0:
                await reader.readuntil(b"\r\n")  # trailers are not expected from browsers
                return bytes(kept)
            keep(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(values.get("content-length", "0") or 0)
    while length > 0:
        chunk = await reader.read(min(length, 65536))
        if not chunk:
            break
        keep(chunk)
        length -= len(chunk)
    return bytes(kept)


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    head = await _read_head(reader)
    if head is None:
        return None
    line, headers = head
    parts = line.split(" ")
    if len(parts) != 3:
        raise ValueError(f"malformed request line {line[:80]!r}")
    method, target, version = parts
    body = b"" if method.upper() == "CONNECT" else await _read_body(reader, headers)
    return _Request(method.upper(), target, version, headers, body)


def _split_authority(authority: str, default_port: int) -> tuple[str, int]:
    """`host:port`, `[v6]:port` or a bare host, as in a CONNECT line."""
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = authority.partition(":")
    return host.lower().rstrip("."), int(port) if port.isdigit() else default_port


def _cors(req: _Request) -> list[tuple[str, str]]:
    origin = req.header("origin")
    out = ([("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
           if origin and origin != "null" else [("Access-Control-Allow-Origin", "*")])
    if req.method == "OPTIONS":
        out.append(("Access-Control-Allow-Methods",
                    req.header("access-control-request-method") or "GET, POST"))
        wanted = req.header("access-control-request-headers")
        if wanted:
            out.append(("Access-Control-Allow-Headers", wanted))
        out.append(("Access-Control-Allow-Private-Network", "true"))
    return out


def _response(status: str, headers: list[tuple[str, str]], *, close: bool) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers), "Content-Length: 0"]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _read_frame(reader: asyncio.StreamReader,
                      limit: int) -> tuple[bool, int, bytes, bytes]:
    """One WebSocket frame from the browser: (fin, opcode, payload unmasked, the raw frame)."""
    head = await reader.readexactly(2)
    raw = bytearray(head)
    length = head[1] & 0x7F
    if length in (126, 127):
        ext = await reader.readexactly(2 if length == 126 else 8)
        raw += ext
        length = int.from_bytes(ext, "big")
    if length > MAX_BODY:
        raise ValueError("WebSocket frame too large")
    mask = await reader.readexactly(4) if head[1] & 0x80 else b"\0\0\0\0"
    if head[1] & 0x80:
        raw += mask
    data = await reader.readexactly(length)
    raw += data
    head_part = data[:limit]
    if head_part:  # unmasked as one big integer: a byte-by-byte loop costs ~70 ms per MB
        key = int.from_bytes((mask * (len(head_part) // 4 + 1))[: len(head_part)], "big")
        payload = (int.from_bytes(head_part, "big") ^ key).to_bytes(len(head_part), "big")
    else:
        payload = b""
    return bool(head[0] & 0x80), head[0] & 0x0F, payload, bytes(raw)


class EgressProxy:
    """The proxy of one browser context. `start()`, give `server` to the context, `close()`."""

    def __init__(
        self,
        host_map: HostMap,
        decide: Callable[[str, int], Decision],
        hold: Callable[[str, str], Verdict],
        mitm: ssl.SSLContext,
        *,
        verify_upstream: bool = True,
        private_ok: Callable[[str, int], bool] = lambda host, port: False,
        max_body_bytes: int = 1_000_000,
    ) -> None:
        self.host_map = host_map
        self.decide = decide
        self.hold = hold
        self.private_ok = private_ok
        self.max_body_bytes = max_body_bytes
        self._mitm = mitm
        self._upstream_tls = ssl.create_default_context()
        if not verify_upstream:
            self._upstream_tls.check_hostname = False
            self._upstream_tls.verify_mode = ssl.CERT_NONE
        self._upstream_tls.set_alpn_protocols(["http/1.1"])
        self.held: list[Held] = []
        self.connections: list[Connection] = []
        self.dropped = 0  # records past MAX_HELD or HELD_BYTES
        self._held_bytes = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def server(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0,
                                                  limit=MAX_HEADER_BYTES)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Every connection aborted (its task then ends on its own), stragglers cancelled."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            if writer.transport is not None:
                writer.transport.abort()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=1)
        for task in list(self._tasks):
            task.cancel()
        self._server = None

    # ------------------------------------------------------------------ bookkeeping
    def _record(self, item: Held) -> None:
        if len(self.held) >= MAX_HELD or self._held_bytes >= HELD_BYTES:
            self.dropped += 1
            return
        body = item.body[: self.max_body_bytes]
        self._held_bytes += len(body)
        self.held.append(replace(item, body=body) if len(body) < len(item.body) else item)

    def _note(self, host: str, port: int, decision: Decision, reason: str = "") -> None:
        if len(self.connections) < MAX_HELD:
            self.connections.append(Connection(time.time(), host, port, decision, reason))

    def _decide(self, host: str, port: int) -> Decision:
        if not host:
            return "refuse"
        try:
            return self.decide(host, port)
        except Exception as exc:  # a decision that fails must fail closed
            log.warning("egress decision for %s failed: %s", host, exc)
            return "inspect"

    def _held(self, host: str, url: str) -> bool:
        return self._verdict(host, url) == "hold"

    def _request_verdict(self, host: str, url: str, req: _Request) -> Verdict:
        """`_verdict` for a request: "bare" only for a bodiless GET/HEAD — let through means a
        URL fetched, nothing sent with it."""
        verdict = self._verdict(host, url)
        if verdict == "bare" and (req.method not in _BARE_METHODS or req.body):
            return "hold"
        return verdict

    def _verdict(self, host: str, url: str) -> Verdict:
        try:
            return self.hold(host, url)
        except Exception as exc:
            log.warning("egress hold decision for %s failed: %s", host, exc)
            return "hold"

    async def _dial(self, host: str, port: int, *, tls: bool = False,
                    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | str:
        """Connect to host:port as the browser would have; a string says why not."""
        target = self.host_map.lookup(host, port)
        mapped = target is not None
        if target is None:
            if self.host_map.confine and not is_loopback(host):
                return f"{host} is not in the host map (confined scan)"
            target = (host, port)
        address, dport = target
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(address, dport, type=socket.SOCK_STREAM), UPSTREAM_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            return f"{host} did not resolve ({exc})"
        addresses = [str(info[4][0]) for info in infos]
        if not mapped and not all(is_public_address(a) for a in addresses) and \
                not self.private_ok(host, port):
            return f"{host} resolves to a private address (not fetched)"
        last = ""
        for addr in addresses[:4]:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(
                    addr, dport, ssl=self._upstream_tls if tls else None,
                    server_hostname=host if tls else None, limit=MAX_HEADER_BYTES), 10)
            except (OSError, TimeoutError, ssl.SSLError) as exc:
                last = str(exc) or type(exc).__name__
                continue
            self._writers.add(writer)
            return reader, writer
        return f"could not connect to {host}: {last}"

    # ------------------------------------------------------------------ connections
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ssl.SSLError) as exc:
            log.debug("egress connection ended: %s", exc)
        except asyncio.CancelledError:  # close(): the top of this connection's own task
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            self._writers.discard(writer)
            if writer.transport is not None:
                writer.transport.abort()

    async def _refuse(self, writer: asyncio.StreamWriter, host: str, port: int, status: str,
                      reason: str) -> None:
        self._note(host, port, "refuse", reason)
        writer.write(_response(status, [], close=True))
        await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        req = await _read_request(reader)
        if req is None:
            return
        if req.method == "CONNECT":
            host, port = _split_authority(req.target, 443)
            decision = self._decide(host, port)
            if decision == "refuse":
                await self._refuse(writer, host, port, "403 Forbidden", "refused")
                return
            if decision == "tunnel":
                await self._tunnel(writer, reader, host, port)
                return
            self._note(host, port, "inspect")
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            if port == 80:  # ws:// (Chromium tunnels it): plain HTTP inside
                await self._inspect(reader, writer, host, port, f"http://{host}")
                return
            plain = writer.transport
            try:
                await writer.start_tls(self._mitm)
            except AttributeError:  # Python 3.11's start_tls when the browser left mid-handshake
                writer._transport = plain  # type: ignore[attr-defined]  # (it reads it)
                return
            if writer.transport is None:  # the browser left during the handshake: Python 3.11
                writer._transport = plain  # (it leaves None behind)
                return
            base = f"https://{host}" + ("" if port == 443 else f":{port}")
            await self._inspect(reader, writer, host, port, base)
            return
        # plain HTTP: absolute-form requests, each one decided (one connection, many hosts)
        while req is not None:
            parts = urlsplit(req.target)
            host = (parts.hostname or "").lower()
            port = parts.port or 80
            decision = self._decide(host, port)
            if decision == "refuse":
                await self._refuse(writer, host, port, "403 Forbidden", "refused")
                return
            origin_form = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            req = _Request(req.method, origin_form, req.version, req.headers, req.body)
            url = f"http://{parts.netloc}{origin_form}"
            verdict = self._request_verdict(host, url, req) if decision == "inspect" else "pass"
            if verdict == "hold":
                self._note(host, port, decision)
                if not await self._answer(req, reader, writer, host, port, url):
                    return
                req = await _read_request(reader)
                continue
            await self._forward(req, writer, host, port, url, tls=False, note=decision,
                                bare=verdict == "bare")
            return

    async def _tunnel(self, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                      host: str, port: int) -> None:
        dialled = await self._dial(host, port)
        if isinstance(dialled, str):
            await self._refuse(writer, host, port, "502 Bad Gateway", dialled)
            return
        self._note(host, port, "tunnel")
        up_reader, up_writer = dialled
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._drop(up_writer)

    async def _inspect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       host: str, port: int, base: str) -> None:
        """Requests inside a TLS connection the proxy terminated, one by one."""
        served = False
        while True:
            req = await _read_request(reader)
            if req is None:
                break
            served = True
            url = base + req.target
            if req.header("upgrade").lower() == "websocket":
                await self._websocket(req, reader, writer, host, port, "ws" + url[4:])
                return
            verdict = self._request_verdict(host, url, req)
            if verdict == "hold":
                if not await self._answer(req, reader, writer, host, port, url):
                    return
                continue
            await self._forward(req, writer, host, port, url, tls=True, bare=verdict == "bare")
            return
        # a connection without a request (a preconnect) after typing: its name counts
        if not served and self._held(host, f"{base}/"):
            self._record(Held(time.time(), host, port, "connection", "CONNECT", f"{base}/"))

    @staticmethod
    def _head(req: _Request, *, body: bool, bare: bool = False) -> bytes:
        lines = [f"{req.method} {req.target} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in req.headers
                  if k.lower() not in _HOP_HEADERS and k.lower() != _WS_EXTENSIONS
                  and (not bare or k.lower() in _BARE_HEADERS)]
        if bare:
            lines.append("Accept: */*")
        if body:
            lines.append(f"Content-Length: {len(req.body)}")
        return ("\r\n".join(lines) + "\r\n").encode("latin-1")

    async def _forward(self, req: _Request, writer: asyncio.StreamWriter, host: str, port: int,
                       url: str, *, tls: bool, note: Decision | None = None,
                       bare: bool = False) -> None:
        """One request to its host on a fresh connection; the response back; then both closed
        (the browser opens another connection for its next request). `bare`: only the
        browser's own headers go; the others are held, and searched like any held request."""
        if bare:
            self._record(Held(time.time(), host, port, "request", req.method, url,
                              {k: v for k, v in req.headers[:64]
                               if k.lower() not in _BARE_HEADERS | _HOP_HEADERS}))
        dialled = await self._dial(host, port, tls=tls)
        if isinstance(dialled, str):
            await self._refuse(writer, host, port, "502 Bad Gateway", dialled)
            return
        if note is not None:
            self._note(host, port, note)
        up_reader, up_writer = dialled
        try:
            has_body = bool(req.body) or req.method in ("POST", "PUT", "PATCH")
            up_writer.write(self._head(req, body=has_body, bare=bare) + b"Connection: close\r\n\r\n"
                            + (req.body if has_body else b""))
            await up_writer.drain()
            head = await asyncio.wait_for(up_reader.readuntil(b"\r\n\r\n"), UPSTREAM_TIMEOUT)
            lines = head.decode("latin-1").split("\r\n")
            kept = [line for line in lines[1:] if line and line.split(":", 1)[0].strip().lower()
                    not in ("connection", "keep-alive")]
            writer.write(("\r\n".join([lines[0], *kept, "Connection: close"]) + "\r\n\r\n")
                         .encode("latin-1"))
            await self._pipe(up_reader, writer)
        finally:
            self._drop(up_writer)

    def _drop(self, upstream: asyncio.StreamWriter) -> None:
        """An upstream connection is done with: forgotten and aborted."""
        self._writers.discard(upstream)
        upstream.transport.abort()

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while chunk := await src.read(65536):
                dst.write(chunk)
                await dst.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                if dst.can_write_eof():
                    dst.write_eof()

    # ------------------------------------------------------------------ answering
    async def _answer(self, req: _Request, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter, host: str, port: int, url: str) -> bool:
        """Record and answer one request locally; False when the connection is done."""
        if req.method != "OPTIONS":  # a preflight carries no data
            self._record(Held(time.time(), host, port, "request", req.method, url,
                              dict(req.headers[:64]), req.body))
        close = req.header("connection").lower() == "close"
        writer.write(_response("204 No Content", _cors(req), close=close))
        await writer.drain()
        return not close

    async def _websocket(self, req: _Request, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter, host: str, port: int, url: str) -> None:
        """A socket: relayed to its host while nothing is typed, each message the page sends
        held (recorded, not forwarded) from the moment `hold` says so; accepted locally when
        it is opened under the quarantine."""
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        if self._held(host, url):
            self._record(Held(time.time(), host, port, "websocket", "GET", url,
                              dict(req.headers[:64])))
            key = req.header("sec-websocket-key").encode("latin-1")
            accept = base64.b64encode(hashlib.sha1(key + _WS_GUID).digest()).decode()
            wanted = req.header("sec-websocket-protocol").split(",")[0].strip()
            chosen = f"Sec-WebSocket-Protocol: {wanted}\r\n" if wanted else ""
            writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
                          f"{chosen}\r\n").encode("latin-1"))
            await writer.drain()
        else:
            dialled = await self._dial(host, port, tls=url.startswith("wss"))
            if isinstance(dialled, str):
                await self._refuse(writer, host, port, "502 Bad Gateway", dialled)
                return
            upstream = dialled
            upstream[1].write(self._head(req, body=False) + b"Connection: Upgrade\r\n\r\n")
            await upstream[1].drain()
            head = await asyncio.wait_for(upstream[0].readuntil(b"\r\n\r\n"),
                                          UPSTREAM_TIMEOUT)
            writer.write(head)
            await writer.drain()
            if not head.startswith((b"HTTP/1.1 101", b"HTTP/1.0 101")):
                try:
                    await self._pipe(upstream[0], writer)
                finally:
                    self._drop(upstream[1])
                return
        relay = (asyncio.ensure_future(self._pipe(upstream[0], writer))
                 if upstream is not None else None)
        try:
            await self._messages(reader, writer, host, port, url, upstream)
        finally:
            if relay is not None:
                relay.cancel()
            if upstream is not None:
                self._drop(upstream[1])

    async def _messages(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        host: str, port: int, url: str,
                        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
                        ) -> None:
        message = bytearray()
        raw_parts: list[bytes] = []
        raw_size = 0
        while True:
            fin, opcode, payload, raw = await _read_frame(reader, self.max_body_bytes)
            held = upstream is None or self._held(host, url)
            if opcode >= 8:  # control frames: close, ping, pong
                if not held and upstream is not None:
                    upstream[1].write(raw)
                    await upstream[1].drain()
                elif opcode == 8:
                    writer.write(b"\x88\x00")
                    await writer.drain()
                elif opcode == 9:
                    writer.write(bytes([0x8A, min(len(payload), 125)]) + payload[:125])
                    await writer.drain()
                if opcode == 8:
                    return
                continue
            message.extend(payload[: max(self.max_body_bytes - len(message), 0)])
            raw_parts.append(raw)
            raw_size += len(raw)
            if raw_size > MAX_BODY:
                raise ValueError("WebSocket message too large")
            if not fin:
                continue
            if held:
                self._record(Held(time.time(), host, port, "websocket", "SEND", url,
                                  body=bytes(message)))
            elif upstream is not None:
                upstream[1].write(b"".join(raw_parts))
                await upstream[1].drain()
            message.clear()
            raw_parts.clear()
            raw_size = 0
