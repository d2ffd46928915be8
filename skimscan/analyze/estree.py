"""STAGE 3 (analyze) — the ESTree node classes every tree skimscan analyses is made of.

Why not esprima's own classes: an esprima node keeps its fields in an instance `__dict__`,
about 120 bytes a node before any field value, and a 5 MB bundle is 1.4M nodes. These classes
have the same names, the same `type` values and the same fields in the same order (they are
made from esprima's, by building one node of each with its constructor), but keep the fields
in `__slots__`: the tree of that bundle weighs ~95 MB instead of ~280 MB.

What a reader sees is what it saw of an esprima node:
- a field that was never set reads None (esprima's `Object.__getattr__`);
- `range` is `[start, end]` (character offsets) and `loc` esprima's `SourceLocation`, both
  made when read from `_span` (start << 32 | end) and the source's line table (`Lines`): a
  location is read for a handful of nodes (those findings point at), and a stored list and
  location cost more than half of a node. Assigning either stores it: a `range` is packed
  into `_span`, a `loc` is kept as the node's own (it then stands whatever `_span` becomes);
- the marks deobfuscation puts on a node (`MARKS`) and an own `loc` live in one small
  record (`_Own`) that takes the line table's place in `_lines`, so the millions of nodes
  nobody marks carry nothing for them;
- `fields(node)` lists `type` and the fields in esprima's order, as `vars()` listed an
  esprima node's; `CHILDREN` names the fields that can hold child nodes (what walks read).

Trees esprima builds (the reference parser) are converted into these classes by
`from_esprima`, so that one kind of node runs through the pipeline. A node of a type esprima
has no class for (only the printer makes them) is a `Plain` node, which has a `__dict__`.
"""

from __future__ import annotations

import inspect
from bisect import bisect_right
from collections.abc import Iterator
from typing import Any, ClassVar

import esprima.nodes as _E
from esprima.scanner import Position, SourceLocation

__all__ = ["CLASSES", "Lines", "Node", "Plain", "copy_place", "fields", "from_esprima",
           "node_class"]

_LOW = (1 << 32) - 1


class Lines:
    """Where each line of one source starts (character offsets): the locations of its
    nodes, made when read. Shared by every node of the tree; holds no source text."""

    __slots__ = ("starts",)

    def __init__(self, starts: list[int]) -> None:
        self.starts = starts

    def position(self, offset: int) -> Any:
        """esprima's `Position` of `offset`: line from 1, column from 0."""
        starts = self.starts
        line = bisect_right(starts, offset) if len(starts) > 1 else 1
        p = object.__new__(Position)
        p.line = line
        p.column = offset - starts[line - 1]
        p.offset = None
        return p

    def between(self, start: int, end: int) -> Any:
        loc = object.__new__(SourceLocation)
        loc.start = self.position(start)
        loc.end = self.position(end)
        loc.source = None
        return loc


_UNSET: Any = object()


#: what deobfuscation marks a node with: `rewritten` (its source text no longer says what it
#: does), `hidden` (a string only a decoder revealed, and which one), `table` (a string read
#: out of a string array), `missing` (an inlined parameter nobody passed)
MARKS = ("rewritten", "hidden", "table", "missing")


class _Own:
    """What few nodes carry beyond their fields: a location of their own and the `MARKS`.
    Stands in a node's `_lines` slot, with the line table it replaced."""

    __slots__ = ("lines", "loc", *MARKS)

    def __init__(self, lines: Lines | None) -> None:
        self.lines = lines
        self.loc = _UNSET
        for mark in MARKS:
            setattr(self, mark, None)


def _own(node: Node) -> _Own:
    meta = node._lines
    if isinstance(meta, _Own):
        return meta
    own = _Own(meta)
    node._lines = own
    return own


class Node:
    """An ESTree node. Subclasses (one per esprima class, see `CLASSES`) add their fields."""

    __slots__ = ("_lines", "_span", "type")

    #: esprima's fields after `type`, in the order its constructor sets them
    FIELDS: ClassVar[tuple[str, ...]] = ()
    #: the fields that can hold child nodes (a walk reads these)
    CHILDREN: ClassVar[tuple[str, ...]] = ()
    #: the value esprima's constructor gives each field when nothing is passed
    TEMPLATE: ClassVar[dict[str, Any]] = {}

    type: str
    _span: int | None
    _lines: Lines | _Own | None

    def __getattr__(self, name: str) -> Any:
        """A field never set reads None, as on esprima's nodes (`node.alternate`)."""
        if name.startswith("__"):
            raise AttributeError(name)  # not a copy or pickle hook
        return None

    @property
    def range(self) -> list[int] | None:
        span = self._span
        return None if span is None else [span >> 32, span & _LOW]

    @range.setter
    def range(self, value: Any) -> None:
        self._span = None if value is None else int(value[0]) << 32 | int(value[1])

    @property
    def loc(self) -> Any:
        meta = self._lines
        if isinstance(meta, _Own):
            if meta.loc is not _UNSET:
                return meta.loc
            meta = meta.lines
        span = self._span
        if meta is None or span is None:
            return None
        return meta.between(span >> 32, span & _LOW)

    @loc.setter
    def loc(self, value: Any) -> None:
        _own(self).loc = value

    rewritten: Any
    hidden: Any
    table: Any
    missing: Any

    def __repr__(self) -> str:  # for test failures
        return f"{type(self).__name__}({getattr(self, 'type', '?')}@{self.range})"


def _mark(name: str) -> property:
    """A mark, read from the node's `_Own` record (None when it has none)."""

    def get(node: Node) -> Any:
        meta = node._lines
        return getattr(meta, name) if type(meta) is _Own else None

    def put(node: Node, value: Any) -> None:
        setattr(_own(node), name, value)

    return property(get, put, doc=f"deobfuscation's `{name}` mark")


for _name in MARKS:
    setattr(Node, _name, _mark(_name))
del _name


class Plain(Node):
    """A node of a type esprima has no class for (the printer's canonical rewrites): its
    fields are whatever it was given, in a `__dict__`."""

    __slots__ = ("__dict__",)

    @property
    def CHILDREN(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(k for k in self.__dict__ if k not in _LEAVES)


#: fields that never hold a node, whatever the class
_LEAVES = frozenset({
    "name", "operator", "raw", "regex", "computed", "generator", "isAsync", "prefix", "kind",
    "method", "shorthand", "static", "delegate", "directive", "sourceType", "optional", "each",
    "tail", "errors", "type",
})
#: ... and those that hold none in these classes (a literal's value; a function's
#: `expression`, a flag; a template element's {raw, cooked})
_CLASS_LEAVES = {"Literal": {"value"}, "RegexLiteral": {"value"}, "TemplateElement": {"value"}}
_FUNCTION_CLASSES = ("ArrowFunctionExpression", "AsyncArrowFunctionExpression",
                     "FunctionDeclaration", "FunctionExpression", "AsyncFunctionDeclaration",
                     "AsyncFunctionExpression")
#: set after construction by the parser, not the constructor
_EXTRA = {"Script": ("errors",), "Module": ("errors",)}


def _make_classes() -> dict[str, type[Node]]:
    out: dict[str, type[Node]] = {}
    for name, cls in sorted(vars(_E).items()):
        if not (isinstance(cls, type) and issubclass(cls, _E.Node)) or cls is _E.Node:
            continue
        arity = len(inspect.signature(cls).parameters)
        sample = dict(vars(cls(*([None] * arity))))
        # every argument given: the fields a constructor sets only when passed one too
        # (`ExportAllDeclaration(source, attributes=None, exported=None)`)
        full = vars(cls(*([_UNSET] * arity)))
        names = tuple(k for k in full if k != "type")
        leaves = _LEAVES | _CLASS_LEAVES.get(name, set()) | (
            {"expression"} if name in _FUNCTION_CLASSES else set())
        namespace: dict[str, Any] = {
            "__slots__": names + _EXTRA.get(name, ()),
            "__module__": __name__,
            "__qualname__": name,
            "FIELDS": names,
            "CHILDREN": tuple(k for k in names if k not in leaves),
            "TEMPLATE": {k: v for k, v in sample.items() if k != "type"},
        }
        # esprima's nested helper classes (a template element's `Value`)
        namespace.update({k: v for k, v in vars(cls).items()
                          if isinstance(v, type) and not k.startswith("__")})
        out[name] = type(name, (Node,), namespace)
    return out


#: esprima class name -> the slotted class of that name (a pure function of esprima's
#: classes, made once at import)
CLASSES: dict[str, type[Node]] = _make_classes()


def __getattr__(name: str) -> Any:
    """`estree.Identifier` and the like, as `esprima.nodes.Identifier` reads (typed Any: the
    classes are made at import, their fields are not known to a type checker)."""
    try:
        return CLASSES[name]
    except KeyError:
        raise AttributeError(name) from None


def node_class(type_: str, computed: Any = None, regex: Any = None) -> type[Node] | None:
    """The class a node of ESTree type `type_` is made of (None: no class; a Program is a
    Script or a Module, which the caller knows); member expressions and literals by the
    `computed` and `regex` fields they get."""
    if type_ == "MemberExpression":
        return CLASSES["ComputedMemberExpression" if computed else "StaticMemberExpression"]
    if type_ == "Literal" and regex is not None:
        return CLASSES["RegexLiteral"]
    if type_ == "Program":
        return None
    return CLASSES.get(type_)


def fields(node: Any) -> Iterator[tuple[str, Any]]:
    """`type` and each field that is set, in esprima's order: what `vars()` listed of an
    esprima node, without its location (read `range` and `loc` for that)."""
    if isinstance(node, Plain):
        yield "type", node.type
        yield from node.__dict__.items()
        return
    if isinstance(node, Node):
        cls = type(node)
        for key in ("type", *cls.FIELDS, *_EXTRA.get(cls.__name__, ())):
            try:
                yield key, object.__getattribute__(node, key)
            except AttributeError:
                continue
        return
    yield from vars(node).items()  # a plain object shaped like a node (printer, tests)


def copy_place(dst: Node, src: Node) -> None:
    """Give `dst` the range, location and marks `src` has (a copy of its own record)."""
    dst._span = src._span
    meta = src._lines
    if type(meta) is _Own:
        own = _Own(meta.lines)
        own.loc = meta.loc
        for mark in MARKS:
            setattr(own, mark, getattr(meta, mark))
        meta = own
    dst._lines = meta


def from_esprima(node: Any) -> Any:
    """An esprima tree (or part) as nodes of these classes, field for field, with esprima's
    own `range` and `loc`. Recursive, like every walk of a tree: call inside `run_deep`."""
    if type(node) is list:
        return [from_esprima(item) for item in node]
    if not isinstance(node, _E.Node):
        return node
    cls = CLASSES.get(type(node).__name__)
    new: Any = Plain() if cls is None else object.__new__(cls)
    for key, value in vars(node).items():
        if key == "range":
            new._span = None if value is None else value[0] << 32 | value[1]
        elif key == "loc":
            new.loc = value
        else:
            setattr(new, key, from_esprima(value) if type(value) is list or isinstance(
                value, _E.Node) else value)
    return new
