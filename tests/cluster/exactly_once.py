#!/usr/bin/env python3
"""Exactly once across three nodes: each watcher hears each change once.

  exactly_once.py BINDIR [RESOURCES] [catch-up]

Three sipevents-notifier nodes share one redis-server. RESOURCES/2 users have their
registrations watched (Event: reg) and RESOURCES/2 presentities their presence, each
by one watcher on every node (3 x RESOURCES subscriptions, raw UDP). Then one change
per resource, made at the nodes in turn (a REGISTER, or a PUBLISH with a body), all
with Expires 3 (8 with catch-up). Every watcher must count exactly one NOTIFY for its change and, when
the binding or publication runs out, exactly one for the expiry: a duplicate (two
nodes NOTIFYing one dialog, two nodes acting on one expiry) or a miss fails. The
change streams must hold each expiry's erase once.

With catch-up, node A's change-feed connection is killed (CLIENT KILL) several times
while the changes are made: Redis pub/sub would lose what happens meanwhile; the
streams must not, and A's watchers still count exactly one NOTIFY per change.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_env import Endpoint, Node, Redis, pidf  # noqa: E402


def main():
    bindir = sys.argv[1]
    resources = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    catch_up = len(sys.argv) > 3 and sys.argv[3] == "catch-up"
    redis = Redis()
    nodes = []
    try:
        nodes = [Node(bindir, n, redis, ["--quiet"]) for n in ("A", "B", "C")]
        ep = Endpoint()
        half = resources // 2
        res = [(f"u{i}", "reg") for i in range(half)] + [(f"p{i}", "presence") for i in range(resources - half)]
        subs = {}
        t0 = time.time()
        pending = []
        for user, event in res:
            for n in nodes:
                cid = f"{user}-{n.name}"
                subs[cid] = (user, event, n.name)
                pending.append(ep.subscribe(n.addr, user, event, cid))
                if len(pending) >= 150:
                    assert all(r.startswith("SIP/2.0 200") for r in ep.wait_responses(pending)), "SUBSCRIBE refused"
                    pending = []
        assert all(r.startswith("SIP/2.0 200") for r in ep.wait_responses(pending)), "SUBSCRIBE refused"
        ep.quiet(1.0)
        initial = sum(1 for c in subs if len(ep.notifies.get(c, {})) == 1)
        assert initial == len(subs), f"{len(subs) - initial} subscriptions without exactly one initial NOTIFY"
        print(f"{len(subs)} subscriptions on 3 nodes, each with its initial NOTIFY, in {time.time() - t0:.1f} s")

        killer = None
        kills = []
        if catch_up:
            def kill_feed():
                for _ in range(4):
                    time.sleep(0.4)
                    cid = redis.client_id("sipevents:A:feed")
                    if cid:
                        redis.cli("CLIENT", "KILL", "ID", cid)
                        kills.append(cid)
            killer = threading.Thread(target=kill_feed)
            killer.start()

        # Long enough that no change runs out before every change was counted.
        expires = 8 if catch_up else 3
        t1 = time.time()
        pending = []
        for i, (user, event) in enumerate(res):
            n = nodes[i % 3]
            if event == "reg":
                pending.append(ep.register(n.addr, user, expires, f"reg-{user}"))
            else:
                pending.append(ep.publish(n.addr, user, expires, pidf(f"sip:{user}@example.com", "open", f"change {i}"),
                                          f"pub-{user}"))
            if len(pending) >= 100:
                rs = ep.wait_responses(pending)
                assert all(r.startswith("SIP/2.0 200") for r in rs), [r.split("\r\n")[0] for r in rs if "200" not in r][:3]
                pending = []
                if catch_up:
                    time.sleep(0.15)  # spread the changes over the feed kills
        rs = ep.wait_responses(pending)
        assert all(r.startswith("SIP/2.0 200") for r in rs), "change refused"
        changes_s = time.time() - t1
        if killer:
            killer.join()
        ep.quiet(1.5)

        def counts():
            return {c: len(ep.notifies.get(c, {})) for c in subs}

        after_change = counts()
        bad = {c: k for c, k in after_change.items() if k != 2}
        assert not bad, f"{len(bad)} subscriptions without exactly one NOTIFY for their change: {list(bad.items())[:5]}"
        print(f"{resources} changes at 3 nodes in {changes_s:.1f} s: {len(subs)} NOTIFYs, one per watcher, "
              f"0 duplicates, 0 missing" + (f" ({len(kills)} feed connections of node A killed meanwhile)"
                                             if catch_up else ""))
        if catch_up:
            assert len(kills) >= 3, kills
            assert redis.client_id("sipevents:A:feed") not in kills, "node A's feed did not come back"

        # The expiries: the writer acts at once, the others would 5 s (the lease) later.
        ep.quiet(7.0, limit=90)
        final = counts()
        bad = {c: k for c, k in final.items() if k != 3}
        assert not bad, f"{len(bad)} subscriptions without exactly one NOTIFY for their expiry: {list(bad.items())[:5]}"
        for c, (user, event, node) in subs.items():
            last = ep.notifies[c][max(ep.notifies[c])]
            body = last.split("\r\n\r\n", 1)[1]
            if event == "reg":
                assert 'state="terminated"' in body and 'event="expired"' in body, body
            else:
                assert "<basic>open</basic>" not in body, body
        # The store: one erase per expiry, whichever node made it.
        erased = {"b": 0, "p": 0}
        for p in range(16):
            for line in redis.cli("XRANGE", f"sipevents:example.com:{{p{p}}}:c", "-", "+").splitlines():
                if line.startswith(("eb:", "ep:")):
                    erased[line[1]] += 1
        assert erased == {"b": half, "p": resources - half}, erased
        print(f"{resources} expiries: {len(subs)} NOTIFYs, one per watcher; the streams hold {erased['b']} binding and "
              f"{erased['p']} publication erases, one per expiry")
        print(f"exactly once: {3 * len(subs)} NOTIFYs counted, 0 duplicates, 0 missing")
        print("OK")
    finally:
        for n in nodes:
            n.stop()
        if nodes and "--verbose" in sys.argv:
            for n in nodes:
                print("\n".join(f"[{n.name}] " + l for l in n.lines()[-30:]))
        redis.kill(15)


if __name__ == "__main__":
    main()
