"""Constant folding — operators on constants become the constant (`0x1*-0x7d3+0x7d5` → `2`,
`'ht' + 'tp:'` → `'http:'`, `!![]` → `true`, `'abc' === 'abd'` → `false`, `typeof 'x'` →
`'string'`).

Obfuscators split strings, write numbers as expressions and hide booleans in negations; folding
them back is what lets every later pass see literals. Only what Python computes exactly as
JavaScript does is folded: integer arithmetic within 2^53, string concatenation with integers,
comparisons of values of one type. Anything else is left for the isolate or left alone.
"""

from __future__ import annotations

import math
from typing import Any

from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import (
    MAX_LITERAL,
    N,
    has_value,
    hidden_via,
    hide,
    literal_value,
    make_literal,
    truthy,
)

TECHNIQUE = Technique.CONSTANT_FOLDING
_SAFE = 2**53
NO_VALUE = _NONE = object()


def value_of(node: Any) -> Any:
    """The constant a node stands for, counting `-5` and `!0` (else `_NONE`)."""
    if has_value(node):
        return literal_value(node)
    if node.type == "UnaryExpression" and node.operator == "-":
        inner = literal_value(node.argument) if has_value(node.argument) else _NONE
        if isinstance(inner, int | float) and not isinstance(inner, bool):
            return -inner
    return _NONE


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _exact(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and abs(v) <= _SAFE


def _to_str(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if _exact(v):
        return str(v)
    if isinstance(v, float) and v.is_integer() and abs(v) <= _SAFE:
        return str(int(v))
    return None


def _int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - 0x100000000 if v & 0x80000000 else v


def _binary(op: str, a: Any, b: Any) -> Any:
    if op == "+" and (isinstance(a, str) or isinstance(b, str)):
        sa, sb = _to_str(a), _to_str(b)
        if sa is None or sb is None or len(sa) + len(sb) > MAX_LITERAL:
            return _NONE
        return sa + sb
    if op in ("===", "!=="):
        if type(a) is not type(b) and not (_is_number(a) and _is_number(b)):
            return op == "!=="
        if isinstance(a, float) and math.isnan(a):
            return op == "!=="
        return (a == b) == (op == "===")
    if op in ("==", "!=") and (type(a) is type(b) or (_is_number(a) and _is_number(b))):
        return (a == b) == (op == "==")
    if not (_exact(a) and _exact(b)):
        if isinstance(a, str) and isinstance(b, str) and op in ("<", ">", "<=", ">=") \
                and a.isascii() and b.isascii():
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        return _NONE
    if op in ("+", "-", "*"):
        r = a + b if op == "+" else a - b if op == "-" else a * b
        return r if abs(r) <= _SAFE and not (op == "*" and r == 0 and (a < 0 or b < 0)) \
            else _NONE
    if op == "/":
        if b == 0:
            return _NONE
        q = a / b
        return int(q) if q.is_integer() and a % b == 0 else _NONE
    if op == "%":
        if b == 0 or a < 0:
            return _NONE
        return a % abs(b)
    if op in ("<", ">", "<=", ">="):
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    if op in ("&", "|", "^"):
        x, y = _int32(a), _int32(b)
        return _int32(x & y if op == "&" else x | y if op == "|" else x ^ y)
    if op in ("<<", ">>", ">>>"):
        x, s = _int32(a), b & 31
        if op == "<<":
            return _int32(x << s)
        if op == ">>":
            return x >> s
        return (x & 0xFFFFFFFF) >> s
    return _NONE


def fold_binary(node: Any) -> Any | None:
    a, b = value_of(node.left), value_of(node.right)
    if a is _NONE or b is _NONE:
        return None
    result = _binary(node.operator, a, b)
    if result is _NONE:
        return None
    made = make_literal(result, node)
    via = _hidden(node.left) or _hidden(node.right)
    return hide(made, via) if via and isinstance(result, str) else made


def _hidden(node: Any) -> str | None:
    if node.type == "UnaryExpression":
        node = node.argument
    return hidden_via(node)


def fold_unary(node: Any) -> Any | None:
    op, arg = node.operator, node.argument
    if op == "!":
        known = truthy(arg)
        if known is None:
            return None
        return make_literal(not known, node)
    if op == "void" and has_value(arg):
        return N("Identifier", name="undefined", loc=node.loc)
    v = value_of(arg)
    if v is _NONE:
        return None
    if op == "typeof":
        kind = ("string" if isinstance(v, str) else "boolean" if isinstance(v, bool)
                else "object" if v is None else "number")
        return make_literal(kind, node)
    if op == "-" and _is_number(v) and arg.type == "UnaryExpression":
        return make_literal(-v, node)  # `- -5` → 5
    if op == "+" and _is_number(v):
        return make_literal(v, node)
    if op == "~" and _exact(v):
        return make_literal(_int32(~_int32(v)), node)
    return None


def fold_logical(node: Any) -> Any | None:
    known = truthy(node.left)
    if known is None:
        return None
    if node.operator == "&&":
        return node.right if known else node.left
    if node.operator == "||":
        return node.left if known else node.right
    if node.operator == "??":
        return node.right if node.left.type == "Literal" and node.left.value is None \
            and node.left.raw == "null" else node.left
    return None


RULES = {"BinaryExpression": fold_binary, "UnaryExpression": fold_unary,
         "LogicalExpression": fold_logical}
