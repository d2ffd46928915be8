"""Shared by passes that read a top-level binding as constant: where the script reaches its
globals through the global object, which the scope index does not see as writes.

A top-level `var` of a classic script is a property of the global object, so `window._0x3c2f
= …`, `self['_0x3c2f'].reverse()`, `window[k] = v` with `k` computed to that name, or
`window[k](s)` with `k` computed to `eval` all change it with no assignment to the name.
`reach` lists the keys the script uses on the global object — the constant ones, and the
expressions of those computed at run time, for the caller to compute or to give up on — and
whether the global object went where it could be written through unseen.

What counts as the global object: `window`, `self`, `globalThis`, `top`, `parent` and `frames`
when no declaration shadows them, their members of those names (`window.top`: the same one
in a page that is not framed) and `document.defaultView`, and `this` where it may be the global
object (below). Where one goes:

- a variable or parameter holding it (`var w = window`, an IIFE's or a declared function's
  parameter `on(window, …)`, `x = cond ? window : self`) is followed to its uses;
- handed to a call of anything else (`jQuery(window)`, `Event.observe(window, …)`) it reaches
  page code, which is the other scripts' risk the caller decides on — unless the callee is a
  property writer (`Object.assign(window, …)`, `$.extend(window, …)`, `Reflect.set`), or a key
  computed at run time that may name one (`handed`, for the caller to compute);
- `typeof`, operators and tests read it; anywhere else (stored in a property, returned, in an
  array) it could be written through unseen: `unknown`.

`this` is the global object at the top level and in a sloppy function called plainly (or as a
timer's callback), so `this` in methods (`C.prototype.m = function`, `{m: function}`, classes)
and in strict code is not taken for one. Where it may be, it (and what holds it: `var self =
this`) is checked where it is used as an object, but not followed when it is handed on or
returned (`$(this)`, `fn.apply(this, arguments)`, `return this`): that is every other handler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skimscan.analyze.deobfuscate.proxy_functions import function_of
from skimscan.analyze.deobfuscate.scope import Binding, ScopeIndex
from skimscan.analyze.deobfuscate.tree import FUNCTIONS, member_key, walk

NAMES = frozenset({"window", "self", "globalThis", "top", "parent", "frames"})
#: Methods that copy properties onto the object they are handed.
WRITERS = frozenset({"assign", "defineProperty", "defineProperties", "set", "setPrototypeOf",
                     "extend", "merge", "mixin"})
_READS = frozenset({"BinaryExpression", "ExpressionStatement", "UnaryExpression",
                    "TemplateLiteral"})


@dataclass
class Reach:
    names: set[str] = field(default_factory=set)  # constant keys: `window._0x3c2f`
    computed: list[Any] = field(default_factory=list)  # key expressions: `window[k]`
    handed: list[Any] = field(default_factory=list)  # computed callee keys: `o[k](window)`
    unknown: bool = False  # where it could be written through unseen


def is_global_object(node: Any, index: ScopeIndex, parents: dict[int, Any]) -> bool:
    t = node.type
    if t == "ThisExpression":
        return _global_this(node, parents)
    if t == "Identifier":
        return node.name in NAMES and index.is_global(node)
    if t != "MemberExpression":
        return False
    key = member_key(node)  # `window.top`, `self.parent.frames`, `document.defaultView`
    return key == "defaultView" or (key in NAMES and is_global_object(node.object, index,
                                                                       parents))


def _global_this(node: Any, parents: dict[int, Any]) -> bool:
    """Whether `this` may be the global object: at the top level, or in a sloppy function
    that is not a method (a plain call, a timer's callback)."""
    fn = parents.get(id(node))
    while fn is not None and fn.type not in ("FunctionDeclaration", "FunctionExpression"):
        if fn.type == "ClassBody":
            return False
        fn = parents.get(id(fn))
    if fn is None:
        return True
    holder = parents.get(id(fn))
    if holder is not None and (holder.type in ("Property", "MethodDefinition") or (
            holder.type == "AssignmentExpression" and holder.right is fn and
            holder.left.type == "MemberExpression")):
        return False  # `{m: function () {…}}`, `C.prototype.m = function () {…}`
    scope: Any = fn
    while scope is not None:
        if scope.type == "ClassBody" or _strict(scope):
            return False
        scope = parents.get(id(scope))
    return True


def _strict(node: Any) -> bool:
    body = node.body.body if node.type in FUNCTIONS and node.body.type == "BlockStatement" \
        else node.body if node.type == "Program" else []
    for stmt in body:
        directive = getattr(stmt, "directive", None)
        if not directive:
            return False
        if directive == "use strict":
            return True
    return False


def reach(program: Any, index: ScopeIndex, parents: dict[int, Any]) -> Reach:
    out = Reach()
    declared = index.declared_by()
    todo = [n for n in walk(program) if is_global_object(n, index, parents)]
    from_this = {id(n) for n in todo if n.type == "ThisExpression"}  # and its aliases
    seen: set[int] = set()
    while todo and not out.unknown:
        node = todo.pop()
        parent = parents.get(id(node))
        if id(node) in seen or parent is None:
            continue
        seen.add(id(node))
        if parent.type == "MemberExpression" and parent.object is node:
            key = member_key(parent)
            if not parent.computed and parent.property.type != "Identifier":
                continue  # `this.#x`: a private field is no global's
            if key is None:
                out.computed.append(parent.property)
            else:
                out.names.add(key)
            continue
        lenient = id(node) in from_this
        going = _goes(node, parent, index, declared, out, lenient)
        if going is None:
            out.unknown = not lenient
            continue
        if lenient:
            from_this.update(id(n) for n in going)
        todo.extend(going)
    return out


def _goes(node: Any, parent: Any, index: ScopeIndex, declared: dict[int, Binding], out: Reach,
          lenient: bool) -> list[Any] | None:
    """Where a global object that is not used as an object goes on to (the uses of what holds
    it), or None when it goes where it could be written through unseen."""
    t = parent.type
    if t in _READS or (t in ("IfStatement", "ConditionalExpression") and parent.test is node) \
            or (t == "MemberExpression" and parent.property is node):
        return []
    if t in ("ConditionalExpression", "LogicalExpression"):
        return [parent]  # `cond ? window : self`: the result is one too
    if t in ("CallExpression", "NewExpression") and any(a is node for a in parent.arguments):
        if lenient:
            return []
        fn = _own_function(parent.callee, index)
        if fn is not None:
            return _received(fn, parent, node, index)
        callee = parent.callee
        if callee.type == "MemberExpression" and member_key(callee) is None:
            out.handed.append(callee.property)
        elif callee.type == "MemberExpression" and member_key(callee) in WRITERS:
            return None
        return []
    if t == "VariableDeclarator" and parent.init is node:
        return _uses(declared.get(id(parent)) if parent.id.type == "Identifier" else None)
    if t == "AssignmentExpression" and parent.right is node and parent.operator == "=" and \
            parent.left.type == "Identifier":
        uses = _uses(index.binding_of(parent.left))
        return None if uses is None else [*uses, parent]  # and `a = b = window`
    return None


def _own_function(callee: Any, index: ScopeIndex) -> Any | None:
    """The callee when it is a function of the script's own: an IIFE, or a declared one."""
    if callee.type in FUNCTIONS:
        return callee
    if callee.type == "Identifier":
        return function_of(index.binding_of(callee), index)
    return None


def _received(fn: Any, call: Any, arg: Any, index: ScopeIndex) -> list[Any] | None:
    """The uses of the parameter that receives `arg` (none when no parameter does and the body
    does not read `arguments`); None when it cannot be followed (a pattern, `arguments`)."""
    at = next(i for i, a in enumerate(call.arguments) if a is arg)
    scope = index.scope_of.get(id(fn))
    if scope is None:
        return None
    if at >= len(fn.params):
        used = any(n.type == "Identifier" and n.name == "arguments" for n in walk(fn.body))
        return None if used else []
    param = fn.params[at]
    return _uses(scope.bindings.get(param.name) if param.type == "Identifier" else None)


def _uses(binding: Binding | None) -> list[Any] | None:
    if binding is None or binding.scope.is_dynamic():
        return None
    return list(binding.refs)
