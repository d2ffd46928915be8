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
    result = run_deep(lambda: parse("var = ;"))
    assert result.tree is None
    assert result.error is not None and "syntax error" in result.error


def test_deep_nesting_within_budget_parses() -> None:
    code = "a = " + "(" * 1000 + "1" + ")" * 1000 + ";"
    result = run_deep(lambda: parse(code))
    assert result.error is None


def test_nesting_beyond_budget_is_an_error_not_a_crash() -> None:
    code = "a = " + "[" * 20000 + "]" * 20000 + ";"
    result = run_deep(lambda: parse(code))
    assert result.tree is None
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
