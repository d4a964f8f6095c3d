#!/usr/bin/env bash
# The main job: install what is missing, build, and run the SIP events flows on loopback.
#   1. RFC 3680 welcome notice: sipevents-notifier (registrar + reg notifier + MESSAGE
#      relay), sipevents-welcome watching joe (Event: reg), and joe's UA
#      (sipevents-message listen --register). Joe REGISTERs; the notifier NOTIFYs the
#      watcher (init, then active with the contact); the watcher sends the welcome
#      MESSAGE to that contact; the UA prints it. Exits non-zero unless it arrived.
#   2. Presence (RFC 3856/3903): bob's sipevents-watcher subscribes to alice (NOTIFY
#      closed), sipevents-publish PUBLISHes alice open with her contact (NOTIFY open),
#      then MESSAGE both ways through the notifier's relay.
#   3. RFC 3428 MESSAGE between two processes over UDP and TCP, including a page over
#      1300 bytes that moves to TCP (RFC 3261 18.1.1).
# Flows 1 and 2 run with digest authentication on: the notifier has a users file
# (written here) and challenges every REGISTER, SUBSCRIBE, PUBLISH and relayed
# MESSAGE; each client answers with its --user and --password.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIPEVENTS_BUILD_TESTS=OFF >/dev/null
cmake --build build/release
bin=build/release/examples
port=${SIPEVENTS_DEMO_PORT:-25060}
pids=()
ua_pids=()
cleanup() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT
# Process substitution keeps $! the program's own pid (not sed's), so kill and wait
# reach the program and its exit status.
tag() { sed -u "s/^/$1 /"; }
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
users="$tmp/users"
cat > "$users" <<'USERS'
# user:password, one per line; the realm is the notifier's domain (example.com)
joe:joe's secret
alice:alice in wonderland
bob:bob's password
welcome:welcome service
USERS

echo "== RFC 3680 welcome notice on loopback (notifier on udp+tcp 127.0.0.1:$port, domain example.com)"
"$bin/sipevents-notifier" --bind "udp:127.0.0.1:$port" --bind "tcp:127.0.0.1:$port" --domain example.com \
  --users "$users" > >(tag '[notifier]') 2>&1 &
pids+=($!)
sleep 0.3
"$bin/sipevents-welcome" --server "udp:127.0.0.1:$port" --from sip:app.example.com --count 1 \
  --user welcome --password 'welcome service' --watch sip:joe@example.com > >(tag '[welcome] ') 2>&1 &
welcome=$!
pids+=($welcome)
sleep 0.5
timeout 10 "$bin/sipevents-message" listen --bind "udp:127.0.0.1:$((port + 2))" \
  --register sip:joe@example.com --registrar "udp:127.0.0.1:$port" --user joe --password "joe's secret" \
  --count 1 > >(tag '[joe UA]  ') 2>&1
if ! timeout 5 tail --pid="$welcome" -f /dev/null || ! wait "$welcome"; then
  echo "welcome notice: NOT delivered" >&2
  exit 1
fi
sleep 0.1
echo "welcome notice: delivered"
cleanup
pids=()

echo "== presence on loopback: bob watches alice, alice PUBLISHes, MESSAGE both ways"
pport=$((port + 20))
"$bin/sipevents-notifier" --bind "udp:127.0.0.1:$pport" --bind "tcp:127.0.0.1:$pport" --domain example.com \
  --users "$users" > >(tag '[notifier]') 2>&1 &
pids+=($!)
sleep 0.3
alice_pw='alice in wonderland'
bob_pw="bob's password"
timeout 20 "$bin/sipevents-message" listen --bind "udp:127.0.0.1:$((pport + 2))" --register sip:alice@example.com \
  --registrar "udp:127.0.0.1:$pport" --user alice --password "$alice_pw" --count 1 > >(tag "[alice UA] ") 2>&1 &
pids+=($!)
ua_pids+=($!)
timeout 20 "$bin/sipevents-message" listen --bind "udp:127.0.0.1:$((pport + 4))" --register sip:bob@example.com \
  --registrar "udp:127.0.0.1:$pport" --user bob --password "$bob_pw" --count 1 > >(tag "[bob UA] ") 2>&1 &
pids+=($!)
ua_pids+=($!)
"$bin/sipevents-watcher" --event presence --from sip:bob@example.com --server "udp:127.0.0.1:$pport" \
  --user bob --password "$bob_pw" --count 2 --text sip:alice@example.com > >(tee "$tmp/watch.txt" | tag '[bob watcher]') 2>&1 &
watcher=$!
pids+=($watcher)
sleep 0.5
"$bin/sipevents-publish" --from sip:alice@example.com --server "udp:127.0.0.1:$pport" --status open \
  --user alice --password "$alice_pw" \
  --contact "sip:alice@127.0.0.1:$((pport + 2))" --note "at my desk" --duration 1 > >(tag '[alice pub]') 2>&1 &
publisher=$!
pids+=($publisher)
timeout 10 tail --pid="$watcher" -f /dev/null
wait "$watcher"
sleep 0.1
grep -q "active: closed" "$tmp/watch.txt" && grep -q "active: open sip:alice@127.0.0.1:$((pport + 2))" "$tmp/watch.txt" ||
  { echo "presence: bob did not see alice go from closed to open" >&2; exit 1; }
"$bin/sipevents-message" send --from sip:bob@example.com --to sip:alice@example.com --via "udp:127.0.0.1:$pport" \
  --user bob --password "$bob_pw" "Hi Alice, I see you are at your desk"
"$bin/sipevents-message" send --from sip:alice@example.com --to sip:bob@example.com --via "udp:127.0.0.1:$pport" \
  --user alice --password "$alice_pw" "Hi Bob!"
for p in "${ua_pids[@]}" "$publisher"; do wait "$p"; done
sleep 0.1
echo "presence flow: done"
cleanup
pids=()

echo "== RFC 3428 MESSAGE between two processes on loopback"
mport=$((port + 40))
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
rm -rf "$tmp"
echo "== demo done"
echo "The buddy list in a browser (examples/web, JsSIP over WSS): see \"The web page\" in README.md:"
echo "  (cd examples/web && npm ci && npm run build) and open examples/web/dist/index.html?user=alice&buddies=bob"
echo "  with $bin/sipevents-notifier --bind wss:127.0.0.1:8443 --cert CERT --key KEY --domain example.com"
