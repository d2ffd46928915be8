"""Capture in a real Chromium: every script kind, frame, worker and request kind, attributed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from fixtures.shop import Shop
from fixtures.shop.server import ATTACKER_HOSTS
from skimscan.capture.page import BrowserSession
from skimscan.models import PageCapture, RequestRecord, ScriptKind, ScriptSource

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

PAGES = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "shop" / "pages.json").read_text()
)["pages"]


async def grab(session: BrowserSession, url: str, wait: float = 0.8) -> PageCapture:
    return await session.capture(url, timeout=15, wait=wait, ignore_https_errors=True)


def script_with(capture: PageCapture, marker: str) -> ScriptSource:
    found = sorted((s for s in capture.scripts if marker in s.code), key=lambda s: s.size)
    assert found, f"no script contains {marker!r}: {[s.code[:40] for s in capture.scripts]}"
    return found[0]  # the smallest: the eval'd string rather than the script that evals it


def script_at(capture: PageCapture, url: str) -> ScriptSource:
    found = [s for s in capture.scripts if s.url == url]
    assert found, f"no script at {url}: {[s.url for s in capture.scripts]}"
    return found[0]


def request_to(capture: PageCapture, fragment: str) -> RequestRecord:
    found = [r for r in capture.requests if fragment in r.url]
    assert found, f"no request to {fragment}: {[r.url for r in capture.requests]}"
    return found[0]


async def test_script_kinds_and_initiators(session: BrowserSession, shop: Shop) -> None:
    page = shop.url("/lab/kinds")
    cap = await grab(session, page)
    assert cap.status == 200 and cap.final_url == page

    external = script_at(cap, shop.url("/static/lab/external.js"))
    assert external.kind is ScriptKind.EXTERNAL
    assert external.initiator == (page,)

    inline = script_with(cap, "window.__inline = 1")
    assert inline.kind is ScriptKind.INLINE
    assert inline.url == page and inline.frame == page and inline.line_offset > 0

    for marker in ("window.__evaluated = 1", "window.__fn = 1"):
        made = script_with(cap, marker)
        assert made.kind is ScriptKind.EVAL and made.url is None
        assert made.initiator[0] == inline.id
    assert script_with(cap, "window.__timerString = 1").kind is ScriptKind.EVAL

    injected = script_at(cap, shop.url("/static/lab/injected.js"))
    assert injected.kind is ScriptKind.DYNAMIC
    assert injected.initiator == (inline.id, page)
    for marker in ("window.__injectedInline = 1", "window.__written = 1"):
        dyn = script_with(cap, marker)
        assert dyn.kind is ScriptKind.DYNAMIC and dyn.initiator[0] == inline.id

    for marker in ("window.__clicked = 1", "window.__neverHovered = 1", "window.__bodyLoaded"):
        assert script_with(cap, marker).kind is ScriptKind.HANDLER, marker
    assert script_with(cap, "window.__jsUrl=1").kind is ScriptKind.JAVASCRIPT_URL

    ids = [s.id for s in cap.scripts]
    assert ids == [f"s{i}" for i in range(1, len(ids) + 1)]
    for s in cap.scripts:
        data = s.code.encode()
        assert s.sha256 == hashlib.sha256(data).hexdigest() and s.size == len(data)
    # Playwright's own helpers are never reported as page scripts.
    assert not any("__playwright" in s.code or "InjectedScript" in s.code for s in cap.scripts)

    assert request_to(cap, "echo?from=injected").script == injected.id
    assert cap.screenshot_png is not None and cap.screenshot_png.startswith(b"\x89PNG")


async def test_frames_same_cross_and_nested(session: BrowserSession, shop: Shop) -> None:
    page = shop.url("/lab/frames")
    cap = await grab(session, page)
    same = shop.url("/lab/frame-same.html")
    cross = "https://widgets.shop-cdn.test/lab/frame-cross.html"
    nested = "https://nested.other-cdn.test/lab/frame-nested.html"

    assert script_with(cap, "__sameInline").frame == same
    same_js = script_at(cap, shop.url("/static/lab/frame-same.js"))
    assert same_js.frame == same and same_js.kind is ScriptKind.EXTERNAL
    cross_inline = script_with(cap, "__crossInline")
    assert cross_inline.frame == cross and cross_inline.kind is ScriptKind.INLINE
    cross_js = script_at(cap, "https://widgets.shop-cdn.test/lab/frame-cross.js")
    assert cross_js.frame == cross
    nested_js = script_at(cap, "https://nested.other-cdn.test/lab/frame-nested.js")
    assert nested_js.frame == nested
    nested_eval = script_with(cap, "window.__nestedEval = 1")
    assert nested_eval.kind is ScriptKind.EVAL and nested_eval.initiator[0] == nested_js.id

    assert request_to(cap, "echo?from=frame-same").script == same_js.id
    assert request_to(cap, "echo?from=frame-cross").script == cross_js.id
    nested_req = request_to(cap, "echo?from=frame-nested")
    assert nested_req.script == nested_js.id and nested_req.frame == nested

    frames = {f.url: f for f in cap.frames}
    assert set(frames) == {page, same, cross, nested}
    assert frames[nested].parent_url == cross and frames[cross].parent_url == page
    assert "__crossInline" in frames[cross].html


async def test_workers_dedicated_shared_service(session: BrowserSession, shop: Shop) -> None:
    # http://localhost is a secure context, so the service worker registers without TLS.
    base = f"http://localhost:{shop.http_port}"
    cap = await grab(session, f"{base}/lab/workers", wait=1.2)
    worker = script_at(cap, f"{base}/static/lab/worker.js")
    lib = script_at(cap, f"{base}/static/lab/worker-lib.js")
    shared = script_at(cap, f"{base}/static/lab/shared-worker.js")
    service = script_at(cap, f"{base}/static/lab/service-worker.js")
    for s in (worker, lib, shared, service):
        assert s.kind is ScriptKind.WORKER, s
    assert worker.frame == worker.url and lib.frame == worker.url
    # importScripts: loaded by the worker's main script (or, when the worker outran recording
    # and its network events were lost, at least not attributed to anything else).
    # A worker URL reached by two auto-attach paths may be recorded twice under two ids; the
    # initiator is right when it is a record of the worker's main script.
    worker_ids = {s.id for s in cap.scripts if s.url == worker.url}
    assert not lib.initiator or lib.initiator[0] in worker_ids, (lib.initiator, worker_ids)
    assert worker.initiator == (f"{base}/lab/workers",)
    assert "self.__workerEval = 1" in {s.code for s in cap.scripts}
    # Each worker URL is captured once, even when reached by two auto-attach paths.
    assert sum(1 for s in cap.scripts if s.url == service.url) == 1

    # Playwright's own sessions let workers run as soon as they attach, so a worker may start
    # before our recording is on in it (BROWSER.md; see the module docstring of page.py). Its
    # scripts are still captured (the debugger replays them); its early requests are kept from
    # Playwright's view, without an initiator, and a note says so. Shared workers are invisible
    # to Playwright: their early requests can be missed.
    unattributed = any("seen only by Playwright" in n for n in cap.notes)
    for marker, owner in (("from=service-worker", service), ("from=worker", worker)):
        req = request_to(cap, marker)
        assert req.script == owner.id or (req.script is None and unattributed), marker
    shared_reqs = [r for r in cap.requests if "from=shared-worker" in r.url]
    assert all(r.script == shared.id for r in shared_reqs)


async def test_every_request_kind(session: BrowserSession, shop: Shop) -> None:
    page = shop.url("/lab/requests")
    cap = await grab(session, page)
    code = script_at(cap, shop.url("/static/lab/requests.js"))

    parser_img = request_to(cap, "pixel.gif?from=parser")
    assert parser_img.resource_type == "image" and parser_img.script is None
    assert parser_img.status == 200 and parser_img.frame == page
    img = request_to(cap, "pixel.gif?from=image")
    assert img.resource_type == "image" and img.script == code.id

    beacon = request_to(cap, "from=beacon")
    assert (beacon.resource_type, beacon.method, beacon.body) == ("ping", "POST", b"beacon-body")
    assert beacon.script == code.id
    fetch = request_to(cap, "from=fetch")
    assert fetch.resource_type == "fetch" and fetch.body == b'{"from":"fetch"}'
    assert fetch.headers.get("Content-Type") == "application/json"
    xhr = request_to(cap, "from=xhr")
    assert (xhr.resource_type, xhr.body, xhr.script) == ("xhr", b"xhr-body", code.id)
    assert xhr.status == 204

    form = request_to(cap, "/lab/form-sink")
    assert (form.resource_type, form.method, form.body) == ("document", "POST", b"field=form-value")
    nav = request_to(cap, "/lab/navigated.html")
    assert nav.resource_type == "document" and nav.script == code.id

    ws = request_to(cap, "wss://shop.test/ws")
    assert ws.resource_type == "websocket" and ws.script == code.id and ws.status == 101
    assert [(m.url, m.payload, m.script) for m in cap.websocket_messages] == [
        ("wss://shop.test/ws", "ws-hello", code.id)
    ]
    assert cap.response_headers.get("x-shop-fixture") == "1"
    assert "content-security-policy-report-only" in cap.response_headers
    assert all(r.host for r in cap.requests)


@pytest.mark.parametrize("entry", PAGES, ids=[p["path"] for p in PAGES])
async def test_checkout_pages_capture_the_skimmer(
    session: BrowserSession, shop: Shop, entry: dict[str, str]
) -> None:
    page = shop.url(entry["path"])
    cap = await grab(session, page, wait=1.0)
    assert cap.status == 200
    urls = {s.url for s in cap.scripts}
    if entry["expected"] != "malicious":
        assert not {r.host for r in cap.requests} & set(ATTACKER_HOSTS)
        return
    if entry.get("loaded_after") != "typing":  # else it exists only once a card was typed
        assert entry["exfil_script"] in urls
    for key in ("collector_script", "loader_script"):
        if key in entry:
            assert entry[key] in urls, key
    if "loader_script" in entry and entry.get("loaded_after") != "typing":
        loaded = script_at(cap, entry["exfil_script"])
        loader = script_at(cap, entry["loader_script"])
        assert loaded.kind is ScriptKind.DYNAMIC and loader.id in loaded.initiator


def png_pixel(png: bytes, x: int, y: int) -> tuple[int, ...]:
    """One pixel of an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes)."""
    import struct
    import zlib

    pos, data, width = 8, b"", 0
    channels = 4
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        chunk = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width = struct.unpack(">I", chunk[:4])[0]
            channels = {2: 3, 6: 4}[chunk[9]]
        elif kind == b"IDAT":
            data += chunk
        pos += 12 + length
    raw, stride = zlib.decompress(data), width * channels
    previous = bytearray(stride)
    for row in range(y + 1):
        line = raw[row * (stride + 1):(row + 1) * (stride + 1)]
        kind, cur = line[0], bytearray(line[1:])
        for i in range(stride):
            left = cur[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                cur[i] = (cur[i] + left) & 255
            elif kind == 2:
                cur[i] = (cur[i] + up) & 255
            elif kind == 3:
                cur[i] = (cur[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                best = min((abs(p - left), 0, left), (abs(p - up), 1, up),
                           (abs(p - corner), 2, corner))[2]
                cur[i] = (cur[i] + best) & 255
        previous = cur
    return tuple(previous[x * channels:(x + 1) * channels][:3])


async def test_the_screenshot_paints_over_what_the_shopper_typed(
    session: BrowserSession, shop: Shop
) -> None:
    """Issue 13, item 4: the typed canary is not in the report's screenshot."""
    cap = await session.capture(shop.url("/checkout/clean-direct"), timeout=15, wait=0.5,
                                ignore_https_errors=True, shop=True)
    assert cap.screenshot_png and cap.card_field_boxes
    for box in cap.card_field_boxes:
        x, y = int(box["x"] + box["width"] / 2), int(box["y"] + box["height"] / 2)
        assert png_pixel(cap.screenshot_png, x, y) == (0x6B, 0x72, 0x80), box
