"""STAGE 1 (capture), static mode (`--no-browser`): fetch the HTML and its scripts, run nothing.

aiohttp fetches the page and, concurrently, every external script it names; BeautifulSoup finds
inline scripts, event-handler attributes and `javascript:` URLs. Fast and safe for big
inventories — and blind to everything that only happens in a browser, which the notes say.

Invariants:
- Nothing fetched is executed.
- Every response is bounded (`MAX_BYTES`); a larger one is cut and noted, never buffered whole.
- Host maps apply as in browser mode; TLS errors are an error unless `ignore_https_errors`.
- A page that cannot be fetched raises `TargetError`; a script that cannot is a note.
- The page names its scripts, so it chooses where skimscan connects: a script (or any redirect
  hop, the page's own included) whose address is not public — loopback, private ranges,
  link-local (cloud metadata), unique-local — is refused and noted, unless the user asked for
  it: the page's own address, a name the host map maps, or `allow_private`. The address checked
  is the one connected to (the check is in the resolver), and redirects are followed one hop
  at a time, each checked and recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from skimscan.capture.hostmap import HostMap, MappedResolver, is_public_address
from skimscan.capture.htmlscan import HtmlScript, scan_html
from skimscan.errors import TargetError
from skimscan.models import PageCapture, RequestRecord, ScriptKind, ScriptSource

MAX_BYTES = 20 * 1024 * 1024
MAX_SCRIPTS = 500
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
STATIC_NOTE = (
    "static mode (no browser): scripts injected at run time, iframes' content, workers, and the "
    "requests the page makes were not seen"
)
_KINDS = {
    "inline": ScriptKind.INLINE,
    "handler": ScriptKind.HANDLER,
    "javascript-url": ScriptKind.JAVASCRIPT_URL,
    "external": ScriptKind.EXTERNAL,
}


REDIRECTS = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 10


class Refused(OSError):
    """A destination the page named that skimscan does not connect to."""


class RedirectLoop(Exception):
    """More redirects than a fetch follows."""


class GuardedResolver:
    """The host map's resolver, refusing non-public addresses the user did not ask for: the
    connection goes to an address this check saw (no second lookup to rebind)."""

    def __init__(self, host_map: HostMap, allowed: Callable[[str], bool]) -> None:
        self._map = host_map
        self._inner = MappedResolver(host_map)
        self._allowed = allowed

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[dict[str, Any]]:
        entries = await self._inner.resolve(host, port, family)
        if self._map.lookup(host, port) is not None:
            return entries  # the user mapped this name: a staging scan
        kept = [e for e in entries
                if is_public_address(str(e["host"])) or self._allowed(str(e["host"]))]
        if not kept:
            raise Refused(f"{host} resolves to a non-public address ({entries[0]['host']}); "
                          "not fetched (--allow-private fetches such addresses)")
        return kept

    async def close(self) -> None:
        await self._inner.close()


@dataclass
class _Fetched:
    body: bytes = b""
    cut: bool = False
    status: int | None = None
    url: str = ""
    charset: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hops: list[tuple[str, int | None]] = field(default_factory=list)  # every URL asked, status


async def _get(http: aiohttp.ClientSession, out: _Fetched, limit: int,
               literal_ok: Callable[[str], bool], max_redirects: int) -> _Fetched:
    """GET `out.url`, following redirects one hop at a time: a hop to an IP literal (which no
    resolver sees) is checked here, a name in the resolver. Raises Refused, or aiohttp's
    errors; `out.hops` keeps what was asked, the refused hop included (status None)."""
    for _ in range(max_redirects + 1):
        host = urlsplit(out.url).hostname or ""
        try:
            literal = ipaddress.ip_address(host) is not None
        except ValueError:
            literal = False  # a name: the resolver checks the address it connects to
        if literal and not is_public_address(host) and not literal_ok(host):
            out.hops.append((out.url, None))
            raise Refused(f"{host} is a non-public address; not fetched "
                          "(--allow-private fetches such addresses)")
        try:
            response = await http.get(out.url, allow_redirects=False)
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, Refused):
                out.hops.append((out.url, None))
            raise
        async with response as resp:
            out.hops.append((out.url, resp.status))
            location = resp.headers.get("Location")
            if resp.status in REDIRECTS and location:
                out.url = urljoin(out.url, location)
                continue
            out.body, out.cut = await _read_bounded(resp, limit)
            out.status, out.charset = resp.status, resp.charset
            out.headers = {k.lower(): v for k, v in resp.headers.items()}
            return out
    raise RedirectLoop(f"more than {max_redirects} redirects")


async def _read_bounded(resp: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.content.iter_chunked(65536):
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _decode(data: bytes, charset: str | None) -> str:
    charset = charset or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _explain(url: str, exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | ssl.SSLCertVerificationError):
        return (
            f"TLS certificate of {url} is not trusted; pass --ignore-https-errors for staging "
            "servers or self-signed certificates"
        )
    if isinstance(exc, TimeoutError):
        return f"{url} did not respond in time"
    if isinstance(exc, RedirectLoop):
        return f"{url} redirects in a loop"
    refused = exc if isinstance(exc, Refused) else getattr(exc, "os_error", None)
    if isinstance(refused, Refused):
        return f"refused {url}: {refused}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"could not fetch {url}: {text}"


async def fetch_static(
    url: str,
    *,
    timeout: float = 30.0,
    host_map: HostMap | None = None,
    ignore_https_errors: bool = False,
    max_bytes: int = MAX_BYTES,
    allow_private: bool = False,
) -> PageCapture:
    """Fetch `url` and its external scripts; raise TargetError when the page cannot be fetched.
    `allow_private`: scripts and redirects may go to non-public addresses too."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"{url!r} is not an http(s) URL")
    host_map = host_map or HostMap()
    page_host = parts.hostname.lower()
    own: set[str] = {page_host}  # the page's own addresses, once resolved

    def allowed(address: str) -> bool:
        return allow_private or address in own

    resolver = GuardedResolver(host_map, allowed)
    with contextlib.suppress(OSError):  # (fetching the page says why it failed)
        # the user chose the page: its own address is allowed, whatever it is
        own.update(str(e["host"]) for e in await MappedResolver(host_map).resolve(
            page_host, parts.port or (443 if parts.scheme == "https" else 80)))
    connector = aiohttp.TCPConnector(
        resolver=resolver,  # type: ignore[arg-type]
        ssl=not ignore_https_errors,
        limit=8,
    )
    client_timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10))
    notes: list[str] = [STATIC_NOTE]
    requests: list[RequestRecord] = []

    def record(fetched: _Fetched, kind: str, frame: str | None = None) -> None:
        for hop_url, hop_status in fetched.hops:
            requests.append(RequestRecord(url=hop_url, method="GET",
                                          host=urlsplit(hop_url).hostname or "",
                                          resource_type=kind, frame=frame, status=hop_status))

    async with aiohttp.ClientSession(
        connector=connector,
        timeout=client_timeout,
        headers={"User-Agent": USER_AGENT},
        max_field_size=16384,
    ) as http:
        try:
            page = await _get(http, _Fetched(url=url), max_bytes, allowed, MAX_REDIRECTS)
        except (aiohttp.ClientError, TimeoutError, ssl.SSLError, OSError,
                RedirectLoop) as exc:
            raise TargetError(_explain(url, exc)) from None
        record(page, "document")
        html = _decode(page.body, page.charset)
        status, final_url, headers = page.status, page.url, page.headers
        if page.cut:
            notes.append(f"the page is larger than {max_bytes} bytes; only the start was read")
        found = scan_html(html, final_url)
        externals = [f for f in found if f.kind == "external" and f.url]
        if len(externals) > MAX_SCRIPTS:
            notes.append(f"{len(externals)} external scripts; only the first {MAX_SCRIPTS} fetched")
            externals = externals[:MAX_SCRIPTS]

        async def fetch_script(item: HtmlScript) -> tuple[HtmlScript, str | None, int | None]:
            assert item.url is not None
            if urlsplit(item.url).scheme not in ("http", "https"):
                notes.append(f"script {item.url[:120]} is not http(s); not fetched")
                return item, None, None
            fetched = _Fetched(url=item.url)
            try:
                await _get(http, fetched, max_bytes, allowed, 5)
            except (aiohttp.ClientError, TimeoutError, ssl.SSLError, OSError,
                    RedirectLoop) as exc:
                notes.append(f"script not fetched: {_explain(item.url, exc)}")
                return item, None, None
            finally:
                record(fetched, "script", final_url)
            if fetched.cut:
                notes.append(f"script {item.url} is larger than {max_bytes} bytes; cut")
            if fetched.status is not None and fetched.status >= 400:
                notes.append(f"script {item.url} answered HTTP {fetched.status}")
            if fetched.url != item.url:
                notes.append(f"script {item.url} was redirected to {fetched.url}")
            return item, _decode(fetched.body, fetched.charset), fetched.status

        fetched = dict(
            (id(item), (code, status))
            for item, code, status in await asyncio.gather(*(fetch_script(e) for e in externals))
        )

    scripts: list[ScriptSource] = []
    for item in found:
        if item.kind == "external" and id(item) not in fetched:
            continue
        if item.kind == "external":
            code, _status = fetched[id(item)]
            if code is None:
                continue
        else:
            code = item.code
        data = code.encode("utf-8", "surrogatepass")
        scripts.append(
            ScriptSource(
                id=f"s{len(scripts) + 1}",
                code=code,
                url=item.url if item.kind == "external" else final_url,
                kind=_KINDS[item.kind],
                frame=final_url,
                initiator=(final_url,),
                line_offset=item.line,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
            )
        )
    return PageCapture(
        url=url,
        final_url=final_url,
        status=status,
        scripts=tuple(scripts),
        requests=tuple(requests),
        response_headers=headers,
        notes=tuple(notes),
    )
