"""Scanning the fixture shop end to end: real Chromium, real pages, verdicts with attribution."""

from __future__ import annotations

import asyncio
import json

import pytest

from fixtures.shop import Shop
from skimscan.cli import main
from skimscan.models import Report, Verdict

from .conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
PAGES = json.loads((ROOT / "fixtures" / "shop" / "pages.json").read_text())["pages"]


@pytest.fixture
def shop_report(checkout_report: Report) -> Report:
    """Every checkout page, scanned once per session (conftest.checkout_report)."""
    return checkout_report


# The shop scan is a session fixture (conftest.checkout_scan) test_canary_shop reads too: its
# worker makes it once for both.
same_scan = pytest.mark.xdist_group("canary-shop")


@same_scan
@pytest.mark.parametrize("page", PAGES, ids=[p["path"] for p in PAGES])
async def test_checkout_page_verdict(page: dict[str, str], shop_report: Report) -> None:
    target = next(t for t in shop_report.targets if t.target.endswith(page["path"]))
    assert target.error is None
    blocking = [f for f in target.findings if f.is_blocking]
    if page["expected"] == "clean":
        assert target.verdict is not Verdict.MALICIOUS, [f.message for f in blocking]
        return
    if page["expected"] == "suspicious":  # a leak to the merchant's own vendor, not a skimmer
        assert target.verdict is Verdict.SUSPICIOUS, [f.message for f in blocking]
        assert blocking and all("data-leak" in f.tags for f in blocking)
        return
    assert target.verdict is Verdict.MALICIOUS
    # The exfiltrating (or collecting) script is named, or the drop host is.
    scripts = {s.id: s.url for s in target.scripts}
    wanted = {page.get("exfil_script"), page.get("collector_script")} - {None}
    named = {scripts.get(f.script or "") for f in blocking}
    hosts = {str(f.evidence.get("host")) for f in blocking}
    assert named & wanted or page["drop_host"] in hosts, (named, hosts)


@same_scan
async def test_scripts_requests_and_headers_recorded(shop_report: Report) -> None:
    target = next(t for t in shop_report.targets if t.target.endswith("/checkout/clean"))
    kinds = {s.kind.value for s in target.scripts}
    assert {"external", "inline", "dynamic"} <= kinds
    frames = {s.frame for s in target.scripts}
    assert any(f and "js.stripe.com" in f for f in frames)  # the processor's cross-site iframe
    assert all(len(s.sha256) == 64 for s in target.scripts)
    assert any(r.host == "www.google-analytics.com" for r in target.requests)
    assert "content-security-policy-report-only" in target.headers
    assert target.page["card_fields"]  # found in the processor frame's DOM


async def cli(args: list[str]) -> int:
    """The CLI in a thread, so that the shop (on this event loop) keeps answering."""
    return await asyncio.to_thread(main, args)


async def test_cli_scan_exit_codes(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    maps = [a for spec in shop.map_host_specs() for a in ("--map-host", spec)]
    base = ["scan", *maps, "--ignore-https-errors", "--no-cache", "--wait", "0.5", "-f", "json"]
    assert await cli([*base, shop.url("/checkout/clean-direct")]) == 0
    capsys.readouterr()
    assert await cli([*base, shop.url("/checkout/ba")]) == 1
    capsys.readouterr()
    # A page that cannot load makes the scan incomplete (3), and the other page still completes.
    code = await cli([*base, "--timeout", "5", shop.url("/hostile/redirect-loop"),
                      shop.url("/checkout/ba")])
    data = json.loads(capsys.readouterr().out)
    assert code == 3
    verdicts = {t["target"].rsplit("/", 1)[-1]: t["verdict"] for t in data["targets"]}
    assert verdicts == {"redirect-loop": "error", "ba": "malicious"}


async def test_cli_no_browser_mode(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    maps = [a for spec in shop.map_host_specs() for a in ("--map-host", spec)]
    code = await cli(["scan", *maps, "--ignore-https-errors", "--no-cache", "--no-browser", "-f",
                 "json", shop.url("/checkout/ba")])
    [target] = json.loads(capsys.readouterr().out)["targets"]
    assert code == 1 and target["verdict"] == "malicious"
    assert any("static" in n.lower() or "browser" in n.lower() for n in target["notes"])
