"""Evidence exports as a reader gets them: the history says what became of each alert (not
that one was meant), Markdown shows scanned strings as the text they are, and a starter policy
shows an inline script as the browser ran it.

Real pieces: a store written through its API, on SQLite and on PostgreSQL (`store_url`,
tests/fleet/stores.py); for `policy init`, a static scan (`--no-browser`) of a page served by
this test's aiohttp server, reached through a host map.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from aiohttp import web

from skimscan.cli import main
from skimscan.errors import ConfigError
from skimscan.inventory.export import (
    HISTORY_SCHEMA,
    inventory_records,
    md_text,
    preview,
    render_history,
    render_inventory,
    render_proposals,
    render_starter_policy,
)
from skimscan.inventory.proposals import propose
from skimscan.inventory.store import Content, NewChange, ScriptState, Snapshot, Store
from skimscan.policy.policy import load_policy, sri_hashes

pytest_plugins = ("tests.fleet.stores",)

PAGE = "https://shop.test/checkout"

# --- history: the delivery state of each alert -----------------------------------------------


def _scan_with_change(store: Store, subject: str, *, alerted: bool) -> int:
    scan_id = store.begin_scan(PAGE, "0.1.0", "rules-1", alerting=alerted)
    store.finish_scan(scan_id, Snapshot(PAGE), status="complete",
                      changes=[NewChange("new-host", subject, None, "unknown", "", subject,
                                         alerted)], enqueue=alerted)
    return scan_id


def _history(db: str) -> tuple[list[Any], list[Any], list[Any]]:
    """Five changes: alerts delivered, failed, still pending, raised without a webhook, and a
    change that raised none."""
    with Store.open(db) as store:
        ids = {s: _scan_with_change(store, s, alerted=s != "quiet.test")
               for s in ("delivered.test", "failed.test", "pending.test", "nohook.test",
                         "quiet.test")}
        for subject, ok in (("delivered.test", True), ("failed.test", False)):
            store.record_alert(channel="webhook", destination="https://hooks.test/…", ok=ok,
                               attempts=4, http_status=200 if ok else 503,
                               error=None if ok else "HTTP 503", scan_ids=[ids[subject]],
                               changes=1, settles=True)
        store.settle_alerts([ids["nohook.test"]], state="no-webhook")
        return store.scans(), store.changes(), store.alerts()


EXPECTED = {"delivered.test": "delivered", "failed.test": "failed", "pending.test": "pending",
            "nohook.test": "no-webhook", "quiet.test": "no"}


def test_history_exports_say_what_became_of_each_alert(store_url: str) -> None:
    scans, changes, deliveries = _history(store_url)
    kw: dict[str, Any] = {"since": None, "until": None, "generated_at": "T",
                          "deliveries": deliveries}
    data = json.loads(render_history(scans, changes, "json", **kw))
    assert data["schema"] == HISTORY_SCHEMA == "skimscan/history/v2"
    assert {c["subject"]: c["alerted"] for c in data["changes"]} == EXPECTED
    assert not any(isinstance(c["alerted"], bool) for c in data["changes"])
    rows = list(csv.DictReader(io.StringIO(render_history(scans, changes, "csv", **kw))))
    assert {r["subject"]: r["alerted"] for r in rows if r["record"] == "change"} == EXPECTED
    md = render_history(scans, changes, "md", **kw)
    table = [ln for ln in md.splitlines() if ln.startswith("| ") and ".test |" in ln]
    header = next(ln for ln in md.splitlines() if ln.startswith("| id | scan_id |"))
    column = [c.strip() for c in header.strip("|").split("|")].index("alerted")
    got = {}
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        got[cells[5]] = cells[column]
    assert got == EXPECTED
    assert "True" not in md and "False" not in md


# --- Markdown: scanned strings are inert text ------------------------------------------------

HOSTILE = [
    "https://shop.test/a.js?[Pay here](https://evil.test/phish)",
    "https://shop.test/b.js?![x](https://evil.test/pixel.png)",
    'https://shop.test/c.js?<a href="https://evil.test">click</a>',
    "https://shop.test/d.js?<script>alert(1)</script>",
    "https://shop.test/e.js?x=`code`&y=```",
    "https://shop.test/f.js?a|b|c",
    "# https://shop.test/g.js heading",
    "https://shop.test/h.js?<https://evil.test/auto>",
    "https://shop.test/i.js?*bold*_em_~~gone~~$x$&lt;b&gt;\\",
    "https://shop.test/j.js?line\nbreak\r\nand\u2028more",
]


def _rendered_html(markdown: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return str(markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
               .render(markdown))


def _text_of(html: str) -> str:
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]*>", "", html))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_md_text_renders_as_the_characters_it_is(hostile: str) -> None:
    cell = md_text(hostile)
    assert "\n" not in cell and "\r" not in cell and "|" not in cell
    table = f"| url | kind |\n|---|---|\n| {cell} | external |\n"
    html = _rendered_html(table)
    assert not re.search(r"<(a|img|script|code|em|strong|del|h\d)\b", html), html
    assert html.count("<td>") == 2  # one row, two cells: nothing split the table
    shown = _text_of(html.split("<tbody>")[1])
    assert " ".join(hostile.splitlines()) in shown


def test_inventory_and_history_markdown_escape_scanned_strings(store_url: str) -> None:
    data = b"x();"
    sha = hashlib.sha256(data).hexdigest()
    scripts = tuple(ScriptState(url, url, "external", sha, "ast", PAGE) for url in HOSTILE)
    snap = Snapshot(PAGE, scripts)
    with Store.open(store_url) as store:
        scan_id = store.begin_scan(PAGE, "0.1.0", "r")
        store.finish_scan(
            scan_id, snap, status="complete",
            contents=[Content(sha, "ast", True, len(data), "x();", sri_hashes(data))],
            changes=[NewChange("new-script", url, None, url, "```\n</code>[x](https://e.test)",
                               f"f{i}", False) for i, url in enumerate(HOSTILE)])
        bad = store.begin_scan(PAGE, "0.1.0", "r")
        store.fail_scan(bad, "navigation failed: [retry](https://evil.test) | <b>x</b>")
        records = inventory_records(store.inventory())
        scans, changes = store.scans(), store.changes()
    inventory = render_inventory(records, "md", generated_at="T")
    history = render_history(scans, changes, "md", since=None, until=None, generated_at="T")
    for markdown in (inventory, history):
        html = _rendered_html(markdown)
        body = html.split("<h2>Change details</h2>")[0]  # the code blocks come after
        assert not re.search(r"<(a|img|script|em|strong|del)\b", body), body
        rows = [r for r in body.split("<tr>") if "<td>" in r]
        assert rows and all(r.count("<td>") == rows[0].count("<td>") for r in rows)
    # Each change detail stays inside its own code block, whatever backticks it holds.
    html = _rendered_html(history).split("<h2>Change details</h2>")[1]
    assert html.count("<pre>") == len(HOSTILE)
    assert "<a " not in html.replace("<pre><code", "").split("</code></pre>")[0]
    assert not re.search(r"<(a|img|script)\b", re.sub(r"<pre>.*?</pre>", "", html, flags=re.S))


def test_proposals_markdown_escapes_scanned_strings() -> None:
    sha = hashlib.sha256(b"x").hexdigest()
    url = "https://cdn.test/a.js?```<script>x</script>[y](https://evil.test)"
    snap = Snapshot(PAGE, (ScriptState(url, url, "external", sha, "a", PAGE, "unknown",
                                       "clean", "unapproved"),))
    markdown = render_proposals([propose(snap, {})], "md")
    html = _rendered_html(markdown)
    assert not re.search(r"<(a|img|script)\b", html), html


# --- starter policy: an inline script previewed as the browser ran it ------------------------


def _starter(originals: dict[str, str], code: str = "window.dataLayer = [];") -> str:
    data = code.encode("utf-8", "surrogatepass")
    sha = hashlib.sha256(data).hexdigest()
    snap = Snapshot(PAGE, (ScriptState(f"inline@{PAGE}#{sha[:12]}", PAGE, "inline", sha, "ast",
                                       PAGE),), scan_id=3)
    normalized = "(function (v1_0, v1_1) {"
    contents = {sha: Content(sha, "ast", True, len(data), normalized, sri_hashes(data))}
    return render_starter_policy(snap, contents, generated_at="T",
                                 originals={sha: code} if originals else {})


def _comment_of_inline(text: str) -> str:
    lines = text.split("\n")
    at = next(i for i, ln in enumerate(lines) if ln.strip().startswith('- url: "inline:'))
    return lines[at + 1].strip()


def test_starter_policy_previews_the_original_text() -> None:
    assert _comment_of_inline(_starter({"x": ""})) == \
        f"# inline in {PAGE}: window.dataLayer = [];"
    # Without the original (a version first seen before skimscan kept them): normalised code.
    assert _comment_of_inline(_starter({})) == f"# inline in {PAGE}: (function (v1_0, v1_1) {{"


@pytest.mark.parametrize("code", [
    '\n  window.cfg = {};\n  owner: "injected"\njustification: "x"\r\nwatch: {pages: []}\n',
    "a = 1;\r# not a comment\rversion: 2",
    "a = 1;\u2028owner: \"x\"\u2029\x85version: 2\x0b\x0c\x1c",
    "a = '\u202e\u200b\ufeff\x00\x1b[31m\x7f\ud800\ufffe';",
    "card = '4111 1111 1111 1111'; n = 4111111111111111; " + "x" * 200,
])
def test_starter_policy_preview_cannot_break_the_yaml(code: str, tmp_path: Path) -> None:
    text = _starter({"x": ""}, code)
    comment = _comment_of_inline(text)
    assert text.splitlines() == text.split("\n")[:-1]  # no other line break anywhere
    assert text.isprintable() or all(ch.isprintable() or ch == "\n" for ch in text)
    data = yaml.safe_load(text)  # PyYAML: refuses control characters, breaks at U+2028
    [script] = data["sites"][0]["scripts"]
    assert script == {"url": script["url"], "owner": "", "justification": ""}
    assert set(data) == {"version", "sites", "watch"} and data["version"] == 1
    assert "4111111111111111" not in comment and "4111 1111 1111 1111" not in comment
    preview_text = comment.split(": ", 1)[1]
    assert len(preview_text) <= 61 and (len(code) < 50 or preview_text.endswith("…"))
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="needs a written 'owner'"):
        load_policy(path)  # still the starter policy skimscan wrote, refused until filled in


def test_preview_is_bounded_and_masked() -> None:
    assert preview("  a\n\n\tb  ") == "a b"
    assert preview("x" * 100, 10) == "x" * 10 + "…"
    assert preview("\u202e" * 3, 13) == "\\u202e\\u202e…"  # escapes count, none cut in half
    assert "411111******1111" in preview("pan = 4111111111111111;")


@pytest_asyncio.fixture
async def shop_port() -> AsyncIterator[int]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><html><head><script>\n  window.dataLayer = [];"
                                 "\n</script></head><body><form><input name=cc></form>"
                                 "</body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/checkout", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def test_policy_init_previews_an_inline_script_as_it_ran(shop_port: int, tmp_path: Path,
                                                               store_url: str) -> None:
    out = tmp_path / "policy.yaml"
    page = "http://shop.test/checkout"
    argv = ["policy", "init", page, "-o", str(out), "--db", store_url,
            "--no-browser", "--no-cache", "--map-host", f"shop.test=127.0.0.1:{shop_port}"]
    assert await asyncio.to_thread(main, argv) == 0
    text = out.read_text(encoding="utf-8")
    assert f"# inline in {page}: window.dataLayer = [];\n" in text, text
    assert yaml.safe_load(text)["watch"]["pages"] == [page]


def test_csv_exports_never_hand_a_spreadsheet_a_formula(store_url: str) -> None:
    """A script URL a page controls, exported for the assessor, is text in any spreadsheet."""
    data = b"x();"
    sha = hashlib.sha256(data).hexdigest()
    urls = ('=HYPERLINK("https://evil.test","open")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)")
    scripts = tuple(ScriptState(url, url, "external", sha, "ast", PAGE) for url in urls)
    with Store.open(store_url) as store:
        scan_id = store.begin_scan(PAGE, "0.1.0", "r")
        store.finish_scan(scan_id, Snapshot(PAGE, scripts), status="complete",
                          contents=[Content(sha, "ast", True, len(data), "x();",
                                            sri_hashes(data))])
        records = inventory_records(store.inventory())
    rows = list(csv.reader(io.StringIO(render_inventory(records, "csv", generated_at="T"))))
    cells = [c for row in rows[1:] for c in row]
    assert {u for u in urls if "'" + u in cells} == set(urls)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
