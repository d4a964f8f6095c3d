#!/usr/bin/env bash
# Builds examples/web into OUT: JsSIP and SIP.js from npm (pinned by package-lock.json),
# bundled with esbuild.   build_web.sh SRC_DIR OUT_DIR
set -euo pipefail
src=$1 out=$2
cd "$src"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p "$out"
for app in jssip-app sipjs-app; do
  npx --no-install esbuild "src/$app.js" --bundle --format=iife --log-level=warning --outfile="$out/$app.js"
done
cp src/index.html src/style.css "$out/"
echo "built the web example into $out"
