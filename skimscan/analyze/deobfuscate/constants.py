"""Constant propagation: a name that always holds one constant is replaced by it.

    var _k = '7f3b…', _d = '2AIv…';          eval(_rc('7f3b…', atob('2AIv…')));
    (function (w) { eval(_rc(_k, w.atob(_d))); })(window);   →   (with `w` read as `window`)

Kits keep keys, payloads and hosts in variables, pass `window`/`document` into their IIFE under
short names, and hand a decoded stage to a helper (`run(stage)` → `script.text = code`), so
that no call has constant arguments, no global is named and no sink sees the stage; the
decoder, built-in and stage analyses need them back. A name is replaced only when it is never
written after its declaration, is not in a scope with `with`, and holds a primitive literal (a long
string only when it is read once) or, as a parameter of a function called exactly once, what
that call passes: a literal or a browser global that nothing in the program redeclares.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.context import Context
from skimscan.analyze.deobfuscate.scope import Binding, ScopeIndex
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import (
    FUNCTIONS,
    N,
    clone,
    has_value,
    member_key,
    transform,
    walk,
)

TECHNIQUE = Technique.CONSTANTS
#: Strings up to this length are copied to every use; longer ones only to a single use.
SHORT = 200
#: Browser globals and page libraries that kits pass into their IIFE under another name
#: (`(function (_0x4e46) {…})(jQuery)`: the facts walk knows `jQuery.ajax`, not `_0x4e46.ajax`).
GLOBALS = frozenset({"window", "self", "globalThis", "document", "navigator", "location",
                     "localStorage", "sessionStorage", "top", "parent", "jQuery", "$",
                     "Zepto", "Prototype"})


def _global_alias(init: Any, index: ScopeIndex, declared: set[str]) -> Any | None:
    """`var $ = window.jQuery`, `var d = document`: the global it names, as an identifier."""
    if init.type == "MemberExpression" and init.object.type == "Identifier" and \
            init.object.name in ("window", "self", "globalThis") and \
            index.is_global(init.object) and init.object.name not in declared:
        name = member_key(init)
    elif init.type == "Identifier" and index.is_global(init):
        name = init.name
    else:
        return None
    if name not in GLOBALS or name in declared:
        return None
    return N("Identifier", name=name)


def _value_node(binding: Binding, index: ScopeIndex, declared: set[str]) -> Any | None:
    init = binding.init
    if init is None or binding.kind not in ("var", "let", "const"):
        return None
    alias = _global_alias(init, index, declared)
    if alias is not None:
        return alias
    if init.type == "UnaryExpression" and init.operator == "-" and has_value(init.argument):
        return init
    if init.type != "Literal" or not has_value(init):
        return None
    if isinstance(init.value, str) and len(init.value) > SHORT and len(binding.refs) > 1:
        return None
    return init


def _called_once(program: Any, index: ScopeIndex) -> list[tuple[Any, Any]]:
    """(call, function) for immediately called functions and for named functions whose only
    use is one call: their parameters hold what that call passes."""
    out: list[tuple[Any, Any]] = []
    calls: dict[int, list[Any]] = {}
    for n in walk(program):
        if n.type not in ("CallExpression", "NewExpression"):
            continue
        if n.callee.type in FUNCTIONS:
            out.append((n, n.callee))
        elif n.callee.type == "Identifier":
            binding = index.ref.get(id(n.callee))
            if binding is not None:
                calls.setdefault(id(binding), []).append(n)
    for scope in index.scopes():
        for binding in scope.bindings.values():
            sites = calls.get(id(binding), [])
            fn = binding.init
            if len(sites) == 1 and len(binding.refs) == 1 and not binding.writes and \
                    fn is not None and fn.type in FUNCTIONS and \
                    binding.kind in ("function", "var", "let", "const"):
                out.append((sites[0], fn))
    return out


def _iife_params(program: Any, index: ScopeIndex, declared: set[str]) -> dict[int, Any]:
    """Parameters of functions called once (an IIFE, a helper with one caller) bound to a
    constant or a browser global: binding id -> the node to put in place of each read."""
    out: dict[int, Any] = {}
    for n, fn in _called_once(program, index):
        scope = index.scope_of.get(id(fn))
        if scope is None or scope.is_dynamic():
            continue
        for param, arg in zip(fn.params, n.arguments, strict=False):
            if param.type != "Identifier" or arg.type == "SpreadElement":
                break
            binding = scope.bindings.get(param.name)
            if binding is None or binding.writes or binding.kind != "param":
                continue
            alias = _global_alias(arg, index, declared)  # `jQuery`, `window.jQuery`
            if alias is not None:
                out[id(binding)] = alias
            elif arg.type == "Literal" and has_value(arg) and not (
                    isinstance(arg.value, str) and len(arg.value) > SHORT and
                    len(binding.refs) > 1):
                out[id(binding)] = arg
    return out


def _ready_handlers(program: Any, index: ScopeIndex, declared: set[str]) -> dict[int, Any]:
    """`jQuery(function ($) {…})`, `window.jQuery(function ($) {…})` and
    `jQuery(document).ready(function ($) {…})`: jQuery hands itself to a ready handler as its
    first parameter."""
    out: dict[int, Any] = {}
    for n in walk(program):
        if n.type != "CallExpression" or not n.arguments or n.arguments[0].type not in FUNCTIONS:
            continue
        callee = n.callee
        if callee.type == "MemberExpression" and member_key(callee) == "ready":
            callee = callee.object.callee if callee.object.type == "CallExpression" else None
        # `jQuery`, `$`, or either read through the global object (`window.jQuery(…)`)
        named = None if callee is None else _global_alias(callee, index, declared)
        if named is None or named.name not in ("jQuery", "$"):
            continue
        fn = n.arguments[0]
        scope = index.scope_of.get(id(fn))
        if not fn.params or fn.params[0].type != "Identifier" or scope is None:
            continue
        binding = scope.bindings.get(fn.params[0].name)
        if binding is not None and binding.kind == "param" and not binding.writes:
            out[id(binding)] = N("Identifier", name="jQuery")
    return out


def run(ctx: Context) -> int:
    index = ctx.scopes()
    scopes = index.scopes()
    declared = {name for scope in scopes for name in scope.bindings}
    values: dict[int, Any] = _iife_params(ctx.program, index, declared)
    values.update(_ready_handlers(ctx.program, index, declared))
    for scope in scopes:
        if scope.is_dynamic():
            continue
        for binding in scope.bindings.values():
            if not binding.constant or not binding.refs:
                continue
            node = _value_node(binding, index, declared)
            if node is not None:
                values[id(binding)] = node
    if not values:
        return 0
    # Shorthand properties (`{k}`) and declaration sites keep their names.
    keep = {id(p.value) for p in walk(ctx.program)
            if p.type == "Property" and getattr(p, "shorthand", False)}
    count = 0

    def replace(node: Any) -> Any | None:
        nonlocal count
        if node.type != "Identifier" or id(node) in keep:
            return None
        binding = index.ref.get(id(node))
        if binding is None or id(binding) not in values:
            return None
        count += 1
        source = values[id(binding)]
        if source.type == "Identifier":
            return N("Identifier", name=source.name, loc=node.loc,
                     range=getattr(node, "range", None))
        copied = clone(source)
        copied.loc = node.loc
        return copied

    ctx.program = transform(ctx.program, replace)
    if count:
        ctx.changed()
    ctx.done(TECHNIQUE, count)
    return count

