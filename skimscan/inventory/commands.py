"""SIDE-CAR (inventory) — the monitoring subcommands: baseline, diff, inventory, history, watch,
policy init. `register(subparsers)` adds them to the CLI; each sets `func` (a handler taking the
parsed arguments and returning the exit code).

Exit codes (pci-workflow.md): 0 nothing changed; 1 changes or blocking findings (for `watch`, a new
alert); 2 usage or configuration error (raised as ConfigError, printed by the CLI on one line);
3 a page could not be scanned — outranks 1, so a broken scan never looks clean.

Every option also reads `SKIMSCAN_<OPTION>`: `SKIMSCAN_DB` (default `skimscan.db` in the current
folder; or a `postgresql://` URL, named in messages without its password — better in the
variable than the flag, or with the password in PGPASSWORD or ~/.pgpass), `SKIMSCAN_POLICY`,
`SKIMSCAN_MAP_HOST` (comma-separated), `SKIMSCAN_WEBHOOK`, and the webhook secret only from
`SKIMSCAN_WEBHOOK_SECRET` (never a flag: flags end up in shell history and process lists).
Results go to stdout (or `-o FILE`), progress to stderr.

Commands that only read the record (`inventory`, `history`, `diff`, `baseline --latest`) never
create a database, and a page they are asked about must be in it: wrong input is exit 2 with a
message naming the file or page, never an empty report that looks like evidence.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from skimscan.cliargs import add_page_scan_options, emit, option
from skimscan.errors import ConfigError
from skimscan.inventory.store import DEFAULT_DB, Store, now_utc
from skimscan.models import Severity
from skimscan.report.terminal import printable, printable_lines

EXIT_OK, EXIT_CHANGES, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
Handler = Callable[[argparse.Namespace], int]


def _add_db(p: argparse.ArgumentParser) -> None:
    option(p, "--db", default=DEFAULT_DB,
           help="inventory database: an SQLite file (default: skimscan.db here) or a "
                "postgresql://user@host/db URL")


def _add_scan(p: argparse.ArgumentParser) -> None:
    _add_db(p)
    add_page_scan_options(p)
    option(p, "--no-cache", action="store_true", default=False,
           help="do not read or write the on-disk analysis cache")
    option(p, "--min-severity", default="low",
           choices=("critical", "high", "medium", "low", "info"),
           help="new findings at or above this severity are changes (default: low)")


def register(subparsers: Any) -> None:
    """Add the monitoring subcommands to the CLI's subparsers (argparse `_SubParsersAction`)."""
    p = subparsers.add_parser("baseline", help="approve the current state of pages (scan now)")
    p.add_argument("urls", nargs="+", metavar="URL")
    p.add_argument("--latest", action="store_true",
                   help="approve the latest recorded complete scan instead of scanning")
    option(p, "--by", env_names=("approved-by",), default=_user(),
           help="who approves (recorded; default: the current user)")
    p.add_argument("--note", default="", help="why this state is approved (recorded)")
    p.add_argument("--force", action="store_true",
                   help="approve even when the page has blocking findings")
    _add_scan(p)
    p.set_defaults(func=cmd_baseline)

    p = subparsers.add_parser("diff", help="scan pages and list changes from their baseline")
    p.add_argument("urls", nargs="+", metavar="URL")
    p.add_argument("--no-scan", action="store_true",
                   help="compare the latest recorded complete scan instead of scanning")
    option(p, "--format", "-f", choices=("text", "json"), default="text",
           env_names=("diff-format",))
    p.add_argument("-o", "--output", default=None, help="write to FILE")
    _add_scan(p)
    p.set_defaults(func=cmd_diff)

    p = subparsers.add_parser("inventory", help="export the script inventory (PCI DSS 6.4.3)")
    p.add_argument("urls", nargs="*", metavar="URL", help="pages (default: all recorded)")
    p.add_argument("--format", "-f", choices=("csv", "json", "md"), default="md")
    p.add_argument("-o", "--output", default=None, help="write to FILE")
    option(p, "--policy", help="judge authorisation with this policy (default: as at scan time)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--propose", action="store_true",
                      help="print SRI attributes and a CSP for the approved state instead")
    mode.add_argument("--original", metavar="SHA256",
                      help="write the exact text the browser ran of this script version (its "
                           "sha256, or a unique prefix of 8+ digits) to -o FILE or a pipe")
    _add_db(p)
    p.set_defaults(func=cmd_inventory)

    p = subparsers.add_parser("history", help="scans and changes over a date range (11.6.1)")
    p.add_argument("urls", nargs="*", metavar="URL", help="pages (default: all)")
    p.add_argument("--since", help="from this date or time (UTC; YYYY-MM-DD or ISO 8601)")
    p.add_argument("--until", help="up to this date (inclusive) or time (exclusive), UTC")
    p.add_argument("--format", "-f", choices=("md", "json", "csv"), default="md")
    p.add_argument("-o", "--output", default=None, help="write to FILE")
    _add_db(p)
    p.set_defaults(func=cmd_history)

    p = subparsers.add_parser("watch", help="scan pages on a schedule; alert on changes")
    p.add_argument("urls", nargs="*", metavar="URL",
                   help="pages (default: the policy's watch: pages)")
    when = p.add_mutually_exclusive_group()
    option(when, "--cron", help="cron expression (local time)")
    when.add_argument("--interval", type=float, default=None,
                      help="seconds between rounds")
    option(p, "--once", action="store_true", default=False,
           help="one round, then exit (for cron jobs and CI)")
    option(p, "--webhook", help="POST alerts here (secret: SKIMSCAN_WEBHOOK_SECRET)")
    p.add_argument("--no-auto-baseline", action="store_true",
                   help="do not approve a page's first complete scan as its baseline")
    _add_scan(p)
    p.set_defaults(func=cmd_watch)

    p = subparsers.add_parser("policy", help="policy files: init")
    actions = p.add_subparsers(dest="policy_command", metavar="ACTION")
    init = actions.add_parser("init", help="write a starter policy from one scan of a page")
    init.add_argument("url", metavar="URL")
    init.add_argument("-o", "--output", default="skimscan-policy.yaml",
                      help="policy file to write (default: skimscan-policy.yaml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    _add_scan(init)
    init.set_defaults(func=cmd_policy_init)
    p.set_defaults(func=_policy_usage)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _policy_usage(args: argparse.Namespace) -> int:
    print("skimscan: policy needs an action: init (see skimscan policy --help)", file=sys.stderr)
    return EXIT_USAGE


def _say(text: str) -> None:
    print(f"skimscan: {printable(text)}", file=sys.stderr, flush=True)


def _policy(args: argparse.Namespace) -> Any:
    """The policy, checked like `scan` checks it: a suppression or override naming a rule
    that does not exist is a ConfigError (`file:line:`)."""
    from skimscan.analyze.rules import load_rules
    from skimscan.policy.policy import known_rule_ids, load_policy

    if not getattr(args, "policy", None):
        return None
    policy = load_policy(args.policy)
    policy.check_rule_ids(known_rule_ids(load_rules().by_id))
    return policy


def scan_options(args: argparse.Namespace, policy: Any = None) -> Any:
    from skimscan.capture.hostmap import parse_host_map
    from skimscan.scanner import ScanOptions

    if args.timeout <= 0 or args.wait < 0:
        raise ConfigError("--timeout must be positive and --wait not negative")
    return ScanOptions(host_map=parse_host_map(args.map_host or []), timeout=args.timeout,
                       wait=args.wait, ignore_https_errors=args.ignore_https_errors,
                       no_browser=args.no_browser, policy=policy, shop=not args.no_interact,
                       live=args.live, steps=Path(args.steps) if args.steps else None,
                       fast_forward=args.fast_forward, allow_private=args.allow_private)


def _engine_factory(args: argparse.Namespace) -> Callable[[], Any]:
    from skimscan.pipeline import Engine, EngineOptions

    def make() -> Engine:
        return Engine(EngineOptions(use_disk_cache=not args.no_cache))

    return make


def _check_urls(urls: list[str]) -> None:
    bad = [u for u in urls if not u.startswith(("http://", "https://"))]
    if bad:
        raise ConfigError(f"{bad[0]!r} is not an http(s) URL")


async def _check_all(args: argparse.Namespace, store: Store, urls: list[str],
                     **kw: Any) -> list[Any]:
    """Scans a person asked for: recorded, compared, never alerted (only `watch` alerts)."""
    from skimscan.inventory.monitor import Monitor

    options = scan_options(args, _policy(args))
    monitor = Monitor(store, options, _engine_factory(args)(),
                      min_severity=Severity.parse(args.min_severity))
    results = []
    async with monitor:
        for url in urls:
            results.append(await monitor.check(url, alerting=False, **kw))
    return results


def _require_recorded(store: Store, urls: Sequence[str]) -> None:
    """Pages named on the command line must be in the record: a typo is an error, not an
    empty inventory or history."""
    known = store.targets()
    for url in urls:
        if url in known:
            continue
        close = difflib.get_close_matches(url, known, n=1, cutoff=0.8)
        hint = (f"; did you mean {close[0]}?" if close else
                f"; it records {len(known)} page(s), e.g. {known[0]}" if known else
                "; it records no page yet")
        raise ConfigError(f"no page {url} in {store.path}{hint}")


# --- baseline --------------------------------------------------------------------------------


def cmd_baseline(args: argparse.Namespace) -> int:
    _check_urls(args.urls)
    with Store.open(args.db, create=not args.latest) as store:
        if args.latest:
            code = EXIT_OK
            for url in args.urls:
                scan = store.latest_scan(url)
                if scan is None:
                    raise ConfigError(f"no complete scan of {url} in {store.path}; run "
                                      "`skimscan baseline URL` without --latest")
                if scan.verdict == "malicious" and not args.force:
                    # the same rule as a fresh scan: blocking findings need a person's --force
                    _say(f"{url}: not approved: scan {scan.id} has blocking findings; look at "
                         "them (skimscan scan), or pass --force")
                    code = EXIT_CHANGES
                    continue
                b = store.set_baseline(url, scan.id, args.by, args.note)
                _say(f"{url}: scan {scan.id} of {scan.started_at} approved as baseline {b.id}")
            return code
        results = asyncio.run(_check_all(args, store, args.urls))
        code = EXIT_OK
        for r in results:
            if r.status != "complete":
                _say(f"{r.target}: not approved: the scan is incomplete ({r.error})")
                code = EXIT_INCOMPLETE
                continue
            if r.blocking and not args.force:
                _say(f"{r.target}: not approved: {r.blocking} blocking finding(s) in scan "
                     f"{r.scan_id}; look at them (skimscan scan), or pass --force")
                code = max(code, EXIT_CHANGES) if code != EXIT_INCOMPLETE else code
                continue
            b = store.set_baseline(r.target, r.scan_id, args.by, args.note)
            snap = store.snapshot(r.scan_id)
            _say(f"{r.target}: scan {r.scan_id} approved as baseline {b.id} "
                 f"({len(snap.scripts)} script(s), {len(snap.hosts)} host(s), "
                 f"{len(snap.headers)} security header(s))")
        return code


# --- diff ------------------------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> int:
    from skimscan.inventory.diff import Change, diff_snapshots, stale_forms
    from skimscan.inventory.monitor import PageResult, exit_code

    _check_urls(args.urls)
    with Store.open(args.db, create=False) as store:
        for url in args.urls:
            if store.baseline(url) is None:
                raise ConfigError(f"no baseline for {url} in {store.path}; approve one first: "
                                  f"skimscan baseline {url}")
        results: list[PageResult] = []
        if args.no_scan:
            for url in args.urls:
                base = store.baseline(url)
                scan = store.latest_scan(url)
                assert base is not None
                if scan is None:
                    raise ConfigError(f"no complete scan of {url} recorded")
                before, after = store.snapshot(base.scan_id), store.snapshot(scan.id)
                scripts = (*before.scripts, *after.scripts)
                contents = store.contents(s.sha256 for s in scripts)
                originals = store.original_texts(stale_forms(contents, scripts))
                changes = diff_snapshots(before, after, contents, originals=originals,
                                         min_severity=Severity.parse(args.min_severity))
                blocking = sum(1 for f in after.findings if f.suppressed is None
                               and f.severity in ("high", "critical")
                               and f.confidence in ("medium", "high"))
                results.append(PageResult(url, scan.id, "complete", scan.verdict, None,
                                          tuple(changes), (), base, False, blocking))
        else:
            results = asyncio.run(_check_all(args, store, args.urls))
        if args.format == "json":
            data = {"schema": "skimscan/diff/v1", "generated_at": now_utc(), "pages": [{
                "target": r.target, "scan_id": r.scan_id, "status": r.status, "error": r.error,
                "baseline": None if r.baseline is None else {
                    "id": r.baseline.id, "scan_id": r.baseline.scan_id,
                    "approved_by": r.baseline.approved_by, "created_at": r.baseline.created_at},
                "blocking_findings": r.blocking,
                "changes": [_change_json(c) for c in r.changes]} for r in results]}
            emit(json.dumps(data, indent=2, sort_keys=True) + "\n", args.output)
        else:
            lines: list[str] = []
            for r in results:
                if r.status != "complete":
                    lines.append(f"{r.target}: scan {r.scan_id} incomplete: {r.error}")
                    continue
                b = r.baseline
                since = f"baseline {b.id} (scan {b.scan_id}, approved by {b.approved_by} " \
                        f"at {b.created_at})" if b else "no baseline"
                lines.append(f"{r.target}: {len(r.changes)} change(s) from {since}")
                for c in r.changes:
                    assert isinstance(c, Change)
                    lines.append(f"  {c.kind.value}: {c.summary()}")
                    lines += [f"      {d}" for d in c.detail.splitlines()]
                if r.blocking:
                    lines.append(f"  {r.blocking} blocking finding(s) in scan {r.scan_id}")
            emit(printable_lines("\n".join(lines)) + "\n", args.output)
        return exit_code(results, alerts_only=False)


def _change_json(c: Any) -> dict[str, Any]:
    return {"kind": c.kind.value, "subject": c.subject, "before": c.before, "after": c.after,
            "detail": c.detail, "fingerprint": c.fingerprint, "summary": c.summary()}


# --- inventory, history ----------------------------------------------------------------------


def cmd_inventory(args: argparse.Namespace) -> int:
    from skimscan.inventory.export import (
        inventory_records,
        render_inventory,
        render_proposals,
    )
    from skimscan.inventory.proposals import propose

    policy = _policy(args)
    with Store.open(args.db, create=False) as store:
        if args.original:
            return _write_original(store, args)
        _require_recorded(store, args.urls)
        targets = args.urls or store.targets()
        if args.propose:
            out = []
            for url in targets:
                base = store.baseline(url)
                scan_id = base.scan_id if base else (s.id if (s := store.latest_scan(url))
                                                     else None)
                if scan_id is None and args.urls:
                    raise ConfigError(
                        f"no complete scan of {url} in {store.path} to propose from")
                if scan_id is None:
                    continue
                snap = store.snapshot(scan_id)
                out.append(propose(snap, store.contents(s.sha256 for s in snap.scripts)))
            if not out:
                raise ConfigError(f"no complete scan in {store.path} to propose from")
            fmt = "json" if args.format == "json" else "md"
            text = render_proposals(out, fmt)
            emit(text if fmt == "json" else printable_lines(text), args.output)
            return EXIT_OK
        records = inventory_records(store.inventory(targets), policy)
        text = render_inventory(records, args.format, generated_at=now_utc())
        emit(text if args.format == "json" else printable_lines(text), args.output)
        unapproved = sum(1 for r in records if r.authorization == "unapproved")
        _say(f"{len(records)} script(s) on {len({r.target for r in records})} page(s)"
             + (f", {unapproved} not approved" if policy is not None or unapproved else ""))
        return EXIT_OK


def _write_original(store: Store, args: argparse.Namespace) -> int:
    """The exact text of one script version, as evidence: to a file or a pipe, never raw to a
    terminal (scanned bytes must not drive it)."""
    original = store.original(args.original)
    if original is None:
        raise ConfigError(f"no original text of {args.original} in {store.path} (versions "
                          "first seen before skimscan kept originals have only their normalised "
                          "form)")
    if args.output and args.output != "-":
        Path(args.output).write_bytes(original.data)
    elif sys.stdout.isatty():
        raise ConfigError("--original writes a script's exact bytes: give -o FILE or a pipe, "
                          "not a terminal")
    else:
        sys.stdout.buffer.write(original.data)
        sys.stdout.flush()
    _say(f"{len(original.data)} byte(s) of script version {original.sha256}")
    return EXIT_OK


def parse_when(text: str | None, *, end: bool = False) -> str | None:
    """`YYYY-MM-DD` (a whole day, UTC) or an ISO 8601 time, as the store's UTC text."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{text!r} is not a date (YYYY-MM-DD) or ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end and len(text) == 10:  # a date: up to the end of that day
        moment += timedelta(days=1)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cmd_history(args: argparse.Namespace) -> int:
    from skimscan.inventory.export import render_history

    since, until = parse_when(args.since), parse_when(args.until, end=True)
    with Store.open(args.db, create=False) as store:
        _require_recorded(store, args.urls)
        targets = args.urls or [None]
        scans = [s for t in targets for s in store.scans(target=t, since=since, until=until)]
        changes = [c for t in targets
                   for c in store.changes(target=t, since=since, until=until)]
        ids = {s.id for s in scans} | {c.scan_id for c in changes}
        deliveries = [a for a in store.alerts(since=since, until=until)
                      if not args.urls or ids & set(a.scan_ids)]
        text = render_history(sorted(scans, key=lambda s: s.id),
                              sorted(changes, key=lambda c: c.id), args.format,
                              since=since, until=until, generated_at=now_utc(),
                              deliveries=deliveries)
        emit(text if args.format == "json" else printable_lines(text), args.output)
    return EXIT_OK


# --- watch -----------------------------------------------------------------------------------


def cmd_watch(args: argparse.Namespace) -> int:
    from skimscan.inventory.alert import WebhookConfig
    from skimscan.inventory.watch import (
        IntervalSchedule,
        Schedule,
        WatchOptions,
        cron_schedule,
        pages_of,
        watch,
    )

    policy = _policy(args)
    settings = policy.watch if policy is not None else None
    pages = pages_of(args.urls, settings.pages if settings else ())
    _check_urls(list(pages))
    schedule: Schedule | None = None
    # --interval first: given, it was given on the command line (it reads no variable), where it
    # excludes --cron, so a --cron value here can only come from SKIMSCAN_CRON — which a flag
    # beats. Then --cron (or SKIMSCAN_CRON), then the policy's watch section.
    if args.interval is not None:
        schedule = IntervalSchedule(args.interval)
    elif args.cron:
        schedule = cron_schedule(args.cron)
    elif settings is not None and settings.schedule:
        schedule = cron_schedule(settings.schedule)
    elif settings is not None and settings.interval:
        schedule = IntervalSchedule(settings.interval)
    url = args.webhook or (settings.webhook if settings else None)
    webhook = WebhookConfig(url, os.environ.get("SKIMSCAN_WEBHOOK_SECRET") or None) \
        if url else None
    options = WatchOptions(pages=pages, db=args.db, schedule=schedule, once=args.once,
                           webhook=webhook, min_severity=Severity.parse(args.min_severity),
                           auto_baseline=not args.no_auto_baseline)
    return asyncio.run(watch(options, scan_options(args, policy), _engine_factory(args)))


# --- policy init -----------------------------------------------------------------------------


def cmd_policy_init(args: argparse.Namespace) -> int:
    from skimscan.inventory.export import named_by_url, render_starter_policy

    _check_urls([args.url])
    out = Path(args.output)
    if out.exists() and not args.force:
        raise ConfigError(f"{out} exists; pass --force to overwrite it")
    with Store.open(args.db) as store:
        [result] = asyncio.run(_check_all(args, store, [args.url]))
        if result.status != "complete":
            _say(f"{args.url}: the scan is incomplete ({result.error}); no policy written")
            return EXIT_INCOMPLETE
        snap = store.snapshot(result.scan_id)
        unnamed = [s.sha256 for s in snap.scripts if not named_by_url(s)]
        text = render_starter_policy(snap, store.contents(s.sha256 for s in snap.scripts),
                                     generated_at=now_utc(),
                                     originals=store.original_texts(unnamed))
    out.write_text(text, encoding="utf-8")
    _say(f"wrote {out}: {len(snap.scripts)} script(s) to justify (owner, justification), "
         f"from scan {result.scan_id}")
    return EXIT_OK
