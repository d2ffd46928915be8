"""STAGE 1 (capture): multi-step checkouts — the steps file given with `--steps FILE`.

A steps file is YAML: a list of steps (or a mapping with `steps:`), run in order after the page
loaded, before (or around) the simulated shopper:

    steps:
      - goto: /cart                      # a URL, relative to the scanned page
      - click: "button#to-checkout"      # a CSS selector (Playwright selector syntax)
      - fill: {selector: "#email", value: "{email}"}
      - wait-for: "#payment-form"        # until visible; or {selector: …, timeout: 20}
      - wait: 1.5                        # seconds
      - click: {selector: "#next", frame: "iframe#checkout"}   # inside an iframe
      - shop: true                       # type the canary card and press pay here
                                         # (default: after the last step)

`fill` values may name parts of the canary: `{pan}`, `{expiry}`, `{exp_month}`, `{exp_year}`,
`{cvv}`, `{name}`, `{email}`, `{phone}`, `{address}`, `{city}`, `{postcode}`, `{country}`; a
value naming `{pan}` or `{cvv}` arms the quarantine first, exactly as the shopper does.

Invariants: loading is pure and strict — an unknown action, a missing selector, a wrong type or
an unknown placeholder is a `ConfigError` naming `file:line`; nothing here touches a browser
(page.py runs the steps, each bounded by its timeout).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skimscan.analyze.yamlfile import line_of, load_yaml
from skimscan.errors import ConfigError
from skimscan.models import Canary

ACTIONS = ("goto", "click", "fill", "wait-for", "wait", "shop")
PLACEHOLDERS = ("pan", "expiry", "exp_month", "exp_year", "cvv", "name", "email", "phone",
                "address", "city", "postcode", "country")
CARD_PLACEHOLDERS = frozenset({"pan", "cvv", "expiry", "exp_month", "exp_year"})
DEFAULT_TIMEOUT = 10.0
MAX_WAIT = 60.0
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_KEYS = {
    "goto": {"url", "timeout"},
    "click": {"selector", "frame", "timeout"},
    "fill": {"selector", "value", "frame", "timeout"},
    "wait-for": {"selector", "frame", "timeout"},
    "wait": {"seconds"},
    "shop": {"enabled"},
}
_SHORT = {"goto": "url", "click": "selector", "wait-for": "selector", "wait": "seconds",
          "shop": "enabled"}


@dataclass(frozen=True, slots=True)
class Step:
    """One checkout step; `where` is `file:line` for messages."""

    action: str
    target: str = ""  # URL (goto) or selector (click, fill, wait-for)
    value: str = ""  # fill: the text, with canary placeholders
    frame: str = ""  # a selector of the iframe the target is in
    timeout: float = DEFAULT_TIMEOUT
    seconds: float = 0.0  # wait
    enabled: bool = True  # shop: false means the steps type everything themselves
    where: str = ""

    @property
    def types_card(self) -> bool:
        """A fill that types card data: the quarantine must be armed before it."""
        return self.action == "fill" and bool(
            set(_PLACEHOLDER.findall(self.value)) & CARD_PLACEHOLDERS
        )

    def text(self, canary: Canary) -> str:
        """The value with the canary's parts put in."""
        parts = {
            "pan": canary.pan, "expiry": canary.expiry, "exp_month": canary.exp_month,
            "exp_year": canary.exp_year, "cvv": canary.cvv, "name": canary.name,
            "email": canary.email, "phone": canary.phone, "address": canary.address,
            "city": canary.city, "postcode": canary.postcode, "country": canary.country,
        }
        return _PLACEHOLDER.sub(lambda m: parts.get(m[1], m[0]), self.value)

    def describe(self) -> str:
        what = {"goto": f"go to {self.target}", "click": f"click {self.target}",
                "fill": f"fill {self.target}", "wait-for": f"wait for {self.target}",
                "wait": f"wait {self.seconds:g}s", "shop": "shop"}[self.action]
        where = f" in frame {self.frame}" if self.frame else ""
        return f"step {self.where}: {what}{where}"


def load_steps(path: str | Path) -> tuple[Step, ...]:
    """Read and validate a steps file; errors name `file:line`."""
    path = Path(path)
    raw = load_yaml(path, ConfigError)
    if isinstance(raw, dict):
        extra = sorted(set(raw) - {"steps", "__line__"})
        if extra:
            raise ConfigError(f"{path}:{line_of(raw)}: unknown key(s) {', '.join(extra)}; "
                              "a steps file has a 'steps' list")
        raw = raw.get("steps")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{path}:1: 'steps' must be a list of steps")
    return parse_steps(raw, str(path))


def parse_steps(raw: Sequence[Any], source: str) -> tuple[Step, ...]:
    """Validate steps already parsed from YAML (a steps file, or the policy's `steps`)."""
    steps = tuple(_step(item, source, number) for number, item in enumerate(raw, 1))
    shops = [s for s in steps if s.action == "shop"]
    if len(shops) > 1:
        raise ConfigError(f"{shops[1].where}: only one 'shop' step is allowed")
    return steps


def _fail(where: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: {message}")


def _step(item: Any, source: str, number: int) -> Step:
    line = line_of(item, 0)
    where = f"{source}:{line}" if line else f"{source}: step {number}"
    if not isinstance(item, dict):
        raise _fail(where, f"a step is a mapping with one action ({', '.join(ACTIONS)})")
    actions = [k for k in item if k != "__line__"]
    if len(actions) != 1:
        raise _fail(where, f"a step has exactly one action, one of {', '.join(ACTIONS)} "
                           f"(got {', '.join(actions) or 'none'})")
    action = actions[0]
    if action not in ACTIONS:
        raise _fail(where, f"unknown step {action!r} (expected one of {', '.join(ACTIONS)})")
    body = item[action]
    if not isinstance(body, dict):
        body = {_SHORT.get(action, "selector"): body}
    unknown = sorted(set(body) - _KEYS[action] - {"__line__"})
    if unknown:
        raise _fail(where, f"{action}: unknown key(s) {', '.join(unknown)} "
                           f"(allowed: {', '.join(sorted(_KEYS[action]))})")
    timeout = _number(body.get("timeout", DEFAULT_TIMEOUT), where, "timeout", 0.1, MAX_WAIT)
    frame = _string(body.get("frame", ""), where, "frame", required=False)
    if action == "goto":
        return Step("goto", target=_string(body.get("url"), where, "url"), timeout=timeout,
                    where=where)
    if action in ("click", "wait-for"):
        return Step(action, target=_string(body.get("selector"), where, "selector"),
                    frame=frame, timeout=timeout, where=where)
    if action == "fill":
        value = body.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        text = _string(value, where, "value", required=False)
        for name in _PLACEHOLDER.findall(text):
            if name not in PLACEHOLDERS:
                raise _fail(where, f"fill: unknown placeholder {{{name}}} (known: "
                                   f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)})")
        return Step("fill", target=_string(body.get("selector"), where, "selector"),
                    value=text, frame=frame, timeout=timeout, where=where)
    if action == "wait":
        seconds = _number(body.get("seconds"), where, "seconds", 0.0, MAX_WAIT)
        return Step("wait", seconds=seconds, where=where)
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _fail(where, "shop: expected true or false")
    return Step("shop", enabled=enabled, where=where)


def _string(value: Any, where: str, key: str, *, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise _fail(where, f"{key!r} is required")
        return ""
    if not isinstance(value, str):
        raise _fail(where, f"{key!r} must be a string (got {type(value).__name__})")
    return value


def _number(value: Any, where: str, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f"{key!r} must be a number of seconds")
    if not low <= float(value) <= high:
        raise _fail(where, f"{key!r} must be between {low:g} and {high:g} seconds")
    return float(value)


def shop_enabled(steps: Sequence[Step]) -> bool:
    """False when the steps say `shop: false` (the steps type everything themselves)."""
    return not any(s.action == "shop" and not s.enabled for s in steps)


def steps_budget(steps: Sequence[Step]) -> float:
    """Seconds the steps may take at most (added to the capture's deadline)."""
    return sum(s.seconds if s.action == "wait" else s.timeout for s in steps
               if s.action != "shop")
