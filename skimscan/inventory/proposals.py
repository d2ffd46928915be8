"""SIDE-CAR (inventory) — proposals: SRI attributes and a Content-Security-Policy that would allow
exactly the approved behaviour of a page (PCI DSS 6.4.3 "assure the integrity of each script").

Input is an approved snapshot (normally the baseline) and the stored contents of its scripts:

- SRI: `integrity="sha384-…"` for each external script, from the bytes the browser received;
  with a note where SRI will break (a processor SDK updated in place, a per-deploy URL).
- CSP: `script-src` (origins of approved external scripts, `'self'` for first-party ones, a
  `'sha256-…'` hash per inline script), `connect-src` (origins of fetch/XHR/beacon/WebSocket
  requests), `frame-src` (origins of cross-origin frame documents). Scripts the policy marks
  `unapproved`, and requests to look-alike or known-bad hosts, are left out and listed, so the
  policy blocks them. What a CSP cannot express (eval, inline handlers) becomes a note.

Invariants: pure functions of their input, deterministic order; nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from skimscan.inventory.store import Content, Snapshot

CONNECT_TYPES = frozenset({"xhr", "fetch", "websocket", "eventsource", "ping", "beacon"})
FRAME_TYPES = frozenset({"document", "subdocument"})
UNTRUSTED = frozenset({"look-alike", "known-bad"})


@dataclass(frozen=True)
class SriProposal:
    url: str
    integrity: str
    tag: str
    note: str = ""


@dataclass(frozen=True)
class CspProposal:
    directives: tuple[tuple[str, tuple[str, ...]], ...]
    excluded: tuple[str, ...] = ()  # what the policy deliberately leaves out, and why
    notes: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return "; ".join(f"{name} {' '.join(values)}" for name, values in self.directives)


@dataclass(frozen=True)
class Proposals:
    target: str
    scan_id: int
    sri: tuple[SriProposal, ...]
    csp: CspProposal


def origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme.lower())
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme.lower()}://{host}{suffix}"


def propose(snapshot: Snapshot, contents: Mapping[str, Content]) -> Proposals:
    """SRI and CSP proposals for the page of `snapshot` (see the module docstring)."""
    page_origin = origin_of(snapshot.target) or ""
    script_src: set[str] = set()
    inline_hashes: set[str] = set()
    excluded: list[str] = []
    notes: list[str] = []
    sri: list[SriProposal] = []
    for s in sorted(snapshot.scripts, key=lambda s: s.key):
        if s.authorization == "unapproved":
            excluded.append(f"script {s.url or s.key}: not approved in the policy")
            continue
        content = contents.get(s.sha256)
        if s.kind in ("external", "dynamic", "worker") and s.url and "://" in s.url:
            origin = origin_of(s.url)
            if origin is None:
                continue
            script_src.add("'self'" if origin == page_origin else origin)
            if s.kind == "external" and content and content.sri.get("sha384"):
                integrity = f"sha384-{content.sri['sha384']}"
                note = ""
                if s.host_class == "processor":
                    note = ("the processor updates this SDK in place: SRI would break it; rely on "
                            "change monitoring instead")
                elif s.key != s.url:
                    note = "the URL changes per deploy: pin the integrity in the same release"
                cross = ' crossorigin="anonymous"' if origin != page_origin else ""
                sri.append(SriProposal(s.url, integrity,
                                       f'<script src="{s.url}" integrity="{integrity}"{cross}>'
                                       "</script>", note))
        elif s.kind == "inline" and content and content.sri.get("sha256"):
            inline_hashes.add(f"'sha256-{content.sri['sha256']}'")
        elif s.kind == "handler" and content and content.sri.get("sha256"):
            inline_hashes.add(f"'sha256-{content.sri['sha256']}'")
            notes.append("inline event handlers need 'unsafe-hashes' beside their hashes; "
                         "better move them into a script file")
        elif s.kind == "eval":
            notes.append("the page evaluates strings as code (eval/new Function): a CSP without "
                         "'unsafe-eval' blocks it; confirm it is needed before allowing it")
        elif s.kind == "javascript-url":
            notes.append("javascript: URLs cannot be allowed by hash; replace them with handlers")
    connect: set[str] = set()
    frames: set[str] = set()
    for d in snapshot.destinations:
        if d.host_class in UNTRUSTED:
            excluded.append(f"{d.resource_type} to {d.origin}: host is {d.host_class}")
            continue
        if d.resource_type in CONNECT_TYPES:
            connect.add("'self'" if d.origin == page_origin else d.origin)
        elif d.resource_type in FRAME_TYPES and d.origin != page_origin and \
                urlsplit(d.origin).hostname != urlsplit(page_origin).hostname:
            frames.add(d.origin)
    directives = (
        ("script-src", _ordered(script_src | inline_hashes)),
        ("connect-src", _ordered(connect)),
        ("frame-src", _ordered(frames)),
    )
    csp = CspProposal(directives, tuple(sorted(set(excluded))), tuple(sorted(set(notes))))
    return Proposals(snapshot.target, snapshot.scan_id, tuple(sri), csp)


def _ordered(values: set[str]) -> tuple[str, ...]:
    """'self' first, then origins, then hashes; 'none' when nothing is allowed."""
    if not values:
        return ("'none'",)
    return tuple(sorted(values, key=lambda v: (v != "'self'", v.startswith("'"), v)))
