"""Schedules (cron, intervals) and the monitoring loop without a browser: a scanner double
returns page reports, so the store, baseline, alert de-duplication and crash containment are
tested as they run in `skimscan watch` — on SQLite and on PostgreSQL (`store_url`)."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

import pytest
import pytest_asyncio
from aiohttp import web

from skimscan.errors import ConfigError
from skimscan.inventory.alert import WebhookConfig
from skimscan.inventory.monitor import CodeKeepingScanner, Monitor
from skimscan.inventory.store import Store
from skimscan.inventory.watch import (
    CronSchedule,
    IntervalSchedule,
    WatchOptions,
    cron_schedule,
    pages_of,
    watch,
)
from skimscan.models import (
    Confidence,
    Finding,
    HostClass,
    RequestRecord,
    ScriptKind,
    ScriptReport,
    Severity,
    TargetKind,
    TargetReport,
    Verdict,
)
from skimscan.pipeline import Engine
from skimscan.scanner import ScanOptions
from tests.fleet.backends import raw

pytest_plugins = ("tests.fleet.stores",)

T0 = datetime(2026, 3, 2, 10, 17, 30, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(("expr", "after", "expected"), [
    ("*/15 * * * *", T0, "2026-03-02 10:30"),
    ("0 3 * * *", T0, "2026-03-03 03:00"),
    ("@daily", T0, "2026-03-03 00:00"),
    ("@hourly", T0, "2026-03-02 11:00"),
    ("0 3 * * mon", T0, "2026-03-09 03:00"),
    ("0 3 * * 0", T0, "2026-03-08 03:00"),  # Sunday as 0
    ("0 3 * * 7", T0, "2026-03-08 03:00"),  # and as 7
    ("30 2 1 * *", T0, "2026-04-01 02:30"),
    ("0 0 29 feb *", T0, "2028-02-29 00:00"),
    ("0 12 13 * fri", T0, "2026-03-06 12:00"),  # both day fields set: either matches
    ("5-10/5 9-17 * jan-mar 1-5", T0, "2026-03-02 11:05"),
    ("0 0 1 1 *", T0, "2027-01-01 00:00"),
])
def test_cron_next(expr: str, after: datetime, expected: str) -> None:
    got = CronSchedule.parse(expr).next_after(after)
    assert got.strftime("%Y-%m-%d %H:%M") == expected
    assert got.tzinfo is UTC


@pytest.mark.parametrize("expr", ["* * * *", "60 * * * *", "* 24 * * *", "0 0 0 * *",
                                  "*/0 * * * *", "5-1 * * * *", "0 0 * foo *", "x y z a b"])
def test_bad_cron(expr: str) -> None:
    with pytest.raises(ConfigError, match="cron"):
        CronSchedule.parse(expr)


def test_own_cron_agrees_with_croniter() -> None:
    croniter = pytest.importorskip("croniter")
    rng = random.Random(7)
    exprs = ["*/7 * * * *", "0 */5 * * *", "15 4 * * 1-5", "0 0 1,15 * *", "0 12 * * sat,sun",
             "0 6 10 * 2", "45 23 31 * *", "0 0 * 2 *", "@weekly", "1-59/13 3 * jun-aug *"]
    for expr in exprs:
        mine = CronSchedule.parse(expr)
        text = {"@weekly": "0 0 * * 0"}.get(expr, expr)
        for _ in range(20):
            start = T0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 400))
            theirs = croniter.croniter(text, start).get_next(datetime)
            assert mine.next_after(start) == theirs, (expr, start)


def test_schedules() -> None:
    assert cron_schedule("0 3 * * *", use_croniter=False) == CronSchedule.parse("0 3 * * *")
    with pytest.raises(ConfigError):
        cron_schedule("not cron at all")
    assert IntervalSchedule(90).next_after(T0) == T0 + timedelta(seconds=90)
    with pytest.raises(ConfigError):
        IntervalSchedule(0)
    assert pages_of([], ["https://a/", "https://b/", "https://a/"]) == ("https://a/",
                                                                        "https://b/")
    assert pages_of(["https://c/"], ["https://a/"]) == ("https://c/",)


# --- the monitoring loop with a scanner double ----------------------------------------------

OK, BOOM, DOWN = "https://shop.test/checkout", "https://shop.test/boom", "https://shop.test/down"
FOUND = "https://shop.test/found"


class FakeScanner(CodeKeepingScanner):
    """Pages from a dict: code of app.js per URL; BOOM raises; DOWN fails like a dead site."""

    def __init__(self, options: ScanOptions, engine: Engine,
                 site: dict[str, str] | None = None) -> None:
        super().__init__(options, engine)
        self.site = site if site is not None else {}

    async def __aenter__(self) -> FakeScanner:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        return None

    async def scan_with_code(self, url: str) -> tuple[TargetReport, dict[str, str]]:
        if url == BOOM:
            raise RuntimeError("capture bug")
        if url == DOWN and self.site.get("down"):
            return TargetReport(url, TargetKind.PAGE, Verdict.ERROR, error="did not load"), {}
        code = self.site.get("app", "var a = 1; init(a);")
        sha = hashlib.sha256(code.encode()).hexdigest()
        script = ScriptReport("s1", "https://shop.test/app.js?v=3", ScriptKind.EXTERNAL, url,
                              sha, len(code), HostClass.FIRST_PARTY, Verdict.CLEAN)
        request = RequestRecord("https://shop.test/app.js?v=3", "GET", "shop.test", "script",
                                host_class=HostClass.FIRST_PARTY)
        findings = tuple(Finding(
            "test-rule", "A test finding", Severity.parse(level), Confidence.HIGH,
            f"{level} thing", script="s1", evidence={"host": "x.test"})
            for level in self.site.get("findings", "").split() if url == FOUND)
        report = TargetReport(url, TargetKind.PAGE, Verdict.CLEAN, scripts=(script,),
                              requests=(request,), findings=findings,
                              headers={"content-security-policy": "script-src 'self'"})
        return report, {"s1": code}


async def test_monitor_baseline_dedup_and_failures(store_url: str, engine: Engine) -> None:
    site: dict[str, str] = {}
    with Store.open(store_url) as store:
        monitor = Monitor(store, engine=engine, scanner=FakeScanner(ScanOptions(), engine, site))
        first = await monitor.check(OK, auto_baseline=True)
        assert first.status == "complete" and first.baselined and first.changes == ()
        site["app"] = "var a = 1; init(a); beacon(a);"
        changed = await monitor.check(OK, auto_baseline=True)
        assert [c.kind.value for c in changed.changes] == ["changed-script"]
        assert changed.alerts == changed.changes and not changed.baselined
        again = await monitor.check(OK, auto_baseline=True)
        assert again.changes == changed.changes and again.alerts == ()
        boom = await monitor.check(BOOM)
        assert boom.status == "incomplete" and "RuntimeError: capture bug" in (boom.error or "")
        assert store.scan(boom.scan_id).status == "incomplete"  # type: ignore[union-attr]
        up = await monitor.check(DOWN, auto_baseline=True)
        site["down"] = "yes"
        down = await monitor.check(DOWN)
        assert up.status == "complete" and down.status == "incomplete"
        assert down.newly_incomplete and down.error == "did not load"
        assert not (await monitor.check(DOWN)).newly_incomplete  # said once, not every time
        assert [c.alerted for c in store.changes(target=OK)] == [True, False]


@pytest_asyncio.fixture
async def hook() -> AsyncIterator[tuple[str, list[bytes]]]:
    got: list[bytes] = []

    async def handle(request: web.Request) -> web.Response:
        got.append(await request.read())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/", got
    finally:
        await runner.cleanup()


async def test_the_schedule_survives_a_crashing_page(store_url: str, engine: Engine,
                                                     hook: tuple[str, list[bytes]]) -> None:
    url, received = hook
    site: dict[str, str] = {}
    clock = [T0]
    slept: list[float] = []
    logs: list[str] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += timedelta(seconds=seconds)
        if clock[0] >= T0 + timedelta(minutes=90):  # between rounds 1 and 2: an edit
            site["app"] = "var a = 1; init(a); exfil(a);"

    options = WatchOptions(pages=(BOOM, OK), db=store_url,
                           schedule=IntervalSchedule(3600), webhook=WebhookConfig(url))
    code = await watch(options, ScanOptions(), lambda: engine, log=logs.append, sleep=sleep,
                       now=lambda: clock[0], max_rounds=3,
                       scanner_factory=lambda o, e: FakeScanner(o, e, site))
    assert code == 3  # the crashing page is incomplete in every round
    assert sum(slept) == pytest.approx(3 * 3600)
    with Store.open(options.db) as store:
        assert [s.status for s in store.scans(target=BOOM)] == ["incomplete"] * 3
        assert [s.status for s in store.scans(target=OK)] == ["complete"] * 3
        assert [a.ok for a in store.alerts()] == [True]
    [body] = received  # one webhook: round 2's change; round 3 is unchanged
    payload = json.loads(body)
    assert [p["target"] for p in payload["pages"]] == [OK]
    assert any("RuntimeError" in line for line in logs)


async def test_once_needs_pages_and_schedule_needs_a_time(tmp_path: Path,
                                                          engine: Engine) -> None:
    with pytest.raises(ConfigError, match="no pages"):
        await watch(WatchOptions(pages=(), db=str(tmp_path / "x.db"), once=True),
                    ScanOptions(), lambda: engine)
    with pytest.raises(ConfigError, match="--cron or --interval"):
        await watch(WatchOptions(pages=(OK,), db=str(tmp_path / "x.db")), ScanOptions(),
                    lambda: engine)


@pytest.mark.parametrize(("watch_yaml", "needle"), [
    ("watch:\n  pages: [https://a.test/]\n  schedule: '0 3 * * *'\n  interval: 60\n",
     "not both"),
    ("watch:\n  pages: [a.test/checkout]\n", "http(s) URLs"),
    ("watch:\n  pages: [https://a.test/]\n  colour: red\n", "unknown key(s) colour in 'watch'"),
    ("watch:\n  pages: [https://a.test/]\n  interval: -5\n", "positive number"),
    ("watch:\n  pages: [https://a.test/]\n  webhook: mailto:x@y\n", "http(s) URL"),
    ("watch: [https://a.test/]\n", "'watch' is a mapping"),
])
def test_policy_watch_section_is_validated(tmp_path: Path, watch_yaml: str, needle: str) -> None:
    from skimscan.policy.policy import load_policy

    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nsites: []\n" + watch_yaml)
    with pytest.raises(ConfigError, match=r"p\.yaml:\d+: .*" + needle.replace("(", r"\(")
                       .replace(")", r"\)").replace("'", "'")):
        load_policy(path)


def test_policy_watch_section(tmp_path: Path) -> None:
    from skimscan.policy.policy import load_policy

    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nsites: []\nwatch:\n  pages: [https://a.test/c]\n"
                    "  schedule: '@daily'\n  webhook: https://hooks.test/x\n")
    w = load_policy(path).watch
    assert w is not None and (w.pages, w.schedule, w.interval, w.webhook) == (
        ("https://a.test/c",), "@daily", None, "https://hooks.test/x")
    path.write_text("version: 1\nsites: []\n")
    assert load_policy(path).watch is None


async def test_first_scan_findings(store_urls: Callable[[], str], engine: Engine) -> None:
    """Lesser findings on a first scan are alerted once and baselined; a blocking one is
    alerted and waits for a person."""
    site = {"findings": "low"}
    with Store.open(store_urls()) as store:
        monitor = Monitor(store, engine=engine, scanner=FakeScanner(ScanOptions(), engine, site))
        first = await monitor.check(FOUND, auto_baseline=True)
        assert [c.kind.value for c in first.alerts] == ["new-finding"] and first.baselined
        assert (await monitor.check(FOUND, auto_baseline=True)).changes == ()
    site = {"findings": "critical"}
    with Store.open(store_urls()) as store:
        monitor = Monitor(store, engine=engine, scanner=FakeScanner(ScanOptions(), engine, site))
        first = await monitor.check(FOUND, auto_baseline=True)
        assert first.blocking == 1 and not first.baselined and len(first.alerts) == 1
        again = await monitor.check(FOUND, auto_baseline=True)
        assert again.alerts == () and len(again.changes) == 1 and store.baseline(FOUND) is None


async def test_rounds_without_a_webhook_raise_only_their_own_alerts(
        store_url: str, engine: Engine, hook: tuple[str, list[bytes]]) -> None:
    """A round without a webhook raises its alerts by exit status (`no-webhook`, never sent
    later); it leaves an earlier undelivered alert queued for the next round that has one."""
    url, received = hook
    site: dict[str, str] = {}
    db = store_url

    async def round_(webhook: WebhookConfig | None) -> int:
        options = WatchOptions(pages=(OK,), db=db, once=True, webhook=webhook)
        return await watch(options, ScanOptions(), lambda: engine, log=lambda line: None,
                           scanner_factory=lambda o, e: FakeScanner(o, e, site))

    assert await round_(None) == 0
    site["app"] = "var a = 1; init(a); beacon(a);"
    assert await round_(None) == 1
    down = WebhookConfig("http://127.0.0.1:9/", attempts=1, timeout=2)
    assert await round_(down) == 0  # raised already (exit status): not sent later
    site["app"] = "var a = 1; init(a); beacon(a, 2);"
    assert await round_(down) == 1  # a new change, and the webhook is down
    assert await round_(None) == 0  # nothing new; the undelivered alert stays queued
    assert await round_(WebhookConfig(url)) == 1 and len(received) == 1
    with Store.open(db) as store:
        assert [(c.scan_id, c.delivery) for c in store.changes() if c.alerted] == [
            (2, "no-webhook"), (4, "delivered")]
    assert [p["scan_id"] for p in json.loads(received[0])["pages"]] == [4]


@pytest.mark.parametrize(("argv", "env", "policy_when", "expected"), [
    # a flag beats a variable: --interval on the command line, SKIMSCAN_CRON in the environment
    (["--interval", "60"], {"SKIMSCAN_CRON": "0 3 * * *"}, "", "every 60 s"),
    (["--cron", "0 4 * * *"], {"SKIMSCAN_CRON": "0 3 * * *"}, "", "cron '0 4 * * *'"),
    # a variable beats the policy file, which comes last
    ([], {"SKIMSCAN_CRON": "0 3 * * *"}, "  interval: 60\n", "cron '0 3 * * *'"),
    (["--interval", "5"], {}, "  schedule: '@daily'\n", "every 5 s"),
    ([], {}, "  interval: 90\n", "every 90 s"),
    ([], {}, "  schedule: '0 5 * * *'\n", "cron '0 5 * * *'"),
])
def test_watch_takes_its_schedule_from_flags_then_variables_then_the_policy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str],
        policy_when: str, expected: str) -> None:
    import skimscan.inventory.watch as watch_module
    from skimscan.cli import main

    seen: list[WatchOptions] = []

    async def fake_watch(options: WatchOptions, *args: object, **kw: object) -> int:
        seen.append(options)
        return 0

    for name in ("SKIMSCAN_CRON", "SKIMSCAN_WEBHOOK", "SKIMSCAN_ONCE", "SKIMSCAN_POLICY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(watch_module, "watch", fake_watch)
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nsites: []\nwatch:\n  pages: [https://a.test/c]\n"
                      + policy_when + "  webhook: https://hooks.test/from-policy\n")
    assert main(["watch", *argv, "--policy", str(policy), "--db", str(tmp_path / "w.db")]) == 0
    [options] = seen
    assert options.schedule is not None and options.schedule.describe() == expected
    assert options.pages == ("https://a.test/c",)
    assert options.webhook is not None and options.webhook.url == "https://hooks.test/from-policy"


async def test_a_baseline_normalised_by_the_previous_scheme_diffs_from_its_original(
        store_url: str, engine: Engine) -> None:
    """A baseline whose stored form the previous normaliser wrote (top-level names positional),
    with its original text kept: after the upgrade a re-minified script is quiet, and a skimmer
    appended to it diffs as exactly its line — names as written, not renumbered."""
    import zlib

    from skimscan.inventory.normalize import normalize_code

    code = "var cfg = window.checkoutConfig || {};\nfunction pay(f) { send(cfg.url, f); }\n"
    site = {"app": code}
    db = store_url
    with Store.open(db) as store:
        monitor = Monitor(store, engine=engine, scanner=FakeScanner(ScanOptions(), engine, site))
        assert (await monitor.check(OK, auto_baseline=True)).baselined
    old = normalize_code(code, scheme=2)
    sha = hashlib.sha256(code.encode()).hexdigest()
    con = raw(db)
    assert con.execute("UPDATE contents SET normalized = ?, ast_hash = ?, normalizer = 2 "
                       "WHERE sha256 = ?", (zlib.compress(old.code.encode()), old.ast_hash,
                                            sha)).rowcount == 1
    for table in ("scan_scripts", "scripts"):
        con.execute(f"UPDATE {table} SET ast_hash = ? WHERE sha256 = ?", (old.ast_hash, sha))
    con.close()
    with Store.open(db) as store:
        monitor = Monitor(store, engine=engine, scanner=FakeScanner(ScanOptions(), engine, site))
        site["app"] = "var cfg=window.checkoutConfig||{};function pay(n){send(cfg.url,n)}"
        assert (await monitor.check(OK)).changes == ()
        site["app"] = code + 'var k = document.getElementById("cc");\n'
        [change] = (await monitor.check(OK)).changes
    rows = change.detail.splitlines()[2:]
    assert [r for r in rows if r[:1] in "+-"] == ['+var k = document.getElementById("cc");']
