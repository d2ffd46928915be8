"""Finding Chromium: SKIMSCAN_CHROMIUM, Playwright's own, PATH, Debian's wrapper (no browser)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from skimscan.capture import browser
from skimscan.errors import BrowserNotFoundError


def _exe(path: Path, text: str = "\x7fELF fake") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def test_env_var_wins(tmp_path: Path) -> None:
    exe = _exe(tmp_path / "my-chrome")
    env = {"SKIMSCAN_CHROMIUM": str(exe), "PATH": ""}
    assert browser.find_chromium(env, use_playwright=False) == str(exe)


def test_env_var_pointing_nowhere_is_an_error(tmp_path: Path) -> None:
    env = {"SKIMSCAN_CHROMIUM": str(tmp_path / "missing"), "PATH": ""}
    with pytest.raises(BrowserNotFoundError, match="SKIMSCAN_CHROMIUM"):
        browser.find_chromium(env, use_playwright=False)


def test_managed_path_used_when_it_exists(tmp_path: Path) -> None:
    managed = _exe(tmp_path / "ms-playwright" / "chrome")
    path_exe = _exe(tmp_path / "bin" / "chromium")
    env = {"PATH": str(path_exe.parent)}
    assert browser.find_chromium(env, managed_path=str(managed)) == str(managed)
    # A managed path that is not installed falls through to PATH.
    missing = str(tmp_path / "nope" / "chrome")
    assert browser.find_chromium(env, managed_path=missing) == str(path_exe)


def test_path_order(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    _exe(bin_dir / "google-chrome")
    env = {"PATH": str(bin_dir)}
    assert browser.find_chromium(env, use_playwright=False) == str(bin_dir / "google-chrome")
    _exe(bin_dir / "chromium-browser")
    assert browser.find_chromium(env, use_playwright=False) == str(bin_dir / "chromium-browser")


def test_debian_wrapper_is_replaced_by_real_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _exe(tmp_path / "lib" / "chromium" / "chromium")
    wrapper = _exe(tmp_path / "bin" / "chromium", "#!/bin/sh\nexec /usr/lib/chromium/chromium\n")
    monkeypatch.setattr(browser, "DEBIAN_REAL_BINARY", str(real))
    env = {"PATH": str(wrapper.parent)}
    assert browser.find_chromium(env, use_playwright=False) == str(real)


def test_nothing_found_names_all_three_fixes() -> None:
    with pytest.raises(BrowserNotFoundError) as info:
        browser.find_chromium({"PATH": ""}, use_playwright=False)
    message = str(info.value)
    assert "SKIMSCAN_CHROMIUM" in message
    assert "playwright install chromium" in message
    assert "apt-get install chromium" in message
    assert "\n" not in message


def test_launch_args() -> None:
    args = browser.launch_args(resolver_rules="MAP a.test 127.0.0.1:1", instance="abc")
    assert "--gaia-url=http://127.0.0.1:9" in args
    assert "--component-updater=url-source=http://127.0.0.1:9" in args
    assert "--host-resolver-rules=MAP a.test 127.0.0.1:1" in args
    assert "--skimscan-instance=abc" in args
    assert not any(a.startswith("--disable-features") for a in args)
    with pytest.raises(ValueError, match="disable-features"):
        browser.launch_args(extra=["--disable-features=Foo"])


def _module_run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skimscan.capture.browser"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_module_entry_point_exit_codes(tmp_path: Path) -> None:
    exe = _exe(tmp_path / "chrome")
    base = {k: v for k, v in os.environ.items() if k != "SKIMSCAN_CHROMIUM"}
    ok = _module_run({**base, "SKIMSCAN_CHROMIUM": str(exe)})
    assert ok.returncode == 0
    assert ok.stdout.strip() == str(exe)
    bad = _module_run({**base, "SKIMSCAN_CHROMIUM": str(tmp_path / "missing")})
    assert bad.returncode == 1
    assert "SKIMSCAN_CHROMIUM" in bad.stderr
