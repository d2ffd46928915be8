"""Reports of a real scan of the fixture shop: SARIF validates, and the HTML report of a
compromised checkout renders offline in Chromium and shows the verdict, script and drop host."""

from __future__ import annotations

import asyncio
import json
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Request, Route, async_playwright

from fixtures.shop import Shop
from skimscan.capture.browser import find_chromium, launch_args, running_as_root
from skimscan.capture.page import BrowserSession
from skimscan.models import PageCapture, Report, TargetReport
from skimscan.pipeline import Engine, EngineOptions
from skimscan.policy.policy import SitePolicy
from skimscan.report.html import render_html
from skimscan.report.sarif import sarif_dict
from skimscan.scanner import analyze_capture

from ..test_report_sarif import UNMASKED_PAN, validate_sarif
from .conftest import ROOT

# One worker runs the module, so its shop scan (a module fixture) is made once.
pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.xdist_group("report-html-shop")]
PAGES = json.loads((ROOT / "fixtures" / "shop" / "pages.json").read_text())["pages"]
BA = next(p for p in PAGES if p["path"] == "/checkout/ba")
VIEWPORT = {"width": 1280, "height": 900}
BANNER_RED = (198, 40, 40)  # --red in the report's stylesheet


@dataclass
class ShopScan:
    engine: Engine
    report: Report
    captures: dict[str, PageCapture]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop_scan(session: BrowserSession, shop: Shop) -> AsyncIterator[ShopScan]:
    """Every checkout page captured once, analysed as `Scanner.scan` does (no policy)."""
    engine = Engine(EngineOptions(use_disk_cache=False, jobs=1))
    limit = asyncio.Semaphore(3)

    async def one(path: str) -> tuple[PageCapture, TargetReport]:
        async with limit:
            capture = await session.capture(shop.url(path), timeout=15, wait=0.5,
                                            ignore_https_errors=True)
        return capture, analyze_capture(capture, engine, SitePolicy())

    done = await asyncio.gather(*(one(p["path"]) for p in PAGES))
    report = Report(tuple(t for _, t in done), "0.1.0", "2026-01-01T00:00:00Z",
                    "2026-01-01T00:00:09Z")
    yield ShopScan(engine, report, {t.target: c for c, t in done})


def target_of(scan: ShopScan, path: str) -> TargetReport:
    return next(t for t in scan.report.targets if t.target.endswith(path))


async def test_sarif_of_the_shop_validates_against_the_schema(shop_scan: ShopScan) -> None:
    log = sarif_dict(shop_scan.report, shop_scan.engine.rules)
    validate_sarif(log)
    results = log["runs"][0]["results"]
    assert len(results) == sum(len(t.findings) for t in shop_scan.report.targets)
    assert all("skimscan/v1" in r["partialFingerprints"] for r in results)
    # every compromised page has an error-level result at its exfiltrating script or drop host
    for page in (p for p in PAGES if p["expected"] == "malicious"):
        target = target_of(shop_scan, page["path"])
        mine = [r for r in results if r["properties"]["target"] == target.target
                and r["level"] == "error"]
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in mine}
        hosts = {r["properties"]["evidence"].get("host") for r in mine}
        wanted = {page.get("exfil_script"), page.get("collector_script")} - {None}
        assert uris & wanted or page["drop_host"] in hosts, (page["path"], uris, hosts)
    [ba] = [r for r in results if r["ruleId"] == "card-data-to-untrusted-host"
            and r["properties"]["target"].endswith("/checkout/ba")]
    assert ba["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == BA["exfil_script"]
    steps = ba["codeFlows"][0]["threadFlows"][0]["locations"]
    assert steps[-1]["location"]["message"]["text"] == "sent by xhr"


def png_pixel(png: bytes, x: int, y: int) -> tuple[int, int, int]:
    """The RGB of one pixel of an 8-bit, non-interlaced RGB or RGBA PNG (Chromium's)."""
    width = struct.unpack(">I", png[16:20])[0]
    depth, color, interlace = png[24], png[25], png[28]
    assert depth == 8 and color in (2, 6) and interlace == 0
    data, pos = b"", 8
    while pos < len(png):
        size = struct.unpack(">I", png[pos:pos + 4])[0]
        if png[pos + 4:pos + 8] == b"IDAT":
            data += png[pos + 8:pos + 8 + size]
        pos += 12 + size
    raw = zlib.decompress(data)
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    previous = bytearray(stride)
    for row in range(y + 1):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], (previous[i - bpp] if i >= bpp else 0)
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 0xFF
        previous = line
    r, g, b = previous[x * bpp:x * bpp + 3]
    return r, g, b


def near(color: tuple[int, int, int], wanted: tuple[int, int, int], slack: int = 12) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(color, wanted, strict=True))


async def test_html_report_renders_offline_in_chromium(shop_scan: ShopScan,
                                                       tmp_path: Path) -> None:
    target = target_of(shop_scan, BA["path"])
    capture = shop_scan.captures[target.target]
    report = Report((target,), "0.1.0", "2026-01-01T00:00:00Z", "2026-01-01T00:00:03Z")
    html = render_html(report, shop_scan.engine.rules, {s.id: s for s in capture.scripts})
    assert not UNMASKED_PAN.search(html.split("base64,", 1)[0])
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    url = path.as_uri()

    problems: list[str] = []
    outside: list[str] = []

    async def only_the_file(route: Route, request: Request) -> None:
        if request.url == url or request.url.startswith("data:"):
            await route.continue_()
        else:
            outside.append(request.url)
            await route.abort()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=find_chromium(managed_path=pw.chromium.executable_path),
            args=launch_args(), chromium_sandbox=not running_as_root())
        try:
            context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            await context.route("**/*", only_the_file)
            page = await context.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            await page.goto(url, wait_until="load")

            verdict = await page.inner_text("#verdict")
            assert "Malicious" in verdict
            assert BA["exfil_script"] in verdict and BA["drop_host"] in verdict
            finding = page.locator('article[data-rule="card-data-to-untrusted-host"]')
            assert await finding.count() == 1
            text = await finding.inner_text()
            assert BA["exfil_script"] in text and BA["drop_host"] in text
            assert await finding.locator("pre.code mark").count() >= 2  # the taint path
            graph_edge = page.locator("svg.graph path.edge.card title")
            assert BA["drop_host"] in await graph_edge.first.text_content() or ""
            shot_ok = await page.evaluate(
                "[...document.images].every(i => i.complete && i.naturalWidth > 1000)")
            assert shot_ok, "the page screenshot did not decode"

            screenshot = await page.screenshot()
            (tmp_path / "report.png").write_bytes(screenshot)
            await page.screenshot(path=str(tmp_path / "report-full.png"), full_page=True)
            # the screenshot itself shows the verdict banner and the first finding on arrival
            assert near(png_pixel(screenshot, 8, 8), BANNER_RED)
            badge = await finding.locator(".badge").bounding_box()
            assert badge is not None and badge["y"] + badge["height"] < VIEWPORT["height"]
            # left edge of the red 'critical' pill, half-way down (clear of its white letters)
            x, y = int(badge["x"] + 3), int(badge["y"] + badge["height"] / 2)
            assert near(png_pixel(screenshot, x, y), BANNER_RED, 20)
        finally:
            await browser.close()
    assert outside == [], outside
    assert problems == [], problems
