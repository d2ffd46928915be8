"""STAGE 1 (capture): the quarantine — what may leave the browser once the canary is typed.

Before the canary is typed the page loads normally. From the moment the shopper is about to type
(`arm()`), every request to a host that is not trusted — not the page's own site, not an approved
payment processor, not approved by the policy — is answered locally (204, recorded as
`quarantined`) and never forwarded; WebSocket frames to such hosts are swallowed in the page and
new sockets to them are accepted locally (instrument.js). Once the pay button is about to be
pressed (`hold_payment()`), the real submission is held too: navigations of the page and writes
(anything but GET/HEAD/OPTIONS) to trusted hosts are answered locally, so no order is ever placed.
`live=True` lifts the quarantine; it never lifts the hold on the pay submission.

Invariants: decisions are pure functions of (host, method, navigation, state); the capture asks
here for every request once the route is installed; a host the trust cannot judge is untrusted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Decision = Literal["forward", "quarantine", "hold"]


@dataclass(frozen=True)
class Trust:
    """Who may receive card data: `is_trusted(host)` for requests, `domains` (suffixes) for the
    in-page decisions about WebSockets, which must be taken synchronously in the page."""

    is_trusted: Callable[[str], bool]
    domains: tuple[str, ...] = ()


def site_of(host: str) -> str:
    """A rough registrable domain without the public suffix list (the capture's fallback; the
    scanner passes a `Trust` built on the policy's host classifier instead)."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2:
        return ".".join(labels[-3:])  # shop.co.uk, shop.com.au
    return ".".join(labels[-2:])


def default_trust(url: str) -> Trust:
    """Trust the page's own site only (no processors): used when the caller gives no `Trust`."""
    host = (urlsplit(url).hostname or "").lower()
    site = site_of(host) if host else ""

    def trusted(other: str) -> bool:
        other = other.lower().rstrip(".")
        return bool(site) and (other in (site, host) or other.endswith("." + site))

    return Trust(trusted, (site,) if site else ())


class Quarantine:
    """The state of one page's quarantine, and the decision for each request."""

    def __init__(self, trust: Trust, *, live: bool = False) -> None:
        self.trust = trust
        self.live = live
        self.armed = False
        self.armed_at: float | None = None
        self.paying = False

    def arm(self) -> None:
        if not self.armed:
            self.armed = True
            self.armed_at = time.time()

    def hold_payment(self) -> None:
        self.paying = True

    def payment_done(self) -> None:
        """The shopper moves on (the capture's own navigation to the next page): navigations
        are no longer the pay submission."""
        self.paying = False

    def untrusted(self, host: str) -> bool:
        """Whether data to `host` is quarantined once armed (never, in live mode)."""
        return not self.live and not (host and self.trust.is_trusted(host))

    def holds(self, host: str) -> bool:
        """The egress proxy's question, per request and WebSocket message of a connection it
        inspects (workers, beacons at unload, preconnects, navigations' handshakes: whatever
        the route does not see). The hold on the pay submission stays the route's: the proxy
        tunnels the trusted hosts it is about."""
        return self.armed and self.untrusted(host)

    def decide(self, host: str, method: str, *, navigation: bool) -> Decision:
        if not self.armed:
            return "forward"
        trusted = bool(host) and self.trust.is_trusted(host)
        if not trusted and not self.live:
            return "quarantine"
        if self.paying and (navigation or (trusted and method.upper() not in SAFE_METHODS)):
            return "hold"
        return "forward"
