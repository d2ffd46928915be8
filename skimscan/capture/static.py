"""STAGE 1 (capture), static mode (`--no-browser`): fetch the HTML and its scripts, run nothing.

aiohttp fetches the page and, concurrently, every external script it names; BeautifulSoup finds
inline scripts, event-handler attributes and `javascript:` URLs. Fast and safe for big
inventories — and blind to everything that only happens in a browser, which the notes say.

Invariants:
- Nothing fetched is executed.
- Every response is bounded (`MAX_BYTES`); a larger one is cut and noted, never buffered whole.
- Host maps apply as in browser mode; TLS errors are an error unless `ignore_https_errors`.
- A page that cannot be fetched raises `TargetError`; a script that cannot is a note.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from urllib.parse import urlsplit

import aiohttp

from skimscan.capture.hostmap import HostMap
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


async def _read_bounded(resp: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.content.iter_chunked(65536):
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _decode(data: bytes, resp: aiohttp.ClientResponse) -> str:
    charset = resp.charset or "utf-8"
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
    if isinstance(exc, aiohttp.TooManyRedirects):
        return f"{url} redirects in a loop"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"could not fetch {url}: {text}"


async def fetch_static(
    url: str,
    *,
    timeout: float = 30.0,
    host_map: HostMap | None = None,
    ignore_https_errors: bool = False,
    max_bytes: int = MAX_BYTES,
) -> PageCapture:
    """Fetch `url` and its external scripts; raise TargetError when the page cannot be fetched."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"{url!r} is not an http(s) URL")
    host_map = host_map or HostMap()
    connector = aiohttp.TCPConnector(
        resolver=host_map.resolver(),  # type: ignore[arg-type]
        ssl=not ignore_https_errors,
        limit=8,
    )
    client_timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10))
    notes: list[str] = [STATIC_NOTE]
    requests: list[RequestRecord] = []
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=client_timeout,
        headers={"User-Agent": USER_AGENT},
        max_field_size=16384,
    ) as http:
        try:
            async with http.get(url, allow_redirects=True, max_redirects=10) as resp:
                data, cut = await _read_bounded(resp, max_bytes)
                html = _decode(data, resp)
                status = resp.status
                final_url = str(resp.url)
                headers = {k.lower(): v for k, v in resp.headers.items()}
                for hop in (*resp.history, resp):
                    requests.append(
                        RequestRecord(
                            url=str(hop.url),
                            method="GET",
                            host=hop.url.host or "",
                            resource_type="document",
                            status=hop.status,
                        )
                    )
        except (aiohttp.ClientError, TimeoutError, ssl.SSLError) as exc:
            raise TargetError(_explain(url, exc)) from None
        if cut:
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
            try:
                async with http.get(item.url, max_redirects=5) as r:
                    body, too_big = await _read_bounded(r, max_bytes)
                    if too_big:
                        notes.append(f"script {item.url} is larger than {max_bytes} bytes; cut")
                    if r.status >= 400:
                        notes.append(f"script {item.url} answered HTTP {r.status}")
                    return item, _decode(body, r), r.status
            except (aiohttp.ClientError, TimeoutError, ssl.SSLError) as exc:
                notes.append(f"script not fetched: {_explain(item.url, exc)}")
                return item, None, None

        fetched = dict(
            (id(item), (code, status))
            for item, code, status in await asyncio.gather(*(fetch_script(e) for e in externals))
        )

    scripts: list[ScriptSource] = []
    for item in found:
        if item.kind == "external" and id(item) not in fetched:
            continue
        if item.kind == "external":
            code, st = fetched[id(item)]
            assert item.url is not None
            requests.append(
                RequestRecord(
                    url=item.url,
                    method="GET",
                    host=urlsplit(item.url).hostname or "",
                    resource_type="script",
                    frame=final_url,
                    status=st,
                )
            )
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
