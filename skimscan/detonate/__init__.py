"""Detonation: run a file that static analysis could not settle in the sandboxed browser, on a
synthetic checkout, with the canary shopper and the quarantine (issue: detonation).

Pipeline place: after analyze, beside the page scanner — it reuses capture (the browser, the
instrumentation, the shopper) and the scanner's judgement of a captured page, and hands the
file target back to policy and report.

- `templates.py` — the platform pages (package data in `templates/`) and their ranking;
- `checkout.py` — the local HTTPS server that plays the shop, the file's host and a processor;
- `detonator.py` — one file on the best pages, clock advanced, missing elements created;
- `attribute.py` — which of a page's findings and scripts are the file's;
- `triage.py` — when `auto` detonates;
- `store.py` — results cached by file hash and settings;
- `files.py` — `scan_files(..., detonate=)`, what `scan-file --detonate` runs.
"""

from skimscan.detonate.detonator import Detonation, DetonationOptions, Detonator
from skimscan.detonate.files import DetonateMode, adetonate, ascan_files, scan_files

__all__ = ["DetonateMode", "Detonation", "DetonationOptions", "Detonator", "adetonate",
           "ascan_files", "scan_files"]
