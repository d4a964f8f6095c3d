#!/usr/bin/env python3
"""RFC 6446 rate control between two processes over loopback.

  rate_process.py WATCHER PEER

PEER (events_peer) bumps its x-counter every 150 ms. `sipevents-watcher --throttle 1`
must get NOTIFYs at least a second apart, each carrying every change since the last
(the count jumps by several), with "rate": {"throttle": 1} on each line as the
notifier answered; `--max-rate 2` the same at half a second, answered as max-rate;
a malformed rate never leaves the watcher (its option check refuses it, exit 2).
"""
import json
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("127.0.0.1", 0))
        return u.getsockname()[1]


def watch(watcher, port, resource, extra, count):
    """Runs the watcher, noting when each line arrives."""
    proc = subprocess.Popen([watcher, "--event", "x-counter", "--from", "sip:alice@example.com",
                             "--server", f"udp:127.0.0.1:{port}", "--expires", "600", "--count", str(count),
                             *extra, resource], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for raw in proc.stdout:
        if raw.strip():
            lines.append((time.monotonic(), json.loads(raw)))
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, f"watcher exit {proc.returncode}: {err}"
    return lines


def check(lines, gap, rate):
    # `count` NOTIFYs with state, then the final one after the unsubscribe.
    states = [l for _, l in lines if l["state"] == "active"]
    times = [t for t, l in lines if l["state"] == "active"]
    for l in states:
        assert l["rate"] == rate, l
    counts = [int(l["body"].split("=")[1]) for l in states]
    gaps = [b - a for a, b in zip(times[1:], times[2:])]  # from the first paced one on
    jumps = [b - a for a, b in zip(counts[1:], counts[2:])]
    print(f"  rate {rate}: NOTIFY gaps {[round(g, 3) for g in gaps]} s, count jumps {jumps}")
    # The notifier paces at `gap`; arrival adds scheduling jitter of a few ms.
    assert all(g >= gap - 0.05 for g in gaps), gaps
    # A change every 150 ms: each paced NOTIFY carries several.
    assert all(j >= int(gap / 0.15) - 1 for j in jumps), jumps
    assert lines[-1][1]["state"] == "terminated", lines[-1]


def main():
    watcher, peer = sys.argv[1], sys.argv[2]
    port = free_port()
    resource = "sip:counter@127.0.0.1"
    srv = subprocess.Popen([peer, "--bind", f"udp:127.0.0.1:{port}", "--resource", resource,
                            "--interval-ms", "150", "--exit-after-terminated", "2"], stdout=subprocess.PIPE, text=True)
    try:
        ready = srv.stdout.readline().split()
        assert ready and ready[0] == "ready", ready
        check(watch(watcher, port, resource, ["--throttle", "1"], 5), 1.0, {"throttle": 1})
        check(watch(watcher, port, resource, ["--max-rate", "2"], 5), 0.5, {"max-rate": 2})
        bad = subprocess.run([watcher, "--event", "x-counter", "--from", "sip:alice@example.com",
                              "--server", f"udp:127.0.0.1:{port}", "--max-rate", "0", resource],
                             capture_output=True, text=True, timeout=10)
        assert bad.returncode == 2 and "--max-rate" in bad.stderr, (bad.returncode, bad.stderr)
    finally:
        srv.kill()
    print("rate control between two processes: ok")


if __name__ == "__main__":
    main()
