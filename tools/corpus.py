#!/usr/bin/env python3
"""Fetch the real-world benign corpus: pinned browser bundles from the npm registry.

Why this exists: a skimmer detector is only worth running if it stays quiet on the code that
really sits next to checkout forms — payment SDKs, card-input masks, analytics, session replay,
chat widgets, error trackers, frameworks and consent managers. Those bundles do many things a
skimmer does (read inputs, serialise forms, inject scripts, beacon data out), so they are the
false-positive gate. `fixtures/corpus/manifest.json` pins each one by package, version, file path
inside the tarball and the sha256 of that file, so the gate scans exactly the same bytes on every
machine, and a change upstream shows up as a hash error here instead of a silently moving test.

Commands (`make corpus` runs `fetch`):
  fetch  download each tarball from the registry (cached in `<cache>/_tarballs/`), extract only
         the pinned file to `<cache>/<package>@<version>/<path>`, verify its sha256; idempotent.
  list   print the cached file paths, one per line, in manifest order (for other tools).
  pin    recompute sha256/size of every entry from its tarball and rewrite the manifest
         (for maintainers adding or bumping an entry: leave sha256/size out, then run pin).

The cache is `.cache/corpus` in the repository unless `SKIMSCAN_CORPUS_DIR` says otherwise;
the registry is https://registry.npmjs.org unless `SKIMSCAN_NPM_REGISTRY` says otherwise.
Only the standard library is used, so this runs before the project's own dependencies exist.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_RELPATH = Path("fixtures/corpus/manifest.json")
CACHE_RELPATH = Path(".cache/corpus")
TARBALL_DIRNAME = "_tarballs"  # npm package names cannot start with "_", so no clash
CORPUS_DIR_ENV = "SKIMSCAN_CORPUS_DIR"
REGISTRY_ENV = "SKIMSCAN_NPM_REGISTRY"
DEFAULT_REGISTRY = "https://registry.npmjs.org"

SCHEMA = 1
CATEGORIES = frozenset(
    {
        "payment-sdk",
        "card-input",
        "analytics",
        "session-replay",
        "chat",
        "error-tracking",
        "framework",
        "utility",
        "tag-consent",
    }
)
ENTRY_KEYS = ("package", "version", "path", "sha256", "category", "size")

TIMEOUT_S = 60.0  # per HTTP request
RETRIES = 3  # after the first attempt, for network errors and 5xx/408/429
BACKOFF_S = 0.5  # waits 0.5 s, 1 s, 2 s before the retries
JOBS = 4
MB = 1_000_000

_PACKAGE_RE = re.compile(r"^(?:@[a-z0-9~][a-z0-9._~-]*/)?[a-z0-9~][a-z0-9._~-]*$")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class CorpusError(Exception):
    """A problem with the manifest or one entry, worded as one line for a person."""


class CorpusNotFetchedError(CorpusError):
    """The cache lacks files the manifest pins (or holds stale ones): run `make corpus`."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One pinned file: `path` inside `package@version`'s tarball (under its `package/` dir)."""

    package: str
    version: str
    path: str
    sha256: str
    category: str
    size: int

    @property
    def key(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def label(self) -> str:
        return f"{self.key}:{self.path}"

    def tarball_url(self, registry: str) -> str:
        basename = self.package.rsplit("/", 1)[-1]
        return f"{registry.rstrip('/')}/{self.package}/-/{basename}-{self.version}.tgz"

    def tarball_path(self, cache: Path) -> Path:
        return cache / TARBALL_DIRNAME / f"{self.package.replace('/', '__')}-{self.version}.tgz"

    def file_path(self, cache: Path) -> Path:
        return cache / self.key / self.path


@dataclass(frozen=True, slots=True)
class Outcome:
    """What fetching one entry did: `error` is None on success."""

    entry: Entry
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """Outcomes in manifest order, and how many tarballs had to be downloaded."""

    outcomes: list[Outcome]
    downloaded: int

    @property
    def errors(self) -> list[str]:
        return [o.error for o in self.outcomes if o.error]

    def summary(self) -> str:
        """`corpus: 42 files, 5.3 MB, 0 downloaded` (plus `, N failed` when some failed)."""
        files, total_mb = len(self.outcomes), sum(o.entry.size for o in self.outcomes) / MB
        line = f"corpus: {files} files, {total_mb:.1f} MB, {self.downloaded} downloaded"
        return f"{line}, {len(self.errors)} failed" if self.errors else line


# --- locations -------------------------------------------------------------------------------


def cache_dir(root: Path = REPO_ROOT) -> Path:
    """The corpus cache: `$SKIMSCAN_CORPUS_DIR`, else `<root>/.cache/corpus` (absolute)."""
    override = os.environ.get(CORPUS_DIR_ENV)
    return Path(override).expanduser().resolve() if override else (root / CACHE_RELPATH).resolve()


def default_registry() -> str:
    return os.environ.get(REGISTRY_ENV) or DEFAULT_REGISTRY


# --- manifest --------------------------------------------------------------------------------


def load_manifest(path: Path, *, pinned: bool = True) -> list[Entry]:
    """Parse and validate the manifest; `pinned=False` lets sha256/size be absent (for `pin`)."""
    doc = _read_json(path)
    if doc.get("schema") != SCHEMA:
        raise CorpusError(f'{path}: expected "schema": {SCHEMA}, got {doc.get("schema")!r}')
    raw = doc.get("entries")
    if not isinstance(raw, list) or not raw:
        raise CorpusError(f'{path}: "entries" must be a non-empty list')
    entries = [_parse_entry(item, i, pinned) for i, item in enumerate(raw)]
    _check_unique(entries, path)
    return entries


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CorpusError(f"manifest not found: {path}") from exc
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path}: invalid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise CorpusError(f"{path}: top level must be an object")
    return doc


def _parse_entry(item: object, index: int, pinned: bool) -> Entry:
    where = f"entry {index}"
    if not isinstance(item, dict):
        raise CorpusError(f"{where}: must be an object")
    where = f"entry {index} ({item.get('package')}@{item.get('version')})"
    required = ENTRY_KEYS if pinned else ("package", "version", "path", "category")
    missing = [k for k in required if k not in item]
    unknown = sorted(set(item) - set(ENTRY_KEYS))
    if missing or unknown:
        raise CorpusError(f"{where}: missing keys {missing}, unknown keys {unknown}")
    entry = Entry(
        package=item["package"],
        version=item["version"],
        path=item["path"],
        sha256=item.get("sha256", ""),
        category=item["category"],
        size=item.get("size", 0),
    )
    problem = _entry_problem(entry, pinned)
    if problem:
        raise CorpusError(f"{where}: {problem}")
    return entry


def _entry_problem(entry: Entry, pinned: bool) -> str | None:
    if not isinstance(entry.package, str) or not _PACKAGE_RE.match(entry.package):
        return f"bad package name {entry.package!r}"
    if not isinstance(entry.version, str) or not _VERSION_RE.match(entry.version):
        return f"version must be exact (x.y.z), got {entry.version!r}"
    if not isinstance(entry.path, str) or not _is_safe_relpath(entry.path):
        return f"path must be relative inside the package, got {entry.path!r}"
    if entry.category not in CATEGORIES:
        return f"category {entry.category!r} is not one of {sorted(CATEGORIES)}"
    if pinned and not (isinstance(entry.sha256, str) and _SHA256_RE.match(entry.sha256)):
        return "sha256 must be 64 lowercase hex digits"
    if pinned and not (type(entry.size) is int and entry.size > 0):
        return "size must be a positive integer"
    return None


def _is_safe_relpath(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(path) and "\\" not in path and not pure.is_absolute() and ".." not in pure.parts


def _check_unique(entries: list[Entry], path: Path) -> None:
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if (entry.key, entry.path) in seen:
            raise CorpusError(f"{path}: duplicate entry {entry.label}")
        seen.add((entry.key, entry.path))


def write_manifest(path: Path, entries: Sequence[Entry], about: str) -> None:
    """Write the manifest with one entry per line, so a re-pin shows up as a one-line diff."""
    lines = [json.dumps(asdict(e), ensure_ascii=False) for e in entries]
    body = ",\n    ".join(lines)
    text = (
        "{\n"
        f'  "schema": {SCHEMA},\n'
        f'  "about": {json.dumps(about, ensure_ascii=False)},\n'
        f'  "entries": [\n    {body}\n  ]\n'
        "}\n"
    )
    _write_atomic(path, text.encode("utf-8"))


# --- files -----------------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_ok(path: Path, entry: Entry) -> bool:
    """True when `path` holds exactly the pinned bytes (size first, to skip hashing most misses)."""
    try:
        if path.stat().st_size != entry.size:
            return False
        return sha256_hex(path.read_bytes()) == entry.sha256
    except FileNotFoundError:
        return False


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_member(tarball: Path, path: str) -> bytes:
    """The bytes of `package/<path>` in an npm tarball, without extracting anything else."""
    name = f"package/{path}"
    with tarfile.open(tarball, "r:gz") as tar:
        try:
            member = tar.getmember(name)
        except KeyError:
            raise CorpusError(f"{name} is not in the tarball") from None
        if not member.isfile():
            raise CorpusError(f"{name} is not a regular file in the tarball")
        handle = tar.extractfile(member)
        assert handle is not None  # regular files always have a handle
        return handle.read()


# --- download --------------------------------------------------------------------------------


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = TIMEOUT_S,
    retries: int = RETRIES,
    backoff: float = BACKOFF_S,
) -> None:
    """Download `url` to `dest` atomically, retrying transient failures with backoff."""
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            _download_once(url, dest, timeout)
            return
        except urllib.error.HTTPError as exc:
            if not _is_transient(exc.code):
                raise CorpusError(f"HTTP {exc.code} for {url}") from None
            last = f"HTTP {exc.code}"
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, short reads
            last = f"{type(exc).__name__}: {exc}"
    raise CorpusError(f"download failed after {retries + 1} attempts: {url} ({last})")


def _is_transient(status: int) -> bool:
    return status >= 500 or status in (408, 429)


def _download_once(url: str, dest: Path, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "skimscan-corpus/1"})
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out, 1 << 16)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- fetching --------------------------------------------------------------------------------


class Fetcher:
    """Fetches entries into one cache; safe to share between threads.

    Entries from the same tarball share a lock, so a tarball is downloaded once even when
    several of its files are fetched at the same time.
    """

    def __init__(
        self, cache: Path, registry: str, *, retries: int = RETRIES, backoff: float = BACKOFF_S
    ) -> None:
        if not registry.startswith(("http://", "https://")):
            raise CorpusError(f"registry must be an http(s) URL, got {registry!r}")
        self.cache = cache
        self.registry = registry
        self.retries = retries
        self.backoff = backoff
        self.downloaded = 0  # tarballs downloaded so far
        self._guard = threading.Lock()
        self._locks: dict[Path, threading.Lock] = {}

    def fetch(self, entry: Entry) -> Outcome:
        """Make `entry`'s file present and verified; never raises for a per-entry problem."""
        try:
            return self._fetch(entry)
        except CorpusError as exc:
            return Outcome(entry, error=f"{entry.label}: {exc}")
        except OSError as exc:
            return Outcome(entry, error=f"{entry.label}: {type(exc).__name__}: {exc}")

    def extract(self, entry: Entry) -> bytes:
        """The entry's bytes from its tarball, which is downloaded unless already cached.

        npm never changes a published version, so a cached tarball is only re-downloaded when
        it cannot be read (cut short or corrupted); gzip's CRC catches damaged bytes.
        """
        fresh = self._ensure_tarball(entry, force=False)
        try:
            return read_member(entry.tarball_path(self.cache), entry.path)
        except (tarfile.TarError, EOFError, zlib.error):
            if fresh:
                raise CorpusError("downloaded tarball is not a readable .tgz") from None
        self._ensure_tarball(entry, force=True)
        return read_member(entry.tarball_path(self.cache), entry.path)

    def _fetch(self, entry: Entry) -> Outcome:
        dest = entry.file_path(self.cache)
        if _file_ok(dest, entry):
            return Outcome(entry)
        data = self.extract(entry)
        actual = sha256_hex(data)
        if actual != entry.sha256:
            raise CorpusError(
                f"sha256 mismatch: manifest has {entry.sha256}, file has {actual} "
                f"({len(data):,} bytes; manifest says {entry.size:,})"
            )
        _write_atomic(dest, data)
        return Outcome(entry)

    def _ensure_tarball(self, entry: Entry, *, force: bool) -> bool:
        """Download the entry's tarball unless cached (or `force`); True if it downloaded."""
        path = entry.tarball_path(self.cache)
        with self._lock_for(path):
            if path.exists() and not force:
                return False
            download(
                entry.tarball_url(self.registry),
                path,
                retries=self.retries,
                backoff=self.backoff,
            )
            with self._guard:
                self.downloaded += 1
            return True

    def _lock_for(self, path: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(path, threading.Lock())


def fetch_all(
    entries: Sequence[Entry],
    cache: Path,
    registry: str,
    *,
    jobs: int = JOBS,
    retries: int = RETRIES,
    backoff: float = BACKOFF_S,
) -> Report:
    """Fetch every entry with `jobs` threads; outcomes come back in manifest order."""
    fetcher = Fetcher(cache, registry, retries=retries, backoff=backoff)
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="corpus") as pool:
        outcomes = list(pool.map(fetcher.fetch, entries))
    return Report(outcomes, fetcher.downloaded)


# --- API for tests and the benchmark ---------------------------------------------------------


def corpus_files(
    root: Path, *, cache: Path | None = None, manifest: Path | None = None
) -> list[Path]:
    """The cached corpus files in manifest order, each verified against its pinned sha256.

    `root` is the repository root: the manifest is `<root>/fixtures/corpus/manifest.json` and the
    cache is `$SKIMSCAN_CORPUS_DIR` or `<root>/.cache/corpus` (either can be given explicitly).
    Raises CorpusNotFetchedError, naming the first missing file, when the corpus is not fetched.
    """
    entries = load_manifest(manifest or root / MANIFEST_RELPATH)
    cache = cache or cache_dir(root)
    bad = [e for e in entries if not _file_ok(e.file_path(cache), e)]
    if bad:
        raise CorpusNotFetchedError(
            f"corpus not fetched (or stale) in {cache}: {len(bad)} of {len(entries)} files "
            f"missing or changed, first {bad[0].label}; run `make corpus`"
        )
    return [e.file_path(cache) for e in entries]


# --- commands --------------------------------------------------------------------------------


def cmd_fetch(args: argparse.Namespace) -> int:
    entries = load_manifest(args.manifest)
    report = fetch_all(entries, args.cache_dir, args.registry, jobs=args.jobs)
    for error in report.errors:
        print(f"corpus: error: {error}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


def cmd_list(args: argparse.Namespace) -> int:
    for path in corpus_files(REPO_ROOT, cache=args.cache_dir, manifest=args.manifest):
        print(path)
    return 0


def cmd_pin(args: argparse.Namespace) -> int:
    entries = load_manifest(args.manifest, pinned=False)
    about = str(_read_json(args.manifest).get("about", ""))
    fetcher = Fetcher(args.cache_dir, args.registry)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs), thread_name_prefix="pin") as pool:
        repinned = list(pool.map(lambda e: _repin(fetcher, e), entries))
    for old, new in zip(entries, repinned, strict=True):
        if (old.sha256, old.size) != (new.sha256, new.size):
            print(f"pinned {new.label}: {new.size:,} bytes, sha256 {new.sha256}")
    write_manifest(args.manifest, repinned, about)
    print(f"corpus: pinned {len(repinned)} entries, {sum(e.size for e in repinned) / MB:.1f} MB")
    return 0


def _repin(fetcher: Fetcher, entry: Entry) -> Entry:
    try:
        data = fetcher.extract(entry)
    except CorpusError as exc:
        raise CorpusError(f"{entry.label}: {exc}") from None
    return replace(entry, sha256=sha256_hex(data), size=len(data))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpus.py", description="Fetch the pinned real-world benign JS corpus from npm."
    )
    parser.add_argument(
        "--manifest", type=Path, default=REPO_ROOT / MANIFEST_RELPATH, help="manifest JSON"
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help=f"cache (default ${CORPUS_DIR_ENV} or .cache)"
    )
    parser.add_argument(
        "--registry", default=None, help=f"npm registry base URL (default ${REGISTRY_ENV} or npmjs)"
    )
    parser.add_argument("--jobs", type=int, default=JOBS, help="parallel downloads")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download, extract and verify every pinned file")
    commands.add_parser("list", help="print cached file paths, one per line")
    commands.add_parser("pin", help="recompute sha256/size from tarballs and rewrite manifest")
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "fetch": cmd_fetch,
    "list": cmd_list,
    "pin": cmd_pin,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.cache_dir = args.cache_dir.resolve() if args.cache_dir else cache_dir()
    args.registry = args.registry or default_registry()
    try:
        return COMMANDS[args.command](args)
    except CorpusError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
