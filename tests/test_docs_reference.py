"""The reference in docs/reference/ is generated from the code by tools/gendocs.py (`make docs`).
These tests are how `make test` keeps it honest: a committed page that differs from what the
code generates now fails ("docs/reference/X.md is stale: run make docs"), so do key tables of
the JSON reference that disagree with the renderers — and the check is shown to catch drift."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from skimscan.analyze.rules import load_rules
from skimscan.cli import build_parser
from skimscan.cliargs import subcommands
from skimscan.models import Severity

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))

import gendocs  # noqa: E402

CLI, JSON, RULES = (f"{gendocs.REFERENCE}/{name}.md" for name in ("cli", "json", "rules"))


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return gendocs.generate(ROOT)


def test_the_committed_reference_is_not_stale(generated: dict[str, str]) -> None:
    names = gendocs.stale(ROOT, generated)
    assert names == [], "\n".join(f"{name} is stale: run make docs" for name in names)


def test_the_check_names_each_drifted_page(generated: dict[str, str], tmp_path: Path) -> None:
    """One deliberate drift at a time, each caught by `stale`: a flag the committed CLI page
    does not have, a rule whose severity changed, a stale copy on disk, a page the code no
    longer generates."""
    _write(tmp_path, generated)
    assert gendocs.stale(tmp_path, generated) == []

    parser = build_parser()
    parser.add_argument("--drift", help="a flag the committed page does not know")
    assert gendocs.stale(tmp_path, {**generated, CLI: gendocs.render_cli(parser)}) == [CLI]

    rules = list(load_rules([ROOT / "rules"]))
    rules[0] = replace(rules[0], severity=Severity.CRITICAL if rules[0].severity
                       is not Severity.CRITICAL else Severity.LOW)
    drifted = {**generated, RULES: gendocs.render_rules(ROOT, rules)}
    assert gendocs.stale(tmp_path, drifted) == [RULES]

    (tmp_path / JSON).write_text(generated[JSON].replace("`schema`", "`version`"),
                                 encoding="utf-8")
    assert gendocs.stale(tmp_path, generated) == [JSON]
    (tmp_path / JSON).unlink()
    assert gendocs.stale(tmp_path, generated) == [JSON]  # missing is stale too
    _write(tmp_path, generated)
    assert gendocs.stale(tmp_path, generated) == []

    orphan = tmp_path / gendocs.REFERENCE / "old.md"
    orphan.write_text(gendocs.HEADER + "\n", encoding="utf-8")
    assert gendocs.stale(tmp_path, generated) == [f"{gendocs.REFERENCE}/old.md"]
    (tmp_path / gendocs.REFERENCE / "notes.md").write_text("# hand-written\n")
    assert gendocs.stale(tmp_path, generated) == [f"{gendocs.REFERENCE}/old.md"]


def _write(root: Path, pages: dict[str, str]) -> None:
    for name, text in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_the_check_runs_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert gendocs.main(["--check"]) == 0
    assert capsys.readouterr().err == ""


def test_pages_are_marked_generated_and_hold_no_machine_paths(
        generated: dict[str, str]) -> None:
    for name, text in generated.items():
        assert text.splitlines()[0] == gendocs.HEADER, name
        assert str(ROOT) not in text and "/home/" not in text and "/tmp" not in text, name


def test_the_cli_page_does_not_depend_on_the_environment(
        generated: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIMSCAN_FAIL_ON", "never")
    monkeypatch.setenv("SKIMSCAN_RULES_FORMAT", "json")
    monkeypatch.setenv("SKIMSCAN_DEBUG", "yes")
    monkeypatch.setenv("USER", "someone-else")
    monkeypatch.setenv("LOGNAME", "someone-else")
    assert gendocs.render_cli() == generated[CLI]


def test_the_cli_page_has_every_command_flag_and_variable(generated: dict[str, str]) -> None:
    page = generated[CLI]
    parser = build_parser()
    for command in subcommands(parser):
        assert f"## `skimscan {' '.join(command.path)}`" in page
        for action in command.parser._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}`" in page, (command.path, flag)
            for variable in getattr(action, "env_variables", ()):
                assert f"`{variable}`" in page
    assert "| `--no-interact`, `--no-shop` |" in page
    assert "`SKIMSCAN_RULES_FORMAT`" in page and "`SKIMSCAN_DEOBFUSCATE_FORMAT`" in page
    for command, flag in gendocs.RUNTIME_DEFAULTS:  # the words stand for a real option
        [found] = [c for c in subcommands(parser) if " ".join(c.path) == command]
        assert any(flag in a.option_strings for a in found.parser._actions)


def test_the_rules_page_has_every_rule_and_links_that_resolve(
        generated: dict[str, str]) -> None:
    page = generated[RULES]
    for rule in load_rules([ROOT / "rules"]):
        assert f"### `{rule.id}`" in page
    for pipeline_rule in gendocs.PIPELINE_RULE_TABLE:
        assert f"### `{pipeline_rule.id}`" in page
    links = [part.split(")")[0] for part in page.split("](")[1:]]
    local = [link for link in links if not link.startswith(("http", "#"))]
    assert local and all((ROOT / gendocs.REFERENCE / link).resolve().is_file()
                         for link in local)


def test_the_json_key_tables_match_what_the_program_emits() -> None:
    assert gendocs.json_problems() == []


def test_a_key_the_tables_miss_or_invent_is_a_problem() -> None:
    """What makes the test above fail when the renderers change: a key emitted and not
    described, a key described and never emitted, a value of a type the table does not say."""
    sample = {"a": "x", "b": 1, "list": [{"x": None}], "seen": {"free": {"form": 1}}}
    emitted = gendocs.key_types(sample, maps=frozenset({"seen"}))
    assert emitted == {"a": {"string"}, "b": {"integer"}, "list": {"array"},
                       "list[].x": {"null"}, "seen": {"object"}}
    tables = (gendocs.Section("T", "", "", {"a": ("string", "."), "b": ("number", "."),
                                            "list": ("array", ".")}),
              gendocs.Section("Item", "list[]", "", {"x": ("string", "."),
                                                     "gone": ("string", ".")}))
    assert gendocs.schema_problems(emitted, tables, "X") == [
        "X: `seen` is emitted but not described in tools/gendocs.py",
        "X: `list[].gone` is described in tools/gendocs.py but never emitted",
        "X: `list[].x` is null, described as string",
    ]


def test_the_json_page_is_not_generated_from_tables_out_of_date(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`make docs` refuses too: a table that lost the Detonation section."""
    sections = tuple(s for s in gendocs.JSON_SECTIONS if s.title != "Detonation")
    monkeypatch.setattr(gendocs, "JSON_SECTIONS", sections)
    with pytest.raises(ValueError, match=r"`targets\[\]\.detonation\.cached` is emitted"):
        gendocs.render_json()


def test_the_json_page_comes_from_a_real_report() -> None:
    sample = gendocs.sample_report()
    keys = gendocs.json_keys(sample)
    assert {"targets[].findings[].flow[].step", "targets[].detonation.pages[].template",
            "targets[].requests[].carries_canary", "targets[].findings[].suppressed"} <= set(keys)
    sarif = gendocs.sarif_keys(sample)
    assert {"runs[].results[].codeFlows", "runs[].results[].partialFingerprints.skimscan/v1",
            "runs[].originalUriBaseIds.%SRCROOT%.uri", "physicalLocation.region.endColumn",
            "runs[].tool.driver.rules[].properties.security-severity"} <= set(sarif)
