"""Decoder calls are evaluated in the isolate: a call with literal arguments to a function the
program defines (`_0x3c1e(0x1a3, 'kT9x')`, `dec('Kyhh#…')`, `s(7, 'xqz')`) becomes the string
or number it returns.

This opens every string-array encoding (none, base64, RC4 with rotation, shuffling and index
shifts), char-shift, base-N, XOR and self-keyed decoders alike, without knowing any of them:
the decoder and its dependencies (see `environment`) run in V8 with no host bindings, exactly
as the page would run them, and a decoder reading its own source gets its original text.
Calls that throw, time out, or return anything but plain data are left as they are.
"""

from __future__ import annotations

import json
from typing import Any

from skimscan.analyze.deobfuscate.context import Context
from skimscan.analyze.deobfuscate.environment import Environment
from skimscan.analyze.deobfuscate.proxy_functions import function_of
from skimscan.analyze.deobfuscate.scope import Binding, ScopeIndex
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import (
    MAX_LITERAL,
    N,
    has_value,
    literal_value,
    make_literal,
    number_text,
    transform,
)

TECHNIQUE = Technique.DECODERS
#: Distinct calls evaluated per decoder, and decoders per script (bounds on busy bundles).
MAX_CALLS = 5000
MAX_DECODERS = 200
#: A decoder that gives this many different strings is a string table: it hides every string
#: of the program alike (obfuscator output, vendors' too), so a URL among them is not a
#: string singled out for hiding (`via: string-array` for the rules, not `decoders`).
TABLE_MIN = 8


def js_argument(node: Any, index: ScopeIndex) -> str | None:
    """A constant argument as JavaScript text: a literal, or a name that only ever holds an
    array of literals (`unwrap(parts)` with `var parts = ['…', '…']`, never written)."""
    array = node
    if node.type == "Identifier":
        binding = index.ref.get(id(node))
        array = binding.init if binding is not None else None
        if binding is None or binding.writes or binding.scope.is_dynamic() or array is None:
            return None
    if array.type == "ArrayExpression":  # `_c([104, 116, …])` or a name for such an array
        items = [js_literal(e) if e is not None else None for e in array.elements]
        if any(i is None for i in items) or sum(len(i or "") for i in items) > MAX_LITERAL:
            return None
        return "[" + ",".join(i for i in items if i is not None) + "]"
    return js_literal(node)


def js_literal(node: Any) -> str | None:
    """A constant argument as JavaScript source text."""
    if node.type == "UnaryExpression" and node.operator == "-" and has_value(node.argument):
        inner = js_literal(node.argument)
        return None if inner is None else f"-{inner}"
    if not has_value(node):
        return None
    value = literal_value(node)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        return json.dumps(value)
    return None


def as_node(value: Any, like: Any) -> Any:
    if isinstance(value, list):
        return N("ArrayExpression", elements=[make_literal(v, like) for v in value],
                 loc=like.loc)
    return make_literal(value, like)


def run(ctx: Context) -> int:
    index = ctx.scopes()
    groups: dict[int, tuple[Binding, list[tuple[Any, str]]]] = {}

    def collect(node: Any) -> None:
        if node.type != "CallExpression" or node.callee.type != "Identifier":
            return None
        binding = index.ref.get(id(node.callee))
        if binding is None or function_of(binding, index) is None:
            return None
        args = [js_argument(a, index) for a in node.arguments]
        if any(a is None for a in args):
            return None
        if id(binding) not in groups:
            if len(groups) >= MAX_DECODERS:
                return None
            groups[id(binding)] = (binding, [])
        entries = groups[id(binding)][1]
        if len(entries) < MAX_CALLS:
            entries.append((node, ",".join(a for a in args if a is not None)))
        return None

    transform(ctx.program, collect)
    results: dict[int, tuple[Any, str]] = {}
    for binding, entries in groups.values():
        if ctx.out_of_time or ctx.isolate.exhausted:
            ctx.notes.append("decoder evaluation stopped at its time budget")
            break
        key = ctx.spent_key(binding)
        entries[:] = [(n, a) for n, a in entries if (key, a) not in ctx.failed]
        if not entries or key in ctx.failed_decoders:
            continue
        env = Environment(ctx, index)
        if not env.need(binding):
            ctx.failed_decoders.add(key)
            continue
        program = env.program(binding.scope, binding.name)
        if program is None:
            ctx.failed_decoders.add(key)
            continue
        ctx.isolate.fresh()
        if not ctx.isolate.define(f"var __skimscan_fn = {program};"):
            ctx.failed_decoders.add(key)
            continue
        setup = env.inside()
        entries = [(node, args) for node, args in entries if id(node) not in setup]
        distinct = sorted({args for _, args in entries})
        values = ctx.isolate.values([f"__skimscan_fn()({a})" for a in distinct])
        # Arrays are objects the program may mutate later (a string table being rotated):
        # only primitive values are safe to write in.
        usable = {a: r.value for a, r in zip(distinct, values, strict=True)
                  if r.ok and not isinstance(r.value, list)}
        ctx.failed.update((key, a) for a in distinct if a not in usable)
        if usable:
            ctx.spend(binding)
            for needed in env.bindings:
                ctx.spend(needed)
        strings = {v for v in usable.values() if isinstance(v, str)}
        via = "string-array" if len(strings) >= TABLE_MIN else TECHNIQUE
        for node, args in entries:
            if args in usable:
                results[id(node)] = (usable[args], via)
    if not results:
        return 0
    count = 0

    def replace(node: Any) -> Any | None:
        nonlocal count
        if node.type != "CallExpression" or id(node) not in results:
            return None
        value, via = results[id(node)]
        count += 1
        return ctx.hide(as_node(value, node), via)

    ctx.program = transform(ctx.program, replace)
    ctx.changed()
    ctx.done(TECHNIQUE, count)
    return count
