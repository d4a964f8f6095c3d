#!/usr/bin/env bash
# Every test: installs what is missing, then
#   1. g++ build with -Werror, all CTest tests (unit, lint CLI, find_package, interop
#      against Kamailio, baresip and linphonec with a tshark check of what we sent,
#      SIPp load smoke);
#   2. clang build with ASan+UBSan and -Werror, all CTest tests again;
#   3. the libFuzzer targets, seeded from ../shared/testdata (60 s for the message parser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
shared=${SIPEVENTS_SHARED_DIR:-$(cd .. && pwd)/shared}
[ -d "$shared/testdata" ] || { echo "missing test data: $shared/testdata (clone ../shared beside this tree)"; exit 1; }
# Real peers for the interop and load tests (Kamailio, SIPp), from Debian's packages.
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo sh "$shared/interop/install.sh" kamailio sipp baresip linphone
# tshark judges what we send during the multi-process tests (capturing on lo needs root).
if ! command -v tshark >/dev/null; then
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tshark ||
    { $sudo apt-get update && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tshark; }
fi

# A real browser and the JavaScript SIP stacks for the web example's test: Debian's
# chromium, nodejs and npm (JsSIP and SIP.js come from npm, pinned by the lock file).
need=()
command -v chromium >/dev/null || need+=(chromium fonts-dejavu-core)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
# Kamailio's tls module, the peer of our TLS clients.
dpkg-query -W -f='${Status}' kamailio-tls-modules 2>/dev/null | grep -q "install ok installed" || need+=(kamailio-tls-modules)
if [ ${#need[@]} -gt 0 ]; then
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" ||
    { $sudo apt-get update && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"; }
fi

echo "== gcc build and tests"
CXX=g++ cmake -S . -B build/gcc -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPEVENTS_WERROR=ON \
  -DSIPEVENTS_SHARED_DIR="$shared" >/dev/null
cmake --build build/gcc -j "$jobs"
ctest --test-dir build/gcc --output-on-failure -j "$jobs"

echo "== clang ASan+UBSan build and tests"
CXX=clang++ cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSIPEVENTS_WERROR=ON \
  -DSIPEVENTS_SANITIZE=address,undefined -DSIPEVENTS_BUILD_BENCH=OFF -DSIPEVENTS_SHARED_DIR="$shared" >/dev/null
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j "$jobs"

echo "== fuzzing"
SIPEVENTS_SHARED_DIR="$shared" bash scripts/fuzz.sh "${SIPEVENTS_FUZZ_SECONDS:-60}"
echo "== all tests passed"
