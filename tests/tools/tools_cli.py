#!/usr/bin/env python3
"""The tools' command lines (CLI11): --help exits 0 and lists the flags, every bad
command line is refused with exit 2 and one line naming the fault, and nothing
that is refused starts a tool. Also the JSON lines of sipevents-lint and
sipevents-message listen parse, keys in their documented order.

usage: tools_cli.py BIN_DIR"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
failures = []


def run(tool, *args, timeout=10, stdin=None):
    return subprocess.run([os.path.join(BIN, tool), *args], capture_output=True, text=True, timeout=timeout,
                          stdin=stdin)


def refused(tool, args, words):
    r = run(tool, *args)
    lines = r.stderr.strip().splitlines()
    ok = r.returncode == 2 and len(lines) == 1 and lines[0].startswith(tool + ": ") and all(w in lines[0] for w in words)
    if not ok:
        failures.append(f"{tool} {' '.join(args)}: rc {r.returncode}, stderr {r.stderr!r} (wanted 2 and {words})")


# --help: exit 0, a usage line, the tool's own flags.
helps = {
    "sipevents-notifier": ["--bind", "--domain", "--min-expires", "--users", "--db", "--redis", "--lists", "--metrics"],
    "sipevents-watcher": ["--event", "--from", "--server", "--dns", "--list", "--unsolicited", "TARGET-URI"],
    "sipevents-publish": ["--from", "--server", "--status", "--activity", "--duration"],
    "sipevents-welcome": ["--server", "--from", "--watch", "--relay"],
    "sipevents-lint": ["--json", "FILE"],
    "sipevents-message": ["send", "listen"],
}
for tool, flags in helps.items():
    r = run(tool, "--help")
    if r.returncode != 0 or "Usage:" not in r.stdout or any(f not in r.stdout for f in flags):
        failures.append(f"{tool} --help: rc {r.returncode}: {r.stdout[:200]!r}")
for sub, flags in {"send": ["--from", "--to", "--via", "--dns", "--timeout-ms", "TEXT"],
                   "listen": ["--bind", "--count", "--register", "--registrar", "--max-transactions"]}.items():
    r = run("sipevents-message", sub, "--help")
    if r.returncode != 0 or any(f not in r.stdout for f in flags):
        failures.append(f"sipevents-message {sub} --help: rc {r.returncode}: {r.stdout[:200]!r}")

N = ["--bind", "udp:127.0.0.1:0", "--domain", "example.com"]
# Values that used to become 0 or garbage silently.
refused("sipevents-notifier", ["--min-expires", "abc", *N], ["--min-expires", "abc", "not a number"])
refused("sipevents-notifier", ["--min-expires", "0", *N], ["--min-expires", "outside 1..86400"])
refused("sipevents-notifier", ["--min-expires", "-5", *N], ["--min-expires"])
refused("sipevents-notifier", ["--max-watchers", "10x", *N], ["--max-watchers", "10x"])
refused("sipevents-notifier", ["--list-rate", "-1", *N], ["--list-rate"])
refused("sipevents-notifier", ["--redis-partitions", "20000", "--redis", "127.0.0.1:6379", *N], ["--redis-partitions"])
refused("sipevents-notifier", ["--bind", "udp:127.0.0.1", "--domain", "x"], ["--bind", "TRANSPORT:HOST:PORT"])
refused("sipevents-notifier", ["--bind", "sctp:127.0.0.1:5060", "--domain", "x"], ["--bind"])
refused("sipevents-notifier", ["--db-sync", "sometimes", "--db", "/tmp/x.db", *N], ["--db-sync", "sometimes"])
refused("sipevents-notifier", ["--presence-policy", "maybe", *N], ["--presence-policy"])
refused("sipevents-notifier", ["--frobnicate", *N], ["--frobnicate"])
refused("sipevents-notifier", ["--quiet", "--verbose", *N], ["--quiet", "--verbose"])
refused("sipevents-notifier", ["--auth-secret", "00ff", *N], ["--auth-secret", "--users"])
refused("sipevents-notifier", ["--users", "/nonexistent/users", *N], ["--users", "/nonexistent/users"])
refused("sipevents-notifier", ["--cert", "/etc/hostname", *N], ["--cert", "--key"])
refused("sipevents-notifier", ["--redis", "127.0.0.1:6379", "--db", "/tmp/x.db", *N], ["--redis", "--db"])
refused("sipevents-notifier", ["--domain", "x"], ["--bind"])
refused("sipevents-notifier", ["--bind", "udp:127.0.0.1:0"], ["--domain"])
refused("sipevents-notifier", ["--outbound", "udp:127.0.0.1:5060", *N], ["--outbound", "--lists"])
refused("sipevents-notifier", ["--min-expires"], ["--min-expires"])
W = ["--event", "presence", "--from", "sip:w@example.com"]
refused("sipevents-watcher", [*W, "--server", "udp:127.0.0.1:5060", "--count", "0", "sip:a@example.com"], ["--count", "0"])
refused("sipevents-watcher", [*W, "--server", "udp:127.0.0.1:5060", "--duration", "soon", "sip:a@example.com"],
        ["--duration", "soon"])
refused("sipevents-watcher", [*W, "--server", "udp:127.0.0.1:5060", "--expires", "-1", "sip:a@example.com"], ["--expires"])
refused("sipevents-watcher", [*W, "sip:a@example.com"], ["--server", "--dns"])
refused("sipevents-watcher", [*W, "--server", "udp:127.0.0.1:5060"], ["TARGET-URI"])
refused("sipevents-watcher", [*W, "--server", "udp:127.0.0.1:5060", "--dns", "127.0.0.1:53", "sip:a@example.com"],
        ["--server", "--dns"])
refused("sipevents-watcher", [*W, "--server", "udp:127.0.0.1:5060", "--user", "alice", "sip:a@example.com"],
        ["--user", "--password"])
refused("sipevents-watcher", ["--event", "presence", "--unsolicited"], ["--unsolicited", "--listen"])
refused("sipevents-watcher", [*W, "--server", "udp:127.0.0.1:5060", "sip:a@example.com", "sip:b@example.com"], [])
P = ["--from", "sip:alice@example.com", "--server", "udp:127.0.0.1:5060"]
refused("sipevents-publish", [*P, "--status", "maybe"], ["--status", "maybe"])
refused("sipevents-publish", [*P, "--status", "open", "--activity", "juggling"], ["--activity", "juggling"])
refused("sipevents-publish", [*P, "--status", "open", "--expires", "abc"], ["--expires", "abc"])
refused("sipevents-publish", [*P], ["--status"])
refused("sipevents-message", [], ["subcommand"])
refused("sipevents-message", ["shout"], ["shout"])
refused("sipevents-message", ["send", "--to", "sip:b@example.com", "hi"], ["--from"])
refused("sipevents-message", ["send", "--from", "sip:a@x", "--to", "sip:b@x", "--timeout-ms", "0", "hi"], ["--timeout-ms"])
refused("sipevents-message", ["send", "--from", "sip:a@x", "--to", "sip:b@x", "--via", "udp:nowhere", "hi"], ["--via"])
refused("sipevents-message", ["listen", "--bind", "udp:127.0.0.1:0", "--register", "sip:a@example.com"],
        ["--register", "--registrar"])
refused("sipevents-message", ["listen", "--bind", "udp:127.0.0.1:0", "--count", "many"], ["--count", "many"])
refused("sipevents-welcome", ["--server", "udp:127.0.0.1:5060", "--from", "sip:w@example.com"], ["--watch"])
refused("sipevents-welcome", ["--server", "udp:127.0.0.1:5060", "--from", "sip:w@x", "--watch", "sip:a@x", "--count", "x"],
        ["--count"])
refused("sipevents-lint", [], ["FILE"])
refused("sipevents-lint", ["--xml", "a.sip"], ["--xml"])

# JSON lines: sipevents-lint --json, and a page printed by sipevents-message listen
# (keys in their documented order; a body that is not UTF-8 still makes a line).
with tempfile.TemporaryDirectory() as d:
    f = os.path.join(d, "m.sip")
    with open(f, "wb") as out:
        out.write(b"MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                  b"Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
                  b"Call-ID: c1\r\nCSeq: 1 MESSAGE\r\nContact: <sip:a@h>;q=0.5\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: 2\r\n\r\nhi")
    r = run("sipevents-lint", "--json", f)
    obj = json.loads(r.stdout)
    if list(obj) != ["file", "verdict", "message"] or obj["verdict"] != "accept" or \
            list(obj["message"]) != ["start", "headers", "body_length"] or obj["message"]["body_length"] != 2:
        failures.append(f"lint --json: {r.stdout[:300]}")
    contact = [h for h in obj["message"]["headers"] if h["name"] == "Contact"]
    if not contact or contact[0]["typed"][0]["q"] != 0.5:
        failures.append(f"lint --json Contact q: {contact}")

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
listener = subprocess.Popen([os.path.join(BIN, "sipevents-message"), "listen", "--bind", f"udp:127.0.0.1:{port}",
                             "--count", "1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
time.sleep(0.3)
page = (b"MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKjson1\r\n"
        b"Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: json1\r\n"
        b"CSeq: 1 MESSAGE\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 5\r\n\r\nh\xe9\"\n\xff")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(page, ("127.0.0.1", port))
try:
    out, _ = listener.communicate(timeout=10)
    line = json.loads(out.decode())
    if list(line) != ["from", "to", "content_type", "body", "transport"] or line["from"] != "sip:a@example.com" or \
            line["body"] != "h\ufffd\"\n\ufffd" or line["transport"] != "udp":
        failures.append(f"message listen JSON: {out!r}")
except Exception as e:  # noqa: BLE001 - any failure is reported
    listener.kill()
    failures.append(f"message listen: {e}")

for f in failures:
    print("FAIL", f)
print(f"{'FAILED' if failures else 'ok'}: {len(failures)} failures")
sys.exit(1 if failures else 0)
