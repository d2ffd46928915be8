"""STAGE 3 (analyze) — recover where a sink sends data from the URL expression.

Skimmers build URLs from parts: `gate + '?d=' + data`, `'https://' + data + '.drop.example/'`,
template literals, folded constants. We keep what is constant: the longest constant prefix gives
the host in the usual case; when the host itself is built around the data (data encoded into a
subdomain) a later constant fragment that looks like `.domain.tld` gives it.
"""

from __future__ import annotations

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


def fragments(node: Any, folder: Folds, limit: int = 64) -> list[str | None]:
    """Flatten `a + b + c` and template literals into folded parts (None = not constant)."""
    whole = folder.string(node)
    if whole is not None:
        return [whole]
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


def resolve(node: Any | None, folder: Folds) -> Destination:
    if node is None:
        return Destination(None, None, False)
    parts = fragments(node, folder)
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
    # The host is built around run-time data: look for a constant `.domain.tld` after it.
    for p in parts:
        if p is None:
            continue
        text = p.split("://", 1)[-1]
        match = patterns.HOST_IN_TEXT.search(text)
        if match and ("." in match.group(0)):
            host = match.group(0).lstrip(".")
            return Destination(f"https://{host}/", display, False)
    return Destination(None, display if prefix else None, False)


def _host_complete(prefix: str) -> bool:
    """`https://host/`, `https://host?`, `//host:443/`: the host is fully known."""
    rest = prefix.split("//", 1)
    if len(rest) != 2 or not prefix.lstrip().startswith(("http", "ws", "//")):
        return False
    tail = rest[1]
    return any(sep in tail for sep in ("/", "?", "#"))
