"""The synthetic checkout's templates: the manifest, its pages, and the order files try them."""

from __future__ import annotations

import re

import pytest

from skimscan.detonate.templates import (
    HOSTED_FIELD_PAGE,
    SAMPLE_MARKER,
    load_templates,
    page_text,
    rank,
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
