"""Wires the stages for pages: capture (browser or static fetch) → extract → analyze → policy.

`Scanner` keeps one browser (and one analysis engine, so a script seen on many pages is analysed
once) for many pages; `ascan_url`/`scan_url` are the one-call forms. Every page ends as a
`TargetReport`: a page that cannot be loaded is `verdict: error` with the reason, and the other
pages complete. Runtime evidence (requests the page made) is judged here too: data sent to a
look-alike or unknown host is a finding even when no script rule fired.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from skimscan import __version__
from skimscan.analyze.analyzer import sort_findings
from skimscan.capture.hostmap import HostMap
from skimscan.errors import SkimscanError, TargetError
from skimscan.extract.html import parse_html
from skimscan.models import (
    Confidence,
    Finding,
    HostClass,
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
from skimscan.pipeline import Engine, EngineOptions, now_iso
from skimscan.policy.hosts import HostClassifier
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


def _site_policy(options: ScanOptions, url: str) -> SitePolicy:
    return options.policy.for_url(url) if options.policy else SitePolicy()


def classifier_for(url: str, site: SitePolicy) -> HostClassifier:
    return HostClassifier(url, approved=site.approved_hosts, processors=site.processors,
                          known_bad=site.known_bad)


def _carries_data(request: RequestRecord, ws_payload: bool) -> bool:
    if request.body:
        return True
    if ws_payload:
        return True
    return len(urlsplit(request.url).query) > _DATA_QUERY


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
            title = "The page sent data to a look-alike or known-bad host"
        elif r.host_class is HostClass.UNKNOWN:
            rule, severity, confidence = "runtime-data-to-unknown-host", Severity.MEDIUM, \
                Confidence.MEDIUM
            title = "The page sent data to an unknown host"
        else:
            continue
        if (rule, r.host) in seen:
            continue
        seen.add((rule, r.host))
        findings.append(Finding(
            rule=rule, title=title, severity=severity, confidence=confidence,
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
    return {"forms": forms, "card_fields": fields, "iframes": iframes, "csp_meta": csp}


def analyze_capture(capture: PageCapture, engine: Engine, site: SitePolicy) -> TargetReport:
    classifier = classifier_for(capture.final_url or capture.url, site)
    report = engine.analyze_target(capture.url, TargetKind.PAGE, capture.scripts,
                                   classifier.classify, capture.notes)
    requests = tuple(
        replace(r, host_class=classifier.classify(r.url).host_class) for r in capture.requests
    )
    ws_hosts = {urlsplit(m.url).hostname or "" for m in capture.websocket_messages}
    findings = [*report.findings, *request_findings(requests, ws_hosts)]
    findings = site.apply(findings, report.scripts)
    headers = {k: v for k, v in ((k.lower(), v) for k, v in capture.response_headers.items())
               if k in SECURITY_HEADERS}
    verdict = report.verdict if report.verdict is Verdict.ERROR else verdict_for(findings)
    scripts = report.scripts
    if site.scripts or site.pages:  # a policy applies: say which scripts it authorises
        scripts = tuple(_authorize(s, site) for s in scripts)
    return replace(report, verdict=verdict, findings=tuple(sort_findings(findings)),
                   requests=requests, headers=headers, page=page_summary(capture),
                   target=capture.url, scripts=scripts, screenshot_png=capture.screenshot_png)


def _authorize(script: ScriptReport, site: SitePolicy) -> ScriptReport:
    url = script.url if script.url and "://" in script.url and script.kind.value in (
        "external", "dynamic", "worker") else None
    approved = site.approved_script(url, script.sha256)
    if approved is None:
        return replace(script, authorization="unapproved")
    return replace(script, authorization="approved", justification=approved.justification)


def error_report(url: str, reason: str) -> TargetReport:
    return TargetReport(url, TargetKind.PAGE, Verdict.ERROR, error=reason)


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

    async def __aenter__(self) -> Scanner:
        if not self.options.no_browser:
            from skimscan.capture.page import BrowserSession, CaptureOptions

            self._session = BrowserSession(CaptureOptions(host_map=self.options.host_map))
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
                                      ignore_https_errors=o.ignore_https_errors)
        if self._session is None:
            raise SkimscanError("Scanner is not started (use `async with Scanner(...)`)")
        result: PageCapture = await self._session.capture(
            url, timeout=o.timeout, wait=o.wait, ignore_https_errors=o.ignore_https_errors)
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
                        progress: Callable[[int, int, TargetReport], None] | None = None
                        ) -> Report:
        started = now_iso()
        sem = asyncio.Semaphore(max(1, self.options.concurrency))
        done = 0

        async def one(url: str) -> TargetReport:
            nonlocal done
            async with sem:
                result = await self.scan(url)
            done += 1
            if progress is not None:
                progress(done, len(urls), result)
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

