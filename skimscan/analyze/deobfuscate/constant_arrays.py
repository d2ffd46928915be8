"""Constant arrays are read where they are indexed: `_0x3c2f[11]` becomes the element the
array always holds there, so `atob(_0x3c2f[11])`, `String.fromCharCode(codes[2])` and
`dec(parts[0])` reach the built-in and decoder passes with constant arguments.

Older javascript-obfuscator output and hand-written kits keep their strings in an array read
through a one-line decoder (`function _0x5e1a(i) { return atob(_0x3c2f[i]); }`). The proxy pass
inlines that decoder at every call, which leaves a built-in on an element read; the decoder
pass evaluates only calls of the script's own functions and the built-in pass only trees of
literals, so without this pass those strings stayed hidden, whatever scope held the array.

An array is read as constant only when nothing can make an element differ from its literal:

- the binding is never written (nor redeclared, nor under `with`) and holds an array literal
  of primitive literals;
- every reference reads an element or the length, or calls a method that neither changes the
  array nor hands it to a callback (`READ_METHODS`). An element written, any other method
  (`sort`, `reverse`, `splice`, `push`…), a key computed in a call (`a[m]()` may be
  `a.reverse()`), the array passed or copied anywhere: the array is left alone;
- the one exception is a rotation: a function called in place with the array whose parameter
  only pushes, shifts, unshifts and pops (`(function (a, n) { … a.push(a.shift()) … })(arr,
  0x1b3)`, as obfuscators emit it). The rotated order comes from the isolate, running the
  declaration and the rotation (and what it uses) as the page would, but without the `try`
  decoder setups get: a rotation that throws gives no order. It must be a permutation of the
  literal. Reads that may run during the rotation (in it, or in functions it uses) stay;
- the declaration and its rotations are statements of their scope's own list, preceded only by
  declarations that run nothing, so no code reads the array before it holds its value.

Arrays at the top level of a script are globals, shared with the page's other scripts and with
the global object. What was decided, and why:

- reads while the script runs (top-level code, functions called in place) are exact: no other
  script runs in between;
- reads in functions that run later (event handlers, callbacks) are read too: a skimmer kit is
  one script, obfuscators' names (`_0x3c2f`) do not collide, and a benign script reassigning
  another script's global would break that script at run time anyway — the assumption the
  decoder and constant passes already make for every top-level binding. Names shorter than
  `SHARED_NAME` are the exception: minifiers give them to every unwrapped script, two scripts
  of a page declaring `var a` is ordinary, and a later read may well see the other's;
- the script must not reach the name through the global object (see `global_object`). A
  constant key naming it (`window._0x3c2f`) leaves that array alone; a computed key that
  cannot be computed, or computes to the name or to a runner of code given as text
  (`window[k](s)` may be `eval`), the global object handed to a property writer or where it
  cannot be followed leave every top-level array alone. Keys are computed in the isolate with
  what they use, the arrays themselves and the script's decoders included
  (`window[atob(_0x3c2f[11])]`, `window[_0xdec(3)]`). That is sound by induction: the first
  key that could change an array is computed before any array changed;
- the script must not run code from strings (`scope`: `eval`, `Function`, a timer given text),
  which could assign the name where no walk sees it: its top-level bindings are not constant.

Strings read out of a table of `decoders.TABLE_MIN` strings or more are marked as a string
table's (`via: string-array`), and so are the built-ins applied to them (`builtin_calls`): as
for a decoder's table, a URL among them is not one singled out for hiding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skimscan.analyze.deobfuscate import global_object
from skimscan.analyze.deobfuscate.constant_folding import NO_VALUE, value_of
from skimscan.analyze.deobfuscate.context import Context, print_node
from skimscan.analyze.deobfuscate.decoders import TABLE_MIN
from skimscan.analyze.deobfuscate.environment import (
    ECMASCRIPT_GLOBALS,
    Environment,
    scope_body,
    uses_only,
)
from skimscan.analyze.deobfuscate.scope import Binding, Scope, ScopeIndex
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import (
    FUNCTIONS,
    clone,
    member_key,
    parents,
    transform,
    walk,
)

TECHNIQUE = Technique.CONSTANT_ARRAYS
TABLE_VIA = "string-array"
#: Methods that read an array without changing it or handing it to a callback.
READ_METHODS = frozenset({"indexOf", "lastIndexOf", "includes", "join", "slice", "concat",
                          "at", "toString"})
#: What a rotation may do with the array it is handed.
ROTATE_METHODS = frozenset({"push", "shift", "unshift", "pop"})
#: Top-level names shorter than this are read only by code that runs with the script.
SHARED_NAME = 3
#: Keys of the global object that run code given as text.
RUNNERS = frozenset({"eval", "Function", "setTimeout", "setInterval", "execScript"})
#: Globals a computed key may read (the page's are not in the isolate).
KEY_GLOBALS = ECMASCRIPT_GLOBALS - {"Date", "Math", "eval", "Function", "arguments"}
#: Scopes whose computed global-object keys one round computes; with more, no top-level array
#: is read this round (later rounds, with keys decoded by then, try again).
MAX_KEY_SCOPES = 64


@dataclass
class _Array:
    binding: Binding
    elements: list[Any]  # literal nodes, in run-time order once rotated
    reads: list[Any] = field(default_factory=list)  # `a[<constant index>]` to replace
    rotations: list[Any] = field(default_factory=list)  # their statements
    setup: set[int] = field(default_factory=set)  # nodes that may run during the rotations


def _elements(binding: Binding) -> list[Any] | None:
    init = binding.init
    if binding.kind not in ("var", "let", "const") or init is None or \
            init.type != "ArrayExpression" or not binding.constant:
        return None
    if any(e is None or value_of(e) is NO_VALUE for e in init.elements):
        return None
    return list(init.elements)


def _written(member: Any, up: dict[int, Any]) -> bool:
    """Assigned, updated, deleted, iterated into or destructured into."""
    p = up.get(id(member))
    if p is None:
        return True
    t = p.type
    if t == "AssignmentExpression" or t in ("ForInStatement", "ForOfStatement"):
        return p.left is member
    if t == "UpdateExpression" or t in ("ArrayPattern", "RestElement"):
        return True
    if t == "UnaryExpression":
        return bool(p.operator == "delete")
    if t == "AssignmentPattern":
        return p.left is member
    if t == "Property" and p.value is member:
        owner = up.get(id(p))
        return owner is None or owner.type == "ObjectPattern"
    return False


def _called(member: Any, up: dict[int, Any]) -> bool:
    p = up.get(id(member))
    return p is not None and ((p.type in ("CallExpression", "NewExpression") and
                               p.callee is member) or
                              (p.type == "TaggedTemplateExpression" and p.tag is member))


def _position(member: Any) -> int | None:
    """The constant element index of `a[i]`, or None."""
    if not member.computed:
        return None
    v = value_of(member.property)
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.isdigit() and str(int(v)) == v:
        return int(v)
    return None


def _only_rotates(ref: Any, call: Any, index: ScopeIndex, up: dict[int, Any]) -> bool:
    """`ref` is handed to a function called in place whose parameter only rotates it."""
    fn = call.callee
    if fn.type not in FUNCTIONS or call.type != "CallExpression" or \
            sum(a is ref for a in call.arguments) != 1 or \
            any(a.type == "SpreadElement" for a in call.arguments):
        return False
    at = next(i for i, a in enumerate(call.arguments) if a is ref)
    scope = index.scope_of.get(id(fn))
    if at >= len(fn.params) or fn.params[at].type != "Identifier" or scope is None:
        return False
    param = scope.bindings.get(fn.params[at].name)
    if param is None or param.kind != "param" or param.writes or scope.is_dynamic():
        return False
    for use in param.refs:
        member = up.get(id(use))
        if member is None or member.type != "MemberExpression" or member.object is not use or \
                _written(member, up):
            return False
        if _called(member, up) and member_key(member) not in ROTATE_METHODS | READ_METHODS:
            return False
    return True


def _statement(call: Any, up: dict[int, Any]) -> Any | None:
    """The statement a rotation call is, in the two forms `Environment` takes as preparing the
    array (`(function (a, n) {…})(arr, 5);` and `!function (a, n) {…}(arr, 5);`)."""
    p = up.get(id(call))
    if p is not None and p.type == "UnaryExpression" and p.operator == "!":
        p = up.get(id(p))
    return p if p is not None and p.type == "ExpressionStatement" else None


def _uses(found: _Array, index: ScopeIndex, up: dict[int, Any]) -> bool:
    """Sort every reference into reads and rotations; False when one is anything else."""
    for ref in found.binding.refs:
        p = up.get(id(ref))
        if p is None:
            return False
        if p.type == "MemberExpression" and p.object is ref:
            if _written(p, up):
                return False
            if _called(p, up):
                if member_key(p) not in READ_METHODS:
                    return False
                continue
            at = _position(p)
            if at is not None and 0 <= at < len(found.elements):
                found.reads.append(p)
            continue
        stmt = _statement(p, up) if p.type == "CallExpression" else None
        if stmt is None or not _only_rotates(ref, p, index, up):
            return False
        found.rotations.append(stmt)
    return True


def _runs_nothing(stmt: Any) -> bool:
    t = stmt.type
    if t in ("FunctionDeclaration", "EmptyStatement"):
        return True
    if t == "ExpressionStatement":
        return bool(getattr(stmt, "directive", None))
    return t == "VariableDeclaration" and all(_inert(d) for d in stmt.declarations)


def _inert(declarator: Any) -> bool:
    """A declarator whose initializer runs nothing: a constant, a function, an array of
    constants."""
    init = declarator.init
    if declarator.id.type != "Identifier":
        return False
    if init is None or init.type in FUNCTIONS:
        return True
    if init.type == "ArrayExpression":
        return all(e is not None and value_of(e) is not NO_VALUE for e in init.elements)
    return value_of(init) is not NO_VALUE


def _placed(found: _Array, up: dict[int, Any]) -> bool:
    """Declared (and rotated) in its scope's own statement list, after nothing that runs."""
    owner = found.binding.scope.node
    body = scope_body(owner)
    if body is None or (owner.type in FUNCTIONS and
                        any(p.type != "Identifier" for p in owner.params)):
        return False
    decl = up.get(id(found.binding.node))
    at = {id(s): i for i, s in enumerate(body)}
    if decl is None or id(decl) not in at:
        return False
    for d in decl.declarations:
        if d is found.binding.node:
            break
        if not _inert(d):
            return False
    rotations = {id(s) for s in found.rotations}
    if any(at.get(r, -1) <= at[id(decl)] for r in rotations):
        return False
    last = max((at[r] for r in rotations), default=at[id(decl)])
    return all(s is decl or id(s) in rotations or _runs_nothing(s) for s in body[:last + 1])


def _rotated(found: _Array, ctx: Context, index: ScopeIndex) -> bool:
    """Put the elements in the order the rotations leave them (computed in the isolate)."""
    if not found.rotations:
        return True
    binding = found.binding
    env = Environment(ctx, index, strict=True)
    if not env.need(binding):
        return False
    found.setup = env.inside()
    program = env.program(binding.scope, binding.name)
    if program is None or any(id(s) not in found.setup for s in found.rotations):
        return False
    ctx.isolate.fresh()
    if not ctx.isolate.define(f"var __skimscan_fn = {program};"):
        return False
    result = ctx.isolate.values(["__skimscan_fn()"])[0]
    if not result.ok or not isinstance(result.value, list):
        return False
    pool: dict[tuple[bool, Any], list[Any]] = {}
    for e in found.elements:
        v = value_of(e)
        pool.setdefault((isinstance(v, str), v), []).append(e)
    order: list[Any] = []
    for v in result.value:
        same = pool.get((isinstance(v, str), v))
        if not same:
            return False
        order.append(same.pop())
    if any(pool.values()):
        return False
    found.elements = order
    return True


def _deferred(node: Any, up: dict[int, Any]) -> bool:
    """Inside a function that is not called where it is written (it may run much later)."""
    p = up.get(id(node))
    while p is not None:
        if p.type in FUNCTIONS and not _called_in_place(p, up):
            return True
        p = up.get(id(p))
    return False


def _called_in_place(fn: Any, up: dict[int, Any]) -> bool:
    p = up.get(id(fn))
    if p is not None and p.type == "MemberExpression" and p.object is fn and \
            member_key(p) in ("call", "apply"):
        fn, p = p, up.get(id(p))
    return p is not None and p.type in ("CallExpression", "NewExpression") and p.callee is fn


def _reachable(ctx: Context, index: ScopeIndex, up: dict[int, Any],
               shared: dict[int, _Array]) -> set[int]:
    """Top-level arrays the script may change through the global object (see above)."""
    everything = set(shared)
    reach = global_object.reach(ctx.program, index, up)
    hit = {k for k, a in shared.items() if a.binding.name in reach.names}
    if reach.unknown or (hit and (reach.computed or reach.handed)):
        return everything  # a key may have been computed from an array already changed
    keys = _key_values(ctx, index, reach.computed)
    handed = _key_values(ctx, index, reach.handed)
    if keys is None or handed is None or \
            any(_runs_code(key, value, up) for key, value in zip(reach.computed, keys,
                                                                   strict=True)) or \
            any(value in global_object.WRITERS for value in handed):
        return everything
    return hit | {k for k, a in shared.items() if a.binding.name in keys}


def _runs_code(key: Any, value: Any, up: dict[int, Any]) -> bool:
    """`window[k]` with `k` computed to a runner of code given as text (a timer only when it
    is called with text, as `scope` judges a timer written out)."""
    if value not in RUNNERS:
        return False
    member = up.get(id(key))
    call = up.get(id(member))
    if value in ("setTimeout", "setInterval") and call is not None and \
            call.type == "CallExpression" and call.callee is member and call.arguments:
        return call.arguments[0].type in ("Literal", "TemplateLiteral", "BinaryExpression",
                                          "CallExpression")
    return True


def _key_values(ctx: Context, index: ScopeIndex, keys: list[Any]) -> list[Any] | None:
    """What key expressions compute to, each where it stands and with the definitions it uses
    (the arrays, rotated; the script's decoders), as the decoder pass computes a call; None when
    one cannot be computed (it depends on the page, a parameter, too many scopes)."""
    groups: dict[int, tuple[Scope, list[int]]] = {}
    for i, key in enumerate(keys):
        if not _plain(key, index):
            return None
        scope = _home(key, index)
        groups.setdefault(id(scope), (scope, []))[1].append(i)
    if len(groups) > MAX_KEY_SCOPES:
        return None
    out: list[Any] = [None] * len(keys)
    for scope, members in groups.values():
        env = Environment(ctx, index, strict=True)
        if not all(env.need_code(keys[i]) for i in members):
            return None
        thunks = ", ".join(f"function () {{ return {print_node(keys[i])}; }}" for i in members)
        program = env.program(scope, f"[{thunks}]")
        ctx.isolate.fresh()
        if program is None or not ctx.isolate.define(f"var __skimscan_fn = {program};"):
            return None
        results = ctx.isolate.values([f"__skimscan_fn()[{n}]()" for n in range(len(members))])
        if not all(r.ok and not isinstance(r.value, list) for r in results):
            return None
        for i, r in zip(members, results, strict=True):
            out[i] = r.value
    return out


def _plain(key: Any, index: ScopeIndex) -> bool:
    """A key the isolate computes as the page would: no `this`, and no global but pure
    built-ins (the isolate's `window` has none of the page's properties: `window[window.name]`
    would come out as `window["undefined"]`; `Date` and `Math.random` differ from run to run)."""
    return uses_only(key, index, KEY_GLOBALS) and not any(
        n.type in ("ThisExpression", "Super", "MetaProperty") for n in walk(key))


def _home(key: Any, index: ScopeIndex) -> Scope:
    """The innermost scope that declares a name the key uses (the program's when none does):
    every name of the key means the same there as where the key stands, so keys of all the
    handlers of a script that read only top-level tables are computed together."""
    _, outside, _ = index.free_bindings(key)
    return max((b.scope for b in outside), key=lambda s: len(list(s.chain())),
               default=index.root)


def _literal_arrays(index: ScopeIndex) -> list[_Array]:
    found: list[_Array] = []
    for scope in index.scopes():
        if scope.is_dynamic():
            continue
        for binding in scope.bindings.values():
            elements = _elements(binding) if binding.refs else None
            if elements is not None:
                found.append(_Array(binding, elements))
    return found


def run(ctx: Context) -> int:
    index = ctx.scopes()
    if not index.types["ArrayExpression"]:
        return 0
    arrays = _literal_arrays(index)
    if not arrays:
        return 0
    up = parents(ctx.program)
    found = [a for a in arrays if _uses(a, index, up) and a.reads and _placed(a, up) and
             not ctx.out_of_time and _rotated(a, ctx, index)]
    shared = {id(a.binding): a for a in found if a.binding.scope.parent is None}
    if shared:
        dropped = _reachable(ctx, index, up, shared)
        found = [a for a in found if id(a.binding) not in dropped]
    results: dict[int, tuple[Any, bool]] = {}
    for array in found:
        name = array.binding.name
        short_global = array.binding.scope.parent is None and len(name) < SHARED_NAME
        values = [value_of(e) for e in array.elements]
        table = len({v for v in values if isinstance(v, str)}) >= TABLE_MIN
        taken = False
        for read in array.reads:
            pos = _position(read)
            if pos is None or id(read) in array.setup or (short_global and
                                                          _deferred(read, up)):
                continue
            results[id(read)] = (array.elements[pos], table)
            taken = True
        if taken:
            ctx.spend(array.binding)
    if not results:
        return 0
    count = 0

    def replace(node: Any) -> Any | None:
        nonlocal count
        if node.type != "MemberExpression" or id(node) not in results:
            return None
        element, table = results[id(node)]
        made = clone(element)
        made.loc, made.range = node.loc, getattr(node, "range", None)
        count += 1
        if table:  # `builtin_calls` marks what it computes from `made` as the table's too
            made.table = TABLE_VIA
            ctx.hide(made, TABLE_VIA)
        return made

    ctx.program = transform(ctx.program, replace)
    ctx.changed()
    ctx.done(TECHNIQUE, count)
    return count
