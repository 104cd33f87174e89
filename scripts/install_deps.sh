#!/usr/bin/env bash
# Installs the Debian packages pg_devicewake needs to build, test, benchmark and demo.
# Idempotent: apt-get runs only when a package is missing. Run as root (CI and the demo do).
set -euo pipefail

PACKAGES=(
  build-essential g++ make pkg-config
  postgresql-15 postgresql-server-dev-15 libpq-dev
  postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  libmosquitto-dev mosquitto mosquitto-clients
  libgtest-dev libgmock-dev googletest libbenchmark-dev nlohmann-json3-dev
  clang libclang-rt-14-dev clang-format
)
# node and npm (differential test, benchmarks, demo picture) may come from another nodejs build
# that already bundles npm; Debian's own packages only when neither is there.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install_deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install_deps: missing packages and not root; install them: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian packages create a default cluster and may start a broker; tests use their own.
