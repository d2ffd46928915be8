"""The documentation is executed: every marked shell command, every Python example, every JSON
and YAML example of README.md and docs/*.md (see `tests/docs/runner.py` for the markers).

Commands run as written, from a copy of `fixtures/docs/` (the sample files the docs name:
`suspicious.js`, `build/`, `checkout.html`, ...), with `skimscan` on PATH as the README's
`source .venv/bin/activate` puts it. `https://shop.example/...` is the fixture shop's
documentation site: the run's environment maps every fixture host name to a fixture shop
started for the module (`SKIMSCAN_MAP_HOST`, `SKIMSCAN_IGNORE_HTTPS_ERRORS`), as the README
shows a reader how to, and as a user scanning staging under production names does too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from skimscan.analyze.rules import load_rule_file
from skimscan.capture.steps import load_steps
from skimscan.policy.policy import load_policy
from tests.docs.runner import Block, DocError, Session, blocks, compare, unmarked

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        ROOT / "fixtures" / "shop" / "README.md"]
SAMPLES = ROOT / "fixtures" / "docs"


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


@pytest.fixture(scope="module")
def shop_hosts() -> Iterator[list[str]]:
    """The fixture shop in its own process (as `python -m fixtures.shop` runs for a user)."""
    proc = subprocess.Popen([sys.executable, "-m", "fixtures.shop"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        started = json.loads(proc.stdout.readline())
        yield list(started["map_host"])
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _session(tmp: Path, hosts: list[str]) -> Session:
    work = tmp / "work"
    shutil.copytree(SAMPLES, work)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKIMSCAN_")}
    env.update({
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "SKIMSCAN_MAP_HOST": ",".join(hosts),
        "SKIMSCAN_IGNORE_HTTPS_ERRORS": "1",
        "SKIMSCAN_CACHE_DIR": str(tmp / "cache"),
        "COLUMNS": "200", "NO_COLOR": "1",
    })
    return Session(work, env)


def _check_yaml(block: Block, tmp: Path) -> None:
    """A policy, steps file or rule example is accepted by the loader that reads such files."""
    if block.action == "rule":
        data = yaml.safe_load(block.text)
        path = tmp / "rules" / f"{data['id']}.yaml"
    else:
        path = tmp / f"{block.action}-{block.line}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(block.text, encoding="utf-8")
    try:
        if block.action == "policy":
            load_policy(path)
        elif block.action == "steps":
            load_steps(path)
        else:
            load_rule_file(path)
    except Exception as exc:
        raise DocError(f"{block.where}: the {block.action} example is refused: {exc}") from exc


@pytest.mark.parametrize("doc", DOCS, ids=_ids(DOCS))
def test_every_block_is_marked_and_every_yaml_example_loads(doc: Path, tmp_path: Path) -> None:
    problems = [p for b in blocks(doc) if (p := unmarked(b))]
    assert not problems, "\n".join(problems)
    for block in blocks(doc):
        if block.action in ("policy", "steps", "rule"):
            _check_yaml(block, tmp_path)


@pytest.mark.browser
@pytest.mark.parametrize("doc", DOCS, ids=_ids(DOCS))
def test_document_runs(doc: Path, tmp_path: Path, shop_hosts: list[str]) -> None:
    """Every block in order, as a reader would follow the document."""
    session = _session(tmp_path, shop_hosts)
    for block in blocks(doc):
        if block.action == "skip":
            continue
        if block.lang in ("python", "py"):
            session.python(block)
        elif block.action == "run":
            session.run(block)
        elif block.action == "output":
            session.output(block)


def test_python_examples_type_check(tmp_path: Path) -> None:
    """Each document's Python examples (skipped ones too), in order, pass `mypy --strict`."""
    modules = []
    for doc in DOCS:
        code = [b.text for b in blocks(doc) if b.lang in ("python", "py")]
        if code:
            module = tmp_path / f"doc_{doc.stem.lower().replace('-', '_')}.py"
            module.write_text("\n".join(code), encoding="utf-8")
            modules.append(str(module))
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "--allow-untyped-globals", "--disable-error-code=no-untyped-call",
                           *modules],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# --- the runner catches drift (each of these documents is wrong on purpose) -------------------

def _doc(tmp: Path, text: str) -> Path:
    path = tmp / "DRIFT.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unmarked_shell_block_fails(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "Run this:\n\n```\nskimscan rules list\n```\n")
    assert unmarked(blocks(doc)[0]) is not None


def test_a_skip_without_a_reason_fails(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "<!-- doc: skip -->\n```\nskimscan rules list\n```\n")
    assert "needs a reason" in (unmarked(blocks(doc)[0]) or "")


def test_a_drifted_exit_code_or_output_fails(tmp_path: Path) -> None:
    session = _session(tmp_path, [])
    doc = _doc(tmp_path, (
        '<!-- doc: run exit=0 -->\n```\nskimscan scan-file -q suspicious.js\n```\n'
        '<!-- doc: run contains="no-such-rule-id" -->\n```\nskimscan rules list\n```\n'))
    wrong_exit, wrong_text = blocks(doc)
    with pytest.raises(DocError, match="exited 1, the document expects 0"):
        session.run(wrong_exit)
    with pytest.raises(DocError, match="does not contain 'no-such-rule-id'"):
        session.run(wrong_text)


def test_a_drifted_json_example_fails(tmp_path: Path) -> None:
    """One deliberate drift: the documented verdict of the sample skimmer says clean."""
    session = _session(tmp_path, [])
    doc = _doc(tmp_path, (
        '<!-- doc: run exit=1 -->\n```\nskimscan scan-file -q --format json suspicious.js\n```\n'
        '<!-- doc: output -->\n```json\n{"schema": "skimscan/report/v1", "…": "…",\n'
        ' "targets": [{"target": "suspicious.js", "verdict": "clean", "…": "…"}]}\n```\n'))
    run, output = blocks(doc)
    session.run(run)
    with pytest.raises(DocError, match=r"\$\.targets\[0\]\.verdict: documented 'clean', "
                                       "the output has 'malicious'"):
        session.output(output)


def test_a_documented_key_the_program_dropped_or_added_fails() -> None:
    assert compare({"a": 1, "b": "…"}, {"a": 1}, "$") == (
        "$: documented keys ['b'] are not in the output")
    assert compare({"a": 1}, {"a": 1, "c": 2}, "$") == (
        "$: the output has keys the document does not show: ['c']")
    assert compare({"a": 1, "…": "…"}, {"a": 1, "c": 2}, "$") is None
    assert compare([1, "…"], [1, 2, 3], "$") is None
    assert compare([1, 2], [1, 2, 3], "$") == "$: documented 2 items, the output has 3"
    assert compare("sha256-…", "sha256-abc", "$") is None


def test_a_python_example_that_raises_fails(tmp_path: Path) -> None:
    session = _session(tmp_path, [])
    doc = _doc(tmp_path, "```python\nimport skimscan\nskimscan.no_such_function()\n```\n")
    with pytest.raises(DocError, match="AttributeError"):
        session.python(blocks(doc)[0])
