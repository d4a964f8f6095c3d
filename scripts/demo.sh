#!/usr/bin/env bash
# The main job: install what is missing, build, and run the demo on loopback.
# Until the dialog and event layers land, the demo is what exists end to end:
#   1. sipevents-lint over the bundled example messages (each line: what a UAS answers);
#   2. two processes exchanging RFC 3428 MESSAGEs over UDP and TCP, including one over
#      1300 bytes that moves to TCP (RFC 3261 18.1.1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIPEVENTS_BUILD_TESTS=OFF >/dev/null
cmake --build build/release
bin=build/release/examples
echo "== sipevents-lint examples/messages/*.sip"
"$bin/sipevents-lint" examples/messages/*.sip
echo "== MESSAGE between two processes on loopback"
port=${SIPEVENTS_DEMO_PORT:-25060}
"$bin/sipevents-message" listen --bind "udp:127.0.0.1:$port" --bind "tcp:127.0.0.1:$port" --count 3 &
listener=$!
trap 'kill $listener 2>/dev/null || true' EXIT
sleep 0.3
"$bin/sipevents-message" send --from sip:alice@example.com --to "sip:bob@127.0.0.1:$port" \
  "Welcome to the example.com service!"
"$bin/sipevents-message" send --from sip:alice@example.com --to "sip:bob@127.0.0.1:$port" \
  --via "tcp:127.0.0.1:$port" "the same over TCP"
"$bin/sipevents-message" send --from sip:alice@example.com --to "sip:bob@127.0.0.1:$port" \
  "$(printf 'long page %.0s' $(seq 1 150))" >/dev/null && echo "1500-byte page: delivered (over TCP)"
wait $listener
trap - EXIT
