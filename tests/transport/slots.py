#!/usr/bin/env python3
"""Connection slots under attack: thousands of idle and slow (a byte a second)
connections over TCP, TLS and WebSocket, from one source and from many, while a
normal client keeps registering and paging over each of those transports.

  slots.py BIN_DIR [SECONDS [MAX_RSS_MB]]   (a sanitizer build needs a larger bound)

The notifier runs with a table of 256 connections, 32 per source and a 3 s deadline
for a connection to deliver its first whole message. One attacking address opens
connections as fast as they are closed; forty more addresses together want far more
slots than the table has. The normal client (its own address) must get every answer,
the notifier's memory must stay bounded, and the refusals must be logged.
"""
import os
import resource
import selectors
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import Proc, free_port, wait_for  # noqa: E402
import certs  # noqa: E402
from wsclient import WsClient, status  # noqa: E402
import uuid  # noqa: E402

BIN = sys.argv[1]
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 15
MAX_RSS = float(sys.argv[3]) if len(sys.argv) > 3 else 200
SLOW = b"REGISTER sip:example.com SIP/2.0\r\n"


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0


class Attack:
    """Keeps `per_source` connections open from each source address to the ports,
    re-opening each one the server closes; half send nothing, half a byte a second."""

    def __init__(self, sources, ports, per_source):
        self.sel = selectors.DefaultSelector()
        self.sources, self.ports, self.per_source = sources, ports, per_source
        self.open = {}
        self.opened = self.closed = 0
        for src in sources:
            for i in range(per_source):
                self.connect(src, ports[i % len(ports)], i % 2 == 0)

    def connect(self, src, port, slow):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.bind((src, 0))
            s.connect_ex(("127.0.0.1", port))
        except OSError:
            s.close()
            return
        self.open[s] = (src, port, slow, 0)
        self.sel.register(s, selectors.EVENT_READ)
        self.opened += 1

    def step(self):
        for key, _ in self.sel.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:  # closed by the server: come back at once
                src, port, slow, _ = self.open.pop(s)
                self.sel.unregister(s)
                s.close()
                self.closed += 1
                self.connect(src, port, slow)
        now = int(time.time())
        for s, (src, port, slow, sent) in list(self.open.items()):
            if slow and sent < now:
                try:
                    s.send(SLOW[now % len(SLOW):now % len(SLOW) + 1])
                except OSError:
                    pass
                self.open[s] = (src, port, slow, now)

    def stop(self):
        for s in list(self.open):
            s.close()


def main(work):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ca = certs.CA(work)
    cert, key = ca.leaf("server", "example.com", ["DNS:example.com", "IP:127.0.0.1"])
    udp, tcp, tls, ws = free_port(), free_port(), free_port(), free_port()
    n = Proc([os.path.join(BIN, "sipevents-notifier"), "--bind", f"udp:127.0.0.1:{udp}", "--bind", f"tcp:127.0.0.1:{tcp}",
              "--bind", f"tls:127.0.0.1:{tls}", "--bind", f"ws:127.0.0.1:{ws}", "--domain", "example.com",
              "--cert", cert, "--key", key, "--handshake-timeout", "3", "--max-connections", "256",
              "--max-connections-per-source", "32", "--quiet"])
    wait_for(lambda: any("sipevents-notifier:" in l for l in n.get()), "the notifier to start")
    try:
        # Alone first: a connection sending a byte a second is closed at the deadline.
        slow = socket.create_connection(("127.0.0.1", tcp))
        slow.settimeout(0.9)
        t0 = time.time()
        closed = False
        for i in range(10):
            try:
                slow.send(SLOW[i:i + 1])
                if slow.recv(1) == b"":
                    closed = True
                    break
            except socket.timeout:
                continue
            except OSError:
                closed = True
                break
        took = time.time() - t0
        slow.close()
        assert closed and 2.5 < took < 6, (closed, took)
        wait_for(lambda: any("no whole message in 3 s" in l for l in n.get()), "the deadline log line")
        print(f"a byte a second over TCP: closed after {took:.1f} s")
        one = Attack(["127.0.0.2"], [tcp, tls, ws], 1500)  # one address, far over its 32
        many = Attack([f"127.0.1.{i}" for i in range(1, 41)], [tcp, tls, ws], 32)  # 1280 wanted, 256 slots
        t_end = time.time() + SECONDS
        results = {"tcp": [], "tls": [], "ws": []}
        peak = 0
        next_client = time.time() + 1
        while time.time() < t_end:
            one.step()
            many.step()
            peak = max(peak, rss_mb(n.p.pid))
            if time.time() < next_client:
                continue
            next_client = time.time() + 1
            for kind, port in (("tcp", tcp), ("tls", tls)):
                t0 = time.time()
                p = Proc([os.path.join(BIN, "sipevents-message"), "send", "--from", "sip:alice@example.com", "--to",
                          "sip:nobody@example.com", "--via", f"{kind}:127.0.0.1:{port}", "--ca", ca.cert,
                          "--timeout-ms", "5000", "x"])
                while p.p.poll() is None:  # keep the attack going while the client waits
                    one.step()
                    many.step()
                ok = "SIP/2.0 404" in "\n".join(p.get())
                results[kind].append((ok, time.time() - t0))
            t0 = time.time()
            try:
                c = WsClient("127.0.0.1", ws, timeout=5)
                branch = uuid.uuid4().hex
                c.send(f"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/WS {c.via_host};branch=z9hG4bK{branch}\r\n"
                       f"Max-Forwards: 70\r\nFrom: <sip:ws@example.com>;tag=1\r\nTo: <sip:ws@example.com>\r\n"
                       f"Call-ID: {branch}\r\nCSeq: 1 REGISTER\r\nContact: <sip:ws@{c.via_host};transport=ws>\r\n"
                       f"Content-Length: 0\r\n\r\n")
                ok = status(c.recv()) == 200
                c.close()
            except Exception as e:  # noqa: BLE001 - any failure is a lost answer
                print("ws client:", e)
                ok = False
            results["ws"].append((ok, time.time() - t0))
        one.stop()
        many.stop()
        log = n.get()
        refused = len([l for l in log if "connections from 127.0.0.2" in l])
        evicted = len([l for l in log if l.startswith("evicted")])
        summaries = len([l for l in log if "more connection notices in the last second not shown" in l])
        print(f"attack: {one.opened + many.opened} connections opened, {one.closed + many.closed} closed by the server; "
              f"log: {len(log)} lines ({refused} refused per source, {evicted} evicted, {summaries} summaries)")
        for kind, r in results.items():
            good = len([1 for ok, _ in r if ok])
            worst = max((t for _, t in r), default=0)
            print(f"normal client over {kind}: {good}/{len(r)} answered, slowest {worst * 1000:.0f} ms")
            assert r and good == len(r), (kind, r)
        print(f"notifier peak RSS {peak:.1f} MB")
        assert refused > 0 and evicted > 0 and summaries > 0, (refused, evicted, summaries)
        assert len(log) < 40 * (SECONDS + 10), len(log)  # the log is rate-limited
        assert peak < MAX_RSS, (peak, MAX_RSS)
    finally:
        n.kill()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        main(work)
    print("ok")
