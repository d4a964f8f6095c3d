#!/usr/bin/env python3
"""Runs sipevents-lint the way a user does and checks its interface:
verdict lines, exit status, and one JSON object per file with --json."""
import json, os, subprocess, sys

lint, shared, expected_file, bundled = sys.argv[1:5]
rfc = os.path.join(shared, "testdata", "rfc4475")
expected = [l.rstrip("\n") for l in open(expected_file) if l.strip()]
names = [l.split(":")[0] for l in expected]

out = subprocess.run([lint] + names, cwd=rfc, capture_output=True, text=True)
got = out.stdout.splitlines()
fail = False
for e, g in zip(expected, got):
    if e != g:
        print(f"MISMATCH expected {e!r} got {g!r}"); fail = True
if len(got) != len(expected):
    print(f"expected {len(expected)} lines, got {len(got)}"); fail = True
if out.returncode != 1:
    print(f"exit status {out.returncode}, expected 1 (some files are rejected)"); fail = True

js = subprocess.run([lint, "--json"] + names, cwd=rfc, capture_output=True)
lines = js.stdout.decode("utf-8").splitlines()
if len(lines) != len(names):
    print("--json: wrong line count"); fail = True
for l in lines:
    obj = json.loads(l)
    if obj["verdict"] != expected[lines.index(l)].split(": ", 1)[1]:
        print("--json verdict mismatch", obj["file"]); fail = True
    if "message" in obj:
        msg = obj["message"]
        assert "start" in msg and "headers" in msg and "body_length" in msg

# The bundled example messages are all accepted (the README's main job).
files = sorted(os.path.join(bundled, f) for f in os.listdir(bundled))
ok = subprocess.run([lint] + files, capture_output=True, text=True)
if ok.returncode != 0 or any(not l.endswith(": accept") for l in ok.stdout.splitlines()):
    print("bundled messages not all accepted:\n" + ok.stdout); fail = True

# Unreadable input is reported, never a crash.
bad = subprocess.run([lint, "/nonexistent/file"], capture_output=True, text=True)
if bad.returncode != 1 or "drop cannot read file" not in bad.stdout:
    print("unreadable file handling broken"); fail = True

sys.exit(1 if fail else 0)
