"""skimscan — find Magecart-style card skimmers on payment pages.

The public API (everything in `__all__`) is typed and stable within a major version:

    import skimscan
    report = skimscan.analyze_source(code, url="https://shop.example/app.js")
    report = skimscan.scan_files(["build/"])
    report = skimscan.scan_url("https://shop.example/checkout")   # a real browser
    for target in report.targets:
        for finding in target.findings: ...

Importing skimscan does no I/O: rules load and browsers start only when asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Confidence",
    "Engine",
    "EngineOptions",
    "Finding",
    "HostClass",
    "Location",
    "Report",
    "ScanOptions",
    "Scanner",
    "ScriptReport",
    "Severity",
    "SkimscanError",
    "TargetReport",
    "Verdict",
    "__version__",
    "analyze_source",
    "ascan_url",
    "scan_files",
    "scan_url",
]

from skimscan.errors import SkimscanError
from skimscan.models import (
    Confidence,
    Finding,
    HostClass,
    Location,
    Report,
    ScriptReport,
    Severity,
    TargetReport,
    Verdict,
)

if TYPE_CHECKING:
    from skimscan.pipeline import Engine, EngineOptions, analyze_source, scan_files
    from skimscan.scanner import ScanOptions, Scanner, ascan_url, scan_url


def __getattr__(name: str) -> Any:
    # The pipeline pulls in the parser and rules; import it only when used.
    if name in ("Engine", "EngineOptions", "analyze_source", "scan_files"):
        from skimscan import pipeline

        return getattr(pipeline, name)
    if name in ("ScanOptions", "Scanner", "ascan_url", "scan_url"):
        from skimscan import scanner

        return getattr(scanner, name)
    raise AttributeError(f"module 'skimscan' has no attribute {name!r}")
