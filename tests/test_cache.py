"""The analysis cache: JSON round trip, disk reuse, corrupt entries are misses."""

from __future__ import annotations

from pathlib import Path

from skimscan.analyze.analyzer import extract_facts
from skimscan.analyze.cache import AnalysisCache
from skimscan.analyze.parse import run_deep
from skimscan.pipeline import Engine, EngineOptions, scan_files

from .test_cli import SKIMMER


def test_round_trip_is_identical(tmp_path: Path) -> None:
    raw = run_deep(lambda: extract_facts(SKIMMER))
    AnalysisCache(tmp_path).put("abc", raw)
    again = AnalysisCache(tmp_path).get("abc")
    assert again == raw


def test_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    cache = AnalysisCache(tmp_path)
    raw = run_deep(lambda: extract_facts(SKIMMER))
    cache.put("abc", raw)
    for entry in tmp_path.rglob("*.json"):
        entry.write_text("{not json")
    fresh = AnalysisCache(tmp_path)
    assert fresh.get("abc") is None and fresh.misses == 1


def test_second_scan_is_served_from_disk(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.js").write_text(SKIMMER)
    (src / "b.js").write_text("var x = 1;")
    options = EngineOptions(cache_dir=tmp_path / "cache", jobs=1)
    first = Engine(options)
    report1 = scan_files([src], engine=first)
    assert first.cache.misses == 2
    second = Engine(options)
    report2 = scan_files([src], engine=second)
    assert second.cache.hits >= 2 and second.cache.misses == 0
    assert [t.findings for t in report1.targets] == [t.findings for t in report2.targets]


def test_analysis_over_its_time_budget_is_reported_and_others_complete(tmp_path: Path) -> None:
    big = "var a = [" + ",".join(f"'{i}' + x" for i in range(40000)) + "];\n"
    (tmp_path / "slow.js").write_text(big)
    (tmp_path / "fine.js").write_text(SKIMMER + "\n" + "var pad = 1;\n" * 30000)
    engine = Engine(EngineOptions(use_disk_cache=False, jobs=2, seconds_per_mb=0.0,
                                  min_seconds=0.5))
    report = scan_files([tmp_path], engine=engine)
    by_name = {Path(t.target).name: t for t in report.targets}
    assert by_name["slow.js"].verdict.value == "error"
    assert "time budget" in (by_name["slow.js"].error or "")
