"""`skimscan scan-file --detonate`: what a user runs, end to end, in a real browser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skimscan.cli import main

pytestmark = [pytest.mark.browser]
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "detonate"


def fixture(name: str) -> str:
    return next(FIXTURES.glob(f"*/{name}*.js")).read_text()


def test_scan_file_cli_detonates_and_caches(tmp_path: Path) -> None:
    """`scan-file --detonate always`: the JSON says what ran where; a second run is cached."""
    kit = tmp_path / "kit.js"
    kit.write_text(fixture("08_env_keyed_payload"))
    out = tmp_path / "r.json"
    argv = ["scan-file", str(kit), "--detonate", "always", "--format", "json", "-o", str(out),
            "--cache-dir", str(tmp_path / "cache"), "--detonate-pages", "1"]
    assert main(argv) == 1
    target = json.loads(out.read_text())["targets"][0]
    assert target["verdict"] == "malicious"
    assert target["detonation"]["verdict"] == "malicious"
    assert target["detonation"]["reasons"] == ["--detonate always"]
    assert any("detonation" in f["tags"] for f in target["findings"])
    assert main(argv) == 1
    assert json.loads(out.read_text())["targets"][0]["detonation"]["cached"] is True


def test_auto_leaves_plain_files_static_and_always_needs_a_browser(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "menu.js"
    plain.write_text("document.querySelector('.menu').classList.add('ready');")
    out = tmp_path / "r.json"
    assert main(["scan-file", str(plain), "--format", "json", "-o", str(out), "--no-cache"]) == 0
    assert "detonation" not in json.loads(out.read_text())["targets"][0]
    monkeypatch.setenv("SKIMSCAN_CHROMIUM", str(tmp_path / "no-such-browser"))
    reader = tmp_path / "reader.js"
    reader.write_text("document.getElementById('cc_number').addEventListener('blur',"
                      " function (e) { window.__n = e.target.value.length; });")
    assert main(["scan-file", str(reader), "--detonate", "always", "--no-cache"]) == 2
    assert "needs a browser" in capsys.readouterr().err
    assert main(["scan-file", str(reader), "--format", "json", "-o", str(out),
                 "--no-cache"]) == 0
    notes = json.loads(out.read_text())["targets"][0]["notes"]
    assert any("detonation skipped: no browser" in n for n in notes)


def test_the_demo_file_is_caught_only_by_detonation(tmp_path: Path) -> None:
    """`make demo` part 4: a payload only a browser can decrypt: clean to static analysis,
    detonated by `auto` because it is obfuscated, malicious by the canary."""
    demo = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "dom_keyed_skimmer.js"
    out = tmp_path / "r.json"
    assert main(["scan-file", str(demo), "--detonate", "never", "--no-cache", "-f", "json",
                 "-o", str(out)]) == 0
    assert json.loads(out.read_text())["targets"][0]["verdict"] == "clean"
    assert main(["scan-file", str(demo), "--no-cache", "-f", "json", "-o", str(out)]) == 1
    target = json.loads(out.read_text())["targets"][0]
    assert target["detonation"]["reasons"] == ["obfuscated"]
    assert any(f["rule"] == "canary-exfiltration" for f in target["findings"])


def test_a_detonation_that_fails_loses_that_file_only(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug or a browser failure while one file runs makes that file `error` (exit 3) and
    the other files complete."""
    from skimscan.detonate import Detonator

    real = Detonator.detonate

    async def flaky(self, name, code, **kw):  # type: ignore[no-untyped-def]
        if "bad" in name:
            raise RuntimeError("the renderer went away")
        return await real(self, name, code, **kw)

    monkeypatch.setattr(Detonator, "detonate", flaky)
    for name in ("bad.js", "good.js"):
        (tmp_path / name).write_text("document.querySelector('#cc_number').addEventListener("
                                     "'blur', function (e) { window.__l = e.target.value.length"
                                     " });")
    out = tmp_path / "r.json"
    assert main(["scan-file", str(tmp_path / "bad.js"), str(tmp_path / "good.js"),
                 "--no-cache", "-f", "json", "-o", str(out), "--detonate-pages", "1"]) == 3
    bad, good = json.loads(out.read_text())["targets"]
    assert bad["verdict"] == "error" and "the renderer went away" in bad["error"]
    assert good["verdict"] == "clean" and good["detonation"]["verdict"] == "clean"
