#!/usr/bin/env bash
# Make sure the servers the fleet-mode tests start are installed: PostgreSQL (initdb, pg_ctl
# and the `postgres` user the tests run it as, since PostgreSQL refuses to run as root) and
# Redis (redis-server). The tests start and stop their own throw-away servers
# (tests/fleet/servers.py); this installs Debian's packages only when something is missing,
# and starts nothing. Idempotent; uses sudo when not root.
set -uo pipefail

have_postgres() {
  { command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; } \
    && getent passwd postgres >/dev/null
}
have_redis() { command -v redis-server >/dev/null 2>&1; }

packages=()
have_postgres || packages+=(postgresql)
have_redis || packages+=(redis-server)
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
echo "skimscan: installing Debian's ${packages[*]} for the fleet-mode tests" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq && \
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
if ! have_postgres || ! have_redis; then
  echo "skimscan: could not install ${packages[*]}; the fleet-mode tests need them" >&2
  exit 1
fi
