"""SRI and CSP proposals, and the evidence exports (inventory CSV/JSON/Markdown, history,
starter policy); the exports read from a store on SQLite and on PostgreSQL (`store_url`)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from skimscan.errors import ConfigError
from skimscan.inventory.commands import parse_when
from skimscan.inventory.export import (
    inventory_records,
    render_history,
    render_inventory,
    render_proposals,
    render_starter_policy,
)
from skimscan.inventory.proposals import origin_of, propose
from skimscan.inventory.store import (
    Content,
    Destination,
    ScriptState,
    Snapshot,
    Store,
)
from skimscan.policy.policy import load_policy, sri_hashes

pytest_plugins = ("tests.fleet.stores",)

PAGE = "https://shop.test/checkout"


def content(code: str) -> Content:
    import hashlib

    data = code.encode()
    return Content(hashlib.sha256(data).hexdigest(), "ast-" + code[:8], True, len(data), code,
                   sri_hashes(data))


APP, LIB, STRIPE, INLINE, EVIL, EVAL = (content(c) for c in (
    "app();", "lib();", "stripe();", "window.cfg = 1;", "steal();", "x = 1"))


def state(c: Content, url: str | None, kind: str = "external", host_class: str = "first-party",
          authorization: str | None = None, key: str | None = None) -> ScriptState:
    return ScriptState(key or url or f"{kind}@{PAGE}#{c.sha256[:12]}", url, kind, c.sha256,
                       c.ast_hash, PAGE, host_class, "clean", authorization)


SNAP = Snapshot(PAGE, (
    state(APP, "https://shop.test/js/app.js?v=7", key="https://shop.test/js/app.js"),
    state(LIB, "https://cdn.vendor.test/lib.js", host_class="unknown"),
    state(STRIPE, "https://js.stripe.com/v3/", host_class="processor"),
    state(INLINE, PAGE, kind="inline"),
    state(EVIL, "https://evil.test/x.js", host_class="unknown", authorization="unapproved"),
    state(EVAL, None, kind="eval"),
), (
    Destination("https://shop.test", "shop.test", "first-party", "document", 1),
    Destination("https://shop.test", "shop.test", "first-party", "fetch", 2),
    Destination("https://api.stripe.com", "api.stripe.com", "processor", "xhr", 1),
    Destination("wss://chat.vendor.test", "chat.vendor.test", "unknown", "websocket", 1),
    Destination("https://js.stripe.com", "js.stripe.com", "processor", "document", 1),
    Destination("https://baways.test", "baways.test", "look-alike", "fetch", 1),
), {}, (), 5)
CONTENTS = {c.sha256: c for c in (APP, LIB, STRIPE, INLINE, EVIL, EVAL)}


def test_csp_allows_exactly_the_approved_behaviour() -> None:
    p = propose(SNAP, CONTENTS)
    assert p.csp.header == (
        f"script-src 'self' https://cdn.vendor.test https://js.stripe.com "
        f"'sha256-{INLINE.sri['sha256']}'; "
        "connect-src 'self' https://api.stripe.com wss://chat.vendor.test; "
        "frame-src https://js.stripe.com")
    assert p.csp.excluded == ("fetch to https://baways.test: host is look-alike",
                              "script https://evil.test/x.js: not approved in the policy")
    assert any("unsafe-eval" in n for n in p.csp.notes)


def test_sri_for_external_scripts_with_notes() -> None:
    p = propose(SNAP, CONTENTS)
    by_url = {s.url: s for s in p.sri}
    assert set(by_url) == {"https://shop.test/js/app.js?v=7", "https://cdn.vendor.test/lib.js",
                           "https://js.stripe.com/v3/"}
    lib = by_url["https://cdn.vendor.test/lib.js"]
    assert lib.integrity == f"sha384-{LIB.sri['sha384']}"
    assert lib.tag == (f'<script src="https://cdn.vendor.test/lib.js" '
                       f'integrity="{lib.integrity}" crossorigin="anonymous"></script>')
    assert "in place" in by_url["https://js.stripe.com/v3/"].note
    assert "per deploy" in by_url["https://shop.test/js/app.js?v=7"].note
    assert "crossorigin" not in by_url["https://shop.test/js/app.js?v=7"].tag
    text = render_proposals([p], "md")
    assert "Content-Security-Policy: script-src 'self'" in text
    assert json.loads(render_proposals([p], "json"))["pages"][0]["csp"]["directives"][
        "frame-src"] == ["https://js.stripe.com"]


def test_empty_page_gets_none() -> None:
    p = propose(Snapshot(PAGE), {})
    assert p.csp.header == "script-src 'none'; connect-src 'none'; frame-src 'none'"
    assert origin_of("https://a.test:443/x") == "https://a.test"
    assert origin_of("http://a.test:8080/x") == "http://a.test:8080"
    assert origin_of("data:text/plain,x") is None


POLICY = f"""version: 1
sites:
  - name: Checkout
    pages: ["{PAGE}*"]
    scripts:
      - url: "https://shop.test/js/app.js*"
        owner: Web team
        justification: Checkout totals
        integrity: "sha384-{APP.sri['sha384']}"
      - url: "https://cdn.vendor.test/lib.js"
        owner: Marketing
        justification: Reviews widget
        integrity: "sha384-AAAA"
"""


def test_inventory_export_with_policy(tmp_path: Path, store_url: str) -> None:
    db = store_url
    with Store.open(db) as store:
        scan = store.begin_scan(PAGE, "0.1.0", "r")
        store.finish_scan(scan, SNAP, status="complete", contents=CONTENTS.values())
        store.set_baseline(PAGE, scan, "me")
        rows = store.inventory()
    (tmp_path / "p.yaml").write_text(POLICY)
    records = inventory_records(rows, load_policy(tmp_path / "p.yaml"))
    by_url = {r.url or r.key: r for r in records}
    app = by_url["https://shop.test/js/app.js?v=7"]
    assert (app.authorization, app.owner, app.integrity, app.in_baseline) == (
        "approved", "Web team", "pinned-ok", "yes")
    assert by_url["https://cdn.vendor.test/lib.js"].integrity == "pinned-mismatch"
    assert by_url["https://js.stripe.com/v3/"].authorization == "unapproved"
    table = list(csv.DictReader(io.StringIO(render_inventory(records, "csv",
                                                             generated_at="T"))))
    assert len(table) == 6 and table[0].keys() >= {"authorization", "justification",
                                                   "first_seen", "last_seen", "sha256"}
    data = json.loads(render_inventory(records, "json", generated_at="T"))
    assert data["schema"] == "skimscan/inventory/v1" and len(data["scripts"]) == 6
    md = render_inventory(records, "md", generated_at="T")
    assert "| target | url |" in md and "4 not approved" in md
    # Without a policy: as recorded at scan time.
    plain = inventory_records(rows)
    assert {r.authorization for r in plain} == {"unknown", "unapproved"}


def test_history_render(store_url: str) -> None:
    with Store.open(store_url) as store:
        scan = store.begin_scan(PAGE, "0.1.0", "rules:abc")
        store.finish_scan(scan, SNAP, status="complete")
        bad = store.begin_scan(PAGE, "0.1.0", "rules:abc")
        store.fail_scan(bad, "timed out")
        scans = store.scans(since=parse_when("2000-01-01"), until=parse_when("2999-12-31",
                                                                            end=True))
        none = store.scans(until=parse_when("2000-01-01", end=True))
    assert [s.status for s in scans] == ["complete", "incomplete"] and none == []
    md = render_history(scans, [], "md", since=None, until=None, generated_at="T")
    assert "## Scans (2)" in md and "timed out" in md and "rules:abc" in md
    rows = list(csv.DictReader(io.StringIO(render_history(scans, [], "csv", since=None,
                                                          until=None, generated_at="T"))))
    assert [r["status"] for r in rows] == ["complete", "incomplete"]
    with pytest.raises(ConfigError):
        parse_when("last tuesday")
    assert parse_when("2026-03-02", end=True) == "2026-03-03T00:00:00.000Z"


def test_starter_policy_needs_a_person(tmp_path: Path) -> None:
    text = render_starter_policy(SNAP, CONTENTS, generated_at="T")
    path = tmp_path / "starter.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="needs a written 'owner'"):
        load_policy(path)
    data = yaml.safe_load(text)
    urls = [s["url"] for s in data["sites"][0]["scripts"]]
    assert urls[:4] == ["https://cdn.vendor.test/lib.js", "https://evil.test/x.js",
                        "https://js.stripe.com/v3/", "https://shop.test/js/app.js*"]
    assert f"inline:{INLINE.sha256}" in urls and f"inline:{EVAL.sha256}" in urls
    assert f"# integrity: \"sha384-{LIB.sri['sha384']}\"" in text
    for s in data["sites"][0]["scripts"]:
        s["owner"], s["justification"] = "Team", "Needed"
    path.write_text(yaml.safe_dump(data))
    policy = load_policy(path)
    assert policy.watch is not None and policy.watch.pages == (PAGE,)
    assert policy.for_url(PAGE).approved_script("https://shop.test/js/app.js?v=8", "x")
