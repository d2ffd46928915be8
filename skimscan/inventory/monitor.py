"""SIDE-CAR (inventory) — one monitored scan: scan a page, normalise its scripts, compare with
the baseline, and record it all in the store.

`Monitor.check(url)` is what `baseline`, `diff`, `watch` and `policy init` share:

1. the scan is recorded `running` (so a killed process leaves a trace, never a clean look);
2. the page is scanned with `skimscan.scanner` (real browser or static), keeping each script's
   code in memory just long enough to normalise it (normalisation is cached by sha256 in the
   store: a script body is parsed once, ever);
3. the snapshot (scripts by identity, destinations, security headers, findings) is compared
   with the target's baseline; changes already alerted for the previous alerting scan (same
   baseline) are not alerted again;
4. the snapshot, new contents, the original text of scripts not kept yet, changes, final status
   and — when the scan raises an alert — its outbox row are written in one transaction.

Only `watch` scans raise alerts (`alerting=True`); a scan a person asked for (`diff`, `baseline`,
`policy init`) alerts nobody, so it is not what the watcher's alerts are de-duplicated against:
running `diff` between two rounds does not swallow the next round's alert.

Invariants: a page that cannot be scanned is recorded `incomplete` with the reason and never
compared (an outage is not a change); an unexpected error in one page is contained here and
recorded, so a schedule of many pages goes on; the scanner's code never runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from urllib.parse import urlsplit

from skimscan import __version__
from skimscan.inventory.diff import Change, diff_snapshots, finding_changes, stale_forms
from skimscan.inventory.normalize import NORMALIZER_VERSION, normalize_code, script_key
from skimscan.inventory.proposals import origin_of
from skimscan.inventory.store import (
    Baseline,
    Content,
    Destination,
    FindingState,
    NewChange,
    ScriptState,
    Snapshot,
    Store,
)
from skimscan.models import Finding, PageCapture, Severity, TargetReport, Verdict
from skimscan.pipeline import Engine, EngineOptions
from skimscan.policy.policy import sri_hashes
from skimscan.scanner import Scanner, ScanOptions


class CodeKeepingScanner(Scanner):
    """A `Scanner` that also hands back the code of each script it captured (by script id).

    The report itself never holds code (DESIGN: reports carry identity, not code); change
    detection needs it for a moment, to normalise and hash it.
    """

    def __init__(self, options: ScanOptions | None = None, engine: Engine | None = None):
        super().__init__(options, engine)
        self._kept: dict[str, PageCapture] = {}

    async def _capture(self, url: str) -> PageCapture:
        capture = await super()._capture(url)
        self._kept[url] = capture
        return capture

    async def scan_with_code(self, url: str) -> tuple[TargetReport, dict[str, str]]:
        report = await self.scan(url)
        capture = self._kept.pop(url, None)
        codes = {s.id: s.code for s in capture.scripts} if capture else {}
        return report, codes


@dataclass(frozen=True)
class PageResult:
    """The outcome of one monitored scan."""

    target: str
    scan_id: int
    status: str  # complete / incomplete
    verdict: str | None = None
    error: str | None = None
    changes: tuple[Change, ...] = ()  # every difference from the baseline
    alerts: tuple[Change, ...] = ()  # the changes not already alerted for the previous scan
    baseline: Baseline | None = None
    baselined: bool = False  # this scan became the baseline
    blocking: int = 0  # active high/critical findings with at least medium confidence
    newly_incomplete: bool = False  # incomplete after a complete scan: worth one alert


def rules_version(engine: Engine) -> str:
    """Number and digest of the loaded rules: which rules judged a scan, for the record."""
    digest = hashlib.sha256()
    for rule in sorted(engine.rules, key=lambda r: r.id):
        digest.update(json.dumps([rule.id, rule.severity.label, rule.confidence.label,
                                  rule.match], sort_keys=True, default=str).encode())
    return f"{len(engine.rules)}:{digest.hexdigest()[:12]}"


def finding_fingerprint(f: Finding, script_key_: str | None) -> str:
    """Identity of a finding across scans: rule, script identity and where data goes; never
    line numbers or per-scan script ids."""
    ev = f.evidence
    parts = [f.rule, script_key_ or "", str(ev.get("host", "")), str(ev.get("sink", "")),
             str(ev.get("host_class", "")), f.title]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def build_snapshot(report: TargetReport, contents: Mapping[str, Content]) -> Snapshot:
    """The storable view of a report (scripts by identity, destinations, headers, findings)."""
    scripts: dict[str, ScriptState] = {}
    keys_by_id: dict[str, str] = {}
    for s in report.scripts:
        content = contents.get(s.sha256)
        ast = content.ast_hash if content else ""
        key = script_key(s.url, s.kind.value, s.frame, ast or s.sha256 or s.id)
        existing = scripts.get(key)
        if existing is not None and existing.ast_hash != ast:
            n = 2
            while f"{key}#{n}" in scripts:
                n += 1
            key = f"{key}#{n}"
        keys_by_id[s.id] = key
        if key in scripts:
            continue  # the same script again (another frame): one identity
        scripts[key] = ScriptState(
            key=key, url=s.url, kind=s.kind.value, sha256=s.sha256, ast_hash=ast, frame=s.frame,
            host_class=s.host_class.value, verdict=s.verdict.value,
            authorization=s.authorization, justification=s.justification)
    counts: dict[tuple[str, str], tuple[str, str, int]] = {}
    for r in report.requests:
        origin = origin_of(r.url)
        host = r.host or (urlsplit(r.url).hostname or "")
        if origin is None or not host:
            continue
        key2 = (origin, r.resource_type)
        _, _, n = counts.get(key2, (host, r.host_class.value, 0))
        counts[key2] = (host, r.host_class.value, n + 1)
    destinations = tuple(Destination(o, h, c, t, n)
                         for (o, t), (h, c, n) in sorted(counts.items()))
    findings: dict[str, FindingState] = {}
    for f in report.findings:
        skey = keys_by_id.get(f.script or "")
        fp = finding_fingerprint(f, skey)
        findings.setdefault(fp, FindingState(fp, f.rule, f.severity.label, f.confidence.label,
                                             f.message, skey, f.suppressed))
    return Snapshot(report.target, tuple(sorted(scripts.values(), key=lambda s: s.key)),
                    destinations, dict(sorted(report.headers.items())),
                    tuple(sorted(findings.values(), key=lambda f: f.fingerprint)))


async def normalize_contents(report: TargetReport, codes: Mapping[str, str],
                             known: Mapping[str, Content]) -> dict[str, Content]:
    """Contents for the report's scripts not already in `known` (normalised off the loop)."""
    out: dict[str, Content] = {}
    for s in report.scripts:
        if not s.sha256 or s.sha256 in known or s.sha256 in out or s.id not in codes:
            continue
        code = codes[s.id]
        data = code.encode("utf-8", "surrogatepass")
        norm = await asyncio.to_thread(normalize_code, code)
        out[s.sha256] = Content(s.sha256, norm.ast_hash, norm.parsed, len(data), norm.code,
                                sri_hashes(data), NORMALIZER_VERSION)
    return out


def script_texts(report: TargetReport, codes: Mapping[str, str]) -> dict[str, bytes]:
    """The text of each script version of the report, as the UTF-8 bytes whose sha256 the
    report names (by that sha256)."""
    texts: dict[str, bytes] = {}
    for s in report.scripts:
        if s.sha256 and s.id in codes and s.sha256 not in texts:
            data = codes[s.id].encode("utf-8", "surrogatepass")
            if hashlib.sha256(data).hexdigest() == s.sha256:
                texts[s.sha256] = data
    return texts


def new_originals(report: TargetReport, codes: Mapping[str, str], store: Store) -> list[bytes]:
    """The text of each script version the store does not keep yet (a QSA asks what was
    served, not only its normalised form)."""
    texts = script_texts(report, codes)
    missing = store.missing_originals(texts)
    return [data for sha, data in sorted(texts.items()) if sha in missing]


class Monitor:
    """Scans pages and records them in a store. `async with Monitor(store, options) as m:`."""

    def __init__(self, store: Store, options: ScanOptions | None = None,
                 engine: Engine | None = None, *, min_severity: Severity = Severity.LOW,
                 scanner: CodeKeepingScanner | None = None) -> None:
        self.store = store
        self.engine = engine or Engine(EngineOptions())
        self.scanner = scanner or CodeKeepingScanner(options, self.engine)
        self.min_severity = min_severity
        self.rules_version = rules_version(self.engine)

    async def __aenter__(self) -> Monitor:
        await self.scanner.__aenter__()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.scanner.__aexit__(exc_type, exc, tb)

    async def check(self, url: str, *, auto_baseline: bool = False,
                    approved_by: str = "skimscan watch (first complete scan)",
                    alerting: bool = True) -> PageResult:
        """Scan `url`, compare with its baseline, record everything; never raises for the page.
        `alerting=False` for a scan a person asked for: nothing is alerted or queued."""
        store = self.store
        previous = store.latest_scan(url, status=None)
        was_complete = previous is not None and previous.status == "complete"
        scan_id = store.begin_scan(url, __version__, self.rules_version, alerting=alerting)
        try:
            return await self._check(url, scan_id, was_complete and alerting, auto_baseline,
                                     approved_by, alerting)
        except asyncio.CancelledError:
            store.fail_scan(scan_id, "the scan was interrupted")
            raise
        except Exception as exc:  # one page's failure is recorded; the schedule goes on
            error = f"scan failed: {type(exc).__name__}: {exc}"
            store.fail_scan(scan_id, error, enqueue=was_complete and alerting)
            return PageResult(url, scan_id, "incomplete", None, error,
                              baseline=store.baseline(url),
                              newly_incomplete=was_complete and alerting)

    async def _check(self, url: str, scan_id: int, was_complete: bool, auto_baseline: bool,
                     approved_by: str, alerting: bool) -> PageResult:
        store = self.store
        report, codes = await self.scanner.scan_with_code(url)
        known = store.contents(s.sha256 for s in report.scripts)
        new_contents = await normalize_contents(report, codes, known)
        originals = new_originals(report, codes, store)
        contents = {**known, **new_contents}
        snapshot = build_snapshot(report, contents)
        blocking = sum(1 for f in report.findings if f.suppressed is None and f.is_blocking)
        complete = report.verdict is not Verdict.ERROR and report.error is None
        baseline = store.baseline(url)
        if not complete:
            error = report.error or "the page could not be scanned"
            store.finish_scan(scan_id, snapshot, status="incomplete", verdict=report.verdict.value,
                              error=error, contents=new_contents.values(), originals=originals,
                              enqueue=was_complete)
            return PageResult(url, scan_id, "incomplete", report.verdict.value, error,
                              baseline=baseline, blocking=blocking,
                              newly_incomplete=was_complete)
        if baseline is not None:
            base_snap = store.snapshot(baseline.scan_id)
            contents = {**store.contents(s.sha256 for s in base_snap.scripts), **contents}
            # Old stored forms are normalised again from their text: kept, or in hand now.
            stale = stale_forms(contents, (*base_snap.scripts, *snapshot.scripts))
            in_hand = {sha: data.decode("utf-8", "surrogatepass")
                       for sha, data in script_texts(report, codes).items() if sha in stale}
            changes = diff_snapshots(base_snap, replace(snapshot, scan_id=scan_id), contents,
                                     min_severity=self.min_severity,
                                     originals={**store.original_texts(stale - in_hand.keys()),
                                                **in_hand})
        else:
            changes = finding_changes(url, None, snapshot, self.min_severity)
        alerts = self._new(url, scan_id, baseline, changes) if alerting else ()
        raised = {c.fingerprint for c in alerts}
        rows = [NewChange(c.kind.value, c.subject, c.before, c.after, c.detail, c.fingerprint,
                          c.fingerprint in raised) for c in changes]
        store.finish_scan(scan_id, snapshot, status="complete", verdict=report.verdict.value,
                          contents=new_contents.values(), changes=rows,
                          baseline_id=baseline.id if baseline else None, originals=originals,
                          enqueue=bool(alerts))
        baselined = False
        # A first scan without blocking findings becomes the baseline (its lesser findings are
        # alerted once, above); a page with blocking findings waits for a person.
        if baseline is None and auto_baseline and blocking == 0:
            baseline = store.set_baseline(url, scan_id, approved_by,
                                          "first complete scan, approved automatically")
            baselined = True
        return PageResult(url, scan_id, "complete", report.verdict.value, None, tuple(changes),
                          alerts, baseline, baselined, blocking)

    def _new(self, url: str, scan_id: int, baseline: Baseline | None,
             changes: Sequence[Change]) -> tuple[Change, ...]:
        """The changes not already alerted for the previous alerting scan (same baseline)."""
        prev = self.store.latest_scan(url, before=scan_id, alerting=True)
        already: set[str] = set()
        if prev is not None and prev.baseline_id == (baseline.id if baseline else None):
            already = {c.fingerprint for c in self.store.changes(scan_id=prev.id)}
        return tuple(c for c in changes if c.fingerprint not in already)


def exit_code(results: Sequence[PageResult], *, alerts_only: bool) -> int:
    """3 when a page is incomplete (outranks 1); 1 on changes (or only new ones, for watch)
    or blocking findings; else 0."""
    if any(r.status != "complete" for r in results):
        return 3
    if alerts_only:
        return 1 if any(r.alerts for r in results) else 0
    return 1 if any(r.changes or r.blocking for r in results) else 0
