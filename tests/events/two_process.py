#!/usr/bin/env python3
"""Subscriber and notifier in two processes over real loopback sockets.

  two_process.py WATCHER PEER udp|tcp [4|6]

Starts PEER (events_peer, package x-counter), then `sipevents-watcher --count 3`, and
checks: three JSON lines, the first active with the full count, counts that only go
up, expires counting down from 600, a clean unsubscribe seen by both processes.
"""
import json
import socket
import subprocess
import sys


def free_port(v6):
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as u:
        u.bind(("::1" if v6 else "127.0.0.1", 0))
        return u.getsockname()[1]


def main():
    watcher, peer, transport = sys.argv[1], sys.argv[2], sys.argv[3]
    v6 = len(sys.argv) > 4 and sys.argv[4] == "6"
    host = "[::1]" if v6 else "127.0.0.1"
    port = free_port(v6)
    resource = f"sip:counter@{host}"
    srv = subprocess.Popen([peer, "--bind", f"udp:{host}:{port}", "--bind", f"tcp:{host}:{port}",
                            "--resource", resource, "--interval-ms", "150"],
                           stdout=subprocess.PIPE, text=True)
    try:
        ready = srv.stdout.readline().split()
        assert ready and ready[0] == "ready", ready
        out = subprocess.run([watcher, "--event", "x-counter", "--from", "sip:alice@example.com",
                              "--server", f"{transport}:{host}:{port}", "--expires", "600", "--count", "3",
                              resource], capture_output=True, text=True, timeout=60)
        lines = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
        print(out.stdout, out.stderr, sep="\n")
        assert out.returncode == 0, f"watcher exit {out.returncode}"
        # 3 NOTIFYs asked for, then the final one after the unsubscribe.
        assert len(lines) == 4, lines
        first = lines[0]
        assert first["event"] == "x-counter" and first["resource"] == resource
        assert first["state"] == "active" and first["content_type"] == "text/plain"
        assert first["expires"] is not None and 595 <= first["expires"] <= 600, first
        counts = [int(l["body"].split("=")[1]) for l in lines[:3]]
        assert counts == sorted(counts) and counts[0] < counts[2], counts
        assert lines[3]["state"] == "terminated", lines[3]
        srv.wait(timeout=10)
        events = srv.stdout.read().split("\n")
        assert any(e.startswith("subscribed ") for e in events), events
        ended = [e for e in events if e.startswith("terminated ")]
        assert ended and ended[0].split()[2] == "timeout" and ended[0].split()[3] == "0", ended
    finally:
        if srv.poll() is None:
            srv.kill()
    print(f"two processes over {transport}{' IPv6' if v6 else ''}: ok")


if __name__ == "__main__":
    main()
