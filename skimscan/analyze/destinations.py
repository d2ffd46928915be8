"""STAGE 3 (analyze) — recover where a sink sends data from the URL expression.

Skimmers build URLs from parts: `gate + '?d=' + data`, `'https://' + data + '.drop.example/'`,
template literals, folded constants. We keep what is constant: the longest constant prefix gives
the host in the usual case; when the host itself is built around the data (data encoded into a
subdomain) a later constant fragment that looks like `.domain.tld` gives it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Protocol

from skimscan.analyze import patterns


class Folds(Protocol):
    def string(self, node: Any) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Destination:
    """`url` is what to classify (None when nothing constant is known); `display` is for people:
    the constant parts with `…` where run-time data goes."""

    url: str | None
    display: str | None
    complete: bool


#: Stands for the page's own origin (`location.origin`, `location.host`) in a URL.
SAME_ORIGIN = "\x00same-origin\x00"
_ORIGIN_PROPS = frozenset({"origin", "host", "hostname"})


def _is_own_origin(node: Any) -> bool:
    """`location.origin`, `window.location.host`, `document.location.hostname`,
    `document.domain`: the page's own origin."""
    if node.type != "MemberExpression" or node.computed:
        return False
    prop = getattr(node.property, "name", None)
    obj = node.object
    if prop == "domain":
        return bool(obj.type == "Identifier" and obj.name == "document")
    if prop not in _ORIGIN_PROPS:
        return False
    if obj.type == "Identifier":
        return bool(obj.name == "location")
    return obj.type == "MemberExpression" and getattr(obj.property, "name", None) == "location"


def fragments(node: Any, folder: Folds, limit: int = 64) -> list[str | None]:
    """Flatten `a + b + c` and template literals into folded parts (None = not constant)."""
    whole = folder.string(node)
    if whole is not None:
        return [whole]
    if _is_own_origin(node):
        return [SAME_ORIGIN]
    kind = node.type
    if kind == "BinaryExpression" and node.operator == "+":
        left = fragments(node.left, folder, limit)
        if len(left) >= limit:
            return left
        return left + fragments(node.right, folder, limit - len(left))
    if kind == "TemplateLiteral":
        parts: list[str | None] = []
        for i, quasi in enumerate(node.quasis):
            parts.append(quasi.value.cooked or "")
            if i < len(node.expressions):
                parts.extend(fragments(node.expressions[i], folder, limit))
        return parts
    if kind == "CallExpression" and node.callee.type == "MemberExpression":
        prop = getattr(node.callee.property, "name", None)
        if prop == "concat":
            parts = fragments(node.callee.object, folder, limit)
            for arg in node.arguments:
                parts.extend(fragments(arg, folder, limit))
            return parts
    return [None]


def resolve(node: Any | None, folder: Folds, embedded: bool = False) -> Destination:
    """Where a URL expression points. `embedded`: the expression is HTML or CSS text with the
    URL inside it (`'<img src="' + url + '">'`, `'url(' + u + ')'`)."""
    if node is None:
        return Destination(None, None, False)
    parts = fragments(node, folder)
    if embedded:
        parts = _embedded_url(parts)
        if not parts:
            return Destination(None, None, False)
    parts = _merge_constants(parts)
    if (parts and parts[0] is not None and SAME_ORIGIN in parts[0]) or (
        len(parts) > 1 and parts[0] in ("https://", "http://", "//") and parts[1] == SAME_ORIGIN
    ):
        path = "".join(p if p is not None else "…" for p in parts).split(SAME_ORIGIN, 1)[1]
        return Destination("/" + path.lstrip("/"), "(own origin)" + path, False)
    display = "".join(p if p is not None else "…" for p in parts)[:300]
    if all(p is not None for p in parts):
        url = "".join(p for p in parts if p is not None)
        return Destination(url, display, True)
    prefix = ""
    for p in parts:
        if p is None:
            break
        prefix += p
    if prefix and _host_complete(prefix):
        return Destination(prefix, display, False)
    if prefix and not patterns.looks_like_url(prefix) and not prefix.lower().startswith(
        ("http:", "https:", "ws:", "wss:")
    ):
        # `'/collect?d=' + x`, `'?x=' + y`: relative, so the page's own origin
        return Destination(prefix, display, False)
    # The host is built around run-time data (`'https://' + data + '.drop.tld/'`): a constant
    # `.domain.tld` right after a run-time part, ending the host, under a real public suffix.
    if prefix.lower().rstrip("/").endswith(("http:", "https:", "ws:", "wss:", "")) and \
            prefix.endswith("//"):
        for before, p in itertools.pairwise(parts):
            if before is not None or p is None or not p.startswith("."):
                continue
            host = re.split(r"[/?#:]", p[1:], maxsplit=1)[0]
            if patterns.is_host(host):
                return Destination(f"https://{host}/", display, False)
    return Destination(None, display if prefix else None, False)


_EMBEDDED = re.compile(
    r"""(?:\b(?:src|href|action|data|poster|background|ping)\s*=\s*["']?|url\(\s*["']?)"""
    r"""([^"'\s)>]*)""",
    re.IGNORECASE,
)
_HOLE = "\x01"


def _embedded_url(parts: list[str | None]) -> list[str | None]:
    """The fragments of the first URL inside HTML/CSS text, holes kept as None."""
    text = "".join(p if p is not None else _HOLE for p in parts)
    match = _EMBEDDED.search(text.replace(_HOLE, "\x02HOLE\x02"))
    if match is None:
        return []
    url = match.group(1)
    out: list[str | None] = []
    for i, piece in enumerate(url.split("\x02HOLE\x02")):
        if i:
            out.append(None)
        if piece:
            out.append(piece)
    return out


def _merge_constants(parts: list[str | None]) -> list[str | None]:
    """Adjacent constant parts joined: `[None, '.', 'drop.tld']` -> `[None, '.drop.tld']`."""
    out: list[str | None] = []
    for p in parts:
        if p is not None and out and out[-1] is not None and SAME_ORIGIN not in (p, out[-1]):
            out[-1] = out[-1] + p
        else:
            out.append(p)
    return out


def _host_complete(prefix: str) -> bool:
    """`https://host/`, `https://host?`, `//host:443/`: the host is fully known."""
    rest = prefix.split("//", 1)
    if len(rest) != 2 or not prefix.lstrip().startswith(("http", "ws", "//")):
        return False
    tail = rest[1]
    return any(sep in tail for sep in ("/", "?", "#"))


def host_of(url: str) -> str:
    """The host part of an absolute or protocol-relative URL, lower case ("" if none)."""
    rest = url.split("//", 1)[1] if "//" in url else url
    return rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1].lower()
