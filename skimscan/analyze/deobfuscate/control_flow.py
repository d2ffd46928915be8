"""Control-flow unflattening: a dispatcher loop driven by an order string becomes the straight
sequence it encodes.

    var o = '2|0|1'.split('|'), i = 0;          case bodies in the order 2, 0, 1:
    while (true) { switch (o[i++]) {       →     c(); a(); b();
      case '0': a(); continue; …} break; }

`controlFlowFlattening` turns every block of four or more statements into this; without
undoing it, statements appear in arbitrary order and the facts walk cannot tell which read
comes before which send. The order may arrive as a literal array or a `split` of a string
(folded by the built-ins pass); the counter must start at 0 and be used nowhere else.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.context import Context
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import (
    FUNCTIONS,
    children,
    has_value,
    literal_value,
    statement_lists,
    touched,
    truthy,
    walk,
)

TECHNIQUE = Technique.CONTROL_FLOW


def _declared(body: list[Any], upto: int) -> dict[str, tuple[int, Any]]:
    """Names given a value by single-declarator declarations before `upto`: name -> (index,
    init)."""
    out: dict[str, tuple[int, Any]] = {}
    for k in range(upto):
        s = body[k]
        if s.type == "VariableDeclaration":
            for d in s.declarations:
                if d.id.type == "Identifier":
                    out[d.id.name] = (k, d.init)
    return out


def _dispatcher(loop: Any) -> tuple[str, str, Any] | None:
    """(order name, counter name, switch) of `while (true) { switch (o[i++]) {…} break; }`."""
    if loop.type == "WhileStatement":
        if truthy(loop.test) is not True:
            return None
    elif loop.type == "ForStatement":
        if loop.init is not None or loop.update is not None or (
                loop.test is not None and truthy(loop.test) is not True):
            return None
    else:
        return None
    body = loop.body
    stmts = body.body if body.type == "BlockStatement" else [body]
    if not stmts or stmts[0].type != "SwitchStatement":
        return None
    if len(stmts) > 2 or (len(stmts) == 2 and stmts[1].type != "BreakStatement"):
        return None
    switch = stmts[0]
    d = switch.discriminant
    if d.type != "MemberExpression" or not d.computed or d.object.type != "Identifier":
        return None
    p = d.property
    if p.type != "UpdateExpression" or p.operator != "++" or p.prefix or \
            p.argument.type != "Identifier":
        return None
    return d.object.name, p.argument.name, switch


def _order(init: Any) -> list[str] | None:
    if init is None or init.type != "ArrayExpression":
        return None
    out: list[str] = []
    for e in init.elements:
        if e is None or not has_value(e):
            return None
        out.append(str(literal_value(e)))
    return out


def _jumps_out(stmts: list[Any]) -> bool:
    """A `break`/`continue` that would leave the dispatcher (not inside a nested loop, switch
    or function), or a label anywhere."""
    for s in stmts:
        for n in _shallow(s):
            if n.type in ("BreakStatement", "ContinueStatement") or n.type == "LabeledStatement":
                return True
    return False


_NESTED = frozenset({"WhileStatement", "DoWhileStatement", "ForStatement", "ForInStatement",
                     "ForOfStatement", "ForAwaitStatement", "SwitchStatement", *FUNCTIONS})


def _shallow(node: Any) -> list[Any]:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        out.append(n)
        if n is not node and n.type in _NESTED:
            # labelled jumps could still leave; any label at all keeps the dispatcher
            out.extend(x for x in walk(n) if x.type == "LabeledStatement")
            continue
        stack.extend(children(n))
    return out


def _straight(switch: Any, order: list[str]) -> list[Any] | None:
    cases: dict[str, list[Any]] = {}
    for case in switch.cases:
        if case.test is None or not has_value(case.test):
            return None
        stmts = list(case.consequent)
        if stmts and stmts[-1].type == "ContinueStatement" and stmts[-1].label is None:
            stmts = stmts[:-1]
        if _jumps_out(stmts):
            return None
        cases[str(literal_value(case.test))] = stmts
    out: list[Any] = []
    for key in order:
        if key not in cases:
            return None
        out.extend(cases[key])
    return out


def _only_here(name: str, body: list[Any], loop: Any, decl_index: int) -> bool:
    """The name is used in the dispatcher only (so its declaration can go)."""
    uses = 0
    for k, s in enumerate(body):
        if k == decl_index:
            continue
        for n in walk(s):
            if n.type == "Identifier" and n.name == name:
                if s is not loop:
                    return False
                uses += 1
    return uses == 1


def run(ctx: Context) -> int:
    if not ctx.scopes().types["SwitchStatement"]:
        return 0
    count = 0
    for owner, body in list(statement_lists(ctx.program)):
        i = 0
        while i < len(body):
            found = _dispatcher(body[i])
            if found is None:
                i += 1
                continue
            order_name, counter_name, switch = found
            known = _declared(body, i)
            if order_name not in known or counter_name not in known:
                i += 1
                continue
            (oi, oinit), (ci, cinit) = known[order_name], known[counter_name]
            order = _order(oinit)
            if order is None or cinit is None or literal_value(cinit) != 0:
                i += 1
                continue
            straight = _straight(switch, order)
            if straight is None or not _only_here(order_name, body, body[i], oi) or \
                    not _only_here(counter_name, body, body[i], ci):
                i += 1
                continue
            body[i:i + 1] = straight
            touched(owner)
            for k in sorted({oi, ci}, reverse=True):
                decl = body[k]
                touched(decl)
                decl.declarations = [d for d in decl.declarations
                                     if d.id.type != "Identifier" or
                                     d.id.name not in (order_name, counter_name)]
                if not decl.declarations:
                    del body[k]
                    i -= 1
            count += 1
    if count:
        ctx.changed()
    ctx.done(TECHNIQUE, count)
    return count
