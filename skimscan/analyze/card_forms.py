"""STAGE 3 (analyze): a card form put on the page by someone else's script.

Kits that cannot read the real card fields (they sit in the processor's iframe, or the payment
happens on the processor's page) show their own: a form injected over the real one, a field
swapped in on focus, a "card details" step after "Place order". The shopper types into whatever
card form is visible, so the canary usually proves the theft; the form itself is evidence even
when nothing is seen leaving (a store-now-send-later kit, a send that waits for a second visit).

The instrumentation reports every card-number field that script (not the HTML parser) puts
into the document, from inside the inserting call (`card-form` events, with its stack). This
module judges them:
- a script of the page's own site, an approved processor or the policy anywhere on that stack
  means the merchant's code drove it (a single-page checkout rendering its form): nothing;
- a script from a public CDN (React, Vue from unpkg) is low: inventory, not an alarm;
- any other host — a third party nobody approved, a look-alike — is high when the shopper
  typed the card into that very field (the field was *the* card form), medium otherwise.

The other way to take a card form is to keep it and change where it goes: a script that sets
the `action` of a form holding card fields to a host that may not receive card data
(`form-action` events, with `card` set) has pointed the shopper's card at that host — the
browser posts it there on submit, whatever the page's own code would have done
(`hijacked_card_forms`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from skimscan.analyze.catalogue import PIPELINE_RULES
from skimscan.models import Confidence, Finding, HostClass, HostInfo, InstrumentEvent, Severity

RULE = "injected-card-form"
TAGS = PIPELINE_RULES[RULE].finding_tags
HIJACK = "card-form-action-to-untrusted-host"
#: host categories whose scripts are shared code, not a party of their own
SHARED_CODE = frozenset({"cdn"})


def _host(url: str | None) -> str:
    if not url or "://" not in url:
        return ""
    return (urlsplit(url).hostname or "").lower()


def injected_card_forms(events: Sequence[InstrumentEvent], urls: Mapping[str, str | None],
                        classify: Callable[[str], HostInfo], typed: Sequence[str],
                        describe: Callable[[str | None], str],
                        libraries: Mapping[str, str] | None = None) -> list[Finding]:
    """Findings for card-number fields inserted by scripts the merchant did not approve.

    `urls`: script id → URL; `typed`: selectors of the card fields the shopper typed into;
    `describe`: how the report names a script; `libraries`: script id → library name (a
    kit that calls the shop's own jQuery is not the shop's code)."""
    libraries = libraries or {}
    findings: list[Finding] = []
    done: set[tuple[str | None, str]] = set()
    for e in events:
        if e.kind != "card-form" or not e.script:
            continue
        field = str(e.detail.get("field", ""))
        if (e.script, field) in done:
            continue
        stack = [s for s in e.stack or (e.script,) if s not in libraries] or [e.script]
        hosts = [h for h in (_host(urls.get(s)) for s in stack) if h]
        infos = {h: classify(f"https://{h}/") for h in dict.fromkeys(hosts)}
        if not infos or any(i.host_class.is_trusted_for_card_data for i in infos.values()):
            continue  # the merchant's own code (or its processor's) drew this form
        host = _host(urls.get(e.script)) or hosts[0]
        info = infos[host]
        done.add((e.script, field))
        was_typed = field in typed
        if info.category in SHARED_CODE:
            severity, confidence = Severity.LOW, Confidence.LOW
        elif was_typed:
            severity, confidence = Severity.HIGH, Confidence.MEDIUM
        else:
            severity, confidence = Severity.MEDIUM, Confidence.LOW
        kind = info.host_class.value + (f", {info.category}" if info.category else "")
        message = (f"a card number field ({field}) was put on the page by "
                   f"{describe(e.script)} ({host}: {kind}) with {e.detail.get('via', 'script')}"
                   + ("; the shopper typed the card into it" if was_typed else ""))
        evidence: dict[str, Any] = {"field": field, "via": e.detail.get("via", ""),
                                    "host": host, "host_class": info.host_class.value,
                                    "typed": was_typed, "reason": info.reason}
        if info.lookalike_of:
            evidence["lookalike_of"] = info.lookalike_of
        if e.frame:
            evidence["frame"] = e.frame
        findings.append(Finding(
            rule=RULE, title=PIPELINE_RULES[RULE].title,
            severity=severity, confidence=confidence, message=message, script=e.script,
            evidence=evidence, tags=TAGS))
    return findings


def hijacked_card_forms(events: Sequence[InstrumentEvent], urls: Mapping[str, str | None],
                        classify: Callable[[str], HostInfo],
                        describe: Callable[[str | None], str]) -> list[Finding]:
    """Findings for card forms whose `action` a script set to a host that may not receive
    card data: high; high confidence for a look-alike or known-bad host, medium for an unknown
    one, and medium/low when the setting script is the merchant's own (an inline script too)
    or its processor's (a checkout choosing its gateway)."""
    findings: list[Finding] = []
    done: set[tuple[str | None, str]] = set()
    for e in events:
        url = str(e.detail.get("url", ""))
        if (e.kind != "form-action" or e.detail.get("card") != "1" or "://" not in url
                or not e.script):
            continue  # (a change no stack explains is nobody's to blame)
        info = classify(url)
        if info.host_class.is_trusted_for_card_data or (e.script, info.host) in done:
            continue
        done.add((e.script, info.host))
        own = _host(urls.get(e.script))  # none: an inline script, the page's own
        by_shop = not own or classify(f"https://{own}/").host_class.is_trusted_for_card_data
        if by_shop:
            severity, confidence = Severity.MEDIUM, Confidence.LOW
        elif info.host_class in (HostClass.LOOKALIKE, HostClass.KNOWN_BAD):
            severity, confidence = Severity.HIGH, Confidence.HIGH
        else:
            severity, confidence = Severity.HIGH, Confidence.MEDIUM
        form = str(e.detail.get("field", "")) or "a form"
        kind = info.host_class.value + (f", {info.category}" if info.category else "")
        evidence: dict[str, Any] = {"form": form, "host": info.host,
                                    "host_class": info.host_class.value,
                                    "action": url.split("?")[0][:300], "reason": info.reason}
        if info.lookalike_of:
            evidence["lookalike_of"] = info.lookalike_of
        if e.frame:
            evidence["frame"] = e.frame
        findings.append(Finding(
            rule=HIJACK, title=PIPELINE_RULES[HIJACK].title, severity=severity,
            confidence=confidence, script=e.script, evidence=evidence,
            tags=PIPELINE_RULES[HIJACK].finding_tags,
            message=(f"{describe(e.script)} set the action of the card form {form} to "
                     f"{info.host} ({kind}): the browser posts the card there on submit")))
    return findings
