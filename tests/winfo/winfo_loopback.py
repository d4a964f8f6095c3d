#!/usr/bin/env python3
"""Watcher information through sipevents-notifier (RFC 3857/3858).

  winfo_loopback.py BINDIR

alice watches her own watchers (`sipevents-watcher --event presence.winfo`): first
nobody; bob subscribes to alice's presence (he is in alice's domain: accepted) and
alice's winfo shows him active/approved; bob leaves and she sees him
terminated/timeout. carol asking for alice's watchers gets 403.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402


def main():
    bindir = sys.argv[1]
    exe = lambda n: os.path.join(bindir, n)
    port = free_port()
    srv = f"udp:127.0.0.1:{port}"
    procs = []
    try:
        notifier = Proc([exe("sipevents-notifier"), "--bind", srv, "--domain", "example.com"])
        procs.append(notifier)
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in notifier.get()), "notifier")
        alice = Proc([exe("sipevents-watcher"), "--event", "presence.winfo", "--from", "sip:alice@example.com",
                      "--server", srv, "--duration", "60", "sip:alice@example.com"])
        procs.append(alice)
        lists = lambda: [json.loads(l)["winfo"]["watchers"] for l in alice.get() if l.startswith("{") and "winfo" in l]
        wait_for(lambda: lists() == [[]], "alice's first winfo: nobody")
        bob = Proc([exe("sipevents-watcher"), "--event", "presence", "--from", "sip:bob@example.com", "--server", srv,
                    "--count", "1", "sip:alice@example.com"])
        procs.append(bob)
        seen = lambda st, ev: any(w["watcher"] == "sip:bob@example.com" and w["status"] == st and w["event"] == ev
                                  for ws in lists() for w in ws)
        wait_for(lambda: seen("active", "approved"), "bob active/approved in alice's winfo")
        assert bob.wait(30) == 0, bob.get()
        wait_for(lambda: seen("terminated", "timeout"), "bob terminated/timeout in alice's winfo")
        carol = subprocess.run([exe("sipevents-watcher"), "--event", "presence.winfo", "--from",
                                "sip:carol@example.com", "--server", srv, "--count", "1", "sip:alice@example.com"],
                               capture_output=True, text=True, timeout=30)
        assert carol.returncode != 0 and "403" in carol.stderr, (carol.stdout, carol.stderr)
        versions = [json.loads(l)["winfo"]["version"] for l in alice.get() if l.startswith("{") and "winfo" in l]
        assert versions == list(range(len(versions))), versions
        print("alice's watchers: " + " -> ".join(
            ",".join(f"{w['watcher']} {w['status']}/{w['event']}" for w in ws) or "nobody" for ws in lists()))
        print("carol asking for alice's watchers: " + carol.stderr.strip())
        alice.p.terminate()
        assert alice.wait(30) == 0
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
