"""Tests of tools/corpus.py, the fetcher of the real-world benign corpus (not of the scanner).

Nothing here touches the internet: the "registry" is a local http.server on 127.0.0.1 serving
tarballs built in a tmp dir, and only the real manifest's structure is checked, not its files.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "tools"))

import corpus  # noqa: E402

LIB_JS = b"(function(){window.lib={version:'1.0.0'};})();\n"
OTHER_JS = b"var other = 1;\n"
WIDGET_JS = b"!function(){document.title='widget'}();\n"


# --- a fake registry -------------------------------------------------------------------------


class FakeRegistry(ThreadingHTTPServer):
    """Serves `files` (URL path -> bytes); `fail` makes a path answer 503 that many times."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.fail: dict[str, int] = {}
        self.hits: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeRegistry

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.hits.append(self.path)
            failing = self.server.fail.get(self.path, 0)
            if failing:
                self.server.fail[self.path] = failing - 1
        body = self.server.files.get(self.path)
        status = 503 if failing else (200 if body is not None else 404)
        body = body if status == 200 and body is not None else b"no"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    server = FakeRegistry()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def make_tarball(files: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    """An npm-style .tgz: every name is put under `package/`."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(f"package/{name}")
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def entry_dict(package: str, path: str, data: bytes, **over: Any) -> dict[str, Any]:
    entry = {
        "package": package,
        "version": "1.0.0",
        "path": path,
        "sha256": hashlib.sha256(data).hexdigest(),
        "category": "utility",
        "size": len(data),
    }
    entry.update(over)
    return entry


def write_manifest(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"schema": 1, "about": "test", "entries": entries}))
    return path


@pytest.fixture
def published(registry: FakeRegistry) -> FakeRegistry:
    """`lib@1.0.0` (two files plus a symlink) and scoped `@acme/widget@1.0.0` on the registry."""
    registry.files["/lib/-/lib-1.0.0.tgz"] = make_tarball(
        {"package.json": b"{}", "dist/lib.js": LIB_JS, "dist/other.js": OTHER_JS},
        symlinks={"dist/link.js": "lib.js"},
    )
    registry.files["/@acme/widget/-/widget-1.0.0.tgz"] = make_tarball(
        {"dist/widget.min.js": WIDGET_JS}
    )
    return registry


def good_entries() -> list[dict[str, Any]]:
    return [
        entry_dict("lib", "dist/lib.js", LIB_JS),
        entry_dict("@acme/widget", "dist/widget.min.js", WIDGET_JS, category="chat"),
        entry_dict("lib", "dist/other.js", OTHER_JS),
    ]


def fetch(manifest: Path, cache: Path, registry: FakeRegistry) -> corpus.Report:
    entries = corpus.load_manifest(manifest)
    return corpus.fetch_all(entries, cache, registry.url, jobs=3, retries=3, backoff=0.0)


# --- fetching --------------------------------------------------------------------------------


def test_fetch_extracts_only_pinned_files_and_verifies(
    tmp_path: Path, published: FakeRegistry
) -> None:
    manifest = write_manifest(tmp_path / "m.json", good_entries())
    cache = tmp_path / "cache"

    report = fetch(manifest, cache, published)

    assert report.errors == []
    assert (cache / "lib@1.0.0/dist/lib.js").read_bytes() == LIB_JS
    assert (cache / "lib@1.0.0/dist/other.js").read_bytes() == OTHER_JS
    assert (cache / "@acme/widget@1.0.0/dist/widget.min.js").read_bytes() == WIDGET_JS
    assert not (cache / "lib@1.0.0/package.json").exists()  # only listed files are extracted
    assert (cache / "_tarballs/lib-1.0.0.tgz").is_file()
    assert (cache / "_tarballs/@acme__widget-1.0.0.tgz").is_file()
    # Two entries share lib's tarball: it is downloaded once even though fetched in parallel.
    assert sorted(published.hits) == ["/@acme/widget/-/widget-1.0.0.tgz", "/lib/-/lib-1.0.0.tgz"]
    assert report.summary() == "corpus: 3 files, 0.0 MB, 2 downloaded"


def test_sha256_mismatch_is_one_clear_line_naming_the_entry(
    tmp_path: Path, published: FakeRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = good_entries()
    entries[0]["sha256"] = "0" * 64
    manifest = write_manifest(tmp_path / "m.json", entries)
    cache = tmp_path / "cache"

    code = corpus.main(
        [
            "--manifest",
            str(manifest),
            "--cache-dir",
            str(cache),
            "--registry",
            published.url,
            "fetch",
        ]
    )

    out, err = capsys.readouterr()
    assert code == 1
    errors = err.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith("corpus: error: lib@1.0.0:dist/lib.js: sha256 mismatch")
    assert "0" * 64 in errors[0] and hashlib.sha256(LIB_JS).hexdigest() in errors[0]
    assert out.strip() == "corpus: 3 files, 0.0 MB, 2 downloaded, 1 failed"
    assert not (cache / "lib@1.0.0/dist/lib.js").exists()  # bad bytes are never written
    assert (cache / "lib@1.0.0/dist/other.js").exists()  # the other entries still succeed


def test_second_fetch_downloads_nothing(tmp_path: Path, published: FakeRegistry) -> None:
    manifest = write_manifest(tmp_path / "m.json", good_entries())
    cache = tmp_path / "cache"
    fetch(manifest, cache, published)
    published.hits.clear()

    again = fetch(manifest, cache, published)

    assert again.errors == []
    assert again.summary() == "corpus: 3 files, 0.0 MB, 0 downloaded"
    assert published.hits == []


def test_missing_or_changed_file_is_restored_from_cached_tarball(
    tmp_path: Path, published: FakeRegistry
) -> None:
    manifest = write_manifest(tmp_path / "m.json", good_entries())
    cache = tmp_path / "cache"
    fetch(manifest, cache, published)
    published.hits.clear()
    (cache / "lib@1.0.0/dist/lib.js").unlink()
    (cache / "lib@1.0.0/dist/other.js").write_bytes(b"tampered")

    again = fetch(manifest, cache, published)

    assert again.errors == [] and again.downloaded == 0
    assert (cache / "lib@1.0.0/dist/lib.js").read_bytes() == LIB_JS
    assert (cache / "lib@1.0.0/dist/other.js").read_bytes() == OTHER_JS
    assert published.hits == []


def test_corrupt_cached_tarball_is_downloaded_again(
    tmp_path: Path, published: FakeRegistry
) -> None:
    manifest = write_manifest(tmp_path / "m.json", good_entries()[:1])
    cache = tmp_path / "cache"
    (cache / "_tarballs").mkdir(parents=True)
    (cache / "_tarballs/lib-1.0.0.tgz").write_bytes(b"not a tarball")

    report = fetch(manifest, cache, published)

    assert report.errors == [] and report.downloaded == 1
    assert (cache / "lib@1.0.0/dist/lib.js").read_bytes() == LIB_JS


def test_file_missing_from_tarball(tmp_path: Path, published: FakeRegistry) -> None:
    entries = [entry_dict("lib", "dist/nope.js", b"x"), entry_dict("lib", "dist/link.js", b"x")]
    manifest = write_manifest(tmp_path / "m.json", entries)

    report = fetch(manifest, tmp_path / "cache", published)

    assert report.errors[0] == "lib@1.0.0:dist/nope.js: package/dist/nope.js is not in the tarball"
    assert report.errors[1] == (
        "lib@1.0.0:dist/link.js: package/dist/link.js is not a regular file in the tarball"
    )


def test_unknown_package_fails_fast_without_retrying(
    tmp_path: Path, published: FakeRegistry
) -> None:
    manifest = write_manifest(tmp_path / "m.json", [entry_dict("ghost", "x.js", b"x")])

    report = fetch(manifest, tmp_path / "cache", published)

    assert report.errors == [
        f"ghost@1.0.0:x.js: HTTP 404 for {published.url}/ghost/-/ghost-1.0.0.tgz"
    ]
    assert published.hits == ["/ghost/-/ghost-1.0.0.tgz"]


def test_transient_errors_are_retried(tmp_path: Path, published: FakeRegistry) -> None:
    published.fail["/lib/-/lib-1.0.0.tgz"] = 2
    manifest = write_manifest(tmp_path / "m.json", good_entries()[:1])

    report = fetch(manifest, tmp_path / "cache", published)

    assert report.errors == []
    assert published.hits == ["/lib/-/lib-1.0.0.tgz"] * 3


def test_retries_give_up_with_a_clear_error(tmp_path: Path, published: FakeRegistry) -> None:
    published.fail["/lib/-/lib-1.0.0.tgz"] = 99
    manifest = write_manifest(tmp_path / "m.json", good_entries()[:1])

    report = fetch(manifest, tmp_path / "cache", published)

    assert len(report.errors) == 1
    assert "download failed after 4 attempts" in report.errors[0]
    assert "HTTP 503" in report.errors[0]
    assert len(published.hits) == 4


# --- CLI, env vars, corpus_files, pin --------------------------------------------------------


def test_cli_uses_env_vars_and_lists_cached_files(
    tmp_path: Path,
    published: FakeRegistry,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = write_manifest(tmp_path / "m.json", good_entries())
    cache = tmp_path / "env-cache"
    monkeypatch.setenv(corpus.CORPUS_DIR_ENV, str(cache))
    monkeypatch.setenv(corpus.REGISTRY_ENV, published.url)

    assert corpus.main(["--manifest", str(manifest), "fetch"]) == 0
    assert capsys.readouterr().out == "corpus: 3 files, 0.0 MB, 2 downloaded\n"

    assert corpus.main(["--manifest", str(manifest), "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == [
        str(cache / "lib@1.0.0/dist/lib.js"),
        str(cache / "@acme/widget@1.0.0/dist/widget.min.js"),
        str(cache / "lib@1.0.0/dist/other.js"),
    ]


def test_corpus_files_requires_a_fetched_corpus(tmp_path: Path, published: FakeRegistry) -> None:
    root = tmp_path / "repo"
    (root / "fixtures/corpus").mkdir(parents=True)
    write_manifest(root / "fixtures/corpus/manifest.json", good_entries())
    cache = tmp_path / "cache"

    with pytest.raises(corpus.CorpusNotFetchedError, match=r"run `make corpus`"):
        corpus.corpus_files(root, cache=cache)

    fetch(root / "fixtures/corpus/manifest.json", cache, published)
    files = corpus.corpus_files(root, cache=cache)
    assert [f.read_bytes() for f in files] == [LIB_JS, WIDGET_JS, OTHER_JS]


def test_pin_fills_in_hashes_and_sizes(
    tmp_path: Path, published: FakeRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    unpinned = [{k: v for k, v in e.items() if k not in ("sha256", "size")} for e in good_entries()]
    manifest = write_manifest(tmp_path / "m.json", unpinned)

    code = corpus.main(
        [
            "--manifest",
            str(manifest),
            "--cache-dir",
            str(tmp_path / "c"),
            "--registry",
            published.url,
            "pin",
        ]
    )

    assert code == 0, capsys.readouterr().err
    pinned = json.loads(manifest.read_text())
    assert pinned["about"] == "test"
    assert pinned["entries"] == good_entries()


def test_manifest_rejects_paths_outside_the_package(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "m.json", [entry_dict("lib", "../evil.js", b"x")])

    with pytest.raises(corpus.CorpusError, match="path must be relative"):
        corpus.load_manifest(manifest)


# --- the real manifest -----------------------------------------------------------------------


def test_real_manifest_structure() -> None:
    path = REPO_ROOT / corpus.MANIFEST_RELPATH
    raw = json.loads(path.read_text())
    entries = corpus.load_manifest(path)  # validates keys, names, versions, hashes, categories

    assert raw["schema"] == 1 and isinstance(raw["about"], str) and raw["about"]
    assert all(set(e) == set(corpus.ENTRY_KEYS) for e in raw["entries"])
    assert len(entries) >= 32
    assert len({(e.package, e.version, e.path) for e in entries}) == len(entries)
    assert len({e.sha256 for e in entries}) == len(entries)
    assert all(len(e.sha256) == 64 and int(e.sha256, 16) >= 0 for e in entries)
    assert all(e.path.endswith((".js", ".cjs")) for e in entries)
    assert all(0 < e.size <= 1_200_000 for e in entries)
    assert 4_000_000 <= sum(e.size for e in entries) < 8_000_000
    assert {e.category for e in entries} == corpus.CATEGORIES
