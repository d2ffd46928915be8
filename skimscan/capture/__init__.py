"""STAGE 1 — capture: the only code that touches a browser or the network.

- `BrowserSession` (page.py): one Chromium, many concurrent `capture(url)` → `PageCapture`.
- `fetch_static` (static.py): `--no-browser` mode with aiohttp and BeautifulSoup.
- `HostMap` (hostmap.py): `--map-host PATTERN=ADDRESS[:PORT]` for both modes.
- `find_chromium` / `launch` (browser.py): which Chromium, with which flags.

Importing this package starts nothing; Playwright is imported only with page.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skimscan.capture.hostmap import HostMap, HostRule, parse_host_map

if TYPE_CHECKING:
    from skimscan.capture.browser import find_chromium
    from skimscan.capture.page import BrowserSession, CaptureOptions
    from skimscan.capture.static import fetch_static

__all__ = [
    "BrowserSession",
    "CaptureOptions",
    "HostMap",
    "HostRule",
    "fetch_static",
    "find_chromium",
    "parse_host_map",
]


def __getattr__(name: str) -> Any:
    if name in ("BrowserSession", "CaptureOptions"):
        from skimscan.capture import page

        return getattr(page, name)
    if name == "fetch_static":
        from skimscan.capture.static import fetch_static

        return fetch_static
    if name == "find_chromium":
        from skimscan.capture.browser import find_chromium

        return find_chromium
    raise AttributeError(name)
