"""Hostile input, evidence commands (issue: evidence commands succeed on wrong input): a mistyped
`--db` or page must be exit 2 with a message naming it — never a new empty database, nor an
empty report that an assessor could take for evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.cli import main
from skimscan.inventory.store import Content, Destination, ScriptState, Snapshot, Store

PAGE = "https://shop.test/checkout"
TYPO = "https://shop.test/checkot"


def recorded(db: Path) -> None:
    """A store with one complete, approved scan of PAGE."""
    script = ScriptState("https://shop.test/app.js", "https://shop.test/app.js?v=1", "external",
                         "a" * 64, "ast-a")
    snap = Snapshot(PAGE, (script,), (Destination("https://shop.test", "shop.test",
                                                  "first-party", "script", 1),), {}, ())
    with Store.open(db) as store:
        scan_id = store.begin_scan(PAGE, "0.1.0", "rules-1")
        store.finish_scan(scan_id, snap, status="complete", verdict="clean",
                          contents=[Content("a" * 64, "ast-a", True, 10, "var v1_0;", {})])
        store.set_baseline(PAGE, scan_id, "test")


@pytest.mark.parametrize("argv", [
    ["history"],
    ["history", "-f", "csv"],
    ["inventory"],
    ["inventory", "--propose"],
    ["inventory", "--original", "a" * 64, "-o", "x.js"],
    ["diff", "--no-scan", PAGE],
    ["baseline", "--latest", PAGE],
])
def test_reading_a_database_that_does_not_exist_is_an_error(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "skimsacn.db"
    assert main([*argv, "--db", str(typo)]) == 2
    err = capsys.readouterr().err
    assert str(typo) in err and "no such skimscan database" in err
    assert not typo.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [
    ["inventory", "--propose", TYPO],
    ["inventory", TYPO],
    ["inventory", "-f", "csv", TYPO],
    ["history", TYPO],
])
def test_a_page_that_is_not_recorded_is_an_error(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "inv.db"
    recorded(db)
    capsys.readouterr()
    assert main([*argv, "--db", str(db)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"no page {TYPO} in {db}; did you mean {PAGE}?" in err


def test_the_recorded_page_still_works(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "inv.db"
    recorded(db)
    for argv in (["inventory", "--propose", PAGE], ["inventory", PAGE], ["history", PAGE],
                 ["inventory", "--propose"], ["history"]):
        capsys.readouterr()
        assert main([*argv, "--db", str(db)]) == 0, argv
        assert capsys.readouterr().out, argv


def test_nothing_to_propose_from_is_an_error(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "empty.db"
    Store.open(db).close()  # a database, but no scan in it
    assert main(["inventory", "--propose", "--db", str(db)]) == 2
    assert f"no complete scan in {db}" in capsys.readouterr().err


def test_baseline_latest_refuses_blocking_findings_without_force(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`baseline --latest` approves as a fresh `baseline` does: a malicious scan needs --force."""
    db = tmp_path / "inv.db"
    with Store.open(db) as store:
        scan_id = store.begin_scan(PAGE, "0.1.0", "rules-1")
        store.finish_scan(scan_id, Snapshot(PAGE, ()), status="complete", verdict="malicious")
    assert main(["baseline", "--latest", PAGE, "--db", str(db)]) == 1
    assert "blocking findings" in capsys.readouterr().err
    with Store.open(db) as store:
        assert store.baseline(PAGE) is None
    assert main(["baseline", "--latest", "--force", PAGE, "--db", str(db)]) == 0
    with Store.open(db) as store:
        assert store.baseline(PAGE) is not None
