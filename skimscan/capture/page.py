"""STAGE 1 (capture): load pages in Chromium and record everything they do.

`BrowserSession` is an async context manager holding one browser; `capture()` loads one URL in a
fresh browser context (a new visitor: once-per-visitor skimmers fire) and returns a `PageCapture`.
Several `capture()` calls may run concurrently on one session (`asyncio.gather`).

What is recorded, and how (see `recorder.py` for the details):
- every script, through the DevTools debugger of the page and, by auto-attach, of every
  out-of-process iframe, dedicated worker, and (browser-wide auto-attach, filtered to this
  context) shared and service worker — each target paused at start until recording is on;
- every request with its initiating script, WebSocket frames sent, popups opened;
- the rendered HTML of each frame, a full-page screenshot, the document's response headers;
- with `shop=True` (issue 4): the in-page instrumentation (instrument.py) in every frame, the
  checkout `steps`, then the simulated shopper (shopper.py) typing a canary card unique to the
  capture and pressing pay, under quarantine (quarantine.py) unless `live`; then `wait` seconds
  more for delayed skimmers. The capture records the canary, what the instrumentation saw, the
  environment checks it saw (`gates`) and what the shopper did (`interaction`).

Invariants:
- A capture always ends: a hard deadline (`timeout + wait + GRACE`) bounds it, after which the
  context is closed and `TargetError` raised; a hostile page (redirect loops, endless loading,
  busy loops, dialogs, downloads, popups, crashes, huge responses) never hangs or crashes a scan.
- The browser context is closed on every path, cancellation included; the browser is closed
  (and, if it will not close, its process ended by id) when the session exits.
- A target that cannot be loaded raises `TargetError` with a reason a user can act on.
- Requests may be answered locally (`answer_locally(host)` → 204, recorded `quarantined`); the
  scanner itself never needs the internet (`confine` makes unmapped names unresolvable).
- When shopping: the quarantine is armed before the first keystroke of card data, and the pay
  submission is held before the button is pressed (never sent, `live` or not); each browser
  context is a fresh profile (once-per-visitor skimmers fire), with a desktop screen larger
  than the window.
- Playwright's own helper scripts are never reported; nothing is evaluated in the page's world.

Known limits (each becomes a note on the capture when it happens):
- Playwright's own DevTools sessions let a new worker run as soon as they attach it, so a worker
  can start before our recording is on in it: its scripts are still captured (the debugger
  replays them), its first requests are taken from Playwright's view without an initiator, and a
  shared worker's first requests can be missed.
- Requests the browser starts without a JavaScript stack (a form submitted, a resource set while
  the parser runs) carry no initiating script.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Download,
    Frame,
    Page,
    Playwright,
    Request,
    Response,
    Route,
    async_playwright,
)
from playwright.async_api import (
    Error as PlaywrightError,
)

from skimscan.capture import browser as browser_mod
from skimscan.capture import instrument
from skimscan.capture.cdp import CdpSession, CdpTree
from skimscan.capture.egress import Decision, EgressProxy
from skimscan.capture.egress import Verdict as EgressVerdict
from skimscan.capture.hostmap import HostMap
from skimscan.capture.quarantine import Quarantine, Trust, default_trust
from skimscan.capture.recorder import Recorder
from skimscan.capture.revisit import fold_repeated_scripts
from skimscan.capture.shopper import (
    Shopper,
    dispatch_everywhere,
    dispatch_leaving,
    synthesis_config,
)
from skimscan.capture.steps import Step, shop_enabled, steps_budget
from skimscan.capture.tls import MitmIdentity, make_mitm_identity
from skimscan.errors import BrowserNotFoundError, TargetError
from skimscan.models import Canary, FrameSnapshot, InstrumentEvent, PageCapture, RequestRecord

log = logging.getLogger(__name__)

#: Extra seconds past `timeout + wait` for collecting and closing, before the hard deadline.
GRACE = 12.0
#: Extra seconds for the shopper (finding fields, typing, pressing pay) when shopping.
INTERACT_BUDGET = 20.0
#: late stages let through the quarantine per page, each once
MAX_LATE_STAGES = 3
#: what the screenshot paints over: every field a shopper types into
_TEXT_FIELDS = ("input:not([type=hidden]):not([type=submit]):not([type=button])"
                ":not([type=checkbox]):not([type=radio]):not([type=image]), textarea")
MASKED_FRAMES = 40
#: page time run after each hop of a clock jump (the timers a hop made due, and their sends)
HOP_RUN_MS = 250
#: page time run between the shopper's passes (a form shown seconds after pay is pressed)
BETWEEN_PASSES_MS = 8000
VIEWPORT = {"width": 1366, "height": 768}
SCREEN = {"width": 1920, "height": 1080}  # a desktop whose window is not maximised
#: Geo-IP services: a script asking them where the visitor is may be gated on the answer.
GEO_IP_HOSTS = ("ip-api.com", "ipapi.co", "ipinfo.io", "ipgeolocation.io", "freegeoip.app",
                "geolocation-db.com", "extreme-ip-lookup.com", "ipwho.is", "ipwhois.app",
                "api.ipify.org", "geoip-db.com", "db-ip.com", "ip2location.io")
MAX_FRAME_HTML = 5_000_000
MAX_CONSOLE = 100
_SERVICE_WORKER_FILTER = [
    {"type": "service_worker", "exclude": False},
    {"type": "shared_worker", "exclude": False},
    {"exclude": True},
]


def desktop_user_agent(browser_version: str, *, windows: bool = False) -> str:
    """A normal desktop Chrome UA (reduced form, as Chrome sends it) for this major version:
    on Linux, as the browser runs; with `windows`, on Windows like most shoppers' — only where
    the instrumentation makes `navigator.platform` and the client hints say the same
    (`instrument.PLATFORM`), so that nothing contradicts it."""
    major = browser_version.split(".")[0] if browser_version else "0"
    if not major.isdigit():
        major = "0"
    system = "Windows NT 10.0; Win64; x64" if windows else "X11; Linux x86_64"
    return (
        f"Mozilla/5.0 ({system}) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Safari/537.36"
    )


#: what a frame of a host answered inside the browser loads: an empty document
_EMPTY_FRAME = b"<!doctype html><title></title>"

@dataclass(frozen=True, slots=True)
class CaptureOptions:
    """Session-wide settings; per-target ones are `capture()` arguments."""

    host_map: HostMap = field(default_factory=HostMap)
    executable: str | None = None
    extra_args: tuple[str, ...] = ()
    #: Requests to hosts for which this returns True are answered locally (204), never sent.
    answer_locally: Callable[[str], bool] | None = None
    max_script_bytes: int = 20_000_000
    max_body_bytes: int = 1_000_000
    screenshot: bool = True
    user_agent: str | None = None
    #: milliseconds between key presses when the shopper types the card
    typing_delay: float = 2.0
    #: `--ignore-https-errors` for the whole browser (service workers included), not only for
    #: each context
    ignore_https_errors: bool = False
    #: `--allow-private`: pages may make the browser connect to non-public addresses (else only
    #: the page's own, and what the host map maps)
    allow_private: bool = False


@dataclass(frozen=True, slots=True)
class Acceleration:
    """Advance the page's clock (Playwright's clock API) so that code waiting for a delay runs
    now: before the shopper types, and again after the pay button. A jump is made in `hops`:
    timers due within a hop fire once (`fast_forward`), and a short span after each hop and
    around the jump runs every timer (`run_for`), so chains of delays (a wait, then a poll)
    complete within one jump."""

    jump_ms: int = 15 * 60 * 1000
    run_ms: int = 3000
    #: the jump before the shopper (None: `jump_ms`). Page scans jump less there — past the
    #: seconds-to-minutes kits wait before installing their listeners, not past a checkout's
    #: own session timeout
    before_ms: int | None = None

    def span(self, when: str) -> int:
        """How far the clock jumps `when` ("before the shopper", or after it)."""
        if when == "before the shopper" and self.before_ms is not None:
            return self.before_ms
        return self.jump_ms

    #: the jump is made in this many hops: a timer set by a timer (a chain of delays, a poll
    #: started after a wait) fires within the same jump when each delay fits in a hop
    hops: int = 8

    async def advance(self, clock: Any, ms: int) -> None:
        await clock.run_for(self.run_ms)
        hops = max(1, min(self.hops, ms // 5000))
        for _ in range(hops):
            await clock.fast_forward(ms // hops)
            await clock.run_for(HOP_RUN_MS)
        await clock.run_for(self.run_ms)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line.removeprefix("Error: ").strip()


def _explain_navigation_error(url: str, exc: BaseException) -> str:
    text = _first_line(exc)
    code_match = re.search(r"net::ERR_[A-Z_]+", text)
    code = code_match.group(0) if code_match else ""
    if "ERR_CERT" in code or "SSL" in code:
        return (
            f"TLS certificate of {url} is not trusted ({code}); "
            "pass --ignore-https-errors for staging servers or self-signed certificates"
        )
    if code == "net::ERR_TOO_MANY_REDIRECTS":
        return f"{url} redirects in a loop ({code})"
    if code == "net::ERR_NAME_NOT_RESOLVED":
        return f"the host of {url} could not be resolved ({code})"
    if "Download is starting" in text:
        return f"{url} starts a download instead of showing a page (downloads are refused)"
    if code:
        return f"could not load {url} ({code})"
    if "Timeout" in text:
        return f"{url} did not respond in time ({text})"
    return f"could not load {url}: {text}"


class BrowserSession:
    """One Chromium for many captures. Use as `async with BrowserSession(...) as s`."""

    def __init__(
        self,
        options: CaptureOptions | None = None,
        *,
        host_map: HostMap | None = None,
        **overrides: Any,
    ) -> None:
        opts = options or CaptureOptions()
        if host_map is not None:
            overrides["host_map"] = host_map
        if overrides:
            from dataclasses import replace

            opts = replace(opts, **overrides)
        self.options = opts
        self.instance = uuid.uuid4().hex
        self._pw_cm: Any = None
        self._pw: Playwright | None = None
        self._browser: Browser | None = None
        self._browser_tree: CdpTree | None = None
        self._recorders: dict[str, Recorder] = {}
        self._handoffs: set[str] = set()
        self._cleanup: set[asyncio.Task[None]] = set()
        self._fetch_limit: asyncio.Semaphore | None = None
        self.egress: MitmIdentity | None = None
        self.browser_version = ""

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> BrowserSession:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        self._fetch_limit = asyncio.Semaphore(16)
        self._pw_cm = async_playwright()
        self._pw = await self._pw_cm.start()
        try:
            self.egress = await asyncio.to_thread(make_mitm_identity)
            self._browser = await browser_mod.launch(
                self._pw,
                executable=self.options.executable,
                instance=self.instance,
                extra_args=self.options.extra_args,
                egress_spki=self.egress.spki_sha256,
                ignore_certificate_errors=self.options.ignore_https_errors,
            )
            self.browser_version = self._browser.version
            cdp = await self._browser.new_browser_cdp_session()
            self._browser_tree = CdpTree(
                cdp,
                on_event=self._on_browser_event,
                on_attach=self._on_browser_attach,
                root_type="browser",
                on_root_attach=self._on_flat_worker,
            )
            await self._browser_tree.root.send(
                "Target.setAutoAttach",
                {
                    "autoAttach": True,
                    "waitForDebuggerOnStart": True,
                    "flatten": True,
                    "filter": _SERVICE_WORKER_FILTER,
                },
            )
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close everything; bounded in time; safe to call twice."""
        if self._cleanup:
            await asyncio.wait(list(self._cleanup), timeout=10)
        if self._browser_tree is not None:
            self._browser_tree.close()
            self._browser_tree = None
        browser, self._browser = self._browser, None
        if browser is not None:
            try:
                await asyncio.wait_for(browser.close(), 10)
            except (Exception, asyncio.CancelledError) as exc:
                log.warning("Chromium did not close cleanly (%s); ending it", _first_line(exc))
        pw_cm, self._pw_cm, self._pw = self._pw_cm, None, None
        if pw_cm is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pw_cm.__aexit__(None, None, None), 10)
        self._kill_leftovers()

    def _kill_leftovers(self) -> None:
        for pid in browser_mod.find_instance_pids(self.instance):
            log.warning("ending leftover Chromium process %d", pid)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    # ------------------------------------------------------------------ browser-wide workers
    def _recorder_for(self, session: CdpSession) -> Recorder | None:
        node: CdpSession | None = session
        while node is not None:
            if node.browser_context_id:
                return self._recorders.get(node.browser_context_id)
            node = node.parent
        return None

    def _on_browser_event(self, session: CdpSession, method: str, params: dict[str, Any]) -> None:
        if session.is_root:
            return
        recorder = self._recorder_for(session)
        if recorder is not None:
            recorder.on_event(session, method, params)

    def _on_flat_worker(self, params: dict[str, Any]) -> bool:
        """A shared/service worker, paused at start by browser-wide (flat) auto-attach.

        Playwright's CDPSession cannot reach flat child sessions, and browser-level auto-attach
        must be flat; so attach a second, non-flat session we can drive, set it up, and only
        then detach the flat one, which lets the worker run.
        """
        info = params.get("targetInfo", {})
        target_id = str(info.get("targetId", ""))
        if target_id in self._handoffs:
            return True  # our own non-flat session to it: the tree must not adopt it twice
        self._handoffs.add(target_id)
        tree = self._browser_tree
        if tree is not None:
            tree.spawn(self._handoff(tree, params))
        return True

    async def _handoff(self, tree: CdpTree, params: dict[str, Any]) -> None:
        info = params.get("targetInfo", {})
        try:
            recorder = self._recorders.get(str(info.get("browserContextId", "")))
            if recorder is not None and not recorder.frozen:
                res = await tree.root.try_send(
                    "Target.attachToTarget", {"targetId": info.get("targetId"), "flatten": False}
                )
                if res and res.get("sessionId"):
                    child = tree.adopt(str(res["sessionId"]), info)
                    await recorder.setup_session(child)
                else:
                    recorder.note(f"{info.get('type')} {info.get('url')} could not be inspected")
        finally:
            await tree.root.try_send(
                "Target.detachFromTarget", {"sessionId": params.get("sessionId")}
            )

    async def _on_browser_attach(self, session: CdpSession) -> None:
        recorder = self._recorder_for(session)
        if recorder is not None and not recorder.frozen:
            await recorder.setup_session(session)

    # ------------------------------------------------------------------ capture
    async def capture(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        wait: float = 2.0,
        ignore_https_errors: bool = False,
        shop: bool = False,
        canary: Canary | None = None,
        steps: Sequence[Step] = (),
        live: bool = False,
        trust: Trust | None = None,
        selectors: Sequence[str] = (),
        clock: Acceleration | None = None,
        synthesise: bool = False,
        cookies: Sequence[Mapping[str, Any]] = (),
        leave: str | None = None,
        stored: Callable[[str], bool] | None = None,
        referer: str | None = None,
    ) -> PageCapture:
        """Load `url` in a fresh context and record it; raises TargetError when it cannot.

        `timeout` bounds loading (seconds); `wait` is how long to keep watching after the load
        event (delayed loaders). The whole capture is bounded by `timeout + wait + GRACE`.

        `shop=True` instruments the page, runs `steps`, then types `canary` (a fresh one when
        None) into the card form of every frame and presses pay, and watches `wait` seconds
        more; the quarantine keeps requests to hosts `trust` does not trust (by default: the
        page's own site only) inside the browser from the first keystroke, unless `live`.
        `selectors` are the policy's card-field selectors. Shopping adds `INTERACT_BUDGET`
        plus the steps' own timeouts to the deadline.

        Detonation (a file on the synthetic checkout) adds `clock`, which advances the page's
        time before the shopper and after, and `synthesise`, which creates the card, billing
        and pay-button elements the page's code asks for and does not find (with `shop`).
        `cookies` (Playwright's `add_cookies` form) are the visitor's before the first request.
        `leave` is where the shopper goes once done (the order confirmation): the page is
        hidden and unloaded as on a real visit, and the next page loads. `referer` is the page
        the shopper came from (the cart), as `document.referrer` and the Referer header say.

        `stored(value)` says whether a stored value holds the typed card. Without `leave`,
        when after pay a cookie or Web Storage value does, the shopper comes back (to the
        same-origin page the pay submission would have gone to, or the page itself) with
        storage kept, and the capture watches that visit too: kits that store now send on
        the next page (`revisited_at` marks it).
        """
        if self._browser is None:
            raise BrowserNotFoundError("BrowserSession is not started (use `async with`)")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetError(f"{url!r} is not an http(s) URL")
        deadline = timeout + wait + GRACE
        if shop:
            deadline += wait + INTERACT_BUDGET + steps_budget(steps)
            if clock is not None:
                deadline += 20.0  # two jumps of the clock, 10 s each at most
            if leave is not None or stored is not None:
                deadline += 20.0  # the next page, and a jump of the clock on it
        job = _Capture(
            self,
            url,
            timeout=timeout,
            wait=wait,
            ignore_https_errors=ignore_https_errors,
            shop=shop,
            canary=canary,
            steps=tuple(steps),
            live=live,
            trust=trust,
            selectors=tuple(selectors),
            clock=clock,
            synthesise=synthesise,
            cookies=tuple(cookies),
            leave=leave,
            stored=stored,
            referer=referer,
        )
        try:
            return await asyncio.wait_for(job.run(), deadline)
        except TimeoutError:
            raise TargetError(
                f"{url} did not finish within {deadline:g}s (the page kept the browser busy)"
            ) from None
        finally:
            task = asyncio.ensure_future(job.cleanup())
            self._cleanup.add(task)
            task.add_done_callback(self._cleanup.discard)
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                raise  # the clean-up goes on; close() waits for it
            except Exception as exc:
                log.warning("cleaning up after %s failed: %s", url, _first_line(exc))


class _Capture:
    """One target: a context, a page, a recorder. Owned by BrowserSession.capture."""

    def __init__(
        self,
        session: BrowserSession,
        url: str,
        *,
        timeout: float,
        wait: float,
        ignore_https_errors: bool,
        shop: bool = False,
        canary: Canary | None = None,
        steps: tuple[Step, ...] = (),
        live: bool = False,
        trust: Trust | None = None,
        selectors: tuple[str, ...] = (),
        clock: Acceleration | None = None,
        synthesise: bool = False,
        cookies: tuple[Mapping[str, Any], ...] = (),
        leave: str | None = None,
        stored: Callable[[str], bool] | None = None,
        referer: str | None = None,
    ) -> None:
        self.s = session
        self.referer = referer
        self.leave = leave
        self.stored = stored
        self.revisited_at: float | None = None
        self._held_next: str | None = None  # a same-site GET navigation the pay hold stopped
        self.clock = clock
        self.cookies = cookies
        self.url = url
        self.timeout = timeout
        self.wait = wait
        self.ignore_https_errors = ignore_https_errors
        self.shop = shop
        self.steps = steps
        self.selectors = selectors
        self.canary: Canary | None = None
        self.quarantine: Quarantine | None = None
        self.instrumentation: instrument.Instrumentation | None = None
        if shop:
            self.canary = canary or Canary.generate()
            trust = trust or default_trust(url)
            self.quarantine = Quarantine(trust, live=live)
            self.instrumentation = instrument.build(
                self.canary, live=live, trusted_domains=trust.domains,
                synthesise=synthesis_config(self.canary) if synthesise else None,
                windows=session.options.user_agent is None,
            )
        self.live = live
        assert session._fetch_limit is not None
        self.recorder = Recorder(
            max_script_bytes=session.options.max_script_bytes,
            max_body_bytes=session.options.max_body_bytes,
            fetch_limit=session._fetch_limit,
            instrumentation=self.instrumentation,
        )
        self.interaction: list[str] = []
        self.card_boxes: list[dict[str, Any]] = []
        self.typed_fields: tuple[str, ...] = ()
        #: what the capture could not do that a clean verdict would rest on
        self.incomplete: list[str] = []
        self.route_bodies: dict[tuple[str, str], bytes] = {}  # (method, URL) -> body
        self._routed = False
        self._held_note = False
        self._last_request = time.monotonic()
        self._arm_tasks: set[asyncio.Task[Any]] = set()
        self.context: BrowserContext | None = None
        self.page: Page | None = None
        self.tree: CdpTree | None = None
        self.context_id = ""
        self.crashed: asyncio.Future[str] | None = None
        self.console: list[str] = []
        self.quarantined: set[str] = set()
        self.pw_requests: list[RequestRecord] = []
        self.proxy: EgressProxy | None = None
        self._clock_jumps: list[tuple[str, float, float]] = []  # (when, start, end), wall clock
        #: URLs let through the quarantine (late stages) -> passes left at the egress proxy
        self._released: dict[str, int] = {}
        self._late_stages = 0
        self.unresponsive = False
        self._side_tasks: set[asyncio.Task[Any]] = set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def run(self) -> PageCapture:
        s = self.s
        assert s._browser is not None
        loop = asyncio.get_running_loop()
        self.crashed = loop.create_future()
        started = time.monotonic()
        assert s.egress is not None
        page_host = urlsplit(self.url)
        own = ((page_host.hostname or "").lower(),
               page_host.port or (443 if page_host.scheme == "https" else 80))
        self.proxy = EgressProxy(
            s.options.host_map, self._egress_decision, self._egress_holds, s.egress.context,
            verify_upstream=not (self.ignore_https_errors or s.options.ignore_https_errors),
            private_ok=lambda host, port: s.options.allow_private or (host, port) == own,
            max_body_bytes=s.options.max_body_bytes,
        )
        await self.proxy.start()
        self.context = await s._browser.new_context(
            proxy={"server": self.proxy.server, "bypass": "<-loopback>"},
            user_agent=s.options.user_agent or desktop_user_agent(
                s.browser_version, windows=self.instrumentation is not None),
            viewport=VIEWPORT,  # type: ignore[arg-type]
            screen=SCREEN,  # type: ignore[arg-type]
            locale="en-US",
            timezone_id="America/New_York",
            ignore_https_errors=self.ignore_https_errors,
            accept_downloads=False,
            java_script_enabled=True,
        )
        ctx = self.context
        ctx.set_default_timeout(max(self.timeout, 1.0) * 1000)
        ctx.on("request", self._on_pw_request)
        if s.options.answer_locally is not None or self.shop:
            # From the start: a route added later misses requests whose loaders were set up
            # before it (Chromium's <link rel=prefetch>), and the quarantine must see them all.
            await ctx.route("**/*", self._route)
            self._routed = True
        if self.instrumentation is not None:
            await ctx.add_init_script(self.instrumentation.script)
        if self.clock is not None:  # after the instrumentation: it keeps the real timers
            await ctx.clock.install()
        if self.cookies:
            await ctx.add_cookies([dict(c) for c in self.cookies])  # type: ignore[misc]
        page = await ctx.new_page()
        self.page = page
        ctx.on("page", self._on_new_page)
        page.on("dialog", self._on_dialog)
        page.on("download", self._on_download)
        page.on("crash", self._on_crash)
        page.on("console", self._on_console)
        page.on("pageerror", lambda err: self._add_console(f"uncaught: {err}"))
        cdp = await ctx.new_cdp_session(page)
        self.tree = CdpTree(
            cdp,
            on_event=self._on_cdp_event,
            on_attach=self.recorder.setup_session,
            root_type="page",
        )
        info = await self.tree.root.send("Target.getTargetInfo")
        self.context_id = str(info.get("targetInfo", {}).get("browserContextId", ""))
        if self.context_id:
            s._recorders[self.context_id] = self.recorder
        else:
            self.recorder.note("shared and service workers could not be tied to this page")
        await self.recorder.setup_session(self.tree.root)

        response = await self._navigate()
        status = response.status if response is not None else None
        headers: dict[str, str] = {}
        if response is not None:
            with contextlib.suppress(PlaywrightError):
                headers = await self._race(response.all_headers(), 5.0, "reading headers") or {}
        if self.shop:
            page.on("framenavigated", self._on_frame_navigated)
            await self._settle()
            await self._advance_clock("before the shopper")
            budget = INTERACT_BUDGET + steps_budget(self.steps)
            try:
                if self.unresponsive:  # every step would only wait out its own timeout
                    self.recorder.note("the page did not respond; the shopper was not run")
                else:
                    await self._race(self._interact(), budget, "interacting with the page")
            except TimeoutError:
                self.recorder.note(f"the simulated shopper did not finish within {budget:g}s")
                self.incomplete.append(f"the simulated shopper did not finish within "
                                       f"{budget:g}s")
            await self._advance_clock("after the shopper")
            await self._leave()
            await self._come_back()
        if self.wait > 0:
            await self._race(asyncio.sleep(self.wait), self.wait + 1, "waiting")
        await self._flush()
        self._raise_if_crashed()
        self.recorder.frozen = True  # what Playwright injects from here on is not page code
        final_url = page.url
        frames = await self._snapshot_frames()
        self._raise_if_crashed()
        screenshot = None
        if s.options.screenshot and not self.unresponsive:
            screenshot = await self._screenshot()
        elif s.options.screenshot:
            self.recorder.note("no screenshot: the page did not respond (busy script)")
        storage = await self._storage_snapshot() if self.shop else []
        self.recorder.add_unattributed(self.pw_requests)
        self._take_egress()
        armed_at = self.quarantine.armed_at if self.quarantine else None
        self.recorder.mark_quarantined(
            self.quarantined,
            since=armed_at if s.options.answer_locally is None else None,
            bodies=self.route_bodies,
        )
        for when, start, end in self._clock_jumps:
            hosts = self.recorder.hosts_between(start, end + 1.0)
            if hosts:
                self.interaction.append(
                    f"requests released by the clock jump {when} (timers that were due): "
                    + ", ".join(f"{h} ({n})" for h, n in sorted(hosts.items())[:8]))
        scripts, requests, ws = self.recorder.build(frames)
        events = (*self.recorder.instrument_events(), *storage)
        if self.shop and not self.recorder.instrumented_frames:
            self.recorder.note("the in-page instrumentation did not report from any frame")
        log.debug(
            "captured %s in %.2fs: %d scripts, %d requests",
            self.url,
            time.monotonic() - started,
            len(scripts),
            len(requests),
        )
        capture = PageCapture(
            url=self.url,
            final_url=final_url,
            status=status,
            scripts=scripts,
            requests=requests,
            websocket_messages=ws,
            frames=tuple(frames),
            response_headers=headers,
            screenshot_png=screenshot,
            notes=tuple(self.recorder.notes),
            console_errors=tuple(self.console),
            canary=self.canary,
            instrumentation=events,
            gates=tuple(_runtime_gates(events, requests)),
            interaction=tuple(self.interaction),
            canary_typed_at=armed_at,
            card_field_boxes=tuple(self.card_boxes),
            typed_fields=self.typed_fields,
            revisited_at=self.revisited_at,
            incomplete=tuple(dict.fromkeys(
                (*(["the page's main thread did not respond (a script that never yields): "
                    "its scripts could not all be seen nor the shopper run"]
                   if self.unresponsive and self.shop else []), *self.incomplete))),
        )
        return fold_repeated_scripts(capture) if self.revisited_at is not None else capture

    # -------------------------------------------------------------- navigation
    async def _race(self, aw: Any, timeout: float, what: str) -> Any:
        """Await `aw` unless the renderer crashes first (→ TargetError) or time runs out."""
        assert self.crashed is not None
        task = asyncio.ensure_future(aw)
        try:
            done, _ = await asyncio.wait(
                {task, self.crashed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        except BaseException:
            task.cancel()
            raise
        if self.crashed in done:
            task.cancel()
            raise TargetError(f"{self.url}: {self.crashed.result()} (while {what})")
        if task in done:
            return task.result()
        task.cancel()
        raise TimeoutError(what)

    def _raise_if_crashed(self) -> None:
        if self.crashed is not None and self.crashed.done():
            raise TargetError(f"{self.url}: {self.crashed.result()}")

    async def _navigate(self) -> Response | None:
        assert self.page is not None
        page = self.page
        t0 = time.monotonic()
        try:
            response = await self._race(
                page.goto(self.url, wait_until="commit", timeout=self.timeout * 1000,
                          referer=self.referer),
                self.timeout + 2,
                "loading",
            )
        except TimeoutError:
            raise TargetError(f"{self.url} did not respond within {self.timeout:g}s") from None
        except PlaywrightError as exc:
            raise TargetError(_explain_navigation_error(self.url, exc)) from None
        remaining = max(self.timeout - (time.monotonic() - t0), 0.5)
        try:
            await self._race(
                page.wait_for_load_state("load", timeout=remaining * 1000), remaining + 2, "loading"
            )
        except (TimeoutError, PlaywrightError) as exc:
            if self.crashed is not None and self.crashed.done():
                raise TargetError(f"{self.url}: {self.crashed.result()}") from None
            if isinstance(exc, PlaywrightError) and "Timeout" not in str(exc):
                raise TargetError(_explain_navigation_error(self.url, exc)) from None
            self.recorder.note(
                f"the page had not finished loading after {self.timeout:g}s; "
                "captured what had loaded by then"
            )
        return response if isinstance(response, Response) else None

    async def _flush(self) -> None:
        """Make the DevTools events still in flight reach us (BROWSER.md: ordering)."""
        assert self.tree is not None
        await self.tree.settle(3.0)
        sessions = self.tree.live_sessions()
        await asyncio.gather(
            *(
                x.try_send("Debugger.setSkipAllPauses", {"skip": True}, timeout=3.0)
                for x in sessions
            ),
        )
        browser_tree = self.s._browser_tree
        if browser_tree is not None and self.context_id:
            workers = [
                x
                for x in browser_tree.live_sessions()
                if not x.is_root and self.s._recorder_for(x) is self.recorder
            ]
            await asyncio.gather(
                *(
                    x.try_send("Debugger.setSkipAllPauses", {"skip": True}, timeout=3.0)
                    for x in workers
                )
            )
        await self.recorder.wait_pending(8.0)

    async def _snapshot_frames(self) -> list[FrameSnapshot]:
        assert self.page is not None
        snaps: list[FrameSnapshot] = []
        frames = self.page.frames

        async def one(frame: Frame) -> FrameSnapshot | None:
            try:
                html = await asyncio.wait_for(frame.content(), 5.0)
            except (TimeoutError, PlaywrightError) as exc:
                if frame is self.page.main_frame if self.page else False:
                    self.unresponsive = True
                self.recorder.note(
                    f"the HTML of frame {frame.url} could not be read: "
                    f"{_first_line(exc) or 'timed out'}"
                )
                return None
            if len(html) > MAX_FRAME_HTML:
                self.recorder.note(
                    f"the HTML of frame {frame.url} is {len(html)} characters; "
                    f"kept the first {MAX_FRAME_HTML}"
                )
                html = html[:MAX_FRAME_HTML]
            parent = frame.parent_frame
            return FrameSnapshot(
                url=frame.url,
                html=html,
                parent_url=parent.url if parent else None,
                name=frame.name or None,
            )

        results = await asyncio.gather(*(one(f) for f in frames))
        snaps.extend(r for r in results if r is not None)
        return snaps

    async def _screenshot(self) -> bytes | None:
        """The page as the shopper left it, every text field painted over in every frame
        (the canary card and billing details typed there never reach the report)."""
        assert self.page is not None
        fields = [frame.locator(_TEXT_FIELDS) for frame in self.page.frames[:MASKED_FRAMES]]
        try:
            return await asyncio.wait_for(
                self.page.screenshot(full_page=True, timeout=8000, animations="disabled",
                                     mask=fields, mask_color="#6b7280"), 10.0
            )
        except (TimeoutError, PlaywrightError) as exc:
            self.recorder.note(f"no screenshot: {_first_line(exc) or 'timed out'}")
            return None

    # -------------------------------------------------------------- hostile page handling
    def _on_cdp_event(self, session: CdpSession, method: str, params: dict[str, Any]) -> None:
        if method == "Inspector.targetCrashed" and session.is_root:
            self._on_crash(None)
        self.recorder.on_event(session, method, params)

    def _on_crash(self, page: Page | None) -> None:
        if self.crashed is not None and not self.crashed.done():
            self.crashed.set_result("the page's renderer process crashed")

    async def _on_dialog(self, dialog: Dialog) -> None:
        self.recorder.note(f"dialog {dialog.type}({dialog.message[:120]!r}) dismissed")
        with contextlib.suppress(PlaywrightError):
            await dialog.dismiss()

    def _on_download(self, download: Download) -> None:
        self.recorder.note(f"download refused: {download.url[:200]}")

    def _on_new_page(self, page: Page) -> None:
        if page is self.page:
            return
        self.recorder.note(f"popup opened ({page.url or 'about:blank'}); recorded and closed")
        self._spawn(self._close_popup(page))

    async def _close_popup(self, page: Page) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(page.close(), 5.0)

    def _on_pw_request(self, request: Request) -> None:
        self._last_request = time.monotonic()
        if self.recorder.frozen or len(self.pw_requests) > 5000:
            return
        frame: str | None = None
        with contextlib.suppress(Exception):
            frame = request.frame.url
        if frame is None and request.service_worker is not None:
            frame = request.service_worker.url
        body = request.post_data_buffer
        self.pw_requests.append(
            RequestRecord(
                url=request.url,
                method=request.method,
                host=(urlsplit(request.url).hostname or "").lower(),
                resource_type=request.resource_type,
                frame=frame,
                headers=dict(request.headers),
                body=body[: self.s.options.max_body_bytes] if body is not None else None,
            )
        )

    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self._add_console(msg.text)

    def _add_console(self, text: str) -> None:
        if len(self.console) < MAX_CONSOLE:
            self.console.append(str(text)[:500])

    async def _route(self, route: Route) -> None:
        request = route.request
        host = (urlsplit(request.url).hostname or "").lower()
        try:
            if host and self._answers_locally(host):
                self.quarantined.add(request.url)
                body = request.post_data_buffer
                if body is not None:
                    self.route_bodies.setdefault((request.method, request.url), body)
                await self._answer_here(route, {})
                return
            decision = "forward"
            if self.quarantine is not None:
                decision = self.quarantine.decide(
                    host, request.method, navigation=request.is_navigation_request()
                )
            if decision == "forward":
                await route.fallback()
                return
            if decision == "quarantine" and self._late_stage(request):
                await route.fallback()
                return
            self.quarantined.add(request.url)
            body = request.post_data_buffer
            if body is not None:
                self.route_bodies.setdefault((request.method, request.url), body)
            if (decision == "hold" and request.method == "GET" and self._held_next is None
                    and request.is_navigation_request() and self.page is not None
                    and request.frame == self.page.main_frame):
                self._held_next = request.url
            if decision == "hold" and not self._held_note:
                self._held_note = True
                self.interaction.append(
                    f"held the pay submission locally ({request.method} "
                    f"{request.url.split('?')[0][:160]}): "
                    "it was never sent"
                )
            origin = request.headers.get("origin")
            headers = (
                {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}
                if origin and origin != "null"
                else {"Access-Control-Allow-Origin": "*"}
            )
            await self._answer_here(route, headers)
        except PlaywrightError:
            pass  # the page or context went away meanwhile

    async def _answer_here(self, route: Route, headers: dict[str, str]) -> None:
        """A request the browser answers itself: 204, except a frame's document, which gets an
        empty page so that the frame loads with its host's origin (its `load` fires, and what
        the page hands it by postMessage arrives where the instrumentation reads it)."""
        request = route.request
        if request.is_navigation_request() and self.page is not None:
            try:
                subframe = request.frame != self.page.main_frame
            except PlaywrightError:  # a worker's request has no frame
                subframe = False
            if subframe:
                await route.fulfill(status=200, headers={**headers, "Content-Type": "text/html"},
                                    body=_EMPTY_FRAME)
                return
        await route.fulfill(status=204, headers=headers, body=b"")

    # -------------------------------------------------------------- shopping
    async def _settle(self) -> None:
        """Before typing: wait for the network to be quiet (delayed loaders), bounded.

        At least 2 s after load, and 1 s without a request: loaders commonly wait 0.5–1 s
        after `load` before fetching their second stage, and once the card is typed the
        quarantine would answer that fetch locally, so the stage would never run."""
        start = time.monotonic()
        # With the clock advanced next (detonation), timers need no real time: only the
        # network does, and there it is all local.
        least, quiet = (0.3, 0.3) if self.clock is not None else (2.0, 1.0)
        budget = max(3.0, self.wait)
        while True:
            now = time.monotonic()
            if now - start >= budget or (now - start >= least and
                                         now - self._last_request >= quiet):
                return
            await self._race(asyncio.sleep(0.1), 2.0, "waiting for the page to settle")

    async def _advance_clock(self, when: str) -> None:
        """With `clock`: jump the page's time forward (delayed code runs), bounded in real
        time; the jump is recorded in the interaction log."""
        if (self.clock is None or self.context is None or self.clock.span(when) <= 0
                or self.unresponsive):
            return
        started, span = time.time(), self.clock.span(when)
        try:
            await self._race(self.clock.advance(self.context.clock, span), 10.0,
                             "advancing the clock")
        except (TimeoutError, PlaywrightError) as exc:
            self.recorder.note(f"the page clock could not be advanced {when}: "
                               f"{_first_line(exc) or 'timed out'}")
            if isinstance(exc, TimeoutError):
                self.unresponsive = True  # the clock runs on the page's main thread
            return
        self._clock_jumps.append((when, started, time.time()))
        self.interaction.append(f"advanced the page clock by {_span(span)} {when}")

    async def _leave(self) -> None:
        """With `leave`: go to the next page, as a shopper does after paying (pagehide,
        visibilitychange and unload fire; code that waits for them runs), bounded."""
        if self.page is None:
            return
        if self.quarantine is not None and self.leave is not None:
            self.quarantine.payment_done()
        await self._hide()
        if self.leave is None:  # a page scan: the page stays, hidden as a shopper leaves it
            self.interaction.append("hid the page as a shopper leaving it (visibilitychange, "
                                    "pagehide)")
            return
        try:
            await self._race(self.page.goto(self.leave, wait_until="load", timeout=8000), 10.0,
                             "leaving the page")
            self.interaction.append(f"left for {self.leave.split('?')[0][:160]}")
            await self._advance_clock("on the next page")
        except (TimeoutError, PlaywrightError) as exc:
            self.recorder.note(f"leaving for {self.leave} failed: {_first_line(exc)}")

    async def _come_back(self) -> None:
        """Store now, send later: when the card sits in a cookie or Web Storage after pay, come
        back as the shopper would — to the page the held submission was going to (same site,
        GET), else this page again — with storage kept and the quarantine still on, and watch
        that visit too (its sends of the stored card are the exfiltration)."""
        if (self.stored is None or self.leave is not None or self.page is None
                or self.unresponsive):
            return
        kept = sorted({f"{e.detail.get('store')} {e.detail.get('key', '')!r}"
                       for e in await self._storage_snapshot()
                       if e.data and self.stored(e.data)})
        if not kept:
            return
        target = self._held_next or self.page.url
        if self.quarantine is not None:
            self.quarantine.payment_done()
        self.revisited_at = time.time()
        try:
            await self._race(self.page.goto(target, wait_until="load", timeout=8000), 10.0,
                             "coming back")
        except (TimeoutError, PlaywrightError) as exc:
            self.recorder.note(f"coming back to {target} failed: {_first_line(exc)}")
            return
        self.interaction.append(
            f"came back to {target.split('?')[0][:160]} with the card still in browser storage "
            f"({', '.join(kept[:4])}): a script that stores it now and sends it later sends here")
        await self._settle()
        await self._advance_clock("on the next page")
        await self._hide()

    async def _hide(self) -> None:
        """The events of a shopper leaving the page (visibilitychange, pagehide, beforeunload)
        in every frame, and a moment for what they start."""
        if self.tree is not None and self.instrumentation is not None:
            with contextlib.suppress(Exception):
                await self._race(dispatch_leaving(self.tree, f"{self.instrumentation.nonce}w"),
                                 3.0, "dispatching the leaving events")
                await asyncio.sleep(0.2)

    async def _arm(self) -> None:
        """Quarantine on: the network route, and (unless live) the in-page one in every frame."""
        assert self.quarantine is not None and self.context is not None
        if self.quarantine.armed:
            return
        self.quarantine.arm()
        if not self._routed:
            await self.context.route("**/*", self._route)
            self._routed = True
        if self.live:
            self.interaction.append("live mode: requests after typing were not quarantined")
            return
        await self._arm_frames()
        self.interaction.append(
            "quarantine armed: from here on, requests to hosts other than the page's own site "
            "and its approved processors were answered locally"
        )

    async def _arm_frames(self) -> None:
        """Tell the instrumentation in every frame that the quarantine is on (an event of a
        secret type, dispatched from an isolated world; arming twice is harmless)."""
        assert self.instrumentation is not None
        if self.tree is not None:
            nonce = self.instrumentation.nonce
            await dispatch_everywhere(self.tree, f"{nonce}w", f"{nonce}-arm")

    def _on_frame_navigated(self, frame: Frame) -> None:
        if self.quarantine is not None and self.quarantine.armed and not self.live:
            task = asyncio.ensure_future(self._arm_frames())
            self._arm_tasks.add(task)
            task.add_done_callback(self._arm_tasks.discard)

    def _hold_payment(self) -> None:
        assert self.quarantine is not None
        self.quarantine.hold_payment()

    async def _interact(self) -> None:
        """The steps, then (or where a `shop` step says) the shopper."""
        shopped = False
        for step in self.steps:
            if step.action == "shop":
                if step.enabled:
                    await self._shop()
                shopped = True
                continue
            try:
                await self._step(step)
                self.interaction.append(step.describe())
            except (PlaywrightError, TimeoutError) as exc:
                self.recorder.note(
                    f"{step.describe()} failed ({_first_line(exc)}); the remaining steps "
                    "were skipped"
                )
                break
        if not shopped and shop_enabled(self.steps):
            await self._shop()

    async def _step(self, step: Step) -> None:
        assert self.page is not None and self.canary is not None
        page = self.page
        ms = step.timeout * 1000
        if step.action == "goto":
            await page.goto(urljoin(page.url, step.target), wait_until="load", timeout=ms)
            return
        if step.action == "wait":
            await asyncio.sleep(step.seconds)
            return
        scope = page.frame_locator(step.frame) if step.frame else page
        loc = scope.locator(step.target).first
        if step.action == "click":
            await loc.click(timeout=ms)
        elif step.action == "wait-for":
            await loc.wait_for(state="visible", timeout=ms)
        elif step.action == "fill":
            if step.types_card:
                await self._arm()
            await loc.fill("", timeout=ms)
            await loc.press_sequentially(
                step.text(self.canary), delay=self.s.options.typing_delay, timeout=ms
            )

    async def _shop(self) -> None:
        assert self.page is not None and self.tree is not None and self.canary is not None
        assert self.instrumentation is not None
        shopper = Shopper(
            self.page,
            self.canary,
            arm=self._arm,
            before_pay=self._hold_payment,
            log=self.interaction.append,
            world=f"{self.instrumentation.nonce}w",
            typing_delay=self.s.options.typing_delay,
            pause=self._between_passes,
        )
        try:
            plan = await shopper.run(self.tree, self.selectors)
        finally:
            self.incomplete.extend(shopper.problems)
        self.card_boxes = plan.card_boxes()
        self.typed_fields = tuple(dict.fromkeys(shopper.typed))
        if not plan.has_card:
            self.recorder.note(
                "no card form was found in any frame, so no canary was typed: exfiltration "
                "that waits for card data could not be observed (use --steps for multi-step "
                "checkouts, or card_fields in the policy)"
            )
        elif plan.pay is None:
            self.recorder.note("the card form was filled, but no pay button was found")

    async def _between_passes(self) -> None:
        """Between the shopper's passes (after pay, after choosing a payment method): a
        moment of real time for the page's requests, and (with a page clock) a few seconds of
        page time, so a form shown a little after the press is there to be typed into."""
        await asyncio.sleep(0.4)
        if self.clock is not None and self.context is not None:
            started = time.time()
            with contextlib.suppress(TimeoutError, PlaywrightError):
                await self._race(self.context.clock.run_for(BETWEEN_PASSES_MS), 5.0,
                                 "running the page clock")
            self._clock_jumps.append((f"of {_span(BETWEEN_PASSES_MS)} after a press of pay",
                                      started, time.time()))
        await asyncio.sleep(0.2)

    async def _storage_snapshot(self) -> list[InstrumentEvent]:
        """Cookies and Web Storage as they are at the end (writes that bypassed setItem)."""
        out: list[InstrumentEvent] = []
        if self.context is None:
            return out
        with contextlib.suppress(PlaywrightError, TimeoutError):
            for cookie in await asyncio.wait_for(self.context.cookies(), 5.0):
                out.append(InstrumentEvent(
                    "storage", {"store": "cookie", "key": cookie.get("name", "")[:100],
                                "via": "snapshot", "domain": cookie.get("domain", "")},
                    data=str(cookie.get("value", ""))[:16_000],
                ))
        if self.tree is None or self.page is None:
            return out
        origins = {_origin(f.url) for f in self.page.frames} - {""}
        for origin in sorted(origins):
            for local in (True, False):
                got = await self.tree.root.try_send(
                    "DOMStorage.getDOMStorageItems",
                    {"storageId": {"securityOrigin": origin, "isLocalStorage": local}},
                    timeout=2.0,
                )
                for entry in (got or {}).get("entries") or []:
                    if isinstance(entry, list) and len(entry) == 2:
                        out.append(InstrumentEvent(
                            "storage", {"store": "local" if local else "session",
                                        "key": str(entry[0])[:100], "via": "snapshot",
                                        "origin": origin},
                            data=str(entry[1])[:16_000],
                        ))
        return out

    # -------------------------------------------------------------- egress
    def _answers_locally(self, host: str) -> bool:
        """The session answers every request to this host itself (detonation's pages)."""
        answer = self.s.options.answer_locally
        return answer is not None and answer(host)

    def _egress_decision(self, host: str, port: int) -> Decision:
        """Per connection: tunnelled when no data typed here could ever be held from the
        host (the page's site, its processors, live mode, no shopper); else inspected, each
        request decided by `_egress_holds`."""
        del port
        if self._answers_locally(host):
            return "inspect"
        if self.quarantine is not None and self.quarantine.untrusted(host):
            return "inspect"
        return "tunnel"

    def _egress_holds(self, host: str, url: str) -> EgressVerdict:
        if self._answers_locally(host):
            return "hold"
        if self._released.get(url, 0) > 0:  # a late stage: once, and nothing the page added
            self._released[url] -= 1
            return "bare"
        return "hold" if self.quarantine is not None and self.quarantine.holds(host) else "pass"

    def _late_stage(self, request: Request) -> bool:
        """A request the quarantine would hold, let through because it cannot carry typed
        data: a GET without a body whose whole URL is written in a script that ran before
        the card was typed (a loader's second stage, fetched only once card data is there).
        The egress proxy forwards it "bare" — without the cookies, referrer and headers the
        page set, which could carry what was typed. Its response is captured like any script."""
        assert self.quarantine is not None
        armed_at = self.quarantine.armed_at
        if (request.method != "GET" or request.post_data_buffer or armed_at is None
                or request.resource_type != "script" or request.url in self._released):
            return False
        if self.revisited_at is not None and self.recorder.fetched_before(request.url,
                                                                          armed_at):
            # Coming back: the scripts the page loaded before anything was typed load again
            # (same URL, bare), so a kit that sends stored data on the next page runs there.
            self._released[request.url] = 1
            return True
        if (self._late_stages >= MAX_LATE_STAGES
                or not self.recorder.named_before(request.url, armed_at)):
            return False  # (which URLs, how many, how often: each could say something typed)
        self._late_stages += 1
        self._released[request.url] = 1
        self.interaction.append(
            "let through after typing (its URL is written in a script that ran before): "
            f"GET {request.url[:160]}")
        return True

    def _take_egress(self) -> None:
        """What the egress proxy held goes to the recorder; what it refused is noted."""
        if self.proxy is None:
            return
        self.recorder.add_held(self.proxy.held)
        # (names outside a confined scan's host map are not news: the browser's own services)
        refused = [c for c in self.proxy.connections
                   if c.decision == "refuse" and "confined scan" not in c.reason]
        for c in refused[:5]:
            self.recorder.note(f"did not connect to {c.host}:{c.port}: {c.reason}")
        if len(refused) > 5:
            self.recorder.note(f"… and {len(refused) - 5} more connections not made")
        if self.proxy.dropped:
            self.recorder.note(f"{self.proxy.dropped} held requests were not kept (limit)")

    # -------------------------------------------------------------- cleanup
    async def cleanup(self) -> None:
        if self.context_id:
            self.s._recorders.pop(self.context_id, None)
        if self.tree is not None:
            self.tree.close()
        for task in [*self._side_tasks, *self._arm_tasks]:
            task.cancel()
        if self.context is not None:
            try:
                await asyncio.wait_for(self.context.close(), 10.0)
            except (Exception, asyncio.CancelledError) as exc:
                log.warning(
                    "closing the browser context of %s failed: %s", self.url, _first_line(exc)
                )
        if self.proxy is not None:
            await self.proxy.close()


def _span(ms: int) -> str:
    return f"{ms // 60000} min" if ms % 60000 == 0 else f"{ms / 1000:g} s"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def _runtime_gates(events: Sequence[InstrumentEvent],
                   requests: Sequence[RequestRecord]) -> list[str]:
    """Environment checks seen at run time, in words (the scanner adds what it knows)."""
    gates: list[str] = []
    seen: set[tuple[str, str | None]] = set()
    for e in events:
        check = e.detail.get("check") if e.kind == "gate" else None
        if check is None or (check, e.script) in seen:
            continue
        seen.add((check, e.script))
        who = f"script {e.script}" if e.script else "a script"
        if check == "webdriver":
            gates.append(f"{who} checks navigator.webdriver (satisfied: the scan reports false, "
                         "as a shopper's browser does)")
        elif check == "geolocation":
            gates.append(f"{who} asks for the visitor's location, which scans never grant: a "
                         "geo gate the scan could not satisfy")
    for r in requests:
        if any(r.host == h or r.host.endswith("." + h) for h in GEO_IP_HOSTS) and (
            "geo", r.host) not in seen:
            seen.add(("geo", r.host))
            who = f"script {r.script}" if r.script else "the page"
            gates.append(f"{who} looks the visitor up by IP address ({r.host}): a geo gate "
                         "the scan may not satisfy from where it runs")
    return gates


async def capture_many(
    urls: Sequence[str],
    *,
    host_map: HostMap | None = None,
    timeout: float = 30.0,
    wait: float = 2.0,
    ignore_https_errors: bool = False,
    concurrency: int = 2,
) -> list[PageCapture | TargetError]:
    """Capture several URLs on one browser, `concurrency` at a time, in input order."""
    sem = asyncio.Semaphore(max(concurrency, 1))
    async with BrowserSession(host_map=host_map or HostMap()) as session:

        async def one(u: str) -> PageCapture | TargetError:
            async with sem:
                try:
                    return await session.capture(
                        u, timeout=timeout, wait=wait, ignore_https_errors=ignore_https_errors
                    )
                except TargetError as exc:
                    return exc

        return list(await asyncio.gather(*(one(u) for u in urls)))
