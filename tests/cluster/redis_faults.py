#!/usr/bin/env python3
"""Redis faults: never a 2xx for what was not stored, nothing acknowledged lost.

  redis_faults.py BINDIR

Two sipevents-notifier nodes A and B on one redis-server (append-only file, synced
on every write).
  - Redis down (SIGKILL): REGISTER, PUBLISH and SUBSCRIBE get 503 with Retry-After
    from both nodes; what memory holds goes on (a MESSAGE relayed to a registered UA:
    200; OPTIONS: 200).
  - Redis started again from its file: the nodes reconnect by themselves; a REGISTER
    at A gets 200 and B's watcher hears it (B's change feed came back too).
  - REGISTERs at both nodes while Redis is killed mid-run and started again: every
    user that got a 200 is in Redis afterwards (read with --dump).
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_env import Endpoint, Node, Proc, Redis, free_port, header, pidf, wait_for  # noqa: E402


def status(m):
    return int(m[8:11])


def dump(bindir, redis):
    out = subprocess.run([os.path.join(bindir, "sipevents-notifier"), "--redis", f"127.0.0.1:{redis.port}", "--domain",
                          "example.com", "--dump"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [json.loads(l) for l in out.stdout.splitlines()]


def main():
    bindir = sys.argv[1]
    exe = lambda n: os.path.join(bindir, n)
    redis = Redis()
    nodes, procs = [], []
    try:
        A, B = nodes = [Node(bindir, n, redis) for n in ("A", "B")]
        ep = Endpoint()
        r = ep.wait_responses([ep.register(A.addr, "u1", 600, "f-u1")])[0]
        assert status(r) == 200, r
        joe_port = free_port()
        joe = Proc([exe("sipevents-message"), "listen", "--bind", f"udp:127.0.0.1:{joe_port}", "--count", "1",
                    "--register", "sip:joe@example.com", "--registrar", A.udp, "--expires", "3600"])
        procs.append(joe)
        wait_for(lambda: any(l.startswith("registered") for l in joe.get()), "joe registered")
        # a raw reg watcher of u2 on B: hears what A stores once Redis is back
        r = ep.wait_responses([ep.subscribe(B.addr, "u2", "reg", "w-u2")])[0]
        assert status(r) == 200, r

        # ---- Redis down ----
        redis.kill(9)
        time.sleep(0.3)
        for node in (A, B):
            rs = ep.wait_responses([ep.register(node.addr, "u2", 600, "f-u2"),
                                    ep.publish(node.addr, "alice", 60, pidf("sip:alice@example.com", "open"), "f-p"),
                                    ep.subscribe(node.addr, "carol", "presence", f"f-s-{node.name}")])
            for m in rs:
                assert status(m) == 503 and header(m, "Retry-After"), m
        opt = ep.wait_responses([ep.send(B.addr, ["OPTIONS sip:example.com SIP/2.0", "VIA", "Max-Forwards: 70",
                                                  "From: <sip:x@example.com>;tag=o1", "To: <sip:example.com>",
                                                  "Call-ID: f-opt", "CSeq: 1 OPTIONS"])])[0]
        assert status(opt) == 200, opt
        msg = subprocess.run([exe("sipevents-message"), "send", "--from", "sip:alice@example.com", "--to",
                              "sip:joe@example.com", "--via", B.udp, "while Redis is down"],
                             capture_output=True, text=True, timeout=20)
        assert msg.returncode == 0 and msg.stdout.startswith("SIP/2.0 200"), (msg.stdout, msg.stderr)
        assert joe.wait(10) == 0 and any("while Redis is down" in l for l in joe.get()), joe.get()
        assert any("answering 503" in l for l in A.lines()), A.lines()
        print("Redis down: REGISTER, PUBLISH, SUBSCRIBE answered 503 with Retry-After by both nodes; "
              "OPTIONS and a relayed MESSAGE (from memory) 200")

        # ---- Redis back from its file ----
        t0 = time.time()
        redis.start()
        ok = None
        while time.time() - t0 < 20:
            m = ep.wait_responses([ep.register(A.addr, "u2", 600, "f-u2b", cseq=int(time.time() * 10) % 100000)])[0]
            if status(m) == 200:
                ok = time.time() - t0
                break
            time.sleep(0.2)
        assert ok is not None, A.lines()[-10:]
        ep.quiet(1.0, limit=10)
        bodies = [n.split("\r\n\r\n", 1)[1] for n in ep.notifies.get("w-u2", {}).values()]
        assert any("sip:u2@127.0.0.1:9" in b and 'state="active"' in b for b in bodies), bodies
        held = dump(bindir, redis)
        aors = {r["aor"] for r in held if r["type"] == "binding"}
        assert {"sip:u1@example.com", "sip:u2@example.com", "sip:joe@example.com"} <= aors, aors
        print(f"Redis restarted from its append-only file: A stores again {ok:.1f} s later without a restart; "
              f"B's watcher hears the change; the bindings from before are there")

        # ---- REGISTERs while Redis dies and comes back ----
        acked, refused, t_kill = set(), 0, None
        pending = {}
        for i in range(400):
            node = (A, B)[i % 2]
            pending[ep.register(node.addr, f"load{i}", 600, f"load-{i}")] = i
            if i == 150:
                redis.kill(9)
                t_kill = time.time()
            if i == 300:
                redis.start()
                time.sleep(2.0)  # the nodes retry their commits every second
            time.sleep(0.005)
            ep.pump(0)
        ep.wait_responses(list(pending), timeout=30)
        for b, i in pending.items():
            code = status(ep.responses[b])
            if code == 200:
                acked.add(f"sip:load{i}@example.com")
            else:
                assert code == 503, ep.responses[b]
                refused += 1
        held = dump(bindir, redis)
        aors = {r["aor"] for r in held if r["type"] == "binding"}
        lost = acked - aors
        assert not lost, f"{len(lost)} acknowledged bindings lost: {sorted(lost)[:5]}"
        assert refused > 0 and len(acked) > 150, (len(acked), refused)
        print(f"400 REGISTERs, Redis killed after 150 and started again after 300: {len(acked)} got 200, "
              f"{refused} got 503; all {len(acked)} acknowledged bindings are in Redis, 0 lost")
        print("OK")
    finally:
        for p in procs:
            p.kill()
        for n in nodes:
            n.stop()
        if "--verbose" in sys.argv:
            for n in nodes:
                print("\n".join(f"[{n.name}] " + l for l in n.lines()[-40:]))
        redis.kill(15)


if __name__ == "__main__":
    main()
