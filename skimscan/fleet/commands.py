"""`skimscan fleet ...`: add, remove, list, status, worker, scheduler (docs/fleet.md).

`--db` (SKIMSCAN_DB) is the shared store — PostgreSQL for a fleet of workers on several hosts;
`--broker` (SKIMSCAN_BROKER) the Redis the jobs go through. An unreachable broker or database
is one line on stderr and exit 2 (a ConfigError, printed by the CLI), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from skimscan.cliargs import add_page_scan_options, option
from skimscan.errors import ConfigError
from skimscan.inventory.store import DEFAULT_DB, Store, _iso

EXIT_OK, EXIT_USAGE = 0, 2


def _add_db(p: argparse.ArgumentParser) -> None:
    option(p, "--db", default=DEFAULT_DB,
           help="the store: a postgresql://user@host/db URL for workers on several hosts, or "
                "an SQLite file (one host)")


def _add_broker(p: argparse.ArgumentParser) -> None:
    from skimscan.fleet.app import DEFAULT_BROKER

    option(p, "--broker", default=DEFAULT_BROKER,
           help=f"the Redis broker of the job queue (default {DEFAULT_BROKER})")


def register(subparsers: Any) -> None:
    """Add `fleet` and its actions to the CLI's subparsers."""
    fleet = subparsers.add_parser("fleet", help="scheduled scans of many pages on Celery workers")
    actions = fleet.add_subparsers(dest="fleet_command", metavar="ACTION")
    fleet.set_defaults(func=_usage)

    p = actions.add_parser("add", help="add a page (or change its schedule)")
    p.add_argument("url", metavar="URL", help="the page (an http(s) URL)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--every", default=None, help="interval: 30m, 6h, 1d (default 1d), 1w")
    when.add_argument("--cron", default=None, help="cron expression (local time of the "
                                                   "scheduler)")
    p.add_argument("--policy", default=None, help="policy file the workers scan this page with")
    _add_db(p)
    p.set_defaults(func=cmd_add)

    p = actions.add_parser("remove", help="stop scanning a page (its record stays)")
    p.add_argument("url", metavar="URL", help="the page (an http(s) URL)")
    _add_db(p)
    p.set_defaults(func=cmd_remove)

    p = actions.add_parser("list", help="the pages and their schedules")
    _add_db(p)
    p.set_defaults(func=cmd_list)

    p = actions.add_parser("status", help="per page: last result, verdict, pending/running")
    _add_db(p)
    p.set_defaults(func=cmd_status)

    p = actions.add_parser("worker", help="run a Celery worker: one Chromium per process")
    p.add_argument("--concurrency", "-c", type=int, default=1,
                   help="worker processes, each with its own browser (default 1)")
    p.add_argument("--per-site", type=int, default=2,
                   help="scans of one host at once, fleet-wide (default 2)")
    p.add_argument("--retries", type=int, default=4,
                   help="retries of a page that could not be scanned or recorded (default 4)")
    p.add_argument("--backoff", type=float, default=2.0,
                   help="seconds before the first retry, doubling each time (default 2)")
    p.add_argument("--recycle-after", type=int, default=200,
                   help="pages before a process replaces its browser (default 200)")
    p.add_argument("--visibility-timeout", type=float, default=1800.0,
                   help="seconds before a job taken by a vanished worker host is handed out "
                        "again (default 1800; longer than any scan)")
    p.add_argument("--no-cache", action="store_true", help="no on-disk analysis cache")
    _add_db(p)
    _add_broker(p)
    add_page_scan_options(p)
    p.set_defaults(func=cmd_worker)

    p = actions.add_parser("scheduler", help="enqueue due pages; deliver queued alerts")
    p.add_argument("--tick", type=float, default=5.0, help="seconds between ticks (default 5)")
    p.add_argument("--jitter", type=float, default=30.0,
                   help="spread each page's start over up to this many seconds (default 30)")
    p.add_argument("--ticks", type=int, default=None, help=argparse.SUPPRESS)
    option(p, "--webhook", help="POST alerts here (secret: SKIMSCAN_WEBHOOK_SECRET)")
    _add_db(p)
    _add_broker(p)
    p.set_defaults(func=cmd_scheduler)


def _usage(args: argparse.Namespace) -> int:
    print("skimscan: fleet needs an action: add, remove, list, status, worker, scheduler "
          "(see skimscan fleet --help)", file=sys.stderr)
    return EXIT_USAGE


def _check_url(url: str) -> None:
    if not url.startswith(("http://", "https://")) or not urlsplit(url).hostname:
        raise ConfigError(f"{url!r} is not an http(s) URL")


def cmd_add(args: argparse.Namespace) -> int:
    from skimscan.fleet.schedule import next_due, parse_every
    from skimscan.inventory.store import FleetTarget
    from skimscan.inventory.watch import cron_schedule

    _check_url(args.url)
    every = None if args.cron else parse_every(args.every or "1d")
    if args.cron:
        cron_schedule(args.cron)  # invalid → ConfigError
    policy = None
    if args.policy:
        from skimscan.policy.policy import load_policy

        load_policy(args.policy)  # a broken policy is refused now, not by every worker
        policy = str(Path(args.policy).resolve())
    now = datetime.now(UTC)
    draft = FleetTarget(0, args.url, every, args.cron, policy, "", "")
    # An interval target is due now (its first scan); a cron target at its next time.
    due = next_due(draft, now) if args.cron else _iso(now)
    with Store.open(args.db) as store:
        target = store.fleet_add(args.url, every_s=every, cron=args.cron, policy=policy,
                                 next_due=due)
    print(f"{target.url}: {_describe(target.every_s, target.cron)}, next due {target.next_due}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    with Store.open(args.db, create=False) as store:
        if not store.fleet_remove(args.url):
            raise ConfigError(f"{args.url} is not in the fleet of {store.path}")
    print(f"{args.url}: removed (its scans stay on record)")
    return EXIT_OK


def _describe(every: int | None, cron: str | None) -> str:
    if cron:
        return f"cron {cron!r}"
    seconds = every or 0
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"every {seconds // size}{unit}"
    return f"every {seconds}s"


def cmd_list(args: argparse.Namespace) -> int:
    with Store.open(args.db, create=False) as store:
        targets = store.fleet_targets()
    for t in targets:
        print(f"{t.url}\t{_describe(t.every_s, t.cron)}\tnext {t.next_due}"
              + (f"\tpolicy {t.policy}" if t.policy else ""))
    print(f"{len(targets)} page(s)", file=sys.stderr)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    with Store.open(args.db, create=False) as store:
        rows = store.fleet_status()
    print("URL\tLAST RESULT\tSTATUS\tVERDICT\tRUN")
    for r in rows:
        scan = r.last_scan
        when = (scan.finished_at or scan.started_at) if scan else "-"
        print(f"{r.target.url}\t{when}\t{scan.status if scan else 'never scanned'}\t"
              f"{(scan.verdict or '-') if scan else '-'}\t{r.open_run or '-'}")
    return EXIT_OK


def check_broker(url: str) -> None:
    """One clear line when the broker cannot be reached (ConfigError), before Celery starts
    its own endless reconnection loop."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        raise ConfigError(f"cannot reach the broker {_redact(url)}: {exc}") from None


def _redact(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def cmd_worker(args: argparse.Namespace) -> int:
    from skimscan.fleet.app import QUEUE, FleetSettings, create_app
    from skimscan.inventory.commands import scan_options

    if args.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    check_broker(args.broker)
    with Store.open(args.db):  # reachable and migrated before any process starts
        pass
    options = scan_options(args, None)
    settings = FleetSettings(store=args.db, scan=options, max_retries=max(0, args.retries),
                             backoff_s=args.backoff, recycle_after=args.recycle_after,
                             per_site=args.per_site,
                             visibility_timeout_s=args.visibility_timeout,
                             use_disk_cache=not args.no_cache)
    app = create_app(args.broker, settings)
    app.worker_main(argv=["worker", "--pool", "prefork", "--concurrency",
                          str(args.concurrency), "--queues", QUEUE, "--loglevel", "INFO",
                          "--without-gossip", "--without-mingle", "--hostname",
                          f"skimscan-{os.getpid()}@%h"])
    return EXIT_OK


def cmd_scheduler(args: argparse.Namespace) -> int:
    from skimscan.fleet.app import FleetSettings, create_app
    from skimscan.fleet.schedule import celery_sender, run_scheduler
    from skimscan.inventory.alert import WebhookConfig

    check_broker(args.broker)
    with Store.open(args.db):
        pass
    app = create_app(args.broker, FleetSettings(store=args.db))
    webhook = (WebhookConfig(args.webhook, os.environ.get("SKIMSCAN_WEBHOOK_SECRET") or None)
               if args.webhook else None)

    def log(line: str) -> None:
        print(f"skimscan fleet scheduler: {line}", file=sys.stderr, flush=True)

    log(f"every {args.tick:g} s, jitter up to {args.jitter:g} s, broker {_redact(args.broker)}")
    try:
        return run_scheduler(args.db, celery_sender(app), tick_s=args.tick,
                             jitter_s=args.jitter, webhook=webhook, log=log,
                             max_ticks=args.ticks)
    except KeyboardInterrupt:
        return EXIT_OK
