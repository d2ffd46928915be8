"""Every malicious fixture is `malicious`; no benign fixture is (the verdict contract)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.models import Verdict
from skimscan.pipeline import Engine, scan_files

from .conftest import FIXTURES

MALICIOUS = sorted((FIXTURES / "scripts" / "malicious").glob("*.js")) + sorted(
    (FIXTURES / "html" / "malicious").glob("*.html"))
BENIGN = sorted((FIXTURES / "scripts" / "benign").glob("*.js")) + sorted(
    (FIXTURES / "html" / "benign").glob("*.html"))


def test_enough_fixtures() -> None:
    assert len(list((FIXTURES / "scripts" / "malicious").glob("*.js"))) >= 40
    assert len(list((FIXTURES / "scripts" / "benign").glob("*.js"))) >= 40


def _report(path: Path, engine: Engine):  # type: ignore[no-untyped-def]
    [target] = scan_files([path], engine=engine).targets
    return target


@pytest.mark.parametrize("path", MALICIOUS, ids=lambda p: p.name)
def test_malicious_fixture_is_malicious(path: Path, engine: Engine) -> None:
    target = _report(path, engine)
    assert target.verdict is Verdict.MALICIOUS, [f"{f.rule}: {f.message}" for f in target.findings]
    assert any(f.is_blocking for f in target.findings)


@pytest.mark.parametrize("path", BENIGN, ids=lambda p: p.name)
def test_benign_fixture_is_not_malicious(path: Path, engine: Engine) -> None:
    target = _report(path, engine)
    blocking = [f"{f.rule}: {f.message}" for f in target.findings if f.is_blocking]
    assert target.verdict is not Verdict.MALICIOUS, blocking
    assert target.verdict is not Verdict.ERROR, target.error
