#!/usr/bin/env python3
"""Scale-out on Redis, measured: what one request costs Redis, and the rates of one
node on Redis, two nodes on Redis and one node on SQLite, in one run.

  bench/scaleout/redis_scaleout.py [--notifier BIN] [--seconds 10] [--rates R1,R2,...]
                                   [--setups db,redis1,redis2] [--scenarios register,subscribe]
                                   [--cost-only] [--smoke RATE]

Cost: two nodes on a redis-server of this run; SIPp sends a fixed number of REGISTERs,
SUBSCRIBEs (each with its first NOTIFY) and PUBLISHes to node A at a gentle rate;
then 100 watchers of one presentity on node A hear 20 PUBLISH changes made at node B
(2,000 NOTIFYs). For each: the script calls (EVALSHA) and the commands they ran
inside Redis, and the bytes Redis read and wrote (INFO stats; what it wrote includes
each change read back by the other node), per request.

Rates: for each setup and scenario the rate climbs by --seconds steps (fresh servers
each step) until a call fails or 1 % retransmit, or SIPp cannot place calls that fast
(SIPp-bound). db: one node with --db (SQLite, synchronous=FULL). redis1: one node on
Redis. redis2: two nodes on one Redis, each driven by its own SIPp at half the rate.
Notifier CPU and Redis CPU are given per step.

--smoke RATE runs one step at RATE of each scenario against redis2 and exits 1 unless
every call succeeded (the CI check).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "load"))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))
import sipp_maxrate as sm  # noqa: E402
from cluster_env import Endpoint, Redis, free_port, pidf  # noqa: E402

SCEN = {"register": "register.xml", "subscribe": "subscribe.xml", "publish": "publish.xml"}
LADDER = [2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 20000, 24000, 28000, 32000, 40000]


def run_sipp(scenario, port, rate, calls, seconds, work, pfx):
    """SIPp on one of this folder's scenarios, its AoRs prefixed with `pfx`."""
    return sm.run_sipp(scenario, "127.0.0.1", f"127.0.0.1:{port}", rate, seconds, work,
                       sf=os.path.join(HERE, SCEN[scenario]), extra=["-key", "pfx", pfx], calls=calls)


class Setup:
    def __init__(self, kind, notifier, work):
        self.kind, self.notifier, self.work = kind, notifier, work
        self.redis = None
        self.nodes = []

    def start(self, rate, seconds):
        limit = max(rate * (seconds + 40), 100000)
        n = 2 if self.kind == "redis2" else 1
        if self.kind.startswith("redis"):
            self.redis = Redis(work=tempfile.mkdtemp(dir=self.work))
        self.nodes = []
        for i in range(n):
            port = free_port()
            argv = [self.notifier, "--bind", f"udp:127.0.0.1:{port}", "--domain", "127.0.0.1", "--quiet",
                    "--max-transactions", str(limit)]
            if self.redis:
                argv += ["--redis", f"127.0.0.1:{self.redis.port}", "--node-id", f"n{i}"]
            else:
                argv += ["--db", os.path.join(self.work, f"state-{time.time_ns()}.db")]
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if not sm.answered(port, 10):
                raise RuntimeError("sipevents-notifier did not start")
            self.nodes.append((p, port))

    def stop(self):
        """Stops what start() got to start (all of it, or what came before a failure)."""
        for p, _ in self.nodes:
            p.kill()
            p.wait(5)
        if self.redis:
            self.redis.kill(9)
            shutil.rmtree(self.redis.work, ignore_errors=True)
            self.redis = None

    def cpu(self):
        return sum(sm.proc_stat(p.pid)[0] for p, _ in self.nodes)

    def redis_cpu(self):
        return sm.proc_stat(self.redis.p.pid)[0] if self.redis else 0.0


def step(setup, scenario, rate, seconds, work):
    try:
        setup.start(rate, seconds)
        c0, r0 = setup.cpu(), setup.redis_cpu()
        share = rate // len(setup.nodes)
        results = [None] * len(setup.nodes)

        def drive(i, port):
            results[i] = run_sipp(scenario, port, share, share * seconds, seconds, work, f"n{i}x")
        threads = [threading.Thread(target=drive, args=(i, port)) for i, (_, port) in enumerate(setup.nodes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        c1, r1 = setup.cpu(), setup.redis_cpu()
    finally:
        setup.stop()
    if any(r is None for r in results):
        return None
    elapsed = max(r["elapsed"] for r in results)
    out = {k: sum(r[k] for r in results) for k in ("calls", "ok", "failed", "retrans")}
    out["elapsed"] = elapsed
    out["reached"] = out["ok"] / max(elapsed, 1e-3)
    out["cpu"] = (c1 - c0) / max(elapsed, 1e-3) * 100
    out["redis_cpu"] = (r1 - r0) / max(elapsed, 1e-3) * 100
    out["pct"] = 100.0 * out["retrans"] / max(out["calls"], 1)
    out["paced"] = elapsed <= seconds * 1.05 + 0.5
    return out


def climb(setup, scenario, rates, seconds, work):
    print(f"== {scenario} against {setup.kind} ({seconds} s per step)")
    print(f"{'rate/s':>8} {'reached':>8} {'calls':>8} {'ok':>8} {'failed':>7} {'retrans%':>9} {'nodes cpu%':>10} "
          f"{'redis cpu%':>10}")
    best, capped = 0, False
    for rate in rates:
        r = step(setup, scenario, rate, seconds, work)
        if r is None:
            print(f"{rate:>8} no statistics from SIPp")
            break
        print(f"{rate:>8} {r['reached']:>8.0f} {r['calls']:>8} {r['ok']:>8} {r['failed']:>7} {r['pct']:>8.2f}% "
              f"{r['cpu']:>9.0f}% {r['redis_cpu']:>9.0f}%", flush=True)
        if r["failed"] or r["ok"] != r["calls"] or r["pct"] >= 1.0:
            break
        if not r["paced"]:
            best, capped = max(best, int(r["reached"])), True
            break
        best = rate
    print(f"max rate: {scenario} {setup.kind} {best}/s" + (" (SIPp-bound)" if capped else ""), flush=True)
    return best, capped


def commandstats(redis):
    out = {}
    for line in redis.cli("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[8:].split(":", 1)
            out[name] = int(rest.split("calls=")[1].split(",")[0])
    return out


def memory(redis):
    return int(redis.info("memory")["used_memory"])


def traffic(redis):
    i = redis.info("stats")
    return int(i["total_net_input_bytes"]), int(i["total_net_output_bytes"])


def cost(notifier, work):
    """Redis operations and bytes per request, two nodes on one Redis."""
    setup = Setup("redis2", notifier, work)
    rows = []
    mem = {}
    try:
        setup.start(1000, 10)
        redis = setup.redis
        (_, a), (_, b) = setup.nodes

        def measure(label, n, action):
            time.sleep(1.0)  # lease renewals and feed reads in between are counted too: take a quiet start
            s0, t0, m0 = commandstats(redis), traffic(redis), memory(redis)
            action()
            time.sleep(1.0)
            s1, t1, m1 = commandstats(redis), traffic(redis), memory(redis)
            mem[label] = (m1 - m0) / n
            d = {k: s1.get(k, 0) - s0.get(k, 0) for k in s1}
            calls = d.get("evalsha", 0) + d.get("eval", 0)
            inner = sum(v for k, v in d.items() if k not in ("evalsha", "eval", "xread", "info", "ping", "client|setname",
                                                                "commandstats", "config|get"))
            rows.append((label, n, calls / n, inner / n, (t1[0] - t0[0]) / n, (t1[1] - t0[1]) / n,
                         ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(d.items()) if v and k not in ("info",))))

        for sc in ("register", "subscribe", "publish"):
            measure(sc.upper(), 5000, lambda sc=sc: run_sipp(sc, a, 500, 5000, 10, work, f"c{sc}"))
        # NOTIFY: 100 watchers of one presentity on A, 20 changes made at B.
        ep = Endpoint()
        br = [ep.subscribe(("127.0.0.1", a), "star", "presence", f"nw{i}", from_user="127.0.0.1") for i in range(100)]
        ep.wait_responses(br)
        ep.quiet(0.5)
        pubs = []

        def changes():
            etag = None
            for k in range(21):
                br2 = ep.publish(("127.0.0.1", b), "star", 3600, pidf("sip:star@127.0.0.1", "open", f"n{k}"), "np",
                                 cseq=k + 1, if_match=etag)
                r = ep.wait_responses([br2])[0]
                for line in r.split("\r\n"):
                    if line.lower().startswith("sip-etag:"):
                        etag = line.split(":", 1)[1].strip()
                pubs.append(r)
                ep.quiet(0.3)
        # The first PUBLISH creates, 20 modify: 2,100 NOTIFYs; the PUBLISHes' own cost is subtracted below.
        measure("PUBLISH+NOTIFY", 2100, changes)
        label, n, calls, inner, bin_, bout, detail = rows[-1]
        p = rows[2]
        rows[-1] = ("NOTIFY", n, (calls * n - p[2] * 21) / n, (inner * n - p[3] * 21) / n, (bin_ * n - p[4] * 21) / n,
                    (bout * n - p[5] * 21) / n, "per NOTIFY, the 21 PUBLISHes that caused them subtracted")
    finally:
        setup.stop()
    print("== Redis cost per request (two nodes on one Redis; bytes out include the change read back by the other node)")
    print(f"{'request':<10} {'n':>6} {'scripts':>8} {'commands':>9} {'bytes in':>9} {'bytes out':>10}  detail")
    for label, n, calls, inner, bin_, bout, detail in rows:
        print(f"{label:<10} {n:>6} {calls:>8.2f} {inner:>9.2f} {bin_:>9.0f} {bout:>10.0f}  {detail}")
    print("Redis memory held per record (used_memory growth, stream entries included): " +
          ", ".join(f"{k} {v:.0f} B" for k, v in mem.items() if k != "PUBLISH+NOTIFY"))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notifier", default=os.path.join(ROOT, "build", "release", "examples", "sipevents-notifier"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rates", default="")
    ap.add_argument("--setups", default="db,redis1,redis2")
    ap.add_argument("--scenarios", default="register,subscribe")
    ap.add_argument("--cost-only", action="store_true")
    ap.add_argument("--smoke", type=int, default=0)
    args = ap.parse_args()
    if not shutil.which("sipp") or not shutil.which("redis-server"):
        sys.exit("needs sipp (sip-tester) and redis-server")
    work = tempfile.mkdtemp(prefix="sipevents-scaleout-")
    try:
        if args.smoke:
            bad = 0
            for sc in args.scenarios.split(","):
                r = step(Setup("redis2", args.notifier, work), sc, args.smoke, args.seconds, work)
                ok = r is not None and r["failed"] == 0 and r["ok"] == r["calls"]
                print(f"{sc} {args.smoke}/s for {args.seconds} s against two nodes on Redis: " +
                      (f"{r['ok']} of {r['calls']} ok, {r['failed']} failed, {r['pct']:.2f}% retransmitted, nodes cpu "
                       f"{r['cpu']:.0f}%, redis cpu {r['redis_cpu']:.0f}%" if r else "no statistics from SIPp") +
                      ("" if ok else "  FAILED"), flush=True)
                bad += not ok
            sys.exit(1 if bad else 0)
        cost(args.notifier, work)
        if args.cost_only:
            return
        rates = [int(x) for x in args.rates.split(",")] if args.rates else LADDER
        best = {}
        for sc in args.scenarios.split(","):
            for kind in args.setups.split(","):
                best[(sc, kind)] = climb(Setup(kind, args.notifier, work), sc, rates, args.seconds, work)
        print("== summary (highest rate with no failed call and < 1 % retransmissions)")
        for sc in args.scenarios.split(","):
            cells = []
            for kind in args.setups.split(","):
                rate, capped = best[(sc, kind)]
                cells.append(f"{kind} {rate}/s{' (SIPp-bound)' if capped else ''}")
            print(f"{sc:<10} " + "   ".join(cells))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
