#!/usr/bin/env python3
"""Watcher information through sipevents-notifier (RFC 3857/3858).

  winfo_loopback.py BINDIR

alice watches her own watchers (`sipevents-watcher --event presence.winfo`): first
nobody; bob subscribes to alice's presence (he is in alice's domain: accepted) and
alice's winfo shows him active/approved; bob leaves and she sees him
terminated/timeout. carol asking for alice's watchers gets 403.

Then with --presence-policy ask: dave's presence subscription is pending; alice's
winfo shows him pending/subscribe; the notifier is told on its standard input
`authorize ID accept` (ID from alice's winfo) and dave's watcher turns active while
alice sees him active/approved; erin is rejected the same way (terminated/rejected).
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

        # ---- the ask policy: pending until the presentity's application decides ----
        port2 = free_port()
        srv2 = f"udp:127.0.0.1:{port2}"
        asking = Proc([exe("sipevents-notifier"), "--bind", srv2, "--domain", "example.com", "--presence-policy",
                       "ask"], stdin=subprocess.PIPE)
        procs.append(asking)
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in asking.get()), "the asking notifier")
        alice2 = Proc([exe("sipevents-watcher"), "--event", "presence.winfo", "--from", "sip:alice@example.com",
                       "--server", srv2, "--duration", "60", "sip:alice@example.com"])
        procs.append(alice2)
        lists2 = lambda: [json.loads(l)["winfo"]["watchers"] for l in alice2.get() if l.startswith("{") and "winfo" in l]
        wait_for(lambda: lists2() == [[]], "alice's first winfo at the asking notifier")
        watcher = lambda who: Proc([exe("sipevents-watcher"), "--event", "presence", "--from",
                                    f"sip:{who}@example.com", "--server", srv2, "--duration", "60",
                                    "sip:alice@example.com"])
        states = lambda p: [json.loads(l)["state"] for l in p.get() if l.startswith("{")]
        seen2 = lambda who, st, ev: [w["id"] for ws in lists2()[-1:] for w in ws
                                     if w["watcher"] == f"sip:{who}@example.com" and w["status"] == st and w["event"] == ev]
        for who, verdict, end in (("dave", "accept", ("active", "approved")), ("erin", "reject", ("terminated", "rejected"))):
            p = watcher(who)
            procs.append(p)
            wait_for(lambda: states(p) == ["pending"], f"{who}'s NOTIFY pending")
            wait_for(lambda: seen2(who, "pending", "subscribe"), f"{who} pending/subscribe in alice's winfo")
            wid = seen2(who, "pending", "subscribe")[0]
            assert any(l.startswith(f"pending {wid} sip:{who}@example.com") for l in asking.get()), asking.get()
            asking.p.stdin.write(f"authorize {wid} {verdict}\n")
            asking.p.stdin.flush()
            wait_for(lambda: seen2(who, *end), f"{who} {end[0]}/{end[1]} in alice's winfo")
            want = "active" if verdict == "accept" else "terminated"
            wait_for(lambda: states(p)[-1:] == [want], f"{who}'s subscription {want}")
            print(f"ask: {who} pending, alice's application says {verdict}: {who} {want}, alice sees {end[0]}/{end[1]}")
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
