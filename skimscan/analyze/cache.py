"""STAGE 3 (analyze) — cache of site-independent analysis results, keyed by content hash.

A script seen on a thousand pages, or in a thousand CI runs, is parsed once. Entries live in
memory for the run and as JSON files on disk (`SKIMSCAN_CACHE_DIR`, default
`~/.cache/skimscan`) between runs. JSON rather than pickle: the cache directory is input we
read back, and a tampered JSON file can at worst give a wrong entry, never run code. Writes are
atomic (temporary file + rename), so two scans sharing a cache never see half a file; a corrupt
or unreadable entry is a miss, not an error.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from skimscan.analyze.analyzer import EXTRACTOR_VERSION, RawAnalysis, RawSink
from skimscan.analyze.facts import Fact
from skimscan.analyze.parse import ParseLimits
from skimscan.models import FlowStep, Location


@functools.lru_cache(maxsize=1)
def extractor_fingerprint() -> str:
    """A hash of the analysis code itself, so that an upgraded skimscan never reuses results
    an older extractor produced (whatever EXTRACTOR_VERSION says)."""
    return files_digest(Path(__file__).parent, ("*.py",))


def files_digest(root: Path, patterns: Iterable[str]) -> str:
    """A short hash of the files under `root` that `patterns` name (their paths and bytes):
    what a cached result depends on, so that changed code never reuses it."""
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def default_cache_dir() -> Path:
    env = os.environ.get("SKIMSCAN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "skimscan"


class SharedCache(Protocol):
    """A cache many machines share (fleet mode: the broker's Redis), so that a script on 10^4
    pages is analysed once per fleet rather than once per worker. Keys are already salted with
    the extractor's version; values are compressed JSON. Both calls may fail silently (a cache
    that is away only costs speed): `get` answers None, `put` does nothing."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, value: bytes) -> None: ...


class AnalysisCache:
    """Memory + optional disk cache (+ optional shared cache) of `RawAnalysis` by sha256 of the
    code. Looked up in that order; a result found further out is copied nearer."""

    def __init__(self, directory: Path | None = None, *, limits: ParseLimits | None = None,
                 shared: SharedCache | None = None) -> None:
        self.directory = directory
        self.shared = shared
        self._memory: dict[str, RawAnalysis] = {}
        limits = limits or ParseLimits()
        self._salt = (f"v{EXTRACTOR_VERSION}-{extractor_fingerprint()}-{limits.max_bytes}"
                      f"-{limits.parser}")
        self.hits = 0
        self.misses = 0

    def _key(self, sha256: str) -> str:
        return hashlib.sha256(f"{self._salt}:{sha256}".encode()).hexdigest()

    def _path(self, sha256: str) -> Path | None:
        if self.directory is None:
            return None
        key = self._key(sha256)
        return self.directory / key[:2] / f"{key}.json"

    def _shared_get(self, sha256: str) -> RawAnalysis | None:
        if self.shared is None:
            return None
        blob = self.shared.get(self._key(sha256))
        if blob is None:
            return None
        try:
            return _decode(json.loads(zlib.decompress(blob)))
        except (zlib.error, ValueError, KeyError, TypeError):
            return None  # damaged or foreign: analysed again, and overwritten

    def get(self, sha256: str) -> RawAnalysis | None:
        raw = self._memory.get(sha256)
        if raw is None:
            path = self._path(sha256)
            if path is not None:
                try:
                    raw = _decode(json.loads(path.read_text(encoding="utf-8")))
                except (OSError, ValueError, KeyError, TypeError):
                    raw = None
                if raw is not None:
                    self._memory[sha256] = raw
        if raw is None:
            raw = self._shared_get(sha256)
            if raw is not None:
                self._memory[sha256] = raw
                path = self._path(sha256)
                if path is not None:
                    write_json(path, _encode(raw))
        if raw is None:
            self.misses += 1
        else:
            self.hits += 1
        return raw

    def put(self, sha256: str, raw: RawAnalysis) -> None:
        self._memory[sha256] = raw
        path = self._path(sha256)
        if path is not None:
            write_json(path, _encode(raw))
        if self.shared is not None:
            self.shared.put(self._key(sha256), zlib.compress(
                json.dumps(_encode(raw), separators=(",", ":")).encode(), 6))


def write_json(path: Path, data: Any) -> None:
    """Write `data` as JSON atomically (temporary file + rename); a read-only or full disk
    only costs speed, never an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError:
        return


# --- JSON round trip -------------------------------------------------------------------------


def _loc(loc: Location) -> list[int | None]:
    return [loc.line, loc.column, loc.end_line, loc.end_column]


def _unloc(data: list[Any]) -> Location:
    return Location(int(data[0]), int(data[1]), data[2], data[3])


def _steps(steps: tuple[FlowStep, ...]) -> list[Any]:
    return [[_loc(s.location), s.description] for s in steps]


def _unsteps(data: list[Any]) -> tuple[FlowStep, ...]:
    return tuple(FlowStep(_unloc(loc), str(desc)) for loc, desc in data)


def _attr(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _unattr(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _encode(raw: RawAnalysis) -> dict[str, Any]:
    return {
        "facts": [[f.kind, _loc(f.location), {k: _attr(v) for k, v in f.attrs.items()},
                   _steps(f.flow)] for f in raw.facts],
        "sinks": [[s.sink, _loc(s.location), s.url, s.display, s.method, s.mode,
                   list(s.labels), _steps(s.steps), list(s.encoders)] for s in raw.sinks],
        "recovered": [[v, _loc(loc), via] for v, loc, via in raw.recovered],
        "parse_error": raw.parse_error,
        "stages": raw.stages,
        "obfuscation": [list(o) for o in raw.obfuscation],
        "notes": list(raw.notes),
        "dropped": list(raw.dropped),
        "units": [list(u) for u in raw.units],
    }


def _decode(data: dict[str, Any]) -> RawAnalysis:
    facts = tuple(
        Fact(kind, _unloc(loc), {k: _unattr(v) for k, v in attrs.items()}, _unsteps(steps))
        for kind, loc, attrs, steps in data["facts"]
    )
    sinks = tuple(
        RawSink(sink, _unloc(loc), url, display, method, mode, tuple(labels), _unsteps(steps),
                tuple(encoders))
        for sink, loc, url, display, method, mode, labels, steps, encoders in data["sinks"]
    )
    recovered = tuple((str(v), _unloc(loc), str(via)) for v, loc, via in data["recovered"])
    return RawAnalysis(
        facts, sinks, recovered, data["parse_error"], int(data["stages"]),
        tuple((str(m), int(s), int(ln), int(col)) for m, s, ln, col in data["obfuscation"]),
        tuple(data["notes"]), tuple(data.get("dropped", ())),
        tuple((int(a), int(b), int(c), int(d)) for a, b, c, d in data.get("units", ())),
    )
