#!/usr/bin/env python3
"""SIPp load against sipevents-notifier, and Kamailio on the same scenarios.

  tests/load/sipp_maxrate.py [--notifier BIN] [--scenario message,subscribe,register]
                             [--server sipevents,kamailio] [--seconds 10]
                             [--rates R1,R2,...] [--smoke RATE]
                             [--persist [--db-sync full|normal] [--kamailio-db through|back]]
                             [--cpu-budget CORES]

Scenarios (SIPp, UDP, one call each):
  message    MESSAGE to an unregistered user: 404 from both servers (RFC 3428 relay)
  subscribe  SUBSCRIBE Event: presence for a fresh presentity, 200/202, then the first
             NOTIFY answered 200 (the subscription stays)
  register   REGISTER a fresh AoR, 200
  register-auth, subscribe-auth
             the same with digest authentication: each call is one user of a users
             file (sipevents-notifier --users; Kamailio with auth_db, our config in
             tests/interop/kamailio_auth): 401, then the request with Authorization
             (MD5, qop=auth), as user "load"

--persist (with the -auth scenarios) makes both servers keep what they acknowledge:
sipevents-notifier --db (SQLite, WAL, a 2xx only after its commit; --db-sync as
given) and Kamailio with usrloc and presence writing through to its SQLite file
(db_mode 1, subs_db_mode 1: the same promise), or with --kamailio-db back flushing
to it on a timer (db_mode 2, subs_db_mode 2: a crash loses what came since).

For each scenario and server the rate climbs in steps of --seconds (a fresh server
each step, so state from the last step does not weigh on this one) until a step has
a failed call or retransmits 1 % of its calls or more, or SIPp itself cannot place
calls that fast (then the rate SIPp reached is the result, marked as SIPp-bound). Prints one line per step and
then `max rate: SCENARIO SERVER N/s`, and the sipevents/Kamailio ratio per scenario.

--cpu-budget CORES holds each server (Kamailio: all its processes) to CORES of CPU
time by a cgroup quota (root; cgroup v1 or v2). SIPp on a 2-core machine tops out near
30,000 calls/s, so without it two efficient servers both look "SIPp-bound"; held to,
say, 0.25 of a core each, the highest clean rate is each server's own cost per call.

--smoke RATE runs one step at RATE per scenario against sipevents only and exits 1
unless every call succeeded (the CI check).
"""
import argparse
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("SIPEVENTS_SHARED_DIR", os.path.join(ROOT, "..", "shared"))
SCENARIOS = {  # name -> (SIPp file, [service])
    "message": ("message_uac.xml", "nobody"),
    "subscribe": ("subscribe_uac.xml", "127.0.0.1"),
    "register": ("register_uac.xml", "127.0.0.1"),
    "register-auth": ("register_auth_uac.xml", "127.0.0.1"),
    "subscribe-auth": ("subscribe_auth_uac.xml", "127.0.0.1"),
}


LOAD_USER, LOAD_PASSWORD = "load", "load-pw"  # SIPp -au/-ap: one user for every call


def users_file(work):
    """The users file both servers get for the -auth scenarios."""
    path = os.path.join(work, "users.txt")
    with open(path, "w") as f:
        f.write(f"{LOAD_USER}:{LOAD_PASSWORD}\n")
    return path
LADDER = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10000, 12000, 14000, 16000, 18000, 20000, 22000, 24000,
          28000, 32000, 40000, 48000, 56000, 64000, 80000, 100000]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t.bind(("127.0.0.1", port))
        return port


def proc_stat(pid):
    """(cpu seconds, memory MB) of a process, (0, 0) when it is gone. Memory is the
    proportional set size: shared pages (Kamailio's shm) count once across processes."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        with open(f"/proc/{pid}/smaps_rollup") as f:
            pss = next((int(l.split()[1]) for l in f if l.startswith("Pss:")), 0) / 1024
        return cpu, pss
    except (OSError, StopIteration):
        return 0.0, 0.0


def answered(port, timeout=5.0):
    """True once something answers an OPTIONS on 127.0.0.1:port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.2)
    me = s.getsockname()[1]
    end = time.time() + timeout
    n = 0
    while time.time() < end:
        n += 1
        s.sendto((f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bKup{n}\r\n"
                  f"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:127.0.0.1>\r\n"
                  f"Call-ID: up{n}-{me}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(), ("127.0.0.1", port))
        try:
            s.recv(65535)
            s.close()
            return True
        except socket.timeout:
            pass
    s.close()
    return False


class Sipevents:
    name = "sipevents"

    def __init__(self, binary, work, persist=None):
        self.binary, self.work, self.persist = binary, work, persist

    def start(self, rate, seconds, users=None):
        self.port = free_port()
        # Every answered request of a step sits 32 s in Timer J: room for all of them
        # (twice as many with authentication: the 401 has its own transaction).
        limit = max(rate * (seconds + 40) * (2 if users else 1), 100000)
        self.p = subprocess.Popen([self.binary, "--bind", f"udp:127.0.0.1:{self.port}", "--domain", "127.0.0.1",
                                   "--quiet", "--max-transactions", str(limit)] +
                                  (["--users", users, "--auth-no-uri-check"] if users else []) +
                                  (["--db", os.path.join(self.work, f"state-{time.time_ns()}.db"), "--db-sync",
                                    self.persist] if self.persist else []),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not answered(self.port):
            raise RuntimeError("sipevents-notifier did not start")
        return self.p.pid

    def stop(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(5)


class Kamailio:
    name = "kamailio"

    def __init__(self, work, persist=None, db_mode="through"):
        self.dir = os.path.join(SHARED, "interop", "kamailio")
        self.work, self.persist, self.db_mode = work, persist, db_mode

    def start(self, rate, seconds, users=None):
        self.port = free_port()
        self.env = dict(os.environ, KAM_PORT=str(self.port), KAM_RUN_DIR=os.path.join(self.work, "kamailio"),
                        KAM_SHM="1024", KAM_DEBUG="1")
        start = os.path.join(self.dir, "start.sh")
        if users:  # Kamailio with auth + auth_db (sqlite subscriber table), MD5 challenges
            start = os.path.join(ROOT, "tests", "interop", "kamailio_auth", "start.sh")
            self.env["KAM_USERS_FILE"] = users
            if self.persist:
                self.env["KAM_PERSIST"] = self.db_mode
        subprocess.run(["sh", start], env=self.env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(self.work, "kamailio", "kamailio.pid")) as f:
            return int(f.read().split()[0])

    def stop(self):
        subprocess.run(["sh", os.path.join(self.dir, "stop.sh")], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class CpuBudget:
    """Holds each server to `cores` of CPU time (a cgroup quota: v1 cpu.cfs_quota_us or
    v2 cpu.max, period 10 ms), so the rate a server sustains measures its own cost and
    not the load generator's ceiling: on a small machine SIPp cannot place calls fast
    enough to find where an efficient server stops. Needs root."""

    def __init__(self, cores):
        self.cores = cores
        period = 10000
        quota = max(1000, int(cores * period))
        name = f"sipevents-load-{os.getpid()}"
        v1 = "/sys/fs/cgroup/cpu"
        try:
            if os.path.exists(os.path.join(v1, "cpu.cfs_quota_us")):
                self.dir = os.path.join(v1, name)
                os.makedirs(self.dir, exist_ok=True)
                self._write("cpu.cfs_period_us", period)
                self._write("cpu.cfs_quota_us", quota)
            else:
                with open("/sys/fs/cgroup/cgroup.controllers") as f:
                    if "cpu" not in f.read().split():
                        raise OSError("no cpu controller in /sys/fs/cgroup")
                with open("/sys/fs/cgroup/cgroup.subtree_control", "w") as f:
                    f.write("+cpu")
                self.dir = os.path.join("/sys/fs/cgroup", name)
                os.makedirs(self.dir, exist_ok=True)
                self._write("cpu.max", f"{quota} {period}")
        except OSError as e:
            sys.exit(f"--cpu-budget needs a writable cgroup cpu controller (root): {e}")

    def _write(self, leaf, value):
        with open(os.path.join(self.dir, leaf), "w") as f:
            f.write(str(value))

    def hold(self, pids):
        for p in pids:
            self._write("cgroup.procs", p)

    def close(self):
        try:
            os.rmdir(self.dir)
        except OSError:
            pass


def server_pids(pid):
    """The server and, for Kamailio, its forked workers."""
    try:
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except OSError:
        kids = []
    return [pid] + [int(k) for k in kids]


def kamailio_cpu(pid):
    """Kamailio forks workers: add up the process group's children too."""
    total, rss = 0.0, 0.0
    for p in server_pids(pid):
        c, r = proc_stat(p)
        total += c
        rss += r
    return total, rss


def run_sipp(scenario, service, target, rate, seconds, work, auth=False, sf=None, extra=(), calls=None):
    """One SIPp run of `calls` (default rate x seconds); `sf` names a scenario file of
    another folder, `extra` more SIPp arguments (-key ...)."""
    stats = os.path.join(work, f"stats-{scenario}-{rate}-{time.time_ns()}.csv")
    calls = calls or rate * seconds
    cmd = ["sipp", "-sf", sf or os.path.join(HERE, SCENARIOS[scenario][0]), "-s", service, target, "-r", str(rate),
           ] + (["-au", LOAD_USER, "-ap", LOAD_PASSWORD] if auth else []) + list(extra) + [
           "-m", str(calls), "-l", str(max(rate * 2, 1000)), "-timeout", str(seconds + 40), "-timeout_error",
           "-trace_stat", "-stf", stats, "-fd", "1", "-nostdin", "-buff_size", "8388608", "-bg"]
    subprocess.run(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    deadline = time.time() + seconds + 60  # -bg returns at once; wait for the calls
    while time.time() < deadline:
        if subprocess.run(["pgrep", "-f", f"stf {stats}"], stdout=subprocess.DEVNULL).returncode != 0:
            break
        time.sleep(0.2)
    rows = list(csv.reader(open(stats), delimiter=";")) if os.path.exists(stats) else []
    if len(rows) < 2:
        return None
    col = {name: i for i, name in enumerate(rows[0])}
    last = rows[-1]
    get = lambda n: int(last[col[n]]) if n in col and last[col[n]].strip() else 0
    # SIPp keeps going when it cannot place calls at the rate asked: what counts is the
    # rate it reached, calls over the time it took ("HH:MM:SS" or "HH:MM:SS:uuuuuu").
    parts = [float(x) for x in last[col["ElapsedTime(C)"]].split(":")]
    elapsed = parts[0] * 3600 + parts[1] * 60 + parts[2] + (parts[3] / 1e6 if len(parts) > 3 else 0)
    return {"calls": calls, "ok": get("SuccessfulCall(C)"), "failed": get("FailedCall(C)"),
            "retrans": get("Retransmissions(C)"), "elapsed": elapsed}


def step(server, scenario, rate, seconds, work, budget=None):
    auth = scenario.endswith("-auth")
    users = users_file(work) if auth else None
    # Servers other than ours and Kamailio (bench/transactions' listener) take no users.
    pid = server.start(rate, seconds, users) if users else server.start(rate, seconds)
    if budget:
        budget.hold(server_pids(pid))
    measure = kamailio_cpu if server.name == "kamailio" else proc_stat
    cpu0, _ = measure(pid)
    try:
        r = run_sipp(scenario, SCENARIOS[scenario][1], f"127.0.0.1:{server.port}", rate, seconds, work, auth)
        cpu1, rss = measure(pid)
    finally:
        server.stop()
    if r is not None:
        r["cpu"] = (cpu1 - cpu0) / max(r["elapsed"], 1e-3) * 100
        r["rss"] = rss
        r["pct"] = 100.0 * r["retrans"] / max(r["calls"], 1)
        r["reached"] = r["ok"] / max(r["elapsed"], 1e-3)
        # A step counts at its rate only if SIPp placed its calls within 5 % of the time.
        r["paced"] = r["elapsed"] <= seconds * 1.05 + 0.5
    return r


def climb(server, scenario, rates, seconds, work, max_retrans_pct=1.0, budget=None):
    """Steps up `rates` until one is not clean: a failed call, or retransmissions at
    `max_retrans_pct` % of the calls or more (with 0: any retransmission). Returns the
    highest clean rate and whether every step was clean."""
    held = f", held to {budget.cores:g} of a core" if budget else ""
    print(f"== {scenario} against {server.name} ({seconds} s per step{held})")
    print(f"{'rate/s':>8} {'reached':>8} {'calls':>8} {'ok':>8} {'failed':>7} {'retrans':>8} {'retrans%':>9} "
          f"{'cpu%':>6} {'pss MB':>7}")
    best, capped, all_clean = 0, False, False
    for rate in rates:
        r = step(server, scenario, rate, seconds, work, budget)
        if r is None:
            print(f"{rate:>8} no statistics from SIPp")
            break
        print(f"{rate:>8} {r['reached']:>8.0f} {r['calls']:>8} {r['ok']:>8} {r['failed']:>7} {r['retrans']:>8} "
              f"{r['pct']:>8.2f}% {r['cpu']:>5.0f}% {r['rss']:>7.1f}", flush=True)
        retrans_ok = r["retrans"] == 0 if max_retrans_pct == 0 else r["pct"] < max_retrans_pct
        if r["failed"] != 0 or r["ok"] != r["calls"] or not retrans_ok:
            break
        if not r["paced"]:
            # SIPp itself is the limit here: the server kept up with all it got.
            best, capped, all_clean = max(best, int(r["reached"])), True, True
            break
        best = rate
    else:
        all_clean = True
    note = " (SIPp could not send faster: the server was not the limit)" if capped else ""
    print(f"max rate: {scenario} {server.name} {best}/s{note}", flush=True)
    return best, all_clean


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notifier", default=os.path.join(ROOT, "build", "release", "examples", "sipevents-notifier"))
    ap.add_argument("--scenario", default="message,subscribe,register")
    ap.add_argument("--server", default="sipevents,kamailio")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rates", default="")
    ap.add_argument("--smoke", type=int, default=0)
    ap.add_argument("--persist", action="store_true")
    ap.add_argument("--db-sync", default="full", choices=["full", "normal"])
    ap.add_argument("--kamailio-db", default="through", choices=["through", "back"])
    ap.add_argument("--cpu-budget", type=float, default=0.0,
                    help="hold each server to this many cores (cgroup quota, root): the rate then "
                         "measures the server's cost, not SIPp's ceiling")
    args = ap.parse_args()
    persist = args.db_sync if args.persist else None
    if persist and not all(sc.endswith("-auth") for sc in args.scenario.split(",")):
        sys.exit("--persist goes with the -auth scenarios (Kamailio's persisting config is tests/interop/kamailio_auth)")
    if not shutil.which("sipp"):
        sys.exit("sipp not found: apt-get install sip-tester")
    work = tempfile.mkdtemp(prefix="sipevents-load-")
    budget = CpuBudget(args.cpu_budget) if args.cpu_budget > 0 else None
    scenarios = args.scenario.split(",")
    try:
        if args.smoke:
            bad = 0
            for sc in scenarios:
                r = step(Sipevents(args.notifier, work, persist), sc, args.smoke, args.seconds, work)
                ok = r is not None and r["failed"] == 0 and r["ok"] == r["calls"]
                print(f"{sc} {args.smoke}/s for {args.seconds} s: " +
                      (f"{r['ok']} of {r['calls']} ok, {r['failed']} failed, {r['retrans']} retransmissions, "
                       f"server cpu {r['cpu']:.0f}%" if r else "no statistics from SIPp") + ("" if ok else "  FAILED"),
                      flush=True)
                bad += not ok
            sys.exit(1 if bad else 0)
        rates = [int(x) for x in args.rates.split(",")] if args.rates else LADDER
        servers = {"sipevents": Sipevents(args.notifier, work, persist), "kamailio": Kamailio(work, persist, args.kamailio_db)}
        best = {}
        for sc in scenarios:
            for name in args.server.split(","):
                best[(sc, name)] = climb(servers[name], sc, rates, args.seconds, work, budget=budget)[0]
        held = f", each server held to {budget.cores:g} of a core" if budget else ""
        print(f"== summary (highest rate with no failed call and < 1 % retransmissions{held})")
        for sc in scenarios:
            line = f"{sc:<10}" + "".join(f" {n} {best.get((sc, n), 0):>6}/s" for n in args.server.split(","))
            if best.get((sc, "kamailio")) and "sipevents" in args.server.split(","):
                line += f"  ratio {best.get((sc, 'sipevents'), 0) / best[(sc, 'kamailio')]:.2f}"
            print(line)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if budget:
            budget.close()


if __name__ == "__main__":
    main()
