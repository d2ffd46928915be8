"""STAGE 3 (analyze) — the closures a script is made of, kept apart where they cannot meet.

Why: a vendor bundle, a merged Magento `.js` or a tag container is many libraries in one
script, each wrapped in its own immediately invoked function (`(function () {…})()`, UMD's
`!function (e, t) {…}(this, function () {…})`, `var Vue = (function (exports) {…})({})`).
Code inside one such closure cannot name the functions or read the variables of another: it
reaches them only through globals (`window.X`) or objects it is handed. Two parts of the
analysis do not see scopes and would otherwise join libraries that never meet:
- calls resolved by property name (`o.assign(x)` calls every function stored as `.assign`):
  a card library's `assign(options)` becomes what a session-replay library's `o.assign(...)`
  returns;
- rules that combine facts of one script (card reads *and* a send to an unknown host, an
  automation check *and* card reads): a card formatter's field reads plus an analytics
  library's beacon look like a skimmer.

So each top-level statement that runs inside an immediately invoked function is a *unit*.
A call inside a unit gets by name the return values of functions of its own unit and of global
code only; its arguments reach functions of its own unit and of global code when there are
any, else any (a kit in a closure of its own reuses a library's exported sender). Rules that
combine facts are evaluated on one unit plus global code at a time, in scripts read whole
(`rules.RuleSet.evaluate`; an obfuscated script keeps its combinations). Everything else is
global code, visible to all units: top-level functions, object literals of methods, handlers
registered at the top level; code decoded at run time counts as global code. Data that crosses
units through global variables is still followed: only name-based resolution and fact
combination are scoped.

A skimmer appended to a library as its own closure is its own unit (it reads and sends
within it); one appended inside the library's closure shares the library's unit.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from skimscan.models import Location

#: the unit of global code (and of anything without a place in the source)
GLOBAL = -1
#: a unit's place in the source, as (start line, start column, end line, end column)
Span = tuple[int, int, int, int]

_FUNCTIONS = frozenset({"FunctionExpression", "ArrowFunctionExpression"})
_PREFIX = frozenset({"!", "void", "+", "-", "~"})


def _invoked_function(expr: Any) -> bool:
    """`(function () {…})()`, `!function () {…}()`, `(() => {…})()`,
    `(function () {…}).call(this)`: a function literal run where it is written."""
    while expr is not None and expr.type == "UnaryExpression" and expr.operator in _PREFIX:
        expr = expr.argument
    if expr is None or expr.type not in ("CallExpression", "NewExpression"):
        return False
    callee = expr.callee
    if callee.type == "MemberExpression" and not callee.computed and getattr(
            callee.property, "name", None) in ("call", "apply"):
        callee = callee.object
    return callee.type in _FUNCTIONS


def _closure_statement(stmt: Any) -> bool:
    kind = stmt.type
    if kind == "ExpressionStatement":
        expr = stmt.expression
        if expr.type == "AssignmentExpression":  # `window.Lib = (function () {…})()`
            expr = expr.right
        return _invoked_function(expr)
    if kind == "VariableDeclaration":  # `var Vue = (function (exports) {…})({})`
        return bool(stmt.declarations) and all(
            d.init is not None and _invoked_function(d.init) for d in stmt.declarations)
    return False


def _closures(program: Any) -> list[Any]:
    found = [stmt for stmt in getattr(program, "body", None) or ()
             if getattr(stmt, "range", None) and _closure_statement(stmt)]
    return found if len(found) > 1 else []


def closure_spans(program: Any) -> tuple[tuple[int, int], ...]:
    """The character ranges of the top-level statements that are units, in source order.
    A script with fewer than two has nothing to keep apart: empty."""
    return tuple((stmt.range[0], stmt.range[1]) for stmt in _closures(program))


def located_spans(program: Any) -> tuple[Span, ...]:
    """The same units as lines and columns, for facts (which carry locations)."""
    out = []
    for stmt in _closures(program):
        loc = stmt.loc
        if loc is None:
            return ()
        out.append((loc.start.line, loc.start.column, loc.end.line, loc.end.column))
    return tuple(out)


class Units:
    """Which unit a node is in, by its start offset."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        self._starts = [s for s, _ in spans]
        self._ends = [e for _, e in spans]

    def __bool__(self) -> bool:
        return bool(self._starts)

    def __len__(self) -> int:
        return len(self._starts)

    def of(self, node: Any) -> int:
        span = getattr(node, "range", None) if self._starts else None
        if not span:
            return GLOBAL
        i = bisect_right(self._starts, span[0]) - 1
        return i if i >= 0 and span[0] < self._ends[i] else GLOBAL


def meet(a: int, b: int) -> bool:
    """Code of unit `a` can reach code of unit `b` by name."""
    return GLOBAL in (a, b) or a == b


class Locator:
    """Which unit a fact at a location belongs to (spans in source order, not overlapping)."""

    __slots__ = ("_spans", "_starts")

    def __init__(self, spans: Sequence[Span]) -> None:
        self._spans = spans
        self._starts = [(sl, sc) for sl, sc, _, _ in spans]

    def __call__(self, where: Location) -> int:
        point = (where.line, where.column)
        i = bisect_right(self._starts, point) - 1
        if i >= 0 and point < (self._spans[i][2], self._spans[i][3]):
            return i
        return GLOBAL
