"""STAGE 1 (capture): host maps — send host names to other addresses.

`--map-host 'PATTERN=ADDRESS[:PORT]'` (repeatable) lets staging be scanned under production names
and lets tests serve third-party hosts (`js.stripe.com`, `www.google-analytics.com`) from a local
server. One `HostMap` feeds both capture modes:

- the browser, as Chromium's `--host-resolver-rules` (`MAP pattern address[:port]`), and
- static mode, as an aiohttp resolver (`HostMap.resolver()`).

Invariants:
- Matching is Chromium's, reproduced in `HostMap.lookup`: rules are tried in order; a rule
  matches on the host name alone, or on `host:port`; `*` and `?` are wildcards (so `*.shop.test`
  matches `www.shop.test`, not `shop.test`). Rules whose pattern names a port come first, because
  Chromium would otherwise let a port-less rule for the same name win.
- `confine=True` adds a catch-all that makes every other name fail to resolve (loopback names
  excepted), so a test scan can never reach the internet by accident.
- Parsing is pure; nothing here touches the network.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from skimscan.errors import ConfigError

_LABEL = re.compile(r"^[a-z0-9*?_]([a-z0-9*?_-]*[a-z0-9*?_])?$")
_ADDR_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$")
_LOOPBACK_NAMES = ("localhost", "*.localhost")


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"--map-host {spec!r}: port {text!r} is not a number from 1 to 65535")
    return int(text)


def _split_host_port(text: str, spec: str, what: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ConfigError(f"--map-host {spec!r}: unclosed '[' in the {what}")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ConfigError(f"--map-host {spec!r}: unexpected {rest!r} after ']' in the {what}")
        return host, _port(rest[1:], spec) if rest else None
    if text.count(":") > 1:  # a bare IPv6 address
        return text, None
    host, sep, port = text.partition(":")
    return host, _port(port, spec) if sep else None


@dataclass(frozen=True, slots=True)
class HostRule:
    """One `PATTERN[:PORT]=ADDRESS[:PORT]` rule."""

    pattern: str  # lower-case host pattern with `*`/`?` wildcards
    address: str  # an IP address or a host name
    port: int | None = None  # the port to connect to; None keeps the request's port
    pattern_port: int | None = None  # only requests to this port match, when set

    @classmethod
    def parse(cls, spec: str) -> HostRule:
        """Parse one `--map-host` value; raise ConfigError with the reason when it is malformed."""
        text = spec.strip()
        left, sep, right = text.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise ConfigError(
                f"--map-host {spec!r}: expected PATTERN=ADDRESS[:PORT], "
                "e.g. '*.shop.test=127.0.0.1:8443'"
            )
        pattern, pattern_port = _split_host_port(left.strip().lower(), spec, "pattern")
        address, port = _split_host_port(right.strip().lower(), spec, "address")
        labels = pattern.split(".")
        if not pattern or any(not _LABEL.match(label) for label in labels):
            raise ConfigError(
                f"--map-host {spec!r}: {pattern!r} is not a host name pattern "
                "(letters, digits, '-', '.', and the wildcards '*' and '?')"
            )
        if not address:
            raise ConfigError(f"--map-host {spec!r}: the address is empty")
        try:
            ipaddress.ip_address(address)
        except ValueError:
            if any(not _ADDR_LABEL.match(label) for label in address.split(".")):
                raise ConfigError(
                    f"--map-host {spec!r}: {address!r} is neither an IP address nor a host name"
                ) from None
        return cls(pattern=pattern, address=address, port=port, pattern_port=pattern_port)

    def matches(self, host: str, port: int) -> bool:
        host = host.lower().rstrip(".")
        if self.pattern_port is None:
            # Chromium also tries "host:port" against a port-less pattern; a pattern ending in
            # '*' can match that way, so mirror it.
            return fnmatchcase(host, self.pattern) or fnmatchcase(f"{host}:{port}", self.pattern)
        return self.pattern_port == port and fnmatchcase(host, self.pattern)

    @property
    def chromium_rule(self) -> str:
        pattern = self.pattern
        if self.pattern_port is not None:
            pattern = f"{pattern}:{self.pattern_port}"
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"MAP {pattern} {address}" + (f":{self.port}" if self.port is not None else "")


@dataclass(frozen=True, slots=True)
class HostMap:
    """An ordered set of host rules. Empty means "resolve every name normally"."""

    rules: tuple[HostRule, ...] = ()
    confine: bool = False  # every unmapped name except loopback fails to resolve

    @classmethod
    def parse(cls, specs: Iterable[str], *, confine: bool = False) -> HostMap:
        rules = [HostRule.parse(spec) for spec in specs]
        # Port-specific rules first (stable), as Chromium would let a port-less one win.
        rules.sort(key=lambda r: r.pattern_port is None)
        return cls(rules=tuple(rules), confine=confine)

    def lookup(self, host: str, port: int) -> tuple[str, int] | None:
        """Where a connection to host:port goes, or None when no rule applies."""
        for rule in self.rules:
            if rule.matches(host, port):
                return rule.address, rule.port if rule.port is not None else port
        return None

    def is_mapped(self, host: str) -> bool:
        return any(r.matches(host, 443) or r.matches(host, 80) for r in self.rules)

    def chromium_rules(self) -> str:
        """The value of Chromium's `--host-resolver-rules`, or "" when there is nothing to map."""
        parts = [rule.chromium_rule for rule in self.rules]
        if self.confine:
            parts.append("MAP * ~NOTFOUND")
            parts.extend(f"EXCLUDE {name}" for name in _LOOPBACK_NAMES)
        return ", ".join(parts)

    def chromium_args(self) -> list[str]:
        rules = self.chromium_rules()
        return [f"--host-resolver-rules={rules}"] if rules else []

    def resolver(self) -> MappedResolver:
        """An aiohttp resolver that applies this map (static mode)."""
        return MappedResolver(self)


class MappedResolver:
    """aiohttp `AbstractResolver` applying a HostMap before the system resolver.

    Kept duck-typed (aiohttp calls `resolve` and `close`) so this module imports nothing from
    aiohttp at import time.
    """

    def __init__(self, host_map: HostMap) -> None:
        self._map = host_map
        self._fallback: Any = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[dict[str, Any]]:
        target = self._map.lookup(host, port)
        if target is None:
            if self._map.confine and not _is_loopback_name(host):
                raise OSError(f"{host} is not in the host map (confined scan)")
            target = (host, port)
        address, mapped_port = target
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            if self._fallback is None:
                from aiohttp.resolver import DefaultResolver

                self._fallback = DefaultResolver()
            result: list[dict[str, Any]] = await self._fallback.resolve(
                address, mapped_port, family
            )
            for entry in result:
                entry["hostname"] = host
            return result
        fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        return [
            {
                "hostname": host,
                "host": str(ip),
                "port": mapped_port,
                "family": fam,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        if self._fallback is not None:
            await self._fallback.close()


def _is_loopback_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_public_address(address: str) -> bool:
    """Whether an IP address (a zone index allowed) is globally routable: not loopback,
    private, link-local (cloud metadata), unique-local, reserved. Not an IP address: False."""
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_global
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    """True for `localhost`, `*.localhost` and loopback IP literals."""
    return _is_loopback_name(host)


def parse_host_map(specs: Sequence[str] | None, *, confine: bool = False) -> HostMap:
    """Convenience for callers holding the raw `--map-host` values (possibly none)."""
    return HostMap.parse(specs or (), confine=confine)
