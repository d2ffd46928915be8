"""Pure built-ins on constants are evaluated: `atob('aHR0…')`, `String.fromCharCode(104, 116)`,
`'moc.elpmaxe'.split('').reverse().join('')`, `parseInt('1z', 36)`, `'a|b|c'.split('|')`,
`decodeURIComponent('%68')`, `'abc'.length`, `[3, 1, 2][1]`.

The classic ways to hide a host or a selector without any decoder of one's own. Whole
expression trees of constants and allow-listed built-ins are sent to the isolate in one batch
(V8 gives exactly the browser's answer), and each maximal one becomes its value. A value
computed from an obfuscator's string table (`atob(_0x3c2f[11])` once `constant_arrays` read
the element) is the table's (`via: string-array`), as the decoder pass marks it: the table
hides every string alike, and none of them is singled out. Constants joined without a call
(`"https://host/path" + "?q="`, both out of a table) keep the mark their pieces had.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.constant_folding import NO_VALUE, value_of
from skimscan.analyze.deobfuscate.context import Context, print_node
from skimscan.analyze.deobfuscate.decoders import as_node
from skimscan.analyze.deobfuscate.scope import ScopeIndex
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import member_key, transform, walk

TECHNIQUE = Technique.BUILTIN_CALLS
PURE_GLOBALS = frozenset({"atob", "btoa", "unescape", "escape", "decodeURIComponent",
                          "encodeURIComponent", "decodeURI", "encodeURI", "parseInt",
                          "parseFloat", "String", "Number"})
PURE_STATICS = frozenset({("String", "fromCharCode"), ("String", "fromCodePoint"),
                          ("Math", "floor"), ("Math", "abs"), ("Math", "pow"),
                          ("Math", "ceil"), ("Math", "round"), ("Math", "max"), ("Math", "min")})
PURE_METHODS = frozenset({
    "split", "join", "reverse", "charAt", "charCodeAt", "codePointAt", "substr", "substring",
    "slice", "replace", "replaceAll", "toUpperCase", "toLowerCase", "concat", "trim",
    "indexOf", "lastIndexOf", "repeat", "padStart", "padEnd", "toString", "at", "startsWith",
    "endsWith", "includes", "normalize", "trimStart", "trimEnd",
})
MAX_EXPRESSIONS = 4000


def _callee_pure(callee: Any, pure: set[int], index: ScopeIndex) -> bool:
    if callee.type == "Identifier":
        return callee.name in PURE_GLOBALS and index.is_global(callee)
    if callee.type != "MemberExpression":
        return False
    name = member_key(callee)
    if name is None:
        return False
    obj = callee.object
    if obj.type == "Identifier":
        if obj.name in ("window", "self", "globalThis") and name in PURE_GLOBALS:
            return index.is_global(obj)  # `window.atob(…)`
        return (obj.name, name) in PURE_STATICS and index.is_global(obj)
    return name in PURE_METHODS and id(obj) in pure and obj.type != "Identifier"


def run(ctx: Context) -> int:
    index = ctx.scopes()
    pure: set[int] = set()
    interesting: list[Any] = []

    def mark(node: Any) -> None:
        t = node.type
        ok = False
        if t == "Literal":
            ok = True
        elif t == "ArrayExpression":
            ok = all(e is not None and id(e) in pure for e in node.elements)
        elif t == "TemplateLiteral":
            ok = all(id(e) in pure for e in node.expressions)
        elif t in ("UnaryExpression",):
            ok = node.operator in ("-", "+", "!", "~", "typeof") and id(node.argument) in pure
        elif t == "BinaryExpression":
            ok = id(node.left) in pure and id(node.right) in pure and node.operator not in (
                "in", "instanceof")
        elif t == "MemberExpression":
            ok = id(node.object) in pure and node.object.type != "Identifier" and (
                (node.computed and id(node.property) in pure) or member_key(node) == "length")
        elif t == "CallExpression":
            ok = _callee_pure(node.callee, pure, index) and all(
                id(a) in pure for a in node.arguments)
        if ok:
            pure.add(id(node))
            if t not in ("Literal", "ArrayExpression"):
                interesting.append(node)

    transform(ctx.program, mark)
    if not interesting:
        return 0
    todo = [n for n in interesting if value_of(n) is NO_VALUE][:MAX_EXPRESSIONS]
    if not todo:
        return 0
    results = ctx.isolate.values([print_node(n) for n in todo])
    values = {id(n): r.value for n, r in zip(todo, results, strict=True) if r.ok}
    if not values:
        return 0
    count = 0

    def replace(node: Any) -> Any | None:
        nonlocal count
        if id(node) not in values:
            return None
        count += 1
        value = values[id(node)]
        made = as_node(value, node)
        inputs = list(walk(node))
        calls = any(n.type == "CallExpression" for n in inputs)
        hidden = next((n.hidden for n in inputs if getattr(n, "hidden", None)), None)
        if calls or hidden:
            table = next((n.table for n in inputs if getattr(n, "table", None)), None)
            # pieces joined without a call (`t[3] + t[7]`, a table's strings) stay hidden as
            # they were; a built-in decoding them (`atob(…)`) is the technique
            ctx.hide(made, table or (hidden if hidden and not calls else TECHNIQUE))
        return made

    ctx.program = transform(ctx.program, replace)
    ctx.changed()
    ctx.done(TECHNIQUE, count)
    return count
