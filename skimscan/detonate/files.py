"""`scan-file` with detonation: the static scan of every file, then the browser for the files
static analysis could not settle (`auto`), or for all of them (`always`).

Each detonated file target gets the findings that are its doing on the synthetic checkout
(tagged `detonation`), the scripts it produced at run time, and a `detonation` object saying
why it was detonated, on which pages, with what verdict, which gates were met and which
elements were created for it. Files `auto` leaves alone say nothing extra. Without a browser,
`auto` notes what it skipped and `always` is a configuration error (exit 2). A file whose
detonation failed is never `clean`: it is `error`, with the reason, unless static analysis
already proved it malicious.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from playwright.async_api import Error as PlaywrightError

from skimscan.analyze.analyzer import RawAnalysis, sort_findings
from skimscan.capture.browser import find_chromium
from skimscan.detonate import triage
from skimscan.detonate.detonator import Detonation, DetonationOptions, Detonator, summary
from skimscan.detonate.store import DetonationStore, rules_fingerprint
from skimscan.errors import BrowserNotFoundError, ConfigError, SkimscanError
from skimscan.extract.files import sha256_text
from skimscan.models import Finding, Report, ScriptKind, TargetKind, TargetReport, Verdict
from skimscan.pipeline import Engine, now_iso
from skimscan.pipeline import scan_files as static_scan
from skimscan.policy.observed import lower
from skimscan.scanner import page_verdict


class DetonateMode(enum.StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"

    @classmethod
    def parse(cls, value: str | DetonateMode) -> DetonateMode:
        try:
            return cls(str(value).lower())
        except ValueError:
            raise ConfigError(f"--detonate must be auto, always or never, not {value!r}") from None


def _hints(target: TargetReport, raws: list[RawAnalysis | str]) -> str:
    """Text that names the platform a file aims at: its code and what deobfuscation revealed."""
    parts = [s.code[:400_000] for s in target.sources.values()]
    for raw in raws:
        if isinstance(raw, RawAnalysis):
            parts.extend(value for value, _loc, _tech in raw.recovered)
    return "\n".join(parts)


#: files that can run on a page: scripts, and HTML (a page, or a fragment put into one)
DETONATABLE = (".js", ".mjs", ".cjs", ".html", ".htm")


#: a file to detonate: its index in the report, why, and its analyses (for the page hints)
_Planned = tuple[int, list[str], list[RawAnalysis | str]]


def _plan(report: Report, engine: Engine, mode: DetonateMode) -> list[_Planned]:
    plan: list[_Planned] = []
    for i, target in enumerate(report.targets):
        if target.kind is not TargetKind.FILE or not target.sources:
            continue  # unreadable: nothing to run
        if not target.target.lower().endswith(DETONATABLE):
            continue  # a HAR recording is a page's past: scan the page itself
        raws = list(engine.extract_all(list(target.sources.values())).values())
        reasons = (["--detonate always"] if mode is DetonateMode.ALWAYS
                   else triage.reasons(target, raws))
        if reasons:
            plan.append((i, reasons, raws))
    return plan


def merge(target: TargetReport, result: Detonation, reasons: list[str],
          cached: bool = False) -> TargetReport:
    """The file target with what its detonation showed. When static analysis called it
    malicious only for card reads beside a send (`triage.only_beside`), the findings the
    detonation contradicted (the file sent to that host after the canary was typed, never with
    the card) are lowered as on page scans — unless the detonation itself proved it malicious.
    A taint path is not lowered by a synthetic page: the page may lack what the file reads."""
    static = list(target.findings)
    if (result.verdict is not Verdict.MALICIOUS and result.lowered
            and triage.only_beside(target)):
        static = _weighed(static, result, _file_script_id(target))
    findings = tuple(sort_findings([*static, *result.findings]))
    verdict: Verdict
    if result.verdict is Verdict.ERROR:  # never clean: error, unless static proved malicious
        verdict = target.verdict if target.verdict is Verdict.MALICIOUS else Verdict.ERROR
        error = target.error or result.error
    else:
        verdict = page_verdict(findings)
        error = None if verdict is Verdict.MALICIOUS else target.error
        if target.verdict is Verdict.ERROR and verdict is not Verdict.MALICIOUS:
            verdict = Verdict.ERROR  # static analysis did not finish: still incomplete
    notes = [*target.notes, f"detonated ({'cached' if cached else 'run'}) because: "
                            f"{'; '.join(reasons)}; detonation verdict: {result.verdict.value}"]
    for page in result.pages:
        line = f"detonation: {page.template} ({page.url}): {page.verdict.value}"
        if page.error:
            line += f" — {page.error}"
        if page.synthesised:
            line += f"; created {', '.join(page.synthesised[:5])}"
        notes.append(line)
    scripts = (*target.scripts, *result.scripts)
    return replace(target, verdict=verdict, error=error, findings=findings, scripts=scripts,
                   notes=tuple(notes), detonation=summary(result, reasons, cached=cached))


def _weighed(findings: list[Finding], result: Detonation, script: str) -> list[Finding]:
    contradicted = {(rule, host): (sends, template)
                    for rule, host, sends, template in result.lowered}
    out = []
    for f in findings:
        host = str(f.evidence.get("host", ""))
        seen = contradicted.get((f.rule, host))
        if seen is not None and f.script == script and "lowered_from" not in f.evidence:
            f = lower(f, host, seen[0], f" on the detonation page {seen[1]}")
        out.append(f)
    return out


async def adetonate(report: Report, engine: Engine, mode: DetonateMode | str = "auto",
                    options: DetonationOptions | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    cache_dir: Path | None = None) -> Report:
    """Detonate the file targets of a static `report` that `mode` selects. Results are cached
    in `cache_dir`, by default the engine's analysis cache folder (none without one)."""
    mode = DetonateMode.parse(mode)
    options = options or DetonationOptions()
    plan = _plan(report, engine, mode) if mode is not DetonateMode.NEVER else []
    if not plan:
        return report
    targets = list(report.targets)
    try:
        executable = options.executable or await asyncio.to_thread(find_chromium)
    except BrowserNotFoundError as exc:
        if mode is DetonateMode.ALWAYS:
            raise ConfigError(f"--detonate always needs a browser: {exc}") from None
        for i, reasons, _raws in plan:
            targets[i] = replace(targets[i], notes=(
                *targets[i].notes, "detonation skipped: no browser was found "
                f"(it would have run because it {', '.join(reasons)})"))
        return replace(report, targets=tuple(targets))
    options = replace(options, executable=executable)
    store = DetonationStore(
        cache_dir or engine.cache.directory, f"{options.fingerprint()}-"
        f"{rules_fingerprint(engine.options.rule_paths or _default_rules())}")
    sem = asyncio.Semaphore(max(1, options.concurrency))
    done = 0

    async def one(detonator: Detonator, i: int, reasons: list[str],
                  raws: list[RawAnalysis | str]) -> None:
        nonlocal done
        target = targets[i]
        script = next(iter(target.sources.values()))
        html = target.target.lower().endswith((".html", ".htm"))
        code = _page_source(target.target) if html else script.code
        key = script.sha256 if not html else f"html-{sha256_text(code)}"
        cached = store.get(key)
        if cached is not None:
            targets[i] = merge(target, cached, reasons, cached=True)
        else:
            try:
                async with sem:
                    result = await detonator.detonate(
                        target.target, code, html=html, file_script_id=_file_script_id(target),
                        hints=_hints(target, raws))
            except Exception as exc:  # a bug or a browser failure loses this file, not the run
                result = Detonation(Verdict.ERROR, error=f"detonation failed: "
                                                         f"{type(exc).__name__}: {exc}")
            store.put(key, result)
            targets[i] = merge(target, result, reasons)
        done += 1
        if progress is not None:
            progress(done, len(plan))

    try:
        async with Detonator(engine, options) as detonator:
            await asyncio.gather(*(one(detonator, *planned) for planned in plan))
    except (SkimscanError, OSError, RuntimeError, PlaywrightError) as exc:
        # The browser or the synthetic checkout would not start: `always` could not do what
        # was asked (the targets are incomplete), `auto` says what it skipped.
        why = f"detonation could not start: {exc}"
        for i, _reasons, _raws in plan:
            if targets[i].detonation:
                continue  # done before the failure
            t = targets[i]
            if mode is DetonateMode.ALWAYS and t.verdict is not Verdict.MALICIOUS:
                targets[i] = replace(t, verdict=Verdict.ERROR, error=why, notes=(*t.notes, why))
            else:
                targets[i] = replace(t, notes=(*t.notes, why))
    return replace(report, targets=tuple(targets), finished_at=now_iso())


def _file_script_id(target: TargetReport) -> str:
    for s in target.scripts:
        if s.kind in (ScriptKind.FILE, ScriptKind.EXTERNAL):
            return s.id
    return target.scripts[0].id if target.scripts else "s1"


def _page_source(path: str) -> str:
    return Path(path).read_text(encoding="utf-8", errors="replace")


def _default_rules() -> tuple[Path, ...]:
    from skimscan.analyze.rules import default_rules_dir

    return (Path(default_rules_dir()),)


async def ascan_files(paths: Iterable[str | Path] | str | Path, *,
                      engine: Engine | None = None, site: str | None = None,
                      detonate: DetonateMode | str = "never",
                      options: DetonationOptions | None = None) -> Report:
    """`scan_files` with detonation, inside a running event loop. `paths`: one path, or
    several (a single string is one path, never its characters)."""
    mode = DetonateMode.parse(detonate)
    engine = engine or Engine()
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    report = await asyncio.to_thread(static_scan, items, engine=engine, site=site)
    return await adetonate(report, engine, mode, options)


def scan_files(paths: Iterable[str | Path] | str | Path, *, engine: Engine | None = None,
               site: str | None = None, detonate: DetonateMode | str = "never",
               options: DetonationOptions | None = None,
               progress: Callable[[int, int], None] | None = None) -> Report:
    """Analyse `.js`/`.html` files and folders, one target per file; with `detonate`
    (`auto`: the files static analysis could not settle; `always`), run them in the browser
    on the synthetic checkout too. The library default is `never` (no browser starts)."""
    mode = DetonateMode.parse(detonate)
    engine = engine or Engine()
    report = static_scan(paths, engine=engine, site=site, progress=progress)
    if mode is DetonateMode.NEVER:
        return report
    return asyncio.run(adetonate(report, engine, mode, options))
