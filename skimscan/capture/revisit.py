"""STAGE 1 (capture): one script, however many times the page loaded it.

When the shopper comes back (a store-now-send-later check, `page._Capture._come_back`), every
script of the page runs a second time under a new DevTools id. For the report that is one
script: the second copy (same URL, kind and code) is folded into the first, and every
request, socket message and instrumentation event of the second visit names the first id. A
script whose code changed between the visits stays a script of its own (that is news).
"""

from __future__ import annotations

from dataclasses import replace

from skimscan.models import PageCapture, ScriptKind, ScriptSource


def _key(s: ScriptSource) -> tuple[str | None, str, str]:
    """Same code, same kind, from the same URL — the page's own (inline) without its query:
    the success page `?step=success` is the page the script ran on before."""
    url = s.url
    if url and s.kind is not ScriptKind.EXTERNAL and s.kind is not ScriptKind.WORKER:
        url = url.split("?")[0].split("#")[0]
    return url, s.kind.value, s.sha256 or s.code


def fold_repeated_scripts(capture: PageCapture) -> PageCapture:
    """The capture with scripts loaded again on a later visit folded into their first copy."""
    first: dict[tuple[str | None, str, str], str] = {}
    alias: dict[str, str] = {}
    kept: list[ScriptSource] = []
    for s in capture.scripts:
        original = first.setdefault(_key(s), s.id)
        if original == s.id:
            kept.append(s)
        else:
            alias[s.id] = original
    if not alias:
        return capture

    def one(sid: str | None) -> str | None:
        return alias.get(sid, sid) if sid is not None else None

    def many(ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(alias.get(i, i) for i in ids))

    return replace(
        capture,
        scripts=tuple(replace(s, initiator=many(s.initiator)) for s in kept),
        requests=tuple(replace(r, script=one(r.script), stack=many(r.stack))
                       for r in capture.requests),
        websocket_messages=tuple(replace(m, script=one(m.script))
                                 for m in capture.websocket_messages),
        instrumentation=tuple(replace(e, script=one(e.script), stack=many(e.stack))
                              for e in capture.instrumentation),
    )
