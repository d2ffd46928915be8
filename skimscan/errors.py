"""Errors a user can act on. Third-party exceptions are wrapped at the boundary.

The CLI prints `str(error)` on one line and exits 2 for configuration, usage and rule errors.
Per-target failures (a page that hangs, a file that cannot be read) are not exceptions that
escape: they become a target with `verdict: error` so one bad target never aborts a run.
"""

from __future__ import annotations


class SkimscanError(Exception):
    """Base class: the message is one line a user can act on."""


class ConfigError(SkimscanError):
    """A bad flag, environment variable or policy file (exit code 2)."""


class RuleError(SkimscanError):
    """A rule file that cannot be loaded; the message starts with `file:line:`."""


class BrowserNotFoundError(SkimscanError):
    """No Chromium could be found or launched."""


class TargetError(SkimscanError):
    """One target could not be loaded or analysed; becomes `verdict: error` in the report."""
