"""The Celery app of fleet mode, made by a factory: no app is configured at import time, so the
CLI, the workers and the tests each make their own from a broker URL and a store URL.

Delivery is at least once: a job is acknowledged only after its task returned (`acks_late`),
a job whose worker process died is put back (`task_reject_on_worker_lost`), and each worker
process reserves one job at a time (`worker_prefetch_multiplier=1`: a scan takes seconds, and a
job reserved by a busy process would wait behind it). Results live in the store, not in a
result backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from celery import Celery  # type: ignore[import-untyped]

from skimscan.scanner import ScanOptions

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
TASK_NAME = "skimscan.fleet.scan_page"
QUEUE = "skimscan-fleet"


@dataclass(frozen=True)
class FleetSettings:
    """What every worker process needs besides the broker: where results go, how to scan."""

    store: str
    scan: ScanOptions = field(default_factory=ScanOptions)
    #: retries of a page whose scan or store write failed (database away, browser crashed)
    max_retries: int = 4
    #: first retry after this many seconds, doubling each time
    backoff_s: float = 2.0
    #: a worker process's browser is replaced after this many pages
    recycle_after: int = 200
    #: scans of one host at the same time, across the whole fleet
    per_site: int = 2
    #: seconds a per-site lease is held at most (a killed worker's slot frees itself then)
    lease_s: float = 300.0
    #: seconds before Redis hands an unacknowledged job to another worker (a worker host that
    #: vanished whole); must exceed the longest scan
    visibility_timeout_s: float = 1800.0
    use_disk_cache: bool = True


def create_app(broker: str, settings: FleetSettings) -> Celery:
    """A configured Celery app with the scan task registered; `app.skimscan` is `settings`."""
    from skimscan.fleet.tasks import register

    app = Celery("skimscan-fleet", broker=broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_acks_on_failure_or_timeout=True,
        task_ignore_result=True,
        result_backend=None,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_s},
        worker_send_task_events=False,
    )
    app.skimscan = settings
    register(app)
    return app


def settings_of(app: Celery) -> FleetSettings:
    settings = getattr(app, "skimscan", None)
    if not isinstance(settings, FleetSettings):
        raise RuntimeError("not a skimscan fleet app (use skimscan.fleet.app.create_app)")
    return settings
