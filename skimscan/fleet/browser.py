"""The browser of one worker process, kept across tasks: starting Chromium costs about a second
and 100+ MB, a page scan a few seconds, so a process starts it once and scans many pages with it.
It is replaced after `recycle_after` pages (a long-lived Chromium grows) and whenever it is
found dead (crashed, or killed by the OOM killer) — the next task then gets a fresh one.

The process keeps one asyncio loop for its whole life too: the browser's Playwright connection
belongs to the loop that started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Coroutine
from typing import Any, TypeVar

from skimscan.analyze.cache import SharedCache
from skimscan.inventory.monitor import CodeKeepingScanner
from skimscan.pipeline import Engine, EngineOptions
from skimscan.policy.policy import Policy
from skimscan.scanner import ScanOptions

T = TypeVar("T")


class WorkerBrowser:
    """One Chromium (inside a `CodeKeepingScanner`) and one event loop per worker process."""

    def __init__(self, options: ScanOptions, *, recycle_after: int = 200,
                 use_disk_cache: bool = True, shared_cache: SharedCache | None = None) -> None:
        self.options = options
        self.recycle_after = max(1, recycle_after)
        self.engine = Engine(EngineOptions(use_disk_cache=use_disk_cache,
                                           shared_cache=shared_cache))
        self.loop = asyncio.new_event_loop()
        self._scanner: CodeKeepingScanner | None = None
        self._policy_key: str | None = None
        self._pages = 0
        self._broken = False
        #: how many browsers this process started (1 + recycles): for the log and the tests
        self.launches = 0

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the process's own loop (tasks are synchronous in Celery)."""
        return self.loop.run_until_complete(coro)

    def alive(self) -> bool:
        """Whether the browser is still connected (False when none is running)."""
        session = getattr(self._scanner, "_session", None)
        browser = getattr(session, "_browser", None)
        if self.options.no_browser:
            return self._scanner is not None
        return browser is not None and bool(browser.is_connected())

    def mark_broken(self) -> None:
        """Replace the browser before the next page (a scan failed in a way that suggests it)."""
        self._broken = True

    async def scanner(self, policy: Policy | None, policy_key: str | None) -> CodeKeepingScanner:
        """The scanner for the next page: the running one, unless it is due for recycling, dead,
        or scans for another policy (then the browser is kept and only the scanner is new)."""
        current = self._scanner
        if current is not None and (self._broken or self._pages >= self.recycle_after
                                    or not self.alive()):
            await self._close()
            current = None
        if current is not None and policy_key != self._policy_key:
            current = self._rebind(current, policy, policy_key)
        if current is None:
            current = CodeKeepingScanner(dataclasses.replace(self.options, policy=policy),
                                         self.engine)
            await current.__aenter__()
            self._pages, self._broken, self._policy_key = 0, False, policy_key
            self.launches += 1
            self._scanner = current
        self._pages += 1
        return current

    def _rebind(self, old: CodeKeepingScanner, policy: Policy | None,
                policy_key: str | None) -> CodeKeepingScanner:
        """A scanner for another policy on the same running browser (Scanner reads its policy
        when made; the browser session does not depend on it)."""
        new = CodeKeepingScanner(dataclasses.replace(self.options, policy=policy), self.engine)
        new._session, old._session = old._session, None
        self._scanner, self._policy_key = new, policy_key
        return new

    async def _close(self) -> None:
        scanner, self._scanner = self._scanner, None
        if scanner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(scanner.__aexit__(None, None, None), 30)

    def close(self) -> None:
        """Close the browser and the loop (the worker process is ending)."""
        if self.loop.is_closed():
            return
        with contextlib.suppress(Exception):
            self.run(self._close())
        self.loop.close()
