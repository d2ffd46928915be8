"""STAGE 1 (capture): turn DevTools events of one page into scripts, requests and WebSocket frames.

One `Recorder` per captured page. It receives the events of every session of the page (the page
itself, out-of-process iframes, dedicated/shared/service workers) and keeps:

- scripts from `Debugger.scriptParsed`/`scriptFailedToParse`, with their source fetched at once
  (`Debugger.getScriptSource`, while the target is alive), ids `s1, s2, …` in order of first parse;
- requests from `Network.requestWillBeSent` (every redirect hop is a record), with status,
  headers, body, frame and the script that initiated them (`initiator.stack`);
- WebSocket connections (`Network.webSocketCreated`) and the frames sent over them;
- when the page is instrumented (instrument.py), the events `instrument.js` reports through
  `Runtime.consoleAPICalled`, each attributed to the script at the top of its stack (the
  instrumentation's own frames are never page scripts and are skipped), folded into
  `InstrumentEvent`s; WebSocket frames the in-page quarantine swallowed become
  `WebSocketMessage(quarantined=True)` and sockets it accepted locally become requests.

Kinds (ScriptKind): a script parsed in a worker target is `worker`; a script whose URL is the
document URL of a frame is `inline` (or `handler` when its code is an `on…` attribute of that
frame); an http(s) script is `external` when the HTML parser requested it and `dynamic` when a
script did; code without a URL created by a running script is `eval` (eval, new Function, string
timers) or `dynamic` (script elements inserted with text, document.write), told apart by the call
site; `blob:`/`data:` scripts are `dynamic`.

Invariants:
- Scripts of isolated worlds (Playwright's own helpers) are never recorded.
- Nothing is dropped silently: what could not be fetched or was too large becomes a note.
- Request bodies and sources stay in memory; nothing here writes anywhere.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urldefrag, urlsplit

from skimscan.capture.cdp import CdpError, CdpSession
from skimscan.capture.egress import Held
from skimscan.capture.htmlscan import scan_html
from skimscan.capture.instrument import Instrumentation
from skimscan.models import (
    FrameSnapshot,
    InstrumentEvent,
    RequestRecord,
    ScriptKind,
    ScriptSource,
    WebSocketMessage,
)

MAX_NOTES = 200
MAX_WS_MESSAGES = 2000
MAX_REQUESTS = 5000
MAX_DATA_EVENTS = 2000  # instrumentation events that carry a payload, kept one by one
_DOM_INSERT_WORDS = frozenset(
    {
        "appendChild",
        "insertBefore",
        "append",
        "prepend",
        "write",
        "writeln",
        "replaceWith",
        "replaceChild",
        "after",
        "before",
        "insertAdjacentElement",
        "insertAdjacentHTML",
        "innerHTML",
        "outerHTML",
        "text",
        "textContent",
        "innerText",
        "createContextualFragment",
        "setHTMLUnsafe",
        "parseHTMLUnsafe",
        "replaceChildren",
    }
)
_EVAL_WORDS = frozenset({"eval", "Function", "setTimeout", "setInterval", "execScript"})
_WORD = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass
class _Script:
    sid: str
    session: CdpSession
    script_id: str
    params: dict[str, Any]
    frame_url: str | None
    code: str | None = None
    skipped: str | None = None
    task: asyncio.Task[None] | None = None
    first_parse: int = 0
    at: float = field(default_factory=time.time)


@dataclass
class _Request:
    request_id: str
    url: str
    method: str
    resource_type: str
    headers: dict[str, str]
    frame: str | None
    script: str | None
    initiator: dict[str, Any] = field(default_factory=dict)
    stack_scripts: list[str] = field(default_factory=list)
    body: bytes | None = None
    status: int | None = None
    quarantined: bool = False
    at: float = field(default_factory=time.time)


@dataclass
class _Socket:
    url: str
    script: str | None
    frame: str | None


def _strip_fragment(url: str) -> str:
    return urldefrag(url)[0] if url else url


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


_PLAYWRIGHT_MARKERS = ("utilityScript.evaluate(", "injectedScript.", "const module = {};\n")
#: The clock API's calls into the page, whole: nothing else can hide behind them.
_CLOCK_CALL = re.compile(
    r"\s*(\(\(\) => \{\s*)?globalThis\.__pwClock\.controller\.\w+\("
    r"[\w'\", ]*\)\s*(\}\)\(\);)?\s*")


def _is_playwright_helper(code: str) -> bool:
    """Playwright evaluates a few helpers in the page's world for some actions (dispatching
    events, hit-target checks in cross-site frames); the shopper avoids those actions, and this
    catches any that slip through. Only code compiled without a JavaScript stack (through the
    DevTools protocol) is looked at, and leaving one out is noted, never silent."""
    head = code[:400]
    return any(marker in head for marker in (*_PLAYWRIGHT_MARKERS, "injected2."))


def _limit(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class Recorder:
    """Collects one page's scripts, requests and WebSocket frames from its DevTools sessions."""

    def __init__(
        self,
        *,
        max_script_bytes: int,
        max_body_bytes: int,
        fetch_limit: asyncio.Semaphore,
        instrumentation: Instrumentation | None = None,
    ) -> None:
        self.instrumentation = instrumentation
        self.max_script_bytes = max_script_bytes
        self.max_body_bytes = max_body_bytes
        self._fetch_limit = fetch_limit
        self.frozen = False
        self._notes: list[str] = []
        self._scripts: list[_Script] = []
        self._by_key: dict[tuple[str, str], _Script] = {}
        self._requests: list[_Request] = []
        self._req_by_id: dict[str, _Request] = {}
        self._sockets: dict[str, _Socket] = {}
        self._ws: list[WebSocketMessage] = []
        self._ws_senders: dict[tuple[str, str], str] = {}  # (socket URL, payload) -> script
        self._frames: dict[str, str] = {}  # frame id -> URL (without fragment)
        self._main_frame_id = ""
        self._doc_urls: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._counter = 0
        self._failed_targets: list[str] = []
        self.popups: list[str] = []
        self._targets: set[str] = set()
        self._contexts: dict[tuple[str, int], str] = {}  # (session, context id) -> frame id
        self._folded: dict[tuple[Any, ...], InstrumentEvent] = {}
        self._data_events: list[InstrumentEvent] = []
        self.instrumented_frames: list[str] = []

    # ------------------------------------------------------------------ notes
    def note(self, text: str) -> None:
        if text in self._notes:
            return
        if len(self._notes) < MAX_NOTES:
            self._notes.append(text)
        elif len(self._notes) == MAX_NOTES:
            self._notes.append("more notes were left out")

    @property
    def notes(self) -> list[str]:
        return list(self._notes)

    # ------------------------------------------------------------------ session set-up
    async def setup_session(self, session: CdpSession) -> None:
        """Enable what we record on a (paused) target; the tree resumes it afterwards."""
        if session.target_id:
            if session.target_id in self._targets:
                return  # reached twice (page-level and browser-wide auto-attach): record once
            self._targets.add(session.target_id)
        # Network first: a worker may be let go by Playwright's own session before we are done
        # here, and Debugger.enable replays the scripts already parsed anyway.
        commands: list[tuple[str, dict[str, Any]]] = [
            (
                "Network.enable",
                {
                    "maxPostDataSize": self.max_body_bytes,
                    "maxTotalBufferSize": 8_000_000,
                    "maxResourceBufferSize": 4_000_000,
                },
            ),
            ("Debugger.enable", {}),
            ("Debugger.setSkipAllPauses", {"skip": True}),  # `debugger;` traps never pause
            ("Debugger.setAsyncCallStackDepth", {"maxDepth": 16}),
        ]
        if not session.is_worker:
            commands.append(("Page.enable", {}))
            if self.instrumentation is not None:
                commands.append(("Runtime.enable", {}))  # instrument.js reports via console
        commands.append(
            (
                "Target.setAutoAttach",
                {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False},
            )
        )
        results = await asyncio.gather(
            *(session.send(m, p) for m, p in commands), return_exceptions=True
        )
        for (method, _), result in zip(commands, results, strict=True):
            if isinstance(result, BaseException):
                if method == "Debugger.enable":
                    where = session.target_url or session.target_type
                    self.note(
                        f"scripts of {session.target_type} {where} could not be captured: {result}"
                    )
                elif method == "Network.enable" and not session.is_worker:
                    where = session.target_url or session.target_type
                    self.note(f"requests of {session.target_type} {where} not recorded: {result}")
        if session.target_type == "iframe" and session.target_id and session.target_url:
            self._frames.setdefault(session.target_id, _strip_fragment(session.target_url))

    # ------------------------------------------------------------------ events
    def on_event(self, session: CdpSession, method: str, params: dict[str, Any]) -> None:
        if method in ("Debugger.scriptParsed", "Debugger.scriptFailedToParse"):
            self._on_script(session, params, failed=method.endswith("FailedToParse"))
        elif method == "Network.requestWillBeSent":
            self._on_request(session, params)
        elif method == "Network.responseReceived":
            self._on_response(params)
        elif method == "Network.loadingFailed":
            req = self._req_by_id.get(params.get("requestId", ""))
            if req is not None and params.get("blockedReason") and req.status is None:
                self.note(
                    f"request blocked by the browser ({params['blockedReason']}): {_limit(req.url)}"
                )
        elif method == "Network.webSocketCreated":
            self._on_socket(session, params)
        elif method == "Network.webSocketHandshakeResponseReceived":
            rec = self._req_by_id.get("ws:" + params.get("requestId", ""))
            if rec is not None:
                rec.status = params.get("response", {}).get("status")
        elif method == "Network.webSocketFrameSent":
            self._on_ws_frame(params)
        elif method == "Page.frameNavigated":
            frame = params.get("frame", {})
            if frame.get("id") and frame.get("url"):
                if session.is_root and not frame.get("parentId"):
                    self._main_frame_id = str(frame["id"])
                url = _strip_fragment(frame["url"])
                self._frames[frame["id"]] = url
                self._doc_urls.add(url)
        elif method == "Page.windowOpen":
            url = params.get("url", "")
            self.popups.append(url)
            self._add_request(
                _Request(
                    request_id=f"popup:{len(self.popups)}",
                    url=url,
                    method="GET",
                    resource_type="popup",
                    headers={},
                    frame=self._session_frame(session, None),
                    script=None,
                )
            )
        elif method == "Target.attachedToTarget":
            info = params.get("targetInfo", {})
            if info.get("type") not in ("iframe", "worker", "shared_worker", "service_worker"):
                self.note(f"a {info.get('type')} target was not inspected: {info.get('url', '')}")
        elif method == "Inspector.targetCrashed":
            self.note(f"the {session.target_type} {session.target_url} crashed")
        elif method == "Runtime.executionContextCreated":
            ctx = params.get("context") or {}
            frame_id = (ctx.get("auxData") or {}).get("frameId")
            if frame_id and isinstance(ctx.get("id"), int):
                self._contexts[(session.session_id, ctx["id"])] = str(frame_id)
        elif method == "Runtime.consoleAPICalled" and self.instrumentation is not None:
            self._on_instrument(session, params)

    def _session_frame(self, session: CdpSession, frame_id: str | None) -> str | None:
        if session.is_worker:
            return session.target_url or None
        if frame_id and frame_id in self._frames:
            return self._frames[frame_id]
        if session.target_type == "iframe" and session.target_url:
            return _strip_fragment(session.target_url)
        if session.is_root and self._main_frame_id in self._frames:
            return self._frames[self._main_frame_id]
        return None

    def _on_script(self, session: CdpSession, params: dict[str, Any], *, failed: bool) -> None:
        if self.frozen:
            return
        aux = params.get("executionContextAuxData") or {}
        if aux and aux.get("isDefault") is False:
            return  # an isolated world: Playwright's own helpers, never page code
        if self.instrumentation is not None and params.get("url") == (
            self.instrumentation.source_url
        ):
            return  # our own instrumentation, in the page's world
        if params.get("length") == 0 and not params.get("url"):
            return  # V8 compiles empty code now and then (e.g. around fetch bodies): no script
        script_id = str(params.get("scriptId", ""))
        key = (session.session_id, script_id)
        if key in self._by_key and self._by_key[key].params.get("hash") == params.get("hash"):
            return  # replayed by a second Debugger.enable
        self._counter += 1
        frame_url = self._session_frame(session, aux.get("frameId"))
        rec = _Script(
            sid=f"s{self._counter}",
            session=session,
            script_id=script_id,
            params=params,
            frame_url=frame_url,
            first_parse=self._counter,
        )
        if failed:
            self.note(
                f"script {rec.sid} ({_limit(params.get('url') or 'no URL')}) has a syntax "
                "error; kept for analysis"
            )
        self._scripts.append(rec)
        self._by_key[key] = rec
        length = int(params.get("length") or 0)
        if params.get("scriptLanguage") == "WebAssembly":
            rec.skipped = "a WebAssembly module (not analysed)"
        elif length > self.max_script_bytes:
            rec.skipped = f"{length} characters, over the {self.max_script_bytes}-character limit"
        else:
            rec.task = asyncio.ensure_future(self._fetch_source(rec))
            self._tasks.add(rec.task)
            rec.task.add_done_callback(self._tasks.discard)

    async def _fetch_source(self, rec: _Script) -> None:
        async with self._fetch_limit:
            try:
                result = await rec.session.send(
                    "Debugger.getScriptSource", {"scriptId": rec.script_id}, timeout=10.0
                )
            except CdpError as exc:
                rec.skipped = f"its source could not be fetched ({exc})"
                return
        code = result.get("scriptSource")
        if isinstance(code, str):
            rec.code = code
        else:
            rec.skipped = "the debugger returned no source"

    def _script_from_stack(self, session: CdpSession, stack: Mapping[str, Any] | None) -> list[str]:
        """Script ids on a stack (and its async parents), top first, unique."""
        found: list[str] = []
        depth = 0
        while stack and depth < 32:
            for frame in stack.get("callFrames", []):
                rec = self._by_key.get((session.session_id, str(frame.get("scriptId", ""))))
                url = str(frame.get("url", ""))
                if rec is not None and url and str(rec.params.get("url") or "") != url:
                    # A stack from another isolate (a worker's first request carries its
                    # creator's stack): script ids are per isolate, trust the URL instead.
                    rec = None
                if rec is None:
                    rec = self._script_by_url(url)
                if rec is not None and rec.sid not in found:
                    found.append(rec.sid)
            stack = stack.get("parent")
            depth += 1
        return found

    def _script_by_url(self, url: str) -> _Script | None:
        if not url:
            return None
        for rec in reversed(self._scripts):
            if rec.params.get("url") == url and url not in self._doc_urls:
                return rec
        return None

    def _on_request(self, session: CdpSession, params: dict[str, Any]) -> None:
        request_id = str(params.get("requestId", ""))
        request = params.get("request", {})
        existing = self._req_by_id.get(request_id)
        redirect = params.get("redirectResponse")
        if existing is not None:
            if not redirect:
                return  # the same request reported by a second session
            existing.status = redirect.get("status")
        initiator = params.get("initiator") or {}
        scripts = self._script_from_stack(session, initiator.get("stack"))
        if not scripts and existing is not None:
            scripts = [existing.script] if existing.script else []
        frame_id = params.get("frameId")
        resource = str(params.get("type") or "Other").lower()
        url = str(request.get("url", ""))
        if resource == "document" and frame_id:
            self._doc_urls.add(_strip_fragment(url))
        body: bytes | None = None
        if isinstance(request.get("postData"), str):
            body = request["postData"].encode("utf-8", "surrogatepass")
        elif request.get("postDataEntries"):
            chunks = []
            for entry in request["postDataEntries"]:
                with contextlib.suppress(ValueError, TypeError):
                    chunks.append(base64.b64decode(entry.get("bytes", "")))
            body = b"".join(chunks)
        rec = _Request(
            request_id=request_id,
            url=url,
            method=str(request.get("method", "GET")),
            resource_type=resource,
            headers={str(k): str(v) for k, v in (request.get("headers") or {}).items()},
            frame=self._session_frame(session, frame_id),
            script=scripts[0] if scripts else None,
            initiator=initiator,
            stack_scripts=scripts,
            body=body[: self.max_body_bytes] if body is not None else None,
        )
        if body is None and request.get("hasPostData"):
            task = asyncio.ensure_future(self._fetch_post_data(session, rec))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._add_request(rec)

    def _add_request(self, rec: _Request) -> None:
        if len(self._requests) >= MAX_REQUESTS:
            if len(self._requests) == MAX_REQUESTS:
                self.note(f"more than {MAX_REQUESTS} requests; the rest were not recorded")
                self._requests.append(rec)  # the one that crossed the line, for the note only
            return
        self._requests.append(rec)
        self._req_by_id[rec.request_id] = rec

    async def _fetch_post_data(self, session: CdpSession, rec: _Request) -> None:
        result = await session.try_send("Network.getRequestPostData", {"requestId": rec.request_id})
        if result and isinstance(result.get("postData"), str):
            data = result["postData"]
            raw = (
                base64.b64decode(data)
                if result.get("base64Encoded")
                else data.encode("utf-8", "surrogatepass")
            )
            rec.body = raw[: self.max_body_bytes]
        else:
            self.note(f"the body of {rec.method} {_limit(rec.url)} could not be read")

    def _on_response(self, params: dict[str, Any]) -> None:
        rec = self._req_by_id.get(str(params.get("requestId", "")))
        response = params.get("response", {})
        if rec is not None:
            rec.status = response.get("status")
        if params.get("type") == "Document" and params.get("frameId") and response.get("url"):
            url = _strip_fragment(str(response["url"]))
            self._frames.setdefault(str(params["frameId"]), url)
            self._doc_urls.add(url)

    def _on_socket(self, session: CdpSession, params: dict[str, Any]) -> None:
        request_id = str(params.get("requestId", ""))
        scripts = self._script_from_stack(session, (params.get("initiator") or {}).get("stack"))
        frame = self._session_frame(session, None)
        sock = _Socket(
            url=str(params.get("url", "")), script=scripts[0] if scripts else None, frame=frame
        )
        self._sockets[request_id] = sock
        self._add_request(
            _Request(
                request_id="ws:" + request_id,
                url=sock.url,
                method="GET",
                resource_type="websocket",
                headers={},
                frame=frame,
                script=sock.script,
                initiator=params.get("initiator") or {},
            )
        )

    def _on_ws_frame(self, params: dict[str, Any]) -> None:
        sock = self._sockets.get(str(params.get("requestId", "")))
        if sock is None:
            return
        if len(self._ws) >= MAX_WS_MESSAGES:
            self.note(f"more than {MAX_WS_MESSAGES} WebSocket frames; the rest were not kept")
            return
        payload = (params.get("response") or {}).get("payloadData", "")
        self._ws.append(
            WebSocketMessage(
                url=sock.url,
                payload=str(payload)[: self.max_body_bytes],
                script=sock.script,
                frame=sock.frame,
            )
        )

    # ------------------------------------------------------------------ instrumentation
    def _on_instrument(self, session: CdpSession, params: dict[str, Any]) -> None:
        assert self.instrumentation is not None
        args = params.get("args") or []
        if params.get("type") != "debug" or not args or args[0].get("type") != "string":
            return
        event = self.instrumentation.parse(str(args[0].get("value", "")))
        if event is None:
            return
        kind: str = event["k"]
        detail: dict[str, str] = event["d"]
        frame_id = self._contexts.get((session.session_id, int(params.get("executionContextId")
                                                                 or 0)))
        frame = self._session_frame(session, frame_id)
        if kind == "init":
            self.instrumented_frames.append(detail.get("url", frame or ""))
            return
        stack = self._script_from_stack(session, params.get("stackTrace"))
        script = stack[0] if stack else None
        data = event.get("x")
        if kind == "sink" and detail.get("sink") in ("websocket", "ws-send"):
            self._instrumented_socket(detail, script, frame, data)
        if isinstance(data, str):
            if len(self._data_events) < MAX_DATA_EVENTS:
                self._data_events.append(InstrumentEvent(
                    kind, detail, script, frame, tuple(stack[:8]), data=data))
            return
        key = (kind, tuple(sorted(detail.items())), script, frame)
        old = self._folded.get(key)
        if old is None:
            self._folded[key] = InstrumentEvent(kind, detail, script, frame, tuple(stack[:8]))
        else:
            self._folded[key] = InstrumentEvent(kind, detail, script, frame, old.stack,
                                                count=old.count + 1)

    def _instrumented_socket(self, detail: Mapping[str, str], script: str | None,
                             frame: str | None, data: Any) -> None:
        """Sockets the in-page quarantine accepted, frames it swallowed; and the sender of
        frames that did go out (the DevTools frame event only knows the socket's creator)."""
        url = detail.get("url", "")
        swallowed = detail.get("swallowed") == "1"
        if detail.get("sink") == "websocket":
            if swallowed:
                headers = {"Sec-WebSocket-Protocol": data} if isinstance(data, str) else {}
                self._add_request(_Request(
                    request_id=f"ws-local:{len(self._requests)}", url=url, method="GET",
                    resource_type="websocket", headers=headers, frame=frame, script=script,
                    stack_scripts=[script] if script else [], status=101, quarantined=True))
            return
        if swallowed and isinstance(data, str) and len(self._ws) < MAX_WS_MESSAGES:
            self._ws.append(WebSocketMessage(url=url, payload=data[: self.max_body_bytes],
                                             script=script, frame=frame, quarantined=True))
        elif isinstance(data, str) and script:
            self._ws_senders.setdefault((url, data), script)

    def instrument_events(self) -> tuple[InstrumentEvent, ...]:
        """What the instrumentation saw: identical events folded (with a count), events with a
        payload one by one."""
        return (*self._folded.values(), *self._data_events)

    def add_unattributed(self, seen: Iterable[RequestRecord]) -> None:
        """Requests Playwright saw that no DevTools session reported (a worker that started
        before recording was on in it): kept, without an initiating script, and noted."""
        counts: dict[tuple[str, str], int] = {}
        for rec in self._requests:
            counts[(rec.url, rec.method)] = counts.get((rec.url, rec.method), 0) + 1
        added = 0
        for req in seen:
            key = (req.url, req.method)
            if counts.get(key, 0) > 0:
                counts[key] -= 1
                continue
            added += 1
            self._add_request(
                _Request(
                    request_id=f"pw:{added}",
                    url=req.url,
                    method=req.method,
                    resource_type=req.resource_type,
                    headers=dict(req.headers),
                    frame=req.frame,
                    script=None,
                    body=req.body,
                )
            )
        if added:
            self.note(
                f"{added} request(s) were seen only by Playwright, without their initiating "
                "script (made by a worker before recording was on in it)"
            )

    def named_before(self, url: str, when: float) -> bool:
        """Whether `url` — host, path and query, whole — is a complete string literal (quoted,
        with or without its scheme) in a script that ran before `when` (wall clock): such a
        URL cannot carry anything typed after it. A prefix of a longer literal does not count
        (its length could encode a digit)."""
        tail = url.split("://", 1)[-1].split("#")[0]
        if len(tail) < 8:
            return False
        literal = re.compile(r"""(["'`])(?:https?:)?//""" + re.escape(tail) + r"\1")
        return any(rec.at < when and rec.code is not None and literal.search(rec.code)
                   for rec in self._scripts)

    def fetched_before(self, url: str, when: float) -> bool:
        """Whether the page requested exactly `url` as a script, without a body, before
        `when` (wall clock): loading it again says nothing typed since."""
        return any(rec.at < when and rec.url == url and rec.resource_type == "script"
                   and not rec.body and rec.method == "GET" for rec in self._requests)

    def hosts_between(self, start: float, end: float) -> dict[str, int]:
        """Hosts requested in a span of wall-clock time, with how many requests each."""
        out: dict[str, int] = {}
        for rec in self._requests:
            if start <= rec.at <= end:
                host = _host(rec.url)
                out[host] = out.get(host, 0) + 1
        return out

    def add_held(self, held: Iterable[Held]) -> None:
        """What the egress proxy answered itself (workers' sockets, beacons at unload,
        connections for names the page built): requests and frames the DevTools view already
        has are marked quarantined (the proxy held them) and given the body it lacked; the
        others are added without an initiating script."""
        by_key: dict[tuple[str, str], list[_Request]] = {}
        for rec in self._requests:
            by_key.setdefault((rec.method, rec.url), []).append(rec)
        frames: dict[tuple[str, str], list[int]] = {}
        for i, m in enumerate(self._ws):
            frames.setdefault((m.url, m.payload), []).append(i)
        added = 0
        for item in held:
            if item.kind == "websocket" and item.method == "SEND":
                payload = item.body.decode("utf-8", "replace")
                seen = frames.get((item.url, payload))
                if seen:  # the same message seen by DevTools (all of them: a kit repeats itself)
                    for index in seen:
                        self._ws[index] = replace(self._ws[index], quarantined=True)
                elif len(self._ws) < MAX_WS_MESSAGES:
                    self._ws.append(WebSocketMessage(url=item.url, payload=payload,
                                                     quarantined=True))
                continue
            method = "GET" if item.kind != "request" else item.method
            known = by_key.get((method, item.url))
            if known:
                for rec in known:
                    rec.quarantined = True
                    if rec.body is None and item.body:
                        rec.body = item.body[: self.max_body_bytes]
                    for name, value in item.headers.items():  # what DevTools did not show
                        rec.headers.setdefault(name, value)
                continue
            added += 1
            kind = {"websocket": "websocket", "connection": "connection"}.get(item.kind, "other")
            rec = _Request(request_id=f"egress:{added}", url=item.url, method=method,
                           resource_type=kind, headers=dict(item.headers), frame=None,
                           script=None, body=item.body or None, quarantined=True, at=item.at)
            by_key.setdefault((method, item.url), []).append(rec)
            self._add_request(rec)

    def mark_quarantined(self, urls: Iterable[str], *, since: float | None = None,
                         bodies: Mapping[tuple[str, str], bytes] | None = None) -> None:
        """Requests answered locally (from `since`, a wall-clock time, when given); a body the
        DevTools view lacks is taken from the route's view of the same (method, URL)."""
        wanted = set(urls)
        for rec in self._requests:
            if rec.url in wanted and (since is None or rec.at >= since - 0.05):
                rec.quarantined = True
                body = bodies.get((rec.method, rec.url)) if bodies else None
                if rec.body is None and body is not None:
                    rec.body = body[: self.max_body_bytes]

    # ------------------------------------------------------------------ flushing
    async def wait_pending(self, timeout: float) -> None:
        """Wait (bounded) for source and body fetches in flight."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await asyncio.wait(list(self._tasks), timeout=remaining)
        for task in list(self._tasks):
            task.cancel()

    # ------------------------------------------------------------------ result
    def build(
        self, frames: Iterable[FrameSnapshot]
    ) -> tuple[tuple[ScriptSource, ...], tuple[RequestRecord, ...], tuple[WebSocketMessage, ...]]:
        frames = list(frames)
        kinds: dict[str, ScriptKind] = {}
        direct: dict[str, list[str]] = {}
        for rec in self._scripts:
            kinds[rec.sid], direct[rec.sid] = self._classify(rec)
        # Handler attributes and javascript: URLs, as the rendered DOM shows them.
        dom_handlers: dict[str, list[tuple[str, str, int]]] = {}
        for snap in frames:
            try:
                found = scan_html(snap.html, snap.url)
            except Exception as exc:  # bs4 on hostile markup: say so, keep going
                self.note(f"the DOM of {_limit(snap.url)} could not be scanned for handlers: {exc}")
                continue
            for item in found:
                if item.kind in ("handler", "javascript-url", "inline"):
                    dom_handlers.setdefault(snap.url, []).append((item.kind, item.code, item.line))
        handler_codes = {
            code.strip(): kind
            for items in dom_handlers.values()
            for kind, code, _ in items
            if kind != "inline"
        }
        for rec in self._scripts:
            code = (rec.code or "").strip()
            if not code or code not in handler_codes:
                continue
            if kinds[rec.sid] in (ScriptKind.INLINE, ScriptKind.EVAL):
                kinds[rec.sid] = (
                    ScriptKind.HANDLER
                    if handler_codes[code] == "handler"
                    else ScriptKind.JAVASCRIPT_URL
                )
        scripts: list[ScriptSource] = []
        helpers = 0
        for rec in self._scripts:
            if kinds[rec.sid] is ScriptKind.EVAL and (
                    (not rec.params.get("stackTrace") and _is_playwright_helper(rec.code or ""))
                    or _CLOCK_CALL.fullmatch(rec.code or "")):
                helpers += 1  # the automation's own code in the page's world: never page code
                continue
            chain = self._chain(rec.sid, direct)
            params = rec.params
            url = str(params.get("url") or "")
            kind = kinds[rec.sid]
            if kind in (ScriptKind.EVAL,) or (kind is ScriptKind.DYNAMIC and not url):
                url_out: str | None = None
            elif kind in (ScriptKind.HANDLER, ScriptKind.JAVASCRIPT_URL, ScriptKind.INLINE):
                url_out = url or rec.frame_url
            else:
                url_out = url or None
            if rec.code is None:
                self.note(
                    f"script {rec.sid} ({kind.value}, {_limit(url or 'no URL')}) was not captured: "
                    f"{rec.skipped or 'its source did not arrive in time'}"
                )
                code_text = ""
            else:
                code_text = rec.code
            data = code_text.encode("utf-8", "surrogatepass")
            scripts.append(
                ScriptSource(
                    id=rec.sid,
                    code=code_text,
                    url=url_out,
                    kind=kind,
                    frame=rec.frame_url,
                    initiator=tuple(chain),
                    line_offset=int(params.get("startLine") or 0),
                    sha256=hashlib.sha256(data).hexdigest() if rec.code is not None else "",
                    size=len(data) if rec.code is not None else int(params.get("length") or 0),
                )
            )
        if helpers:
            self.note(f"{helpers} helper script(s) of the browser automation were left out")
        seen_codes = {s.code.strip() for s in scripts if s.code}
        extra = 0
        missing_inline = 0
        for frame_url, items in dom_handlers.items():
            for kind_text, code, line in items:
                stripped = code.strip()
                if not stripped or stripped in seen_codes:
                    continue
                seen_codes.add(stripped)
                if kind_text == "inline":
                    missing_inline += 1
                    kind = ScriptKind.INLINE
                elif kind_text == "handler":
                    kind = ScriptKind.HANDLER
                else:
                    kind = ScriptKind.JAVASCRIPT_URL
                extra += 1
                self._counter += 1
                data = code.encode("utf-8", "surrogatepass")
                scripts.append(
                    ScriptSource(
                        id=f"s{self._counter}",
                        code=code,
                        url=frame_url,
                        kind=kind,
                        frame=frame_url,
                        initiator=(frame_url,),
                        line_offset=line,
                        sha256=hashlib.sha256(data).hexdigest(),
                        size=len(data),
                    )
                )
        if missing_inline:
            self.note(
                f"{missing_inline} inline script(s) found in the rendered DOM that never ran "
                "(e.g. inserted with innerHTML, or in a frame the debugger could not reach); "
                "taken from the DOM"
            )
        requests = tuple(
            RequestRecord(
                url=r.url,
                method=r.method,
                host=_host(r.url),
                resource_type=r.resource_type,
                script=r.script,
                frame=r.frame,
                status=204 if r.quarantined and r.status is None else r.status,
                quarantined=r.quarantined,
                headers=r.headers,
                body=r.body,
                stack=tuple(r.stack_scripts[:8]),
                at=r.at,
            )
            for r in self._requests[:MAX_REQUESTS]
        )
        ws = tuple(
            m if m.quarantined or (m.url, m.payload) not in self._ws_senders
            else WebSocketMessage(m.url, m.payload, self._ws_senders[(m.url, m.payload)],
                                  m.frame)
            for m in self._ws
        )
        return tuple(scripts), requests, ws

    def _classify(self, rec: _Script) -> tuple[ScriptKind, list[str]]:
        params = rec.params
        url = str(params.get("url") or "")
        stack = params.get("stackTrace")
        creators = self._script_from_stack(rec.session, stack)
        if rec.session.is_worker:
            found = creators or self._request_initiator(url)
            known = {x.sid for x in self._scripts}
            if not any(x in known for x in found) and url != rec.session.target_url:
                # importScripts before the worker's network was recorded: its main script.
                same = [x for x in self._scripts if x.session is rec.session and x is not rec]
                main = next(
                    (x for x in same if x.params.get("url") == rec.session.target_url), None
                )
                if main is None and rec.session.target_url:  # reported by another session
                    main = self._script_by_url(rec.session.target_url)
                if main is None and same:
                    main = same[0]
                if main is not None:
                    found = [main.sid]
            elif url == rec.session.target_url:
                # The worker's main script: loaded by the frame that created the worker. (Stacks
                # reported for it mix the creator's isolate with the worker's: not used.)
                req = self._find_request(url)
                creator = req.frame if req is not None and req.frame and req.frame != url else None
                if creator is None and rec.session.parent is not None:
                    creator = self._session_frame(rec.session.parent, None)
                found = [creator] if creator else []
            return ScriptKind.WORKER, found
        if url and not params.get("hasSourceURL"):
            plain = _strip_fragment(url)
            if plain in self._doc_urls or plain == rec.frame_url:
                return ScriptKind.INLINE, creators or ([rec.frame_url] if rec.frame_url else [])
            if url.startswith(("blob:", "data:")):
                return ScriptKind.DYNAMIC, creators
            chain = self._request_initiator(url)
            req = self._find_request(url)
            if req is not None and req.initiator.get("type") == "script":
                return ScriptKind.DYNAMIC, chain
            return ScriptKind.EXTERNAL, chain
        # No URL (or a sourceURL comment naming itself): code made from a string at run time.
        if not stack:
            return ScriptKind.EVAL, creators
        code = self._code_at_call_site(rec.session, stack)
        source = rec.code or ""
        if source.startswith("(function anonymous("):
            return ScriptKind.EVAL, creators
        word = _WORD.match(code) if code else None
        if word and word.group(0) in _DOM_INSERT_WORDS:
            return ScriptKind.DYNAMIC, creators
        if word and word.group(0) in _EVAL_WORDS:
            return ScriptKind.EVAL, creators
        return ScriptKind.EVAL, creators

    def _code_at_call_site(self, session: CdpSession, stack: Mapping[str, Any]) -> str:
        frames = stack.get("callFrames") or []
        if not frames:
            return ""
        top = frames[0]
        caller = self._by_key.get((session.session_id, str(top.get("scriptId", ""))))
        if caller is None or not caller.code:
            return ""
        line = int(top.get("lineNumber", 0)) - int(caller.params.get("startLine") or 0)
        col = int(top.get("columnNumber", 0))
        if line == 0:
            col -= int(caller.params.get("startColumn") or 0)
        lines = caller.code.split("\n")
        if not 0 <= line < len(lines):
            return ""
        return lines[line][max(col, 0) : max(col, 0) + 64]

    def _find_request(self, url: str) -> _Request | None:
        for req in reversed(self._requests):
            if req.url == url and req.resource_type in ("script", "other", "fetch", "xhr"):
                return req
        for req in reversed(self._requests):
            if req.url == url:
                return req
        return None

    def _request_initiator(self, url: str) -> list[str]:
        req = self._find_request(url)
        if req is None:
            return []
        if req.stack_scripts:
            return list(req.stack_scripts)  # nearest first
        if req.script:
            return [req.script]
        ini_url = req.initiator.get("url")
        if ini_url:
            return [str(ini_url)]
        return [req.frame] if req.frame else []

    def _chain(self, sid: str, direct: Mapping[str, list[str]]) -> list[str]:
        chain: list[str] = []
        current = sid
        seen = {sid}
        for _ in range(32):
            links = direct.get(current, [])
            for link in links:
                if link not in chain and link != sid:
                    chain.append(link)
            nxt = next((x for x in reversed(links) if x in direct and x not in seen), None)
            if nxt is None:
                break
            seen.add(nxt)
            current = nxt
        return chain
