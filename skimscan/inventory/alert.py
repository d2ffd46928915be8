"""SIDE-CAR (inventory) — alerts: a webhook POST when a watched page changed or has a finding.

The body is JSON with a Slack-compatible `text` (so a Slack or Mattermost incoming-webhook URL
works as is) and the structured changes under `pages` (schema `skimscan/alert/v1`). With a
secret (`SKIMSCAN_WEBHOOK_SECRET`), `X-Skimscan-Signature: sha256=<hex HMAC-SHA256 of the exact
body bytes>` lets the receiver check that the alert is genuine; the body carries its own
`sent_at`, so a replayed alert is recognisable.

Invariants: delivery is bounded (a fixed number of attempts with capped exponential backoff, a
timeout per attempt) and never raises for a network problem — the outcome is a `Delivery` the
caller records; 4xx answers other than 408/425/429 are not retried (the request is wrong, not
the moment); the secret is never logged or put in the body. What was not delivered stays in the
store's outbox and is sent again with the next round (`watch.py`): a page's alert may arrive
more than once (its `scan_id` and `detected_at` say which detection it is), never not at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from skimscan import __version__
from skimscan.errors import ConfigError
from skimscan.inventory.diff import Change, ChangeKind
from skimscan.inventory.store import now_utc

SIGNATURE_HEADER = "X-Skimscan-Signature"
SCHEMA = "skimscan/alert/v1"
_RETRY_STATUSES = frozenset({408, 425, 429})
_TEXT_LINES = 40
_DIFF_LINES = 12


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: str | None = None
    attempts: int = 4  # in all, the first included
    backoff: float = 1.0  # seconds before the 2nd attempt; doubles each time
    max_backoff: float = 30.0
    timeout: float = 10.0  # per attempt

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"webhook {self.url!r} is not an http(s) URL")
        if self.attempts < 1:
            raise ConfigError("webhook attempts must be at least 1")


@dataclass(frozen=True)
class PageAlert:
    """What one page contributes to an alert."""

    target: str
    scan_id: int
    status: str  # complete / incomplete
    changes: tuple[Change, ...] = ()
    error: str | None = None
    detected_at: str | None = None  # when the scan started (UTC): an alert sent late says so


@dataclass(frozen=True)
class Delivery:
    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the body bytes with the shared secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """For receivers (and tests): constant-time check of `X-Skimscan-Signature`."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


def build_payload(pages: Sequence[PageAlert], *, sent_at: str | None = None) -> dict[str, Any]:
    """The alert body: Slack-compatible `text` plus the structured changes."""
    changes = sum(len(p.changes) for p in pages)
    return {
        "text": alert_text(pages),
        "schema": SCHEMA,
        "tool": {"name": "skimscan", "version": __version__},
        "sent_at": sent_at or now_utc(),
        "summary": {"pages": len(pages), "changes": changes,
                    "incomplete": sum(1 for p in pages if p.status != "complete")},
        "pages": [{
            "target": p.target, "scan_id": p.scan_id, "status": p.status, "error": p.error,
            "detected_at": p.detected_at,
            "changes": [{"kind": c.kind.value, "subject": c.subject, "before": c.before,
                         "after": c.after, "detail": c.detail, "fingerprint": c.fingerprint}
                        for c in p.changes],
        } for p in pages],
    }


def alert_text(pages: Sequence[PageAlert]) -> str:
    """Slack mrkdwn: a headline, one bullet per change, a short diff for changed scripts."""
    changes = sum(len(p.changes) for p in pages)
    broken = {p.target for p in pages if p.status != "complete"}
    head = f"*skimscan*: {changes} change(s) on {len({p.target for p in pages if p.changes})} " \
           "page(s)"
    if broken:
        head += f", {len(broken)} page(s) could not be scanned"
    lines = [head]
    for p in pages:
        if p.status != "complete":
            lines.append(f"• {p.target}: scan incomplete — {p.error or 'unknown reason'}")
        for c in p.changes:
            lines.append(f"• {p.target}: {c.summary()}")
            if c.kind is ChangeKind.CHANGED_SCRIPT and c.detail:
                diff = c.detail.splitlines()[2:2 + _DIFF_LINES]
                lines.append("```" + "\n".join(diff) + "```")
    if len(lines) > _TEXT_LINES:
        lines = [*lines[:_TEXT_LINES], f"… and {len(lines) - _TEXT_LINES} more line(s)"]
    return "\n".join(lines)


async def deliver(config: WebhookConfig, payload: Mapping[str, Any], *,
                  sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Delivery:
    """POST `payload` as JSON, retrying transient failures with exponential backoff."""
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": f"skimscan/{__version__}"}
    if config.secret:
        headers[SIGNATURE_HEADER] = signature(config.secret, body)
    timeout = aiohttp.ClientTimeout(total=config.timeout)
    status: int | None = None
    error: str | None = None
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for attempt in range(1, config.attempts + 1):
            retry_after: float | None = None
            try:
                async with session.post(config.url, data=body, headers=headers) as resp:
                    status = resp.status
                    await resp.read()
                    if 200 <= resp.status < 300:
                        return Delivery(True, attempt, status)
                    error = f"HTTP {resp.status}"
                    if resp.status < 500 and resp.status not in _RETRY_STATUSES:
                        return Delivery(False, attempt, status, error)
                    retry_after = _retry_after(resp.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                status, error = None, f"{type(exc).__name__}: {exc}".strip().rstrip(":")
            if attempt < config.attempts:
                delay = min(config.max_backoff, config.backoff * 2 ** (attempt - 1))
                if retry_after is not None:
                    delay = min(config.max_backoff, max(delay, retry_after))
                await sleep(delay)
    return Delivery(False, config.attempts, status, error)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
