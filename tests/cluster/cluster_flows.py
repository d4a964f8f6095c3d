#!/usr/bin/env python3
"""The canonical flows across the nodes of one service on Redis, a node's death and
the takeover of its subscriptions, and a real UA.

  cluster_flows.py BINDIR flows
  cluster_flows.py BINDIR baresip SHARED-INTEROP-DIR

flows: three sipevents-notifier nodes A, B, C on one redis-server.
  - RFC 3680's welcome notice: sipevents-welcome watches joe on A, joe's UA registers
    at B, and the welcome page is relayed to joe through C;
  - presence: bob watches alice on A (NOTIFY closed), alice publishes at B (NOTIFY
    open), and alice and bob page each other through C;
  - A is killed with SIGKILL while alice's publisher refreshes: exactly one of B and
    C claims bob's subscription when A's lease lapses, and bob hears a NOTIFY from it
    (its dialog goes on: the watcher accepts it, so its CSeq is above A's); a change
    made at C reaches bob; bob's next refresh goes to the new owner's Contact. The
    time from the kill to bob's NOTIFY is printed.
baresip: baresip registers at node A and is watched (Event: reg) through node B.
shared: two nodes with --users (digest authentication): a nonce node A handed out is
  good at node B (one nonce key for the service), and an entity tag node A made is
  good at node B and the one B made at A (a PUBLISH refresh with SIP-If-Match: 200).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_env import Endpoint, Node, Proc, Redis, free_port, header, pidf, wait_for  # noqa: E402
from sipmsg import challenges, sign  # noqa: E402


def docs(p):
    return [json.loads(l) for l in p.get() if l.startswith("{")]


def basics(d):
    return [t.get("basic") for t in (d.get("presence") or {}).get("tuples", [])]


def flows(bindir):
    exe = lambda n: os.path.join(bindir, n)
    redis = Redis()
    procs = []
    nodes = []
    try:
        A, B, C = nodes = [Node(bindir, n, redis) for n in ("A", "B", "C")]
        # ---- the welcome notice ----
        welcome = Proc([exe("sipevents-welcome"), "--server", A.udp, "--from", "sip:app@example.com", "--relay", C.udp,
                        "--count", "1", "--text", "Welcome, joe", "--watch", "sip:joe@example.com"])
        procs.append(welcome)
        wait_for(lambda: any(l.startswith("SUBSCRIBE sip:joe@example.com") for l in A.lines()), "welcome subscribed at A")
        joe_port = free_port()
        joe = Proc([exe("sipevents-message"), "listen", "--bind", f"udp:127.0.0.1:{joe_port}", "--count", "1",
                    "--register", "sip:joe@example.com", "--registrar", B.udp, "--expires", "3600"])
        procs.append(joe)
        assert welcome.wait(20) == 0, welcome.get()
        assert any(re.match(rf"welcome sip:joe@127.0.0.1:{joe_port}: 200", l) for l in welcome.get()), welcome.get()
        assert joe.wait(10) == 0, joe.get()
        assert any('"body":"Welcome, joe"' in l for l in joe.get()), joe.get()
        assert any(l.startswith("REGISTER sip:example.com") for l in B.lines()), B.lines()
        assert any(l.startswith("MESSAGE sip:joe@example.com") for l in C.lines()), C.lines()
        assert not any(l.startswith("MESSAGE") for l in A.lines() + B.lines()), "the page went through another node"
        print("welcome notice: watcher on A, joe registered at B, page relayed through C: 200")

        # ---- presence ----
        bob = Proc([exe("sipevents-watcher"), "--event", "presence", "--from", "sip:bob@example.com", "--server", A.udp,
                    "--expires", "15", "--duration", "120", "--direct", "sip:alice@example.com"])
        procs.append(bob)
        wait_for(lambda: docs(bob), "bob's first NOTIFY")
        assert "open" not in basics(docs(bob)[0]), docs(bob)[0]
        alice_pub = Proc([exe("sipevents-publish"), "--from", "sip:alice@example.com", "--server", B.udp, "--status",
                          "open", "--note", "at B", "--expires", "4", "--duration", "120"])
        procs.append(alice_pub)
        wait_for(lambda: any("open" in basics(d) for d in docs(bob)), "bob sees alice open")
        print("presence: bob watches on A (closed), alice publishes at B, bob's NOTIFY from A says open")
        bob_ua = Proc([exe("sipevents-message"), "listen", "--bind", f"udp:127.0.0.1:{free_port()}", "--count", "1",
                       "--register", "sip:bob@example.com", "--registrar", A.udp, "--expires", "3600"])
        alice_ua = Proc([exe("sipevents-message"), "listen", "--bind", f"udp:127.0.0.1:{free_port()}", "--count", "1",
                         "--register", "sip:alice@example.com", "--registrar", B.udp, "--expires", "3600"])
        procs += [bob_ua, alice_ua]
        for who in (bob_ua, alice_ua):
            wait_for(lambda: any(l.startswith("registered") for l in who.get()), "pager registered")
        for frm, to, text in (("alice", "bob", "hi bob"), ("bob", "alice", "hi alice")):
            r = subprocess.run([exe("sipevents-message"), "send", "--from", f"sip:{frm}@example.com", "--to",
                                f"sip:{to}@example.com", "--via", C.udp, text], capture_output=True, text=True, timeout=20)
            assert r.returncode == 0 and r.stdout.startswith("SIP/2.0 200"), (r.stdout, r.stderr)
        assert bob_ua.wait(10) == 0 and any("hi bob" in l for l in bob_ua.get()), bob_ua.get()
        assert alice_ua.wait(10) == 0 and any("hi alice" in l for l in alice_ua.get()), alice_ua.get()
        print("pager: alice (registered at B) and bob (registered at A) page each other through C: 200 both ways")

        # ---- A dies; its subscriptions are taken over ----
        before = len(docs(bob))
        t_kill = time.time()
        A.kill9()
        wait_for(lambda: len(docs(bob)) > before, "bob's NOTIFY from the new owner", 30)
        takeover = time.time() - t_kill
        took = [(n.name, l) for n in (B, C) for l in n.lines() if "took over" in l]
        # bob's, and the one sipevents-welcome left behind when it exited.
        assert len(took) == 1 and "took over 2 subscriptions of A." in took[0][1], took
        owner = B if took[0][0] == "B" else C
        print(f"takeover: A killed; {owner.name} claimed bob's subscription; bob's NOTIFY {takeover:.2f} s after the "
              f"kill (lease 5 s)")
        # A change made at C reaches bob through the new owner.
        busy = Proc([exe("sipevents-publish"), "--from", "sip:alice@example.com", "--server", C.udp, "--status",
                     "closed", "--note", "busy at C", "--duration", "120"])
        procs.append(busy)
        wait_for(lambda: any("busy at C" in json.dumps(d) for d in docs(bob)), "bob hears the change made at C")
        # bob's refresh goes to the Contact the new owner sent.
        wait_for(lambda: any(l.startswith(f"SUBSCRIBE sip:notifier@127.0.0.1:{owner.port}") for l in owner.lines()),
                 "bob's refresh at the new owner", 20)
        print(f"after the takeover: a PUBLISH at C reaches bob; bob's refresh goes to {owner.name}'s Contact")
        bob.p.terminate()
        assert bob.wait(30) == 0, bob.get()
        print(f"takeover time: {takeover:.2f} s")
        print("OK")
    finally:
        for p in procs:
            p.kill()
        for n in nodes:
            n.stop()
        if "--verbose" in sys.argv:
            for n in nodes:
                print("\n".join(f"[{n.name}] " + l for l in n.lines()))
        redis.kill(15)


def baresip(bindir, interop):
    sys.path.insert(0, os.path.join(interop, "baresip"))
    import bsctl
    exe = lambda n: os.path.join(bindir, n)
    redis = Redis()
    procs, nodes, ua = [], [], None
    work = tempfile.mkdtemp(prefix="sipevents-cluster-baresip-")
    try:
        A, B = nodes = [Node(bindir, n, redis, domain="127.0.0.1") for n in ("A", "B")]
        aor = "sip:alice@127.0.0.1"
        watcher = Proc([exe("sipevents-watcher"), "--event", "reg", "--from", "sip:app@127.0.0.1", "--server", B.udp, aor])
        procs.append(watcher)
        wait_for(lambda: docs(watcher), "init NOTIFY from B")
        ua_port, ctrl = free_port(), free_port()
        bsctl.write_config(work, "alice", ua_port, ctrl, registrar=f"127.0.0.1:{A.port}", pubint=0)
        ua = bsctl.Baresip(work, ctrl).start()
        assert ua.wait_registered(10), ua.log()
        bodies = lambda: [d.get("body", "") for d in docs(watcher)]
        wait_for(lambda: any(f"127.0.0.1:{ua_port}" in b and 'state="active"' in b for b in bodies()),
                 "B's watcher sees baresip's registration at A", 15)
        assert any(l.startswith(f"binding {aor} registered") for l in A.lines()), A.lines()
        assert not any(l.startswith("REGISTER") for l in B.lines()), B.lines()
        ua.stop(grace=8)
        ua = None
        wait_for(lambda: any('event="unregistered"' in b for b in bodies()), "B's watcher sees baresip unregister", 15)
        watcher.p.terminate()
        assert watcher.wait(30) == 0
        print("baresip registered at node A and unregistered; the watcher on node B heard both")
        print("OK")
    finally:
        if ua is not None:
            try:
                ua.stop(grace=2)
            except Exception:
                pass
        for p in procs:
            p.kill()
        for n in nodes:
            n.stop()
        redis.kill(15)


def shared(bindir):
    redis = Redis()
    nodes = []
    work = tempfile.mkdtemp(prefix="sipevents-cluster-auth-")
    users = os.path.join(work, "users")
    with open(users, "w") as f:
        f.write("alice:alice in wonderland\n")
    try:
        A, B = nodes = [Node(bindir, n, redis, ["--users", users]) for n in ("A", "B")]
        ep = Endpoint()
        pw = "alice in wonderland"

        def signed(node, build, method, ruri, ch, nc):
            """Sends build(extra header lines) to node, signed over challenge ch."""
            line = sign(ch, method, ruri, "alice", pw, nc, "MD5").rstrip("\r\n")
            return ep.wait_responses([build(node, [line])])[0]

        def register(node, extra):
            return ep.send(node.addr, ["REGISTER sip:example.com SIP/2.0", "VIA", "Max-Forwards: 70",
                                       "From: <sip:alice@example.com>;tag=a1", "To: <sip:alice@example.com>",
                                       "Call-ID: shared-reg", f"CSeq: {ep.n + 1} REGISTER",
                                       "Contact: <sip:alice@127.0.0.1:9>", "Expires: 600", *extra])

        first = ep.wait_responses([register(A, [])])[0]
        assert first.startswith("SIP/2.0 401"), first
        ch = challenges(first)[0]
        r = signed(B, register, "REGISTER", "sip:example.com", ch, 1)
        assert r.startswith("SIP/2.0 200"), r
        print("digest: a nonce from node A is good at node B: REGISTER 200")

        def publish(if_match=None, body=True):
            def build(node, extra):
                lines = ["PUBLISH sip:alice@example.com SIP/2.0", "VIA", "Max-Forwards: 70",
                         "From: <sip:alice@example.com>;tag=p1", "To: <sip:alice@example.com>", "Call-ID: shared-pub",
                         f"CSeq: {ep.n + 1} PUBLISH", "Event: presence", "Expires: 600", *extra]
                if if_match:
                    lines.append(f"SIP-If-Match: {if_match}")
                if body:
                    lines.append("Content-Type: application/pidf+xml")
                return ep.send(node.addr, lines, pidf("sip:alice@example.com", "open") if body else "")
            return build

        r = signed(A, publish(), "PUBLISH", "sip:alice@example.com", ch, 2)
        assert r.startswith("SIP/2.0 200"), r
        etag = header(r, "SIP-ETag")
        r = signed(B, publish(etag, body=False), "PUBLISH", "sip:alice@example.com", ch, 3)
        assert r.startswith("SIP/2.0 200"), r
        etag2 = header(r, "SIP-ETag")
        r = signed(A, publish(etag2, body=False), "PUBLISH", "sip:alice@example.com", ch, 4)
        assert r.startswith("SIP/2.0 200"), r
        r = signed(B, publish(etag, body=False), "PUBLISH", "sip:alice@example.com", ch, 5)
        assert r.startswith("SIP/2.0 412"), r  # the first tag was replaced by the refresh at B
        print("ETags: made at A, refreshed at B (200), B's refreshed at A (200); the replaced one gets 412")
        print("OK")
    finally:
        for n in nodes:
            n.stop()
        redis.kill(15)


if __name__ == "__main__":
    if sys.argv[2] == "flows":
        flows(sys.argv[1])
    elif sys.argv[2] == "shared":
        shared(sys.argv[1])
    else:
        baresip(sys.argv[1], sys.argv[3])
