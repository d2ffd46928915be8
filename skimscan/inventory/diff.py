"""SIDE-CAR (inventory) — what changed between the approved baseline and a later scan.

`diff_snapshots(baseline, current, contents)` is a pure function of two snapshots (and the
stored normalised code of the scripts involved). It reports, in a total order:

- `new-script`, `removed-script`: a script identity (normalize.script_key) appeared or went;
- `changed-script`: same identity, different normalised-code hash — with a unified diff of the
  normalised code (an appended line shows as one `+` line). Same hash with other bytes
  (re-minified, re-formatted, comments) is not a change; nor is a new cache-busting URL;
- `moved-script`: a script whose exact normalised code now loads from another URL;
- `new-host`: a destination host the page did not talk to in the baseline;
- `new-header`, `changed-header`, `removed-header`: security headers (CSP compared directive by
  directive, per-response nonces ignored);
- `new-finding`: an active (not suppressed) finding at or above the threshold whose fingerprint
  the baseline did not have.

Invariants: no I/O; the same inputs always give the same list; every change has a fingerprint
(stable across scans) so an unchanged situation is alerted once, not on every scan. Normalised
forms written by another normaliser version (a baseline recorded before an upgrade) are made
comparable before they are compared or diffed, so an upgrade is not a change: an old form is
normalised again from the script's original text when the store keeps it (`originals`, see
`stale_forms`); when one does not, every form involved is brought to naming scheme 2 (all
declared names positional, top-level ones included), which any stored form can be re-normalised
to — a stored form is valid JavaScript and that renaming is insensitive to the names it carries.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from skimscan.inventory.normalize import (
    NORMALIZER_VERSION,
    code_diff,
    is_url_key,
    normalize_code,
    similarity,
)
from skimscan.inventory.store import Content, ScriptState, Snapshot
from skimscan.models import Severity
from skimscan.report.json_report import mask

#: inline-like scripts (no URL of their own) at least this alike are the same script, edited
SIMILAR_ENOUGH = 0.5
#: The naming scheme every stored form can be re-normalised to (normalize.SCHEMES)
COMMON_SCHEME = 2
_NONCE = re.compile(r"'nonce-[^']*'", re.IGNORECASE)


class ChangeKind(enum.Enum):
    NEW_SCRIPT = "new-script"
    CHANGED_SCRIPT = "changed-script"
    MOVED_SCRIPT = "moved-script"
    REMOVED_SCRIPT = "removed-script"
    NEW_HOST = "new-host"
    NEW_HEADER = "new-header"
    CHANGED_HEADER = "changed-header"
    REMOVED_HEADER = "removed-header"
    NEW_FINDING = "new-finding"

    @property
    def order(self) -> int:
        return list(ChangeKind).index(self)


@dataclass(frozen=True)
class Change:
    """One difference from the baseline. `subject` is a script key, host, header or rule."""

    kind: ChangeKind
    target: str
    subject: str
    before: str | None = None
    after: str | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        # what a change says reaches the store, the terminal and the webhook: never a card
        for name in ("subject", "before", "after", "detail"):
            value = getattr(self, name)
            if value:
                object.__setattr__(self, name, mask(value))

    @property
    def fingerprint(self) -> str:
        text = "\x1f".join((self.kind.value, self.target, self.subject, self.before or "",
                            self.after or ""))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def summary(self) -> str:
        """One line a person can act on."""
        k = self.kind
        if k is ChangeKind.NEW_SCRIPT:
            return f"new script {self.after or self.subject}"
        if k is ChangeKind.REMOVED_SCRIPT:
            return f"script removed: {self.before or self.subject}"
        if k is ChangeKind.CHANGED_SCRIPT:
            return f"script changed: {self.subject}"
        if k is ChangeKind.MOVED_SCRIPT:
            return f"script moved: {self.before} → {self.after}"
        if k is ChangeKind.NEW_HOST:
            return f"new destination host {self.subject} ({self.after})"
        if k is ChangeKind.NEW_HEADER:
            return f"new header {self.subject}: {self.after}"
        if k is ChangeKind.REMOVED_HEADER:
            return f"header removed: {self.subject} (was {self.before})"
        if k is ChangeKind.CHANGED_HEADER:
            return f"header changed: {self.subject}"
        return f"new finding {self.subject}: {self.after}"


def diff_snapshots(baseline: Snapshot, current: Snapshot, contents: Mapping[str, Content], *,
                   min_severity: Severity = Severity.LOW,
                   originals: Mapping[str, str] | None = None) -> list[Change]:
    """Changes from `baseline` to `current` (see the module docstring), in a total order.
    `originals`: the original text of scripts (by sha256) whose stored form an older
    normaliser wrote — what `stale_forms` names."""
    target = current.target
    contents = comparable(contents, (*baseline.scripts, *current.scripts), originals)
    changes = [*_script_changes(target, baseline, current, contents),
               *_host_changes(target, baseline, current),
               *_header_changes(target, baseline, current),
               *finding_changes(target, baseline, current, min_severity)]
    return sorted(changes, key=lambda c: (c.kind.order, c.subject, c.after or ""))


def _involved(contents: Mapping[str, Content], scripts: Iterable[ScriptState]) -> list[Content]:
    """The parsed contents of `scripts` (a text fallback is the same in every version)."""
    found = {s.sha256: contents[s.sha256] for s in scripts if s.sha256 in contents}
    return [c for _, c in sorted(found.items()) if c.parsed]


def stale_forms(contents: Mapping[str, Content], scripts: Iterable[ScriptState]) -> set[str]:
    """The sha256s whose original text `comparable` needs: those of forms an older normaliser
    wrote, when the scripts compared were not all normalised by one version."""
    involved = _involved(contents, scripts)
    if len({c.normalizer for c in involved}) < 2:
        return set()
    return {c.sha256 for c in involved if c.normalizer != NORMALIZER_VERSION}


def comparable(contents: Mapping[str, Content], scripts: Iterable[ScriptState],
               originals: Mapping[str, str] | None = None) -> Mapping[str, Content]:
    """`contents` with the forms of the scripts compared made comparable (module docstring):
    as they are when one normaliser version wrote them all; else old forms normalised again
    from their `originals`; else, when an original is missing, all of them in scheme 2."""
    involved = _involved(contents, scripts)
    if len({c.normalizer for c in involved}) < 2:
        return contents
    out = dict(contents)
    for c in involved:
        text = (originals or {}).get(c.sha256)
        if c.normalizer != NORMALIZER_VERSION and text is not None:
            norm = normalize_code(text)
            if norm.parsed:
                out[c.sha256] = replace(c, ast_hash=norm.ast_hash, normalized=norm.code,
                                        normalizer=NORMALIZER_VERSION)
    involved = [out[c.sha256] for c in involved]
    if len({c.normalizer for c in involved}) < 2:
        return out
    for c in involved:
        if c.normalizer != COMMON_SCHEME:
            norm = normalize_code(c.normalized, scheme=COMMON_SCHEME)
            if norm.parsed:
                out[c.sha256] = replace(c, ast_hash=norm.ast_hash, normalized=norm.code,
                                        normalizer=COMMON_SCHEME)
    return out


def _code(s: ScriptState, contents: Mapping[str, Content]) -> str:
    """The normalised-code hash to compare: the content's (re-normalised when needed)."""
    content = contents.get(s.sha256)
    return content.ast_hash if content is not None else s.ast_hash


def _script_changes(target: str, baseline: Snapshot, current: Snapshot,
                    contents: Mapping[str, Content]) -> list[Change]:
    before = {s.key: s for s in baseline.scripts}
    after = {s.key: s for s in current.scripts}
    out: list[Change] = []
    for key in sorted(before.keys() & after.keys()):
        b, a = before[key], after[key]
        if _code(b, contents) != _code(a, contents) and b.ast_hash and a.ast_hash:
            out.append(_changed(target, key, b, a, contents))
    removed = [before[k] for k in sorted(before.keys() - after.keys())]
    added = [after[k] for k in sorted(after.keys() - before.keys())]
    # The same code under another URL: one `moved-script`, not a removal and an addition.
    for a in list(added):
        b_match = next((b for b in removed
                        if a.ast_hash and _code(b, contents) == _code(a, contents)), None)
        if b_match is not None:
            removed.remove(b_match)
            added.remove(a)
            if not _same_place(a, b_match):  # else: one inline script keyed by two versions
                out.append(Change(ChangeKind.MOVED_SCRIPT, target, a.key,
                                  b_match.url or b_match.key, a.url or a.key,
                                  "the same normalised code, loaded from elsewhere"))
    # Scripts without a URL are identified by their code: an edited one is paired by likeness.
    for a in list(added):
        if is_url_key(a.key):
            continue
        best, best_ratio = None, SIMILAR_ENOUGH
        for b in removed:
            if is_url_key(b.key) or b.kind != a.kind or _where(b.key) != _where(a.key):
                continue
            ca, cb = contents.get(a.sha256), contents.get(b.sha256)
            ratio = similarity(cb.normalized, ca.normalized) if ca and cb else 0.0
            if ratio >= best_ratio:
                best, best_ratio = b, ratio
        if best is not None:
            removed.remove(best)
            added.remove(a)
            out.append(_changed(target, a.key, best, a, contents))
    out.extend(Change(ChangeKind.NEW_SCRIPT, target, a.key, None, a.url or a.key,
                      _describe(a)) for a in added)
    out.extend(Change(ChangeKind.REMOVED_SCRIPT, target, b.key, b.url or b.key, None,
                      _describe(b)) for b in removed)
    return out


def _where(key: str) -> str:
    return key.rsplit("#", 1)[0]


def _same_place(a: ScriptState, b: ScriptState) -> bool:
    """Two scripts without a URL, of one kind in one frame: keyed apart only by code hash."""
    return (not is_url_key(a.key) and not is_url_key(b.key) and a.kind == b.kind
            and _where(a.key) == _where(b.key))


def _describe(s: ScriptState) -> str:
    parts = [s.kind, f"host {s.host_class}"]
    if s.authorization:
        parts.append(s.authorization)
    if s.verdict != "clean":
        parts.append(f"verdict {s.verdict}")
    return ", ".join(parts)


def _changed(target: str, key: str, b: ScriptState, a: ScriptState,
             contents: Mapping[str, Content]) -> Change:
    cb, ca = contents.get(b.sha256), contents.get(a.sha256)
    if cb is not None and ca is not None:
        detail = code_diff(cb.normalized, ca.normalized,
                           labels=(f"baseline {b.sha256[:12]}", f"current {a.sha256[:12]}"))
    else:
        detail = "(normalised code not available for a diff)"
    return Change(ChangeKind.CHANGED_SCRIPT, target, key, b.ast_hash, a.ast_hash, detail)


def _host_changes(target: str, baseline: Snapshot, current: Snapshot) -> list[Change]:
    before = baseline.hosts
    out: list[Change] = []
    for host, host_class in sorted(current.hosts.items()):
        if host in before:
            continue
        types = sorted({d.resource_type for d in current.destinations if d.host == host})
        out.append(Change(ChangeKind.NEW_HOST, target, host, None, host_class,
                          "requests: " + ", ".join(types)))
    return out


def normalize_header(name: str, value: str) -> str:
    """A header value for comparison: whitespace collapsed; CSP directives and sources sorted,
    per-response nonces masked (they change on every load and mean nothing here)."""
    text = " ".join(value.split())
    if not name.startswith("content-security-policy"):
        return text
    directives: dict[str, list[str]] = {}
    for part in text.split(";"):
        words = _NONCE.sub("'nonce-*'", part).split()
        if words:
            directives.setdefault(words[0].lower(), []).extend(words[1:])
    return "; ".join(f"{k} {' '.join(sorted(set(v)))}".strip()
                     for k, v in sorted(directives.items()))


def _csp_detail(before: str, after: str) -> str:
    def parse(text: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for part in text.split("; "):
            words = part.split()
            if words:
                out[words[0]] = set(words[1:])
        return out

    b, a = parse(before), parse(after)
    lines: list[str] = []
    for name in sorted(b.keys() | a.keys()):
        if name not in a:
            lines.append(f"- directive {name} removed")
        elif name not in b:
            lines.append(f"+ directive {name} {' '.join(sorted(a[name]))}")
        else:
            added, gone = sorted(a[name] - b[name]), sorted(b[name] - a[name])
            if added:
                lines.append(f"+ {name}: {' '.join(added)}")
            if gone:
                lines.append(f"- {name}: {' '.join(gone)}")
    return "\n".join(lines)


def _header_changes(target: str, baseline: Snapshot, current: Snapshot) -> list[Change]:
    out: list[Change] = []
    b, a = baseline.headers, current.headers
    for name in sorted(b.keys() | a.keys()):
        if name not in a:
            out.append(Change(ChangeKind.REMOVED_HEADER, target, name, b[name], None))
        elif name not in b:
            out.append(Change(ChangeKind.NEW_HEADER, target, name, None, a[name]))
        else:
            nb, na = normalize_header(name, b[name]), normalize_header(name, a[name])
            if nb != na:
                detail = _csp_detail(nb, na) if name.startswith("content-security-policy") \
                    else f"- {b[name]}\n+ {a[name]}"
                out.append(Change(ChangeKind.CHANGED_HEADER, target, name, nb, na, detail))
    return out


def finding_changes(target: str, baseline: Snapshot | None, current: Snapshot,
                    min_severity: Severity) -> list[Change]:
    """Active findings at or above `min_severity` that the baseline (if any) did not have."""
    known = {f.fingerprint for f in baseline.findings} if baseline else set()
    out: list[Change] = []
    for f in current.findings:
        if f.suppressed is not None or f.fingerprint in known:
            continue
        try:
            severity = Severity.parse(f.severity)
        except ValueError:
            severity = Severity.INFO
        if severity < min_severity:
            continue
        where = f" in {f.script_key}" if f.script_key else ""
        out.append(Change(ChangeKind.NEW_FINDING, target, f.rule, None, f.message,
                          f"{f.severity}/{f.confidence}{where} [{f.fingerprint}]"))
    return out
