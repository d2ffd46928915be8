"""skimscan — find Magecart-style card skimmers on payment pages.

The public API (everything in `__all__`) is typed and stable within a major version:

    import skimscan
    report = skimscan.analyze_source(code, url="https://shop.example/app.js")
    report = skimscan.scan_files(["build/"])                  # static (detonate="auto": + browser)
    report = skimscan.scan_url("https://shop.example/checkout")   # a real browser
    for target in report.targets:
        for finding in target.findings: ...

Reports are pure functions, Report in, text out: `render_json`, `render_sarif`, `render_junit`,
`render_html`, `render_table`. Baselines: `load_baseline`, `apply_baseline`, `write_baseline`.
docs/library.md is the guide.

Importing skimscan does no I/O: rules load and browsers start only when asked, and the modules
behind most names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Baseline",
    "Confidence",
    "ConfigError",
    "Deobfuscation",
    "DetonationOptions",
    "Engine",
    "EngineOptions",
    "Finding",
    "FlowStep",
    "HostClass",
    "HostMap",
    "Location",
    "Policy",
    "Report",
    "RequestRecord",
    "Rule",
    "RuleError",
    "RuleSet",
    "ScanOptions",
    "Scanner",
    "ScriptReport",
    "ScriptSource",
    "Severity",
    "SkimscanError",
    "TargetReport",
    "Verdict",
    "__version__",
    "analyze_source",
    "apply_baseline",
    "ascan_url",
    "default_rules_dir",
    "deobfuscate",
    "load_baseline",
    "load_policy",
    "load_rules",
    "render_html",
    "render_json",
    "render_junit",
    "render_sarif",
    "render_table",
    "scan_files",
    "scan_url",
    "write_baseline",
]

from skimscan.errors import ConfigError, RuleError, SkimscanError
from skimscan.models import (
    Confidence,
    Finding,
    FlowStep,
    HostClass,
    Location,
    Report,
    RequestRecord,
    ScriptReport,
    ScriptSource,
    Severity,
    TargetReport,
    Verdict,
)

if TYPE_CHECKING:
    from skimscan.analyze.deobfuscate import Deobfuscation, deobfuscate
    from skimscan.analyze.rules import Rule, RuleSet, default_rules_dir, load_rules
    from skimscan.capture.hostmap import HostMap
    from skimscan.detonate import DetonationOptions, scan_files
    from skimscan.pipeline import Engine, EngineOptions, analyze_source
    from skimscan.policy.policy import Policy, load_policy
    from skimscan.report.baseline import Baseline, apply_baseline, load_baseline, write_baseline
    from skimscan.report.html import render_html
    from skimscan.report.json_report import render_json
    from skimscan.report.junit import render_junit
    from skimscan.report.sarif import render_sarif
    from skimscan.report.table import render_table
    from skimscan.scanner import Scanner, ScanOptions, ascan_url, scan_url

#: Names whose modules pull in the parser, the rules, the browser or a reporter: loaded on use.
_LAZY = {
    **dict.fromkeys(("Engine", "EngineOptions", "analyze_source"), "skimscan.pipeline"),
    **dict.fromkeys(("DetonationOptions", "scan_files"), "skimscan.detonate"),
    **dict.fromkeys(("ScanOptions", "Scanner", "ascan_url", "scan_url"), "skimscan.scanner"),
    **dict.fromkeys(("Rule", "RuleSet", "default_rules_dir", "load_rules"),
                    "skimscan.analyze.rules"),
    **dict.fromkeys(("Baseline", "apply_baseline", "load_baseline", "write_baseline"),
                    "skimscan.report.baseline"),
    **dict.fromkeys(("Deobfuscation", "deobfuscate"), "skimscan.analyze.deobfuscate"),
    "HostMap": "skimscan.capture.hostmap",
    **dict.fromkeys(("Policy", "load_policy"), "skimscan.policy.policy"),
    "render_html": "skimscan.report.html",
    "render_json": "skimscan.report.json_report",
    "render_junit": "skimscan.report.junit",
    "render_sarif": "skimscan.report.sarif",
    "render_table": "skimscan.report.table",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'skimscan' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
