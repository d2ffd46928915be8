"""Fleet mode: scheduled scans of many pages on Celery workers with a Redis broker (docs/fleet.md).

app.py makes the Celery app, tasks.py holds the one task, browser.py the per-process browser,
schedule.py the due-target enqueuer, per-site leases and the scheduler loop, commands.py the CLI.
"""
