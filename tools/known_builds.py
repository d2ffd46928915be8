#!/usr/bin/env python3
"""Build `skimscan/analyze/known_builds.json`: the sha256 of pristine browser builds on npm.

Why this exists: checkout pages load the same builds of well-known libraries (jQuery, lodash,
React, Vue, Bootstrap ...) from CDNs over and over, and a full static analysis of a 300 KB library
costs far more than the skimmer next to it. A script whose sha256 equals that of a file in a
published npm tarball *is* that file, so the analyser may skip it (`skimscan.analyze.known`). A
copy with one byte appended or changed - a skimmer glued onto a real library - has another hash
and is always analysed. Identity is the hash of the whole file, never its name, URL or banner.

The selection below (`SELECTION`) pins every package *version* by hand: never "latest", so a
release published tomorrow (or a hijacked one) enters the table only when a maintainer adds it,
and the regenerated JSON shows up in review as a diff. Each row lists the files of the browser
builds inside the tarball (the ones a page loads with `<script src>`: UMD/IIFE/global builds);
source maps, ESM-only and CommonJS-only files, sources and tests are left out.

Commands:
  fetch  download each pinned tarball from the registry (cached in `.cache/known-builds/`),
         hash the selected files and write the table, a sorted JSON object mapping sha256 ->
         "package@version/path/in/tarball"; idempotent (cached tarballs are not downloaded again,
         an unchanged table is not rewritten); prints a one-line summary.
  list   print the table's entries, `sha256  package@version/path`, sorted by name.

The registry is https://registry.npmjs.org unless `SKIMSCAN_NPM_REGISTRY` says otherwise.
Downloading, caching and reading tarballs is tools/corpus.py's code. Only the standard library
is used, as in tools/corpus.py.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
import tarfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import corpus  # tools/corpus.py (this file's directory is on sys.path when run as a script)

TABLE_RELPATH = Path("skimscan/analyze/known_builds.json")
CACHE_RELPATH = Path(".cache/known-builds")  # tarballs in <cache>/_tarballs/, as corpus.py does
MAX_TABLE_BYTES = 1_000_000  # the table ships in the wheel and is read at every scan
KB = 1_000


@dataclass(frozen=True, slots=True)
class Pick:
    """The browser builds of `package`: each file matching one of `files` (globs relative to
    the package root, `*` never crossing `/`) in the tarball of each of `versions`. Every glob
    must match at least one file in every version, so a typo or a moved build is an error."""

    package: str
    versions: tuple[str, ...]
    files: tuple[str, ...]

    def labels(self) -> Iterable[str]:
        return (f"{self.package}@{v}" for v in self.versions)


def _pick(package: str, versions: str, files: str) -> Pick:
    return Pick(package, tuple(versions.split()), tuple(files.split()))


# The selection: libraries that shops load with <script src>, releases only (no prereleases).
# Not here: Prototype (not on npm; the `prototype` package is an unrelated Node port), jquery-ui
# before 1.13.2 (its npm tarball has no built bundle), React 19 (no UMD builds).
SELECTION: tuple[Pick, ...] = (
    _pick("jquery",
          "1.12.0 1.12.1 1.12.2 1.12.3 1.12.4 2.2.0 2.2.1 2.2.2 2.2.3 2.2.4",
          "dist/jquery.js dist/jquery.min.js"),
    _pick("jquery",
          "3.0.0 3.1.0 3.1.1 3.2.0 3.2.1 3.3.0 3.3.1 3.4.0 3.4.1 3.5.0 3.5.1 3.6.0 3.6.1 3.6.2"
          " 3.6.3 3.6.4 3.7.0 3.7.1 3.8.0 4.0.0 4.1.0",
          "dist/jquery.js dist/jquery.min.js dist/jquery.slim.js dist/jquery.slim.min.js"),
    _pick("jquery-migrate",
          "1.4.0 1.4.1 3.0.0 3.0.1 3.1.0 3.2.0 3.3.0 3.3.1 3.3.2 3.4.0 3.4.1 3.5.0 3.5.2 3.6.0"
          " 4.0.2",
          "dist/jquery-migrate.js dist/jquery-migrate.min.js"),
    _pick("jquery-ui",
          "1.13.2 1.13.3 1.14.0 1.14.1 1.14.2",
          "dist/jquery-ui.js dist/jquery-ui.min.js"),
    _pick("lodash",
          "4.17.4 4.17.5 4.17.10 4.17.11 4.17.15 4.17.19 4.17.20 4.17.21 4.17.23 4.18.0 4.18.1",
          "lodash.js lodash.min.js core.js core.min.js"),
    _pick("underscore",
          "1.8.3 1.9.1 1.9.2 1.10.2 1.11.0 1.12.1",
          "underscore.js underscore-min.js"),
    _pick("underscore",
          "1.13.0 1.13.1 1.13.2 1.13.3 1.13.4 1.13.5 1.13.6 1.13.7 1.13.8",
          "underscore.js underscore-min.js underscore-umd.js underscore-umd-min.js"),
    _pick("react",
          "16.12.0 16.13.0 16.13.1 16.14.0 17.0.0 17.0.1 17.0.2 18.0.0 18.1.0 18.2.0 18.3.0"
          " 18.3.1",
          "umd/react.development.js umd/react.production.min.js umd/react.profiling.min.js"),
    _pick("react-dom",
          "16.12.0 16.13.0 16.13.1 16.14.0 17.0.0 17.0.1 17.0.2 18.0.0 18.1.0 18.2.0 18.3.0"
          " 18.3.1",
          "umd/react-dom.development.js umd/react-dom.production.min.js"
          " umd/react-dom.profiling.min.js"),
    _pick("vue",
          "2.6.10 2.6.11 2.6.12 2.6.13 2.6.14 2.7.14 2.7.15 2.7.16",
          "dist/vue.js dist/vue.min.js dist/vue.runtime.js dist/vue.runtime.min.js"),
    _pick("vue",
          "3.2.47 3.3.13 3.4.38 3.5.43 3.5.44 3.5.45 3.5.46 3.5.47",
          "dist/vue.global.js dist/vue.global.prod.js dist/vue.runtime.global.js"
          " dist/vue.runtime.global.prod.js"),
    _pick("bootstrap",
          "3.3.7 3.4.0 3.4.1",
          "dist/js/bootstrap.js dist/js/bootstrap.min.js"),
    _pick("bootstrap",
          "4.6.0 4.6.1 4.6.2 5.0.2 5.1.3 5.2.3 5.3.0 5.3.1 5.3.2 5.3.3 5.3.4 5.3.5 5.3.6 5.3.7"
          " 5.3.8 5.3.9",
          "dist/js/bootstrap.js dist/js/bootstrap.min.js dist/js/bootstrap.bundle.js"
          " dist/js/bootstrap.bundle.min.js"),
    _pick("popper.js",
          "1.14.3 1.14.7 1.15.0 1.16.0 1.16.1",
          "dist/umd/popper.js dist/umd/popper.min.js dist/umd/popper-utils.js"
          " dist/umd/popper-utils.min.js"),
    _pick("@popperjs/core",
          "2.9.2 2.9.3 2.10.2 2.11.6 2.11.7 2.11.8",
          "dist/umd/popper.js dist/umd/popper.min.js dist/umd/popper-lite.js"
          " dist/umd/popper-lite.min.js dist/umd/popper-base.js dist/umd/popper-base.min.js"),
    _pick("moment",
          "2.24.0 2.29.1 2.29.3 2.29.4 2.30.0 2.30.1 2.31.0",
          "moment.js min/moment.min.js min/moment-with-locales.js min/moment-with-locales.min.js"
          " min/locales.js min/locales.min.js"),
    _pick("requirejs", "2.3.5 2.3.6 2.3.7 2.3.8", "require.js"),
    _pick("knockout",
          "3.4.2 3.5.0 3.5.1 3.5.2 3.5.3",
          "build/output/knockout-latest.js build/output/knockout-latest.debug.js"),
    _pick("swiper", "4.5.1", "dist/js/swiper.js dist/js/swiper.min.js"),
    _pick("swiper", "5.4.5", "js/swiper.js js/swiper.min.js"),
    _pick("swiper", "6.8.4 8.4.7", "swiper-bundle.js swiper-bundle.min.js"),
    _pick("swiper",
          "9.4.1 10.3.1 11.2.10 12.1.4 14.2.0 14.3.0 14.4.0",
          "swiper-bundle.js swiper-bundle.min.js swiper-element-bundle.js"
          " swiper-element-bundle.min.js"),
    _pick("slick-carousel", "1.8.0 1.8.1 2.0.0", "slick/slick.js slick/slick.min.js"),
    _pick("select2",
          "4.0.10 4.0.12 4.0.13 4.1.0",
          "dist/js/select2.js dist/js/select2.min.js dist/js/select2.full.js"
          " dist/js/select2.full.min.js"),
    _pick("axios", "0.27.2 1.19.0 1.20.0 1.21.0 1.21.1", "dist/axios.js dist/axios.min.js"),
    _pick("alpinejs", "2.8.2", "dist/alpine.js dist/alpine-ie11.js"),
    _pick("alpinejs",
          "3.14.9 3.15.12 3.16.3 3.17.3 3.17.4 3.17.5",
          "dist/cdn.js dist/cdn.min.js"),
    _pick("htmx.org",
          "1.9.10 1.9.12 2.0.8 2.0.9 2.0.10 2.0.11 4.0.0 4.0.1",
          "dist/htmx.js dist/htmx.min.js"),
    _pick("core-js-bundle",
          "3.46.0 3.47.0 3.48.0 3.49.0 3.50.0 3.51.0",
          "index.js minified.js"),
)

# Never browser builds, whatever a glob says (checked on the file name).
EXCLUDED_NAMES = ("*.map", "*.d.ts", "*.mjs", "*.cjs", "*.esm.js", "*.esm.min.js", "*.cjs.js")

_RELEASE_RE = re.compile(r"^\d+\.\d+\.\d+$")  # x.y.z: prereleases and build tags are refused
_LABEL_RE = re.compile(
    r"^(?:@[a-z0-9~][a-z0-9._~-]*/)?[a-z0-9~][a-z0-9._~-]*@\d+\.\d+\.\d+/[^\s\\]+$"
)


class KnownBuildsError(corpus.CorpusError):
    """A problem with the selection or one tarball, worded as one line for a person."""


@dataclass(frozen=True, slots=True)
class Build:
    """One file of one published version: its sha256, size and `package@version/path`."""

    sha256: str
    size: int
    label: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one pinned version gave: its builds and tarball size, or an error."""

    label: str
    builds: tuple[Build, ...] = ()
    tarball_bytes: int = 0
    error: str | None = None


# --- the selection ---------------------------------------------------------------------------


def check_selection(selection: Sequence[Pick]) -> None:
    """Refuse a selection that is not well formed: bad names, versions that are not exact
    releases, versions listed twice or not oldest first (per package, across rows), globs that
    leave the package or name excluded files."""
    newest: dict[str, tuple[int, ...]] = {}  # package -> its last version so far
    for pick in selection:
        where = f"selection: {pick.package}"
        if not corpus._PACKAGE_RE.match(pick.package):
            raise KnownBuildsError(f"{where}: bad package name")
        if not pick.versions or not pick.files:
            raise KnownBuildsError(f"{where}: needs versions and files")
        for version in pick.versions:
            if not _RELEASE_RE.match(version):
                raise KnownBuildsError(f"{where}: {version!r} is not an exact release (x.y.z)")
            number = tuple(int(n) for n in version.split("."))
            if number <= newest.get(pick.package, ()):
                raise KnownBuildsError(
                    f"{where}: {version} is listed twice or out of order (oldest first)"
                )
            newest[pick.package] = number
        for glob in pick.files:
            if not corpus._is_safe_relpath(glob) or "**" in glob or not glob.endswith(".js"):
                raise KnownBuildsError(f"{where}: file glob {glob!r} is not a relative *.js path")
            if _excluded(glob):
                raise KnownBuildsError(f"{where}: file glob {glob!r} names an excluded file")


def matches(path: str, glob: str) -> bool:
    """True when `path` matches `glob` segment by segment (`*` never crosses a `/`)."""
    parts, globs = path.split("/"), glob.split("/")
    return len(parts) == len(globs) and all(
        fnmatch.fnmatchcase(p, g) for p, g in zip(parts, globs, strict=True)
    )


def _excluded(path: str) -> bool:
    name = PurePosixPath(path).name
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in EXCLUDED_NAMES)


# --- hashing tarballs ------------------------------------------------------------------------


def _tarball_entry(package: str, version: str) -> corpus.Entry:
    """A corpus entry standing for the tarball of `package@version` (its package.json), so the
    corpus fetcher's download, cache and re-download-when-damaged are reused as they are."""
    return corpus.Entry(package, version, "package.json", sha256="", category="utility", size=0)


def builds_of(fetcher: corpus.Fetcher, pick: Pick, version: str) -> Outcome:
    """Hash the selected files of one version's tarball; never raises for a per-version problem."""
    label = f"{pick.package}@{version}"
    try:
        builds, size = _builds_of(fetcher, pick, version)
    except (corpus.CorpusError, OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        return Outcome(label, error=f"{label}: {exc}")
    return Outcome(label, builds, size)


def _builds_of(fetcher: corpus.Fetcher, pick: Pick, version: str) -> tuple[tuple[Build, ...], int]:
    entry = _tarball_entry(pick.package, version)
    try:  # reading package.json downloads the tarball unless cached
        manifest = json.loads(fetcher.extract(entry))
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise KnownBuildsError(f"package.json is not JSON: {exc}") from None
    held = (manifest.get("name"), manifest.get("version")) if isinstance(manifest, dict) else ()
    if held != (pick.package, version):
        raise KnownBuildsError(f"tarball holds {'@'.join(map(str, held))}, not {entry.key}")
    tarball = entry.tarball_path(fetcher.cache)
    found: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            path = member.name.removeprefix("package/")
            if not any(matches(path, glob) for glob in pick.files) or _excluded(path):
                continue
            if not member.isfile():
                raise KnownBuildsError(f"{member.name} is not a regular file")
            if path in found:
                raise KnownBuildsError(f"{member.name} is in the tarball twice")
            handle = tar.extractfile(member)
            assert handle is not None  # regular files always have a handle
            found[path] = handle.read()
    missing = [g for g in pick.files if not any(matches(p, g) for p in found)]
    if missing:
        raise KnownBuildsError(f"no file matches {', '.join(missing)}")
    empty = sorted(p for p, data in found.items() if not data)
    if empty:
        raise KnownBuildsError(f"empty file {empty[0]}")
    builds = tuple(
        Build(corpus.sha256_hex(data), len(data), f"{entry.key}/{path}")
        for path, data in sorted(found.items())
    )
    return builds, tarball.stat().st_size


def fetch_all(
    selection: Sequence[Pick], cache: Path, registry: str, *, jobs: int = corpus.JOBS
) -> tuple[list[Outcome], int]:
    """Hash every pinned version (`jobs` at a time); outcomes in selection order, and how many
    tarballs had to be downloaded."""
    check_selection(selection)
    fetcher = corpus.Fetcher(cache, registry)
    work = [(pick, version) for pick in selection for version in pick.versions]
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="known") as pool:
        outcomes = list(pool.map(lambda pv: builds_of(fetcher, *pv), work))
    return outcomes, fetcher.downloaded


def build_table(outcomes: Iterable[Outcome]) -> dict[str, str]:
    """sha256 -> label, sorted by hash; bytes published more than once keep their first label
    in selection order (versions are listed oldest first, so the oldest release that has them)."""
    table: dict[str, str] = {}
    for outcome in outcomes:
        for build in outcome.builds:
            table.setdefault(build.sha256, build.label)
    return dict(sorted(table.items()))


def table_text(table: dict[str, str]) -> str:
    """The JSON file: one entry per line, so a new version shows up as added lines in a diff."""
    bad = [label for label in table.values() if not _LABEL_RE.match(label)]
    if bad:
        raise KnownBuildsError(f"malformed label {bad[0]!r}")
    return json.dumps(table, indent=0, sort_keys=True, ensure_ascii=False) + "\n"


def read_table(path: Path) -> dict[str, str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KnownBuildsError(f"table not found: {path}; run `known_builds.py fetch`") from exc
    except json.JSONDecodeError as exc:
        raise KnownBuildsError(f"{path}: invalid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in doc.items()
    ):
        raise KnownBuildsError(f"{path}: must be an object of sha256 -> name strings")
    return doc


# --- commands --------------------------------------------------------------------------------


def cmd_fetch(args: argparse.Namespace) -> int:
    outcomes, downloaded = fetch_all(SELECTION, args.cache_dir, args.registry, jobs=args.jobs)
    errors = [o.error for o in outcomes if o.error]
    for error in errors:
        print(f"known-builds: error: {error}", file=sys.stderr)
    if errors:  # a partial table would silently drop libraries: keep the old one
        print(f"known-builds: {len(errors)} of {len(outcomes)} versions failed; table not written",
              file=sys.stderr)
        return 1
    table = build_table(outcomes)
    data = table_text(table).encode("utf-8")
    if len(data) > MAX_TABLE_BYTES:
        raise KnownBuildsError(
            f"table would be {len(data):,} bytes, over {MAX_TABLE_BYTES:,}: pin fewer versions"
        )
    try:
        unchanged = args.table.read_bytes() == data
    except FileNotFoundError:
        unchanged = False
    if not unchanged:
        corpus._write_atomic(args.table, data)
        args.table.chmod(0o644)  # a file of the repository and the wheel, not a private temp file
    files = sum(len(o.builds) for o in outcomes)
    packages = len({label.rpartition("@")[0] for label in (o.label for o in outcomes)})
    build_bytes = sum(b.size for o in outcomes for b in o.builds)
    tarball_bytes = sum(o.tarball_bytes for o in outcomes)
    print(
        f"known-builds: {files} files ({len(table)} distinct), {packages} packages,"
        f" {len(outcomes)} versions, {build_bytes / corpus.MB:.1f} MB of builds from"
        f" {tarball_bytes / corpus.MB:.1f} MB of tarballs ({downloaded} downloaded);"
        f" {_display(args.table)} {len(data) / KB:.0f} KB {'unchanged' if unchanged else 'written'}"
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    table = read_table(args.table)
    for sha256, label in sorted(table.items(), key=lambda item: (item[1], item[0])):
        print(f"{sha256}  {label}")
    return 0


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(corpus.REPO_ROOT))
    except ValueError:
        return str(path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="known_builds.py",
        description="Hash pinned browser builds of well-known libraries from npm.",
    )
    parser.add_argument("--table", type=Path, default=corpus.REPO_ROOT / TABLE_RELPATH,
                        help=f"the JSON table (default {TABLE_RELPATH})")
    parser.add_argument("--cache-dir", type=Path, default=corpus.REPO_ROOT / CACHE_RELPATH,
                        help=f"tarball cache (default {CACHE_RELPATH})")
    parser.add_argument("--registry", default=None,
                        help=f"npm registry base URL (default ${corpus.REGISTRY_ENV} or npmjs)")
    parser.add_argument("--jobs", type=int, default=corpus.JOBS, help="parallel downloads")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download the pinned tarballs and write the table")
    commands.add_parser("list", help="print the table: sha256 and name, sorted by name")
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"fetch": cmd_fetch, "list": cmd_list}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.cache_dir = args.cache_dir.resolve()
    args.registry = args.registry or corpus.default_registry()
    try:
        return COMMANDS[args.command](args)
    except corpus.CorpusError as exc:
        print(f"known-builds: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
