#!/usr/bin/env bash
# Make sure a Chromium exists for skimscan. Order, as skimscan looks for one at run time:
# SKIMSCAN_CHROMIUM, a Playwright-managed Chromium, chromium/chromium-browser/google-chrome on PATH.
# When none is there, try `playwright install chromium`, then Debian's `chromium` package.
set -uo pipefail
PY=${1:-.venv/bin/python}
if "$PY" -m skimscan.capture.browser >/dev/null 2>&1; then
  exit 0
fi
echo "skimscan: no Chromium found; trying 'playwright install chromium'" >&2
if "$PY" -m playwright install chromium >/dev/null 2>&1 && "$PY" -m skimscan.capture.browser >/dev/null 2>&1; then
  exit 0
fi
echo "skimscan: Playwright could not download Chromium; installing Debian's chromium package" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
"$PY" -m skimscan.capture.browser
