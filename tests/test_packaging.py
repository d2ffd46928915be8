"""Install as documented (issue 13, item 11): what `watch --cron` needs is a dependency of the
package, not of the development tools; the container runs skimscan as an unprivileged user with
Debian's Chromium; the composite action scans, uploads SARIF and gates on the exit code without
pasting its inputs into shell scripts; no document tells users to `pip install skimscan` from an
index that does not have it.

Building the image is not tested here: no container daemon runs on the build machine and only
package registries (not a container registry) are reachable."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_croniter_is_a_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [d.split(">")[0].split("<")[0].strip() for d in project["dependencies"]]
    assert "croniter" in runtime
    dev = [d.split(">")[0].strip() for d in project["optional-dependencies"]["dev"]]
    assert "croniter" not in dev


def test_the_container_runs_skimscan_unprivileged_with_debians_chromium() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.strip().startswith("#")]
    assert lines[0].startswith("FROM debian:")
    text = "\n".join(lines)
    assert re.search(r"apt-get install[^\n]*(\\\n[^\n]*)*chromium", text)
    user = next(i for i, line in enumerate(lines) if line.startswith("USER "))
    assert lines[user].split()[1] not in ("root", "0")
    entry = next(i for i, line in enumerate(lines) if line.startswith("ENTRYPOINT"))
    assert entry > user and lines[entry] == 'ENTRYPOINT ["skimscan"]'
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".cache", ".git"} <= set(ignored)


def test_the_action_scans_uploads_sarif_and_gates_without_shell_injection() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    scripts = [s["run"] for s in steps if "run" in s]
    assert not [s for s in scripts if "${{" in s]  # inputs only through env
    assert any("skimscan scan" in s and "--format sarif" in s for s in scripts)
    assert any(str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")
               for s in steps)
    gate = steps[-1]
    assert "exit-code" in gate["if"] and 'exit "$CODE"' in gate["run"]
    assert action["inputs"]["targets"]["required"] is True


def test_no_document_installs_from_an_index_that_does_not_have_skimscan() -> None:
    for doc in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))):
        text = doc.read_text()
        assert not re.search(r"pip install (-U )?skimscan\b(?![-_.])", text), doc


def test_every_public_name_resolves() -> None:
    """Everything in `skimscan.__all__` imports (docs/library.md uses `skimscan.HostMap`,
    `skimscan.load_policy` ... without reaching into submodules)."""
    import skimscan

    missing = [name for name in skimscan.__all__ if getattr(skimscan, name, None) is None]
    assert not missing
    assert {"HostMap", "Policy", "load_policy"} <= set(skimscan.__all__)
