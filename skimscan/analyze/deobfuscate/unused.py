"""Spent machinery is removed: decoders, string tables, rotation loops and proxy functions
that other passes have replaced at every use, once nothing else refers to them.

Left in place, an RC4 string-table decoder is an "XOR cipher" in the script, its table a wall
of base64, and its wrappers hundreds of functions: a payment SDK run through an obfuscator
would look like a skimmer with a home-made cipher. Only bindings a pass marked as spent (it
took their value, see `Context.spend`) are candidates, so ordinary unused code stays, and a
binding goes only when every reference left is inside its own definition or inside statements
that only prepare it (the rotation IIFE that is handed the table).
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.context import Context
from skimscan.analyze.deobfuscate.environment import mutates, scope_body
from skimscan.analyze.deobfuscate.inline import returned_expression
from skimscan.analyze.deobfuscate.scope import Binding, ScopeIndex
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import statement_lists, touched, walk

TECHNIQUE = Technique.UNUSED


def _definition(binding: Binding) -> Any | None:
    """The node that defines a spent binding: a function declaration or a declarator."""
    if binding.kind == "function" and binding.node.type == "FunctionDeclaration":
        return binding.node
    if binding.kind in ("var", "let", "const") and binding.node.type == "VariableDeclarator":
        return binding.node
    return None


def _parts(binding: Binding, index: ScopeIndex, body: list[Any]) -> list[Any] | None:
    """The definition of a binding and the statements beside it that only prepare it."""
    definition = _definition(binding)
    if definition is None:
        return None
    preparing = [s for s in body if s.type == "ExpressionStatement" and
                 mutates(s.expression, binding, index)]
    return [definition, *preparing]


def _wraps_spent(ctx: Context, binding: Binding, index: ScopeIndex) -> bool:
    """A one-line function that only calls spent machinery (a string-table wrapper at the top
    level, which could not be marked spent itself: a global may serve other scripts), declared
    or held in a variable never written (`var _0xdec = function (i) {…}`)."""
    fn = binding.init
    if binding.kind not in ("function", "var", "let", "const") or fn is None or \
            (binding.kind != "function" and binding.writes) or returned_expression(fn) is None:
        return False
    _, outside, _ = index.free_bindings(fn)
    return bool(outside) and all(ctx.spent_key(b) in ctx.spent for b in outside)


def _settle(ctx: Context, index: ScopeIndex
            ) -> tuple[dict[int, tuple[Binding, list[Any], set[int]]], int]:
    """The spent bindings that can go (each with its definition's parts), and how many
    spent bindings cannot: something outside the spent machinery still refers to them."""
    # Candidates: spent bindings with a definition. A decoder, its table and the rotation
    # loop refer to each other, so they go as a group: drop candidates referred to from
    # outside the group until none is (a fixed point), then remove what is left.
    candidates: dict[int, tuple[Binding, list[Any], set[int]]] = {}
    for scope in index.scopes():
        body = scope_body(scope.node)
        if body is None or scope.is_dynamic():
            continue
        for binding in scope.bindings.values():
            if ctx.spent_key(binding) not in ctx.spent and not _wraps_spent(ctx, binding, index):
                continue
            parts = _parts(binding, index, body)
            if parts is not None:
                inside = {id(n) for node in parts for n in walk(node)}
                candidates[id(binding)] = (binding, parts, inside)
    used = 0
    while candidates:
        group = set().union(*(inside for _, _, inside in candidates.values()))
        outside = [k for k, (b, _, _) in candidates.items()
                   if any(id(r) not in group for r in b.refs)]
        if not outside:
            break
        used += len(outside)
        for k in outside:
            del candidates[k]
    return candidates, used


def in_use(ctx: Context) -> int:
    """Spent machinery the program still calls once rewriting is over: a decoder or proxy
    some use of which no pass could replace (a call with an argument known only at run
    time, say). Each such use may hide a name or a value from the analysis."""
    if not ctx.spent:
        return 0
    return _settle(ctx, ctx.scopes())[1]


def run(ctx: Context) -> int:
    if not ctx.spent:
        return 0
    candidates, _ = _settle(ctx, ctx.scopes())
    remove = {id(n) for _, parts, _ in candidates.values() for n in parts}
    if not remove:
        return 0
    count = 0
    for owner, stmts in list(statement_lists(ctx.program)):
        kept: list[Any] = []
        for s in stmts:
            if id(s) in remove:
                count += 1
                continue
            if s.type == "VariableDeclaration" and any(id(d) in remove for d in s.declarations):
                left = [d for d in s.declarations if id(d) not in remove]
                count += len(s.declarations) - len(left)
                if not left:
                    continue
                s.declarations = left
                touched(s)
            kept.append(s)
        if len(kept) != len(stmts):
            stmts[:] = kept
            touched(owner)
    if count:
        ctx.changed()
    ctx.done(TECHNIQUE, count)
    return count

