"""Host maps: parsing `--map-host`, Chromium's resolver rules, the aiohttp resolver (no browser)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from skimscan.capture.hostmap import HostMap, HostRule, is_loopback
from skimscan.errors import ConfigError


def test_parse_simple_rule() -> None:
    rule = HostRule.parse("shop.test=127.0.0.1:8443")
    assert rule == HostRule(pattern="shop.test", address="127.0.0.1", port=8443)
    assert rule.chromium_rule == "MAP shop.test 127.0.0.1:8443"


def test_parse_wildcard_without_port_and_case() -> None:
    rule = HostRule.parse("  *.Shop.TEST = 10.0.0.5 ")
    assert rule.pattern == "*.shop.test"
    assert rule.port is None
    assert rule.chromium_rule == "MAP *.shop.test 10.0.0.5"


def test_parse_pattern_with_port_and_ipv6_address() -> None:
    rule = HostRule.parse("js.stripe.com:443=[::1]:9443")
    assert rule.pattern_port == 443
    assert rule.address == "::1"
    assert rule.chromium_rule == "MAP js.stripe.com:443 [::1]:9443"


def test_parse_host_name_address() -> None:
    assert HostRule.parse("www.shop.com=staging.internal:8080").address == "staging.internal"


@pytest.mark.parametrize(
    "spec",
    [
        "shop.test",
        "=127.0.0.1",
        "shop.test=",
        "shop.test=127.0.0.1:99999",
        "shop.test=127.0.0.1:http",
        "shop test=127.0.0.1",
        "shop.test=not an address",
        "shop..test=127.0.0.1",
        "shop.test=[::1",
    ],
)
def test_malformed_rules_raise_config_error(spec: str) -> None:
    with pytest.raises(ConfigError) as info:
        HostRule.parse(spec)
    assert "--map-host" in str(info.value)
    assert "\n" not in str(info.value)


def test_wildcards_match_like_chromium() -> None:
    hm = HostMap.parse(["*.shop.test=127.0.0.1:1"])
    assert hm.lookup("www.shop.test", 443) == ("127.0.0.1", 1)
    assert hm.lookup("a.b.shop.test", 80) == ("127.0.0.1", 1)
    assert hm.lookup("shop.test", 443) is None  # '*.' needs a label
    assert hm.lookup("evilshop.test", 443) is None


def test_port_specific_rules_come_first() -> None:
    hm = HostMap.parse(["shop.test=127.0.0.1:8080", "shop.test:443=127.0.0.1:8443"])
    assert hm.lookup("shop.test", 443) == ("127.0.0.1", 8443)
    assert hm.lookup("shop.test", 80) == ("127.0.0.1", 8080)
    assert hm.chromium_rules() == ("MAP shop.test:443 127.0.0.1:8443, MAP shop.test 127.0.0.1:8080")


def test_rule_without_port_keeps_request_port() -> None:
    hm = HostMap.parse(["api.shop.test=10.1.2.3"])
    assert hm.lookup("api.shop.test", 8443) == ("10.1.2.3", 8443)


def test_confine_adds_catch_all_excluding_loopback() -> None:
    hm = HostMap.parse(["shop.test=127.0.0.1:1"], confine=True)
    rules = hm.chromium_rules()
    assert rules.startswith("MAP shop.test 127.0.0.1:1, MAP * ~NOTFOUND")
    assert "EXCLUDE localhost" in rules
    assert hm.chromium_args() == [f"--host-resolver-rules={rules}"]


def test_empty_map_adds_no_flag() -> None:
    assert HostMap().chromium_args() == []
    assert HostMap.parse([]).chromium_rules() == ""


def test_is_loopback() -> None:
    assert is_loopback("localhost")
    assert is_loopback("127.0.0.1")
    assert is_loopback("[::1]")
    assert not is_loopback("shop.test")


def test_resolver_maps_host_and_port() -> None:
    hm = HostMap.parse(["shop.test:443=127.0.0.1:8443"])

    async def go() -> list[dict[str, object]]:
        resolver = hm.resolver()
        try:
            return await resolver.resolve("shop.test", 443, socket.AF_INET)
        finally:
            await resolver.close()

    result = asyncio.run(go())
    assert result[0]["host"] == "127.0.0.1"
    assert result[0]["port"] == 8443
    assert result[0]["hostname"] == "shop.test"


def test_confined_resolver_refuses_unmapped_names() -> None:
    hm = HostMap.parse(["shop.test=127.0.0.1:1"], confine=True)

    async def go() -> None:
        resolver = hm.resolver()
        try:
            await resolver.resolve("www.example.com", 443, socket.AF_INET)
        finally:
            await resolver.close()

    with pytest.raises(OSError, match="not in the host map"):
        asyncio.run(go())
