"""Command-line options shared by every command that scans pages, and their environment.

Every flag also reads `SKIMSCAN_<FLAG>` (upper case, dashes as underscores); a flag on the
command line beats the variable, which beats the default. Used by `skimscan.cli` and by the
monitoring commands (`skimscan.inventory.commands`), so the two never drift apart.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"SKIMSCAN_{name.upper().replace('-', '_')}", default)


def env_flag(name: str) -> bool:
    return (env(name) or "").strip().lower() in ("1", "true", "yes", "on")


def env_float(name: str, default: float) -> float:
    text = env(name)
    try:
        return float(text) if text else default
    except ValueError:
        return default


def env_int(name: str, default: int) -> int:
    text = env(name)
    try:
        return int(text) if text else default
    except ValueError:
        return default


def emit(text: str, output: str | None) -> None:
    """A report to `output` (`-o FILE`), or to stdout when there is none or it is `-`."""
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def add_page_scan_options(p: argparse.ArgumentParser) -> None:
    """--policy, --map-host, --ignore-https-errors, --timeout, --wait, --no-browser,
    --no-interact, --live, --steps."""
    p.add_argument("--policy", default=env("policy"), help="policy file (YAML)")
    p.add_argument("--map-host", action="append", metavar="PATTERN=ADDRESS[:PORT]",
                   default=[s for s in (env("map_host") or "").split(",") if s.strip()],
                   help="send a host name (wildcards allowed) to another address; repeatable")
    p.add_argument("--ignore-https-errors", action="store_true",
                   default=env_flag("ignore_https_errors"),
                   help="accept self-signed or invalid certificates (staging, local shops)")
    p.add_argument("--timeout", type=float, default=env_float("timeout", 30.0),
                   help="seconds to load each page (default 30)")
    p.add_argument("--wait", type=float, default=env_float("wait", 2.0),
                   help="extra seconds to watch each page after it loaded (default 2)")
    p.add_argument("--no-browser", action="store_true", default=env_flag("no_browser"),
                   help="fetch HTML and scripts without a browser (fast, sees less)")
    p.add_argument("--no-interact", "--no-shop", dest="no_interact", action="store_true",
                   default=env_flag("no_interact") or env_flag("no_shop"),
                   help="only load each page: do not play a shopper (no canary card typed, "
                        "no pay button pressed)")
    p.add_argument("--live", action="store_true", default=env_flag("live"),
                   help="let requests to untrusted hosts out after the canary card is typed "
                        "(quarantine off; the payment is still never submitted)")
    p.add_argument("--fast-forward", type=float, default=env_float("fast_forward", 300.0),
                   metavar="SECONDS",
                   help="advance the page's clock by this much after pay (and up to 120 s before "
                        "the shopper), so that delayed listeners and sends run now (default "
                        "300; 0 turns it off)")
    p.add_argument("--steps", type=Path, default=env("steps"), metavar="FILE",
                   help="YAML steps (goto, click, fill, wait-for, wait, shop) that reach the "
                        "card form of a multi-step checkout")
