"""STAGE 3 (analyze) — what card fields, sweeps and URLs look like as strings.

These patterns are applied to strings the code uses (selectors, property names, folded
constants), never to free text. They are deliberately narrow: the word "card" alone (Bootstrap's
`.card`, "gift card", "discard") is not a card field; "card number", `cc_number`, `cvv`,
`autocomplete="cc-csc"` are.
"""

from __future__ import annotations

import functools
import re

from publicsuffixlist import PublicSuffixList

_CARD_WORDS = (
    r"card[-_ ]?(?:number|num|no|nr|cvv|cvc|cvn|cid|code|exp|expiry|expiration|holder|owner|"
    r"name|security|verification|data|info|details|month|year|date)"
    r"|(?:credit|debit)[-_ ]?card"
    r"|(?<![a-z])cc[-_]?(?:number|num|no|nr|cvv|cvc|cid|csc|exp|expiry|month|year|name|owner|type"
    r"|code)"
    r"|ccnum|cardnum|\bpan\b|\bcvv2?\b|\bcvc2?\b|\bcsc\b|\bcvn\b"
    r"|security[-_ ]?code|securitycode|verification[-_ ]?(?:code|value)"
    r"|x_card_num|x_card_code|x_exp_date|payment\[cc_|payment\[card"
    r"|name\s*\^=\s*[\"']?payment(?:\[|[\"']?\])"
    r"|cc-(?:number|exp|exp-month|exp-year|csc|name|given-name|family-name|type)"
    r"|exp(?:iry|iration)?[-_ ]?(?:date|month|year|mm|yy)|\bexpiry\b|\bexpdate\b"
    r"|kartennummer|numero[-_ ]?(?:de[-_ ]?)?tarjeta|num[eé]ro[-_ ]?(?:de[-_ ]?)?carte"
    r"|cardnumber|cardholder|card_holder"
)
CARD_FIELD = re.compile(_CARD_WORDS, re.IGNORECASE)
#: A bare "card" in an attribute/id/name context (`#card`, `[name*=card]`), not a CSS class.
CARD_ATTR = re.compile(r"(?:#|\[(?:name|id)\s*[*^$|~]?=\s*['\"]?)card\b", re.IGNORECASE)

#: Type selectors that select every form field: `input`, `select`, `textarea`, jQuery `:input`.
SWEEP_SELECTOR = re.compile(
    r"(?:^|[\s,>+~(])(?:input|select|textarea)(?=\s*$|\s*,|\s*[>+~)]|:not\(|\s+\S)"
    r"|:input\b",
    re.IGNORECASE,
)

PAY_BUTTON = re.compile(
    r"(?:pay|checkout|submit|place[-_ ]?order|order|purchase|btn|button|buy|confirm|continue)",
    re.IGNORECASE,
)

#: Event names that carry typed characters.
KEY_EVENTS = frozenset({"keyup", "keydown", "keypress", "input", "beforeinput", "paste"})
FIELD_EVENTS = frozenset({"change", "blur", "focusout", "input", "keyup", "keydown", "paste"})
TRIGGER_EVENTS = frozenset(
    {"mouseup", "mousedown", "touchend", "touchstart", "click", "submit", "pointerup"}
)

URL_GATE_WORDS = re.compile(
    r"checkout|onestep|one-step|payment|order|cart|billing|firecheckout|osc|pay\b",
    re.IGNORECASE,
)

HOST_IN_TEXT = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,24}|xn--[a-z0-9-]{2,59})(?::\d+)?",
    re.IGNORECASE,
)
URL_WITH_SCHEME = re.compile(r"^(?:https?|wss?):$|^(?:https?|wss?)://", re.IGNORECASE)


#: Elements that mention cards but are not fields: `#btnCreditCard`, `.card-number-error`.
NOT_A_FIELD = re.compile(
    r"btn|button|submit|icon|logo|image|img|error|msg|hint|tooltip|brand|label|wrapper"
    r"|container|section|title|heading|banner",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=65536)
def is_card_selector(text: str) -> bool:
    """True when a selector, id or name refers to a card field (number, CVV, expiry, holder)."""
    if not (CARD_FIELD.search(text) or CARD_ATTR.search(text)):
        return False
    return not NOT_A_FIELD.search(text)


@functools.lru_cache(maxsize=65536)
def is_sweep_selector(text: str) -> bool:
    """True when a selector takes every input/select/textarea (a form sweep)."""
    return bool(SWEEP_SELECTOR.search(text))


#: A STUN/TURN server of a WebRTC configuration (`turn:relay.example:443?transport=tcp`):
#: where a peer connection's data channels send. Group 1 is its host.
ICE_SERVER = re.compile(r"^(?:stuns?|turns?):(?:[^@/]*@)?([A-Za-z0-9.-]+\.[A-Za-z]{2,})(?::\d+)?")


def looks_like_url(text: str) -> bool:
    t = text.strip()
    return t.startswith(("http://", "https://", "//", "ws://", "wss://"))


_DOMAIN = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,24}|xn--[a-z0-9-]{2,59})$",
    re.IGNORECASE,
)
#: The top-level name reserved for documentation (RFC 2606): not in the public suffix list,
#: yet what examples and staging kits are served under. (`.test` is left out: in code it is as
#: often a name, `checkout.test`, as a host.)
_RESERVED_TLDS = frozenset({"example"})


@functools.lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    """The public suffix list shipped with `publicsuffixlist` (offline), loaded once."""
    return PublicSuffixList(accept_unknown=False)


@functools.lru_cache(maxsize=65536)
def is_domain(text: str) -> bool:
    """`rtc.relay.example.ru` — a host name under a real public suffix (not `app.min.js`, not
    an i18n key such as `ach.accountholdernamefield.title`)."""
    if len(text) > 253 or not _DOMAIN.match(text):
        return False
    return _suffixes().privatesuffix(text.lower(), accept_unknown=False) is not None


def is_host(text: str) -> bool:
    """A host name: `is_domain`, or one under the name reserved for documentation (RFC 2606:
    `.example`), which the public suffix list leaves out."""
    if is_domain(text):
        return True
    return bool(_DOMAIN.match(text)) and text.lower().rsplit(".", 1)[-1] in _RESERVED_TLDS


_INPUT_TAG = re.compile(r"<(?:input|select)\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""\b(id|name|autocomplete|placeholder|aria-label|data-[\w-]+)\s*=\s*"""
                   r"""(?:\\?["']([^"'\\>]*)\\?["']|([^\s>]+))""", re.IGNORECASE)
_LABEL_BEFORE = re.compile(r">([^<>]{2,60})<(?:/label>\s*<)?[^<>]*$", re.IGNORECASE)


def injected_card_fields(code: str) -> frozenset[str]:
    """Ids and names of card inputs in HTML that a script carries in its strings: a skimmer's
    fake card form labels its fields for the shopper (`autocomplete="cc-number"`, "Card number")
    even when the ids it reads them back by (`#f_num`) say nothing."""
    found: set[str] = set()
    for match in _INPUT_TAG.finditer(code[:4_000_000]):
        attrs = {m.group(1).lower(): (m.group(2) or m.group(3) or "")
                 for m in _ATTR.finditer(match.group(0))}
        before = _LABEL_BEFORE.search(code[max(0, match.start() - 120):match.start() + 1])
        label = before.group(1) if before else ""
        described = " ".join(v for k, v in attrs.items() if k != "id" and k != "name")
        if (attrs.get("autocomplete", "").startswith("cc-") or is_card_selector(described)
                or is_card_selector(label)) or is_card_selector(attrs.get("name", "")):
            for key in ("id", "name"):
                value = attrs.get(key, "")
                if len(value) >= 2:
                    found.add(value)
    return frozenset(found)
