"""Fleet schedules: each target's own interval or cron (stored in `fleet_targets`), the query
for what is due, enqueueing with jitter, per-site leases, and the scheduler loop.

The scheduler is a plain loop (`skimscan fleet scheduler`), not Celery beat: beat's schedule is
a static table in the process, while a fleet's schedules are rows that `fleet add` changes at
any time. Each tick, one write transaction picks the due targets that have no open run, writes a
`queued` run for each and moves their next due time on (store.fleet_enqueue_due): two schedulers
by mistake still enqueue a target once. Jobs go to the broker after that commit, each with a
random delay (`jitter_s`), so targets added together do not all start in the same second.

Per-site limit: a Redis lease set per host (a sorted set of lease tokens scored by expiry,
taken and counted in one Lua script), not a database lease column. The broker is already there
and answers in well under a millisecond; a lease that a killed worker held expires by itself
(or is dropped at once when its process is seen dead on the same host); and the database, the
part that grows with the fleet, gets no extra write per job. A worker that finds the host's
leases all taken puts the job back with a short random delay, without counting it as a retry.
"""

from __future__ import annotations

import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from skimscan.errors import ConfigError
from skimscan.inventory.store import FleetRun, FleetTarget, Store, _iso, now_utc, pid_alive
from skimscan.inventory.watch import cron_schedule

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_every(text: str) -> int:
    """`30s`, `15m`, `6h`, `1d`, `1w` (or plain seconds) → seconds. At least 60 s."""
    value = text.strip().lower()
    unit = value[-1:] if value[-1:] in _UNITS else "s"
    number = value[:-1] if value[-1:] in _UNITS else value
    try:
        seconds = int(float(number) * _UNITS[unit])
    except ValueError:
        raise ConfigError(f"--every {text!r}: expected a number and s/m/h/d/w, e.g. 1d") from None
    if seconds < 60:
        raise ConfigError(f"--every {text!r}: at least one minute")
    return seconds


def next_due(target: FleetTarget, after: datetime) -> str:
    """When `target` is due next after `after`, as stored (UTC ISO text)."""
    if target.cron:
        return _iso(cron_schedule(target.cron).next_after(after.astimezone()))
    return _iso(after + timedelta(seconds=target.every_s or 86400))


@dataclass(frozen=True)
class Enqueued:
    run: FleetRun
    delay_s: float


Send = Callable[[int, int, float], None]  # (target id, run id, delay in seconds)


#: an open run untouched this long lost its job (see `enqueue_due`): longer than the broker's
#: visibility timeout plus every retry's backoff, so a job still in flight is never doubled
STALE_AFTER = timedelta(hours=1)


def enqueue_due(store: Store, send: Send, *, now: datetime | None = None,
                jitter_s: float = 30.0, limit: int = 1000,
                rng: random.Random | None = None,
                stale_after: timedelta = STALE_AFTER) -> list[Enqueued]:
    """Write a run for every due target without an open one, then send each to the broker
    with a random delay of up to `jitter_s`. Runs left open longer than `stale_after` (a send
    that failed, a job the broker lost) are sent again: an open run holds its target's
    schedule, so a lost job must not stop the page being scanned."""
    moment = now or datetime.now(UTC)
    rng = rng or random.Random()
    runs = store.fleet_requeue_stale(_iso(moment), _iso(moment - stale_after))
    runs += store.fleet_enqueue_due(_iso(moment), lambda t: next_due(t, moment), limit=limit)
    out = []
    for run in runs:
        delay = rng.uniform(0, jitter_s) if jitter_s > 0 else 0.0
        send(run.target.id, run.id, delay)
        out.append(Enqueued(run, delay))
    return out


def celery_sender(app: Any) -> Send:
    """Send scan jobs through a Celery app (skimscan.fleet.app.create_app)."""
    from skimscan.fleet.app import TASK_NAME

    def send(target_id: int, run_id: int, delay: float) -> None:
        app.send_task(TASK_NAME, args=[target_id], kwargs={"run_id": run_id},
                      countdown=delay or None)

    return send


_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class SiteLeases:
    """At most `limit` scans of one host at once, fleet-wide (see the module docstring)."""

    def __init__(self, redis_url: str, *, limit: int, lease_s: float,
                 prefix: str = "skimscan:site:") -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url, socket_timeout=10)
        self.limit, self.lease_s, self.prefix = max(1, limit), lease_s, prefix
        self.hostname = socket.gethostname()
        self._acquire = self.client.register_script(_ACQUIRE)

    def acquire(self, host: str) -> str | None:
        """A lease token for `host`, or None when its limit is reached."""
        key = self.prefix + host
        token = f"{self.hostname}:{os.getpid()}:{uuid.uuid4().hex}"
        for _ in range(2):
            now = time.time()
            got = self._acquire(keys=[key], args=[now, self.limit, now + self.lease_s, token,
                                                  int(self.lease_s * 1000) + 1000])
            if got:
                return token
            if not self._drop_dead(key):
                return None
        return None

    def release(self, host: str, token: str) -> None:
        self.client.zrem(self.prefix + host, token)

    def _drop_dead(self, key: str) -> bool:
        """Remove leases of processes on this host that no longer exist (killed workers)."""
        dropped = False
        members: list[bytes] = list(self.client.zrange(key, 0, -1))  # type: ignore[arg-type]
        for raw in members:
            token = raw.decode()
            host, _, rest = token.partition(":")
            pid_text = rest.partition(":")[0]
            if host == self.hostname and pid_text.isdigit() and not pid_alive(int(pid_text)):
                self.client.zrem(key, raw)
                dropped = True
        return dropped


Log = Callable[[str], None]


async def deliver_outbox(store: Store, webhook: Any, log: Log) -> None:
    """Send the fleet's queued alerts (the store's outbox) as one webhook, and settle them
    with the outcome — the same path `watch` takes (at least once: a failure stays queued)."""
    from skimscan.inventory.alert import build_payload, deliver
    from skimscan.inventory.watch import _redact, page_alert

    queued = store.queued_alerts(targets=[t.url for t in store.fleet_targets()])
    if not queued:
        return
    pages = [page_alert(q) for q in queued]
    delivery = await deliver(webhook, build_payload(pages))
    store.record_alert(channel="webhook", destination=_redact(webhook.url), ok=delivery.ok,
                       attempts=delivery.attempts, http_status=delivery.status,
                       error=delivery.error, scan_ids=[p.scan_id for p in pages],
                       changes=sum(len(p.changes) for p in pages), settles=True)
    log(f"webhook {'delivered' if delivery.ok else 'FAILED'}: {len(pages)} alert(s)")


def run_scheduler(db: str, send: Send, *, tick_s: float = 5.0, jitter_s: float = 30.0,
                  webhook: Any = None, log: Log = print, max_ticks: int | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> int:
    """Every `tick_s`: enqueue what is due, then deliver queued alerts (with a webhook). A tick
    that fails (database away) is logged and the next one tries again."""
    import asyncio

    ticks = 0
    while max_ticks is None or ticks < max_ticks:
        ticks += 1
        try:
            with Store.open(db) as store:
                sent = enqueue_due(store, send, jitter_s=jitter_s)
                if sent:
                    log(f"{now_utc()} enqueued {len(sent)} page(s)")
                if webhook is not None:
                    asyncio.run(deliver_outbox(store, webhook, log))
        except Exception as exc:  # the scheduler outlives a database restart
            log(f"{now_utc()} tick failed: {type(exc).__name__}: {exc}")
        if max_ticks is None or ticks < max_ticks:
            sleep(tick_s)
    return 0
