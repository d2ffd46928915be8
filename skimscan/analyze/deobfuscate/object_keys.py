"""Objects built key by key go back to one literal (`var o = {}; o['a'] = 1; o.b = f;` →
`var o = {a: 1, b: f};`, also when the literal already has keys).

`transformObjectKeys` and hand-written kits assemble configuration objects (drop URL, field
selectors) one assignment at a time so that no object literal shows them together; the
proxy-object pass and the facts walk need the literal back. Only assignments that directly
follow the literal (function declarations between them are hoisted and do not count),
with keys known and values that do not mention the object, move.

The literal then takes the place of the name it was built under when that name only hands it
on (`var _0x1f = {…}; var cfg = _0x1f;` → `var cfg = {…};`, what `transformObjectKeys` leaves):
the temporary is never written and read exactly once, by the next statement (hoisted function
declarations between them aside), so nothing else could see the object before the move. (The
same temporary in a call's argument, `Object.defineProperty(p, 'value', _0x2e)`, stays: the
facts walk reads an object literal through a name that holds it.)
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.context import Context
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import (
    N,
    member_key,
    property_key,
    statement_lists,
    touched,
    walk,
)

TECHNIQUE = Technique.OBJECT_KEYS


def _object_literal(stmt: Any) -> tuple[str, Any] | None:
    """`var o = {…}` / `o = {…}` as the last thing a statement does: (name, the literal)."""
    found: tuple[str, Any] | None = None
    if stmt.type == "VariableDeclaration":
        d = stmt.declarations[-1]
        if d.id.type == "Identifier" and d.init is not None:
            found = d.id.name, d.init
    elif stmt.type == "ExpressionStatement":
        e = stmt.expression
        if e.type == "AssignmentExpression" and e.operator == "=" and e.left.type == "Identifier":
            found = e.left.name, e.right
    if found is None or found[1].type != "ObjectExpression" or any(
            property_key(p) is None for p in found[1].properties):
        return None
    return found


def _assignment(stmt: Any, name: str) -> tuple[str, Any] | None:
    if stmt.type != "ExpressionStatement":
        return None
    e = stmt.expression
    if e.type != "AssignmentExpression" or e.operator != "=" or \
            e.left.type != "MemberExpression" or e.left.object.type != "Identifier" or \
            e.left.object.name != name:
        return None
    key = member_key(e.left)
    if key is None or key == "__proto__":
        return None
    if any(n.type == "Identifier" and n.name == name for n in walk(e.right)):
        return None
    return key, e.right


def run(ctx: Context) -> int:
    if not ctx.scopes().types["ObjectExpression"]:
        return 0
    count = 0
    for owner, body in list(statement_lists(ctx.program)):
        i = 0
        while i < len(body):
            found = _object_literal(body[i])
            if found is None:
                i += 1
                continue
            name, literal = found
            j = i + 1
            seen = {property_key(p) for p in literal.properties}
            while j < len(body):
                if body[j].type == "FunctionDeclaration":  # hoisted: no effect here
                    j += 1
                    continue
                assigned = _assignment(body[j], name)
                if assigned is None or assigned[0] in seen:
                    break
                key, value = assigned
                seen.add(key)
                where = body[j]
                literal.properties.append(N(
                    "Property", kind="init", computed=False, method=False, shorthand=False,
                    key=N("Literal", value=key, raw=None, loc=where.loc, range=where.range),
                    value=value, loc=where.loc, range=where.range))
                j += 1
            moved = [k for k in range(i + 1, j) if body[k].type != "FunctionDeclaration"]
            if moved:
                for k in reversed(moved):
                    del body[k]
                touched(owner)
                touched(literal)
                touched(body[i])
                count += len(moved)
            i += 1
    if count:
        ctx.changed()
    count += _hand_over(ctx)
    ctx.done(TECHNIQUE, count)
    return count


def _handed_to(stmt: Any, name: str) -> Any | None:
    """The declarator of `var x = name` (one declarator) that `stmt` is, else None."""
    if stmt.type != "VariableDeclaration" or len(stmt.declarations) != 1:
        return None
    d = stmt.declarations[0]
    if d.id.type == "Identifier" and d.init is not None and d.init.type == "Identifier" \
            and d.init.name == name:
        return d
    return None


def _hand_over(ctx: Context) -> int:
    """`var t = {…}; var x = t;` → `var x = {…};` where `t` is read only there (see above)."""
    index = ctx.scopes()
    declared = index.declared_by()
    count = 0
    for owner, body in list(statement_lists(ctx.program)):
        i = 0
        while i < len(body):
            stmt = body[i]
            i += 1
            if stmt.type != "VariableDeclaration" or len(stmt.declarations) != 1:
                continue
            temp = stmt.declarations[0]
            if temp.id.type != "Identifier" or temp.init is None or \
                    temp.init.type != "ObjectExpression":
                continue
            j = i
            while j < len(body) and body[j].type == "FunctionDeclaration":
                j += 1
            target = _handed_to(body[j], temp.id.name) if j < len(body) else None
            binding = declared.get(id(temp))
            if target is None or binding is None or not binding.constant or \
                    [id(r) for r in binding.refs if r is not temp.id] != [id(target.init)]:
                continue
            target.init = temp.init
            touched(body[j])
            del body[i - 1]
            touched(owner)
            i -= 1
            count += 1
    if count:
        ctx.changed()
    return count
