"""The fleet's one task, `scan_page(target_id, run_id=...)`: one page scanned and recorded
exactly as `skimscan watch` does it (inventory.monitor.Monitor.check: compare with the
baseline, record everything, queue an alert in the store's outbox in the same transaction).

Exactly one complete result per run: the store settles the run (`fleet_runs.state = 'done'`) in
the transaction that writes the scan's results, and a worker that receives a job whose run is
already done (a redelivery after a crash between the commit and the acknowledgement) skips it.
The job is acknowledged only when the task returns (acks_late), i.e. after that commit, or after
a retry of it was sent.

Retries (`max_retries`, exponential backoff from `backoff_s`): a store that cannot be reached or
written (PostgreSQL restarting), and a scan recorded incomplete (browser crashed, page down).
Each attempt that reached the store is on record as an incomplete scan: a page that could not be
scanned is never clean. When retries are exhausted the run is `failed`.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from celery import Celery  # type: ignore[import-untyped]

from skimscan.fleet.app import TASK_NAME, FleetSettings, settings_of
from skimscan.fleet.browser import WorkerBrowser
from skimscan.fleet.cache import RedisSharedCache
from skimscan.fleet.schedule import SiteLeases
from skimscan.inventory.monitor import Monitor, PageResult
from skimscan.inventory.store import Store

log = logging.getLogger("skimscan.fleet")


@dataclass(frozen=True)
class Job:
    """One delivery of a scan job: which page, which run, which attempt."""

    target_id: int
    run_id: int | None
    attempt: int = 0  # retries so far
    waits: int = 0  # times put back because the site's leases were taken (not retries)


@dataclass(frozen=True)
class Outcome:
    """What the task did (its return value, logged by Celery)."""

    action: str  # recorded / duplicate / waiting / retrying / failed / gone
    scan_id: int | None = None
    status: str | None = None
    detail: str = ""


class WorkerRuntime:
    """What a worker process keeps across tasks: its browser and its lease client. Made on the
    first task in the process (after the fork), kept on the app object: no module state."""

    def __init__(self, app: Celery, settings: FleetSettings) -> None:
        # The analysis cache is shared through the broker's Redis: one analysis per script
        # per fleet (fleet/cache.py).
        self.browser = WorkerBrowser(settings.scan, recycle_after=settings.recycle_after,
                                     use_disk_cache=settings.use_disk_cache,
                                     shared_cache=RedisSharedCache(str(app.conf.broker_url)))
        self.leases = SiteLeases(str(app.conf.broker_url), limit=settings.per_site,
                                 lease_s=settings.lease_s)
        self.pid = os.getpid()
        self.worker = f"{socket.gethostname()}:{self.pid}"
        self.policies: dict[str, Any] = {}

    def policy(self, path: str | None) -> Any:
        if not path:
            return None
        if path not in self.policies:
            from skimscan.policy.policy import load_policy

            self.policies[path] = load_policy(path)
        return self.policies[path]


def runtime_of(app: Celery) -> WorkerRuntime:
    runtime = getattr(app, "skimscan_runtime", None)
    if not isinstance(runtime, WorkerRuntime) or runtime.pid != os.getpid():
        runtime = WorkerRuntime(app, settings_of(app))
        app.skimscan_runtime = runtime
    return runtime


def register(app: Celery) -> None:
    """Register `scan_page` on `app`, and close each process's browser when it exits."""
    from celery.signals import worker_process_shutdown  # type: ignore[import-untyped]

    @app.task(name=TASK_NAME, bind=True)  # type: ignore[untyped-decorator]
    def scan_page(self: Any, target_id: int, run_id: int | None = None, attempt: int = 0,
                  waits: int = 0) -> dict[str, Any]:
        outcome = run_job(app, Job(target_id, run_id, attempt, waits))
        return {"action": outcome.action, "scan_id": outcome.scan_id, "status": outcome.status,
                "detail": outcome.detail}

    def shutdown(**_: Any) -> None:
        runtime = getattr(app, "skimscan_runtime", None)
        if isinstance(runtime, WorkerRuntime) and runtime.pid == os.getpid():
            runtime.browser.close()

    worker_process_shutdown.connect(shutdown, weak=False)


def _send(app: Celery, job: Job, delay: float) -> None:
    app.send_task(TASK_NAME, args=[job.target_id],
                  kwargs={"run_id": job.run_id, "attempt": job.attempt, "waits": job.waits},
                  countdown=delay)


def run_job(app: Celery, job: Job) -> Outcome:
    """Scan and record one page for `job` (see the module docstring)."""
    settings = settings_of(app)
    runtime = runtime_of(app)
    try:
        store = Store.open(settings.store)
    except Exception as exc:  # the database is away: try again later
        return _retry(app, settings, job, f"store: {exc}")
    with store:
        try:
            return _scan(app, settings, runtime, store, job)
        except Exception as exc:  # a write failed half-way: the page's scan is retried
            log.warning("run %s of target %s: %s: %s", job.run_id, job.target_id,
                        type(exc).__name__, exc)
            return _retry(app, settings, job, f"{type(exc).__name__}: {exc}")


def _scan(app: Celery, settings: FleetSettings, runtime: WorkerRuntime, store: Store,
          job: Job) -> Outcome:
    # A scan this process left `running` (its last write failed) is over: say so first.
    store.abandon_own_scans(runtime.pid, "the worker could not record this scan (the database "
                            "was unreachable); the page is scanned again")
    target = store.fleet_target_by_id(job.target_id)
    if target is None:
        return Outcome("gone", detail=f"fleet target {job.target_id} was removed")
    host = urlsplit(target.url).hostname or target.url
    token = runtime.leases.acquire(host)
    if token is None:  # the site is busy: back in the queue, not a retry
        delay = min(30.0, 1.0 + 0.5 * job.waits) * (0.5 + runtime_random())
        _send(app, Job(job.target_id, job.run_id, job.attempt, job.waits + 1), delay)
        return Outcome("waiting", detail=f"{host}: {settings.per_site} scan(s) running")
    try:
        if job.run_id is not None:
            run = store.fleet_claim(job.run_id, runtime.worker)
            if run is None:
                return Outcome("duplicate", detail=f"run {job.run_id} is already recorded")
            store.fleet_run = job.run_id
        result = _check(runtime, store, target.url, target.policy)
    finally:
        runtime.leases.release(host, token)
    if result.status == "complete":
        return Outcome("recorded", result.scan_id, result.status)
    if not runtime.browser.alive():
        runtime.browser.mark_broken()
    return _retry(app, settings, job, result.error or "incomplete", result.scan_id, store)


def _check(runtime: WorkerRuntime, store: Store, url: str, policy_path: str | None) -> PageResult:
    """The watch code path for one page, on the process's kept browser."""
    browser = runtime.browser

    async def check() -> PageResult:
        scanner = await browser.scanner(runtime.policy(policy_path), policy_path)
        monitor = Monitor(store, engine=browser.engine, scanner=scanner)
        return await monitor.check(url, auto_baseline=True)

    return browser.run(check())


def runtime_random() -> float:
    import random

    return random.random()


def _retry(app: Celery, settings: FleetSettings, job: Job, error: str,
           scan_id: int | None = None, store: Store | None = None) -> Outcome:
    """Send the job again after a backoff, or give up: the run becomes `failed`."""
    if job.attempt < settings.max_retries:
        delay = settings.backoff_s * (2 ** job.attempt) * (0.75 + 0.5 * runtime_random())
        _send(app, Job(job.target_id, job.run_id, job.attempt + 1, job.waits), delay)
        log.info("run %s: retry %d in %.1f s: %s", job.run_id, job.attempt + 1, delay, error)
        return Outcome("retrying", scan_id, "incomplete", error)
    if job.run_id is not None:
        try:
            if store is not None:
                store.fleet_fail(job.run_id, error)
            else:
                with Store.open(settings.store) as fresh:
                    fresh.fleet_fail(job.run_id, error)
        except Exception as exc:  # nothing more to do: the run stays open in the database
            log.error("run %s: could not record the failure: %s", job.run_id, exc)
    return Outcome("failed", scan_id, "incomplete", error)
