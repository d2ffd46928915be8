"""Wires the stages for files and scripts: extract → analyze → policy → report data.

`Engine` holds what is shared across targets — the loaded rules, the analysis cache and a
process pool for parsing in parallel — so that a script seen in many files or pages is
analysed once. Per-target failures become `verdict: error` targets; they never abort a run.

`scan_files` analyses files in batches (`BATCH_FILES` files or `BATCH_BYTES` of code), each
batch extracted in parallel and then judged, so that `on_target` hears of finished targets while
the scan runs (CI logs show progress) and the pool still sees many files at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from skimscan import __version__
from skimscan.analyze.analyzer import RawAnalysis, extract_facts, judge, sort_findings
from skimscan.analyze.cache import AnalysisCache, SharedCache, default_cache_dir
from skimscan.analyze.known import KnownBuilds
from skimscan.analyze.parse import ParseLimits, run_deep
from skimscan.analyze.rules import RuleSet, load_rules
from skimscan.extract.files import (
    FileTarget,
    Found,
    decode_script,
    discover,
    load_file,
    make_source,
)
from skimscan.models import (
    Finding,
    HostClass,
    HostInfo,
    Location,
    Report,
    ScriptKind,
    ScriptReport,
    ScriptSource,
    TargetKind,
    TargetReport,
    Verdict,
    verdict_for,
)
from skimscan.policy import cooccurrence, tokenization
from skimscan.policy.hosts import HostClassifier

#: Below this much uncached code, a process pool costs more than it saves.
POOL_MIN_BYTES = 256 * 1024
#: `scan_files` batches: big enough to keep a pool busy, small enough to report progress.
BATCH_FILES = 128
BATCH_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class EngineOptions:
    rule_paths: tuple[Path, ...] = ()
    cache_dir: Path | None = None
    use_disk_cache: bool = True
    jobs: int | None = None  # None: one per core
    limits: ParseLimits = field(default_factory=ParseLimits)
    #: time budget for analysis in worker processes: this many seconds per MB of code, at
    #: least `min_seconds` (the parse budget bounds time too: an 8 MB script parses in ~45 s)
    seconds_per_mb: float = 120.0
    min_seconds: float = 60.0
    #: a script that is byte for byte a published build of a well-known library
    #: (`analyze.known`) is reported as that library and not analysed
    known_builds: bool = True
    #: a cache shared by many machines (fleet mode), behind the memory and disk caches
    shared_cache: SharedCache | None = None


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now (one of them is stuck on a script over its time budget)."""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()


def _extract_worker(code: str, limits: ParseLimits) -> tuple[RawAnalysis, float]:
    """The analysis of one script and the seconds it took (for per-target timings)."""
    started = time.monotonic()
    raw = run_deep(lambda: extract_facts(code, limits))
    return raw, time.monotonic() - started


@dataclass(frozen=True)
class TargetDone:
    """One finished target, for progress output: how long it took, and how far the run is."""

    target: TargetReport
    seconds: float
    done: int
    total: int


class Engine:
    """Analyses scripts with shared rules, cache and workers. Not thread-safe; one per task."""

    def __init__(self, options: EngineOptions | None = None, *, rules: RuleSet | None = None):
        self.options = options or EngineOptions()
        self.rules = rules if rules is not None else load_rules(
            list(self.options.rule_paths) or None
        )
        directory = None
        if self.options.use_disk_cache:
            directory = self.options.cache_dir or default_cache_dir()
        self.cache = AnalysisCache(directory, limits=self.options.limits,
                                   shared=self.options.shared_cache)
        self.known = KnownBuilds.load() if self.options.known_builds else None
        self._failures: dict[str, str] = {}
        #: seconds each script's analysis took in this run, by sha256 (cache hits: none)
        self.seconds: dict[str, float] = {}

    # --- extraction, cached and parallel ----------------------------------------------------

    def extract_all(self, scripts: Sequence[ScriptSource]) -> dict[str, RawAnalysis | str]:
        """sha256 -> RawAnalysis, or an error string when analysis itself crashed."""
        results: dict[str, RawAnalysis | str] = {}
        todo: dict[str, str] = {}
        for s in scripts:
            if s.sha256 in results or s.sha256 in todo or self.library(s.sha256):
                continue
            if s.sha256 in self._failures:  # failed once in this run: not again
                results[s.sha256] = self._failures[s.sha256]
                continue
            cached = self.cache.get(s.sha256)
            if cached is not None:
                results[s.sha256] = cached
            else:
                todo[s.sha256] = s.code
        if not todo:
            return results
        jobs = self.options.jobs or os.cpu_count() or 1
        total = sum(len(c) for c in todo.values())
        if jobs > 1 and len(todo) > 1 and total >= POOL_MIN_BYTES:
            results.update(self._extract_pool(todo, jobs))
        else:
            for sha, code in todo.items():
                results[sha] = self._extract_here(sha, code)
        for sha, raw in results.items():
            if sha in todo and isinstance(raw, RawAnalysis):
                self.cache.put(sha, raw)
            elif sha in todo:
                self._failures[sha] = str(raw)
        return results

    def library(self, sha256: str) -> str | None:
        """The published build this code is, when known builds are skipped."""
        return self.known.name(sha256) if self.known is not None else None

    def _extract_here(self, sha: str, code: str) -> RawAnalysis | str:
        started = time.monotonic()
        try:
            raw, _ = _extract_worker(code, self.options.limits)
            return raw
        except MemoryError:
            return "analysis ran out of memory"
        except Exception as exc:  # a bug in analysis must not lose the other scripts
            return f"analysis failed: {type(exc).__name__}: {exc}"
        finally:
            self.seconds[sha] = time.monotonic() - started

    def _extract_pool(self, todo: dict[str, str], jobs: int) -> dict[str, RawAnalysis | str]:
        results: dict[str, RawAnalysis | str] = {}
        pending = dict(todo)
        # Big scripts first, so the longest job does not start last.
        while pending:
            order = sorted(pending, key=lambda k: -len(pending[k]))
            pool = ProcessPoolExecutor(max_workers=min(jobs, len(order)))
            futures: dict[str, Future[tuple[RawAnalysis, float]]] = {
                sha: pool.submit(_extract_worker, pending[sha], self.options.limits)
                for sha in order
            }
            # The time budget: generous for the size (analysis runs at ~0.1 MB/s at worst).
            deadline = time.monotonic() + sum(
                self.options.seconds_per_mb * len(pending[s]) / 1e6 for s in order
            ) / min(jobs, len(order)) + self.options.min_seconds
            broken = False
            try:
                for sha, future in futures.items():
                    try:
                        results[sha], self.seconds[sha] = future.result(
                            timeout=max(0.0, deadline - time.monotonic()))
                        pending.pop(sha, None)
                    except BrokenProcessPool:
                        broken = True
                    except FutureTimeout:
                        # Over budget: report what is still running, keep what finished.
                        for late in [s for s in pending if not futures[s].done()]:
                            results[late] = ("analysis exceeded its time budget "
                                             f"({self.options.seconds_per_mb:g} s per MB)")
                            pending.pop(late)
                        for done_sha, done in futures.items():
                            if done_sha in pending and done.done() and not done.exception():
                                results[done_sha], self.seconds[done_sha] = done.result()
                                pending.pop(done_sha)
                        _stop(pool)
                        break
                    except Exception as exc:
                        results[sha] = f"analysis failed: {type(exc).__name__}: {exc}"
                        pending.pop(sha, None)
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
            if broken and pending:
                # The worker died (e.g. a native stack overflow). Blame the biggest pending
                # script, report it, and retry the rest in a fresh pool.
                culprit = max(pending, key=lambda k: len(pending[k]))
                results[culprit] = "analysis crashed its worker process"
                pending.pop(culprit)
        return results

    # --- judging ----------------------------------------------------------------------------

    def analyze_scripts(
        self, scripts: Sequence[ScriptSource], classify: Callable[[str | None], HostInfo]
    ) -> tuple[list[ScriptReport], list[Finding], list[str]]:
        """Reports and findings for scripts of one target; notes for analysis failures."""
        raws = self.extract_all(scripts)
        reports: list[ScriptReport] = []
        findings: list[Finding] = []
        notes: list[str] = []
        for script in scripts:
            raw = raws.get(script.sha256)
            host = classify(script.url) if script.url and "://" in script.url else None
            host_class = host.host_class if host else HostClass.FIRST_PARTY
            library = self.library(script.sha256)
            if library is not None:
                reports.append(replace(_script_report(script, host_class, Verdict.CLEAN, True),
                                       library=library))
                continue
            if not isinstance(raw, RawAnalysis):
                notes.append(f"{script.id} ({script.url or script.kind.value}): {raw}")
                reports.append(_script_report(script, host_class, Verdict.ERROR, False))
                continue
            _, found = judge(raw, code=script.code, sha256=script.sha256, classify=classify,
                             rules=self.rules, script_id=script.id, script_url=script.url,
                             script_kind=script.kind.value)
            found = cooccurrence.weigh(found, raw)
            found = tokenization.weigh(found, raw)
            if script.line_offset:
                found = [_shift(f, script.line_offset) for f in found]
            findings.extend(found)
            reports.append(_script_report(script, host_class, verdict_for(found),
                                          raw.parse_error is None))
        return reports, findings, notes

    def analyze_target(self, target: str, kind: TargetKind, scripts: Sequence[ScriptSource],
                       classify: Callable[[str | None], HostInfo],
                       notes: Iterable[str] = ()) -> TargetReport:
        reports, findings, failures = self.analyze_scripts(scripts, classify)
        ordered = tuple(sort_findings(findings))
        verdict = verdict_for(ordered)
        error = None
        if failures:
            # A script we could not analyse must not let the target look clean.
            error = "could not analyse " + "; ".join(failures)
            if verdict is not Verdict.MALICIOUS:
                verdict = Verdict.ERROR
        return TargetReport(target=target, kind=kind, verdict=verdict, error=error,
                            scripts=tuple(reports), findings=ordered, notes=(*notes, *failures),
                            sources={s.sha256: s for s in scripts})


def _script_report(s: ScriptSource, host_class: HostClass, verdict: Verdict,
                   parsed: bool) -> ScriptReport:
    return ScriptReport(id=s.id, url=s.url, kind=s.kind, frame=s.frame, sha256=s.sha256,
                        size=s.size, host_class=host_class, verdict=verdict, parsed=parsed,
                        initiator=s.initiator)


def _shift(f: Finding, offset: int) -> Finding:
    loc = f.location
    moved = None if loc is None else Location(
        loc.line + offset, loc.column,
        None if loc.end_line is None else loc.end_line + offset, loc.end_column)
    flow = tuple(replace(step, location=Location(step.location.line + offset,
                                                 step.location.column)) for step in f.flow)
    return replace(f, location=moved, flow=flow)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- public entry points ---------------------------------------------------------------------


def analyze_source(code: str | bytes, url: str | None = None, *, engine: Engine | None = None,
                   site: str | None = None) -> TargetReport:
    """Analyse one script given as a string, or as the bytes a server sent (decoded as a browser
    decodes a script without a charset: a byte-order mark, else UTF-8 with replacement
    characters, noted). `url` is where it came from (for host classification of the script
    itself), `site` the page it runs on, if any."""
    notes: tuple[str, ...] = ()
    if isinstance(code, bytes | bytearray | memoryview):
        code, notes = decode_script(bytes(code))
    elif not isinstance(code, str):
        raise TypeError("analyze_source() takes the script as str or bytes, not "
                        f"{type(code).__name__}")
    engine = engine or Engine(EngineOptions(use_disk_cache=False))
    classifier = HostClassifier(site, known_bad=engine.rules.ioc_hosts)
    script = make_source("s1", code, url, ScriptKind.FILE if url is None else ScriptKind.EXTERNAL)
    return engine.analyze_target(url or "<string>", TargetKind.FILE, [script],
                                 classifier.classify, notes)


def scan_files(paths: Iterable[str | Path] | str | Path, *, engine: Engine | None = None,
               site: str | None = None,
               progress: Callable[[int, int], None] | None = None,
               root: str | Path | None = None,
               on_target: Callable[[TargetDone], None] | None = None) -> Report:
    """Analyse `.js`/`.html` files and folders; one target per file, errors included. `paths`
    is one path or many; `root` widens where a local `<script src>` may be read from (see
    `skimscan.extract.files`); `on_target` hears of each target as it finishes."""
    engine = engine or Engine()
    started = now_iso()
    classifier = HostClassifier(site, known_bad=engine.rules.ioc_hosts)
    found = list(discover(paths, root))
    targets: list[TargetReport] = []
    for batch in _loaded_batches(found):
        # Extract a whole batch first so the process pool sees many files at once.
        engine.extract_all([s for ft, _ in batch for s in ft.scripts])
        for ft, load_seconds in batch:
            begin = time.monotonic()
            target = _file_report(engine, ft, classifier)
            analysis = sum(engine.seconds.pop(s.sha256, 0.0) for s in ft.scripts)
            targets.append(target)
            if progress is not None:
                progress(len(targets), len(found))
            if on_target is not None:
                seconds = load_seconds + analysis + time.monotonic() - begin
                on_target(TargetDone(target, seconds, len(targets), len(found)))
    return Report(tuple(targets), __version__, started, now_iso())


def _loaded_batches(found: Sequence[Found]) -> Iterator[list[tuple[FileTarget, float]]]:
    """Files read in batches of `BATCH_FILES` files or `BATCH_BYTES` of code, each with the
    seconds reading it took."""
    batch: list[tuple[FileTarget, float]] = []
    size = 0
    for item in found:
        begin = time.monotonic()
        ft = FileTarget(str(item.path), (), item.problem) if item.problem else \
            load_file(item.path, item.roots)
        batch.append((ft, time.monotonic() - begin))
        size += sum(s.size for s in ft.scripts)
        if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _file_report(engine: Engine, ft: FileTarget,
                 classifier: HostClassifier) -> TargetReport:
    if ft.error is not None:
        return TargetReport(ft.path, TargetKind.FILE, Verdict.ERROR, ft.error, notes=ft.notes)
    return engine.analyze_target(ft.path, TargetKind.FILE, ft.scripts, classifier.classify,
                                 ft.notes)
