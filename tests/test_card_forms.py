"""A card form put on the page by script (issue 16, item 4): who drew it decides the finding —
the merchant's own code (or its processor's) never, a public CDN's low, any other host high
when the shopper typed the card into that field."""

from __future__ import annotations

from skimscan.analyze.card_forms import HIJACK, RULE, hijacked_card_forms, injected_card_forms
from skimscan.models import Confidence, InstrumentEvent, Severity, verdict_for
from skimscan.policy.policy import SitePolicy
from skimscan.scanner import classifier_for

PAGE = "https://shop.example/checkout"
URLS = {
    "s1": "https://shop.example/static/checkout-app.js",
    "s2": "https://cdn-assets.test/modal/1.2/modal.min.js",
    "s3": "https://shop.example/static/jquery.min.js",
    "s4": "https://unpkg.com/react-dom@18/umd/react-dom.production.min.js",
    "s5": "https://js.stripe.com/v3/",
    "s6": "https://shop.example/checkout",  # an inline script of the page
}
CLASSIFY = classifier_for(PAGE, SitePolicy()).classify


def inserted(script: str, stack: tuple[str, ...] = (), field: str = "#m_cc") -> InstrumentEvent:
    return InstrumentEvent("card-form", {"field": field, "role": "pan", "via": "appendChild"},
                           script, stack=stack or (script,))


def judge(*events: InstrumentEvent, typed: tuple[str, ...] = ("#m_cc",),
          libraries: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return injected_card_forms(events, URLS, CLASSIFY, typed, lambda s: str(s), libraries)


def test_a_form_drawn_by_an_unapproved_host_and_typed_into_makes_the_page_malicious() -> None:
    [f] = judge(inserted("s2"))
    assert f.rule == RULE and f.severity is Severity.HIGH and f.script == "s2"
    assert f.evidence["host"] == "cdn-assets.test" and f.evidence["typed"] is True
    assert verdict_for([f]).value == "malicious"


def test_not_typed_into_is_medium_and_twice_reported_is_once() -> None:
    [f] = judge(inserted("s2", field="#other"), inserted("s2", field="#other"))
    assert f.severity is Severity.MEDIUM and f.evidence["typed"] is False


def test_the_merchants_own_code_anywhere_on_the_stack_is_never_a_finding() -> None:
    assert judge(inserted("s1")) == []  # a single-page checkout rendering its own form
    assert judge(inserted("s6")) == []  # an inline script of the page
    assert judge(inserted("s2", stack=("s2", "s1"))) == []  # the merchant called the widget
    assert judge(inserted("s5")) == []  # the processor's SDK


def test_a_kit_calling_the_shops_own_library_is_still_the_kit() -> None:
    # jQuery (the shop's, on its own host) did the appendChild; the kit called it
    event = inserted("s2", stack=("s3", "s2"))
    assert judge(event) == []  # without knowing s3 is a library: the shop's code was on it
    [f] = judge(event, libraries={"s3": "jQuery"})
    assert f.script == "s2" and f.severity is Severity.HIGH


def test_a_framework_from_a_public_cdn_is_inventory_not_an_alarm() -> None:
    [f] = judge(inserted("s4"))
    assert f.severity is Severity.LOW and verdict_for([f]).value == "clean"


def test_events_of_other_kinds_or_without_a_script_are_ignored() -> None:
    other = InstrumentEvent("inject", {"tag": "input", "via": "createElement"}, "s2")
    assert judge(other, InstrumentEvent("card-form", {"field": "#m_cc"}, None)) == []


def action(script: str | None, url: str, card: str = "1") -> InstrumentEvent:
    return InstrumentEvent("form-action", {"url": url, "field": "#co-payment-form",
                                           "card": card}, script)


def hijacks(*events: InstrumentEvent):  # type: ignore[no-untyped-def]
    return hijacked_card_forms(events, URLS, CLASSIFY, lambda s: str(s))


def test_a_card_form_pointed_at_another_host_is_form_jacking() -> None:
    [lookalike] = hijacks(action("s2", "https://slripe.com/v1/checkout/sessions"))
    assert (lookalike.rule, lookalike.severity, lookalike.confidence) == (
        HIJACK, Severity.HIGH, Confidence.HIGH)
    assert lookalike.evidence["host"] == "slripe.com" and lookalike.evidence["form"] \
        == "#co-payment-form"
    [unknown] = hijacks(action("s2", "https://collect.drop.example/p?x=1"))
    assert unknown.confidence is Confidence.MEDIUM and "?" not in unknown.evidence["action"]
    assert verdict_for([unknown]).value == "malicious"
    # the same script and host twice: once
    assert len(hijacks(action("s2", "https://a.drop.example/1"),
                       action("s2", "https://a.drop.example/2"))) == 1


def test_forms_sent_to_the_shop_or_its_processor_or_without_card_fields_are_not() -> None:
    assert hijacks(action("s2", "https://shop.example/checkout/submit"),
                   action("s2", "https://api.stripe.com/v1/tokens"),
                   action("s2", "https://collect.drop.example/", card=""),
                   action("s2", "/relative/only")) == []
    [own] = hijacks(action("s1", "https://gateway.unlisted.example/pay"))  # the shop's code
    assert own.severity is Severity.MEDIUM and verdict_for([own]).value != "malicious"
    [inline] = hijacks(action("s9", "https://gateway.unlisted.example/pay"))  # no URL: inline
    assert inline.severity is Severity.MEDIUM
    assert hijacks(action(None, "https://collect.drop.example/")) == []
