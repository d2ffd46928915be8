"""Wires the stages for pages: capture (browser or static fetch) → extract → analyze → policy.

`Scanner` keeps one browser (and one analysis engine, so a script seen on many pages is analysed
once) for many pages; `ascan_url`/`scan_url` are the one-call forms. Every page ends as a
`TargetReport`: a page that cannot be loaded is `verdict: error` with the reason, and the other
pages complete. Runtime evidence (requests the page made) is judged here too: data sent to a
look-alike or unknown host is a finding even when no script rule fired.

The canary (issue 4): by default the browser plays a shopper who types a test card unique to
the page (`ScanOptions.shop`), under quarantine unless `live`. Every request URL, header and
body, WebSocket frame, message between frames and storage write is searched for that card
(`analyze/canary.py`, any encoding). The card reaching a host that is not the page's own site,
an approved processor or approved by the policy is `canary-exfiltration`:
- `critical`/`high` confidence, naming the script, the host and the encoding, with the request
  as evidence (URL with the card redacted, method, masked excerpt) — the skimmer signature;
- `high`/`high` with the tag `data-leak` when the host is a session-replay vendor: card data
  leaves to the merchant's own recording vendor. It fails CI like any high finding, but it is
  not a skimmer: a page whose only blocking findings are `data-leak` ones is `suspicious`, not
  `malicious` (the one exception to the README's verdict rule, see `page_verdict`);
- `medium`/`medium` when only part of the number left (first 6 + last 4).
The card handed by postMessage to an untrusted frame is `canary-to-frame` (high/medium), the card
kept in browser storage is `canary-in-storage` (medium/high). Environment checks (URL,
once-per-visitor, automation, geo) of scripts that then sent nothing are listed in the notes:
"no findings" never means the scan saw everything.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from skimscan import __version__
from skimscan.analyze.analyzer import sort_findings
from skimscan.analyze.canary import Match, find_canary
from skimscan.analyze.card_forms import hijacked_card_forms, injected_card_forms
from skimscan.analyze.catalogue import PIPELINE_RULES
from skimscan.analyze.libraries import blame, libraries_in
from skimscan.analyze.redact import redact_text, redact_value
from skimscan.capture.hostmap import HostMap
from skimscan.capture.quarantine import Trust, site_of
from skimscan.capture.steps import Step, load_steps, parse_steps
from skimscan.errors import SkimscanError, TargetError
from skimscan.extract.html import parse_html
from skimscan.models import (
    Canary,
    Confidence,
    Finding,
    HostClass,
    HostInfo,
    InstrumentEvent,
    PageCapture,
    Report,
    RequestRecord,
    ScriptReport,
    Severity,
    TargetKind,
    TargetReport,
    Verdict,
    verdict_for,
)
from skimscan.pipeline import Engine, EngineOptions, TargetDone, now_iso
from skimscan.policy.hosts import HostClassifier
from skimscan.policy.observed import GATE_RULES, weigh_observed
from skimscan.policy.policy import Policy, SitePolicy

#: Response headers recorded for change detection (PCI DSS 11.6.1).
SECURITY_HEADERS = (
    "content-security-policy", "content-security-policy-report-only",
    "strict-transport-security", "x-frame-options", "permissions-policy", "referrer-policy",
    "x-content-type-options",
)
_DATA_QUERY = 40  # a query string longer than this carries data, not just a cache buster


@dataclass(frozen=True)
class ScanOptions:
    host_map: HostMap = field(default_factory=HostMap)
    timeout: float = 30.0
    wait: float = 2.0
    ignore_https_errors: bool = False
    concurrency: int = 1
    no_browser: bool = False
    policy: Policy | None = None
    #: play a shopper: type a canary card, press pay, look for the card in what leaves
    shop: bool = True
    #: let requests to untrusted hosts go out after the canary is typed (never the payment)
    live: bool = False
    #: a steps file for multi-step checkouts (capture/steps.py); else the policy's steps
    steps: Path | None = None
    #: seconds the page clock jumps after pay (delayed sends run now); 0: the clock is real
    fast_forward: float = 300.0
    #: the same seed types the same canary card on the same URL (`canary_for`): a scan's cards
    #: can then be looked for in the shop's own server logs; None: a fresh card every time
    canary_seed: int | None = None
    #: connect to non-public addresses a page names (loopback, private ranges, link-local):
    #: refused by default, except the page's own address and what `host_map` maps
    allow_private: bool = False


def _site_policy(options: ScanOptions, url: str) -> SitePolicy:
    return options.policy.for_url(url) if options.policy else SitePolicy()


def classifier_for(url: str, site: SitePolicy, ioc_hosts: Sequence[str] = ()) -> HostClassifier:
    """The page's host classifier: the policy's hosts, and the rules' IOC hosts as known-bad."""
    return HostClassifier(url, approved=site.approved_hosts, processors=site.processors,
                          known_bad=(*site.known_bad, *ioc_hosts))


def trust_for(url: str, site: SitePolicy) -> Trust:
    """Who may receive the canary during a capture: the host classifier's first-party,
    processor and approved hosts; as suffixes (for in-page decisions), the page's registrable
    domain, the catalogue's and the policy's processors and the approved hosts."""
    classifier = classifier_for(url, site)

    def trusted(host: str) -> bool:
        return classifier.classify_host(host).host_class.is_trusted_for_card_data

    page = classifier.classify(url)
    domains = {page.registrable_domain or page.host}
    domains.update(d for s in classifier.catalog.services if s.is_processor for d in s.domains)
    domains.update(site.processors)
    domains.update(h.removeprefix("*.") for h in site.approved_hosts)
    return Trust(trusted, tuple(sorted(d.lower() for d in domains if d)))


def _carries_data(request: RequestRecord, ws_payload: bool) -> bool:
    if request.body:
        return True
    if ws_payload:
        return True
    return len(_split_url(request.url).query) > _DATA_QUERY


def request_findings(requests: Sequence[RequestRecord], ws_hosts: set[str]) -> list[Finding]:
    """Runtime evidence: requests that carried data to a host the page should not talk to."""
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for r in requests:
        if not _carries_data(r, r.host in ws_hosts):
            continue
        if r.host_class in (HostClass.LOOKALIKE, HostClass.KNOWN_BAD):
            rule, severity, confidence = "runtime-data-to-lookalike-host", Severity.HIGH, \
                Confidence.HIGH
        elif r.host_class is HostClass.UNKNOWN:
            rule, severity, confidence = "runtime-data-to-unknown-host", Severity.MEDIUM, \
                Confidence.MEDIUM
        else:
            continue
        if (rule, r.host) in seen:
            continue
        seen.add((rule, r.host))
        findings.append(Finding(
            rule=rule, title=PIPELINE_RULES[rule].title, severity=severity,
            confidence=confidence,
            message=f"{r.method} {r.resource_type} to {r.host} ({r.host_class.value}) carried "
                    "data" + (f", sent by {r.script}" if r.script else ""),
            script=r.script, location=None,
            evidence={"url": r.url[:300], "method": r.method, "host": r.host,
                      "host_class": r.host_class.value, "resource_type": r.resource_type,
                      "quarantined": r.quarantined},
            tags=("runtime", "exfiltration", "pci-dss:11.6.1"),
        ))
    return findings


def page_summary(capture: PageCapture) -> dict[str, Any]:
    """Forms, card fields, processor iframes, SRI and CSP meta of every frame (for reports)."""
    forms: list[str] = []
    fields: list[str] = []
    iframes: list[str] = []
    csp: list[str] = []
    for frame in capture.frames:
        doc = parse_html(frame.html)
        forms.extend(doc.forms)
        fields.extend(f"{f.selector} ({f.reason})" + (f" in {frame.url}"
                                                      if frame.url != capture.final_url else "")
                      for f in doc.card_fields)
        iframes.extend(doc.iframes)
        csp.extend(doc.csp_meta)
    summary: dict[str, Any] = {"forms": forms, "card_fields": fields, "iframes": iframes,
                               "csp_meta": csp}
    if capture.card_field_boxes:  # where the shopper typed the card (marked on the screenshot)
        summary["card_field_boxes"] = [dict(b) for b in capture.card_field_boxes]
    return summary


def blame_callers(capture: PageCapture) -> PageCapture:
    """Requests and instrumentation events blamed on the first script on their stack that is
    not a known library (analyze/libraries.py): `$.ajax` is the skimmer's call, not jQuery's."""
    libraries = libraries_in(capture.scripts)
    if not libraries:
        return capture

    def owner(script: str | None, stack: tuple[str, ...]) -> str | None:
        return blame(stack, libraries)[0] if stack else script

    return replace(
        capture,
        requests=tuple(replace(r, script=owner(r.script, r.stack)) for r in capture.requests),
        instrumentation=tuple(replace(e, script=owner(e.script, e.stack))
                              for e in capture.instrumentation))


def analyze_capture(capture: PageCapture, engine: Engine, site: SitePolicy) -> TargetReport:
    capture = blame_callers(capture)
    classifier = classifier_for(capture.final_url or capture.url, site, engine.rules.ioc_hosts)
    report = engine.analyze_target(capture.url, TargetKind.PAGE, capture.scripts,
                                   classifier.classify, capture.notes)
    requests = tuple(
        replace(r, host_class=classifier.classify(r.url).host_class) for r in capture.requests
    )
    ws_hosts = {_split_url(m.url).hostname or "" for m in capture.websocket_messages}
    urls = {s.id: s.url for s in report.scripts}
    canary_found, requests = canary_findings(capture, requests, classifier.classify, urls)
    findings = [*report.findings, *request_findings(requests, ws_hosts), *canary_found]
    findings = weigh_observed(findings, requests, capture.websocket_messages,
                              canary_typed=capture.canary_typed_at is not None)
    findings = site.apply(findings, report.scripts)
    headers = {k: v for k, v in ((k.lower(), v) for k, v in capture.response_headers.items())
               if k in SECURITY_HEADERS}
    verdict = report.verdict if report.verdict is Verdict.ERROR else page_verdict(findings)
    error = report.error
    if capture.incomplete and verdict is Verdict.CLEAN:
        # nothing was found, but the examination a clean verdict rests on did not happen
        verdict = Verdict.ERROR
        error = "the page could not be exercised: " + "; ".join(capture.incomplete)
    scripts = _runtime_verdicts(report.scripts, findings)
    if site.scripts or site.pages:  # a policy applies: say which scripts it authorises
        scripts = tuple(_authorize(s, site) for s in scripts)
    notes = (*report.notes, *gate_notes(capture, findings, urls))
    summary = page_summary(capture)
    if capture.canary is not None:
        summary.update(interaction_summary(capture, urls))
    if capture.canary is not None:  # the typed card, in any encoding, never reported
        canary = capture.canary
        requests = tuple(replace(r, url=redact_url(r.url, canary)) for r in requests)
        findings = [replace(f, message=redact_text(f.message, canary),
                            evidence=redact_value(dict(f.evidence), canary))
                    for f in findings]
        notes = tuple(redact_text(n, canary) for n in notes)
        summary = redact_value(summary, canary)
    return replace(report, verdict=verdict, error=error,
                   findings=tuple(sort_findings(findings)),
                   requests=requests, headers=headers, page=summary, notes=notes,
                   target=capture.url, scripts=scripts, screenshot_png=capture.screenshot_png)


# ----------------------------------------------------------------------------- the canary

#: headers that never carry what a script sends (the browser sets them; not the referrer, which
#: a page sets with fetch's `referrer` or by rewriting its own URL first)
_PLAIN_HEADERS = frozenset({
    "origin", "user-agent", "accept", "accept-language", "accept-encoding",
    "content-type", "content-length", "host", "connection", "upgrade-insecure-requests",
})
CANARY_TAGS = ("attack:T1056.003", "canary", "exfiltration", "pci-dss:6.4.3",
               "pci-dss:11.6.1", "runtime")


@dataclass
class _Hit:
    """The canary in one request, frame or message."""

    request: RequestRecord
    where: str
    matches: list[Match]
    quarantined: bool
    script: str | None


def page_verdict(findings: Sequence[Finding]) -> Verdict:
    """The README's verdict rule, with one exception: a blocking finding tagged `data-leak`
    (card data reaching the merchant's session-replay vendor) makes a page `suspicious`, not
    `malicious` — the card leaks, but no skimmer sent it."""
    skimmer = [f for f in findings if "data-leak" not in f.tags]
    verdict = verdict_for(skimmer)
    leaks = [f for f in findings if "data-leak" in f.tags and f.suppressed is None]
    if verdict is Verdict.CLEAN and leaks:
        return Verdict.SUSPICIOUS
    return verdict


def _runtime_verdicts(scripts: tuple[ScriptReport, ...],
                      findings: Sequence[Finding]) -> tuple[ScriptReport, ...]:
    """A script named by a runtime canary finding gets the verdict that finding implies; one
    whose static findings the observed sends lowered (policy/observed.py) gets the verdict of
    its findings as they now stand."""
    order = [Verdict.CLEAN, Verdict.SUSPICIOUS, Verdict.MALICIOUS]
    out = []
    for s in scripts:
        if any(f.script == s.id and "lowered_from" in f.evidence for f in findings):
            s = replace(s, verdict=page_verdict([f for f in findings if f.script == s.id]))
        mine = [f for f in findings if f.script == s.id and "canary" in f.tags]
        v = page_verdict(mine) if mine else Verdict.CLEAN
        if s.verdict in order and order.index(v) > order.index(s.verdict):
            s = replace(s, verdict=v)
        out.append(s)
    return tuple(out)


def redact_url(url: str, canary: Canary) -> str:
    """The URL with every query value or path segment that holds the canary replaced."""
    def clean(part: str) -> str:
        found = find_canary(canary, part)
        return f"[canary: {found[0].encoding}]" if found else part

    head, sep, query = url.partition("?")
    scheme, slashes, rest = head.partition("://")
    host, slash, path = rest.partition("/")
    carried = _canary_in_host(canary, host)
    if carried:
        host = f"[canary: {carried[0].encoding}].{site_of(host.split(':')[0])}"
    path = "/".join(clean(seg) if len(seg) >= 10 else seg for seg in path.split("/"))
    pairs = []
    for pair in query.split("&") if query else []:
        key, eq, value = pair.partition("=")
        pairs.append(f"{key}{eq}{clean(value)}" if eq else clean(key))
    return f"{scheme}{slashes}{host}{slash}{path}{sep}{'&'.join(pairs)}"[:400]


def _canary_in_host(canary: Canary, host: str) -> list[Match]:
    """The canary in a host name: in a label, or spread over labels (`4111.1111.….evil.test`)."""
    host = host.split("@")[-1].split(":")[0]
    return find_canary(canary, host) or find_canary(canary, host.replace(".", ""))


def _search_request(canary: Canary, r: RequestRecord) -> list[tuple[str, Match]]:
    in_host = _canary_in_host(canary, r.host)
    if in_host:
        return [("host name", m) for m in in_host]
    found = [("url", m) for m in find_canary(canary, r.url)]
    for name, value in r.headers.items():
        if name.lower() not in _PLAIN_HEADERS and len(value) >= 10:
            found += [(f"header {name}", m) for m in find_canary(canary, value)]
    if r.body:
        found += [("body", m) for m in find_canary(canary, r.body)]
    if not any(m.is_full for _w, m in found):
        # the card cut over the parameters of one request (`ea=<first half>&el=<second>`)
        for where, text in (("url", _split_url(r.url).query), ("body", _texty_body(r.body))):
            values = [v for _k, v in _params(text)]
            joined = [m for m in find_canary(canary, "".join(values)) if m.is_full] \
                if len(values) > 1 else []
            if joined:  # the whole number, rather than the parts seen before
                return [(f"{where} (its parameters joined)", m) for m in joined]
    return found


def _params(query: str) -> list[tuple[str, str]]:
    """A query string's (or form body's) names and values, in order."""
    return parse_qsl(query, keep_blank_values=True) if query else []


def _texty_body(body: bytes | None) -> str:
    """A form-encoded body as text (up to 64 KB), or ""."""
    if not body or len(body) > 65_536:
        return ""
    text = body.decode("utf-8", "replace")
    return text if "=" in text and "&" in text else ""


def _sender(events: Sequence[InstrumentEvent], url: str) -> str | None:
    """The script the instrumentation saw calling a sink for this URL."""
    base = url.split("#")[0]
    for e in events:
        if e.kind in ("sink", "form-action") and e.script and e.detail.get("url", "") in (
            base, url):
            return e.script
    return None


def canary_findings(capture: PageCapture, requests: tuple[RequestRecord, ...],
                    classify: Callable[[str], HostInfo], script_urls: dict[str, str | None],
                    ) -> tuple[list[Finding], tuple[RequestRecord, ...]]:
    """Findings for the canary leaving the page; requests marked `carries_canary`."""
    canary = capture.canary
    if canary is None:
        return [], requests
    events = capture.instrumentation
    hits: list[_Hit] = []
    marked: list[RequestRecord] = []
    for r in (*requests, *_unfetched(events, classify)):
        found = _search_request(canary, r)  # a socket: its URL and handshake (subprotocols)
        if found:
            r = replace(r, carries_canary=True)
            where = found[0][0]
            hits.append(_Hit(r, where, [m for _w, m in found], r.quarantined,
                             r.script or _sender(events, r.url)))
        elif r.resource_type == "webrtc":
            continue  # a connection that carried no card: no request of the page's to judge
        marked.append(r)
    by_url = {r.url: i for i, r in enumerate(marked) if r.resource_type == "websocket"}
    for frame in capture.websocket_messages:
        found_ws = find_canary(canary, frame.payload)
        if not found_ws:
            continue
        index = by_url.get(frame.url)
        if index is None:
            socket = RequestRecord(url=frame.url, method="GET", host=_host(frame.url),
                                   resource_type="websocket", script=frame.script,
                                   frame=frame.frame, quarantined=frame.quarantined,
                                   host_class=classify(frame.url).host_class)
            marked.append(socket)
            index = by_url[frame.url] = len(marked) - 1
        socket = marked[index] = replace(marked[index], carries_canary=True)
        hits.append(_Hit(socket, "websocket frame", found_ws, frame.quarantined,
                         frame.script or socket.script))
    hits += _encrypted(canary, events, marked, classify)
    hits += _split(canary, marked, events)
    findings = _exfiltration(canary, hits, classify, script_urls, events,
                             revisited_at=capture.revisited_at)
    findings += _frame_and_storage(canary, events, classify, script_urls, capture.final_url)
    findings += _loads_after_typing(marked, script_urls)
    findings += hijacked_card_forms(events, script_urls, classify,
                                    lambda s: _describe_script(s, script_urls))
    findings += injected_card_forms(events, script_urls, classify, capture.typed_fields,
                                    lambda s: _describe_script(s, script_urls),
                                    libraries_in(capture.scripts))
    return findings, tuple(marked)


def _encrypted(canary: Canary, events: Sequence[InstrumentEvent],
               requests: list[RequestRecord],
               classify: Callable[[str], HostInfo]) -> list[_Hit]:
    """The card encrypted in the page (`crypto.subtle.encrypt`, CryptoJS, JSEncrypt: the
    instrumentation records the plaintext) by a script that then sent to an untrusted host
    after typing: no search of the ciphertext can find the card, the plaintext did. Each such
    send is a hit, its encoding "…, then encrypted with <cipher>", and (in `requests`, updated
    in place) a request that carries the card."""
    hits: list[_Hit] = []
    done: set[tuple[str, str]] = set()
    for e in events:
        if e.kind != "sink" or e.detail.get("sink") != "encrypt" or not e.data or not e.script:
            continue
        found = [m for m in find_canary(canary, e.data) if m.is_full]
        if not found:
            continue
        cipher = e.detail.get("cipher", "a cipher")
        matches = [replace(m, encoding=f"{m.encoding}, then encrypted with {cipher}")
                   for m in found[:1]]
        for i, r in enumerate(requests):
            if (r.script == e.script and r.quarantined and not r.carries_canary
                    and (r.script, r.url) not in done
                    and not classify(r.url).host_class.is_trusted_for_card_data):
                done.add((r.script, r.url))
                requests[i] = r = replace(r, carries_canary=True)
                hits.append(_Hit(r, "encrypted payload", matches, True, r.script))
    return hits


MAX_SPLIT_GROUP = 200  # requests of one script to one address joined at most
MAX_JOINED = 1_000_000  # characters (bytes) of one joined text


def _split(canary: Canary, requests: list[RequestRecord],
           events: Sequence[InstrumentEvent]) -> list[_Hit]:
    """The card cut into pieces, one per request (`&i=0&v=3431…`, `&i=1&v=…`): the requests
    one script made to one address (host and path) that do not carry the card alone, their
    query values joined in the order sent — for each parameter whose value changes — and
    their bodies joined. Found whole there, it is a hit on the first request (`requests` is
    updated in place)."""
    groups: dict[tuple[str | None, str, str], list[int]] = {}
    for i, r in enumerate(requests):
        if r.carries_canary or not r.quarantined or r.host_class not in _SUSPECT_HOSTS:
            continue
        parts = _split_url(r.url)
        sender = r.script or _sender(events, r.url)
        group = groups.setdefault((sender, r.host, parts.path), [])
        if len(group) < MAX_SPLIT_GROUP:
            group.append(i)
    hits: list[_Hit] = []
    for (sender, _host_name, _path), members in groups.items():
        if len(members) < 2:
            continue
        queries = [dict(_params(_split_url(requests[i].url).query)) for i in members]
        names = dict.fromkeys(n for q in queries for n in q)  # any request's, in order
        joined = [(f"parameter {n!r}", "".join(q.get(n, "") for q in queries)[:MAX_JOINED])
                  for n in names if len({q.get(n, "") for q in queries}) > 1]
        bodies = [(requests[i].body or b"")[:MAX_JOINED] for i in members]
        if len(set(bodies)) > 1:
            joined.append(("body", b"".join(bodies)[:MAX_JOINED].decode("utf-8", "replace")))
        for what, text in joined:
            found = [m for m in find_canary(canary, text) if m.is_full]
            if not found:
                continue
            first = members[0]
            requests[first] = r = replace(requests[first], carries_canary=True)
            hits.append(_Hit(r, f"split over {len(members)} requests ({what}, joined)",
                             found[:1], r.quarantined, sender))
            break
    return hits


#: sends the instrumentation saw that no request shows, as (resource type, method): a
#: resource hint's host name, an ICE server's name (both resolved: a DNS query), a message on
#: a WebRTC data channel (to a peer)
_UNFETCHED = {"link-hint": ("link-hint", "GET"), "webrtc": ("webrtc", "GET"),
              "webrtc-data": ("webrtc", "SEND")}


def _unfetched(events: Sequence[InstrumentEvent],
               classify: Callable[[str], HostInfo]) -> list[RequestRecord]:
    """Sends that never happened as requests (`_UNFETCHED`): resource hints
    (`<link rel=dns-prefetch|preconnect|…>`) and WebRTC connections the page made. Chromium
    resolves no name here, so a host name is data the page meant to put on the wire (a DNS
    query, a TLS handshake, a STUN request), and a data channel's message is a body."""
    out = []
    for e in events:
        url = e.detail.get("url", "")
        kind = _UNFETCHED.get(e.detail.get("sink", "")) if e.kind == "sink" else None
        if kind and url:
            body = e.data.encode("utf-8", "replace") if kind[1] == "SEND" and e.data else None
            out.append(RequestRecord(url=url, method=kind[1], host=_host(url),
                                     resource_type=kind[0], script=e.script, body=body,
                                     quarantined=True, host_class=classify(url).host_class))
    return out


_SUSPECT_HOSTS = (HostClass.UNKNOWN, HostClass.LOOKALIKE, HostClass.KNOWN_BAD,
                  HostClass.UNRESOLVED)


def _loads_after_typing(requests: Sequence[RequestRecord],
                        urls: dict[str, str | None]) -> list[Finding]:
    """Code requested from a dubious host only once card data was typed: the quarantine
    answered it locally, so what it would have done was not seen (`--live` shows it)."""
    findings: list[Finding] = []
    seen: set[str] = set()
    for r in requests:
        if not (r.quarantined and r.resource_type == "script" and r.script
                and r.host_class in _SUSPECT_HOSTS) or r.host in seen:
            continue
        seen.add(r.host)
        findings.append(Finding(
            rule="canary-triggered-load", title=PIPELINE_RULES["canary-triggered-load"].title,
            severity=Severity.MEDIUM, confidence=Confidence.MEDIUM, script=r.script,
            message=(f"{_describe_script(r.script, urls)} requested a script from {r.host} "
                     f"({r.host_class.value}) only after card data was typed; the quarantine "
                     "answered it locally, so its behaviour was not observed (scan with --live "
                     "in a safe environment to see it)"),
            evidence={"host": r.host, "host_class": r.host_class.value,
                      "url": r.url[:300], "quarantined": True},
            tags=("canary", "evasion", "pci-dss:6.4.3", "runtime"),
        ))
    return findings


def _split_url(url: str) -> SplitResult:
    """`urlsplit`, never raising: a page can name any string as a URL (`stun://[`)."""
    try:
        return urlsplit(url)
    except ValueError:
        return urlsplit("")


def _host(url: str) -> str:
    try:
        return (_split_url(url).hostname or "").lower()
    except ValueError:  # a port that is not a number is read lazily
        return ""


def _describe_script(script: str | None, urls: dict[str, str | None]) -> str:
    if script is None:
        return "a request without a script on its stack"
    url = urls.get(script)
    return f"{script} ({url})" if url else script


def _context(events: Sequence[InstrumentEvent], script: str | None) -> dict[str, list[str]]:
    """What the instrumentation saw the sending script do: reads and triggers."""
    reads = sorted({e.detail.get("field", "") for e in events
                    if e.kind == "read" and e.script == script and e.detail.get("field")})
    triggers = sorted({f"{e.detail.get('event')} on "
                       f"{e.detail.get('field') or e.detail.get('target')}"
                       for e in events if e.kind in ("listen", "handler") and e.script == script})
    collectors = sorted({e.script for e in events
                         if e.kind == "read" and e.script and e.script != script})
    out: dict[str, list[str]] = {}
    if reads:
        out["card_fields_read"] = reads[:20]
    if triggers:
        out["triggers"] = triggers[:20]
    if collectors:
        out["other_readers"] = [c for c in collectors if c][:10]
    return out


def _stored_by(canary: Canary, events: Sequence[InstrumentEvent]) -> list[str]:
    """Scripts that wrote the canary into a cookie or Web Storage (first writer first)."""
    return list(dict.fromkeys(
        e.script for e in events
        if e.kind == "storage" and e.script and e.data and e.detail.get("via") != "snapshot"
        and find_canary(canary, e.data)))


def _exfiltration(canary: Canary, hits: Sequence[_Hit], classify: Callable[[str], HostInfo],
                  urls: dict[str, str | None], events: Sequence[InstrumentEvent],
                  revisited_at: float | None = None) -> list[Finding]:
    storers = _stored_by(canary, events) if revisited_at is not None else []
    groups: dict[tuple[str, str | None], list[_Hit]] = {}
    for hit in hits:
        host = hit.request.host
        if hit.where == "host name":  # the data is the name: the finding names what resolves it
            host = site_of(host)
        groups.setdefault((host, hit.script), []).append(hit)
    findings: list[Finding] = []
    for (host, script), group in groups.items():
        info = classify(f"https://{host}/")
        if info.host_class.is_trusted_for_card_data:
            continue  # the merchant, its processor, or what the policy approved
        full = [h for h in group if any(m.is_full for m in h.matches)]
        best_hit = (full or group)[0]
        best = next((m for m in best_hit.matches if m.is_full), best_hit.matches[0])
        encodings = sorted({m.encoding for h in group for m in h.matches})
        fields = sorted({f for h in group for m in h.matches for f in m.fields})
        r = best_hit.request
        leak = info.category == "session-replay"
        channel = ("websocket" if best_hit.where == "websocket frame"
                   else f"host name ({r.resource_type})" if best_hit.where == "host name"
                   else r.resource_type)
        if not full:
            severity, confidence = Severity.MEDIUM, Confidence.MEDIUM
            title = "Part of the canary card number (first 6 and last 4 digits) left the page"
            what = "part of the canary card number (first 6 + last 4)"
        elif leak:
            severity, confidence = Severity.HIGH, Confidence.HIGH
            title = "The canary card reached a session-replay vendor (a leak, not a skimmer)"
            what = "the canary card number"
        else:
            severity, confidence = Severity.CRITICAL, Confidence.HIGH
            title = "Confirmed exfiltration: the canary card was sent to a third party"
            what = "the canary card number"
        kind = info.host_class.value + (f", {info.category}" if info.category else "")
        # sent: forwarded to the host (a request never completed, e.g. cancelled by the next
        # navigation of its frame, did not leave either)
        sent = [h for h in group if not h.quarantined and (
            h.where == "websocket frame" or h.request.status is not None)]
        quarantined = not sent
        # store now, send later: a send on the next visit is blamed on the script that stored
        # the card when nothing on the send's own stack says who sent it
        later = bool(storers) and any(
            h.request.at is not None and h.request.at >= (revisited_at or 0) for h in group)
        if later and script is None:
            script = storers[0]
        message = (f"{what} ({best.encoding}) was sent to {host} ({kind}) by "
                   f"{_describe_script(script, urls)} via {channel}"
                   + (f", {best_hit.where}" if "joined" in best_hit.where else "")
                   + (f", together with the {', '.join(fields)}" if fields else "")
                   + ("; quarantined: it never left the browser" if quarantined else ""))
        evidence: dict[str, Any] = {
            "host": host, "host_class": info.host_class.value, "encoding": best.encoding,
            "encodings": encodings, "fields": fields, "channel": channel,
            "where": best_hit.where, "requests": len(group), "quarantined": quarantined,
            "sent": len(sent),
            "request": {"url": redact_url(r.url, canary), "method": r.method,
                        "excerpt": best.excerpt_masked},
            "reason": info.reason,
            **_context(events, script),
        }
        for key in ("category", "service", "lookalike_of"):
            if getattr(info, key):
                evidence[key] = getattr(info, key)
        if r.stack[1:]:
            evidence["stack"] = list(r.stack[:8])
        if later:
            evidence["stored_by"] = [_describe_script(s, urls) for s in storers]
            evidence["sent_on"] = "the next visit"
            others = [_describe_script(s, urls) for s in storers if s != script]
            message += ("; on the next visit, from browser storage where "
                        + (f"{', '.join(others)} had put it" if others
                           else "the same script had put it"))
        if script in r.stack[1:]:  # it called through libraries (jQuery's $.ajax …)
            through = [s for s in r.stack[: r.stack.index(script)] if s != script]
            evidence["through"] = [_describe_script(s, urls) for s in dict.fromkeys(through)]
            message += f" (through {', '.join(evidence['through'])})"
        tags = tuple(sorted({*CANARY_TAGS, *(("data-leak", "privacy") if leak and full else ())}))
        findings.append(Finding(
            rule="canary-exfiltration", title=title, severity=severity,
            confidence=confidence, message=message, script=script, evidence=evidence,
            tags=tags,
        ))
    return findings


#: how card data reaches another frame (instrumentation sinks), in words
_TO_FRAMES = {"postMessage": "postMessage", "message-received": "postMessage",
              "window-name": "the name of a frame sent to another origin"}


def _frame_and_storage(canary: Canary, events: Sequence[InstrumentEvent],
                       classify: Callable[[str], HostInfo], urls: dict[str, str | None],
                       page_url: str) -> list[Finding]:
    """The canary handed to another frame, or kept in browser storage."""
    findings: list[Finding] = []
    seen: set[tuple[str, ...]] = set()
    for e in events:
        if not e.data:
            continue
        sink = e.detail.get("sink", "")
        if e.kind == "sink" and sink in _TO_FRAMES:
            # where the card went: the target origin, or the receiving frame itself
            dest = e.detail.get("origin", "") if sink == "postMessage" else (e.frame or "")
            info = classify(dest) if dest and dest != "*" else None
            if info is not None and info.host_class.is_trusted_for_card_data:
                continue
            found = find_canary(canary, e.data)
            if not found or not found[0].is_full:
                continue
            where = info.host if info else "any origin ('*')"
            key = ("frame", where, e.script or "")
            if key in seen:
                continue
            seen.add(key)
            findings.append(Finding(
                rule="canary-to-frame", title=PIPELINE_RULES["canary-to-frame"].title,
                severity=Severity.HIGH, confidence=Confidence.MEDIUM, script=e.script,
                message=(f"the canary card number ({found[0].encoding}) was passed by "
                         f"{_TO_FRAMES[sink]} to {where}"
                         + (f" ({info.host_class.value})" if info else "")
                         + f"; seen {'sending' if sink == 'postMessage' else 'arriving'} in "
                         f"{_describe_script(e.script, urls)}"),
                evidence={"destination": where, "channel": sink, "encoding": found[0].encoding,
                          "excerpt": found[0].excerpt_masked,
                          **({"host_class": info.host_class.value} if info else {})},
                tags=tuple(sorted({*CANARY_TAGS, "postmessage"})),
            ))
        elif e.kind == "storage":
            found = find_canary(canary, e.data)
            if not found or not found[0].is_full:
                continue
            store, key_name = e.detail.get("store", ""), e.detail.get("key", "")
            key = ("storage", store, key_name)
            if key in seen:
                continue
            seen.add(key)
            by = f" by {_describe_script(e.script, urls)}" if e.script else ""
            findings.append(Finding(
                rule="canary-in-storage", title=PIPELINE_RULES["canary-in-storage"].title,
                severity=Severity.MEDIUM, confidence=Confidence.HIGH, script=e.script,
                message=(f"the canary card number ({found[0].encoding}) was written to "
                         f"{store} storage ({key_name!r}){by}: staged for a later page, or "
                         "stored against PCI DSS 3.3"),
                evidence={"store": store, "key": key_name, "encoding": found[0].encoding,
                          "excerpt": found[0].excerpt_masked, "page": page_url},
                tags=tuple(sorted({*CANARY_TAGS, "storage"} - {"exfiltration"})),
            ))
    return findings


def gate_notes(capture: PageCapture, findings: Sequence[Finding],
               urls: dict[str, str | None]) -> list[str]:
    """Gates the analysis saw but the scan may not have satisfied (shopping scans only)."""
    if capture.canary is None:
        return []
    notes = list(capture.gates)
    sent = {f.script for f in findings if f.rule.startswith("canary-")}
    page = capture.final_url or capture.url
    done: set[tuple[str | None, str]] = set()
    for f in findings:
        if f.rule not in GATE_RULES or f.script in sent:
            continue
        who = _describe_script(f.script, urls)
        pattern = str(f.evidence.get("pattern") or "")
        check = str(f.evidence.get("check") or "")
        if pattern:
            try:
                matched = re.search(pattern, page) is not None
            except re.error:
                matched = None
            state = ("the scanned URL matches it, yet nothing was sent" if matched else
                     "the scanned URL does not match it: scan a URL that does (--steps)"
                     if matched is False else "it could not be evaluated")
            text = f"{who} runs only on URLs matching {pattern!r}; {state}"
        elif f.evidence.get("store") or f.evidence.get("key"):
            text = (f"{who} runs once per visitor ({f.evidence.get('store', 'storage')} "
                    f"{f.evidence.get('key', '')!r}); the scan used a fresh profile, yet it "
                    "sent nothing")
        elif check:
            text = (f"{who} checks {check}; the scan hides automation, yet it sent nothing: "
                    "it may have recognised the scanner")
        else:
            text = f"{who}: {f.message}; it sent nothing the scan could see"
        if (f.script, text) not in done:
            done.add((f.script, text))
            notes.append(f"gate: {text}")
    return notes


def interaction_summary(capture: PageCapture, urls: dict[str, str | None]) -> dict[str, Any]:
    """For the report's page section: the canary (masked), what the shopper did, and what
    the instrumentation saw each script do."""
    canary = capture.canary
    assert canary is not None
    behaviour: dict[str, set[str]] = {}
    for e in capture.instrumentation:
        if not e.script or e.kind in ("armed", "storage"):
            continue
        d = e.detail
        if e.kind == "read":
            text = f"reads {d.get('field')} ({d.get('via')})"
        elif e.kind in ("listen", "handler"):
            text = f"{'listens' if e.kind == 'listen' else 'sets on'} {d.get('event')} on " \
                   f"{d.get('field') or d.get('target')}"
        elif e.kind == "sink":
            text = f"{d.get('sink')} to {_host(d.get('url', '')) or d.get('origin', '')}"
        elif e.kind == "inject":
            text = f"injects {d.get('tag')} ({d.get('via')})"
        elif e.kind == "form-action":
            text = f"sets a form action to {_host(d.get('url', ''))}"
        else:
            text = f"{e.kind} {d.get('check', '')}".strip()
        behaviour.setdefault(e.script, set()).add(text)
    return {
        "canary": {"pan": canary.masked_pan, "expiry": canary.expiry, "name": canary.name},
        "interaction": list(capture.interaction),
        "behaviour": {sid: sorted(v)[:30] for sid, v in sorted(behaviour.items())},
    }


def _authorize(script: ScriptReport, site: SitePolicy) -> ScriptReport:
    url = script.url if script.url and "://" in script.url and script.kind.value in (
        "external", "dynamic", "worker") else None
    approved = site.approved_script(url, script.sha256)
    if approved is None:
        return replace(script, authorization="unapproved")
    return replace(script, authorization="approved", justification=approved.justification)


def error_report(url: str, reason: str) -> TargetReport:
    return TargetReport(url, TargetKind.PAGE, Verdict.ERROR, error=reason)


def canary_for(options: ScanOptions, url: str) -> Canary | None:
    """The canary card a scan types on `url`: derived from `canary_seed` and the URL, or None
    (the capture then makes a fresh one)."""
    if options.canary_seed is None:
        return None
    digest = hashlib.sha256(f"{options.canary_seed}\n{url}".encode()).digest()
    return Canary.generate(seed=int.from_bytes(digest[:8], "big"))


#: how far a page scan's clock jumps before the shopper types (at most): kits that install
#: their listeners seconds to a minute or two after load are listening when the card is typed
BEFORE_SHOPPER_MS = 120_000


def _page_clock(options: ScanOptions) -> Any:
    """The page clock of a page scan: `fast_forward` seconds (at most two minutes) before the
    shopper, and `fast_forward` seconds after pay: delayed listeners and sends run now."""
    if options.fast_forward <= 0 or not options.shop:
        return None
    from skimscan.capture.page import Acceleration

    jump = int(options.fast_forward * 1000)
    return Acceleration(jump_ms=jump, before_ms=min(jump, BEFORE_SHOPPER_MS))


class Scanner:
    """One browser and one analysis engine for many pages.

        async with Scanner(ScanOptions(host_map=...)) as scanner:
            report = await scanner.scan_many(["https://shop.example/checkout"])
    """

    def __init__(self, options: ScanOptions | None = None, engine: Engine | None = None):
        self.options = options or ScanOptions()
        self.engine = engine or Engine(EngineOptions())
        self._session: Any = None
        self._analysis = asyncio.Lock()  # one analysis at a time: the engine is not thread-safe
        self._steps: tuple[Step, ...] | None = None
        self._site_steps: dict[int, tuple[Step, ...]] = {}  # by id() of the SitePolicy
        # Bad steps (the file, or the policy's) are a ConfigError before any page is scanned.
        if self.options.steps is not None:
            self._steps = load_steps(self.options.steps)
        elif self.options.policy is not None:
            policy = self.options.policy
            for site in (*policy.sites, policy.default):
                if site.steps:
                    self._site_steps[id(site)] = parse_steps(
                        site.steps, f"{policy.path or 'policy'}: site {site.name!r}")

    async def __aenter__(self) -> Scanner:
        if not self.options.no_browser:
            from skimscan.capture.page import BrowserSession, CaptureOptions

            self._session = BrowserSession(CaptureOptions(
                host_map=self.options.host_map,
                ignore_https_errors=self.options.ignore_https_errors,
                allow_private=self.options.allow_private))
            await self._session.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _capture(self, url: str) -> PageCapture:
        o = self.options
        if o.no_browser:
            from skimscan.capture.static import fetch_static

            return await fetch_static(url, timeout=o.timeout, host_map=o.host_map,
                                      ignore_https_errors=o.ignore_https_errors,
                                      allow_private=o.allow_private)
        if self._session is None:
            raise SkimscanError("Scanner is not started (use `async with Scanner(...)`)")
        site = _site_policy(o, url)
        steps = self._steps if self._steps is not None else self._site_steps.get(id(site), ())
        canary = canary_for(o, url) or Canary.generate()
        result: PageCapture = await self._session.capture(
            url, timeout=o.timeout, wait=o.wait, ignore_https_errors=o.ignore_https_errors,
            shop=o.shop, steps=steps, live=o.live, trust=trust_for(url, site),
            selectors=site.card_fields, clock=_page_clock(o), canary=canary,
            stored=lambda value: bool(find_canary(canary, value)))
        return result

    async def scan(self, url: str) -> TargetReport:
        """Scan one page; never raises for a page that cannot be scanned (verdict: error)."""
        try:
            capture = await self._capture(url)
        except TargetError as exc:
            return error_report(url, str(exc))
        except SkimscanError:
            raise
        except Exception as exc:  # a capture bug must not take the other pages down
            return error_report(url, f"capture failed: {type(exc).__name__}: {exc}")
        site = _site_policy(self.options, capture.final_url or url)
        # Analysis is CPU-bound: run it off the event loop so other captures keep going.
        async with self._analysis:
            return await asyncio.to_thread(analyze_capture, capture, self.engine, site)

    async def scan_many(self, urls: Sequence[str],
                        progress: Callable[[int, int, TargetReport], None] | None = None,
                        *, on_done: Callable[[TargetDone], None] | None = None) -> Report:
        """Scan `urls`, `concurrency` at a time. `progress(done, total, target)` and
        `on_done(TargetDone)` (the same, with the page's own seconds) hear of each page."""
        started = now_iso()
        sem = asyncio.Semaphore(max(1, self.options.concurrency))
        done = 0

        async def one(url: str) -> TargetReport:
            nonlocal done
            async with sem:
                begin = time.monotonic()
                result = await self.scan(url)
                spent = time.monotonic() - begin
            done += 1
            if progress is not None:
                progress(done, len(urls), result)
            if on_done is not None:
                on_done(TargetDone(result, spent, done, len(urls)))
            return result

        targets = await asyncio.gather(*(one(u) for u in urls))
        return Report(tuple(targets), __version__, started, now_iso())


async def ascan_urls(urls: Sequence[str], options: ScanOptions | None = None,
                     engine: Engine | None = None) -> Report:
    async with Scanner(options, engine) as scanner:
        return await scanner.scan_many(urls)


async def ascan_url(url: str, options: ScanOptions | None = None,
                    engine: Engine | None = None) -> Report:
    """Scan one page in a real browser (or statically with `no_browser`)."""
    return await ascan_urls([url], options, engine)


def scan_url(url: str, options: ScanOptions | None = None, engine: Engine | None = None) -> Report:
    """Synchronous `ascan_url`, for scripts and notebooks without an event loop."""
    return asyncio.run(ascan_url(url, options, engine))

