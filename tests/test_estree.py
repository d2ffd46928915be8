"""The slotted ESTree classes: what a reader of a node sees, and what a node does not carry."""

from __future__ import annotations

import inspect
from typing import Any

import esprima
import esprima.nodes as E
import pytest

from skimscan.analyze import estree
from skimscan.analyze.deobfuscate.tree import N, clone
from skimscan.analyze.parse import parse, run_deep


def ts_tree(code: str) -> Any:
    result = run_deep(lambda: parse(code))
    assert result.tree is not None, result.error
    return result.tree


def test_every_esprima_class_has_a_slotted_twin_with_its_fields_in_order() -> None:
    for name, cls in vars(E).items():
        if not (isinstance(cls, type) and issubclass(cls, E.Node)) or cls is E.Node:
            continue
        ours = estree.CLASSES[name]
        sample = vars(cls(*([object()] * len(inspect.signature(cls).parameters))))
        assert ("type", *ours.FIELDS) == tuple(sample), name
        assert "__dict__" not in dir(ours) or ours is estree.Plain, name


def test_a_parsed_node_has_no_dict_and_refuses_a_stray_attribute() -> None:
    ident = ts_tree("a;").body[0].expression
    assert type(ident) is estree.CLASSES["Identifier"]
    assert not hasattr(ident, "__dict__")  # the point of the classes: ~120 bytes a node
    with pytest.raises(AttributeError):
        ident.parentNode = None  # a field no class has is a bug, not a new field


def test_a_field_never_set_reads_none_as_on_esprima_nodes() -> None:
    stmt = ts_tree("if (a) b();").body[0]
    assert stmt.alternate is None
    assert stmt.nonsense is None
    with pytest.raises(AttributeError):
        stmt.__deepcopy__  # noqa: B018 - dunder hooks are not fields


def test_range_and_loc_are_made_from_the_span_and_line_table() -> None:
    call = ts_tree("x = 1;\n  foo(bar);").body[1].expression
    assert call.range == [9, 17]
    assert (call.loc.start.line, call.loc.start.column) == (2, 2)
    assert (call.loc.end.line, call.loc.end.column) == (2, 10)
    call.range = [10, 12]  # assigned: packed, and the location follows it
    assert call.range == [10, 12] and call.loc.start.column == 3


def test_an_own_loc_stands_whatever_the_range_becomes() -> None:
    call = ts_tree("x = 1;\n  foo(bar);").body[1].expression
    call.loc = call.loc
    call.range = None
    assert call.range is None
    assert (call.loc.start.line, call.loc.start.column) == (2, 2)


def test_marks_default_to_none_and_do_not_disturb_the_location() -> None:
    lit = ts_tree("f('s');").body[0].expression.arguments[0]
    assert (lit.rewritten, lit.hidden, lit.table) == (None, None, None)
    lit.hidden = "atob"
    lit.table = "string-array"
    assert (lit.hidden, lit.table, lit.rewritten) == ("atob", "string-array", None)
    assert lit.loc.start.column == 2 and lit.range == [2, 5]


def test_a_clone_has_the_place_and_marks_but_its_own_record() -> None:
    call = ts_tree("foo(bar, 'x');").body[0].expression
    call.arguments[1].hidden = "atob"
    copy = clone(call)
    assert copy is not call and copy.arguments[0] is not call.arguments[0]
    assert copy.range == call.range and copy.rewritten is True
    assert copy.arguments[1].hidden == "atob"
    copy.arguments[1].hidden = None
    assert call.arguments[1].hidden == "atob"  # marks are copied, not shared
    assert call.rewritten is None


def test_a_node_a_pass_makes_has_the_constructor_defaults_and_its_class() -> None:
    fn = N("FunctionExpression", id=None, params=[], body=N("BlockStatement", body=[]))
    assert type(fn) is estree.CLASSES["FunctionExpression"]
    assert (fn.isAsync, fn.expression, fn.generator) == (False, False, None)
    assert type(N("MemberExpression", computed=True, object=None, property=None)) is \
        estree.CLASSES["ComputedMemberExpression"]
    assert type(N("Literal", value="a", raw="/a/", regex={"pattern": "a", "flags": ""})) is \
        estree.CLASSES["RegexLiteral"]
    assert isinstance(N("ParenthesizedExpression", expression=None), estree.Plain)


def test_children_are_the_node_fields_in_order() -> None:
    stmt = ts_tree("if (a) b(); else c = d;").body[0]
    kinds = [type(v).__name__ for v in (getattr(stmt, k) for k in stmt.CHILDREN)]
    assert kinds == ["Identifier", "ExpressionStatement", "ExpressionStatement"]
    assert estree.CLASSES["Literal"].CHILDREN == ()
    assert "expression" not in estree.CLASSES["ArrowFunctionExpression"].CHILDREN
    assert "expression" in estree.CLASSES["ExpressionStatement"].CHILDREN


def test_esprima_trees_convert_field_for_field_with_their_own_locations() -> None:
    code = "var s = `a${b}`;\nx.y[z](/r/g, 1);"
    raw = esprima.parseScript(code, {"loc": True, "range": True})
    ours = estree.from_esprima(raw)
    expr = ours.body[1].expression
    assert type(expr.callee).__name__ == "ComputedMemberExpression"
    assert type(expr.arguments[0]).__name__ == "RegexLiteral"
    assert expr.range == raw.body[1].expression.range
    assert expr.loc is raw.body[1].expression.loc
    quasi = ours.body[0].declarations[0].init.quasis[0]
    assert quasi.value.cooked == "a"
    assert dict(estree.fields(ours.body[0]))["kind"] == "var"
