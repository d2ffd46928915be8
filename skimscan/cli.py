"""The command-line interface: the only module that parses argv, prints and exits.

Exit codes (README): 0 complete and nothing at or above --fail-on; 1 findings at or above
it; 2 usage, configuration or rule error (one line on stderr); 3 a target could not be loaded
or analysed — which outranks 1, so a broken scan never looks clean.

Every option also reads an environment variable: `--fail-on` ← `SKIMSCAN_FAIL_ON`, and so on
(upper case, dashes as underscores; `deobfuscate`'s own `--format`/`--output` read
`SKIMSCAN_DEOBFUSCATE_FORMAT`/`_OUTPUT` and `rules list --format` reads `SKIMSCAN_RULES_FORMAT`,
so a report's settings never redirect them). Flags beat the environment, which beats the
defaults; a variable is checked like its flag and a bad one is exit 2 naming it
(`skimscan.cliargs`). `--debug` goes before or after the subcommand's name. Reports go to
stdout or `-o FILE`; progress and summaries go to stderr. When stderr is not a terminal (CI), a
run of several targets prints one line per finished target there — scanned names escaped by
`printable` — unless `--quiet`.

docs/reference/cli.md is generated from `build_parser` (`make docs`): help texts are the
reference, so they say what an option does and its default.

`--baseline FILE` accepts the findings a team has reviewed (each with a reason): they stay in
every report, marked suppressed, and only new findings count for `--fail-on`. A bad baseline
file is a usage error (2), reported before anything is scanned.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from skimscan import __version__
from skimscan.cliargs import (
    add_page_scan_options,
    check_env,
    count,
    emit,
    global_option,
    option,
    seconds,
)
from skimscan.errors import ConfigError, SkimscanError
from skimscan.fleet import commands as fleet_commands
from skimscan.inventory import commands as inventory_commands
from skimscan.models import Confidence, Report, Severity, Verdict
from skimscan.report.terminal import printable

if TYPE_CHECKING:
    from skimscan.analyze.rules import RuleSet
    from skimscan.pipeline import Engine, TargetDone
    from skimscan.report.baseline import Baseline

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
FORMATS = ("table", "json", "sarif", "junit", "html")
SEVERITIES = ("critical", "high", "medium", "low", "info")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"skimscan: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _add_output(p: argparse.ArgumentParser) -> None:
    option(p, "--format", "-f", choices=FORMATS, default="table",
           help="report format (default: table)")
    option(p, "-o", "--output", help="write the report to FILE")
    option(p, "--also", metavar="FORMAT=FILE", sep=",", default=[],
           help="also write the report in FORMAT to FILE, from the same scan "
                "(repeatable: --also sarif=skimscan.sarif --also html=report.html)")
    option(p, "--fail-on", default="high", choices=(*SEVERITIES, "never"),
           help="exit 1 when a finding is at or above this severity (default: high)")
    option(p, "--min-confidence", default="medium", choices=("low", "medium", "high"),
           help="only findings with at least this confidence count for --fail-on")
    option(p, "--min-severity", default="low", choices=SEVERITIES,
           help="the table and SARIF show findings at or above this severity (default: low; "
                "info adds informational findings such as card-field-read); JSON, JUnit and "
                "HTML keep every finding")
    option(p, "--baseline", metavar="FILE",
           help="accept the findings listed in FILE (from --write-baseline): they are "
                "reported as suppressed and only new findings count for --fail-on")
    option(p, "--write-baseline", metavar="FILE",
           help="accept every finding of this scan: write them to FILE (needs --reason)")
    option(p, "--reason", help="why the findings written by --write-baseline are accepted")
    option(p, "--rules", sep=os.pathsep,
           help="rules folder or file to use instead of the built-in rules (repeatable)")
    option(p, "--no-cache", action="store_true", default=False,
           help="do not read or write the on-disk analysis cache")
    option(p, "--cache-dir", help="analysis cache folder (default: ~/.cache/skimscan)")
    option(p, "--jobs", "-j", type=count,
           help="parallel analysis processes (default: one per core)")
    option(p, "--parser", choices=("tree-sitter", "esprima"), default="tree-sitter",
           help="JavaScript parser: tree-sitter (fast, the default) or esprima (the pure-Python "
                "reference it is tested against; for checking a suspected parser difference)")
    option(p, "--no-known-builds", action="store_true", default=False,
           help="analyse scripts that are byte for byte a published build of a well-known "
                "library too (by default they are reported as that library, not analysed)")
    option(p, "--color", action="store_true", default=None,
           help="colours in the table even when stdout is not a terminal (default: colours "
                "only on a terminal)")
    option(p, "--quiet", "-q", action="store_true", default=False,
           help="no progress lines on stderr (printed, one per finished target, when stderr "
                "is not a terminal and there are several targets)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="skimscan", description="Find card skimmers on payment pages.")
    parser.add_argument("--version", action="version", version=f"skimscan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan_file = sub.add_parser(
        "scan-file", help="analyse .js/.html files or folders; run the ones static analysis "
                          "cannot settle in the sandboxed browser (--detonate)")
    scan_file.add_argument("paths", nargs="+", metavar="PATH",
                           help=".js or .html files, or folders searched for them")
    option(scan_file, "--site",
           help="the site these files are served from (first-party hosts)")
    option(scan_file, "--root", metavar="DIR",
           help="the folder reads may reach: a local <script src> (or a symlink in a scanned "
                "folder) is read only inside the scanned folder (a single file: its folder) "
                "or DIR; SARIF paths are relative to DIR (default: the working directory)")
    option(scan_file, "--detonate", choices=("auto", "always", "never"), default="auto",
           help="run files in the browser on a synthetic checkout with a canary card: auto (the "
                "default) only files static analysis could not settle (obfuscated, dynamic "
                "code, reading card fields, ...), always, or never")
    option(scan_file, "--concurrency", type=count, default=2,
           help="files detonated at once on one browser (default 2)")
    option(scan_file, "--detonate-timeout", type=seconds, default=90.0,
           help="seconds for detonating one file, all its pages (default 90)")
    option(scan_file, "--detonate-pages", type=count, default=5,
           help="synthetic checkout pages tried per file at most (default 5)")
    _add_output(scan_file)

    scan = sub.add_parser("scan", help="load pages in a real browser and analyse what they run")
    scan.add_argument("urls", nargs="+", metavar="URL", help="pages to load (https://...)")
    add_page_scan_options(scan)
    option(scan, "--concurrency", type=count, default=1,
           help="pages scanned in parallel on one browser (default 1)")
    _add_output(scan)

    deob = sub.add_parser("deobfuscate",
                          help="print a script rewritten into plain code (what analysis sees)")
    deob.add_argument("paths", nargs="+", metavar="FILE", help="scripts to rewrite")
    option(deob, "--format", "-f", choices=("js", "json"), default="js",
           env_names=("deobfuscate-format",),
           help="js: the rewritten program; json: it with the techniques undone")
    option(deob, "--output", "-o", metavar="FILE", env_names=("deobfuscate-output",),
           help="write to FILE instead of standard output")

    rules = sub.add_parser("rules", help="list or test rules")
    rules_sub = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    rl = rules_sub.add_parser("list", help="list every rule, from rule files and from the "
                                           "pipeline, with severity and confidence")
    rl.add_argument("dirs", nargs="*", metavar="DIR",
                    help="rule folders or files instead of the built-in rules (the pipeline's "
                         "rules are always listed)")
    option(rl, "--format", "-f", choices=("table", "json"), default="table",
           env_names=("rules-format",),
           help="table: one line per rule; json: a list of objects (id, title, severity, "
                "confidence, category, tags, mitre, pci, source, description)")
    rt = rules_sub.add_parser("test", help="check rules against their annotated test files")
    rt.add_argument("dirs", nargs="*", metavar="DIR",
                    help="rule folders or files instead of the built-in rules")
    option(rt, "--rule", sep=",", help="only this rule id (repeatable)")
    # Monitoring (PCI DSS 6.4.3 / 11.6.1): baseline, diff, inventory, history, watch, policy init
    inventory_commands.register(sub)
    # Fleet mode: scheduled scans on Celery workers (docs/fleet.md)
    fleet_commands.register(sub)
    # Last, so that every subcommand accepts it after its name too.
    global_option(parser, "--debug", action="store_true", default=False,
                  help="print tracebacks for errors (before or after the subcommand)")
    return parser


def exit_code(report: Report, fail_on: str, min_confidence: str) -> int:
    if any(t.verdict is Verdict.ERROR for t in report.targets):
        return EXIT_INCOMPLETE
    if fail_on == "never":
        return EXIT_OK
    threshold = Severity.parse(fail_on)
    confidence = Confidence.parse(min_confidence)
    for t in report.targets:
        for f in t.findings:
            if f.suppressed is None and f.severity >= threshold and f.confidence >= confidence:
                return EXIT_FINDINGS
    return EXIT_OK


def _root(args: argparse.Namespace) -> str:
    """The folder SARIF paths and baselines are relative to: `--root`, else the working
    directory."""
    given = getattr(args, "root", None)
    return str(Path(given).resolve()) if given else os.getcwd()


def _render(report: Report, args: argparse.Namespace, engine: Engine, color: bool,
            fmt: str | None = None) -> str:
    fmt = fmt or args.format
    if fmt == "json":
        from skimscan.report.json_report import render_json

        return render_json(report)
    if fmt == "sarif":
        from skimscan.report.sarif import render_sarif

        return render_sarif(report, engine.rules, root=_root(args), cwd=os.getcwd(),
                            min_severity=Severity.parse(args.min_severity))
    if fmt == "junit":
        from skimscan.report.junit import render_junit

        fail_on = None if args.fail_on == "never" else Severity.parse(args.fail_on)
        return render_junit(report, fail_on, Confidence.parse(args.min_confidence))
    if fmt == "html":
        from skimscan.report.html import render_html

        sources = {sha: s for t in report.targets for sha, s in t.sources.items()}
        return render_html(report, engine.rules, sources)
    from skimscan.report.table import render_table

    return render_table(report, color=color, min_severity=Severity.parse(args.min_severity))


def _extra_outputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """`--also FORMAT=FILE` pairs, checked before scanning (a typo costs seconds, not a scan)."""
    out: list[tuple[str, str]] = []
    for item in args.also or ():
        fmt, sep, path = item.strip().partition("=")
        if not sep or fmt not in FORMATS or not path.strip():
            raise ConfigError(f"--also {item!r} (or SKIMSCAN_ALSO): expected FORMAT=FILE with "
                              f"FORMAT one of {', '.join(FORMATS)}")
        out.append((fmt, path.strip()))
    return out


def _load_baseline(args: argparse.Namespace) -> Baseline | None:
    """Check the baseline options before scanning, so a typo costs seconds, not a scan."""
    _extra_outputs(args)
    if args.write_baseline and not (args.reason or "").strip():
        raise ConfigError("--write-baseline needs --reason TEXT: why are these findings accepted?")
    if not args.baseline:
        return None
    from skimscan.report.baseline import load_baseline

    return load_baseline(args.baseline)


def _finish(report: Report, args: argparse.Namespace, engine: Engine,
            baseline: Baseline | None, noun: str) -> int:
    """Baselines, then the report (stdout or -o), the summary (stderr) and the exit code."""
    from skimscan.report.baseline import apply_baseline, write_baseline

    root = _root(args)
    if baseline is not None:
        report = apply_baseline(report, baseline, root=root)
    if args.write_baseline:
        written = write_baseline(report, args.write_baseline, args.reason, root=root)
        report = apply_baseline(report, written, root=root)
        print(f"skimscan: {len(written.entries)} finding(s) accepted in "
              f"{printable(args.write_baseline)}", file=sys.stderr)
    color = bool(args.color) if args.color is not None else (
        args.format == "table" and not args.output and sys.stdout.isatty())
    emit(_render(report, args, engine, color), args.output)
    for fmt, path in _extra_outputs(args):
        emit(_render(report, args, engine, False, fmt), path)
    if args.format != "table" or args.output or noun == "page":
        summary = ", ".join(f"{report.count(v)} {v.value}" for v in Verdict)
        accepted = sum(1 for t in report.targets for f in t.findings if f.suppressed)
        extra = f"; {accepted} accepted finding(s)" if accepted else ""
        print(f"skimscan: {len(report.targets)} {noun}(s): {summary}{extra}", file=sys.stderr)
    return exit_code(report, args.fail_on, args.min_confidence)


def _engine(args: argparse.Namespace) -> Engine:
    from skimscan.analyze.parse import ParseLimits
    from skimscan.pipeline import Engine, EngineOptions

    return Engine(EngineOptions(
        rule_paths=tuple(Path(r) for r in (args.rules or ())),
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        use_disk_cache=not args.no_cache, jobs=args.jobs or None,
        limits=ParseLimits(parser=args.parser), known_builds=not args.no_known_builds,
    ))


# --- progress: one line per finished target, for logs that are not a terminal ----------------


def _progress_lines(args: argparse.Namespace) -> Callable[[TargetDone], None] | None:
    """The printer of progress lines, or None: with `--quiet`, on a terminal (which gets a bar
    or nothing), or for a run of one target. Scanned names go through `printable`."""
    if args.quiet or sys.stderr.isatty():
        return None

    def line(done: TargetDone) -> None:
        if done.total > 1:
            print(f"skimscan: [{done.done}/{done.total}] {done.target.verdict.value} "
                  f"{done.seconds:.1f}s {printable(done.target.target)}",
                  file=sys.stderr, flush=True)

    return line


def _detonation_lines(report: Report, started: float) -> None:
    """After detonation, a line for each file that ran in the browser: its final verdict."""
    ran = [t for t in report.targets if t.detonation]
    for t in ran:
        pages = t.detonation.get("pages") or ()
        spent = sum(float(p.get("seconds") or 0.0) for p in pages if isinstance(p, dict))
        print(f"skimscan: detonated {t.verdict.value} {spent:.1f}s {printable(t.target)}",
              file=sys.stderr, flush=True)
    if ran:
        print(f"skimscan: detonation of {len(ran)} file(s) took "
              f"{time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)


def _cmd_scan_file(args: argparse.Namespace) -> int:
    import asyncio

    from skimscan.detonate import DetonateMode, DetonationOptions, adetonate
    from skimscan.pipeline import scan_files

    if args.root is not None and not Path(args.root).is_dir():
        raise ConfigError(f"--root {printable(args.root)}: not a folder")
    mode = DetonateMode.parse(args.detonate)
    baseline = _load_baseline(args)
    engine = _engine(args)
    options = DetonationOptions(concurrency=max(1, args.concurrency),
                                file_timeout=max(5.0, args.detonate_timeout),
                                max_pages=max(1, args.detonate_pages))
    lines = _progress_lines(args)
    # What `skimscan.detonate.scan_files` does, with progress lines for each stage.
    report = scan_files(args.paths, engine=engine, site=args.site, root=args.root,
                        on_target=lines)
    if mode is not DetonateMode.NEVER:
        started = time.monotonic()

        def detonated(done: int, total: int) -> None:
            if lines is not None and total > 1:
                print(f"skimscan: detonation [{done}/{total}]", file=sys.stderr, flush=True)

        report = asyncio.run(adetonate(report, engine, mode, options, progress=detonated))
        if lines is not None:
            _detonation_lines(report, started)
    return _finish(report, args, engine, baseline, "target")


def _cmd_scan(args: argparse.Namespace) -> int:
    import asyncio

    from skimscan.capture.hostmap import parse_host_map
    from skimscan.policy.policy import load_policy
    from skimscan.scanner import Scanner, ScanOptions

    policy = load_policy(args.policy) if args.policy else None
    options = ScanOptions(
        host_map=parse_host_map(args.map_host or []), timeout=args.timeout, wait=args.wait,
        ignore_https_errors=args.ignore_https_errors, concurrency=max(1, args.concurrency),
        allow_private=args.allow_private,
        no_browser=args.no_browser, policy=policy, shop=not args.no_interact, live=args.live,
        fast_forward=args.fast_forward,
        steps=Path(args.steps) if args.steps else None,
    )
    baseline = _load_baseline(args)
    engine = _engine(args)
    if policy is not None:
        from skimscan.policy.policy import known_rule_ids

        policy.check_rule_ids(known_rule_ids(engine.rules.by_id))
    lines = _progress_lines(args)

    async def run() -> Report:
        async with Scanner(options, engine) as scanner:
            if len(args.urls) > 1 and sys.stderr.isatty() and not args.quiet:
                from rich.progress import Progress

                with Progress(transient=True) as bar:
                    task = bar.add_task("scanning", total=len(args.urls))
                    return await scanner.scan_many(args.urls, on_done=lambda done: bar.update(
                        task, completed=done.done, description=printable(
                            f"{done.target.verdict.value}: {done.target.target}")))
            return await scanner.scan_many(args.urls, on_done=lines)

    report = asyncio.run(run())
    return _finish(report, args, engine, baseline, "page")


def _cmd_deobfuscate(args: argparse.Namespace) -> int:
    """Each file is read as `scan-file` reads it, rewritten by the same passes the analysis
    runs, and printed; a file that cannot be read or parsed is reported and makes it exit 3."""
    import json

    from skimscan.analyze.deobfuscate import deobfuscate
    from skimscan.extract.files import read_text, sha256_text

    entries: list[dict[str, object]] = []
    for name in args.paths:
        path = Path(name)
        if not path.is_file():
            raise ConfigError(f"{printable(name)}: no such file")
        code, problem, notes = read_text(path)
        if code is None:
            entries.append({"path": name, "error": problem or "could not be read"})
            continue
        result = deobfuscate(code)
        entries.append({
            "path": name, "sha256": sha256_text(code), "changed": result.changed,
            "techniques": dict(result.techniques), "stages": len(result.stages),
            "notes": [*notes, *result.notes], "error": result.error, "code": result.code,
        })
    if args.format == "json":
        text = json.dumps({"schema": "skimscan/deobfuscate/v1", "tool": {
            "name": "skimscan", "version": __version__}, "files": entries}, indent=2,
            ensure_ascii=False) + "\n"
    else:
        parts = []
        for e in entries:
            techniques = e.get("techniques")
            done = ", ".join(f"{k} {v}" for k, v in techniques.items()) \
                if isinstance(techniques, dict) else ""
            head = f"// skimscan deobfuscate: {printable(str(e['path']))}"
            if e.get("error"):
                parts.append(f"{head}\n// could not be rewritten: {printable(str(e['error']))}\n")
                continue
            parts.append(f"{head}\n// rewrites: {done or 'none'}\n{e['code']}\n")
        text = "\n".join(parts)
    emit(text, args.output)
    return EXIT_INCOMPLETE if any(e.get("error") for e in entries) else EXIT_OK


def _cmd_rules(args: argparse.Namespace) -> int:
    from skimscan.analyze.rules import load_rules

    if args.rules_command is None:
        raise ConfigError("rules needs an action: list or test")
    ruleset = load_rules([Path(d) for d in args.dirs] or None)
    if args.rules_command == "test":
        from skimscan.analyze.ruletest import check_rules
        from skimscan.pipeline import Engine, EngineOptions, analyze_source

        unknown = sorted(set(args.rule or ()) - set(ruleset.by_id))
        if unknown:  # a typo must not pass as "0 passed, 0 failed"
            raise ConfigError(f"rules test --rule: no rule {', '.join(map(repr, unknown))} "
                              "(skimscan rules list names them)")
        engine = Engine(EngineOptions(use_disk_cache=False), rules=ruleset)
        results = check_rules(
            ruleset,
            lambda code: list(analyze_source(code, engine=engine).findings),
            set(args.rule) if args.rule else None,
        )
        failed = [r for r in results if not r.ok]
        for r in failed:
            for failure in r.failures:
                print(f"FAIL {r.rule}: {failure}")
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
        return EXIT_OK if not failed else EXIT_FINDINGS
    return _list_rules(ruleset, args.format)


def _list_rules(ruleset: RuleSet, fmt: str) -> int:
    """Every rule — the rule files' and the pipeline's own (`analyze/catalogue.py`) — sorted by
    id: the names a policy may use."""
    import json

    from skimscan.analyze.catalogue import SOURCE_YAML, all_rules

    rules = all_rules(ruleset)
    if fmt == "json":
        text = json.dumps([r.to_json() for r in rules], indent=2, ensure_ascii=False) + "\n"
    else:
        rows = [("ID", "SEVERITY", "CONFIDENCE", "SOURCE", "TITLE")]
        rows += [(r.id, r.severity.label, r.confidence.label, r.source, r.title) for r in rules]
        text = "".join(f"{a:45} {b:9} {c:10} {d:8} {e}\n" for a, b, c, d, e in rows)
    emit(text, None)
    from_files = sum(1 for r in rules if r.source == SOURCE_YAML)
    print(f"{len(rules)} rules: {from_files} from rule files, {len(rules) - from_files} from "
          "the pipeline", file=sys.stderr)
    return EXIT_OK


#: The commands this module runs; the monitoring commands bring their own (`args.func`).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "scan-file": _cmd_scan_file, "scan": _cmd_scan, "deobfuscate": _cmd_deobfuscate,
    "rules": _cmd_rules,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    command = COMMANDS.get(args.command) or getattr(args, "func", None)
    if command is None:
        parser.error(f"unknown command {args.command}")
        return EXIT_USAGE
    try:
        check_env(args)
        return int(command(args))
    except SkimscanError as exc:
        if args.debug is True:
            traceback.print_exc()
        print(f"skimscan: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("skimscan: interrupted", file=sys.stderr)
        return EXIT_INCOMPLETE
