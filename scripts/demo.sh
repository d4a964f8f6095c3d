#!/usr/bin/env bash
# The main job: install what is missing, build, and run the SIP events flows on loopback.
#   1. RFC 3680 welcome notice: sipevents-notifier (registrar + reg notifier + MESSAGE
#      relay), sipevents-welcome watching joe (Event: reg), and joe's UA
#      (sipevents-message listen --register). Joe REGISTERs; the notifier NOTIFYs the
#      watcher (init, then active with the contact); the watcher sends the welcome
#      MESSAGE to that contact; the UA prints it. Exits non-zero unless it arrived.
#   2. RFC 3428 MESSAGE between two processes over UDP and TCP, including a page over
#      1300 bytes that moves to TCP (RFC 3261 18.1.1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIPEVENTS_BUILD_TESTS=OFF >/dev/null
cmake --build build/release
bin=build/release/examples
port=${SIPEVENTS_DEMO_PORT:-25060}
pids=()
cleanup() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT
# Process substitution keeps $! the program's own pid (not sed's), so kill and wait
# reach the program and its exit status.
tag() { sed -u "s/^/$1 /"; }

echo "== RFC 3680 welcome notice on loopback (notifier on udp+tcp 127.0.0.1:$port, domain example.com)"
"$bin/sipevents-notifier" --bind "udp:127.0.0.1:$port" --bind "tcp:127.0.0.1:$port" --domain example.com \
  > >(tag '[notifier]') 2>&1 &
pids+=($!)
sleep 0.3
"$bin/sipevents-welcome" --server "udp:127.0.0.1:$port" --from sip:app.example.com --count 1 \
  --watch sip:joe@example.com > >(tag '[welcome] ') 2>&1 &
welcome=$!
pids+=($welcome)
sleep 0.5
timeout 10 "$bin/sipevents-message" listen --bind "udp:127.0.0.1:$((port + 2))" \
  --register sip:joe@example.com --registrar "udp:127.0.0.1:$port" --count 1 > >(tag '[joe UA]  ') 2>&1
if ! timeout 5 tail --pid="$welcome" -f /dev/null || ! wait "$welcome"; then
  echo "welcome notice: NOT delivered" >&2
  exit 1
fi
sleep 0.1
echo "welcome notice: delivered"
cleanup
pids=()

echo "== RFC 3428 MESSAGE between two processes on loopback"
mport=$((port + 10))
"$bin/sipevents-message" listen --bind "udp:127.0.0.1:$mport" --bind "tcp:127.0.0.1:$mport" --count 3 &
listener=$!
pids+=($listener)
sleep 0.3
"$bin/sipevents-message" send --from sip:alice@example.com --to "sip:bob@127.0.0.1:$mport" \
  "Welcome to the example.com service!"
"$bin/sipevents-message" send --from sip:alice@example.com --to "sip:bob@127.0.0.1:$mport" \
  --via "tcp:127.0.0.1:$mport" "the same over TCP"
"$bin/sipevents-message" send --from sip:alice@example.com --to "sip:bob@127.0.0.1:$mport" \
  "$(printf 'long page %.0s' $(seq 1 150))" >/dev/null && echo "1500-byte page: delivered (over TCP)"
wait "$listener"
pids=()
echo "== demo done"
