"""Shared fixtures: one engine (rules loaded once, no disk cache) for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.models import Finding, TargetReport
from skimscan.pipeline import Engine, EngineOptions, analyze_source

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine(EngineOptions(use_disk_cache=False, jobs=1))


@pytest.fixture(scope="session")
def analyze(engine: Engine):  # type: ignore[no-untyped-def]
    def run(code: str, site: str | None = None) -> TargetReport:
        return analyze_source(code, engine=engine, site=site)

    return run


def rules_of(report: TargetReport) -> set[str]:
    return {f.rule for f in report.findings}


def findings_of(report: TargetReport, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]
