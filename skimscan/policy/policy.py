"""STAGE 4 (policy) — the merchant's policy file: what is approved on which pages, and why.

A policy is YAML (documented in docs/policy.md), validated on load with `file:line:` errors:

    version: 1
    sites:
      - name: Checkout
        pages: ["https://shop.example/checkout*"]     # URL globs; first matching site wins
        approved_hosts: ["cdn.shop-assets.example", "*.reviews.example"]
        processors: ["pay.local-psp.example"]
        known_bad: []
        scripts:                                      # PCI DSS 6.4.3 inventory
          - url: "https://js.stripe.com/v3/"          # exact URL or glob
            owner: Payments team
            justification: Stripe Elements renders the card fields
            integrity: "sha384-…"                     # optional pinned hash (SRI form)
        card_fields: ["#cc-number"]
        steps: []                                     # checkout steps (shopper simulation)
        overrides:
          - {rule: card-data-to-unresolved-destination, severity: low, reason: "…"}
        suppressions:
          - {rule: keystrokes-to-untrusted-host, script: "https://cdn.replay.example/*",
             reason: "Session replay with masking verified 2026-10-01"}
    watch:                                            # optional: `skimscan watch` (11.6.1)
      pages: ["https://shop.example/checkout"]
      schedule: "0 3 * * *"                           # cron (local time), or:
      # interval: 86400                               # seconds between rounds
      webhook: "https://hooks.example/skimscan"       # secret: SKIMSCAN_WEBHOOK_SECRET

Invariants: suppressions and overrides always carry a written reason; suppressed findings are
kept (marked), never dropped; approved hosts never include a whole public suffix (the host
classifier refuses those); a suppression or override names a rule that exists (`*` for any) —
checked by `Policy.check_rule_ids` once the rules are loaded, because a typo would otherwise
suppress nothing and say nothing.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from skimscan.analyze.catalogue import PIPELINE_RULES
from skimscan.analyze.yamlfile import line_of, load_yaml
from skimscan.errors import ConfigError
from skimscan.models import Confidence, Finding, ScriptReport, Severity
from skimscan.policy.hosts import POLICY_HOST_SETTINGS, check_host_patterns

_SITE_KEYS = frozenset({"name", "pages", "approved_hosts", "processors", "known_bad", "scripts",
                        "card_fields", "steps", "overrides", "suppressions", "__line__"})
_SCRIPT_KEYS = frozenset({"url", "owner", "justification", "integrity", "__line__"})
_WATCH_KEYS = frozenset({"pages", "schedule", "interval", "webhook", "__line__"})

#: Rule ids the pipeline emits without a rule file (`unparsed-script` from analysis,
#: `injected-card-form` from card forms, the `runtime-*` and `canary-*` findings of page scans),
#: from their catalogue (`skimscan.analyze.catalogue`): a policy may name them as it names the
#: YAML rules.
PIPELINE_RULE_IDS = frozenset(PIPELINE_RULES)


@dataclass(frozen=True)
class ApprovedScript:
    url: str  # exact URL or glob; "inline:<sha256>" for an inline script
    owner: str
    justification: str
    integrity: str | None = None
    line: int = 0

    def matches(self, url: str | None, sha256: str) -> bool:
        if url is None:
            return self.url == f"inline:{sha256}"
        return self.url == url or fnmatch.fnmatchcase(url, self.url)

    def integrity_ok(self, code_sha256_b64: dict[str, str]) -> bool | None:
        """None when no hash is pinned; else whether the script's bytes match it."""
        if not self.integrity:
            return None
        algo, _, digest = self.integrity.partition("-")
        return code_sha256_b64.get(algo) == digest


@dataclass(frozen=True)
class Override:
    rule: str
    reason: str
    severity: Severity | None = None
    confidence: Confidence | None = None
    line: int = 0


@dataclass(frozen=True)
class Suppression:
    rule: str
    reason: str
    script: str | None = None  # glob on the script URL
    line: int = 0

    def matches(self, finding: Finding, script_url: str | None) -> bool:
        if finding.rule != self.rule and self.rule != "*":
            return False
        if self.script is None:
            return True
        return script_url is not None and fnmatch.fnmatchcase(script_url, self.script)


@dataclass(frozen=True)
class SitePolicy:
    name: str = "default"
    pages: tuple[str, ...] = ()
    approved_hosts: tuple[str, ...] = ()
    processors: tuple[str, ...] = ()
    known_bad: tuple[str, ...] = ()
    scripts: tuple[ApprovedScript, ...] = ()
    card_fields: tuple[str, ...] = ()
    steps: tuple[dict[str, Any], ...] = ()
    overrides: tuple[Override, ...] = ()
    suppressions: tuple[Suppression, ...] = ()

    def matches(self, url: str) -> bool:
        return any(fnmatch.fnmatchcase(url, p) for p in self.pages)

    def approved_script(self, url: str | None, sha256: str) -> ApprovedScript | None:
        return next((s for s in self.scripts if s.matches(url, sha256)), None)

    def apply(self, findings: Iterable[Finding],
              scripts: Sequence[ScriptReport]) -> list[Finding]:
        """Severity overrides, then suppressions (kept and marked, with their reason)."""
        urls = {s.id: s.url for s in scripts}
        out: list[Finding] = []
        for f in findings:
            for o in self.overrides:
                if o.rule == f.rule:
                    f = replace(f, severity=o.severity or f.severity,
                                confidence=o.confidence or f.confidence)
            url = urls.get(f.script or "")
            for s in self.suppressions:
                if f.suppressed is None and s.matches(f, url):
                    f = replace(f, suppressed=s.reason)
            out.append(f)
        return out


@dataclass(frozen=True)
class WatchSettings:
    """The `watch:` section: pages to monitor, when, and where alerts go."""

    pages: tuple[str, ...] = ()
    schedule: str | None = None  # cron expression
    interval: float | None = None  # seconds between rounds
    webhook: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Policy:
    sites: tuple[SitePolicy, ...] = ()
    path: str | None = None
    default: SitePolicy = field(default_factory=SitePolicy)
    watch: WatchSettings | None = None

    def for_url(self, url: str) -> SitePolicy:
        return next((s for s in self.sites if s.matches(url)), self.default)

    def check_rule_ids(self, known: Collection[str]) -> None:
        """ConfigError (`file:line:`) for the first suppression or override naming a rule that
        is not in `known` (see `known_rule_ids`)."""
        for site in (self.default, *self.sites):
            entries = [("suppression", s.rule, s.line) for s in site.suppressions]
            entries += [("override", o.rule, o.line) for o in site.overrides]
            for kind, rule, line in entries:
                if rule != "*" and rule not in known:
                    where = f"{self.path}:{line}: " if self.path else ""
                    raise ConfigError(f"{where}{kind} names rule {rule!r}, which does not exist "
                                      "(skimscan rules list names the rules)")


def known_rule_ids(rule_ids: Iterable[str]) -> frozenset[str]:
    """The ids a policy may name: the loaded rules' and those the pipeline emits."""
    return frozenset(rule_ids) | PIPELINE_RULE_IDS


def sri_hashes(data: bytes) -> dict[str, str]:
    """Base64 digests in the three SRI algorithms, for integrity checks and proposals."""
    return {name: base64.b64encode(hashlib.new(name, data).digest()).decode()
            for name in ("sha256", "sha384", "sha512")}


def load_policy(path: str | Path) -> Policy:
    path = Path(path)
    raw = load_yaml(path, ConfigError)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: a policy file is a mapping with 'version' and 'sites'")
    line = line_of(raw)
    unknown = sorted(set(raw) - {"version", "sites", "defaults", "watch", "__line__"})
    if unknown:
        raise ConfigError(f"{path}:{line}: unknown key(s) {', '.join(unknown)}; "
                          "allowed: version, sites, defaults, watch")
    if raw.get("version") != 1:
        raise ConfigError(f"{path}:{line}: 'version: 1' is required (got {raw.get('version')!r})")
    default = _site(path, raw["defaults"], default=True) if raw.get("defaults") else SitePolicy()
    sites_raw = raw.get("sites") or []
    if not isinstance(sites_raw, list):
        raise ConfigError(f"{path}:{line}: 'sites' must be a list")
    sites = tuple(_merge(default, _site(path, s)) for s in sites_raw)
    watch = _watch(path, raw["watch"]) if raw.get("watch") is not None else None
    return Policy(sites, str(path), default, watch)


def _watch(path: Path, raw: Any) -> WatchSettings:
    line = line_of(raw)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:{line}: 'watch' is a mapping (pages, schedule or interval, "
                          "webhook)")
    unknown = sorted(set(raw) - _WATCH_KEYS)
    if unknown:
        raise ConfigError(f"{path}:{line}: unknown key(s) {', '.join(unknown)} in 'watch'; "
                          f"allowed: {', '.join(sorted(_WATCH_KEYS - {'__line__'}))}")
    pages = _strings(path, raw, "pages")
    bad = [p for p in pages if not p.startswith(("http://", "https://"))]
    if bad:
        raise ConfigError(f"{path}:{line}: watch pages must be http(s) URLs (got {bad[0]!r})")
    schedule, interval, webhook = raw.get("schedule"), raw.get("interval"), raw.get("webhook")
    if schedule is not None and interval is not None:
        raise ConfigError(f"{path}:{line}: 'watch' takes 'schedule' (cron) or 'interval' "
                          "(seconds), not both")
    if schedule is not None and (not isinstance(schedule, str) or not schedule.strip()):
        raise ConfigError(f"{path}:{line}: watch 'schedule' must be a cron expression string")
    if interval is not None and (isinstance(interval, bool)
                                 or not isinstance(interval, int | float) or interval <= 0):
        raise ConfigError(f"{path}:{line}: watch 'interval' must be a positive number of seconds")
    if webhook is not None and (not isinstance(webhook, str)
                                or not webhook.startswith(("http://", "https://"))):
        raise ConfigError(f"{path}:{line}: watch 'webhook' must be an http(s) URL")
    return WatchSettings(pages, schedule.strip() if isinstance(schedule, str) else None,
                         float(interval) if interval is not None else None, webhook, line)


def _merge(default: SitePolicy, site: SitePolicy) -> SitePolicy:
    return replace(
        site,
        approved_hosts=(*default.approved_hosts, *site.approved_hosts),
        processors=(*default.processors, *site.processors),
        known_bad=(*default.known_bad, *site.known_bad),
        scripts=(*site.scripts, *default.scripts),
        overrides=(*site.overrides, *default.overrides),
        suppressions=(*site.suppressions, *default.suppressions),
    )


def _strings(path: Path, raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}:{line_of(raw)}: '{key}' must be a list of strings")
    return tuple(value)


def _site(path: Path, raw: Any, default: bool = False) -> SitePolicy:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:{line_of(raw)}: each site is a mapping (name, pages, …)")
    line = line_of(raw)
    unknown = sorted(set(raw) - _SITE_KEYS)
    if unknown:
        raise ConfigError(f"{path}:{line}: unknown key(s) {', '.join(unknown)}; allowed: "
                          f"{', '.join(sorted(_SITE_KEYS - {'__line__'}))}")
    pages = _strings(path, raw, "pages")
    if not default and not pages:
        raise ConfigError(f"{path}:{line}: a site needs 'pages' (URL globs it applies to)")
    scripts = tuple(_script(path, s) for s in raw.get("scripts") or [])
    overrides = tuple(_override(path, o) for o in raw.get("overrides") or [])
    suppressions = tuple(_suppression(path, s) for s in raw.get("suppressions") or [])
    steps = raw.get("steps") or []
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise ConfigError(f"{path}:{line}: 'steps' must be a list of mappings")
    for key in POLICY_HOST_SETTINGS:
        try:
            check_host_patterns(key, _strings(path, raw, key))
        except ConfigError as exc:
            raise ConfigError(f"{path}:{line}: {exc}") from None
    return SitePolicy(
        name=str(raw.get("name") or (pages[0] if pages else "default")), pages=pages,
        approved_hosts=_strings(path, raw, "approved_hosts"),
        processors=_strings(path, raw, "processors"),
        known_bad=_strings(path, raw, "known_bad"), scripts=scripts,
        card_fields=_strings(path, raw, "card_fields"),
        steps=tuple({k: v for k, v in s.items() if k != "__line__"} for s in steps),
        overrides=overrides, suppressions=suppressions,
    )


def _script(path: Path, raw: Any) -> ApprovedScript:
    line = line_of(raw)
    if not isinstance(raw, dict) or not raw.get("url"):
        raise ConfigError(f"{path}:{line}: each approved script needs a 'url'")
    unknown = sorted(set(raw) - _SCRIPT_KEYS)
    if unknown:
        raise ConfigError(f"{path}:{line}: unknown key(s) {', '.join(unknown)} in a script")
    for key in ("owner", "justification"):
        if not str(raw.get(key) or "").strip():
            raise ConfigError(f"{path}:{line}: script {raw['url']!r} needs a written {key!r} "
                              "(PCI DSS 6.4.3)")
    integrity = raw.get("integrity")
    if integrity is not None and not str(integrity).startswith(("sha256-", "sha384-",
                                                                 "sha512-")):
        raise ConfigError(f"{path}:{line}: integrity must be in SRI form "
                          "(sha256-/sha384-/sha512- followed by base64)")
    return ApprovedScript(str(raw["url"]), str(raw["owner"]), str(raw["justification"]),
                          str(integrity) if integrity else None, line)


def _override(path: Path, raw: Any) -> Override:
    line = line_of(raw)
    if not isinstance(raw, dict) or not raw.get("rule"):
        raise ConfigError(f"{path}:{line}: each override needs a 'rule'")
    if not str(raw.get("reason") or "").strip():
        raise ConfigError(f"{path}:{line}: override of {raw['rule']!r} needs a written 'reason'")
    try:
        severity = Severity.parse(str(raw["severity"])) if raw.get("severity") else None
        confidence = Confidence.parse(str(raw["confidence"])) if raw.get("confidence") else None
    except ValueError as exc:
        raise ConfigError(f"{path}:{line}: {exc}") from None
    if severity is None and confidence is None:
        raise ConfigError(f"{path}:{line}: an override sets 'severity' and/or 'confidence'")
    return Override(str(raw["rule"]), str(raw["reason"]), severity, confidence, line)


def _suppression(path: Path, raw: Any) -> Suppression:
    line = line_of(raw)
    if not isinstance(raw, dict) or not raw.get("rule"):
        raise ConfigError(f"{path}:{line}: each suppression needs a 'rule' ('*' for any)")
    if not str(raw.get("reason") or "").strip():
        raise ConfigError(f"{path}:{line}: suppression of {raw['rule']!r} needs a written "
                          "'reason'")
    script = raw.get("script")
    return Suppression(str(raw["rule"]), str(raw["reason"]),
                       str(script) if script else None, line)
