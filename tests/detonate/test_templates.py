"""The synthetic checkout's templates: the manifest, its pages, and the order files try them."""

from __future__ import annotations

import re

import pytest

from skimscan.detonate.templates import (
    HOSTED_FIELD_PAGE,
    SAMPLE_MARKER,
    always_tried,
    load_templates,
    page_text,
    rank,
    regexes_in,
)

TEMPLATES = load_templates()
PLATFORMS = {"Magento 1", "Magento 2", "WooCommerce", "OpenCart", "PrestaShop"}


def test_manifest_covers_the_platforms_skimmers_target() -> None:
    platforms = {t.platform for t in TEMPLATES}
    assert platforms >= PLATFORMS, platforms
    paths = {t.path for t in TEMPLATES}
    for path in ("/checkout/onepage/", "/onestepcheckout/", "/firecheckout/",
                 "/index.php?route=checkout/checkout"):
        assert path in paths
    assert any(t.card_fields == "iframe" for t in TEMPLATES), "no hosted-field checkout"
    first = TEMPLATES[0]
    assert "checkout" in first.path and "onepage" in first.path  # the most common URL gates


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_pages_are_the_projects_own_clean_code(template) -> None:  # type: ignore[no-untyped-def]
    html = page_text(template.page)
    assert html.count(SAMPLE_MARKER) == 1
    others = [u for u in re.findall(r"https?://[^\s\"'<>]+", html) if "js.stripe.com" not in u]
    assert others == [], "pages may name no host but the processor's hosted fields"
    for forbidden in ("eval(", "atob(", "new Function", "document.write"):
        assert forbidden not in html


def test_hosted_field_page_has_its_placeholders() -> None:
    html = page_text(HOSTED_FIELD_PAGE)
    assert "{{FIELD}}" in html and "{{AUTOCOMPLETE}}" in html


def test_rank_puts_the_platform_a_script_names_first() -> None:
    assert rank(TEMPLATES, "jQuery('#billing_first_name'); wc_checkout_params")[0].platform \
        == "WooCommerce"
    assert rank(TEMPLATES, "if (location.href.indexOf('firecheckout') > -1)")[0].name \
        == "magento1-firecheckout"
    assert rank(TEMPLATES, "document.getElementById('input-payment-firstname'); "
                           "$('#button-confirm')")[0].platform == "OpenCart"


def test_rank_without_hints_tries_distinct_platforms_then_a_hosted_field_checkout() -> None:
    plain = rank(TEMPLATES, "var a = 1;")
    assert plain[0] is TEMPLATES[0]
    pages = [t.page for t in plain[:5]]
    assert len(set(pages)) == 5, "a second URL of one page before the other platforms"
    three = rank(TEMPLATES, "var a = 1;", 3)
    assert len(three) == 3 and three[-1].card_fields == "iframe"
    assert rank(TEMPLATES, "var a = 1;", 1) == [TEMPLATES[0]]


def test_rank_follows_the_selectors_a_script_uses_and_keeps_the_default_page() -> None:
    code = "document.querySelector('#input-payment-firstname'); $('[name=\"cc_cvv2\"]')"
    three = rank(TEMPLATES, code, 3)
    assert three[0].platform == "OpenCart"
    assert three[1] is TEMPLATES[0] and three[2].card_fields == "iframe"


def test_rank_follows_the_regexes_a_script_tests_names_and_urls_with() -> None:
    """A kit that fires only where its regex finds a field name (or the URL) runs first on a
    page where it does."""
    by_name = ("var rx = /^(?:cc|card)[\\W_]*(?:num|number|cvv|cvc)/i;\n"
               "document.addEventListener('blur', function (e) {\n"
               "  if (rx.test(e.target.name || e.target.id)) go(e.target); }, true);")
    assert rank(TEMPLATES, by_name)[0].platform in ("OpenCart", "PrestaShop")
    assert rank(TEMPLATES, by_name, 3)[0].platform in ("OpenCart", "PrestaShop")
    by_url = "if (/route=checkout/.test(location.search)) start();"
    assert rank(TEMPLATES, by_url)[0].platform == "OpenCart"
    # a regex that matches anything, or names nothing, tells no page from another
    assert rank(TEMPLATES, "var a = /.*/; var b = /\\d+/g;")[0] is TEMPLATES[0]
    assert regexes_in("var x = a / b / c; var y = /[0-9]*/;") == []


def test_a_second_url_of_one_page_comes_after_other_pages_that_fit_as_well() -> None:
    """Two Magento 1 URLs serve one page: a script that fits it no better than another
    platform's page gets the other page second, not the same page again."""
    code = "document.querySelector('[name=\"payment[cc_number]\"]');"
    ranked = rank(TEMPLATES, code)
    assert ranked[0].page != ranked[1].page, [t.name for t in ranked[:3]]


#: how each API and body looks in a page's own submit code
_SENDS = {"xhr": ("Ajax.Request", "jQuery.ajax", "$.ajax", "XMLHttpRequest"),
          "fetch": ("fetch(",), "json": ("JSON.stringify", "application/json"),
          "form": ("FormData", "serialize", "Form.serialize", "parameters:")}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_each_page_sends_its_order_as_the_manifest_says(template) -> None:  # type: ignore[no-untyped-def]
    html = page_text(template.page)
    api, body = template.submits.split()
    assert any(s in html for s in _SENDS[api]), (template.name, api)
    assert any(s in html for s in _SENDS[body]), (template.name, body)
    other = "fetch" if api == "xhr" else "xhr"
    assert not any(s in html for s in _SENDS[other] if s != "XMLHttpRequest"), template.name


def test_a_file_that_replaced_a_send_api_is_tried_next_where_orders_go_through_it() -> None:
    from skimscan.detonate.detonator import _through

    by = {t.name: t for t in TEMPLATES}
    ranked = rank(TEMPLATES, "window.fetch = function () {}")
    tried = [by["hosted-fields"]]  # fetch with a form body
    plan = [by["magento1-onepage"], by["magento2"]]
    nxt = _through(["fetch"], plan, tried, ranked)
    assert len(nxt) == len(plan) and nxt[0].submits == "fetch json"  # another kind of body
    assert nxt[1] is by["magento1-onepage"]
    # the page next in the plan already sends that way and fits best: the plan stays
    assert _through(["xhr"], [by["magento1-onepage"]], [], ranked)[0].send_api == "xhr"
    assert _through(["beacon"], plan, tried, ranked) == plan  # no page orders by beacon
    assert _through(["fetch"], [], tried, ranked) == []  # no page left to replace
    # the pages always tried stay: the default page and the hosted-field checkout
    keep = always_tried(TEMPLATES, ranked)
    assert [t.name for t in keep] == ["magento1-onepage", "hosted-fields"]
    nxt = _through(["fetch"], [by["magento2"], by["hosted-fields"]], [by["magento1-onepage"]],
                   ranked, keep)
    assert [t.name for t in nxt][1:] == ["hosted-fields"] and nxt[0].send_api == "fetch"
    assert _through(["xhr"], [by["hosted-fields"]], [by["custom-autocomplete"]], ranked,
                    keep) == [by["hosted-fields"]]
