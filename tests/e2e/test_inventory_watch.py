"""Change detection end to end: real Chromium scans of a small shop served from a tmp folder that
the tests modify between scans, then `skimscan watch --once` with a local webhook receiver.

The shop (`shop.inv.test`) and a third-party CDN (`cdn.thirdparty.test`) are both this test's
own aiohttp server, reached through a confined host map (nothing leaves the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from aiohttp import web

from skimscan.capture.hostmap import HostMap
from skimscan.errors import ConfigError, SkimscanError
from skimscan.inventory import commands
from skimscan.inventory.alert import SIGNATURE_HEADER, verify_signature
from skimscan.inventory.monitor import CodeKeepingScanner, Monitor
from skimscan.inventory.store import Store
from skimscan.pipeline import Engine, EngineOptions
from skimscan.policy.policy import load_policy
from skimscan.scanner import ScanOptions

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

SHOP, CDN = "shop.inv.test", "cdn.thirdparty.test"
PAGE = f"http://{SHOP}/checkout"
CSP = "script-src 'self' http://cdn.thirdparty.test 'unsafe-inline'; frame-src 'none'"

APP_JS = """\
// Checkout totals (first-party). Build 2026-11-02.
(function () {
  var items = window.cartItems || [];
  function total(list) {
    var sum = 0;
    for (var i = 0; i < list.length; i++) {
      sum = sum + list[i].price * list[i].qty;
    }
    return sum;
  }
  var el = document.getElementById('total');
  if (el) { el.textContent = String(total(items)); }
})();
"""
# The same code, re-minified: other local names, no comments or whitespace, other quotes.
APP_JS_REMINIFIED = (
    "!function(){var t=window.cartItems||[];function n(t){for(var n=0,e=0;e<t.length;e++)"
    "n=n+t[e].price*t[e].qty;return n}var e=document.getElementById(\"total\");"
    "e&&(e.textContent=String(n(t)))}();\n"
)
LIB_JS = "window.fmt = function (n) { return n.toFixed(2); };\n"
WIDGET_JS = "(function () { var d = document.createElement('div'); d.id = 'reviews';" \
            " document.body.appendChild(d); })();\n"
APPENDED = "document.title = document.title + ' ';\n"


def page_html(app: str = "/js/app.js?v=1", lib: str = "/vendor/lib.3f2a9c1b.js",
              extra: str = "") -> str:
    return f"""<!doctype html><html><head><title>Checkout</title>
<script>window.cartItems = [{{"price": 10, "qty": 2}}];</script>
<script src="{lib}"></script>
</head><body><h1>Checkout</h1><p id="total"></p>
<script src="{app}"></script>{extra}
</body></html>"""


@dataclass
class LocalShop:
    root: Path
    port: int = 0
    runner: web.AppRunner | None = None
    hooks: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    hook_failures: int = 0  # answer the next N webhook deliveries with 503

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def set_headers(self, headers: dict[str, str]) -> None:
        self.write("headers.json", json.dumps(headers))

    def reset(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.write(f"{SHOP}/checkout.html", page_html())
        self.write(f"{SHOP}/js/app.js", APP_JS)
        self.write(f"{SHOP}/vendor/lib.3f2a9c1b.js", LIB_JS)
        self.write(f"{CDN}/widget.js", WIDGET_JS)
        self.set_headers({"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
                          "Referrer-Policy": "strict-origin-when-cross-origin"})

    def host_map(self) -> HostMap:
        return HostMap.parse(self.map_specs(), confine=True)

    def map_specs(self) -> list[str]:
        return [f"{SHOP}=127.0.0.1:{self.port}", f"{CDN}=127.0.0.1:{self.port}"]

    @property
    def hook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/hook" and request.method == "POST":
            body = await request.read()
            if self.hook_failures > 0:
                self.hook_failures -= 1
                return web.Response(status=503)
            self.hooks.append((body, dict(request.headers)))
            return web.Response(text="ok")
        host = (request.host or "").split(":")[0].lower()
        if host not in (SHOP, CDN):
            return web.Response(status=404)
        rel = request.path.lstrip("/")
        path = self.root / host / rel
        if not path.is_file():
            path = path.with_name(path.name + ".html")
        if not path.is_file():
            return web.Response(status=404)
        headers: dict[str, str] = {}
        ctype = "text/html" if path.suffix == ".html" else "application/javascript"
        if ctype == "text/html":
            headers = json.loads((self.root / "headers.json").read_text())
        return web.Response(body=path.read_bytes(), content_type=ctype, headers=headers)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def local_shop(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalShop]:
    shop = LocalShop(tmp_path_factory.mktemp("inv-shop"))
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", shop.handle)
    shop.runner = web.AppRunner(app)
    await shop.runner.setup()
    site = web.TCPSite(shop.runner, "127.0.0.1", 0)
    await site.start()
    shop.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    shop.reset()
    try:
        yield shop
    finally:
        await shop.runner.cleanup()


@pytest.fixture
def fresh(local_shop: LocalShop) -> Iterator[LocalShop]:
    local_shop.reset()
    local_shop.hooks.clear()
    local_shop.hook_failures = 0
    yield local_shop
    local_shop.reset()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scanner(local_shop: LocalShop) -> AsyncIterator[CodeKeepingScanner]:
    options = ScanOptions(host_map=local_shop.host_map(), wait=0.3, timeout=15, shop=False)
    engine = Engine(EngineOptions(use_disk_cache=False, jobs=1))
    async with CodeKeepingScanner(options, engine) as s:
        yield s


def kinds(changes: object) -> list[tuple[str, str]]:
    return sorted((c.kind.value, c.subject) for c in changes)  # type: ignore[attr-defined]


async def test_change_scenarios_raise_exactly_the_expected_changes(
        fresh: LocalShop, scanner: CodeKeepingScanner, tmp_path: Path) -> None:
    with Store.open(tmp_path / "inv.db") as store:
        monitor = Monitor(store, scanner=scanner, engine=scanner.engine)

        async def check() -> object:
            result = await monitor.check(PAGE)
            assert result.status == "complete", result.error
            return result

        first = await check()
        assert first.changes == ()  # type: ignore[attr-defined]
        store.set_baseline(PAGE, first.scan_id, "test")  # type: ignore[attr-defined]
        snap = store.snapshot(first.scan_id)  # type: ignore[attr-defined]
        assert {s.key for s in snap.scripts} >= {f"http://{SHOP}/js/app.js",
                                                 f"http://{SHOP}/vendor/lib.*.js"}
        assert snap.headers["content-security-policy"] == CSP

        # Unchanged: nothing.
        assert (await check()).changes == ()  # type: ignore[attr-defined]

        # Cache-busting renames (query and hashed file name) and a re-minified body: quiet.
        fresh.write(f"{SHOP}/vendor/lib.9e8d7c6b5a.js", LIB_JS)
        fresh.write(f"{SHOP}/js/app.js", APP_JS_REMINIFIED)
        fresh.write(f"{SHOP}/checkout.html",
                    page_html(app="/js/app.js?v=2&_=1764000000", lib="/vendor/lib.9e8d7c6b5a.js"))
        quiet = await check()
        assert quiet.changes == (), [c.summary() for c in quiet.changes]  # type: ignore[attr-defined]
        now = store.snapshot(quiet.scan_id)  # type: ignore[attr-defined]
        assert {s.url for s in now.scripts} >= {f"http://{SHOP}/js/app.js?v=2&_=1764000000"}
        fresh.reset()

        # A line appended to a first-party file in place: one changed-script, with the line.
        fresh.write(f"{SHOP}/js/app.js", APP_JS + APPENDED)
        changed = await check()
        assert kinds(changed.changes) == [  # type: ignore[attr-defined]
            ("changed-script", f"http://{SHOP}/js/app.js")]
        diff = changed.changes[0].detail  # type: ignore[attr-defined]
        added = [line for line in diff.splitlines() if line.startswith("+") and
                 not line.startswith("+++")]
        assert added == ['+document.title = document.title + " ";']
        fresh.reset()

        # A new third-party script: the script and its host, nothing else.
        fresh.write(f"{SHOP}/checkout.html",
                    page_html(extra=f'<script src="http://{CDN}/widget.js"></script>'))
        third = await check()
        assert kinds(third.changes) == [  # type: ignore[attr-defined]
            ("new-host", CDN), ("new-script", f"http://{CDN}/widget.js")]
        fresh.reset()

        # The CSP header changed: one changed-header, directive by directive.
        fresh.set_headers({"Content-Security-Policy": CSP.replace("'unsafe-inline'",
                                                                  "'unsafe-inline' https:"),
                           "X-Frame-Options": "DENY",
                           "Referrer-Policy": "strict-origin-when-cross-origin"})
        header = await check()
        assert kinds(header.changes) == [  # type: ignore[attr-defined]
            ("changed-header", "content-security-policy")]
        assert "+ script-src: https:" in header.changes[0].detail  # type: ignore[attr-defined]
        fresh.reset()

        # Back to the approved state: quiet again; every scan is on record.
        assert (await check()).changes == ()  # type: ignore[attr-defined]
        assert [s.status for s in store.scans(target=PAGE)] == ["complete"] * 7
        assert {c.kind for c in store.changes(target=PAGE)} == {
            "changed-script", "new-script", "new-host", "changed-header"}


def cli_main(argv: list[str]) -> int:
    """What `skimscan.cli.main` does with the registered subcommands (see the wiring patch)."""
    parser = argparse.ArgumentParser(prog="skimscan")
    sub = parser.add_subparsers(dest="command")
    commands.register(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SkimscanError as exc:
        print(f"skimscan: {exc}")
        return 2


async def cli(argv: list[str]) -> int:
    """In a thread, so that the shop and the webhook receiver (on this loop) keep answering."""
    return await asyncio.to_thread(cli_main, argv)


async def test_watch_once_alerts_once_per_change(fresh: LocalShop, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIMSCAN_WEBHOOK_SECRET", "s3cret")
    db = str(tmp_path / "watch.db")
    maps = [a for spec in fresh.map_specs() for a in ("--map-host", spec)]
    argv = ["watch", "--once", PAGE, "--db", db, "--webhook", fresh.hook_url, *maps,
            "--wait", "0.3", "--no-cache"]
    # First run: recorded and approved as the baseline; nothing to say.
    assert await cli(argv) == 0
    assert fresh.hooks == []
    # The script is modified in place: exactly one webhook, signed, naming the change.
    fresh.write(f"{SHOP}/js/app.js", APP_JS + APPENDED)
    assert await cli(argv) == 1
    assert len(fresh.hooks) == 1
    body, headers = fresh.hooks[0]
    assert verify_signature("s3cret", body, headers.get(SIGNATURE_HEADER))
    payload = json.loads(body)
    [page] = payload["pages"]
    assert [c["kind"] for c in page["changes"]] == ["changed-script"]
    assert "script changed" in payload["text"] and "document.title" in payload["text"]
    # Unchanged re-run: the change is still there, but it was already alerted.
    assert await cli(argv) == 0
    assert len(fresh.hooks) == 1
    # The diff command still sees it (until someone approves the new state).
    assert await cli(["diff", "--no-scan", PAGE, "--db", db]) == 1
    with Store.open(db) as store:
        assert [a.ok for a in store.alerts()] == [True]
        assert [s.status for s in store.scans(target=PAGE)] == ["complete"] * 3


async def test_cli_policy_init_baseline_inventory_history(
        fresh: LocalShop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")
    policy = tmp_path / "policy.yaml"
    maps = [a for spec in fresh.map_specs() for a in ("--map-host", spec)]
    scan = [*maps, "--wait", "0.3", "--no-cache", "--no-shop", "--db", db]
    assert await cli(["policy", "init", PAGE, "-o", str(policy), *scan]) == 0
    text = policy.read_text()
    assert f'"http://{SHOP}/js/app.js*"' in text  # cache-busting query → a glob
    assert f'"http://{SHOP}/vendor/lib.*.js*"' in text
    assert "inline:" in text
    with pytest.raises(ConfigError, match="needs a written 'owner'"):
        load_policy(policy)  # nobody has justified anything yet
    data = yaml.safe_load(text)
    for script in data["sites"][0]["scripts"]:
        script["owner"], script["justification"] = "Web team", "Checkout page code"
    policy.write_text(yaml.safe_dump(data))
    assert load_policy(policy).watch is not None

    assert await cli(["baseline", PAGE, *scan, "--policy", str(policy), "--by", "auditor"]) == 0
    assert await cli(["diff", PAGE, *scan, "--policy", str(policy)]) == 0
    capsys.readouterr()
    assert await cli(["inventory", "--db", db, "--format", "csv", "--policy", str(policy)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("target,key,url,kind")
    assert len(rows) == 1 + 3 and all(",approved,Web team," in r for r in rows[1:])
    assert await cli(["inventory", "--db", db, "--propose"]) == 0
    proposal = capsys.readouterr().out
    assert "script-src 'self' 'sha256-" in proposal
    assert 'integrity="sha384-' in proposal
    assert await cli(["history", "--db", db, "--format", "json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [s["status"] for s in history["scans"]] == ["complete"] * 3
