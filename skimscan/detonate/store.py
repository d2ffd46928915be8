"""Detonation results on disk, keyed by the file's sha256 and everything that shapes them.

A detonation costs seconds, so a CI run over an unchanged build folder must not pay it again.
The key covers the file's hash, the detonation settings, the templates, the code that
captures, detonates and judges (a hash of those modules), and the rules in use; any change is a
miss. JSON, written atomically, read defensively (a corrupt entry is a miss), as the analysis
cache does; a detonation that failed is never stored.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from skimscan.analyze.cache import files_digest, write_json
from skimscan.detonate.detonator import Detonation, PageRun
from skimscan.models import (
    Confidence,
    Finding,
    FlowStep,
    HostClass,
    Location,
    ScriptKind,
    ScriptReport,
    Severity,
    Verdict,
)

VERSION = "1"
_PACKAGE = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the modules and page data detonation results depend on."""
    return files_digest(_PACKAGE, (
        "capture/*.py", "capture/*.js", "detonate/*.py", "detonate/templates/*",
        "analyze/*.py", "analyze/deobfuscate/*.py", "scanner.py", "policy/*.py",
        "policy/data/*"))


def rules_fingerprint(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for root in paths:
        files = sorted(root.rglob("*.y*ml")) if root.is_dir() else [root]
        for path in files:
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(str(path).encode())
    return digest.hexdigest()[:16]


class DetonationStore:
    """`get`/`put` by (file sha256, settings); `directory=None` keeps nothing."""

    def __init__(self, directory: Path | None, settings: str) -> None:
        self.directory = directory
        self._salt = f"v{VERSION}-{code_fingerprint()}-{settings}"

    def _path(self, sha256: str) -> Path | None:
        if self.directory is None:
            return None
        key = hashlib.sha256(f"{self._salt}:{sha256}".encode()).hexdigest()
        return self.directory / "detonations" / key[:2] / f"{key}.json"

    def get(self, sha256: str) -> Detonation | None:
        path = self._path(sha256)
        if path is None:
            return None
        try:
            return decode(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, sha256: str, result: Detonation) -> None:
        path = self._path(sha256)
        if path is not None and result.verdict is not Verdict.ERROR:
            write_json(path, encode(result))


# --- JSON round trip -------------------------------------------------------------------------


def _loc(loc: Location | None) -> list[int | None] | None:
    return None if loc is None else [loc.line, loc.column, loc.end_line, loc.end_column]


def _unloc(data: list[Any] | None) -> Location | None:
    return None if data is None else Location(*data)


def _finding(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "title": f.title, "severity": int(f.severity),
            "confidence": int(f.confidence), "message": f.message, "script": f.script,
            "location": _loc(f.location), "evidence": dict(f.evidence), "tags": list(f.tags),
            "flow": [[_loc(s.location), s.description] for s in f.flow]}


def _unfinding(d: dict[str, Any]) -> Finding:
    flow = tuple(FlowStep(_unloc(loc) or Location(1, 0), str(text)) for loc, text in d["flow"])
    return Finding(rule=d["rule"], title=d["title"], severity=Severity(d["severity"]),
                   confidence=Confidence(d["confidence"]), message=d["message"],
                   script=d["script"], location=_unloc(d["location"]), evidence=d["evidence"],
                   tags=tuple(d["tags"]), flow=flow)


def _script(s: ScriptReport) -> dict[str, Any]:
    return {"id": s.id, "url": s.url, "kind": s.kind.value, "frame": s.frame,
            "sha256": s.sha256, "size": s.size, "host_class": s.host_class.value,
            "verdict": s.verdict.value, "parsed": s.parsed, "initiator": list(s.initiator),
            "library": s.library}


def _unscript(d: dict[str, Any]) -> ScriptReport:
    return ScriptReport(id=d["id"], url=d["url"], kind=ScriptKind(d["kind"]), frame=d["frame"],
                        sha256=d["sha256"], size=d["size"], host_class=HostClass(d["host_class"]),
                        verdict=Verdict(d["verdict"]), parsed=d["parsed"],
                        library=d.get("library"),
                        initiator=tuple(d["initiator"]))


def _unpage(d: dict[str, Any]) -> PageRun:
    return PageRun(d["template"], d["url"], Verdict(d["verdict"]), d["seconds"], d["error"],
                   tuple(d["synthesised"]), tuple(d["gates"]), tuple(d["interaction"]))


def encode(result: Detonation) -> dict[str, Any]:
    return {"verdict": result.verdict.value, "error": result.error,
            "findings": [_finding(f) for f in result.findings],
            "scripts": [_script(s) for s in result.scripts],
            "pages": [p.to_json() for p in result.pages],
            "lowered": [list(x) for x in result.lowered]}


def decode(data: dict[str, Any]) -> Detonation:
    return Detonation(Verdict(data["verdict"]), tuple(_unfinding(f) for f in data["findings"]),
                      tuple(_unscript(s) for s in data["scripts"]),
                      tuple(_unpage(p) for p in data["pages"]), data["error"],
                      tuple((str(r), str(h), int(n), str(t)) for r, h, n, t in data["lowered"]))
