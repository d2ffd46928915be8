"""STAGE 2 (extract) — files on disk as analysable scripts.

Folders are walked recursively for `.js`/`.mjs`/`.cjs`/`.html`/`.htm`; a file named on the
command line is analysed whatever its extension. Reading never raises: a file that cannot be
read, is binary, or is not text becomes a `FileTarget` with an error, so one bad file never
stops the others — and so does a folder entry whose `stat()` fails or a folder that cannot be
listed. Bytes are decoded as a browser decodes a script: a byte-order mark (UTF-8, UTF-16 LE/BE)
first, else UTF-8, invalid sequences replaced (and noted), because a skimmer in a Latin-1 file
must still be analysed.

Invariant: nothing outside the scanned root is read. The root of a folder is the folder; of a
file named on its own, its folder; `--root DIR` (the `extra_root` of `discover`) widens both. A
local `<script src>` that resolves outside it (`../../etc/shadow`, an absolute path, a symlink)
is a note on the HTML target, never a read; a symlink inside a folder that points outside it is
an error target, never followed (a file a web server would serve must not look clean unread).
Only regular files are opened (a FIFO would block the scan, a device never ends).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from skimscan.extract.html import document_program, parse_html
from skimscan.models import ScriptKind, ScriptSource

SCRIPT_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
HAR_SUFFIXES = frozenset({".har"})
SCANNED_SUFFIXES = SCRIPT_SUFFIXES | HTML_SUFFIXES | HAR_SUFFIXES
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__", ".cache"})
MAX_FILE_BYTES = 256 * 1024 * 1024

#: Byte-order marks, checked before anything else as a browser does (WHATWG Encoding, "BOM
#: sniff"); without one a script is UTF-8. Each row: (mark, codec, name in notes).
BYTE_ORDER_MARKS = (
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16LE"),
    (b"\xfe\xff", "utf-16-be", "UTF-16BE"),
)

#: File types other than regular files, as a user would name them in an error.
_FILE_TYPES = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
               (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"))


@dataclass(frozen=True)
class FileTarget:
    """One file to report on, with the scripts it holds (or the reason it has none)."""

    path: str
    scripts: tuple[ScriptSource, ...]
    error: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Found:
    """A path `discover` turned up: a file to load, or why it will not be (`problem`).

    `roots` are the resolved folders its local `<script src>` may read from: the scanned folder
    (or the file's own folder) and `--root`, if given."""

    path: Path
    roots: tuple[Path, ...]
    problem: str | None = None


def discover(paths: Iterable[str | Path] | str | Path,
             extra_root: str | Path | None = None) -> Iterator[Found]:
    """Every file to scan, in a stable order (folders sorted by name). A single path (a `str`
    or `Path`) is one path, not a sequence of characters."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    extra = (_resolved(Path(extra_root)),) if extra_root is not None else ()
    for raw in paths:
        yield from _discover_one(Path(raw), extra)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        return Path(os.path.abspath(path))


def _inside(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _describe(roots: tuple[Path, ...]) -> str:
    return "the scanned root " + " and ".join(str(r) for r in roots)


def _stat_problem(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file or directory"
    if exc.errno == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    return f"cannot read: {exc.strerror or exc}"


def _not_regular(mode: int) -> str:
    kind = next((name for test, name in _FILE_TYPES if test(mode)), "a special file")
    return f"not a regular file ({kind})"


def _discover_one(path: Path, extra: tuple[Path, ...]) -> Iterator[Found]:
    """A path named by the caller: followed even when it is a symlink (it was asked for)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        yield Found(path, (_resolved(path.parent), *extra), _stat_problem(exc))
        return
    except RuntimeError:
        yield Found(path, (_resolved(path.parent), *extra),
                    "symlink loop (too many levels of symbolic links)")
        return
    if stat.S_ISDIR(mode):
        root = _resolved(path)
        yield from _walk(path, (root, *extra), {root})
    elif stat.S_ISREG(mode):
        yield Found(path, (_resolved(path.parent), *extra))
    else:
        yield Found(path, (_resolved(path.parent), *extra), _not_regular(mode))


def _walk(folder: Path, roots: tuple[Path, ...], seen: set[Path]) -> Iterator[Found]:
    """A folder's scannable files, depth first, by name. `roots[0]` is the scanned folder;
    symlinks are not followed out of `roots`, and a folder is walked once (`seen`)."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        yield Found(folder, roots, f"cannot list folder: {exc.strerror or exc}")
        return
    for entry in entries:
        child = folder / entry.name
        try:
            if entry.is_symlink():
                yield from _symlink(child, roots, seen)
            elif entry.is_dir(follow_symlinks=False):
                real = _resolved(child)
                if entry.name not in _SKIP_DIRS and real not in seen:
                    seen.add(real)
                    yield from _walk(child, roots, seen)
            elif child.suffix.lower() in SCANNED_SUFFIXES:
                mode = entry.stat(follow_symlinks=False).st_mode
                yield Found(child, roots, None if stat.S_ISREG(mode) else _not_regular(mode))
        except OSError as exc:  # stat() failed: it may be a script or a folder of them
            yield Found(child, roots, _stat_problem(exc))


def _symlink(link: Path, roots: tuple[Path, ...], seen: set[Path]) -> Iterator[Found]:
    """A symlink met while walking: followed only when it points inside `roots`."""
    try:
        target = link.resolve(strict=True)
        mode = target.stat().st_mode
    except OSError as exc:
        if link.suffix.lower() in SCANNED_SUFFIXES or exc.errno == errno.ELOOP:
            yield Found(link, roots, "broken symlink: " + _stat_problem(exc))
        return
    except RuntimeError:
        yield Found(link, roots, "symlink loop (too many levels of symbolic links)")
        return
    if not _inside(target, roots):
        if stat.S_ISDIR(mode) or link.suffix.lower() in SCANNED_SUFFIXES:
            yield Found(link, roots, f"symlink to {target}, outside {_describe(roots)}: "
                        "not followed (--root DIR widens the scanned root)")
        return
    if stat.S_ISDIR(mode):
        # Inside the scanned folder the walk reaches it at its real path; only a folder that
        # `--root` lets in is walked through the link (once, even if linked twice).
        if target not in seen and not _inside(target, roots[:1]) and link.name not in _SKIP_DIRS:
            seen.add(target)
            yield from _walk(link, roots, seen)
    elif link.suffix.lower() in SCANNED_SUFFIXES:
        yield Found(link, roots, None if stat.S_ISREG(mode) else _not_regular(mode))


def sha256_text(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def make_source(sid: str, code: str, url: str | None, kind: ScriptKind,
                line_offset: int = 0, frame: str | None = None) -> ScriptSource:
    data = code.encode("utf-8", "surrogatepass")
    return ScriptSource(id=sid, code=code, url=url, kind=kind, frame=frame,
                        line_offset=line_offset, sha256=hashlib.sha256(data).hexdigest(),
                        size=len(data))


def decode_script(data: bytes) -> tuple[str, tuple[str, ...]]:
    """(text, notes): bytes decoded as a browser decodes a script served without a charset —
    a byte-order mark decides (UTF-8, UTF-16 LE or BE), else UTF-8; invalid sequences become
    replacement characters, and a note says so."""
    codec, name, offset = "utf-8", "UTF-8", 0
    for mark, mark_codec, mark_name in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            codec, name, offset = mark_codec, mark_name, len(mark)
            break
    body = data[offset:]
    try:
        return body.decode(codec), ()
    except UnicodeDecodeError as exc:
        note = (f"invalid {name} at byte {exc.start + offset}; decoded with replacement "
                "characters, as a browser would")
        return body.decode(codec, errors="replace"), (note,)


def read_text(path: Path) -> tuple[str | None, str | None, tuple[str, ...]]:
    """(text, error, notes) — never raises, never opens anything but a regular file."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, _not_regular(info.st_mode), ()
        if info.st_size > MAX_FILE_BYTES:
            return None, (f"file is {info.st_size:,} bytes, over the {MAX_FILE_BYTES:,}-byte "
                          "limit"), ()
        data = path.read_bytes()
    except OSError as exc:
        return None, _stat_problem(exc), ()
    except RuntimeError:
        return None, "symlink loop (too many levels of symbolic links)", ()
    has_mark = any(data.startswith(mark) for mark, _, _ in BYTE_ORDER_MARKS)
    if not has_mark and b"\x00" in data[:8192]:
        return None, "binary file (contains NUL bytes), not a script or HTML document", ()
    text, notes = decode_script(data)
    return text, None, notes


def load_file(path: Path, roots: tuple[Path, ...] = ()) -> FileTarget:
    """Read one file into scripts: the whole file for JavaScript, the scripts of HTML. `roots`
    bound the local `<script src>` an HTML file may read (default: the file's folder)."""
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
    roots = roots or (_resolved(path.parent),)
    for src, _integrity, line in doc.external:
        source, src_notes = _local_script(path, src, line, roots, f"s{len(scripts) + 1}")
        extra.extend(src_notes)
        if source is not None:
            scripts.append(source)
    return FileTarget(str(path), tuple(scripts), None, tuple(extra))


def _local_script(page: Path, src: str, line: int, roots: tuple[Path, ...],
                  sid: str) -> tuple[ScriptSource | None, list[str]]:
    """The script a `<script src>` names, read only when it resolves inside `roots`; else the
    note that says why it was not read."""
    if "//" in src or src.startswith(("data:", "blob:")):
        return None, [f"line {line}: external script {src} not fetched (scan-file reads "
                      "local files only)"]
    relative = unquote(src.split("?", 1)[0].split("#", 1)[0]).lstrip("/")
    local = _resolved(page.parent / relative)
    if not _inside(local, roots):
        return None, [f"line {line}: <script src={src}>: resolves outside {_describe(roots)}; "
                      "not read (--root DIR widens the scanned root)"]
    text, error, notes = read_text(local)
    if text is None:
        return None, [f"line {line}: <script src={src}>: {error}"]
    return make_source(sid, text, str(local), ScriptKind.EXTERNAL), list(notes)


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
