#!/usr/bin/env python3
"""TLS and WSS connection costs of sipevents-notifier and of Kamailio's tls module, in
one run, with bench/connections as the client.

  bench/tls_connections.py [--build build/release] [--seconds 5] [--idle 2000]

Prints, per server: SUBSCRIBE+NOTIFY pairs per second over TLS (4 connections, 16
in flight on each, a fresh presentity per SUBSCRIBE, the NOTIFY answered: SIPp would
be the tool, but Debian 12's sip-tester has no TLS); new TLS handshakes per second (each a connect, a handshake, one
OPTIONS and its answer, a close) with 1 and 16 connections at once, and the memory
(PSS, summed over the server's processes) held per idle TLS and WSS connection, from
IDLE connections that each sent one OPTIONS (opened 32 at a time, one at a time
for Kamailio, whose tls module crashes under concurrent handshakes). Kamailio (tests/interop/kamailio_auth
with KAM_TLS_PORT) runs without its websocket module, so it has no WSS figure.
Both servers use the same test certificate (ECDSA P-256) and TLS 1.3.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "pylib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "transport"))
from procs import Proc, free_port, wait_for  # noqa: E402
import certs  # noqa: E402


def pss_mb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next((int(l.split()[1]) for l in f if l.startswith("Pss:")), 0)
        except OSError:
            pass
    return total / 1024


def family(pid):
    """The process and its children (Kamailio forks its workers)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [int(p) for p in out]


def handshakes(client, kind, port, seconds, concurrency):
    r = subprocess.run([client, "handshakes", kind, "127.0.0.1", str(port), str(seconds), str(concurrency)],
                       capture_output=True, text=True, timeout=seconds + 30)
    line = r.stdout.strip()
    try:
        rate = float(line.split("= ")[1].split("/s")[0])
        failed = int(line.split("(")[1].split(" failed")[0])
    except (IndexError, ValueError):
        return 0.0, -1, line
    return rate, failed, line


def subscribes(client, port, seconds, conns=4, depth=16):
    r = subprocess.run([client, "subscribe", "tls", "127.0.0.1", str(port), str(seconds), str(conns), str(depth)],
                       capture_output=True, text=True, timeout=seconds + 30)
    line = r.stdout.strip()
    try:
        return float(line.split("= ")[1].split("/s")[0]), int(line.split("(")[1].split(" failed")[0])
    except (IndexError, ValueError):
        return 0.0, -1


def idle_cost(client, kind, port, count, pids, window=32):
    time.sleep(0.5)
    before = pss_mb(pids())
    p = subprocess.Popen([client, "idle", kind, "127.0.0.1", str(port), str(count), str(window)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    time.sleep(1.0)
    after = pss_mb(pids())
    p.stdin.close()
    p.wait(timeout=30)
    try:
        up = int(line.split()[1])
    except (IndexError, ValueError):
        up = 0
    return (after - before) * 1024 * 1024 / up if up else 0.0, up


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--idle", type=int, default=2000)
    a = ap.parse_args()
    client = os.path.join(a.build, "bench", "connections")
    notifier = os.path.join(a.build, "examples", "sipevents-notifier")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        ca = certs.CA(work)
        cert, key = ca.leaf("server", "127.0.0.1", ["DNS:127.0.0.1", "IP:127.0.0.1"])
        def notifier_run(measure):
            udp, tls, wss = free_port(), free_port(), free_port()
            n = Proc([notifier, "--bind", f"udp:127.0.0.1:{udp}", "--bind", f"tls:127.0.0.1:{tls}", "--bind",
                      f"wss:127.0.0.1:{wss}", "--domain", "127.0.0.1", "--cert", cert, "--key", key, "--quiet",
                      "--max-connections", str(a.idle + 1000), "--max-connections-per-source", str(a.idle + 1000)])
            wait_for(lambda: any("sipevents-notifier:" in l for l in n.get()), "the notifier")
            try:
                return measure(n, tls, wss)
            finally:
                n.kill()

        # A fresh process for each figure: what one measurement freed and the allocator
        # kept must not make the next look cheaper.
        r = {"server": "sipevents"}
        r["sub"], r["sub_failed"] = notifier_run(lambda n, tls, wss: subscribes(client, tls, a.seconds))
        r["hs1"], r["f1"], _ = notifier_run(lambda n, tls, wss: handshakes(client, "tls", tls, a.seconds, 1))
        r["hs16"], r["f16"], _ = notifier_run(lambda n, tls, wss: handshakes(client, "tls", tls, a.seconds, 16))
        r["wss16"], _, _ = notifier_run(lambda n, tls, wss: handshakes(client, "wss", wss, a.seconds, 16))
        r["idle_tls"], r["up_tls"] = notifier_run(
            lambda n, tls, wss: idle_cost(client, "tls", tls, a.idle, lambda: [n.p.pid]))
        r["idle_wss"], r["up_wss"] = notifier_run(
            lambda n, tls, wss: idle_cost(client, "wss", wss, a.idle, lambda: [n.p.pid]))
        rows.append(r)
        start = os.path.join(ROOT, "tests", "interop", "kamailio_auth", "start.sh")
        stop = os.path.join(ROOT, "..", "shared", "interop", "kamailio", "stop.sh")

        def kamailio_run(measure):
            """A fresh Kamailio for one figure; None when it did not start."""
            kport, ktls = free_port(), free_port()
            run = os.path.join(work, f"kamailio-{kport}")
            # Without authentication (the notifier has none here either), and enough
            # shared memory for the subscriptions a run leaves behind.
            env = dict(os.environ, KAM_PORT=str(kport), KAM_RUN_DIR=run, KAM_TLS_PORT=str(ktls), KAM_TLS_CERT=cert,
                       KAM_TLS_KEY=key, KAM_NOAUTH="1", KAM_SHM="1024")
            if subprocess.run(["sh", start], env=env, stdout=subprocess.DEVNULL).returncode != 0:
                return None
            pid = int(open(os.path.join(run, "kamailio.pid")).read())
            try:
                result = measure(pid, ktls)
                return result + (not os.path.exists(f"/proc/{pid}"),)
            finally:
                subprocess.run(["sh", stop], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        r = {"server": "kamailio"}
        r["sub"], r["sub_failed"], _ = kamailio_run(lambda pid, ktls: subscribes(client, ktls, a.seconds))
        # One handshake at a time first: Kamailio 5.6.3's tls module with Debian 12's
        # OpenSSL 3 corrupts its shared memory under concurrent handshakes
        # (kamailio/kamailio#3791; tls_threads_mode, the fix, came in 5.7).
        r["hs1"], r["f1"], _, _ = kamailio_run(lambda pid, ktls: handshakes(client, "tls", ktls, a.seconds, 1))
        r["hs16"], r["f16"], _, r["crashed"] = kamailio_run(
            lambda pid, ktls: handshakes(client, "tls", ktls, a.seconds, 16))
        r["idle_tls"], r["up_tls"], _ = kamailio_run(
            lambda pid, ktls: idle_cost(client, "tls", ktls, a.idle, lambda: family(pid), window=1))
        rows.append(r)
    print(f"{'server':10} {'SUB+NOTIFY/s':>13} {'TLS hs/s x1':>12} {'TLS hs/s x16':>13} {'WSS hs/s x16':>13} "
          f"{'B/idle TLS':>11} {'B/idle WSS':>11}")
    for r in rows:
        hs16 = f"{r['hs16']:.0f}" + (" (crashed)" if r.get("crashed") else "")
        wss = f"{r['wss16']:.0f}" if "wss16" in r else "-"
        iw = f"{r['idle_wss']:.0f}" if "idle_wss" in r else "-"
        print(f"{r['server']:10} {r['sub']:>13.0f} {r['hs1']:>12.0f} {hs16:>13} {wss:>13} {r['idle_tls']:>11.0f} {iw:>11}"
              f"   ({r['up_tls']} idle TLS up)")
    if len(rows) == 2 and rows[1]["sub"]:
        print(f"ratio sipevents/kamailio, SUBSCRIBE+NOTIFY over TLS (4 connections x 16 in flight): "
              f"{rows[0]['sub'] / rows[1]['sub']:.2f}")
    if len(rows) == 2 and rows[1]["hs1"]:
        print(f"ratio sipevents/kamailio, TLS handshakes/s one at a time: {rows[0]['hs1'] / rows[1]['hs1']:.2f}")


if __name__ == "__main__":
    main()
