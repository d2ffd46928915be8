"""Shared fixtures: one engine (rules loaded once, no disk cache) for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.models import Finding, TargetReport
from skimscan.pipeline import Engine, EngineOptions, analyze_source

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep each `xdist_group` on one worker under `--dist loadgroup` (`make test`).

    pytest-xdist groups tests by a `@group` suffix it gives their node ids in this hook; from
    pytest 9.2 node ids are structured and the suffix it sets is not read, so a group's tests
    spread over every worker and each worker builds the group's expensive module or session
    fixture again (a scan of the whole fixture shop: two minutes). Where the suffix is
    missing, it is set on the node id pytest reads (pytest's `NodeId`, private: if it moves,
    this falls back to what xdist itself sets, and groups are only slower, never wrong)."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = {str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                 for m in item.iter_markers("xdist_group")}
        group = "_".join(sorted(names))
        if not names or item.nodeid.endswith("@" + group):
            continue
        suffixed = f"{item.nodeid}@{group}"
        if hasattr(item, "_id"):
            try:
                from _pytest.nodeid import NodeId
            except ImportError:
                return
            item._id = NodeId.parse(suffixed)
        else:
            item._nodeid = suffixed


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
