"""The parser interface: budgets, deep nesting, unparsable input, modern syntax."""

from __future__ import annotations

from skimscan.analyze.parse import ParseLimits, parse, run_deep


def test_modern_syntax_parses() -> None:
    code = "class A { #x = 1; static y = 2 }; const b = a?.c ?? 1n; label: for (;;) break label;"
    result = run_deep(lambda: parse(code))
    assert result.error is None and result.tree is not None


def test_module_syntax_falls_back_to_module() -> None:
    result = run_deep(lambda: parse("import x from './x.js'; export default x;"))
    assert result.error is None and result.module


def test_syntax_error_is_reported_not_raised() -> None:
    for parser in ("tree-sitter", "esprima"):
        result = run_deep(lambda p=parser: parse("}}} function (", ParseLimits(parser=p)))
        assert result.tree is None, parser
        assert result.error is not None and "syntax error" in result.error


def test_broken_statement_is_left_out_and_the_rest_parsed() -> None:
    code = "var ok = 1;\nvar = ;\nsend(ok);\n"
    result = run_deep(lambda: parse(code))
    assert result.tree is not None and result.error is None
    kinds = [s.type for s in result.tree.body if s.type != "EmptyStatement"]  # the lone `;`
    assert kinds == ["VariableDeclaration", "ExpressionStatement"], kinds
    assert len(result.dropped) == 1 and "line 2" in result.dropped[0]
    # esprima, the reference, gives up on the whole script.
    reference = run_deep(lambda: parse(code, ParseLimits(parser="esprima")))
    assert reference.tree is None and "syntax error" in (reference.error or "")


def test_deep_nesting_within_budget_parses() -> None:
    code = "a = " + "(" * 1000 + "1" + ")" * 1000 + ";"
    for parser in ("tree-sitter", "esprima"):
        result = run_deep(lambda p=parser: parse(code, ParseLimits(parser=p)))
        assert result.error is None, parser


def test_nesting_beyond_budget_is_an_error_not_a_crash() -> None:
    # (`is None` checks only: a failed assertion would print the tree, as deep as the code.)
    for parser, depth in (("esprima", 20_000), ("tree-sitter", 100_000)):
        code = "a = " + "[" * depth + "]" * depth + ";"
        result = run_deep(lambda c=code, p=parser: parse(c, ParseLimits(parser=p)))
        deep = result.tree is None
        assert deep, parser
        assert result.error is not None and "nested too deeply" in result.error


def test_size_budget_reports_size() -> None:
    result = parse("var a = 1;" * 100, ParseLimits(max_bytes=500))
    assert result.tree is None
    assert result.error is not None and "parse budget" in result.error


def test_run_deep_reraises_errors() -> None:
    def boom() -> None:
        raise ValueError("x")

    try:
        run_deep(boom)
    except ValueError as exc:
        assert str(exc) == "x"
    else:  # pragma: no cover - the assertion above is the test
        raise AssertionError("run_deep swallowed the error")
