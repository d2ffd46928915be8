"""STAGE 3 (analyze) — print an ESTree back as JavaScript, one statement per line.

One printer serves two readers:
- the deobfuscator (`rename=False`): the rewritten program as readable JavaScript that is parsed
  again for analysis and shown by `skimscan deobfuscate`; `origins` maps every printed line to
  the place in the original source its statement came from, so findings point into the code the
  browser ran;
- script identity (`rename=True`, used by `inventory.normalize`): every declared binding gets a
  positional name so minifier renames vanish from hashes and diffs.

Both apply the same canonical rewrites minifiers make without changing behaviour (`!0`→`true`,
`void 0`→`undefined`, `a&&b()`→`if (a) b()`, `a(),b()`→two statements, `var a,b`→two
declarations, `x["y"]`→`x.y`, single-statement blocks). Pure: no I/O, nothing is run.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from skimscan.analyze.estree import Node, fields
from skimscan.analyze.visitor import pattern_names

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_KEYWORDS = frozenset({
    "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do",
    "else", "export", "extends", "finally", "for", "function", "if", "import", "in", "instanceof",
    "new", "return", "super", "switch", "this", "throw", "try", "typeof", "var", "void", "while",
    "with", "yield", "let", "static", "enum", "await", "implements", "package", "protected",
    "interface", "private", "public", "null", "true", "false",
})

# --- scopes ----------------------------------------------------------------------------------


class _Scope:
    """Bindings declared in one scope. Positional names are handed out in the order the printer
    first meets each binding, so the numbering follows the printed (canonical) text."""

    __slots__ = ("bindings", "function", "names", "parent")

    def __init__(self, parent: _Scope | None, function: bool) -> None:
        self.parent = parent
        self.function = function
        self.bindings: set[str] = set()
        self.names: dict[str, str] = {}

    def declare(self, name: str) -> None:
        self.bindings.add(name)

    def var_scope(self) -> _Scope:
        scope: _Scope = self
        while not scope.function and scope.parent is not None:
            scope = scope.parent
        return scope

    def depth(self) -> int:
        """Scopes with bindings from the root to here: unique along any chain of visible scopes."""
        n = 0
        scope: _Scope | None = self
        while scope is not None:
            n += 1 if scope.bindings else 0
            scope = scope.parent
        return n

    def resolve(self, name: str) -> str | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                found = scope.names.get(name)
                if found is None:
                    found = scope.names[name] = f"v{scope.depth()}_{len(scope.names)}"
                return found
            scope = scope.parent
        return None


_FUNCTIONS = frozenset({"FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"})
_SKIP = frozenset({"type", "loc", "_lines", "_span", "range", "raw", "regex", "errors", "tokens",
                   "comments", "sourceType", "directive"})


def _children(node: Any) -> Iterator[Any]:
    for key, value in fields(node):
        if key in _SKIP:
            continue
        if isinstance(value, list):
            yield from (v for v in value if _is_node(v))
        elif _is_node(value):
            yield value


def _is_node(value: Any) -> bool:
    return isinstance(value, (Node, _N))


def _block_declares(body: Sequence[Any]) -> bool:
    return any(
        (s.type == "VariableDeclaration" and s.kind != "var")
        or s.type in ("ClassDeclaration", "FunctionDeclaration")
        for s in body if s is not None
    )


class _Scopes:
    """Pass 1: which scope each scope-bearing node opens, with its declarations."""

    def __init__(self, tree: Any) -> None:
        self.of: dict[int, _Scope] = {}
        self.root = _Scope(None, True)
        self.of[id(tree)] = self.root
        for child in tree.body:
            self._visit(child, self.root)

    def _open(self, node: Any, parent: _Scope, function: bool) -> _Scope:
        scope = _Scope(parent, function)
        self.of[id(node)] = scope
        return scope

    def _visit(self, node: Any, scope: _Scope) -> None:
        t = node.type
        if t in _FUNCTIONS:
            if t == "FunctionDeclaration" and node.id is not None:
                scope.declare(node.id.name)
            inner = self._open(node, scope, True)
            if t == "FunctionExpression" and node.id is not None:
                inner.declare(node.id.name)
            for p in node.params:
                for name in pattern_names(p):
                    inner.declare(name)
            for p in node.params:
                self._visit(p, inner)
            body = node.body
            if getattr(body, "type", None) == "BlockStatement":
                self.of[id(body)] = inner  # the body shares the function's scope
                for s in body.body:
                    self._visit(s, inner)
            elif body is not None:
                self._visit(body, inner)
            return
        if t == "ClassDeclaration" and node.id is not None:
            scope.declare(node.id.name)
        if t == "ClassExpression" and node.id is not None:
            scope = self._open(node, scope, False)
            scope.declare(node.id.name)
        if t == "VariableDeclaration":
            target = scope.var_scope() if node.kind == "var" else scope
            for d in node.declarations:
                for name in pattern_names(d.id):
                    target.declare(name)
        elif t in ("ImportDefaultSpecifier", "ImportNamespaceSpecifier", "ImportSpecifier"):
            self.root.declare(node.local.name)
        elif t in ("BlockStatement", "SwitchStatement", "ForStatement", "ForInStatement",
                   "ForOfStatement", "ForAwaitStatement"):
            scope = self._open(node, scope, False)
        elif t == "StaticBlock":
            scope = self._open(node, scope, True)
        elif t == "CatchClause":
            scope = self._open(node, scope, False)
            if node.param is not None:
                for name in pattern_names(node.param):
                    scope.declare(name)
        for child in _children(node):
            self._visit(child, scope)


# --- printing --------------------------------------------------------------------------------


class _N:
    """A synthesised node (canonical rewrites), shaped like esprima's."""

    def __init__(self, type: str, **fields: Any) -> None:
        self.type = type
        self.__dict__.update(fields)


#: Operands of these types are wrapped in parentheses (precedence never has to be guessed).
_COMPOUND = frozenset({
    "BinaryExpression", "LogicalExpression", "AssignmentExpression", "ConditionalExpression",
    "SequenceExpression", "ArrowFunctionExpression", "FunctionExpression", "ClassExpression",
    "YieldExpression", "AwaitExpression", "UnaryExpression", "UpdateExpression",
    "ObjectExpression", "NewExpression",
})
_LOOPS = frozenset({"ForStatement", "ForInStatement", "ForOfStatement", "ForAwaitStatement",
                    "WhileStatement", "DoWhileStatement"})


_EMPTY = _N("Program", body=[])


class Printer:
    """Pass 2: prints the tree with renamed bindings, one statement per line."""

    def __init__(self, tree: Any, *, rename: bool) -> None:
        self.tree = tree
        self.rename = rename
        #: per printed line, the (line, column) of the original statement it prints
        self.origins: list[tuple[int, int] | None] = []
        self.origin: tuple[int, int] | None = None
        # Scopes only serve renaming: printing names as they are needs no scope walk.
        self.scopes = _Scopes(tree) if rename else _Scopes(_EMPTY)
        self.scope = self.scopes.root
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.indent = 0
        self.line_indent = 0
        self.labels: dict[str, str] = {}
        #: per enclosing class: its private names (declared) and their positional names
        self.privates: list[tuple[set[str], dict[str, str]]] = []

    # writer
    def w(self, text: str) -> None:
        if not self.cur:
            self.line_indent = self.indent
        self.cur.append(text)

    def nl(self) -> None:
        if self.cur:
            self.lines.append("  " * self.line_indent + "".join(self.cur))
            self.origins.append(self.origin)
            self.cur = []

    def program(self) -> str:
        for stmt in self.lower(self.tree.body):
            self.nl()
            self.stmt(stmt)
        self.nl()
        return "\n".join(self.lines)

    def enter(self, node: Any) -> _Scope:
        old = self.scope
        self.scope = self.scopes.of.get(id(node), old)
        return old

    # canonical statement lists
    def lower(self, stmts: Iterable[Any]) -> list[Any]:
        out: list[Any] = []
        for s in stmts:
            if s is not None:
                out.extend(self._lower_one(s))
        return out

    def _lower_one(self, s: Any) -> list[Any]:
        t = s.type
        if t == "EmptyStatement":
            return []
        if t == "BlockStatement" and not _block_declares(s.body):
            return self.lower(s.body)
        if t == "VariableDeclaration" and len(s.declarations) > 1:
            return [_N("VariableDeclaration", kind=s.kind, declarations=[d])
                    for d in s.declarations]
        if t == "ReturnStatement" and getattr(s.argument, "type", None) == "SequenceExpression":
            *first, last = s.argument.expressions
            return [*self.lower(_N("ExpressionStatement", expression=e) for e in first),
                    _N("ReturnStatement", argument=last)]
        if t == "ForStatement" and s.init is not None and (
                s.init.type != "VariableDeclaration"
                or (s.init.kind == "var" and len(s.init.declarations) > 1)):
            # Minifiers fold the statements before a loop into its head (`var a=0;for(var i=0`
            # → `for(var a=0,i=0`); unfold: everything but the loop's own `var` goes before it.
            init = s.init
            if init.type == "VariableDeclaration":
                *before, own = init.declarations
                return [*(_N("VariableDeclaration", kind="var", declarations=[d])
                          for d in before),
                        _N("ForStatement", test=s.test, update=s.update, body=s.body,
                           init=_N("VariableDeclaration", kind="var", declarations=[own]))]
            return [*self._lower_one(_N("ExpressionStatement", expression=init)),
                    _N("ForStatement", init=None, test=s.test, update=s.update, body=s.body)]
        if t == "IfStatement" and s.test.type == "SequenceExpression":
            *first, last = s.test.expressions
            return [*self.lower(_N("ExpressionStatement", expression=e) for e in first),
                    *self._lower_one(_N("IfStatement", test=last, consequent=s.consequent,
                                        alternate=s.alternate))]
        if t != "ExpressionStatement" or getattr(s, "directive", None):
            return [s]
        e = s.expression
        if e.type == "SequenceExpression":
            return self.lower(_N("ExpressionStatement", expression=x) for x in e.expressions)
        if e.type == "UnaryExpression" and e.operator in ("!", "void") and not _literal(e):
            return self.lower([_N("ExpressionStatement", expression=e.argument)])
        if e.type == "LogicalExpression" and e.operator in ("&&", "||"):
            test = e.left if e.operator == "&&" else _N(
                "UnaryExpression", operator="!", argument=e.left, prefix=True)
            return self._lower_one(_N(
                "IfStatement", test=test,
                consequent=_N("ExpressionStatement", expression=e.right), alternate=None))
        if e.type == "ConditionalExpression":
            return self._lower_one(_N(
                "IfStatement", test=e.test,
                consequent=_N("ExpressionStatement", expression=e.consequent),
                alternate=_N("ExpressionStatement", expression=e.alternate)))
        return [s]

    def body(self, node: Any) -> None:
        """A statement body (if/loop/function) as a block with its canonical statements."""
        old = self.enter(node) if node.type == "BlockStatement" else self.scope
        stmts = self.lower(node.body if node.type == "BlockStatement" else [node])
        self.block(stmts)
        self.scope = old

    def block(self, stmts: Sequence[Any]) -> None:
        if not stmts:
            self.w("{}")
            return
        self.w("{")
        self.indent += 1
        for s in stmts:
            self.nl()
            self.stmt(s)
        self.indent -= 1
        self.nl()
        self.w("}")

    # statements
    def stmt(self, s: Any) -> None:
        loc = getattr(s, "loc", None)
        if loc is not None:
            self.origin = (loc.start.line, loc.start.column)
        handler: Callable[[Any], None] | None = getattr(self, "s_" + s.type, None)
        if handler is None:
            if s.type.endswith(("Expression", "Literal", "Identifier")):
                self.expr(s)
                self.w(";")
            else:
                self.generic(s)
            return
        handler(s)

    def s_ExpressionStatement(self, s: Any) -> None:
        if getattr(s, "directive", None):
            self.w(json.dumps(s.directive) + ";")
            return
        e = s.expression
        wrap = e.type in ("ObjectExpression", "FunctionExpression", "ClassExpression") or (
            e.type == "AssignmentExpression" and e.left.type == "ObjectPattern")
        self.sub(s.expression, wrap)
        self.w(";")

    def s_BlockStatement(self, s: Any) -> None:
        old = self.enter(s)
        self.block(self.lower(s.body))
        self.scope = old

    def s_StaticBlock(self, s: Any) -> None:
        self.w("static ")
        self.s_BlockStatement(s)

    def s_VariableDeclaration(self, s: Any, semi: bool = True) -> None:
        self.w(s.kind + " ")
        for i, d in enumerate(s.declarations):
            if i:
                self.w(", ")
            self.pattern(d.id)
            if d.init is not None:
                self.w(" = ")
                self.sub(d.init, d.init.type == "SequenceExpression")
        if semi:
            self.w(";")

    def s_FunctionDeclaration(self, s: Any) -> None:
        self.function(s)

    def s_ClassDeclaration(self, s: Any) -> None:
        self.klass(s)

    def s_ReturnStatement(self, s: Any) -> None:
        self.w("return")
        if s.argument is not None:
            self.w(" ")
            self.expr(s.argument)
        self.w(";")

    def s_ThrowStatement(self, s: Any) -> None:
        self.w("throw ")
        self.expr(s.argument)
        self.w(";")

    def s_IfStatement(self, s: Any) -> None:
        self.w("if (")
        self.expr(s.test)
        self.w(") ")
        self.body(s.consequent)
        alt = s.alternate
        if alt is not None:
            lowered = self.lower([alt]) if alt.type != "BlockStatement" else None
            if lowered is not None and len(lowered) == 1 and lowered[0].type == "IfStatement":
                self.w(" else ")
                self.s_IfStatement(lowered[0])
            elif lowered == []:
                return
            else:
                self.w(" else ")
                self.body(alt)

    def s_ForStatement(self, s: Any) -> None:
        old = self.enter(s)
        self.w("for (")
        if s.init is not None:
            if s.init.type == "VariableDeclaration":
                self.s_VariableDeclaration(s.init, semi=False)
            else:
                self.expr(s.init)
        self.w("; ")
        if s.test is not None:
            self.expr(s.test)
        self.w("; ")
        if s.update is not None:
            self.expr(s.update)
        self.w(") ")
        self.body(s.body)
        self.scope = old

    def s_ForInStatement(self, s: Any) -> None:
        self._for_each(s, "in")

    def s_ForOfStatement(self, s: Any) -> None:
        self._for_each(s, "of")

    def s_ForAwaitStatement(self, s: Any) -> None:
        """`for await (x of y)`: esprima names it apart from ForOfStatement."""
        self._for_each(s, "of", waits=True)

    def _for_each(self, s: Any, word: str, waits: bool = False) -> None:
        old = self.enter(s)
        self.w("for await (" if waits or getattr(s, "await", False) else "for (")
        if s.left.type == "VariableDeclaration":
            self.s_VariableDeclaration(s.left, semi=False)
        else:
            self.pattern(s.left)
        self.w(f" {word} ")
        self.expr(s.right)
        self.w(") ")
        self.body(s.body)
        self.scope = old

    def s_WhileStatement(self, s: Any) -> None:
        self.w("while (")
        self.expr(s.test)
        self.w(") ")
        self.body(s.body)

    def s_DoWhileStatement(self, s: Any) -> None:
        self.w("do ")
        self.body(s.body)
        self.w(" while (")
        self.expr(s.test)
        self.w(");")

    def s_BreakStatement(self, s: Any) -> None:
        self.w("break" + (" " + self.label(s.label.name) if s.label else "") + ";")

    def s_ContinueStatement(self, s: Any) -> None:
        self.w("continue" + (" " + self.label(s.label.name) if s.label else "") + ";")

    def s_LabeledStatement(self, s: Any) -> None:
        self.w(self.label(s.label.name) + ": ")
        self.stmt(s.body)

    def label(self, name: str) -> str:
        if not self.rename:
            return name
        return self.labels.setdefault(name, f"L{len(self.labels)}")

    def s_SwitchStatement(self, s: Any) -> None:
        self.w("switch (")
        self.expr(s.discriminant)
        self.w(") {")
        old = self.enter(s)
        self.indent += 1
        for case in s.cases:
            self.nl()
            if case.test is None:
                self.w("default:")
            else:
                self.w("case ")
                self.expr(case.test)
                self.w(":")
            self.indent += 1
            for c in self.lower(case.consequent):
                self.nl()
                self.stmt(c)
            self.indent -= 1
        self.indent -= 1
        self.scope = old
        self.nl()
        self.w("}")

    def s_TryStatement(self, s: Any) -> None:
        self.w("try ")
        self.s_BlockStatement(s.block)
        if s.handler is not None:
            old = self.enter(s.handler)
            self.w(" catch ")
            if s.handler.param is not None:
                self.w("(")
                self.pattern(s.handler.param)
                self.w(") ")
            self.s_BlockStatement(s.handler.body)
            self.scope = old
        if s.finalizer is not None:
            self.w(" finally ")
            self.s_BlockStatement(s.finalizer)

    def s_WithStatement(self, s: Any) -> None:
        self.w("with (")
        self.expr(s.object)
        self.w(") ")
        self.body(s.body)

    def s_DebuggerStatement(self, s: Any) -> None:
        self.w("debugger;")

    def s_EmptyStatement(self, s: Any) -> None:
        self.w(";")

    def s_ImportDeclaration(self, s: Any) -> None:
        self.w("import ")
        for i, spec in enumerate(s.specifiers):
            self.w(", " if i else "")
            local = self.name(spec.local.name)
            if spec.type == "ImportDefaultSpecifier":
                self.w(local)
            elif spec.type == "ImportNamespaceSpecifier":
                self.w(f"* as {local}")
            else:
                self.w(f"{{{self.key_text(spec.imported)} as {local}}}")
        self.w((" from " if s.specifiers else "") + self.literal_text(s.source) + ";")

    def s_ExportNamedDeclaration(self, s: Any) -> None:
        self.w("export ")
        if s.declaration is not None:
            self.stmt(s.declaration)
            return
        self.w("{")
        for i, spec in enumerate(s.specifiers):
            self.w(", " if i else "")
            local = self.name(spec.local.name) if s.source is None else self.key_text(spec.local)
            self.w(f"{local} as {self.key_text(spec.exported)}")
        self.w("}")
        if s.source is not None:
            self.w(" from " + self.literal_text(s.source))
        self.w(";")

    def s_ExportDefaultDeclaration(self, s: Any) -> None:
        self.w("export default ")
        d = s.declaration
        if d.type in ("FunctionDeclaration", "ClassDeclaration"):
            self.stmt(d)
        else:
            self.expr(d)
            self.w(";")

    def s_ExportAllDeclaration(self, s: Any) -> None:
        exported = getattr(s, "exported", None)
        self.w("export *" + (f" as {self.key_text(exported)}" if exported else "") + " from "
               + self.literal_text(s.source) + ";")

    # functions and classes
    def function(self, f: Any, method_key: Any = None, computed: bool = False) -> None:
        declared = None  # a declaration's name belongs to the enclosing scope
        if f.type == "FunctionDeclaration" and f.id is not None:
            declared = self.name(f.id.name)
        old = self.enter(f)
        if getattr(f, "isAsync", False):
            self.w("async ")
        if method_key is not None:  # method syntax: `key(params) {…}`
            self.w("*" if f.generator else "")
            self.scope, inner = old, self.scope  # a computed key is evaluated outside
            self.prop_key(method_key, computed)
            self.scope = inner
        elif f.type != "ArrowFunctionExpression":
            self.w("function* " if f.generator else "function ")
            if f.id is not None:
                self.w(declared or self.name(f.id.name))
        self.params(f.params)
        self.w(" => " if f.type == "ArrowFunctionExpression" and method_key is None else " ")
        if f.body.type == "BlockStatement":
            self.block(self.lower(f.body.body))
        else:  # `x => e` and `x => { return e; }` print alike
            self.block(self.lower([_N("ReturnStatement", argument=f.body)]))
        self.scope = old

    def params(self, params: Sequence[Any]) -> None:
        self.w("(")
        for i, p in enumerate(params):
            self.w(", " if i else "")
            self.pattern(p)
        self.w(")")

    def private(self, name: str) -> str:
        name = name if name.startswith("#") else "#" + name
        if not self.rename:
            return name
        for depth in range(len(self.privates) - 1, -1, -1):
            declared, names = self.privates[depth]
            if name in declared:
                return names.setdefault(name, f"#p{depth}_{len(names)}")
        return name

    def klass(self, c: Any) -> None:
        declared = {m.key.name if m.key.name.startswith("#") else "#" + m.key.name
                    for m in c.body.body if getattr(getattr(m, "key", None), "type", None)
                    == "PrivateIdentifier"}
        self.privates.append((declared, {}))
        try:
            self._klass(c)
        finally:
            self.privates.pop()

    def _klass(self, c: Any) -> None:
        old = self.enter(c)
        self.w("class")
        if c.id is not None:
            self.w(" " + self.name(c.id.name))
        if c.superClass is not None:
            self.w(" extends ")
            self.sub(c.superClass)
        self.w(" ")
        members = list(c.body.body)
        if not members:
            self.w("{}")
        else:
            self.w("{")
            self.indent += 1
            for m in members:
                self.nl()
                self.member(m)
            self.indent -= 1
            self.nl()
            self.w("}")
        self.scope = old

    def member(self, m: Any) -> None:
        if m.type == "StaticBlock":
            self.s_StaticBlock(m)
            return
        if getattr(m, "static", False):
            self.w("static ")
        kind = getattr(m, "kind", "")
        if m.type == "MethodDefinition" and kind in ("get", "set"):
            self.w(kind + " ")
        if m.type == "MethodDefinition":
            self.function(m.value, method_key=m.key, computed=m.computed)
            return
        self.prop_key(m.key, m.computed)
        if m.value is not None:
            self.w(" = ")
            self.expr(m.value)
        self.w(";")

    # patterns
    def pattern(self, p: Any) -> None:
        t = p.type
        if t == "Identifier":
            self.w(self.name(p.name))
        elif t == "ObjectPattern":
            self.w("{")
            for i, prop in enumerate(p.properties):
                self.w(", " if i else "")
                if prop.type == "RestElement":
                    self.w("...")
                    self.pattern(prop.argument)
                else:
                    self.prop_key(prop.key, prop.computed)
                    self.w(": ")
                    self.pattern(prop.value)
            self.w("}")
        elif t == "ArrayPattern":
            self.w("[")
            for i, e in enumerate(p.elements):
                self.w(", " if i else "")
                if e is not None:
                    self.pattern(e)
            self.w("]")
        elif t == "RestElement":
            self.w("...")
            self.pattern(p.argument)
        elif t == "AssignmentPattern":
            self.pattern(p.left)
            self.w(" = ")
            self.expr(p.right)
        else:
            self.expr(p)

    # expressions
    def name(self, name: str) -> str:
        if not self.rename:
            return name
        return self.scope.resolve(name) or name

    def sub(self, e: Any, wrap: bool | None = None) -> None:
        if wrap is None:
            wrap = e.type in _COMPOUND and not _literal(e)
        if wrap:
            self.w("(")
            self.expr(e)
            self.w(")")
        else:
            self.expr(e)

    def expr(self, e: Any) -> None:
        if e is None:
            return
        canon = _literal(e)
        if canon is not None:
            self.w(canon)
            return
        handler: Callable[[Any], None] | None = getattr(self, "e_" + e.type, None)
        if handler is None:
            self.generic(e)
        else:
            handler(e)

    def e_Identifier(self, e: Any) -> None:
        self.w(self.name(e.name))

    def e_PrivateIdentifier(self, e: Any) -> None:
        self.w(self.private(str(e.name)))

    def e_Literal(self, e: Any) -> None:
        self.w(self.literal_text(e))

    def literal_text(self, e: Any) -> str:
        regex = getattr(e, "regex", None)
        if regex is not None:
            return f"/{regex.pattern}/{regex.flags}"
        value = e.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        raw = str(getattr(e, "raw", ""))
        if isinstance(value, int | float):
            return f"{int(value)}n" if raw.endswith("n") else _number(value)
        if isinstance(value, str):
            return _js_string(value)
        return str(getattr(e, "raw", value))

    def e_ThisExpression(self, e: Any) -> None:
        self.w("this")

    def e_Super(self, e: Any) -> None:
        self.w("super")

    def e_Import(self, e: Any) -> None:
        self.w("import")

    def e_ImportExpression(self, e: Any) -> None:
        self.w("import(")
        self.expr(e.source)
        self.w(")")

    def e_MetaProperty(self, e: Any) -> None:
        self.w(f"{e.meta.name}.{e.property.name}")

    def e_ArrayExpression(self, e: Any) -> None:
        self.w("[")
        for i, x in enumerate(e.elements):
            self.w(", " if i else "")
            if x is not None:
                self.sub(x, x.type == "SequenceExpression")
        self.w("]")

    def e_ObjectExpression(self, e: Any) -> None:
        if not e.properties:
            self.w("{}")
            return
        self.w("{")
        for i, p in enumerate(e.properties):
            self.w(", " if i else "")
            if p.type == "SpreadElement":
                self.w("...")
                self.sub(p.argument)
                continue
            if p.kind in ("get", "set") or getattr(p, "method", False):
                self.w(p.kind + " " if p.kind in ("get", "set") else "")
                self.function(p.value, method_key=p.key, computed=p.computed)
                continue
            self.prop_key(p.key, p.computed)
            self.w(": ")
            self.sub(p.value, p.value.type == "SequenceExpression")
        self.w("}")

    def prop_key(self, key: Any, computed: bool) -> None:
        if computed:
            self.w("[")
            self.expr(key)
            self.w("]")
        else:
            self.w(self.key_text(key))

    def key_text(self, key: Any) -> str:
        if key.type in ("Identifier",):
            return str(key.name)
        if key.type == "PrivateIdentifier":
            return self.private(str(key.name))
        value = key.value
        text = _number(value) if isinstance(value, int | float) and not isinstance(
            value, bool) else str(value)
        return text if _IDENT.match(text) and text not in _KEYWORDS else _js_string(text)

    def e_FunctionExpression(self, e: Any) -> None:
        self.function(e)

    def e_ArrowFunctionExpression(self, e: Any) -> None:
        self.function(e)

    def e_ClassExpression(self, e: Any) -> None:
        self.klass(e)

    def e_TemplateLiteral(self, e: Any, tagged: bool = False) -> None:
        if not tagged and not e.expressions and len(e.quasis) == 1 and \
                isinstance(e.quasis[0].value.cooked, str):
            self.w(_js_string(e.quasis[0].value.cooked))  # `abc` and "abc" are one string
            return
        self.w("`")
        for i, q in enumerate(e.quasis):
            self.w(q.value.raw)
            if i < len(e.expressions):
                self.w("${")
                self.expr(e.expressions[i])
                self.w("}")
        self.w("`")

    def e_TaggedTemplateExpression(self, e: Any) -> None:
        self.sub(e.tag)
        self.e_TemplateLiteral(e.quasi, tagged=True)

    def e_UnaryExpression(self, e: Any) -> None:
        op = e.operator
        self.w(op + (" " if op.isalpha() else ""))
        arg = e.argument
        self.sub(arg, arg.type in _COMPOUND and not (op == "!" and arg.type == "UnaryExpression"
                                                     and arg.operator == "!"))

    def e_UpdateExpression(self, e: Any) -> None:
        if e.prefix:
            self.w(e.operator)
            self.sub(e.argument)
        else:
            self.sub(e.argument)
            self.w(e.operator)

    def e_BinaryExpression(self, e: Any) -> None:
        left, op, right = e.left, e.operator, e.right
        if op in ("==", "!=", "===", "!==") and _constant(left) and not _constant(right):
            left, right = right, left
        if op in ("===", "!==") and (_is_typeof(left) or _is_typeof(right)):
            op = op[:-1]
        self.sub(left)
        self.w(f" {op} ")
        self.sub(right)

    e_LogicalExpression = e_BinaryExpression

    def e_AssignmentExpression(self, e: Any) -> None:
        self.pattern(e.left)
        self.w(f" {e.operator} ")
        self.sub(e.right, e.right.type == "SequenceExpression")

    def e_ConditionalExpression(self, e: Any) -> None:
        self.sub(e.test)
        self.w(" ? ")
        self.sub(e.consequent)
        self.w(" : ")
        self.sub(e.alternate)

    def e_SequenceExpression(self, e: Any) -> None:
        for i, x in enumerate(e.expressions):
            self.w(", " if i else "")
            self.sub(x)

    def e_CallExpression(self, e: Any) -> None:
        self.sub(e.callee)
        self.w("?.(" if getattr(e, "optional", False) else "(")
        self.args(e.arguments)
        self.w(")")

    def e_NewExpression(self, e: Any) -> None:
        self.w("new ")
        self.sub(e.callee, e.callee.type in _COMPOUND or e.callee.type == "CallExpression")
        self.w("(")
        self.args(e.arguments)
        self.w(")")

    def args(self, args: Sequence[Any]) -> None:
        for i, a in enumerate(args):
            self.w(", " if i else "")
            self.sub(a, a.type == "SequenceExpression")

    def e_SpreadElement(self, e: Any) -> None:
        self.w("...")
        self.sub(e.argument)

    def e_MemberExpression(self, e: Any) -> None:
        self.sub(e.object, e.object.type in _COMPOUND or (
            e.object.type == "Literal" and isinstance(e.object.value, int | float)))
        optional = getattr(e, "optional", False)
        prop = e.property
        if e.computed and prop.type == "Literal" and isinstance(prop.value, str) and \
                _IDENT.match(prop.value):
            self.w(("?." if optional else ".") + prop.value)
        elif e.computed:
            self.w("?.[" if optional else "[")
            self.expr(prop)
            self.w("]")
        else:
            name = prop.name if prop.type == "Identifier" else self.key_text(prop)
            self.w(("?." if optional else ".") + name)

    def e_ChainExpression(self, e: Any) -> None:
        self.expr(e.expression)

    def e_YieldExpression(self, e: Any) -> None:
        self.w("yield* " if e.delegate else "yield")
        if e.argument is not None:
            self.w("" if e.delegate else " ")
            self.sub(e.argument)

    def e_AwaitExpression(self, e: Any) -> None:
        self.w("await ")
        self.sub(e.argument)

    def e_ObjectPattern(self, e: Any) -> None:
        self.pattern(e)

    e_ArrayPattern = e_ObjectPattern
    e_AssignmentPattern = e_ObjectPattern
    e_RestElement = e_ObjectPattern

    def generic(self, node: Any) -> None:
        """Any node type without its own printer: its type and fields, children recursively."""
        old = self.enter(node)
        self.w(node.type + "(")
        first = True
        for key, value in sorted(fields(node)):
            if key in _SKIP or key == "type":
                continue
            self.w("" if first else ", ")
            first = False
            self.w(key + "=")
            if isinstance(value, list):
                self.w("[")
                for i, v in enumerate(value):
                    self.w(", " if i else "")
                    self._generic_value(v)
                self.w("]")
            else:
                self._generic_value(value)
        self.w(")")
        self.scope = old

    def _generic_value(self, value: Any) -> None:
        if _is_node(value):
            if value.type.endswith(("Statement", "Declaration")):
                self.block([value])
            else:
                self.expr(value)
        else:
            self.w(json.dumps(value, default=str))


def _literal(e: Any) -> str | None:
    """Canonical text of constant idioms: `!0`, `!1`, `void 0`."""
    if getattr(e, "type", None) != "UnaryExpression":
        return None
    arg = e.argument
    if arg.type != "Literal" or getattr(arg, "regex", None) is not None:
        return None
    if e.operator == "!" and arg.value in (0, 1) and not isinstance(arg.value, bool):
        return "false" if arg.value else "true"
    if e.operator == "void" and arg.value == 0 and not isinstance(arg.value, bool):
        return "undefined"
    return None


_LINE_BREAKING = re.compile("[\u2028\u2029\x85]")


def _js_string(value: str) -> str:
    """A double-quoted JS string; characters that `str.splitlines` breaks on are escaped."""
    return _LINE_BREAKING.sub(lambda m: f"\\u{ord(m.group(0)):04x}",
                              json.dumps(value, ensure_ascii=False))


def _constant(e: Any) -> bool:
    t = getattr(e, "type", None)
    return ((t == "Literal" and getattr(e, "regex", None) is None) or _literal(e) is not None
            or (t == "TemplateLiteral" and not e.expressions))


def _is_typeof(e: Any) -> bool:
    return getattr(e, "type", None) == "UnaryExpression" and e.operator == "typeof"


def _number(value: float) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) <= 2**53:
            return str(int(value))
        return repr(value)
    return str(value) if abs(value) <= 2**53 else repr(float(value))
