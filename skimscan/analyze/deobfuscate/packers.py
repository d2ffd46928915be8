"""Packers and eval stagers are unpacked: code handed to `eval`, `Function` or `new Function`
is computed in the isolate when it is built from constants and the script's own functions
(Dean Edwards' `eval(function (p, a, c, k, e, d) {…}('…', 62, …))`, `eval(xor(blob, key))`),
and a stage that is then a literal is parsed and put in place of the call, so every other
pass — and the facts walk — works on the unpacked code as on the rest.

    eval("var a = 1; send(a);")      →  var a = 1; send(a);
    Function("body")()               →  (function () { body })();

Splicing happens only where the call is a whole statement; an `eval` whose value is used keeps
its (now literal) argument, which the analysis follows as a further stage.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.context import Context
from skimscan.analyze.deobfuscate.environment import ECMASCRIPT_GLOBALS, Environment, uses_only
from skimscan.analyze.deobfuscate.scope import ScopeIndex
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import (
    MAX_LITERAL,
    N,
    has_value,
    literal_value,
    make_literal,
    set_loc,
    statement_lists,
    touched,
    transform,
)
from skimscan.analyze.parse import parse

TECHNIQUE = Technique.PACKERS
MAX_STAGES = 8


def _evaluator(call: Any, index: ScopeIndex) -> str | None:
    """'eval' / 'Function' when `call` runs or compiles its last argument as code."""
    if call.type not in ("CallExpression", "NewExpression") or not call.arguments:
        return None
    callee = call.callee
    if callee.type == "SequenceExpression" and callee.expressions:  # `(0, eval)(…)`
        callee = callee.expressions[-1]
    if callee.type == "MemberExpression" and not callee.computed and \
            callee.object.type == "Identifier" and callee.object.name in (
                "window", "self", "globalThis") and index.is_global(callee.object):
        callee = callee.property
        name = callee.name if callee.type == "Identifier" else None
    elif callee.type == "Identifier" and index.is_global(callee):
        name = callee.name
    else:
        return None
    if name == "eval" and call.type == "CallExpression":
        return "eval"
    if name == "Function":
        return "Function"
    return None


def _stage_text(ctx: Context, index: ScopeIndex, arg: Any) -> str | None:
    """The code an evaluator receives, if the isolate can compute it."""
    if has_value(arg):
        value = literal_value(arg)
        return value if isinstance(value, str) else None
    if ctx.isolate.exhausted:
        return None
    env = Environment(ctx, index)
    if not uses_only(arg, index, ECMASCRIPT_GLOBALS) or not env.need_code(arg):
        return None  # `eval('(' + window.json + ')')` is the page's data, not a packed stage
    site = index.site.get(id(arg)) if arg.type in ("CallExpression", "NewExpression") else None
    scope = site or index.root
    program = env.program(scope, ctx.source_of(arg))
    if program is None:
        return None
    ctx.isolate.fresh()
    if not ctx.isolate.define(f"var __skimscan_fn = {program};"):
        return None
    result = ctx.isolate.values(["__skimscan_fn()"])[0]
    return result.value if result.ok and isinstance(result.value, str) else None


def run(ctx: Context) -> int:
    index = ctx.scopes()
    if not {"eval", "Function"} & index.globals:
        return 0
    count = 0

    def literalise(node: Any) -> Any | None:
        nonlocal count
        kind = _evaluator(node, index)
        if kind is None:
            return None
        arg = node.arguments[-1]
        if has_value(arg) or (kind == "Function" and len(node.arguments) > 1):
            return None
        text = _stage_text(ctx, index, arg)
        if text is None or len(text) > MAX_LITERAL:
            return None
        node.arguments[-1] = make_literal(text, arg)
        count += 1
        return node

    ctx.program = transform(ctx.program, literalise)
    count += _splice(ctx, index)
    if count:
        ctx.changed()
    ctx.done(TECHNIQUE, count)
    return count


def _splice(ctx: Context, index: ScopeIndex) -> int:
    done = 0
    for owner, body in list(statement_lists(ctx.program)):
        i = 0
        while i < len(body):
            stmt = body[i]
            found = _unpacked(stmt, index) if stmt.type == "ExpressionStatement" else None
            if found is None or len(ctx.stages) >= MAX_STAGES:
                i += 1
                continue
            via, code, replacement = found
            body[i:i + 1] = replacement
            touched(owner)
            ctx.record_stage(stmt, via, code)
            done += 1
            i += len(replacement)
    return done


def _unpacked(stmt: Any, index: ScopeIndex) -> tuple[str, str, list[Any]] | None:
    e = stmt.expression
    # `eval("code")`
    if _evaluator(e, index) == "eval" and len(e.arguments) == 1 and has_value(e.arguments[0]):
        code = literal_value(e.arguments[0])
        parsed = _parsed(code, stmt) if isinstance(code, str) else None
        return None if parsed is None else ("eval", str(code), parsed)
    # `Function("code")()` / `new Function("code")()`
    if e.type == "CallExpression" and not e.arguments and _evaluator(e.callee, index) == \
            "Function" and len(e.callee.arguments) == 1 and has_value(e.callee.arguments[0]):
        code = literal_value(e.callee.arguments[0])
        if not isinstance(code, str):
            return None
        inner = _parsed(code, stmt)
        if inner is None:
            return None
        at = {"loc": stmt.loc, "range": getattr(stmt, "range", None)}
        fn = N("FunctionExpression", id=None, params=[], generator=False, isAsync=False,
               expression=False, body=N("BlockStatement", body=inner, **at), **at)
        return "Function", code, [N("ExpressionStatement", expression=N(
            "CallExpression", callee=fn, arguments=[], optional=False, **at), **at)]
    return None


def _parsed(code: str, where: Any) -> list[Any] | None:
    result = parse(code)
    if result.tree is None or result.recovered_errors or result.module:
        return None
    body = list(result.tree.body)
    for s in body:
        set_loc(s, where)
    return body

