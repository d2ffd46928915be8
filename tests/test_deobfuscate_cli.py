"""`skimscan deobfuscate` and the HTML report's deobfuscated source, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skimscan.cli import main
from skimscan.pipeline import scan_files
from skimscan.report.html import render_html

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ROOT / "fixtures" / "obfuscated" / "newegg_inline_kit.heavy.js"


def test_heavy_preset_twin_prints_host_and_sink_in_plain_text(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert "neweggstats.com" not in HEAVY.read_text()  # hidden in the rc4 string array
    assert main(["deobfuscate", str(HEAVY)]) == 0
    out = capsys.readouterr().out
    assert "jQuery.ajax(" in out and '"https://neweggstats.com/GlobalData/"' in out


def test_json_lists_the_techniques_undone(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    assert main(["deobfuscate", "--format", "json", "-o", str(target), str(HEAVY)]) == 0
    doc = json.loads(target.read_text())
    [entry] = doc["files"]
    assert doc["schema"] == "skimscan/deobfuscate/v1" and entry["changed"]
    assert entry["techniques"]["decoders"] > 0 and entry["techniques"]["proxy-functions"] > 0
    assert "neweggstats.com" in entry["code"]


def test_bad_input_is_reported_not_raised(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "bro\x1bken.js"
    broken.write_text("function (")
    assert main(["deobfuscate", str(broken)]) == 3
    out = capsys.readouterr().out
    assert "could not be rewritten" in out and "\x1b" not in out and "\\x1b" in out
    assert main(["deobfuscate", str(tmp_path / "missing.js")]) == 2


def test_html_report_embeds_the_deobfuscated_source_of_flagged_scripts() -> None:
    report = scan_files([HEAVY])
    assert report.targets[0].verdict.value == "malicious"
    page = render_html(report, sources={s.id: HEAVY.read_text()
                                        for s in report.targets[0].scripts})
    assert "Deobfuscated source" in page and "jQuery.ajax(" in page
