"""STAGE 3 (analyze/deobfuscate) — small helpers to read and rewrite an esprima ESTree in place.

Deobfuscation passes replace nodes; they never build a new tree. `transform` walks children
before parents, so a fold of an inner expression is visible to the rule for its parent in the
same walk. Every node a pass creates takes the `loc` of the node it replaces, which is how the
printer maps the clean program back to lines of the original source.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from skimscan.analyze import estree

# One walker for every tree: the visitor's reading of child fields per node class.
from skimscan.analyze.visitor import child_keys as child_keys
from skimscan.analyze.visitor import children as children

IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
FUNCTIONS = frozenset({"FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"})
#: Largest string a pass writes into the tree (a decoded payload bigger than this stays put).
MAX_LITERAL = 2 * 1024 * 1024


def N(type: str, **fields: Any) -> Any:
    """A node made by a pass: of the class the parser makes for the type, with every field
    esprima's constructor sets, so that every later walk (which reads fields by class) treats
    it exactly like a parsed node."""
    cls = estree.node_class(type, fields.get("computed"), fields.get("regex"))
    node: Any = estree.Plain() if cls is None else object.__new__(cls)
    if cls is not None:
        for key, value in cls.TEMPLATE.items():
            setattr(node, key, value)
    for key, value in fields.items():
        setattr(node, key, value)
    node.type = type
    node.rewritten = True
    return node


_NODE = estree.Node


def is_node(value: Any) -> bool:
    return isinstance(value, _NODE)


def walk(node: Any) -> Iterator[Any]:
    """Every node of the subtree, parents before children, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        kids = children(current)
        kids.reverse()
        stack.extend(kids)


def parents(node: Any) -> dict[int, Any]:
    """Each node's parent, by id, for passes that judge a reference by where it stands (valid
    until the subtree is rewritten)."""
    out: dict[int, Any] = {}
    for n in walk(node):
        for child in children(n):
            out[id(child)] = n
    return out


Rewrite = Callable[[Any], Any | None]


def transform(node: Any, rewrite: Rewrite) -> Any:
    """Rewrite the subtree bottom-up: `rewrite(n)` returns a replacement or None to keep `n`.

    Returns the (possibly replaced) root. Runs inside `run_deep`: recursion depth follows the
    tree's depth, as every walk of an esprima tree does."""
    for key in child_keys(node):
        value = getattr(node, key)
        if value is None:
            continue
        if type(value) is list:
            for i, item in enumerate(value):
                if isinstance(item, _NODE):
                    value[i] = transform(item, rewrite)
        elif isinstance(value, _NODE):
            setattr(node, key, transform(value, rewrite))
    replaced = rewrite(node)
    if replaced is None:
        return node
    if replaced is not node:
        adopt(replaced, node)
    return replaced


def transform_top_down(node: Any, rewrite: Rewrite) -> Any:
    """Like `transform`, parents first: a replacement's children are then rewritten too."""
    replaced = rewrite(node)
    if replaced is not None and replaced is not node:
        adopt(replaced, node)
        node = replaced
    for key in child_keys(node):
        value = getattr(node, key)
        if type(value) is list:
            for i, item in enumerate(value):
                if isinstance(item, _NODE):
                    value[i] = transform_top_down(item, rewrite)
        elif isinstance(value, _NODE):
            setattr(node, key, transform_top_down(value, rewrite))
    return node


def adopt(new: Any, old: Any) -> None:
    """Nodes made or moved in place of `old` without a place of their own take its place
    (`loc` for findings, `range` for the order of nodes in later walks)."""
    span, loc = getattr(old, "range", None), getattr(old, "loc", None)
    for n in walk(new):
        if getattr(n, "range", None) is None:
            n.range = span
        if getattr(n, "loc", None) is None:
            n.loc = loc


def touched(node: Any) -> None:
    """Mark a node whose own fields or statement list a pass changed (its source text is no
    longer what it does)."""
    node.rewritten = True


def statement_lists(node: Any) -> Iterator[tuple[Any, list[Any]]]:
    """Every list of statements in the subtree (program, blocks, switch cases), with its owner
    (to be `touched` when the list changes)."""
    for n in walk(node):
        t = n.type
        if t in ("Program", "BlockStatement", "StaticBlock"):
            yield n, n.body
        elif t == "SwitchCase":
            yield n, n.consequent


# --- literals --------------------------------------------------------------------------------

Primitive = str | int | float | bool | None
_NO_VALUE = object()


def literal_value(node: Any) -> Any:
    """The value of a primitive literal node (`undefined` is not one), else `_NO_VALUE`."""
    if node is None:
        return _NO_VALUE
    t = node.type
    if t == "Literal" and getattr(node, "regex", None) is None:
        raw = str(getattr(node, "raw", "") or "")
        if raw.endswith("n") and isinstance(node.value, int):  # BigInt
            return _NO_VALUE
        return node.value
    if t == "TemplateLiteral" and not node.expressions and len(node.quasis) == 1:
        cooked = node.quasis[0].value.cooked
        return cooked if isinstance(cooked, str) else _NO_VALUE
    return _NO_VALUE


def has_value(node: Any) -> bool:
    return literal_value(node) is not _NO_VALUE


def make_literal(value: Primitive, like: Any) -> Any:
    """A literal node for `value`, located where `like` was. Negative numbers are `-n`."""
    loc = getattr(like, "loc", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and (
            value < 0 or (isinstance(value, float) and math.copysign(1.0, value) < 0)):
        return N("UnaryExpression", operator="-", prefix=True, loc=loc,
                 argument=N("Literal", value=-value, raw=number_text(-value), loc=loc))
    raw = number_text(value) if isinstance(value, int | float) and not isinstance(
        value, bool) else None
    return N("Literal", value=value, raw=raw, loc=loc)


def number_text(value: float) -> str:
    """A JS number as JS prints it, for the values the passes produce."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def set_loc(node: Any, where: Any) -> None:
    """Give every node of a subtree parsed from a decoded string the place it was decoded at
    (its own ranges point into the decoded string, not the original source)."""
    for n in walk(node):
        n.loc = where.loc
        n.range = getattr(where, "range", None)
        n.rewritten = True


def member_key(node: Any) -> str | None:
    """The property name of `o.k` / `o['k']` / `o[0]`, or None when it is computed at run time."""
    if node.type != "MemberExpression":
        return None
    prop = node.property
    if not node.computed:
        return str(prop.name) if prop.type == "Identifier" else None
    value = literal_value(prop)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return None


def property_key(prop: Any) -> str | None:
    """The key of an object literal property, or None for spreads and run-time keys."""
    if prop.type != "Property":
        return None
    key = prop.key
    if not prop.computed and key.type == "Identifier":
        return str(key.name)
    value = literal_value(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return None


def truthy(node: Any) -> bool | None:
    """JS truthiness of a constant node (literals, `[]`, `{}`, functions), else None."""
    value = literal_value(node)
    if value is not _NO_VALUE:
        if isinstance(value, float) and math.isnan(value):
            return False
        return bool(value)
    if node.type in ("ArrayExpression", "ObjectExpression") and not (
            node.elements if node.type == "ArrayExpression" else node.properties):
        return True
    if node.type in FUNCTIONS or node.type == "ClassExpression":
        return True
    if node.type == "Identifier" and node.name == "undefined":
        return False
    return None


def clone(node: Any) -> Any:
    """A deep copy of a subtree. Locations are shared, not copied (a node's own `loc` too)."""
    cls = type(node)
    copy_: Any = estree.Plain() if cls is estree.Plain else object.__new__(cls)
    for key, value in estree.fields(node):
        if isinstance(value, list):
            value = [clone(v) if is_node(v) else v for v in value]
        elif is_node(value):
            value = clone(value)
        setattr(copy_, key, value)
    estree.copy_place(copy_, node)
    copy_.rewritten = True
    return copy_


def hide(node: Any, via: str) -> Any:
    """Mark constants that exist only because a decoder ran (`via`): strings built from them
    stay marked through folding, and the analysis reports them as hidden strings."""
    for n in walk(node):
        if n.type == "Literal":
            n.hidden = via
    return node


def hidden_via(node: Any) -> str | None:
    return getattr(node, "hidden", None) if node.type == "Literal" else None
