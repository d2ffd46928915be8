"""STAGE 2 (extract) — files on disk as analysable scripts.

Folders are walked recursively for `.js`/`.mjs`/`.cjs`/`.html`/`.htm`; a file named on the
command line is analysed whatever its extension. Reading never raises: a file that cannot be
read, is binary, or is not text becomes a `FileProblem` with a reason, so one bad file never
stops the others. Invalid UTF-8 is decoded with replacement characters (as a browser would)
and noted, because a skimmer in a Latin-1 file must still be analysed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from skimscan.extract.html import document_program, parse_html
from skimscan.models import ScriptKind, ScriptSource

SCRIPT_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
HAR_SUFFIXES = frozenset({".har"})
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__", ".cache"})
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class FileTarget:
    """One file to report on, with the scripts it holds (or the reason it has none)."""

    path: str
    scripts: tuple[ScriptSource, ...]
    error: str | None = None
    notes: tuple[str, ...] = ()


def discover(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str | None]]:
    """Yield (file, problem) for every file to scan, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if any(part in _SKIP_DIRS for part in child.relative_to(path).parts[:-1]):
                    continue
                if child.is_file() and child.suffix.lower() in (
                    SCRIPT_SUFFIXES | HTML_SUFFIXES | HAR_SUFFIXES
                ):
                    yield child, None
        elif path.is_file():
            yield path, None
        elif path.exists():
            yield path, "not a regular file"
        else:
            yield path, "no such file or directory"


def sha256_text(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def make_source(sid: str, code: str, url: str | None, kind: ScriptKind,
                line_offset: int = 0, frame: str | None = None) -> ScriptSource:
    data = code.encode("utf-8", "surrogatepass")
    return ScriptSource(id=sid, code=code, url=url, kind=kind, frame=frame,
                        line_offset=line_offset, sha256=hashlib.sha256(data).hexdigest(),
                        size=len(data))


def read_text(path: Path) -> tuple[str | None, str | None, tuple[str, ...]]:
    """(text, error, notes) — never raises."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit", ()
        data = path.read_bytes()
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}", ()
    if b"\x00" in data[:8192]:
        return None, "binary file (contains NUL bytes), not a script or HTML document", ()
    try:
        return data.decode("utf-8-sig"), None, ()
    except UnicodeDecodeError as exc:
        note = (f"invalid UTF-8 at byte {exc.start}; decoded with replacement characters, "
                "as a browser would")
        return data.decode("utf-8", errors="replace"), None, (note,)


def load_file(path: Path) -> FileTarget:
    """Read one file into scripts: the whole file for JavaScript, the scripts of HTML."""
    text, error, notes = read_text(path)
    if text is None:
        return FileTarget(str(path), (), error, notes)
    if path.suffix.lower() in HAR_SUFFIXES:
        return load_har(path, text, notes)
    if path.suffix.lower() not in HTML_SUFFIXES:
        return FileTarget(str(path), (make_source("s1", text, str(path), ScriptKind.FILE),), None,
                          notes)
    doc = parse_html(text)
    scripts: list[ScriptSource] = []
    extra = list(notes)
    if doc.scripts:
        # One program for everything the document runs inline (see `document_program`).
        kinds = sorted({s.kind for s in doc.scripts})
        scripts.append(make_source("s1", document_program(doc.scripts),
                                   f"{path}#document-scripts", ScriptKind.INLINE))
        extra.append(f"inline code ({len(doc.scripts)} piece(s): {', '.join(kinds)}) analysed "
                     "as one program at its document lines")
    for src, _integrity, line in doc.external:
        if "//" in src or src.startswith(("data:", "blob:")):
            extra.append(f"line {line}: external script {src} not fetched (scan-file reads "
                         "local files only)")
            continue
        local = (path.parent / src.split("?", 1)[0].split("#", 1)[0].lstrip("/")).resolve()
        sub_text, sub_error, sub_notes = read_text(local)
        if sub_text is None:
            extra.append(f"line {line}: <script src={src}>: {sub_error}")
            continue
        extra.extend(sub_notes)
        sid = f"s{len(scripts) + 1}"
        scripts.append(make_source(sid, sub_text, str(local), ScriptKind.EXTERNAL))
    return FileTarget(str(path), tuple(scripts), None, tuple(extra))


def load_har(path: Path, text: str, notes: tuple[str, ...] = ()) -> FileTarget:
    """Scripts recorded in a HAR file (browser devtools "Save all as HAR"): every response with
    a JavaScript MIME type, and the inline scripts and handlers of every HTML document."""
    try:
        entries = json.loads(text)["log"]["entries"]
        if not isinstance(entries, list):
            raise TypeError("entries is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        return FileTarget(str(path), (), f"not a HAR file: {exc}", notes)
    scripts: list[ScriptSource] = []
    extra = list(notes)
    for i, entry in enumerate(entries):
        try:
            url = str(entry["request"]["url"])
            content = entry["response"].get("content") or {}
            mime = str(content.get("mimeType") or "").lower()
            body = content.get("text")
            if body is None:
                continue
            if content.get("encoding") == "base64":
                body = base64.b64decode(body).decode("utf-8", errors="replace")
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            extra.append(f"HAR entry {i + 1}: skipped ({exc})")
            continue
        if "javascript" in mime or "ecmascript" in mime:
            scripts.append(make_source(f"s{len(scripts) + 1}", str(body), url,
                                       ScriptKind.EXTERNAL))
        elif "html" in mime:
            doc = parse_html(str(body))
            if doc.scripts:
                scripts.append(make_source(f"s{len(scripts) + 1}", document_program(doc.scripts),
                                           f"{url}#document-scripts", ScriptKind.INLINE))
    if not scripts:
        extra.append("the HAR file holds no script bodies (save it with content)")
    return FileTarget(str(path), tuple(scripts), None, tuple(extra))
