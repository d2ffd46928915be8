"""Indirect call forms become direct calls: `f.bind(o)(a)` → `o.f(a)`-style calls and
`(0, f)(a)` → `f(a)`.

Obfuscated kits call sinks through `window.fetch.bind(window)(…)` or a comma expression, so that
no call names the sink the usual way; the facts walk knows `window.fetch(…)` and `f.call(o, …)`.
`F.bind(T)(args)` is `F(args)` when F is a member of T itself, else `F.call(T, args)`; extra
bound arguments are put in front of the call's own.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import N, has_value, member_key

TECHNIQUE = Technique.CALL_FORMS


def _same(a: Any, b: Any) -> bool:
    if a.type == "ThisExpression":
        return bool(b.type == "ThisExpression")
    return bool(a.type == "Identifier" and b.type == "Identifier" and a.name == b.name)


def direct_call(node: Any) -> Any | None:
    callee = node.callee
    if callee.type == "SequenceExpression" and len(callee.expressions) == 2 and \
            has_value(callee.expressions[0]):
        node.callee = callee.expressions[1]  # `(0, f)(a)`
        node.rewritten = True
        return node
    if callee.type != "CallExpression" or callee.callee.type != "MemberExpression" or \
            member_key(callee.callee) != "bind" or not callee.arguments or \
            any(a.type == "SpreadElement" for a in callee.arguments):
        return None
    fn: Any = callee.callee.object
    this: Any = callee.arguments[0]
    args = [*callee.arguments[1:], *node.arguments]
    if fn.type == "MemberExpression" and _same(fn.object, this):
        return N("CallExpression", callee=fn, arguments=args, optional=False, loc=node.loc)
    call = N("MemberExpression", computed=False, object=fn,
             property=N("Identifier", name="call", loc=node.loc), optional=False, loc=node.loc)
    return N("CallExpression", callee=call, arguments=[this, *args], optional=False,
             loc=node.loc)


RULES = {"CallExpression": direct_call}
