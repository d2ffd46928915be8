"""Computed member access with a known key becomes static (`a['send']` → `a.send`).

After strings are decoded, `$[_0x1a('0x3')](…)` reads `$['ajax'](…)`; the facts walk and the
rules know `$.ajax`. Keys that are not identifier names (`a['x-y']`, `a[0]`) stay computed.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import IDENT, N, literal_value

TECHNIQUE = Technique.MEMBER_KEYS


def static_member(node: Any) -> Any | None:
    if not node.computed:
        return None
    key = literal_value(node.property) if node.property.type == "Literal" else None
    if not isinstance(key, str) or not IDENT.match(key):
        return None
    node.computed = False
    node.property = N("Identifier", name=key, loc=node.property.loc,
                      range=getattr(node.property, "range", None))
    node.rewritten = True
    return node


def static_property(node: Any) -> Any | None:
    """Object literal keys too: `{['send']: f}` and `{'send': f}` are `{send: f}`."""
    if getattr(node, "kind", "init") != "init" or node.key.type != "Literal":
        return None
    key = literal_value(node.key)
    if not isinstance(key, str) or not IDENT.match(key) or getattr(node, "shorthand", False):
        return None
    node.computed = False
    node.key = N("Identifier", name=key, loc=node.key.loc, range=getattr(node.key, "range", None))
    node.rewritten = True
    return node


RULES = {"MemberExpression": static_member, "Property": static_property}
