"""STAGE 1 (capture): load pages in Chromium and record everything they do.

`BrowserSession` is an async context manager holding one browser; `capture()` loads one URL in a
fresh browser context (a new visitor: once-per-visitor skimmers fire) and returns a `PageCapture`.
Several `capture()` calls may run concurrently on one session (`asyncio.gather`).

What is recorded, and how (see `recorder.py` for the details):
- every script, through the DevTools debugger of the page and, by auto-attach, of every
  out-of-process iframe, dedicated worker, and (browser-wide auto-attach, filtered to this
  context) shared and service worker — each target paused at start until recording is on;
- every request with its initiating script, WebSocket frames sent, popups opened;
- the rendered HTML of each frame, a full-page screenshot, the document's response headers.

Invariants:
- A capture always ends: a hard deadline (`timeout + wait + GRACE`) bounds it, after which the
  context is closed and `TargetError` raised; a hostile page (redirect loops, endless loading,
  busy loops, dialogs, downloads, popups, crashes, huge responses) never hangs or crashes a scan.
- The browser context is closed on every path, cancellation included; the browser is closed
  (and, if it will not close, its process ended by id) when the session exits.
- A target that cannot be loaded raises `TargetError` with a reason a user can act on.
- Requests may be answered locally (`answer_locally(host)` → 204, recorded `quarantined`); the
  scanner itself never needs the internet (`confine` makes unmapped names unresolvable).
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

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
from skimscan.capture.cdp import CdpSession, CdpTree
from skimscan.capture.hostmap import HostMap
from skimscan.capture.recorder import Recorder
from skimscan.errors import BrowserNotFoundError, TargetError
from skimscan.models import FrameSnapshot, PageCapture, RequestRecord

log = logging.getLogger(__name__)

#: Extra seconds past `timeout + wait` for collecting and closing, before the hard deadline.
GRACE = 12.0
VIEWPORT = {"width": 1366, "height": 768}
MAX_FRAME_HTML = 5_000_000
MAX_CONSOLE = 100
_SERVICE_WORKER_FILTER = [
    {"type": "service_worker", "exclude": False},
    {"type": "shared_worker", "exclude": False},
    {"exclude": True},
]


def desktop_user_agent(browser_version: str) -> str:
    """A normal desktop Chrome UA (reduced form, as Chrome sends it) for this major version."""
    major = browser_version.split(".")[0] if browser_version else "0"
    if not major.isdigit():
        major = "0"
    return (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Safari/537.36"
    )


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
        self.browser_version = ""
        self.user_agent = ""

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
            self._browser = await browser_mod.launch(
                self._pw,
                executable=self.options.executable,
                resolver_rules=self.options.host_map.chromium_rules(),
                instance=self.instance,
                extra_args=self.options.extra_args,
            )
            self.browser_version = self._browser.version
            self.user_agent = self.options.user_agent or desktop_user_agent(self.browser_version)
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
    ) -> PageCapture:
        """Load `url` in a fresh context and record it; raises TargetError when it cannot.

        `timeout` bounds loading (seconds); `wait` is how long to keep watching after the load
        event (delayed loaders). The whole capture is bounded by `timeout + wait + GRACE`.
        """
        if self._browser is None:
            raise BrowserNotFoundError("BrowserSession is not started (use `async with`)")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetError(f"{url!r} is not an http(s) URL")
        deadline = timeout + wait + GRACE
        job = _Capture(
            self, url, timeout=timeout, wait=wait, ignore_https_errors=ignore_https_errors
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
    ) -> None:
        self.s = session
        self.url = url
        self.timeout = timeout
        self.wait = wait
        self.ignore_https_errors = ignore_https_errors
        assert session._fetch_limit is not None
        self.recorder = Recorder(
            max_script_bytes=session.options.max_script_bytes,
            max_body_bytes=session.options.max_body_bytes,
            fetch_limit=session._fetch_limit,
        )
        self.context: BrowserContext | None = None
        self.page: Page | None = None
        self.tree: CdpTree | None = None
        self.context_id = ""
        self.crashed: asyncio.Future[str] | None = None
        self.console: list[str] = []
        self.quarantined: set[str] = set()
        self.pw_requests: list[RequestRecord] = []
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
        self.context = await s._browser.new_context(
            user_agent=s.user_agent,
            viewport=VIEWPORT,  # type: ignore[arg-type]
            screen=VIEWPORT,  # type: ignore[arg-type]
            locale="en-US",
            timezone_id="America/New_York",
            ignore_https_errors=self.ignore_https_errors,
            accept_downloads=False,
            java_script_enabled=True,
        )
        ctx = self.context
        ctx.set_default_timeout(max(self.timeout, 1.0) * 1000)
        ctx.on("request", self._on_pw_request)
        if s.options.answer_locally is not None:
            await ctx.route("**/*", self._route)
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
        self.recorder.add_unattributed(self.pw_requests)
        self.recorder.mark_quarantined(self.quarantined)
        scripts, requests, ws = self.recorder.build(frames)
        log.debug(
            "captured %s in %.2fs: %d scripts, %d requests",
            self.url,
            time.monotonic() - started,
            len(scripts),
            len(requests),
        )
        return PageCapture(
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
        )

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
                page.goto(self.url, wait_until="commit", timeout=self.timeout * 1000),
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
        assert self.page is not None
        try:
            return await asyncio.wait_for(
                self.page.screenshot(full_page=True, timeout=8000, animations="disabled"), 10.0
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
        answer = self.s.options.answer_locally
        request = route.request
        host = (urlsplit(request.url).hostname or "").lower()
        try:
            if answer is not None and host and answer(host):
                self.quarantined.add(request.url)
                await route.fulfill(status=204, body=b"")
            else:
                await route.fallback()
        except PlaywrightError:
            pass  # the page or context went away meanwhile

    # -------------------------------------------------------------- cleanup
    async def cleanup(self) -> None:
        if self.context_id:
            self.s._recorders.pop(self.context_id, None)
        if self.tree is not None:
            self.tree.close()
        for task in list(self._side_tasks):
            task.cancel()
        if self.context is not None:
            try:
                await asyncio.wait_for(self.context.close(), 10.0)
            except (Exception, asyncio.CancelledError) as exc:
                log.warning(
                    "closing the browser context of %s failed: %s", self.url, _first_line(exc)
                )


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
