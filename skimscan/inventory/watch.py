"""SIDE-CAR (inventory) — `skimscan watch`: scan pages on a schedule, record everything, alert
only on change or finding (PCI DSS 11.6.1: "at least weekly"; daily is common).

Schedules are cron expressions (five fields, local time; `@daily`, `@weekly`, … too) or a fixed
interval. Cron is evaluated by `croniter` when it is installed (which adds its extensions) and
otherwise by `CronSchedule` here: minute hour day-of-month month day-of-week, with `*`, lists,
ranges, steps and month/day names; when both day fields are restricted a time matches either
(as in Vixie cron).

Invariants: a round scans every page even when some fail (each failure is recorded as an
incomplete scan, and the next round still comes); a round that cannot start at all (no browser)
is reported and retried at the next time; one webhook per round, only when something changed
since the previous scan or a page stopped being scannable — or when an earlier alert of the
watched pages is still in the store's outbox (its delivery failed, or the process ended before
it was sent): alerts are delivered at least once. A round without a webhook raises its own
alerts through its exit status and log only, and leaves earlier undelivered ones queued.
`--once` runs one round and exits 0 (nothing new), 1 (alert raised, or an earlier one sent
again) or 3 (a page could not be scanned).
"""

from __future__ import annotations

import asyncio
import calendar
import importlib
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from skimscan.errors import ConfigError, SkimscanError
from skimscan.inventory.alert import PageAlert, WebhookConfig, build_payload, deliver
from skimscan.inventory.diff import Change, ChangeKind
from skimscan.inventory.monitor import CodeKeepingScanner, Monitor, PageResult, exit_code
from skimscan.inventory.store import QueuedAlert, Store
from skimscan.models import Severity
from skimscan.pipeline import Engine
from skimscan.report.terminal import printable
from skimscan.scanner import ScanOptions

_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
           "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
           "@hourly": "0 * * * *"}
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {d.lower(): (i + 1) % 7 for i, d in enumerate(calendar.day_abbr)}  # mon=1 … sun=0
#: (name, lowest, highest, names)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS), ("day of week", 0, 7, _DAYS),
)


class Schedule(Protocol):
    def next_after(self, moment: datetime) -> datetime: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class IntervalSchedule:
    seconds: float

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ConfigError("--interval must be a positive number of seconds")

    def next_after(self, moment: datetime) -> datetime:
        return moment + timedelta(seconds=self.seconds)

    def describe(self) -> str:
        return f"every {self.seconds:g} s"


@dataclass(frozen=True)
class CronSchedule:
    """A five-field cron expression, evaluated here (see the module docstring)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day-of-month is `*`
    any_weekday: bool  # day-of-week is `*`

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        text = _MACROS.get(expression.strip().lower(), expression.strip())
        parts = text.split()
        if len(parts) != 5:
            raise ConfigError(f"cron {expression!r}: expected 5 fields (minute hour day-of-month "
                              f"month day-of-week) or @daily/@weekly/…, got {len(parts)}")
        sets = [_cron_field(expression, p, *spec) for p, spec in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(expression, sets[0], sets[1], sets[2], sets[3], weekdays,
                   parts[2] in ("*", "?"), parts[4] in ("*", "?"))

    def _day_ok(self, moment: datetime) -> bool:
        dom = moment.day in self.days
        dow = (moment.weekday() + 1) % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow

    def next_after(self, moment: datetime) -> datetime:
        tz = moment.tzinfo
        t = moment.replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=1)
        limit = t + timedelta(days=366 * 5)
        while t < limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_ok(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
                continue
            if t.minute not in self.minutes:
                t += timedelta(minutes=1)
                continue
            return t.replace(tzinfo=tz)  # wall-clock time in the zone it was asked in
        raise ConfigError(f"cron {self.expression!r} never matches")

    def describe(self) -> str:
        return f"cron {self.expression!r}"


@dataclass(frozen=True)
class CroniterSchedule:
    """Cron through the `croniter` package (when installed)."""

    expression: str
    module: Any = field(repr=False, compare=False)

    def next_after(self, moment: datetime) -> datetime:
        result = self.module.croniter(self.expression, moment).get_next(datetime)
        assert isinstance(result, datetime)
        return result

    def describe(self) -> str:
        return f"cron {self.expression!r}"


def _cron_field(expression: str, text: str, name: str, low: int, high: int,
                names: dict[str, int]) -> frozenset[int]:
    def value(token: str) -> int:
        token = token.lower()
        if token in names:
            return names[token]
        if not token.isdigit():
            raise ConfigError(f"cron {expression!r}: {token!r} is not a valid {name}")
        number = int(token)
        if not low <= number <= high:
            raise ConfigError(f"cron {expression!r}: {name} {number} is outside {low}-{high}")
        return number

    out: set[int] = set()
    for item in text.split(","):
        rng, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ConfigError(f"cron {expression!r}: bad step {step_text!r} in the {name}")
            step = int(step_text)
        if rng in ("*", "?"):
            start, end = low, high
        elif "-" in rng:
            a, _, b = rng.partition("-")
            start, end = value(a), value(b)
            if start > end:
                raise ConfigError(f"cron {expression!r}: range {rng!r} runs backwards")
        else:
            start = value(rng)
            end = high if step_text else start
        out.update(range(start, end + 1, step))
    return frozenset(out)


def cron_schedule(expression: str, *, use_croniter: bool = True) -> Schedule:
    """A cron schedule: croniter when installed, else `CronSchedule`. Invalid → ConfigError."""
    if use_croniter:
        try:
            module = importlib.import_module("croniter")
        except ImportError:
            module = None
        if module is not None:
            text = _MACROS.get(expression.strip().lower(), expression.strip())
            if not module.croniter.is_valid(text):
                raise ConfigError(f"cron {expression!r} is not a valid cron expression")
            return CroniterSchedule(text, module)
    return CronSchedule.parse(expression)


@dataclass(frozen=True)
class WatchOptions:
    pages: tuple[str, ...]
    db: str
    schedule: Schedule | None = None  # None only with once
    once: bool = False
    webhook: WebhookConfig | None = None
    min_severity: Severity = Severity.LOW
    auto_baseline: bool = True


@dataclass(frozen=True)
class RoundResult:
    started: datetime
    results: tuple[PageResult, ...]
    alerted: bool  # this round raised an alert: its own, or an undelivered one sent again
    delivery_ok: bool | None  # None: nothing to send, or no webhook
    error: str | None = None  # the round could not run (e.g. no browser)

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return 3
        code = exit_code(self.results, alerts_only=True)
        return 1 if code == 0 and self.alerted else code


Log = Callable[[str], None]


def _stderr(line: str) -> None:
    print(f"skimscan watch: {printable(line)}", file=sys.stderr, flush=True)


ScannerFactory = Callable[[ScanOptions, Engine], CodeKeepingScanner]


async def run_round(options: WatchOptions, scan_options: ScanOptions,
                    engine_factory: Callable[[], Engine], *, log: Log = _stderr,
                    scanner_factory: ScannerFactory = CodeKeepingScanner) -> RoundResult:
    """Scan every page once, record, and send one webhook with whatever is queued."""
    started = datetime.now().astimezone()
    with Store.open(options.db) as store:
        results, error = await _scan_pages(store, options, scan_options, engine_factory,
                                           log=log, scanner_factory=scanner_factory)
        alerted, delivery_ok = await _raise_alerts(store, options, results, log)
    return RoundResult(started, tuple(results), alerted, delivery_ok, error)


async def _scan_pages(store: Store, options: WatchOptions, scan_options: ScanOptions,
                      engine_factory: Callable[[], Engine], *, log: Log,
                      scanner_factory: ScannerFactory) -> tuple[list[PageResult], str | None]:
    """Every page once; each scan that raises an alert queues it in the store as it is written.
    Returns the results and why the round could not run, if it could not."""
    results: list[PageResult] = []
    try:
        engine = engine_factory()
        async with Monitor(store, engine=engine, min_severity=options.min_severity,
                           scanner=scanner_factory(scan_options, engine)) as monitor:
            for url in options.pages:
                result = await monitor.check(url, auto_baseline=options.auto_baseline)
                results.append(result)
                log(_describe(result))
    except SkimscanError as exc:  # the round could not start: no browser, bad rules
        log(f"round failed: {exc}")
        return results, str(exc)
    except Exception as exc:  # a bug must not end the schedule either
        error = f"{type(exc).__name__}: {exc}"
        log(f"round failed: {error}")
        return results, error
    return results, None


async def _raise_alerts(store: Store, options: WatchOptions, results: Sequence[PageResult],
                        log: Log) -> tuple[bool, bool | None]:
    """Send the outbox of the watched pages (this round's alerts and any earlier one still
    undelivered) as one webhook, and record the outcome on each. Without a webhook, this
    round's alerts are raised by the exit status and log alone. Returns (raised, delivered)."""
    own = {r.scan_id for r in results}
    if options.webhook is None:
        mine = store.queued_alerts(scan_ids=own)
        store.settle_alerts([q.scan_id for q in mine], state="no-webhook")
        return bool(mine), None
    queued = store.queued_alerts(targets=options.pages)
    if not queued:
        return False, None
    pages = [page_alert(q) for q in queued]
    delivery = await deliver(options.webhook, build_payload(pages))
    store.record_alert(channel="webhook", destination=_redact(options.webhook.url),
                       ok=delivery.ok, attempts=delivery.attempts,
                       http_status=delivery.status, error=delivery.error,
                       scan_ids=[p.scan_id for p in pages],
                       changes=sum(len(p.changes) for p in pages), settles=True)
    earlier = sum(1 for q in queued if q.scan_id not in own)
    log(f"webhook {'delivered' if delivery.ok else 'FAILED'} after {delivery.attempts} "
        "attempt(s)" + (f", with {earlier} earlier undelivered alert(s)" if earlier else "")
        + (f": {delivery.error}" if delivery.error else "")
        + ("" if delivery.ok else "; kept in the outbox for the next round"))
    return True, delivery.ok


def page_alert(queued: QueuedAlert) -> PageAlert:
    """A queued alert as the webhook shows it, rebuilt from what the store recorded."""
    changes = tuple(Change(ChangeKind(c.kind), c.target, c.subject, c.before, c.after, c.detail)
                    for c in queued.changes)
    return PageAlert(queued.target, queued.scan_id, queued.status, changes, queued.error,
                     queued.started_at)


def _describe(r: PageResult) -> str:
    if r.status != "complete":
        return f"{r.target}: incomplete (scan {r.scan_id}): {r.error}"
    extra = " (baseline approved)" if r.baselined else ""
    return (f"{r.target}: scan {r.scan_id}, {len(r.changes)} change(s) from the baseline, "
            f"{len(r.alerts)} new{extra}")


def _redact(url: str) -> str:
    """Webhook URLs often embed a token: keep scheme and host only in the record."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


async def watch(options: WatchOptions, scan_options: ScanOptions,
                engine_factory: Callable[[], Engine], *, log: Log = _stderr,
                sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
                max_rounds: int | None = None,
                scanner_factory: ScannerFactory = CodeKeepingScanner) -> int:
    """Run rounds on the schedule, forever (or `max_rounds`); with `once`, one round."""
    if not options.pages:
        raise ConfigError("no pages to watch: give URLs or a policy with a 'watch: pages:' list")
    if options.once:
        return (await run_round(options, scan_options, engine_factory, log=log,
                                scanner_factory=scanner_factory)).exit_code
    if options.schedule is None:
        raise ConfigError("watch needs --cron or --interval (or 'schedule'/'interval' in the "
                          "policy's watch section), or --once")
    rounds = 0
    last = 0
    while max_rounds is None or rounds < max_rounds:
        moment = options.schedule.next_after(now())
        log(f"next round at {moment.isoformat(timespec='seconds')} ({options.schedule.describe()})")
        await _sleep_until(moment, now, sleep)
        try:
            last = (await run_round(options, scan_options, engine_factory, log=log,
                                    scanner_factory=scanner_factory)).exit_code
        except Exception as exc:  # e.g. the database is unreachable: try again next time
            log(f"round failed: {type(exc).__name__}: {exc}")
            last = 3
        rounds += 1
    return last


async def _sleep_until(moment: datetime, now: Callable[[], datetime],
                       sleep: Callable[[float], Awaitable[None]]) -> None:
    while True:
        left = (moment - now()).total_seconds()
        if left <= 0:
            return
        await sleep(min(left, 60.0))  # wake up regularly: clocks jump (suspend, DST)


def pages_of(args_pages: Sequence[str], policy_pages: Sequence[str]) -> tuple[str, ...]:
    """Pages from the command line, else the policy's watch section (order kept, no repeats)."""
    pages = list(args_pages) or list(policy_pages)
    return tuple(dict.fromkeys(pages))
