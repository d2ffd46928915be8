"""STAGE 1 (capture): a tree of DevTools sessions reached through one Playwright CDPSession.

Out-of-process iframes and workers run in targets of their own. `Target.setAutoAttach` with
`waitForDebuggerOnStart` pauses each new child target until we have enabled the domains we need on
it, so not even its first script is missed. Playwright's CDPSession drops messages of flattened
child sessions (its connection routes by session id and only knows its own), so the child
sessions here are *non-flattened*: commands go out through `Target.sendMessageToTarget` and
answers and events come back as `Target.receivedMessageFromTarget`, recursively for grandchildren
(nested cross-site iframes, workers inside iframes).

Invariants:
- Every `send` has a timeout: a hostile or crashed target can never hang a capture.
- A child paused on start is always resumed (`Runtime.runIfWaitingForDebugger`), even when
  setting it up failed, so we never leave a page frozen.
- Events are delivered synchronously, in arrival order, to one callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import CDPSession as PlaywrightCDPSession

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
WORKER_TYPES = frozenset({"worker", "shared_worker", "service_worker"})


class CdpError(Exception):
    """A DevTools command failed, timed out, or its session is gone."""


EventCallback = Callable[["CdpSession", str, dict[str, Any]], None]
AttachCallback = Callable[["CdpSession"], Awaitable[None]]


class CdpSession:
    """One DevTools session: the tree's root, or a child target reached through its parent."""

    def __init__(
        self,
        tree: CdpTree,
        *,
        session_id: str,
        parent: CdpSession | None,
        target_type: str,
        target_url: str,
        target_id: str = "",
        browser_context_id: str = "",
        waiting: bool = False,
    ) -> None:
        self.tree = tree
        self.session_id = session_id
        self.parent = parent
        self.target_type = target_type
        self.target_url = target_url
        self.target_id = target_id
        self.browser_context_id = browser_context_id
        self.waiting_for_debugger = waiting
        self.closed = False
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}

    @property
    def is_worker(self) -> bool:
        return self.target_type in WORKER_TYPES

    @property
    def is_root(self) -> bool:
        return self.parent is None

    def __repr__(self) -> str:
        return f"CdpSession({self.target_type} {self.target_url!r} {self.session_id[:8]})"

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        if self.closed:
            raise CdpError(f"{method}: session closed")
        if self.parent is None:
            try:
                result = await asyncio.wait_for(self.tree.root_send(method, params or {}), timeout)
            except TimeoutError:
                raise CdpError(f"{method}: no answer within {timeout:g}s") from None
            except CdpError:
                raise
            except Exception as exc:
                raise CdpError(f"{method}: {_first_line(exc)}") from exc
            return result if isinstance(result, dict) else {}
        msg_id = next(self._ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        message = json.dumps({"id": msg_id, "method": method, "params": params or {}})
        try:
            await self.parent.send(
                "Target.sendMessageToTarget",
                {"sessionId": self.session_id, "message": message},
                timeout=timeout,
            )
            reply = await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise CdpError(f"{method}: no answer within {timeout:g}s") from None
        finally:
            self._pending.pop(msg_id, None)
        if "error" in reply:
            err = reply["error"]
            text = err.get("message", err) if isinstance(err, dict) else err
            raise CdpError(f"{method}: {text}")
        result = reply.get("result", {})
        return result if isinstance(result, dict) else {}

    async def try_send(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any] | None:
        """`send`, returning None instead of raising."""
        try:
            return await self.send(method, params, timeout=timeout)
        except CdpError as exc:
            log.debug("%r %s", self, exc)
            return None

    def _deliver_reply(self, reply: dict[str, Any]) -> None:
        fut = self._pending.get(int(reply["id"]))
        if fut is not None and not fut.done():
            fut.set_result(reply)

    def _close(self) -> None:
        self.closed = True
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(CdpError("session closed (target gone)"))
                fut.exception()  # mark retrieved: the waiter, if any, still gets it
        self._pending.clear()


class CdpTree:
    """The root session and every child session auto-attached under it."""

    def __init__(
        self,
        root: PlaywrightCDPSession,
        *,
        on_event: EventCallback,
        on_attach: AttachCallback,
        root_type: str = "page",
        root_url: str = "",
        on_root_attach: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self._pw = root
        self._on_event = on_event
        self._on_attach = on_attach
        self._on_root_attach = on_root_attach
        self.root = CdpSession(
            self, session_id="", parent=None, target_type=root_type, target_url=root_url
        )
        self.sessions: dict[str, CdpSession] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        root.on("event", self._on_root_event)

    async def root_send(self, method: str, params: dict[str, Any]) -> Any:
        return await self._pw.send(method, params)

    def live_sessions(self) -> list[CdpSession]:
        return [self.root, *(s for s in self.sessions.values() if not s.closed)]

    def _on_root_event(self, event: dict[str, Any]) -> None:
        if self._closed:
            return
        try:
            self._dispatch(self.root, event.get("method", ""), event.get("params") or {})
        except Exception:  # an event we could not digest must not break the session
            log.exception("error handling DevTools event %s", event.get("method"))

    def _dispatch(self, session: CdpSession, method: str, params: dict[str, Any]) -> None:
        if method == "Target.receivedMessageFromTarget":
            child = self.sessions.get(params.get("sessionId", ""))
            if child is None:
                return
            try:
                message = json.loads(params.get("message", "{}"))
            except ValueError:
                return
            if "id" in message:
                child._deliver_reply(message)
            elif "method" in message:
                self._dispatch(child, message["method"], message.get("params") or {})
            return
        if method == "Target.attachedToTarget":
            if (
                session.is_root
                and self._on_root_attach is not None
                and self._on_root_attach(params)
            ):
                return
            info = params.get("targetInfo", {})
            if params.get("sessionId", "") in self.sessions:
                return
            child = CdpSession(
                self,
                session_id=params.get("sessionId", ""),
                parent=session,
                target_type=info.get("type", ""),
                target_url=info.get("url", ""),
                target_id=info.get("targetId", ""),
                browser_context_id=info.get("browserContextId", ""),
                waiting=bool(params.get("waitingForDebugger")),
            )
            self.sessions[child.session_id] = child
            self._spawn(self._attach(child))
        elif method == "Target.detachedFromTarget":
            child = self.sessions.get(params.get("sessionId", ""))
            if child is not None:
                child._close()
        self._on_event(session, method, params)

    def adopt(self, session_id: str, info: dict[str, Any]) -> CdpSession:
        """Register a non-flattened session the root attached to explicitly."""
        child = CdpSession(
            self,
            session_id=session_id,
            parent=self.root,
            target_type=info.get("type", ""),
            target_url=info.get("url", ""),
            target_id=info.get("targetId", ""),
            browser_context_id=info.get("browserContextId", ""),
        )
        self.sessions[session_id] = child
        return child

    def spawn(self, coro: Awaitable[None]) -> None:
        self._spawn(coro)

    async def _attach(self, child: CdpSession) -> None:
        try:
            await self._on_attach(child)
        except Exception:
            log.exception("setting up %r failed", child)
        finally:
            if child.waiting_for_debugger:
                await child.try_send("Runtime.runIfWaitingForDebugger")
                child.waiting_for_debugger = False

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self, timeout: float) -> None:
        """Wait (bounded) for pending child set-ups."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for session in self.sessions.values():
            session._close()
        with contextlib.suppress(Exception):
            self._pw.remove_listener("event", self._on_root_event)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
