"""Sequence expressions in statement position become statements (`a(), b = 1, c();` → three
statements), and `var a = 1, b = 2;` becomes one declaration per name.

Obfuscators and minifiers chain statements with commas; the object-key and control-flow passes
look for patterns statement by statement, so the chain is undone first.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.context import Context
from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import N, statement_lists, touched

TECHNIQUE = Technique.SEQUENCES


def _split(stmt: Any) -> list[Any] | None:
    t = stmt.type
    if t == "ExpressionStatement" and stmt.expression.type == "SequenceExpression" \
            and not getattr(stmt, "directive", None):
        return [N("ExpressionStatement", expression=e, loc=getattr(e, "loc", stmt.loc),
                  range=getattr(e, "range", None)) for e in stmt.expression.expressions]
    if t == "VariableDeclaration" and len(stmt.declarations) > 1:
        return [N("VariableDeclaration", kind=stmt.kind, declarations=[d],
                  loc=getattr(d, "loc", stmt.loc), range=getattr(d, "range", None))
                for d in stmt.declarations]
    return None


def run(ctx: Context) -> int:
    types = ctx.scopes().types
    if not types["SequenceExpression"] and types["VariableDeclarator"] <= types[
            "VariableDeclaration"]:
        return 0
    count = 0
    for owner, body in list(statement_lists(ctx.program)):
        i = 0
        while i < len(body):
            parts = _split(body[i])
            if parts is None:
                i += 1
                continue
            body[i:i + 1] = parts
            touched(owner)
            count += 1
    ctx.done(TECHNIQUE, count)
    return count
