"""Shared by the proxy passes: put a one-line function's body in place of a call to it.

`function p(a, b) { return a + b; }` called as `p(x, 1)` is `x + 1`. Safe when the body is a
single `return` of an expression without `this`, `arguments`, nested functions or assignments
to parameters, and each argument is either free of side effects (names, constants, operators)
or used exactly once, so no side effect is repeated or dropped by the substitution.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.tree import FUNCTIONS, N, child_keys, clone, is_node, walk

_FORBIDDEN = frozenset({"ThisExpression", "Super", "YieldExpression", "AwaitExpression",
                        "MetaProperty", *FUNCTIONS, "ClassExpression"})


def returned_expression(fn: Any) -> Any | None:
    """The expression a proxy function returns, or None when `fn` is not a proxy."""
    if fn is None or fn.type not in FUNCTIONS or fn.generator or getattr(fn, "isAsync", False):
        return None
    if any(p.type != "Identifier" for p in fn.params):
        return None
    body = fn.body
    if body.type != "BlockStatement":
        expr = body
    else:
        # Function declarations beside the `return` are hoisted and do nothing by themselves
        # (obfuscators leave their wrappers there); the returned expression must not use them.
        rest = [s for s in body.body if s.type != "FunctionDeclaration"]
        if len(rest) != 1 or rest[0].type != "ReturnStatement" or rest[0].argument is None:
            return None
        expr = rest[0].argument
        local = {s.id.name for s in body.body if s.type == "FunctionDeclaration" and s.id}
        if local and any(n.type == "Identifier" and n.name in local for n in walk(expr)):
            return None
    params = {p.name for p in fn.params}
    for n in walk(expr):
        if n.type in _FORBIDDEN:
            return None
        if n.type == "Identifier" and n.name == "arguments":
            return None
        if n.type in ("AssignmentExpression", "UpdateExpression"):
            target = n.left if n.type == "AssignmentExpression" else n.argument
            if target.type == "Identifier" and target.name in params:
                return None
    return expr


_PURE = frozenset({"Literal", "Identifier", "UnaryExpression", "BinaryExpression",
                   "LogicalExpression", "ConditionalExpression", "TemplateLiteral",
                   "TemplateElement"})


def _simple(arg: Any) -> bool:
    """Free of side effects, so it may be dropped or repeated: names, constants and operators
    on them (`"Lw5^" - 483`, the filler obfuscators pass to unused wrapper parameters)."""
    return all(n.type in _PURE and not (n.type == "UnaryExpression" and n.operator == "delete")
               for n in walk(arg))


def inline(fn: Any, args: list[Any], call: Any) -> Any | None:
    """The call's replacement, or None. Names in the body other than parameters must mean the
    same at the call site; the caller checks that (it has the scopes)."""
    expr = returned_expression(fn)
    if expr is None or any(a.type == "SpreadElement" for a in args):
        return None
    names = [p.name for p in fn.params]
    if len(set(names)) != len(names):
        return None
    uses = {name: 0 for name in names}
    for n in walk(expr):
        if n.type == "Identifier" and n.name in uses:
            uses[n.name] += 1
    for i, name in enumerate(names):
        if i < len(args) and uses[name] > 1 and not _simple(args[i]):
            return None
        if i < len(args) and uses[name] == 0 and not _simple(args[i]):
            return None  # the argument's side effect would vanish
    if len(args) > len(names) and not all(_simple(a) for a in args[len(names):]):
        return None
    mapping = {name: (args[i] if i < len(args) else None) for i, name in enumerate(names)}
    body = _substitute(clone(expr), mapping, call.loc)
    _drop_missing(body)
    return body


def _drop_missing(expr: Any) -> None:
    """`o[k](a, b, c)` inlined with only `a` passed calls `o[k](a)`, not `o[k](a, undefined,
    undefined)`: trailing arguments that stand for parameters nobody passed are dropped."""
    for n in walk(expr):
        if n.type in ("CallExpression", "NewExpression"):
            while n.arguments and getattr(n.arguments[-1], "missing", False):
                n.arguments.pop()


def _substitute(node: Any, mapping: dict[str, Any], loc: Any) -> Any:
    """Parameters become (copies of) the arguments; the body keeps the places it was written
    at, so a check inside a helper is still reported where the helper has it."""
    if node.type == "Identifier" and node.name in mapping:
        arg = mapping[node.name]
        return N("Identifier", name="undefined", loc=loc, missing=True) if arg is None \
            else clone(arg)
    for key in child_keys(node):
        value = getattr(node, key)
        if isinstance(value, list):
            for i, item in enumerate(value):
                if is_node(item):
                    value[i] = _substitute(item, mapping, loc)
        elif is_node(value):
            if node.type == "MemberExpression" and key == "property" and not node.computed:
                continue
            if node.type == "Property" and key == "key" and not node.computed:
                continue
            setattr(node, key, _substitute(value, mapping, loc))
    if hasattr(node, "range"):
        node.loc = node.loc  # its own location, before the range it is computed from goes
        node.range = None
    return node


def free_names(expr: Any, params: set[str]) -> set[str]:
    """Identifiers in reference position that are not parameters (approximate: keys of
    non-computed members and properties excluded)."""
    out: set[str] = set()
    skip: set[int] = set()
    for n in walk(expr):
        if n.type == "MemberExpression" and not n.computed:
            skip.add(id(n.property))
        elif n.type == "Property" and not n.computed:
            skip.add(id(n.key))
        elif n.type == "Identifier" and id(n) not in skip and n.name not in params:
            out.add(n.name)
    return out
