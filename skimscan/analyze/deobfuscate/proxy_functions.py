"""Proxy functions and aliases are inlined: calls to a function whose body is one `return`
(`function _p(a, b) { return a + b; }`, a string-array wrapper `function w(a, b) { return
_0xdec(b - 0x1c2, a); }`) become its expression, and `const d = _0xdec;` aliases are replaced by
the function they name at every call.

Obfuscators route every operator, call and string lookup through such wrappers (chained, with
offsets), so that no call site names what it really does. Inlining to a fixed point unwinds
the chains; the decoder pass then sees decoder calls with literal arguments.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate import inline as inl
from skimscan.analyze.deobfuscate.context import Context
from skimscan.analyze.deobfuscate.scope import Binding, ScopeIndex
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import FUNCTIONS, N, transform

TECHNIQUE = Technique.PROXY_FUNCTIONS


def function_of(binding: Binding | None, index: ScopeIndex) -> Any | None:
    """The function a binding always holds, or None (parameters, reassigned names, dynamic)."""
    if binding is None or binding.scope.is_dynamic():
        return None
    init = binding.init
    if binding.kind not in ("function", "var", "let", "const") or init is None or \
            init.type not in FUNCTIONS:
        return None
    fn = init
    if binding.writes and index.written_outside(binding, fn):
        return None
    return fn


def _alias_target(binding: Binding | None, index: ScopeIndex) -> Binding | None:
    """For `const d = f` (never reassigned, maybe through more aliases) where `f` always holds a
    function: f's binding."""
    for _ in range(8):
        if binding is None or binding.kind not in ("var", "let", "const") or binding.writes:
            return None
        init = binding.init
        if init is None or init.type != "Identifier":
            return None
        binding = index.binding_of(init)
        if function_of(binding, index) is not None:
            return binding
    return None


def _visible(names: set[str], fn_scope_parent: Any, site: Any) -> bool:
    """Each free name of the inlined body means the same at the call site as in the function."""
    return all(site.lookup(name) is fn_scope_parent.lookup(name) for name in names)


def run(ctx: Context) -> int:
    index = ctx.scopes()
    count = 0

    def rewrite(node: Any) -> Any | None:
        nonlocal count
        if node.type != "CallExpression" or node.callee.type != "Identifier":
            return None
        if id(node.callee) not in index.ref:  # made by this walk: resolved next round
            return None
        binding = index.binding_of(node.callee)
        site = index.site.get(id(node))
        if site is None:
            return None
        target = _alias_target(binding, index)
        if target is not None and site.lookup(target.name) is target:
            if binding is not None:
                ctx.spend(binding)
            node.callee = N("Identifier", name=target.name, loc=node.callee.loc,
                            range=getattr(node.callee, "range", None))
            count += 1
            return node
        fn = function_of(binding, index)
        expr = inl.returned_expression(fn)
        if fn is None or expr is None or binding is None:
            return None
        params = {p.name for p in fn.params}
        home = index.scope_of.get(id(fn))
        if home is None or home.parent is None:
            return None
        if not _visible(inl.free_names(expr, params), home.parent, site):
            return None
        replaced = inl.inline(fn, list(node.arguments), node)
        if replaced is not None:
            count += 1
            if binding.scope.parent is not None:  # a global function may serve other scripts
                ctx.spend(binding)
        return replaced

    ctx.program = transform(ctx.program, rewrite)
    if count:
        ctx.changed()
    ctx.done(TECHNIQUE, count)
    return count
