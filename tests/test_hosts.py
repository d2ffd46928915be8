"""STAGE 4 (policy): host classification, the service catalogue and look-alike detection."""

from __future__ import annotations

import subprocess
import sys
from unittest import mock

import pytest

from skimscan.errors import ConfigError
from skimscan.models import HostClass
from skimscan.policy.hosts import (
    HostClassifier,
    ServiceCatalog,
    load_catalog,
    normalise_host,
    registrable_domain,
)
from skimscan.policy.lookalike import edit_distance, find_lookalike, fold_label, skeleton

UNRELATED_SITE = "https://shop.example.org/checkout"


@pytest.fixture(scope="module")
def plain() -> HostClassifier:
    return HostClassifier()


# --------------------------------------------------------------------------- registrable domain


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", "example.com"),
        ("www.example.com", "example.com"),
        ("a.b.c.example.com", "example.com"),
        ("foo.co.uk", "foo.co.uk"),
        ("www.foo.co.uk", "foo.co.uk"),
        ("x.github.io", "x.github.io"),  # private section of the PSL
        ("a.x.github.io", "x.github.io"),
        ("shop.myshopify.com", "shop.myshopify.com"),
        ("fonts.googleapis.com", "fonts.googleapis.com"),
        ("WWW.Example.COM.", "example.com"),
        ("example.com:8443", "example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("www.xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("shop.test", "shop.test"),  # unknown TLDs count as suffixes
        ("co.uk", None),
        ("com", None),
        ("github.io", None),
        ("localhost", None),
        ("127.0.0.1", None),
        ("[::1]", None),
        ("", None),
        ("a..b", None),
        ("exa mple.com", None),
    ],
)
def test_registrable_domain(host: str, expected: str | None) -> None:
    assert registrable_domain(host) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("Example.COM.", "example.com"),
        ("[::1]:8080", "::1"),
        ("0x7f.1", "127.0.0.1"),  # browsers read hex and short forms as IPv4
        ("3232235777", "192.168.1.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("1.2.3.4.5", None),
        ("%65vil.com", "evil.com"),
        ("${host}", None),
    ],
)
def test_normalise_host(host: str, expected: str | None) -> None:
    assert normalise_host(host) == expected


# --------------------------------------------------------------------------- URL forms


@pytest.mark.parametrize(
    ("url", "host", "host_class", "reason"),
    [
        ("https://evil.com/p", "evil.com", HostClass.UNKNOWN, ""),
        ("//evil.com/p", "evil.com", HostClass.UNKNOWN, ""),
        ("wss://ws.evil.com:8443/s", "ws.evil.com", HostClass.UNKNOWN, ""),
        ("evil.com", "evil.com", HostClass.UNKNOWN, ""),
        ("evil.com:8080/x", "evil.com", HostClass.UNKNOWN, ""),
        ("https://user:pw@Evil.COM.:443/", "evil.com", HostClass.UNKNOWN, ""),
        ("https://stripe.com@evil.com/", "evil.com", HostClass.UNKNOWN, ""),
        ("https:\\\\evil.com\\x", "evil.com", HostClass.UNKNOWN, ""),
        ("\\\\evil.com/x", "evil.com", HostClass.UNKNOWN, ""),
        (" \t https://evil.com/\n", "evil.com", HostClass.UNKNOWN, ""),
        ("/api/x", "shop.example.org", HostClass.FIRST_PARTY, "relative URL"),
        ("api/x", "shop.example.org", HostClass.FIRST_PARTY, "relative URL"),
        ("?a=1", "shop.example.org", HostClass.FIRST_PARTY, "relative URL"),
        ("./x", "shop.example.org", HostClass.FIRST_PARTY, "relative URL"),
        ("#top", "shop.example.org", HostClass.FIRST_PARTY, "relative URL"),
        ("jquery.min.js", "shop.example.org", HostClass.FIRST_PARTY, "relative URL"),
        ("data:text/plain,4111", "", HostClass.FIRST_PARTY, "local scheme (data:)"),
        ("blob:https://evil.com/uuid", "", HostClass.FIRST_PARTY, "local scheme (blob:)"),
        ("javascript:void(0)", "", HostClass.FIRST_PARTY, "local scheme (javascript:)"),
        ("mailto:a@evil.com", "", HostClass.UNKNOWN, "mailto: URL has no network host"),
        ("https://", "", HostClass.UNRESOLVED, "URL without a host"),
        ("https://${host}/x", "", HostClass.UNRESOLVED, "unparseable host"),
        ("", "", HostClass.UNRESOLVED, "empty URL"),
        ("https://127.0.0.1/", "127.0.0.1", HostClass.UNKNOWN, "bare IP address"),
        ("http://0x7f.1/", "127.0.0.1", HostClass.UNKNOWN, "bare IP address"),
        ("https://203.0.113.9/", "203.0.113.9", HostClass.UNKNOWN, "bare IP address"),
        ("https://[2001:db8::1]:8/", "2001:db8::1", HostClass.UNKNOWN, "bare IP address"),
        ("HTTPS://SHOP.Example.ORG/", "shop.example.org", HostClass.FIRST_PARTY, "own host"),
        ("https://cdn.example.org/a.js", "cdn.example.org", HostClass.FIRST_PARTY, "same"),
        ("https://bücher.de/", "xn--bcher-kva.de", HostClass.UNKNOWN, ""),
    ],
)
def test_url_forms(url: str, host: str, host_class: HostClass, reason: str) -> None:
    info = HostClassifier(UNRELATED_SITE).classify(url)
    assert (info.host, info.host_class) == (host, host_class), info
    assert reason in info.reason


def test_none_is_unresolved(plain: HostClassifier) -> None:
    assert plain.classify(None).host_class is HostClass.UNRESOLVED


def test_relative_url_without_site_is_first_party(plain: HostClassifier) -> None:
    info = plain.classify("/checkout/submit")
    assert info.host_class is HostClass.FIRST_PARTY
    assert info.host == ""


def test_huge_data_url_is_cheap(plain: HostClassifier) -> None:
    info = plain.classify("data:image/png;base64," + "A" * 5_000_000)
    assert info.host_class is HostClass.FIRST_PARTY


# --------------------------------------------------------------------------- site and first party


@pytest.mark.parametrize(
    "site", ["https://www.shop.co.uk/checkout?x=1", "www.shop.co.uk", "shop.co.uk", "//shop.co.uk"]
)
def test_site_forms(site: str) -> None:
    classifier = HostClassifier(site)
    for host in ("shop.co.uk", "api.shop.co.uk", "www.shop.co.uk"):
        assert classifier.classify_host(host).host_class is HostClass.FIRST_PARTY
    assert classifier.classify_host("other.co.uk").host_class is HostClass.UNKNOWN


def test_pages_without_a_site() -> None:
    assert HostClassifier("file:///tmp/page.html").site is None
    assert HostClassifier("about:blank").site is None


def test_bad_site_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        HostClassifier("https://exa mple.com/")


def test_tenants_of_a_private_suffix_are_different_parties() -> None:
    classifier = HostClassifier("https://shop-a.myshopify.com/cart")
    assert classifier.classify_host("shop-a.myshopify.com").host_class is HostClass.FIRST_PARTY
    other = classifier.classify_host("shop-b.myshopify.com")
    assert other.host_class is HostClass.UNKNOWN
    assert other.service == "Shopify stores"


def test_loopback_is_first_party_only_for_a_loopback_site() -> None:
    local = HostClassifier("http://localhost:3000/checkout")
    assert local.classify("http://127.0.0.1:3000/x").host_class is HostClass.FIRST_PARTY
    assert local.classify("http://[::1]/x").host_class is HostClass.FIRST_PARTY
    remote = HostClassifier(UNRELATED_SITE)
    info = remote.classify("http://127.0.0.1/x")
    assert info.host_class is HostClass.UNKNOWN
    assert "bare IP address" in info.reason


def test_same_ip_as_the_page_is_first_party() -> None:
    classifier = HostClassifier("http://192.0.2.10/shop")
    assert classifier.classify("http://192.0.2.10:8080/api").host_class is HostClass.FIRST_PARTY
    assert classifier.classify("http://192.0.2.11/api").host_class is HostClass.UNKNOWN


# --------------------------------------------------------------------------- precedence


def test_known_bad_beats_everything() -> None:
    classifier = HostClassifier(
        "https://shop.example.org/",
        approved=["cdn.evil.net"],
        processors=["stripe.com"],
        known_bad=["static.example.org", "evil.net", "https://js.stripe.com/v3"],
    )
    for host in ("static.example.org", "cdn.evil.net", "a.b.evil.net", "js.stripe.com"):
        info = classifier.classify_host(host)
        assert info.host_class is HostClass.KNOWN_BAD, host
        assert "indicator of compromise" in info.reason
    assert classifier.classify_host("www.example.org").host_class is HostClass.FIRST_PARTY
    assert classifier.classify_host("api.stripe.com").host_class is HostClass.PROCESSOR


def test_known_bad_ip() -> None:
    classifier = HostClassifier(known_bad=["198.51.100.7"])
    assert classifier.classify("http://198.51.100.7/g").host_class is HostClass.KNOWN_BAD


def test_first_party_beats_approved() -> None:
    classifier = HostClassifier("example.org", approved=["*.example.org"])
    assert classifier.classify_host("cdn.example.org").host_class is HostClass.FIRST_PARTY


def test_approved_exact_and_wildcard() -> None:
    classifier = HostClassifier(
        "shop.example.org", approved=["*.example-cdn.com", "assets.partner.net", "https://x.io/"]
    )
    assert classifier.classify_host("a.example-cdn.com").host_class is HostClass.APPROVED
    assert classifier.classify_host("a.b.example-cdn.com").host_class is HostClass.APPROVED
    # As in CSP, `*.domain` does not cover the domain itself; an exact host covers only itself.
    assert classifier.classify_host("example-cdn.com").host_class is not HostClass.APPROVED
    assert classifier.classify_host("assets.partner.net").host_class is HostClass.APPROVED
    assert classifier.classify_host("cdn.partner.net").host_class is HostClass.UNKNOWN
    assert classifier.classify_host("x.io").host_class is HostClass.APPROVED
    assert (
        "approved by the policy (*.example-cdn.com)"
        in classifier.classify_host("a.example-cdn.com").reason
    )


def test_approved_beats_processor_and_look_alike_and_keeps_service() -> None:
    classifier = HostClassifier("newegg.com", approved=["js.stripe.com", "neweggstats.com"])
    stripe = classifier.classify_host("js.stripe.com")
    assert stripe.host_class is HostClass.APPROVED
    assert (stripe.service, stripe.category) == ("Stripe", "payment")
    assert classifier.classify_host("neweggstats.com").host_class is HostClass.APPROVED


def test_policy_processors_cover_subdomains() -> None:
    classifier = HostClassifier(processors=["mypsp.example"])
    for host in ("mypsp.example", "api.mypsp.example"):
        info = classifier.classify_host(host)
        assert info.host_class is HostClass.PROCESSOR
        assert "listed in the policy" in info.reason
    assert classifier.classify_host("mypsp.example.net").host_class is HostClass.UNKNOWN


def test_look_alike_beats_well_known() -> None:
    classifier = HostClassifier()
    assert classifier.classify_host("www.googletagmanager.com").host_class is HostClass.WELL_KNOWN
    assert classifier.classify_host("googletagmanager.eu").host_class is HostClass.LOOKALIKE


@pytest.mark.parametrize(
    "pattern",
    ["*", "*.com", "*.co.uk", "*.github.io", "https://", "exa mple.com", "${x}"],
)
def test_overbroad_or_invalid_approved_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ConfigError):
        HostClassifier(approved=[pattern])


@pytest.mark.parametrize("pattern", ["com", "github.io", "*.herokuapp.com"])
def test_processors_may_not_be_a_public_suffix(pattern: str) -> None:
    with pytest.raises(ConfigError):
        HostClassifier(processors=[pattern])


# --------------------------------------------------------------------------- the catalogue


def test_catalogue_loads_once_and_is_versioned() -> None:
    catalog = load_catalog()
    assert catalog is load_catalog()
    assert len(catalog.version) == 10 and catalog.version[4] == "-"
    assert len(catalog.services) > 100
    assert len(catalog.brands) > 40


def test_nothing_is_read_at_import_time() -> None:
    code = (
        "import skimscan.policy.hosts as h, skimscan.policy.lookalike\n"
        "print(h.load_catalog.cache_info().currsize, h._psl.cache_info().currsize)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["0", "0"]


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("js.stripe.com", "Stripe"),
        ("m.stripe.network", "Stripe"),
        ("b.stripecdn.com", "Stripe"),
        ("api.braintreegateway.com", "Braintree"),
        ("payments.braintree-api.com", "Braintree"),
        ("braintreepayments.com", "Braintree"),
        ("checkoutshopper-live.adyen.com", "Adyen"),
        ("x.adyenpayments.com", "Adyen"),
        ("www.paypal.com", "PayPal"),
        ("www.paypalobjects.com", "PayPal"),
        ("frames.checkout.com", "Checkout.com"),
        ("js.authorize.net", "Authorize.net"),
        ("web.squarecdn.com", "Square"),
        ("pci-connect.squareup.com", "Square"),
        ("access.worldpay.com", "Worldpay"),
        ("js.klarna.com", "Klarna"),
        ("x.klarnaservices.com", "Klarna"),
        ("x.klarnacdn.net", "Klarna"),
        ("flex.cybersource.com", "Cybersource"),
        ("js.mollie.com", "Mollie"),
        ("checkout.razorpay.com", "Razorpay"),
        ("js.afterpay.com", "Afterpay / Clearpay"),
        ("cdn1.affirm.com", "Affirm"),
        ("apple-pay-gateway.apple.com", "Apple Pay"),
        ("pay.google.com", "Google Pay"),
        ("static-na.payments-amazon.com", "Amazon Pay"),
        ("js.globalpay.com", "Global Payments / Heartland"),
        ("js.recurly.com", "Recurly"),
        ("js.chargebee.com", "Chargebee"),
        ("core.spreedly.com", "Spreedly"),
        ("secure.2checkout.com", "2Checkout / Verifone"),
        ("cdn.safecharge.com", "Nuvei"),
        ("checkout.pci.shopifyinc.com", "Shopify Payments"),
        ("deposit.us.shopifycs.com", "Shopify Payments"),
    ],
)
def test_processors(plain: HostClassifier, host: str, service: str) -> None:
    info = plain.classify_host(host)
    assert info.host_class is HostClass.PROCESSOR, info
    assert (info.service, info.category) == (service, "payment")
    assert info.host_class.is_trusted_for_card_data


@pytest.mark.parametrize(
    ("host", "category"),
    [
        ("www.google-analytics.com", "analytics"),
        ("region1.google-analytics.com", "analytics"),
        ("analytics.google.com", "analytics"),
        ("api.mixpanel.com", "analytics"),
        ("cdn.segment.com", "analytics"),
        ("api.segment.io", "analytics"),
        ("cdn.amplitude.com", "analytics"),
        ("www.googletagmanager.com", "tag-manager"),
        ("tagmanager.google.com", "tag-manager"),
        ("tags.tiqcdn.com", "tag-manager"),
        ("assets.adobedtm.com", "tag-manager"),
        ("api.telegram.org", "messaging"),
        ("discord.com", "messaging"),
        ("hooks.slack.com", "messaging"),
        ("static.hotjar.com", "session-replay"),
        ("edge.fullstory.com", "session-replay"),
        ("www.clarity.ms", "session-replay"),
        ("us.i.posthog.com", "session-replay"),
        ("widget.intercom.io", "chat"),
        ("static.zdassets.com", "chat"),
        ("client.crisp.chat", "chat"),
        ("embed.tawk.to", "chat"),
        ("ticketmaster.inbenta.io", "chat"),
        ("o1.ingest.sentry.io", "error-tracking"),
        ("browser.sentry-cdn.com", "error-tracking"),
        ("browser-intake-datadoghq.com", "monitoring"),
        ("cdn.jsdelivr.net", "cdn"),
        ("cdnjs.cloudflare.com", "cdn"),
        ("unpkg.com", "cdn"),
        ("code.jquery.com", "cdn"),
        ("ajax.googleapis.com", "cdn"),
        ("www.gstatic.com", "cdn"),
        ("fonts.googleapis.com", "fonts"),
        ("fonts.gstatic.com", "fonts"),
        ("use.fontawesome.com", "fonts"),
        ("use.typekit.net", "fonts"),
        ("connect.facebook.net", "social"),
        ("platform.twitter.com", "social"),
        ("googleads.g.doubleclick.net", "ads"),
        ("www.google.com", "platform"),
        ("cdn.shopify.com", "ecommerce"),
    ],
)
def test_well_known(plain: HostClassifier, host: str, category: str) -> None:
    info = plain.classify_host(host)
    assert info.host_class is HostClass.WELL_KNOWN, info
    assert info.category == category
    assert info.service
    assert not info.host_class.is_trusted_for_card_data


def test_trusted_channels_say_who_receives_the_data(plain: HostClassifier) -> None:
    telegram = plain.classify("https://api.telegram.org/bot123:abc/sendMessage")
    assert telegram.service == "Telegram Bot API"
    assert "whoever owns the bot" in telegram.reason
    analytics = plain.classify("https://www.google-analytics.com/collect?tid=UA-1")
    assert "whoever owns the analytics property" in analytics.reason


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("evil.herokuapp.com", "Heroku"),
        ("storage.googleapis.com", "Google Cloud Storage"),
        ("raw.githubusercontent.com", "GitHub Pages and raw content"),
        ("d1234.cloudfront.net", "Amazon CloudFront"),
        ("abc.ngrok-free.app", "ngrok tunnels"),
        ("webhook.site", "Webhook.site"),
        ("x.workers.dev", "Cloudflare Pages / Workers / R2"),
    ],
)
def test_multi_tenant_hosts_are_unknown_with_the_platform_named(
    plain: HostClassifier, host: str, service: str
) -> None:
    info = plain.classify_host(host)
    assert info.host_class is HostClass.UNKNOWN
    assert info.service == service
    assert "anyone can" in info.reason


def test_every_catalogue_domain_classifies_as_its_own_service(plain: HostClassifier) -> None:
    for service in load_catalog().services:
        for domain in service.domains:
            info = plain.classify_host(domain)
            if service.multi_tenant:
                expected = HostClass.UNKNOWN
            elif service.category == "payment":
                expected = HostClass.PROCESSOR
            else:
                expected = HostClass.WELL_KNOWN
            assert info.host_class is expected, (domain, info)
            assert info.service == service.name, (domain, info)


def test_catalogue_validation() -> None:
    good = {
        "version": "2026-01-31",
        "categories": {"payment": "x", "cdn": "y"},
        "lookalike_words": ["cdn"],
        "services": [
            {"service": "Pay", "category": "payment", "domains": ["pay.example"]},
            {"service": "Cdn", "category": "cdn", "domains": ["cdn.example"], "brand_tokens": []},
        ],
    }
    catalog = ServiceCatalog.from_mapping(good)
    assert HostClassifier(catalog=catalog).classify_host("a.pay.example").service == "Pay"

    def broken(**changes: object) -> dict[str, object]:
        return {**good, **changes}

    bad_documents: list[object] = [
        [],
        broken(version="yesterday"),
        broken(extra=1),
        broken(services=[{"service": "A", "category": "nope", "domains": ["a.example"]}]),
        broken(services=[{"service": "A", "category": "cdn", "domains": ["A.example"]}]),
        broken(services=[{"service": "A", "category": "cdn", "domains": []}]),
        broken(services=[{"service": "A", "category": "cdn", "domains": ["a.example"], "x": 1}]),
        broken(
            services=[
                {"service": "A", "category": "cdn", "domains": ["a.example"]},
                {"service": "B", "category": "cdn", "domains": ["a.example"]},
            ]
        ),
        broken(
            services=[
                {"service": "A", "category": "cdn", "domains": ["a.ex"], "brand_tokens": ["A B"]}
            ]
        ),
        broken(
            services=[
                {"service": "A", "category": "cdn", "domains": ["a.ex"], "brand_tokens": ["ab"]}
            ]
        ),
    ]
    for document in bad_documents:
        with pytest.raises(ConfigError):
            ServiceCatalog.from_mapping(document)


# --------------------------------------------------------------------------- look-alikes


@pytest.mark.parametrize(
    ("host", "site", "imitated"),
    [
        ("baways.com", "https://www.britishairways.com/travel/pay", "britishairways.com"),
        ("neweggstats.com", "https://secure.newegg.com/checkout", "newegg.com"),
        ("g-analytics.com", None, "google-analytics.com"),
        ("googletagmanager.eu", None, "googletagmanager.com"),
        ("slripe.com", None, "stripe.com"),
        ("jsdellvr.com", None, "jsdelivr.net"),
        ("fontsawesome.gq", None, "fontawesome.com"),
        ("paypa1.com", None, "paypal.com"),
        ("stripe-cdn.net", None, "stripe.com"),
        ("braintree-gateway.org", None, "braintreegateway.com"),
        ("googie-analytics.com", None, "google-analytics.com"),
        ("magento-cdn.top", None, "magento.com"),
        ("jquery-min.org", None, "jquery.com"),
        ("cdn-jsdelivr.com", None, "jsdelivr.net"),
        # more techniques
        ("jsdeliver.net", None, "jsdelivr.net"),  # one letter added (long name)
        ("strlpe.com", None, "stripe.com"),  # homoglyph
        ("arnazon-pay.com", None, "amazonpay.com"),  # rn → m
        ("xn--pypal-4ve.com", None, "paypal.com"),  # Cyrillic а in an IDN label
        ("jqeury.com", None, "jquery.com"),  # swapped letters
        ("slripe-cdn.com", None, "stripe.com"),  # typo plus generic word
        ("secure-stripe-payments.com", None, "stripe.com"),  # words on both sides
        ("js.stripe.com.evil.net", None, "stripe.com"),  # brand domain as subdomain
        ("www.newegg.com.cdn-x.net", "newegg.com", "newegg.com"),
        ("stripe-api.herokuapp.com", None, "stripe.com"),  # tenant of a shared platform
        ("google-analytics.eu", None, "google-analytics.com"),
        ("gtagmanager.com", None, "googletagmanager.com"),  # abbreviation
        ("new-egg.com", "newegg.com", "newegg.com"),  # site name hyphenated
        ("xn--80ak6aa92e.com", "https://www.apple.com/shop", "apple.com"),  # Cyrillic "apple"
    ],
)
def test_look_alikes(host: str, site: str | None, imitated: str) -> None:
    info = HostClassifier(site).classify_host(host)
    assert info.host_class is HostClass.LOOKALIKE, info
    assert info.lookalike_of == imitated
    assert info.reason.startswith(f"look-alike of {imitated}")
    assert not info.host_class.is_trusted_for_card_data


def test_site_look_alikes_need_the_site() -> None:
    assert HostClassifier().classify_host("neweggstats.com").host_class is HostClass.UNKNOWN
    assert HostClassifier().classify_host("baways.com").host_class is HostClass.UNKNOWN


def test_site_name_under_another_suffix_is_unknown_with_advice() -> None:
    info = HostClassifier("newegg.com").classify_host("newegg.ca")
    assert info.host_class is HostClass.UNKNOWN
    assert "site's name under another suffix" in info.reason


NOT_LOOKALIKES = [
    "stripe.com", "js.stripe.com", "m.stripe.network", "api.braintreegateway.com",
    "checkoutshopper-live.adyen.com", "www.paypal.com", "www.google-analytics.com",
    "analytics.google.com", "www.googletagmanager.com", "google.com", "googleapis.com",
    "gstatic.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com", "code.jquery.com",
    "fonts.googleapis.com", "use.fontawesome.com", "api.telegram.org", "widget.intercom.io",
    "static.hotjar.com", "browser.sentry-cdn.com", "cdn.segment.com", "api.mixpanel.com",
    "cdn.amplitude.com",
    # Decided: ordinary words one letter away from a short brand are not look-alikes.
    "strip.com", "striped.com", "stripes.com", "strike.com", "stride.com",
    # Ordinary unrelated domains.
    "example.com", "github.com", "apple.com", "shopify.com", "bbc.co.uk", "amazon.com",
    "wikipedia.org", "cloudflare.com", "newrelic.com", "stackpath.com", "facebook.net",
    "twitter.com", "linkedin.com", "yahoo.com", "microsoft.com", "office.com",
]  # fmt: skip


@pytest.mark.parametrize("site", [None, UNRELATED_SITE])
@pytest.mark.parametrize("host", NOT_LOOKALIKES)
def test_not_look_alikes(host: str, site: str | None) -> None:
    info = HostClassifier(site).classify_host(host)
    assert info.host_class is not HostClass.LOOKALIKE, info


# Common real domains, chosen for variety (news, retail, banks, SaaS, brands in many countries),
# and deliberately including near misses of catalogue brands (stripes.com, telegraph.co.uk,
# paypay.ne.jp, captcha.net, clearway.com) and brand-owned domains under other suffixes.
_COMMON_DOMAINS_TEXT = """
google.com youtube.com facebook.com instagram.com whatsapp.com x.com twitter.com linkedin.com
wikipedia.org amazon.com amazon.co.uk amazon.de ebay.com ebay.co.uk reddit.com netflix.com
microsoft.com office.com live.com bing.com yahoo.com apple.com icloud.com github.com gitlab.com
stackoverflow.com medium.com wordpress.com wordpress.org blogger.com tumblr.com pinterest.com
tiktok.com snapchat.com discord.com slack.com zoom.us dropbox.com box.com salesforce.com
oracle.com ibm.com adobe.com intel.com nvidia.com samsung.com sony.com lg.com dell.com hp.com
lenovo.com cisco.com vmware.com atlassian.com notion.so figma.com canva.com spotify.com
soundcloud.com twitch.tv imdb.com espn.com cnn.com nytimes.com washingtonpost.com
theguardian.com bbc.co.uk bbc.com telegraph.co.uk dailymail.co.uk independent.co.uk reuters.com
bloomberg.com forbes.com wsj.com ft.com economist.com stripes.com time.com usatoday.com npr.org
weather.com accuweather.com booking.com expedia.com airbnb.com tripadvisor.com hotels.com
kayak.com skyscanner.net ryanair.com easyjet.com britishairways.com ba.com lufthansa.com
delta.com united.com aa.com emirates.com uber.com lyft.com doordash.com grubhub.com
deliveroo.co.uk just-eat.co.uk walmart.com target.com bestbuy.com homedepot.com lowes.com
costco.com ikea.com etsy.com aliexpress.com alibaba.com wish.com zalando.de asos.com nike.com
adidas.com zara.com hm.com uniqlo.com gap.com newegg.com neweggbusiness.com wayfair.com
chewy.com sephora.com ulta.com macys.com nordstrom.com kohls.com argos.co.uk tesco.com
sainsburys.co.uk johnlewis.com marksandspencer.com currys.co.uk otto.de mediamarkt.de
rakuten.co.jp mercadolibre.com.ar flipkart.com paytm.com paypay.ne.jp visa.com mastercard.com
americanexpress.com discover.com chase.com bankofamerica.com wellsfargo.com citi.com
capitalone.com hsbc.co.uk barclays.co.uk lloydsbank.com santander.co.uk revolut.com monzo.com
wise.com venmo.com cash.app coinbase.com binance.com kraken.com robinhood.com fidelity.com
vanguard.com schwab.com intuit.com xero.com zendesk.com freshdesk.com hubspot.com mailchimp.com
sendgrid.com twilio.com okta.com auth0.com cloudflare.com akamai.com fastly.com
digitalocean.com linode.com heroku.com vercel.com netlify.com godaddy.com namecheap.com
squarespace.com wix.com shopify.com bigcommerce.com woocommerce.com magento.com prestashop.com
opencart.com ecwid.com gumroad.com patreon.com kickstarter.com gofundme.com eventbrite.com
ticketmaster.com ticketmaster.co.uk stubhub.com livenation.com yelp.com zillow.com
craigslist.org indeed.com glassdoor.com monster.com duckduckgo.com baidu.com yandex.ru qq.com
weibo.com naver.com vk.com mail.ru archive.org mozilla.org python.org npmjs.com pypi.org
readthedocs.io docker.com kubernetes.io w3.org w3schools.com gstatic.com googleapis.com
doubleclick.net newrelic.com nr-data.net stackpath.com bootstrapcdn.com jsdelivr.net unpkg.com
cdnjs.com typekit.net fontawesome.com fonts.com segment.com amplitude.com mixpanel.com
hotjar.com fullstory.com optimizely.com criteo.com taboola.com outbrain.com trustpilot.com
yotpo.com klaviyo.com onetrust.com cookiebot.com recaptcha.net hcaptcha.com captcha.net
strike.com clearway.com stride.com strip.com striped.com telegram.com braintree.gov.uk
google.de google.co.uk google.co.jp google.com.au google.fr paypal.de klarna.se facebook.de
microsoft.de amazon.fr amazon.co.jp twitter.jp youtube.de linkedin.cn cloudflare.net
xn--bcher-kva.de jquery.com jqueryui.com code.org paddle.com square.com sentry.com
checkout.org segment.org intercom.co.uk heap.com drift.net crisp.co.uk clarity.com affirm.org
stripe.press stripe.dev googlegroups.com goodreads.com worldbank.org worldpay.co.uk
payoneer.com paysafecard.com skrill.com neteller.com postmates.com posthaven.com logitech.com
magnet.com magenta.de sentinel.com typeform.com calendly.com docusign.com zapier.com
airtable.com trello.com asana.com monday.com clickup.com basecamp.com bitbucket.org
sourceforge.net jetbrains.com
"""
COMMON_DOMAINS = _COMMON_DOMAINS_TEXT.split()


def test_common_domains_list_is_big_enough() -> None:
    assert len(COMMON_DOMAINS) >= 200
    assert len(set(COMMON_DOMAINS)) == len(COMMON_DOMAINS)


@pytest.mark.parametrize(
    "site",
    [
        None,
        UNRELATED_SITE,
        "https://www.britishairways.com/travel/pay",
        "https://secure.newegg.com/checkout",
        "https://www.ticketmaster.co.uk/checkout",
    ],
)
def test_common_domains_are_never_look_alikes(site: str | None) -> None:
    classifier = HostClassifier(site)
    flagged = {
        host: info.reason
        for domain in COMMON_DOMAINS
        for host in (domain, "www." + domain)
        if (info := classifier.classify_host(host)).host_class is HostClass.LOOKALIKE
    }
    assert flagged == {}


def test_common_domains_as_sites_do_not_flag_each_other() -> None:
    sample = COMMON_DOMAINS[::7]
    for site in sample:
        classifier = HostClassifier(site)
        for host in sample:
            assert classifier.classify_host(host).host_class is not HostClass.LOOKALIKE, (
                site,
                host,
            )


# --------------------------------------------------------------------------- look-alike helpers


def test_skeleton_folds_homoglyphs() -> None:
    assert skeleton("paypa1") == skeleton("paypal")
    assert skeleton("rnicrosoft") == skeleton("microsoft")
    assert skeleton("g00gle") == skeleton("google")
    assert skeleton("vvix") == skeleton("wix")
    assert skeleton("stripe") != skeleton("strike")


def test_fold_label_reads_idn_and_diacritics() -> None:
    assert fold_label("xn--80ak6aa92e") == "apple"
    assert fold_label("strípe") == "stripe"
    assert fold_label("example") == "example"


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("stripe", "stripe", 0), ("stripe", "strpie", 1), ("jsdelivr", "jsdeliver", 1),
     ("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3)],
)  # fmt: skip
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, limit=3) == distance


# --------------------------------------------------------------------------- memoisation


def test_classification_is_memoised_per_instance() -> None:
    classifier = HostClassifier("newegg.com")
    with mock.patch("skimscan.policy.hosts.find_lookalike", wraps=find_lookalike) as spy:
        first = classifier.classify("https://neweggstats.com/a")
        second = classifier.classify("//NEWEGGSTATS.com./b?x=1")
        third = classifier.classify_host("neweggstats.com:443")
    assert first is second is third
    assert spy.call_count == 1
    other = HostClassifier("newegg.com")
    assert other.classify_host("neweggstats.com") == first
