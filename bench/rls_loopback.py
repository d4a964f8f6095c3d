#!/usr/bin/env python3
"""bench/rls_loopback.py: a buddy list of 200 through sipevents-notifier on loopback.

  bench/rls_loopback.py [--notifier PATH] [--buddies 200] [--watchers 20] [--rounds 20]

Starts sipevents-notifier --lists (one list of B buddies, --list-rate 0) on UDP and
TCP. W list subscribers, each one TCP connection (SUBSCRIBE with Supported:
eventlist, every NOTIFY answered 200), take the full list; then each round one buddy
PUBLISHes (UDP) and the time from sending the PUBLISH to the last of the W partial
list NOTIFYs naming that buddy is taken. Prints the full and partial NOTIFY sizes,
the median and best time, and the notifier's RSS before and after the subscribers
(per list subscription).
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "cluster"))
from cluster_env import Endpoint, free_port, pidf  # noqa: E402


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class ListWatcher:
    """One list subscription over its own TCP connection."""

    def __init__(self, port, n):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setblocking(False)
        self.buf = b""
        self.n = n
        lport = self.s.getsockname()[1]
        req = (f"SUBSCRIBE sip:buddies@example.com SIP/2.0\r\n"
               f"Via: SIP/2.0/TCP 127.0.0.1:{lport};branch=z9hG4bK-w{n}-{time.time_ns()}\r\nMax-Forwards: 70\r\n"
               f"From: <sip:w{n}@example.com>;tag=w{n}\r\nTo: <sip:buddies@example.com>\r\n"
               f"Call-ID: rlsbench-{n}-{time.time_ns()}\r\nCSeq: 1 SUBSCRIBE\r\n"
               f"Contact: <sip:w{n}@127.0.0.1:{lport};transport=tcp>\r\nEvent: presence\r\nExpires: 3600\r\n"
               f"Supported: eventlist\r\nAccept: multipart/related, application/rlmi+xml, application/pidf+xml\r\n"
               f"Content-Length: 0\r\n\r\n")
        self.s.sendall(req.encode())

    def messages(self):
        """Complete messages read so far (NOTIFYs answered 200)."""
        try:
            while True:
                d = self.s.recv(1 << 20)
                if not d:
                    break
                self.buf += d
        except BlockingIOError:
            pass
        out = []
        while b"\r\n\r\n" in self.buf:
            head, rest = self.buf.split(b"\r\n\r\n", 1)
            m = re.search(rb"\r\nContent-Length: *(\d+)", head, re.I)
            n = int(m.group(1)) if m else 0
            if len(rest) < n:
                break
            msg, self.buf = head + b"\r\n\r\n" + rest[:n], rest[n:]
            if msg.startswith(b"NOTIFY "):
                h = msg.split(b"\r\n\r\n")[0].decode()
                hdr = {k.lower(): v for k, v in (l.split(":", 1) for l in h.split("\r\n")[1:])}
                resp = ("SIP/2.0 200 OK\r\n" + "".join(f"{k}:{hdr[k.lower()]}\r\n" for k in ("Via", "From", "To",
                        "Call-ID", "CSeq")) + "Content-Length: 0\r\n\r\n")
                self.s.sendall(resp.encode())
            out.append(msg)
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--notifier", default=os.path.join(HERE, "..", "build", "release", "examples", "sipevents-notifier"))
    ap.add_argument("--buddies", type=int, default=200)
    ap.add_argument("--watchers", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="rlsbench-")
    lists = os.path.join(work, "lists.xml")
    with open(lists, "w") as f:
        f.write('<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="buddies">' +
                "".join(f'<entry uri="sip:b{i}@example.com"><display-name>Buddy {i}</display-name></entry>'
                        for i in range(a.buddies)) + "</list></resource-lists>")
    port = free_port()
    p = subprocess.Popen([a.notifier, "--bind", f"udp:127.0.0.1:{port}", "--bind", f"tcp:127.0.0.1:{port}",
                          "--domain", "example.com", "--lists", lists, "--list-rate", "0", "--max-list",
                          str(max(1000, a.buddies)), "--quiet"], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        ep = Endpoint()
        etags = {}
        pubs = [ep.publish(("127.0.0.1", port), f"b{i}", 3600, pidf(f"sip:b{i}@example.com", "closed"), f"p{i}")
                for i in range(a.buddies)]
        for i, r in enumerate(ep.wait_responses(pubs)):
            etags[i] = re.search(r"SIP-ETag: *(\S+)", r).group(1)
        rss0 = rss_kb(p.pid)
        ws = [ListWatcher(port, n) for n in range(a.watchers)]
        full = {}
        end = time.time() + 30
        while len(full) < a.watchers and time.time() < end:
            for w in ws:
                for m in w.messages():
                    if m.startswith(b"NOTIFY"):
                        full.setdefault(w.n, len(m))
        assert len(full) == a.watchers, f"{len(full)} of {a.watchers} full NOTIFYs"
        time.sleep(0.3)
        rss1 = rss_kb(p.pid)
        times, partial = [], 0
        for r in range(a.rounds):
            who = (r * 7) % a.buddies
            cseq = 2 + r
            t0 = time.perf_counter()
            br = ep.publish(("127.0.0.1", port), f"b{who}", 3600, pidf(f"sip:b{who}@example.com", "open",
                                                                         f"round {r}"),
                            f"p{who}", cseq=cseq, if_match=etags[who])
            got = set()
            end = time.time() + 10
            while len(got) < a.watchers and time.time() < end:
                for w in ws:
                    for m in w.messages():
                        if m.startswith(b"NOTIFY") and f"sip:b{who}@example.com".encode() in m:
                            got.add(w.n)
                            partial = len(m)
            times.append(time.perf_counter() - t0)
            assert len(got) == a.watchers, f"round {r}: {len(got)} of {a.watchers}"
            etags[who] = re.search(r"SIP-ETag: *(\S+)", ep.wait_responses([br])[0]).group(1)
        med = statistics.median(times)
        print(f"{a.buddies} buddies, {a.watchers} list subscriptions over TCP: full NOTIFY {max(full.values())} bytes, "
              f"partial {partial} bytes")
        print(f"PUBLISH -> last list NOTIFY over loopback: median {med * 1e3:.2f} ms, best {min(times) * 1e3:.2f} ms "
              f"over {a.rounds} rounds")
        print(f"notifier RSS {rss0} kB with the buddies' publications, {rss1} kB with the list subscriptions "
              f"({(rss1 - rss0) * 1024 / a.watchers:.0f} bytes per list subscription, socket buffers included)")
    finally:
        p.terminate()
        p.wait(5)


if __name__ == "__main__":
    main()
