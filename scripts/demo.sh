#!/usr/bin/env bash
# The main job: install what is missing, build, and run the demo.
# Until the loopback demo of the SIP events flows exists, the demo is sipevents-lint
# over the bundled example messages (RFC 3680 welcome notice, RFC 3856/3903 presence,
# RFC 3428 MESSAGE): each line says what a UAS endpoint answers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIPEVENTS_BUILD_TESTS=OFF >/dev/null
cmake --build build/release
./build/release/examples/sipevents-lint examples/messages/*.sip
