"""STAGE 5 (report) — stable finding identity, for baselines and SARIF `partialFingerprints`.

A fingerprint names *what* was found, not *where on which line*: it hashes
- the rule id,
- the script's identity: its URL normalised (scheme, default port, fragment and cache-busters
  such as `?v=123`, `?ver=6.4.2`, `?_=1700000000000`, content hashes in file names like
  `app.3f2a9c1b.js` and Magento's `version1700000000/` dropped; meaningful parameters such as
  `?id=GTM-XXXX` kept), a local file path relative to `root`, or — for inline, handler and
  eval code, which have no address of their own — the page they ran on plus their kind; only a
  script with no locator at all (a string handed to `analyze_source`) falls back to its sha256,
- a normalised key of the evidence (host, sink, card field, selector, event, storage, IOC,
  anti-analysis check), never its line, column, URL query or message,
- and an occurrence number, for a rule matching the same thing several times in one script
  (numbered in source order, so a line shift keeps the numbers).

Invariants: pure (no I/O), deterministic, and independent of line numbers, script ids (`s1`,
`s2` depend on load order) and timestamps. The format is `<32 hex>:<occurrence>`, versioned by
`FINGERPRINT_VERSION` (a change of algorithm must change the version, so old baselines are
rejected rather than silently matching nothing).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from skimscan.models import Finding, ScriptKind, ScriptReport, TargetReport

FINGERPRINT_VERSION = "v1"
#: The key under which SARIF results carry the fingerprint (`partialFingerprints`).
SARIF_KEY = f"skimscan/{FINGERPRINT_VERSION}"
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{32}:\d+$")

#: Evidence attributes that describe *what* a finding is about (stable across edits).
EVIDENCE_KEYS = ("host", "sink", "field", "selector", "event", "target", "element", "store",
                 "ioc", "service", "check", "measure")

#: Query parameters that only defeat caches; their values change with every deploy.
CACHE_BUSTERS = frozenset({
    "_", "_dc", "_t", "_ts", "_v", "b", "build", "buildid", "bust", "cache", "cache_buster",
    "cachebust", "cachebuster", "cb", "date", "h", "hash", "nocache", "no_cache", "r", "rand",
    "random", "rel", "release", "rev", "revision", "rnd", "seed", "t", "time", "timestamp",
    "ts", "v", "ver", "version", "vsn", "z",
})
_VOLATILE_VALUE = re.compile(
    r"^(?:\d{10,13}"  # unix time in seconds or milliseconds
    r"|[0-9a-f]{16,}"  # a content hash
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",  # a UUID
    re.IGNORECASE,
)
_HEX_TOKEN = re.compile(r"^(?=[0-9a-f]*\d)[0-9a-f]{8,64}$", re.IGNORECASE)
# Vite/esbuild/Rollup style short hashes: 8-12 characters mixing upper, lower and digits.
_MIXED_TOKEN = re.compile(r"^(?=.*\d)(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9]{8,12}$")
_VERSION_DIR = re.compile(r"^version\d+$", re.IGNORECASE)
_TOKEN_SPLIT = re.compile(r"([.\-_~])")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_NO_ADDRESS = frozenset({ScriptKind.INLINE, ScriptKind.HANDLER, ScriptKind.JAVASCRIPT_URL,
                         ScriptKind.EVAL})


def _volatile_token(token: str) -> bool:
    return bool(_HEX_TOKEN.match(token) or _MIXED_TOKEN.match(token))


def _normalise_segment(segment: str, last: bool) -> str:
    if _VERSION_DIR.match(segment):
        return "version*"
    if not last:
        if _HEX_TOKEN.match(segment) or (segment.isdigit() and len(segment) >= 10):
            return "*"
        return segment
    parts = _TOKEN_SPLIT.split(segment)
    return "".join("*" if i % 2 == 0 and _volatile_token(p) else p for i, p in enumerate(parts))


def normalise_url(url: str) -> str:
    """A script URL without what changes between deploys of the same script.

    `https://Shop.example:443/static/version1700/js/app.3f2a9c1b.js?v=12&id=A#x` becomes
    `//shop.example/static/version*/js/app.*.js?id=A`. http and https are the same script.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    segments = unquote(parts.path or "/").split("/")
    path = "/".join(_normalise_segment(s, i == len(segments) - 1) for i, s in enumerate(segments))
    kept = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in CACHE_BUSTERS and not _VOLATILE_VALUE.match(v)
        and not (v == "" and _VOLATILE_VALUE.match(k))
    )
    query = f"?{urlencode(kept)}" if kept else ""
    prefix = "//" if scheme in ("http", "https", "ws", "wss") else f"{scheme}://"
    return f"{prefix}{netloc}{quote(path, safe='/*@:+,;=!$&()~-._')}{query}"


def normalise_path(path: str, root: str | None = None) -> str:
    """A local path in POSIX form, relative to `root` when it lies under it."""
    text = path.replace("\\", "/")
    fragment = ""
    if "#" in text:
        text, fragment = text.split("#", 1)
        fragment = f"#{fragment}"
    text = posixpath.normpath(text) if text else text
    if root:
        base = posixpath.normpath(root.replace("\\", "/"))
        if text == base:
            text = "."
        elif text.startswith(base.rstrip("/") + "/"):
            text = text[len(base.rstrip("/")) + 1:]
    if text.startswith("./"):
        text = text[2:]
    return text + fragment


def locator(address: str, root: str | None = None) -> str:
    """The stable identity of an address: a normalised URL or a normalised local path."""
    scheme = urlsplit(address).scheme.lower() if "://" in address or ":" in address[:12] else ""
    if scheme in ("http", "https", "ws", "wss"):
        return normalise_url(address)
    if scheme == "blob":  # blob:https://origin/<uuid> — the uuid is new on every load
        inner = urlsplit(address[5:])
        return f"blob:{inner.scheme}://{(inner.hostname or '').lower()}"
    if scheme == "data":
        return "data:" + hashlib.sha256(address.encode()).hexdigest()[:16]
    if len(scheme) > 1 and "://" in address:  # another URL scheme (chrome-extension:// ...)
        return address.split("?", 1)[0].split("#", 1)[0]
    return "file:" + normalise_path(address, root)


def script_identity(script: ScriptReport | None, target: TargetReport,
                    root: str | None = None) -> str:
    """What a script is, independent of its id in this scan and of its content's edits."""
    if script is None:
        return "page@" + locator(target.target, root)
    if script.kind in _NO_ADDRESS or not script.url:
        where = script.url or target.target
        if where == "<string>" or not where:
            return "sha256:" + script.sha256
        return f"{script.kind.value}@{locator(where, root)}"
    return locator(script.url, root)


def _norm_value(key: str, value: Any) -> Any:
    if isinstance(value, list | tuple):
        return sorted(str(_norm_value(key, v)) for v in value)
    if isinstance(value, str):
        text = " ".join(value.split())
        return text.lower() if key in ("host", "ioc") else text
    return value


def evidence_key(evidence: Mapping[str, Any]) -> str:
    """The evidence attributes that say what a finding is about, as canonical JSON."""
    picked = {k: _norm_value(k, evidence[k]) for k in EVIDENCE_KEYS
              if evidence.get(k) not in (None, "", [], ())}
    return json.dumps(picked, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def base_fingerprint(finding: Finding, script: ScriptReport | None, target: TargetReport,
                     root: str | None = None) -> str:
    """The fingerprint without its occurrence number (32 hex digits)."""
    material = "\0".join((FINGERPRINT_VERSION, finding.rule,
                          script_identity(script, target, root), evidence_key(finding.evidence)))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def target_fingerprints(target: TargetReport, root: str | None = None) -> tuple[str, ...]:
    """Fingerprints of `target.findings`, in the same order.

    Findings that share a base fingerprint are numbered 0, 1, ... in source order (line, column,
    message), so shifting every line keeps each finding's number.
    """
    scripts = {s.id: s for s in target.scripts}
    bases = [base_fingerprint(f, scripts.get(f.script or ""), target, root)
             for f in target.findings]
    groups: dict[str, list[int]] = {}
    for i, base in enumerate(bases):
        groups.setdefault(base, []).append(i)
    out = [""] * len(bases)
    for base, members in groups.items():
        def place(i: int) -> tuple[int, int, str]:
            loc = target.findings[i].location
            return (loc.line if loc else 0, loc.column if loc else 0, target.findings[i].message)

        for n, i in enumerate(sorted(members, key=place)):
            out[i] = f"{base}:{n}"
    return tuple(out)
