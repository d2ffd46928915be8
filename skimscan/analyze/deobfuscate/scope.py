"""STAGE 3 (analyze/deobfuscate) — which declaration each identifier refers to.

Passes ask three questions of a program: what is this name bound to, is that binding ever
written again, and which outside bindings does this piece of code use. `ScopeIndex` answers
them from one walk (declarations first, so hoisting is right; then references). It is rebuilt
after a round of rewrites, never patched.

Approximations: `with` makes every name in its function unknowable, so bindings there are
marked `dynamic` and no pass touches them. A direct `eval` could also write a local, but kits
call `eval(decode(key, blob))` beside the very variables the decoder needs, so it is treated as
an ordinary call (a stage that rewrites its caller's variables is analysed as a stage anyway).
Names no declaration covers are globals (`binding is None`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from skimscan.analyze.deobfuscate.tree import FUNCTIONS, children, walk
from skimscan.analyze.visitor import pattern_names

_BLOCK_SCOPES = frozenset({"BlockStatement", "SwitchStatement", "ForStatement", "ForInStatement",
                           "ForOfStatement", "ForAwaitStatement"})


_STRING_RUNNERS = frozenset({"eval", "Function", "setTimeout", "setInterval", "execScript"})


def _runs_string(call: Any) -> bool:
    """`eval(s)`, `Function(s)`, `setTimeout(s, t)` with text (not a function) as `s`."""
    callee = call.callee
    name = callee.name if callee.type == "Identifier" else (
        callee.property.name if callee.type == "MemberExpression" and not callee.computed
        and callee.property.type == "Identifier" else None)
    if name not in _STRING_RUNNERS or not call.arguments:
        return False
    if name in ("eval", "Function", "execScript"):
        return True
    # a timer: a name or a member most likely holds a function; text is written or built
    return call.arguments[0].type in ("Literal", "TemplateLiteral", "BinaryExpression",
                                      "CallExpression")


@dataclass(eq=False)
class Scope:
    node: Any
    parent: Scope | None
    function: bool
    bindings: dict[str, Binding] = field(default_factory=dict)
    dynamic: bool = False  # `with` inside: names cannot be resolved statically
    string_code: bool = False  # (program scope) the script runs code given as a string

    def var_scope(self) -> Scope:
        scope = self
        while not scope.function and scope.parent is not None:
            scope = scope.parent
        return scope

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            found = scope.bindings.get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None

    def chain(self) -> Iterator[Scope]:
        scope: Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent

    def is_dynamic(self) -> bool:
        return any(s.dynamic for s in self.chain())


@dataclass(eq=False)
class Binding:
    name: str
    scope: Scope
    kind: str  # var | let | const | function | param | class | catch | import
    node: Any  # the declarator, function declaration, or parameter pattern
    init: Any | None = None  # initial value: a declarator's init, or the function itself
    refs: list[Any] = field(default_factory=list)  # identifier nodes that read or write it
    writes: list[Any] = field(default_factory=list)  # identifiers assigned to after declaration

    @property
    def constant(self) -> bool:
        """Never written after its declaration, as far as the program shows. Globals (bindings
        of the program's own scope) are not, when the program also runs code from strings
        (`setTimeout('cfg.pan = …')`): that code writes them where no walk sees it."""
        if self.writes or self.scope.is_dynamic():
            return False
        return not (self.scope.parent is None and self.scope.string_code)


class ScopeIndex:
    """Scopes, bindings and resolved references of one program."""

    def __init__(self, program: Any) -> None:
        self.root = Scope(program, None, True)
        #: scope opened by a node (functions, blocks, catch clauses, the program)
        self.scope_of: dict[int, Scope] = {id(program): self.root}
        #: identifier (reference position) -> its binding, or None for a global
        self.ref: dict[int, Binding | None] = {}
        #: call/new expression -> the scope it sits in (to resolve names where it is)
        self.site: dict[int, Scope] = {}
        #: how many nodes of each type the program has (passes with nothing to do skip)
        self.types: Counter[str] = Counter()
        #: names read that no declaration covers
        self.globals: set[str] = set()
        for stmt in program.body:
            self._declare(stmt, self.root)
        self._resolve(program, self.root)

    # declarations -------------------------------------------------------------------------
    def _open(self, node: Any, parent: Scope, function: bool) -> Scope:
        scope = Scope(node, parent, function)
        self.scope_of[id(node)] = scope
        return scope

    def _bind(self, scope: Scope, name: str, kind: str, node: Any, init: Any) -> None:
        existing = scope.bindings.get(name)
        if existing is not None:  # `var a = 1; var a = 2;` or a function redeclared
            existing.writes.append(node)
            return
        scope.bindings[name] = Binding(name, scope, kind, node, init)

    def _declare(self, node: Any, scope: Scope) -> None:
        t = node.type
        self.types[t] += 1
        if t in FUNCTIONS:
            if t == "FunctionDeclaration" and node.id is not None:
                self._bind(scope, node.id.name, "function", node, node)
            inner = self._open(node, scope, True)
            if t == "FunctionExpression" and node.id is not None:
                self._bind(inner, node.id.name, "function", node, node)
            for p in node.params:
                for name in pattern_names(p):
                    self._bind(inner, name, "param", p, None)
            for p in node.params:
                self._declare(p, inner)
            body = node.body
            if getattr(body, "type", None) == "BlockStatement":
                self.scope_of[id(body)] = inner
                for s in body.body:
                    self._declare(s, inner)
            elif body is not None:
                self._declare(body, inner)
            return
        if t == "ClassDeclaration" and node.id is not None:
            self._bind(scope, node.id.name, "class", node, None)
        elif t == "ClassExpression" and node.id is not None:
            scope = self._open(node, scope, False)
            self._bind(scope, node.id.name, "class", node, None)
        if t == "VariableDeclaration":
            target = scope.var_scope() if node.kind == "var" else scope
            for d in node.declarations:
                single = d.id.type == "Identifier"
                for name in pattern_names(d.id):
                    self._bind(target, name, node.kind, d, d.init if single else None)
        elif t in ("ImportDefaultSpecifier", "ImportNamespaceSpecifier", "ImportSpecifier"):
            self._bind(self.root, node.local.name, "import", node, None)
        elif t in _BLOCK_SCOPES:
            scope = self._open(node, scope, False)
        elif t == "StaticBlock":
            scope = self._open(node, scope, True)
        elif t == "CatchClause":
            scope = self._open(node, scope, False)
            if node.param is not None:
                for name in pattern_names(node.param):
                    self._bind(scope, name, "catch", node.param, None)
        elif t == "WithStatement":
            scope.var_scope().dynamic = True
        elif t in ("CallExpression", "NewExpression") and _runs_string(node):
            self.root.string_code = True
        for child in children(node):
            self._declare(child, scope)

    # references ---------------------------------------------------------------------------
    def _use(self, ident: Any, scope: Scope, write: bool = False) -> None:
        binding = scope.lookup(ident.name)
        self.ref[id(ident)] = binding
        if binding is None:
            self.globals.add(ident.name)
        else:
            binding.refs.append(ident)
            if write:
                binding.writes.append(ident)

    def _targets(self, pattern: Any, scope: Scope) -> None:
        """An assignment target: identifiers in it are written; defaults and keys are read."""
        t = pattern.type
        if t == "Identifier":
            self._use(pattern, scope, write=True)
        elif t == "ObjectPattern":
            for prop in pattern.properties:
                if prop.type == "RestElement":
                    self._targets(prop.argument, scope)
                else:
                    if prop.computed:
                        self._resolve(prop.key, scope)
                    self._targets(prop.value, scope)
        elif t == "ArrayPattern":
            for el in pattern.elements:
                if el is not None:
                    self._targets(el, scope)
        elif t == "AssignmentPattern":
            self._targets(pattern.left, scope)
            self._resolve(pattern.right, scope)
        elif t == "RestElement":
            self._targets(pattern.argument, scope)
        else:  # a member expression
            self._resolve(pattern, scope)

    def _resolve(self, node: Any, scope: Scope) -> None:
        scope = self.scope_of.get(id(node), scope)
        t = node.type
        if t == "Identifier":
            self._use(node, scope)
            return
        if t in FUNCTIONS:
            for p in node.params:
                self._params(p, scope)
            self._resolve(node.body, scope)
            return
        if t == "MemberExpression":
            self._resolve(node.object, scope)
            if node.computed:
                self._resolve(node.property, scope)
            return
        if t in ("Property", "MethodDefinition", "PropertyDefinition"):
            if node.computed:
                self._resolve(node.key, scope)
            if node.value is not None:
                self._resolve(node.value, scope)
            return
        if t == "VariableDeclarator":
            self._params(node.id, scope)
            if node.init is not None:
                self._resolve(node.init, scope)
            return
        if t == "AssignmentExpression":
            self._targets(node.left, scope)
            self._resolve(node.right, scope)
            return
        if t == "UpdateExpression":
            if node.argument.type == "Identifier":
                self._use(node.argument, scope, write=True)
            else:
                self._resolve(node.argument, scope)
            return
        if t in ("ForInStatement", "ForOfStatement", "ForAwaitStatement"):
            if node.left.type == "VariableDeclaration":
                for d in node.left.declarations:
                    self._params(d.id, scope, write=True)
            else:
                self._targets(node.left, scope)
            self._resolve(node.right, scope)
            self._resolve(node.body, scope)
            return
        if t in ("LabeledStatement", "BreakStatement", "ContinueStatement"):
            if t == "LabeledStatement":
                self._resolve(node.body, scope)
            return
        if t in ("CatchClause",):
            if node.param is not None:
                self._params(node.param, scope)
            self._resolve(node.body, scope)
            return
        if t in ("ClassDeclaration", "ClassExpression"):
            if node.superClass is not None:
                self._resolve(node.superClass, scope)
            self._resolve(node.body, scope)
            return
        if t in ("FunctionDeclaration",):
            return
        if t in ("MetaProperty", "ImportDeclaration", "ExportAllDeclaration"):
            return
        if t in ("ExportNamedDeclaration",):
            if node.declaration is not None:
                self._resolve(node.declaration, scope)
            return
        if t in ("CallExpression", "NewExpression"):
            self.site[id(node)] = scope
        for child in children(node):
            self._resolve(child, scope)

    def _params(self, pattern: Any, scope: Scope, write: bool = False) -> None:
        """A binding pattern: its names are declarations (not references), defaults are read."""
        t = pattern.type
        if t == "Identifier":
            if write:
                self._use(pattern, scope, write=True)
            return
        if t == "ObjectPattern":
            for prop in pattern.properties:
                if prop.type == "RestElement":
                    self._params(prop.argument, scope, write)
                else:
                    if prop.computed:
                        self._resolve(prop.key, scope)
                    self._params(prop.value, scope, write)
        elif t == "ArrayPattern":
            for el in pattern.elements:
                if el is not None:
                    self._params(el, scope, write)
        elif t == "AssignmentPattern":
            self._params(pattern.left, scope, write)
            self._resolve(pattern.right, scope)
        elif t == "RestElement":
            self._params(pattern.argument, scope, write)

    # questions ----------------------------------------------------------------------------
    def scopes(self) -> list[Scope]:
        """Every scope once (`scope_of` maps a function and its body block to the same one)."""
        return list({id(s): s for s in self.scope_of.values()}.values())

    def declared_by(self) -> dict[int, Binding]:
        """id(declaring node: declarator, function, parameter pattern) -> its binding."""
        return {id(b.node): b for scope in self.scopes() for b in scope.bindings.values()}

    def binding_of(self, ident: Any) -> Binding | None:
        return self.ref.get(id(ident))

    def is_global(self, ident: Any, name: str | None = None) -> bool:
        """A reference to a global (no declaration in the program covers it)."""
        return ident.type == "Identifier" and (name is None or ident.name == name) and \
            id(ident) in self.ref and self.ref[id(ident)] is None

    def free_bindings(self, node: Any) -> tuple[set[int], list[Binding], set[str]]:
        """What `node` uses from outside itself: (ids of scopes inside it, outside bindings in
        first-use order, global names)."""
        inner: set[int] = set()
        outside: dict[int, Binding] = {}
        globals_: set[str] = set()
        for n in walk(node):
            scope = self.scope_of.get(id(n))
            if scope is not None:
                inner.add(id(scope))
            if n.type != "Identifier" or id(n) not in self.ref:
                continue
            binding = self.ref[id(n)]
            if binding is None:
                globals_.add(n.name)
            elif id(binding.scope) not in inner:
                outside.setdefault(id(binding), binding)
        # a binding declared by `node` itself (a function's own name) is not outside
        return inner, [b for b in outside.values() if id(b.scope) not in inner], globals_

    def written_outside(self, binding: Binding, node: Any) -> bool:
        """Whether `binding` is written anywhere but inside `node` (a decoder redefining itself
        on its first call is still one function)."""
        if not binding.writes:
            return False
        inside = {id(n) for n in walk(node)}
        return any(id(w) not in inside for w in binding.writes)
