#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each, seeded from the test data.
#   scripts/fuzz.sh [SECONDS_FOR_fuzz_message]   (default 60; the others get a third)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shared=${SIPEVENTS_SHARED_DIR:-$(cd .. && pwd)/shared}
CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPEVENTS_BUILD_FUZZ=ON \
  -DSIPEVENTS_SANITIZE=address,undefined -DSIPEVENTS_WERROR=ON -DSIPEVENTS_BUILD_TESTS=OFF \
  -DSIPEVENTS_BUILD_BENCH=OFF -DSIPEVENTS_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/fuzz
seeds=build/fuzz/seeds
rm -rf "$seeds" && mkdir -p "$seeds/message" "$seeds/uri" "$seeds/headers" "$seeds/store" "$seeds/ws" "$seeds/dialoginfo" "$seeds/mwi" "$seeds/winfo" "$seeds/rls" "$seeds/presence" "$seeds/pager"
cp "$shared"/testdata/rfc4475/*.dat "$shared"/testdata/examples/*.sip "$shared"/corpus/*.sip "$seeds/message/"
# URIs and header values cut from the same messages.
grep -ahoE '(sips?|tel):[^ >,"]+' "$seeds"/message/* | sort -u | head -400 | split -l 1 - "$seeds/uri/u"
grep -ahE '^[A-Za-z-]+ *:' "$seeds"/message/* | sed 's/^[^:]*: *//' | sort -u | head -600 | split -l 1 - "$seeds/headers/h"
# Authentication headers as clients and servers write them (RFC 7616, RFC 8760).
printf '%s' 'Digest realm="example.com", nonce="0000000067a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829", algorithm=SHA-256, qop="auth,auth-int", Digest realm="example.com", nonce="n", algorithm=MD5, stale=true' > "$seeds/headers/auth-challenges"
printf '%s' 'Digest username="joe", realm="example.com", nonce="n", uri="sip:example.com", response="8ca523f5e9506fed4657c9700eebdbec", algorithm=MD5, qop=auth, cnonce="c", nc=00000001, opaque="o"' > "$seeds/headers/auth-credentials"
printf '%s' 'nextnonce="abc", qop=auth, rspauth="00ff", cnonce="c", nc=0000000a' > "$seeds/headers/auth-info"
# Stored records of each kind, as the store tests write them (first byte: the kind).
if [ -x build/gcc/tests/store_tests ]; then SIPEVENTS_STORE_SEEDS="$seeds/store" build/gcc/tests/store_tests "store codec: every record kind round-trips - times go through the wall clock" >/dev/null; fi
printf '\x04\x01\x04name\x05value' > "$seeds/store/meta"
# WebSocket: an upgrade then masked frames, and frames alone (two offset bytes first).
printf '\0\x10GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58' > "$seeds/ws/upgrade"
printf '\0\x03\x01\x83\x01\x02\x03\x04\x49\x67\x6f\x89\x80\x01\x02\x03\x04\x80\x82\x01\x02\x03\x04\x6d\x6d\x88\x82\x01\x02\x03\x04\x02\xea' > "$seeds/ws/frames"
# dialog-info documents: RFC 4235's own.
cp "$shared"/testdata/examples/4235-*.xml "$seeds/dialoginfo/"
cp "$shared"/testdata/examples/3842-*-body-message-summary.txt "$seeds/mwi/"
cp "$shared"/testdata/examples/3858-*.xml "$shared"/testdata/examples/3857-*watcherinfo*.xml "$seeds/winfo/"
cp tests/rls/fixtures/* "$seeds/rls/"
# PIDF as RFC 3863 writes it, and partial PIDF (RFC 5262) full and diff.
cp "$shared"/testdata/examples/3863-*.xml tests/presence/data/*.xml "$seeds/presence/"
# CPIM, IMDN and is-composing bodies as the pager tests write them.
cp tests/pager/fixtures/* "$seeds/pager/"
run() {  # target seconds seed-dir
  local work="build/fuzz/corpus-$1" log="build/fuzz/$1.log"
  mkdir -p "$work" build/fuzz/artifacts
  echo "== $1 for $2 s"
  if ! "build/fuzz/fuzz/$1" -max_total_time="$2" -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix=build/fuzz/artifacts/ "$work" "$3" >"$log" 2>&1; then
    grep -E -A30 'ERROR|runtime error' "$log" | head -60
    echo "fuzz target $1 failed (log: $log, input in build/fuzz/artifacts/)"
    exit 1
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log"
}
third=$(( secs / 3 > 5 ? secs / 3 : 5 ))
run fuzz_message "$secs" "$seeds/message"
run fuzz_framer "$third" "$seeds/message"
run fuzz_uri "$third" "$seeds/uri"
run fuzz_headers "$third" "$seeds/headers"
run fuzz_store "$third" "$seeds/store"
run fuzz_ws "$third" "$seeds/ws"
run fuzz_dialoginfo "$third" "$seeds/dialoginfo"
run fuzz_mwi "$third" "$seeds/mwi"
run fuzz_winfo "$third" "$seeds/winfo"
run fuzz_rls "$third" "$seeds/rls"
run fuzz_presence "$third" "$seeds/presence"
run fuzz_pager "$third" "$seeds/pager"
