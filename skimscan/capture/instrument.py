"""STAGE 1 (capture): the in-page instrumentation — building `instrument.js` for one page, and
reading what it reports.

The script (package data `instrument.js`) is added as an init script of the browser context, so
it runs first in every frame's main world. It reports by calling the native `console.debug` it
captured, with a message that starts with a per-page nonce; the DevTools sessions of the
recorder receive it as `Runtime.consoleAPICalled` *with the JavaScript stack*, whose script ids
name the script that read the field or called the sink. The script's own frames carry a
`sourceURL` unique to the page, so the recorder neither reports it as page code nor blames it.

Invariants: the nonce and the sourceURL are random per page; the configuration holds the
canary's card number (to recognise filled fields) and the trusted domains, and — only when a
file is detonated on the synthetic checkout, where nothing can leave the machine — the canary's
values for missing fields it creates (`synthesise`); a message that does not parse is ignored,
never an error.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from skimscan.models import Canary

PLACEHOLDER = "/*SKIMSCAN_CONFIG*/"
MAX_EVENTS = 4000  # per frame
MAX_PER_KEY = 200  # per (kind, field/sink/event) per frame
MAX_DATA = 16_000  # characters of a payload kept
#: An ordinary laptop GPU instead of SwiftShader (what headless Chromium reports without one),
#: as Chrome on Windows reports it.
WEBGL = ("Google Inc. (Intel)",
         "ANGLE (Intel, Intel(R) UHD Graphics 620 (0x00003EA0) Direct3D11 vs_5_0 ps_5_0, D3D11)")
#: The shopper's operating system (`navigator.platform`, `navigator.userAgentData.platform`), as
#: the user agent says (`page.desktop_user_agent`): most shoppers are on Windows, and kits skip
#: Linux, where scanners run.
PLATFORM = ("Win32", "Windows")
#: Browser chrome around the viewport (width, height) and the taskbar under the screen.
CHROME = (0, 87, 48)


@dataclass(frozen=True)
class Instrumentation:
    """The script for one page, and how to recognise its messages and its frames."""

    nonce: str
    source_url: str
    script: str

    def parse(self, text: str) -> dict[str, Any] | None:
        """A reported event ({"k": kind, "d": {...}, "x": data?}), or None."""
        if not text.startswith(self.nonce):
            return None
        try:
            event = json.loads(text[len(self.nonce):])
        except ValueError:
            return None
        if not isinstance(event, dict) or not isinstance(event.get("k"), str):
            return None
        detail = event.get("d")
        event["d"] = {str(k): str(v) for k, v in detail.items()} if isinstance(detail,
                                                                                dict) else {}
        return event


def build(canary: Canary, *, live: bool, trusted_domains: Sequence[str],
          synthesise: Mapping[str, Any] | None = None, windows: bool = True) -> Instrumentation:
    """The init script for one page, with a fresh nonce and sourceURL. `synthesise` (from
    `shopper.synthesis_config`) makes missing card, billing and pay-button elements on demand.
    `windows`: the page's user agent says Windows (`PLATFORM`), so the platform does too (a
    user agent of the caller's own is left as the browser reports it)."""
    nonce = "sk" + secrets.token_hex(8)
    source_url = f"VM{secrets.randbelow(900_000) + 100_000}"
    config = {
        "nonce": nonce, "pan": canary.pan, "live": live,
        "trusted": sorted({d.lower().lstrip(".") for d in trusted_domains if d}),
        "maxEvents": MAX_EVENTS, "maxPerKey": MAX_PER_KEY, "maxData": MAX_DATA,
        "webgl": list(WEBGL), "chrome": list(CHROME),
        "platform": list(PLATFORM) if windows else None,
        "synth": dict(synthesise) if synthesise else None,
    }
    source = resources.files("skimscan.capture").joinpath("instrument.js").read_text("utf-8")
    if PLACEHOLDER not in source or "(function (C)" not in source:
        raise RuntimeError("instrument.js has lost its configuration placeholder")
    body = source[source.index("(function (C)"):]  # the documentation stays out of pages
    script = body.replace(PLACEHOLDER, json.dumps(config)) + f"\n//# sourceURL={source_url}\n"
    return Instrumentation(nonce, source_url, script)
