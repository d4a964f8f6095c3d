#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need, if any is missing.
set -euo pipefail
pkgs=(g++ clang libclang-rt-14-dev cmake ninja-build ccache python3 valgrind
      libasio-dev libtinyxml2-dev libfmt-dev catch2 libxml2-utils libssl-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libjemalloc-dev
      libhiredis-dev redis-server zlib1g-dev pkgconf git curl python3-prometheus-client doxygen
      libc-ares-dev dnsmasq-base libcli11-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends "${missing[@]}" ||
  { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
