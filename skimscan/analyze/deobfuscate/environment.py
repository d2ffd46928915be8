"""Shared by the isolate passes: the definitions a piece of code needs, as a JavaScript program.

To run `_0xdec(0x1a3, 'kT9x')` the isolate needs `_0xdec`, the string-array function it reads,
the rotation IIFE that shuffles that array, and whatever those use — nothing else of the
script. `Environment.build` collects them by following references out of the target through
the scope index: function declarations, variables with an initializer (never written again
except inside their own function), and "mutator" statements beside them that pass the binding
to a call or assign to its members (the rotation IIFE, `table['k'] = …`). Parameters, classes,
imports and anything bound at run time make the target unevaluable.

The program mirrors the scopes: each scope on the way from the program to the target becomes a
nested function, so two functions of the same name in different scopes never meet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skimscan.analyze.deobfuscate.context import Context
from skimscan.analyze.deobfuscate.scope import Binding, Scope, ScopeIndex
from skimscan.analyze.deobfuscate.tree import FUNCTIONS, walk
from skimscan.analyze.parse import parse

#: Globals the isolate has as the browser does (ECMAScript built-ins, plus atob/btoa).
ECMASCRIPT_GLOBALS = frozenset({
    "String", "Number", "Boolean", "Array", "Object", "Math", "JSON", "RegExp", "Date",
    "parseInt", "parseFloat", "isNaN", "isFinite", "decodeURIComponent", "encodeURIComponent",
    "decodeURI", "encodeURI", "escape", "unescape", "atob", "btoa", "undefined", "NaN",
    "Infinity", "Error", "TypeError", "RangeError", "Symbol", "Map", "Set", "WeakMap", "BigInt",
    "ArrayBuffer", "DataView", "Uint8Array", "Int8Array", "Uint16Array", "Int16Array",
    "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "Uint8ClampedArray",
    "Function", "eval", "arguments", "Reflect",
})
#: Largest environment sent to the isolate (a decoder needing more is left alone).
MAX_ENVIRONMENT = 1024 * 1024
_MUTATOR_MAX = 64 * 1024


@dataclass
class _Piece:
    order: int
    text: str


@dataclass
class Environment:
    ctx: Context
    index: ScopeIndex
    pieces: dict[int, dict[int, _Piece]] = field(default_factory=dict)  # scope -> node -> text
    visited: set[int] = field(default_factory=set)
    size: int = 0
    #: definitions and mutators taken into the environment: calls inside them run while the
    #: environment is being set up (a rotation loop calling the decoder), so they are never
    #: replaced by values computed afterwards
    nodes: list[Any] = field(default_factory=list)
    #: the bindings taken in
    bindings: list[Binding] = field(default_factory=list)
    #: mutators run bare, not in a `try`: one that throws (or is too big to take) makes the
    #: environment fail instead of leaving a table half prepared — for a caller that takes the
    #: prepared value itself (`constant_arrays`), not one decoder's answers
    strict: bool = False

    def inside(self) -> set[int]:
        return {id(n) for node in self.nodes for n in walk(node)}

    def need_code(self, node: Any, where: Scope | None = None) -> bool:
        """Add everything `node` (a function or an expression) uses from outside itself; with
        `where` (the scope `node` sits in), also what its original text used (see `original`)."""
        _, outside, _ = self.index.free_bindings(node)
        if where is not None:
            names = original_free_names(self.ctx, node)
            if names is None:
                return False
            known = {id(b) for b in outside}
            for name in sorted(names):
                found = where.lookup(name)
                if found is not None and id(found) not in known:
                    outside.append(found)
        return all(self.need(b) for b in outside)

    def original(self, node: Any, where: Scope) -> str | None:
        """The source text of a function as the browser received it: a decoder keyed on its
        own `toString()` needs the exact bytes, even after passes rewrote its body. None when
        that text uses a name that no longer exists (machinery already decoded and removed):
        then the function as it is now is equivalent, and is what runs."""
        span = getattr(node, "range", None)
        if span is None:
            return None
        names = original_free_names(self.ctx, node)
        if names is None:
            return None
        _, outside, globals_ = self.index.free_bindings(node)
        current = {b.name for b in outside} | globals_
        if any(name not in current and where.lookup(name) is None for name in names):
            return None
        return self.ctx.code[span[0]:span[1]]

    def need(self, binding: Binding) -> bool:
        if id(binding) in self.visited:
            return True
        self.visited.add(id(binding))
        self.bindings.append(binding)
        if binding.scope.is_dynamic():
            return False
        init = binding.init
        if binding.kind == "function" and init is not None:
            if binding.writes and self.index.written_outside(binding, init):
                return False
            if init.type != "FunctionDeclaration":  # a named function expression's own name
                return True
            exact = self.original(init, binding.scope)
            text = exact if exact is not None else self.ctx.source_of(init)
        elif binding.kind in ("var", "let", "const") and init is not None:
            if binding.writes and not (init.type in FUNCTIONS and
                                       not self.index.written_outside(binding, init)):
                return False
            exact = self.original(init, binding.scope) if init.type in FUNCTIONS else None
            text = f"var {binding.name} = {exact or self.ctx.source_of(init)};"
        else:
            return False
        self._add(binding.scope, binding.node, text)
        where = binding.scope if exact is not None else None
        if not self.need_code(init, where):
            return False
        return self._mutators(binding)

    def _add(self, scope: Scope, node: Any, text: str) -> None:
        self.nodes.append(node)
        span = getattr(node, "range", None) or getattr(getattr(node, "init", None), "range", None)
        order = span[0] if span else 1 << 40
        self.pieces.setdefault(id(scope), {})[id(node)] = _Piece(order, text)
        self.size += len(text)

    def _mutators(self, binding: Binding) -> bool:
        """Statements beside the declaration that prepare the binding's value."""
        body = scope_body(binding.scope.node)
        if body is None:
            return True
        for stmt in body:
            if stmt.type != "ExpressionStatement" or not mutates(stmt.expression, binding,
                                                                   self.index):
                continue
            span = getattr(stmt, "range", None)
            too_big = span is not None and span[1] - span[0] > _MUTATOR_MAX
            text = "" if too_big else self.ctx.source_of(stmt)
            if too_big or len(text) > _MUTATOR_MAX:
                if self.strict:
                    return False
                continue
            self._add(binding.scope, stmt, text if self.strict else
                      "try { " + text + "\n} catch (e) {}")
            if not self.need_code(stmt):
                return False
        return True

    def program(self, target: Scope, expression: str) -> str | None:
        """A program whose completion value is a function returning `expression`, evaluated
        where `target` is."""
        if self.size > MAX_ENVIRONMENT:
            return None
        chain = list(reversed(list(target.chain())))
        known = {id(s) for s in chain}
        if any(k not in known for k in self.pieces):
            return None
        text = f"return function () {{ return ({expression}); }};"
        for scope in reversed(chain):
            pieces = sorted(self.pieces.get(id(scope), {}).values(), key=lambda p: p.order)
            text = "\n".join([*(p.text for p in pieces), text])
            if scope is not chain[0]:
                text = f"return (function () {{\n{text}\n}})();"
        return f"(function () {{\n{text}\n}})()"


def scope_body(node: Any) -> list[Any] | None:
    """The statements directly in a scope-opening node (program, function body, block)."""
    if node.type == "Program":
        return list(node.body)
    if node.type in FUNCTIONS and node.body.type == "BlockStatement":
        return list(node.body.body)
    if node.type in ("BlockStatement", "StaticBlock"):
        return list(node.body)
    return None


def mutates(expr: Any, binding: Binding, index: ScopeIndex) -> bool:
    """Passes the binding to a call (`(function (a, n) {…})(_0xarr, 0x1b3)`) or assigns to one
    of its members."""
    if expr.type == "UnaryExpression" and expr.operator == "!":
        expr = expr.argument  # `!function (a, n) {…}(_0xarr, 5)`
    if expr.type in ("CallExpression", "NewExpression"):
        return any(a.type == "Identifier" and index.ref.get(id(a)) is binding
                   for a in expr.arguments)
    if expr.type == "AssignmentExpression" and expr.left.type == "MemberExpression":
        obj = expr.left.object
        return obj.type == "Identifier" and index.ref.get(id(obj)) is binding
    return False


def uses_only(node: Any, index: ScopeIndex, allowed: frozenset[str]) -> bool:
    """Whether every global `node` reads is in `allowed` (pure built-ins)."""
    return all(n.name in allowed for n in walk(node)
               if n.type == "Identifier" and id(n) in index.ref and index.ref[id(n)] is None)


def original_free_names(ctx: Context, node: Any) -> set[str] | None:
    """Names a function's original text uses from outside itself (parsed again on its own:
    the tree may no longer say, once calls inside it were replaced by their values). An
    untouched function says it all already; parses are remembered per script."""
    span = getattr(node, "range", None)
    if span is None or not any(getattr(n, "rewritten", False) for n in walk(node)):
        return set()
    key = (span[0], span[1])
    if key in ctx.original_names:
        return ctx.original_names[key]
    text = ctx.code[span[0]:span[1]]
    result = parse(f"({text})" if node.type != "FunctionDeclaration" else text)
    names: set[str] | None = None
    if result.tree is not None:
        index = ScopeIndex(result.tree)
        names = {n.name for n in walk(result.tree)
                 if n.type == "Identifier" and id(n) in index.ref and index.ref[id(n)] is None}
    ctx.original_names[key] = names
    return names
