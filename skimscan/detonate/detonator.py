"""Run one file in the sandboxed browser on the synthetic checkout, as a shopper would meet it.

For each template page, best first (`templates.rank`), in a fresh browser context (a new
visitor: once-per-visitor cookies are absent): the file is served as a third-party script (or
is the page, for HTML), the page clock is advanced before and after the shopper (delays of
minutes pass in well under a second), missing card/billing/pay elements the file asks for are
created, the canary shopper types and pays, and the page scan's findings that are the file's
doing are kept (`attribute.py`). Pages are tried until one proves the file malicious without
created elements, or `max_pages`, or the file's time budget, runs out — or at once when the
file did nothing at all (no field read or watched, nothing sent, injected, stored or checked)
on the default page, whose URL satisfies the commonest checks: an inert library costs one
page or two.

Nothing leaves the machine: the browser resolves only the checkout's own names (a confined host
map) and every request to any other host is answered inside the browser, before the canary
is typed and after. The file's code runs only in the browser's sandbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any

from skimscan.capture.hostmap import HostMap
from skimscan.capture.page import Acceleration, BrowserSession, CaptureOptions
from skimscan.capture.quarantine import Trust
from skimscan.detonate.attribute import Attributed, attribute, reattribute, template_ids
from skimscan.detonate.checkout import (
    HOSTS,
    SAMPLE_HOST,
    SHOP_HOST,
    SUCCESS_URL,
    Staged,
    SyntheticCheckout,
    page_url,
)
from skimscan.detonate.templates import Template, always_tried, rank
from skimscan.errors import TargetError
from skimscan.models import Finding, PageCapture, ScriptReport, Verdict
from skimscan.pipeline import Engine
from skimscan.policy.policy import SitePolicy
from skimscan.scanner import analyze_capture, page_verdict, trust_for

log = logging.getLogger(__name__)
_ORDER = (Verdict.CLEAN, Verdict.SUSPICIOUS, Verdict.MALICIOUS)


@dataclass(frozen=True)
class DetonationOptions:
    """How files are detonated. Part of the cache key (`fingerprint`)."""

    #: template pages tried per file at most
    max_pages: int = 5
    #: seconds for one file, all its pages together
    file_timeout: float = 90.0
    #: seconds to load one page
    page_timeout: float = 15.0
    #: seconds to keep watching after the shopper (the clock has been advanced already)
    wait: float = 0.5
    #: files detonated at once, each in its own browser context
    concurrency: int = 2
    clock: Acceleration = field(default_factory=Acceleration)
    synthesise: bool = True
    #: milliseconds between the shopper's key presses
    typing_delay: float = 1.0
    executable: str | None = None

    def fingerprint(self) -> str:
        return (f"pages={self.max_pages};clock={self.clock.jump_ms}/{self.clock.run_ms}"
                f"/{self.clock.hops};"
                f"synth={int(self.synthesise)};wait={self.wait:g}")


@dataclass(frozen=True)
class PageRun:
    """One template page a file ran on."""

    template: str
    url: str
    verdict: Verdict
    seconds: float
    error: str | None = None
    synthesised: tuple[str, ...] = ()
    gates: tuple[str, ...] = ()
    interaction: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"template": self.template, "url": self.url, "verdict": self.verdict.value,
                "seconds": self.seconds, "error": self.error,
                "synthesised": list(self.synthesised), "gates": list(self.gates),
                "interaction": list(self.interaction)}


@dataclass(frozen=True)
class Detonation:
    """What running one file showed: the findings that are its doing, the scripts it made,
    and each page it ran on. `verdict` is the detonation's alone (not the static one)."""

    verdict: Verdict
    findings: tuple[Finding, ...] = ()
    scripts: tuple[ScriptReport, ...] = ()
    pages: tuple[PageRun, ...] = ()
    error: str | None = None
    #: (rule, host, sends, template) of the file's static findings its pages contradicted:
    #: it sent to that host after typing, never with the card (`merge` lowers them)
    lowered: tuple[tuple[str, str, int, str], ...] = ()


def _rank_key(run: PageRun, capped: bool) -> tuple[int, int]:
    return (_ORDER.index(run.verdict) if run.verdict in _ORDER else -1, 0 if capped else 1)


class Detonator:
    """One synthetic checkout and one browser for many files:

        async with Detonator(engine) as d:
            result = await d.detonate("kit.js", code, file_script_id="s1")
    """

    def __init__(self, engine: Engine, options: DetonationOptions | None = None) -> None:
        self.engine = engine
        self.options = options or DetonationOptions()
        self.checkout = SyntheticCheckout()
        self._session: BrowserSession | None = None
        self._analysis = asyncio.Lock()  # the engine is not thread-safe

    async def __aenter__(self) -> Detonator:
        await self.checkout.start()
        try:
            host_map = HostMap.parse(self.checkout.host_map_specs(), confine=True)
            self._session = BrowserSession(CaptureOptions(
                host_map=host_map, executable=self.options.executable,
                answer_locally=lambda host: host not in HOSTS, screenshot=False,
                typing_delay=self.options.typing_delay,
                extra_args=("--ignore-certificate-errors",)))
            await self._session.start()
        except BaseException:
            await self.checkout.stop()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if self._session is not None:
                await self._session.close()
                self._session = None
        finally:
            await self.checkout.stop()

    async def detonate(self, name: str, code: str, *, file_script_id: str = "s1",
                       html: bool = False, hints: str = "",
                       templates: Sequence[str] = ()) -> Detonation:
        """Run `code` (a script, or with `html` a page) on the best template pages, or on the
        `templates` named. `hints` is text that names the platform (the code itself, the
        strings deobfuscation revealed). Never raises for a file that misbehaves: a file that
        could not be run on any page has `verdict: error` and says why."""
        staged = self.checkout.stage(PurePosixPath(name).name, code, html=html)
        start = time.monotonic()
        runs: list[tuple[PageRun, Attributed | None]] = []
        plan = ([t for t in self.checkout.templates if t.name in templates] if templates
                else rank(self.checkout.templates, hints or code, self.options.max_pages))
        tried: list[Template] = []
        ranked: list[Template] = []  # every page, best first: only for a file that hooks
        try:
            while plan:
                template = plan.pop(0)
                left = self.options.file_timeout - (time.monotonic() - start)
                if left <= 0:
                    break
                run = await self._page(template, staged, file_script_id, left)
                runs.append(run)
                tried.append(template)
                page, got = run
                if page.verdict is Verdict.MALICIOUS and got is not None and not got.synthesised:
                    break
                if (got is not None and not got.active and not templates
                        and template is self.checkout.templates[0]):
                    break  # it did nothing even where the commonest gates are met
                if got is not None and got.hooked and not templates:
                    ranked = ranked or rank(self.checkout.templates, hints or code)
                    plan = _through(got.hooked, plan, tried, ranked,
                                    always_tried(self.checkout.templates, ranked))
        finally:
            self.checkout.release(staged)
        return _combine(runs)

    async def _page(self, template: Template, staged: Staged, file_script_id: str,
                    budget: float) -> tuple[PageRun, Attributed | None]:
        assert self._session is not None
        url = page_url(template)
        started = time.monotonic()
        o = self.options
        try:
            capture = await asyncio.wait_for(self._session.capture(
                url, timeout=o.page_timeout, wait=o.wait, ignore_https_errors=True, shop=True,
                trust=_trust(url), clock=o.clock, synthesise=o.synthesise,
                cookies=self.checkout.cookies(template, staged), leave=SUCCESS_URL,
                referer=f"https://{SHOP_HOST}{template.came_from}"), budget)
        except (TargetError, TimeoutError) as exc:
            reason = str(exc) or f"the page did not finish within the file's {o.file_timeout:g}s"
            return PageRun(template.name, url, Verdict.ERROR, time.monotonic() - started,
                           error=reason), None
        if capture.canary_typed_at is None:
            # Every template has a card form: a page where the shopper could type nothing was
            # broken by the file (a hung main thread, the form removed, a navigation away).
            why = "; ".join(capture.notes[-2:]) or "no card field could be typed"
            return PageRun(template.name, url, Verdict.ERROR, time.monotonic() - started,
                           error=f"the page could not be exercised: {why}",
                           interaction=capture.interaction), None
        own = template_ids(capture.scripts, self.checkout.own_html(template, staged))
        capture = reattribute(capture, own)
        async with self._analysis:
            report = await asyncio.to_thread(analyze_capture, capture, self.engine, SitePolicy())
        got = attribute(report, capture.instrumentation,
                        sample_url=None if staged.html else staged.script_url,
                        file_script_id=file_script_id, template=template.name, page_url=url,
                        template_scripts=own, file_is_html=staged.html)
        verdict = page_verdict(got.findings)
        run = PageRun(template.name, url, verdict, round(time.monotonic() - started, 2),
                      synthesised=got.synthesised, gates=_gates(template, capture),
                      interaction=capture.interaction)
        return run, got


def _through(hooked: Sequence[str], plan: list[Template], tried: Sequence[Template],
             ranked: Sequence[Template], keep: Sequence[Template] = ()) -> list[Template]:
    """The pages left to try for a file that replaced a send API (`window.fetch = …`): it
    copies what the page sends through it, so the next page is one whose own order goes
    through that API — the best-ranked such page not tried yet, one that sends another kind
    of body than the pages tried (a form, JSON) first — in place of the last page planned
    that is not one of the pages always tried (`keep`, see `always_tried`); the number of
    pages stays as it was."""
    styles = {t.submits for t in tried}
    through = [t for t in ranked if t.send_api in hooked and t not in tried]
    wanted = next((t for t in through if t.submits not in styles), None) or next(iter(through),
                                                                               None)
    if wanted is None or not plan or plan[0] is wanted:
        return plan
    rest = [t for t in plan if t is not wanted]
    if len(rest) == len(plan):  # one page has to go: the last that is not always tried
        drop = next((t for t in reversed(rest) if t not in keep), None)
        if drop is None:
            return plan
        rest.remove(drop)
    return [wanted, *rest]


def _trust(url: str) -> Trust:
    """The quarantine's trust on a checkout page: the shop's, plus the file's own host, so
    that the next page can load the file again. (Its host is served by the checkout on
    loopback: nothing reaches it from outside; judging the canary uses the shop's
    classification, where the file's host is unknown.)"""
    base = trust_for(url, SitePolicy())
    return Trust(lambda host: host == SAMPLE_HOST or base.is_trusted(host), base.domains)


def _gates(template: Template, capture: PageCapture) -> tuple[str, ...]:
    """The conditions this page met for code that waits for them, in words."""
    gates = [f"URL: a {template.platform} checkout at {template.path}, "
             f"come to from {template.came_from}",
             "visitor: a fresh profile, with the shop's own cookies"
             + (" and storage" if template.local_storage else "") + " and no mark of a visit",
             "automation: navigator.webdriver false, a desktop browser's window and WebGL, "
             "on Windows"]
    gates += [line.replace("advanced the page clock by", "clock: advanced by")
              for line in capture.interaction if line.startswith("advanced the page clock")]
    if any(line.startswith("left for") for line in capture.interaction):
        gates.append("unload: left for the order confirmation (pagehide, visibilitychange), "
                     "which carries the file too")
    if any(line.startswith("pressed the pay button") for line in capture.interaction):
        gates.append("events: typed with key events and blurred each field, pressed pay "
                     "(touchend, mousedown, mouseup, click, submit)")
    return (*gates, *capture.gates)


def _combine(runs: list[tuple[PageRun, Attributed | None]]) -> Detonation:
    pages = tuple(r for r, _ in runs)
    done = [(r, a) for r, a in runs if a is not None]
    if not done:
        reasons = "; ".join(f"{r.template}: {r.error}" for r in pages) or "no page was tried"
        return Detonation(Verdict.ERROR, pages=pages, error=f"could not detonate: {reasons}")
    _best_run, best = max(done, key=lambda ra: _rank_key(ra[0], bool(ra[1].synthesised)))
    # The best page's findings, plus any other page's that add a rule the best one lacks.
    findings = list(best.findings)
    scripts = {s.id: s for s in best.scripts}
    rules = {f.rule for f in findings}
    for _run, got in done:
        if got is best:
            continue
        for f in got.findings:
            if f.rule not in rules:
                findings.append(f)
                rules.add(f.rule)
        for s in got.scripts:
            scripts.setdefault(s.id, s)
    lowered = sorted({(rule, host, sends, run.template) for run, got in done
                      for rule, host, sends in got.lowered})
    return Detonation(page_verdict(findings), tuple(findings), tuple(scripts.values()), pages,
                      lowered=tuple(lowered))


def summary(detonation: Detonation, reasons: list[str], *, cached: bool = False) -> dict[str, Any]:
    """The report's `detonation` object for a file target."""
    return {
        "verdict": detonation.verdict.value,
        "reasons": list(reasons),
        "error": detonation.error,
        "cached": cached,
        "pages": [{k: v for k, v in p.to_json().items() if k != "interaction"}
                  for p in detonation.pages],
    }
