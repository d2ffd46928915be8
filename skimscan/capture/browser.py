"""STAGE 1 (capture): find and launch Chromium.

Order of discovery (README, "Browser"; tools/install-browser.sh relies on it):
1. the `SKIMSCAN_CHROMIUM` environment variable;
2. a Playwright-managed Chromium, when `playwright install chromium` has put one in place;
3. `chromium`, `chromium-browser`, `google-chrome` on PATH — with Debian's `/usr/bin/chromium`
   shell wrapper replaced by the real binary `/usr/lib/chromium/chromium` beside it.

`python -m skimscan.capture.browser` prints the path found and exits 0, or prints the reason and
exits 1.

Invariants:
- Launch flags never include our own `--disable-features=` (it would replace Playwright's list).
- Google's background services are pointed at a closed loopback port: the scanner itself never
  needs the internet; WebRTC gets no UDP (no STUN/TURN side channel around the quarantine), and
  no QUIC (HTTP/3 and WebTransport are UDP: the egress proxy could not hold them).
- With `egress_spki` (every capture context then has its own egress proxy, `egress.py`),
  Chromium resolves no name itself — the proxy does, as the host map says — and accepts a
  certificate with the proxy's key for any name, and no other certificate error.
- The sandbox is disabled only when running as root, and a warning says so.
- Nothing happens at import time.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from skimscan.errors import BrowserNotFoundError

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

log = logging.getLogger(__name__)

ENV_VAR = "SKIMSCAN_CHROMIUM"
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome")
#: Debian's `/usr/bin/chromium` is a shell wrapper around this binary.
DEBIAN_REAL_BINARY = "/usr/lib/chromium/chromium"
#: A closed loopback port: background Google services (sign-in, component updates) go nowhere.
DEAD_END = "http://127.0.0.1:9"
#: Marks the browser process so that it can be found (and, as a last resort, ended) by its id.
INSTANCE_SWITCH = "--skimscan-instance"

NOT_FOUND_MESSAGE = (
    "no Chromium found: set SKIMSCAN_CHROMIUM to a Chromium/Chrome binary, "
    "run `playwright install chromium`, or install `chromium` (e.g. `apt-get install chromium`)"
)


def _is_executable(path: str | os.PathLike[str]) -> bool:
    p = Path(path)
    return p.is_file() and os.access(p, os.X_OK)


def _playwright_chromium() -> str | None:
    """The executable of a Playwright-managed Chromium, if one has been installed."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # the sync API refuses to run inside an event loop; pass managed_path instead
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dependency
        return None
    try:
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception as exc:  # the driver could not start: treat as "not installed"
        log.debug("could not ask Playwright for its Chromium: %s", exc)
        return None
    return path if path and _is_executable(path) else None


def _is_shell_wrapper(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"#!"
    except OSError:
        return False


def _on_path(env: Mapping[str, str]) -> str | None:
    search = env.get("PATH", os.defpath)
    for name in PATH_NAMES:
        found = shutil.which(name, path=search)
        if not found:
            continue
        real = os.path.realpath(found)
        if name == "chromium" and _is_shell_wrapper(real) and _is_executable(DEBIAN_REAL_BINARY):
            return DEBIAN_REAL_BINARY
        return found
    return None


def find_chromium(
    env: Mapping[str, str] | None = None,
    *,
    use_playwright: bool = True,
    managed_path: str | None = None,
) -> str:
    """The path of the Chromium to use; raises BrowserNotFoundError naming the three fixes.

    `managed_path` is Playwright's idea of its own Chromium (`playwright.chromium.executable_path`)
    when the caller already runs Playwright; otherwise it is asked here (outside an event loop).
    """
    env = os.environ if env is None else env
    explicit = env.get(ENV_VAR, "").strip()
    if explicit:
        if _is_executable(explicit):
            return explicit
        resolved = shutil.which(explicit, path=env.get("PATH", os.defpath))
        if resolved:
            return resolved
        raise BrowserNotFoundError(
            f"{ENV_VAR}={explicit!r} is not an executable file; fix it or unset it "
            "(then skimscan looks for a Playwright-managed Chromium or `chromium` on PATH)"
        )
    if managed_path is not None:
        if _is_executable(managed_path):
            return managed_path
    elif use_playwright:
        managed = _playwright_chromium()
        if managed:
            return managed
    found = _on_path(env)
    if found:
        return found
    raise BrowserNotFoundError(NOT_FOUND_MESSAGE)


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


#: Chromium resolves nothing: every name goes to the egress proxy (only its address is excepted).
RESOLVE_NOTHING = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def launch_args(
    *,
    resolver_rules: str = "",
    instance: str = "",
    extra: Sequence[str] = (),
    egress_spki: str = "",
    ignore_certificate_errors: bool = False,
) -> list[str]:
    """Chromium switches we add to Playwright's own (BROWSER.md: measured on this project).

    `ignore_certificate_errors` is `--ignore-https-errors` for the whole browser: a context's
    own setting does not reach service-worker registration, which Chromium refuses on a
    certificate error (a staging shop's self-signed certificate)."""
    args = [
        f"--gaia-url={DEAD_END}",
        f"--component-updater=url-source={DEAD_END}",
        # Autofill's crowd-sourcing queries (form signatures sent to Google when a page has a
        # form) would be the browser's own traffic mixed into the page's.
        f"--autofill-server-url={DEAD_END}/",
        # navigator.webdriver stays false, as for a shopper's browser.
        "--disable-blink-features=AutomationControlled",
        # WebRTC may not reach STUN/TURN servers by UDP: a channel outside HTTP that no route
        # could quarantine (data hidden in STUN usernames), and a leak of the scanner's address.
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--disable-quic",
    ]
    if egress_spki:
        resolver_rules = RESOLVE_NOTHING
        args.append(f"--ignore-certificate-errors-spki-list={egress_spki}")
    if ignore_certificate_errors:
        args.append("--ignore-certificate-errors")
    if resolver_rules:
        args.append(f"--host-resolver-rules={resolver_rules}")
    if instance:
        args.append(f"{INSTANCE_SWITCH}={instance}")
    for arg in extra:
        if arg.startswith("--disable-features"):
            raise ValueError(
                "do not pass --disable-features: it replaces Playwright's own list of disabled "
                "features (BROWSER.md)"
            )
        args.append(arg)
    return args


async def launch(
    playwright: Playwright,
    *,
    executable: str | None = None,
    resolver_rules: str = "",
    instance: str | None = None,
    extra_args: Sequence[str] = (),
    headless: bool = True,
    egress_spki: str = "",
    ignore_certificate_errors: bool = False,
) -> Browser:
    """Launch headless Chromium through Playwright with skimscan's flags.

    Playwright adds `--no-sandbox` unless `chromium_sandbox=True`; we ask for the sandbox unless
    running as root (where Chromium refuses to start with it), and warn when it is off.
    """
    path = executable or find_chromium(managed_path=playwright.chromium.executable_path)
    sandbox = not running_as_root()
    if not sandbox:
        log.warning(
            "running as root: Chromium's sandbox is disabled (--no-sandbox); scan untrusted "
            "pages as an unprivileged user for the sandbox's protection"
        )
    args = launch_args(
        resolver_rules=resolver_rules, instance=instance or uuid.uuid4().hex, extra=extra_args,
        egress_spki=egress_spki, ignore_certificate_errors=ignore_certificate_errors,
    )
    try:
        return await playwright.chromium.launch(
            executable_path=path,
            headless=headless,
            args=args,
            chromium_sandbox=sandbox,
            handle_sigint=False,
            handle_sigterm=False,
            handle_sighup=False,
        )
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BrowserNotFoundError(f"could not launch Chromium at {path}: {first_line}") from exc


def find_instance_pids(instance: str) -> list[int]:
    """Ids of live processes started with `--skimscan-instance=<instance>` (Linux /proc)."""
    marker = f"{INSTANCE_SWITCH}={instance}".encode()
    pids: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return pids
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        if marker in cmdline.split(b"\0") and "\nState:\tZ" not in status:
            pids.append(int(entry.name))
    return pids


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m skimscan.capture.browser`: print the Chromium found, exit 0; else exit 1."""
    del argv
    try:
        path = find_chromium()
    except BrowserNotFoundError as exc:
        print(f"skimscan: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
