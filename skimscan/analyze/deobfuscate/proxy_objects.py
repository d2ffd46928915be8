"""Proxy objects are inlined: an object literal of constants and one-line functions that is
only ever read by known keys (`const _0x4b = {'aBc': 'ajax', 'dEf': function (a, b) { return
a(b); }}`) is replaced at every use (`_0x4b['aBc']` → `'ajax'`, `_0x4b['dEf'](f, x)` → `f(x)`).

Control-flow flattening moves operators, strings and calls into such objects; the program
reads like `_0x4b[k1](_0x4b[k2], …)` until they are put back.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate import inline as inl
from skimscan.analyze.deobfuscate.context import Context
from skimscan.analyze.deobfuscate.scope import Binding, ScopeIndex
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import (
    FUNCTIONS,
    clone,
    has_value,
    member_key,
    property_key,
    transform_top_down,
    walk,
)

TECHNIQUE = Technique.PROXY_OBJECTS


def _table(binding: Binding) -> dict[str, Any] | None:
    """The entries of a constant object literal that can stand in for their reads: constants
    and one-line functions. Other entries stay where they are, unless one could change the
    table (a function using `this`), which makes the whole table unusable."""
    init = binding.init
    if binding.kind not in ("var", "let", "const") or init is None or \
            init.type != "ObjectExpression" or not binding.constant:
        return None
    table: dict[str, Any] = {}
    for prop in init.properties:
        key = property_key(prop)
        if key is None or getattr(prop, "kind", "init") != "init":
            return None
        value = prop.value
        if value.type in FUNCTIONS:
            if inl.returned_expression(value) is not None:
                table[key] = value
            elif any(n.type == "ThisExpression" for n in walk(value)):
                return None
        elif has_value(value) or (value.type == "UnaryExpression" and has_value(
                value.argument)):
            table[key] = value
    return table or None


def _candidates(index: ScopeIndex, program: Any) -> dict[int, dict[str, Any]]:
    """Bindings of proxy objects whose every reference is a member read (the reads by known
    keys are the ones replaced; reads by keys built at run time stay)."""
    reads: set[int] = set()
    writes: set[int] = set()
    for n in walk(program):
        if n.type == "MemberExpression" and n.object.type == "Identifier":
            reads.add(id(n.object))  # a read by any key (`T['c' + k]` reads, never writes)
        else:
            target = _written_member(n)
            if target is not None:
                writes.add(id(target.object))
    bindings = {id(b): b for scope in index.scopes() for b in scope.bindings.values()}
    # `const alias = table;` (obfuscators copy the table into each function): the alias's
    # initializer is the one reference of the table that is not a member read.
    alias_of: dict[int, Binding] = {}
    for b in bindings.values():
        if b.kind in ("var", "let", "const") and b.constant and b.init is not None and \
                b.init.type == "Identifier" and (target := index.ref.get(id(b.init))) is not None:
            alias_of[id(b.init)] = b
            del target

    def read_only(b: Binding) -> bool:
        for r in b.refs:
            if id(r) in reads and id(r) not in writes:
                continue
            alias = alias_of.get(id(r))
            if alias is None or any(id(x) not in reads or id(x) in writes for x in alias.refs):
                return False
        return bool(b.refs)

    out: dict[int, dict[str, Any]] = {}
    for b in bindings.values():
        if not read_only(b):
            continue
        table = _table(b)
        if table is None:
            continue
        out[id(b)] = table
        for r in b.refs:
            alias = alias_of.get(id(r))
            if alias is not None:
                out[id(alias)] = table
    return out


def _written_member(n: Any) -> Any | None:
    """The member expression `n` writes to (`o.k = …`, `o.k++`, `delete o.k`), if any."""
    if n.type == "AssignmentExpression":
        target = n.left
    elif n.type == "UpdateExpression" or (n.type == "UnaryExpression" and n.operator == "delete"):
        target = n.argument
    else:
        return None
    return target if target.type == "MemberExpression" else None


def run(ctx: Context) -> int:
    """Tables whose entries read other tables open one level per sweep: sweep until none
    changes (bounded), rather than waiting a whole round for each level."""
    total = 0
    for _ in range(8):
        done = _sweep(ctx)
        total += done
        if not done or ctx.out_of_time:
            break
    return total


def _sweep(ctx: Context) -> int:
    index = ctx.scopes()
    if not index.types["ObjectExpression"]:
        return 0
    tables = _candidates(index, ctx.program)
    if not tables:
        return 0
    count = 0

    def table_of(member: Any) -> tuple[dict[str, Any], str] | None:
        if member.type != "MemberExpression" or member.object.type != "Identifier":
            return None
        binding = index.ref.get(id(member.object))
        if binding is None or id(binding) not in tables:
            return None
        key = member_key(member)
        if key is None:
            return None
        ctx.spend(binding)
        if binding.init is not None and binding.init.type == "Identifier":
            target = index.ref.get(id(binding.init))  # an alias: the table itself too
            if target is not None:
                ctx.spend(target)
        return tables[id(binding)], key

    def rewrite(node: Any) -> Any | None:
        nonlocal count
        if node.type == "CallExpression":
            found = table_of(node.callee)
            if found is None or found[1] not in found[0]:
                return None
            fn = found[0][found[1]]
            if fn.type not in FUNCTIONS:
                return None
            expr = inl.returned_expression(fn)
            params = {p.name for p in fn.params}
            if expr is None or inl.free_names(expr, params):
                return None  # only self-contained proxies move out of their object
            replaced = inl.inline(fn, list(node.arguments), node)
            if replaced is not None:
                count += 1
            return replaced
        if node.type == "MemberExpression":
            found = table_of(node)
            if found is None or found[1] not in found[0]:
                return None
            value = found[0][found[1]]
            if value.type in FUNCTIONS:
                return None
            count += 1
            copied = clone(value)
            copied.loc = node.loc
            return copied
        return None

    # Calls first (their callee is a member of the table): parents before children.
    ctx.program = transform_top_down(ctx.program, rewrite)
    if count:
        ctx.changed()
    ctx.done(TECHNIQUE, count)
    return count
