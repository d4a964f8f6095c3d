#!/usr/bin/env python3
"""Digest authentication end to end: sipevents-notifier --users and our client tools.

  auth_loopback.py BINDIR udp|tcp

1. The welcome notice with every client authenticating (--user/--password).
2. Identity, not From: joe cannot register bob's AoR, publish for alice, or relay a
   MESSAGE From alice (403 each); a wrong password and no password are refused.
3. Raw requests from this script, signed with Python's own hashlib (an independent
   digest implementation): MD5 and SHA-256 answers are accepted, a replayed nc is
   challenged again, malformed credentials get 400 naming the header, credentials
   for another realm get a fresh challenge. Every refusal is logged with its source.
4. A users file with a bad line is refused at start: exit 2, naming the line.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from sipmsg import challenges, sign  # noqa: E402
from procs import Proc, free_port, wait_for  # noqa: E402

USERS = """# example.com
joe:joe's secret
alice:alice in wonderland
bob:bob: with a colon
welcome:welcome service
"""
TEXT = "Welcome to the example.com service!"


def run(argv, timeout=30):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


class RawUdp:
    """A bare UDP client that builds requests by hand and signs them with hashlib."""

    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.s.settimeout(3)
        self.port = port
        self.lport = self.s.getsockname()[1]
        self.n = 0

    def send(self, method, ruri, user, extra="", cseq=1, call_id="raw-1"):
        self.n += 1
        msg = (f"{method} {ruri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{self.lport};branch=z9hG4bKraw{os.getpid()}x{self.n};rport\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:{user}@example.com>;tag=r{self.n}\r\nTo: <sip:{user}@example.com>\r\n"
               f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n"
               f"Contact: <sip:{user}@127.0.0.1:{self.lport}>\r\nExpires: 60\r\n{extra}Content-Length: 0\r\n\r\n")
        self.s.sendto(msg.encode(), ("127.0.0.1", self.port))
        while True:
            data = self.s.recv(65535).decode(errors="replace")
            if f"CSeq: {cseq} {method}" in data and data.startswith("SIP/2.0 ") and not data.startswith("SIP/2.0 1"):
                return data


def main():
    bindir, transport = sys.argv[1], sys.argv[2]
    exe = lambda n: os.path.join(bindir, n)
    tmp = tempfile.mkdtemp()
    users = os.path.join(tmp, "users")
    with open(users, "w") as f:
        f.write(USERS)
    port, ua_port = free_port(), free_port()
    srv = f"{transport}:127.0.0.1:{port}"
    procs = []
    try:
        # 4. a bad users file first: nothing may start on it.
        bad = os.path.join(tmp, "bad")
        with open(bad, "w") as f:
            f.write("# fine\njoe:pw\nthis line has no colon\n")
        r = run([exe("sipevents-notifier"), "--bind", f"udp:127.0.0.1:{free_port()}", "--domain", "example.com",
                 "--users", bad])
        assert r.returncode == 2 and f"{bad}:3:" in r.stderr, (r.returncode, r.stderr)

        notifier = Proc([exe("sipevents-notifier"), "--bind", f"udp:127.0.0.1:{port}", "--bind",
                         f"tcp:127.0.0.1:{port}", "--domain", "example.com", "--users", users, "--auth-algorithms", "MD5,SHA-256"])
        procs.append(notifier)
        wait_for(lambda: any("digest authentication, 4 users" in l for l in notifier.get()), "notifier")

        # 1. the welcome notice, authenticated throughout.
        welcome = Proc([exe("sipevents-welcome"), "--server", srv, "--from", "sip:app.example.com", "--count", "1",
                        "--user", "welcome", "--password", "welcome service", "--watch", "sip:joe@example.com"])
        procs.append(welcome)
        wait_for(lambda: any("registration init" in l for l in welcome.get()), "init NOTIFY")
        ua = Proc([exe("sipevents-message"), "listen", "--bind", f"{transport}:127.0.0.1:{ua_port}",
                   "--register", "sip:joe@example.com", "--registrar", srv, "--user", "joe", "--password",
                   "joe's secret", "--count", "1"])
        procs.append(ua)
        assert welcome.wait(15) == 0, welcome.get()
        contact = f"sip:joe@127.0.0.1:{ua_port}" + (";transport=tcp" if transport == "tcp" else "")
        assert f"welcome {contact}: 200 OK" in welcome.get(), welcome.get()
        assert ua.wait(15) == 0, ua.get()
        assert any(TEXT in l for l in ua.get()), ua.get()
        nl = notifier.get()
        assert any(l.startswith("auth: SUBSCRIBE sip:joe@example.com from") and "refused with 401" in l
                   for l in nl), nl
        assert any(l.startswith("auth: REGISTER sip:example.com from") for l in nl), nl

        # 2. identity, not From.
        msg = lambda *a: run([exe("sipevents-message")] + list(a))
        r = msg("send", "--from", "sip:alice@example.com", "--to", "sip:joe@example.com", "--via", srv,
                "--user", "joe", "--password", "joe's secret", "forged")
        assert r.returncode == 1 and "403" in r.stdout, (r.stdout, r.stderr)
        r = msg("send", "--from", "sip:joe@example.com", "--to", "sip:joe@example.com", "--via", srv,
                "--user", "joe", "--password", "not it", "hi")
        assert r.returncode == 1 and "407" in r.stdout, (r.stdout, r.stderr)
        r = msg("send", "--from", "sip:joe@example.com", "--to", "sip:joe@example.com", "--via", srv, "hi")
        assert r.returncode == 1 and "407" in r.stdout, (r.stdout, r.stderr)
        r = run([exe("sipevents-publish"), "--from", "sip:alice@example.com", "--server", srv, "--status", "open",
                 "--user", "bob", "--password", "bob: with a colon"])
        assert r.returncode == 1 and "failed 403" in r.stdout, (r.stdout, r.stderr)
        r = run([exe("sipevents-publish"), "--from", "sip:bob@example.com", "--server", srv, "--status", "open",
                 "--user", "bob", "--password", "bob: with a colon"])
        assert r.returncode == 0 and "removed" in r.stdout, (r.stdout, r.stderr)
        r = msg("listen", "--bind", f"udp:127.0.0.1:{free_port()}", "--register", "sip:bob@example.com",
                "--registrar", f"udp:127.0.0.1:{port}", "--user", "joe", "--password", "joe's secret", "--count", "1")
        assert r.returncode == 1 and "registered sip:bob@example.com as" in r.stderr and ": 403" in r.stderr, r.stderr
        r = run([exe("sipevents-watcher"), "--event", "presence", "--from", "sip:bob@example.com", "--server", srv,
                 "--count", "1", "--text", "sip:alice@example.com"])
        assert r.returncode != 0 and "401" in r.stdout + r.stderr, (r.stdout, r.stderr)
        r = run([exe("sipevents-watcher"), "--event", "presence", "--from", "sip:bob@example.com", "--server", srv,
                 "--user", "bob", "--password", "bob: with a colon", "--count", "1", "--text",
                 "sip:alice@example.com"])
        assert r.returncode == 0 and "active: closed" in r.stdout, (r.stdout, r.stderr)

        # 3. raw requests, signed by hashlib.
        raw = RawUdp(port)
        first = raw.send("REGISTER", "sip:example.com", "alice", cseq=1)
        assert first.startswith("SIP/2.0 401"), first
        chs = challenges(first)
        assert [c["algorithm"] for c in chs] == ["MD5", "SHA-256"], chs
        assert all(c["realm"] == "example.com" and c.get("qop") == "auth" for c in chs), chs
        for i, alg in enumerate(["MD5", "SHA-256"]):
            # One nonce serves both challenges: a fresh one for each algorithm's round.
            ch = challenges(raw.send("REGISTER", "sip:example.com", "alice", cseq=10 + i))[i]
            assert ch["algorithm"] == alg, ch
            ok = raw.send("REGISTER", "sip:example.com", "alice",
                          sign(ch, "REGISTER", "sip:example.com", "alice", "alice in wonderland", 1, alg), cseq=2 + 3 * i)
            assert ok.startswith("SIP/2.0 200"), ok
            again = raw.send("REGISTER", "sip:example.com", "alice",
                             sign(ch, "REGISTER", "sip:example.com", "alice", "alice in wonderland", 1, alg),
                             cseq=3 + 3 * i)
            assert again.startswith("SIP/2.0 401"), again  # nc 1 again: a replay
            nxt = raw.send("REGISTER", "sip:example.com", "alice",
                           sign(ch, "REGISTER", "sip:example.com", "alice", "alice in wonderland", 2, alg),
                           cseq=4 + 3 * i)
            assert nxt.startswith("SIP/2.0 200"), nxt
        bad = raw.send("REGISTER", "sip:example.com", "alice", 'Authorization: Digest username="alice", realm=\r\n',
                       cseq=20)
        assert bad.startswith("SIP/2.0 400 Malformed Authorization header"), bad
        other = raw.send("REGISTER", "sip:example.com", "alice",
                         'Authorization: Digest username="alice", realm="elsewhere", nonce="x", uri="sip:example.com",'
                         ' response="00"\r\n', cseq=21)
        assert other.startswith("SIP/2.0 401") and challenges(other), other
        # The notifier logs after it answers, and our reader thread may lag: wait for the lines.
        src = f"udp:127.0.0.1:{raw.lport}"
        for want in (f"from {src} refused with 401: replayed nc 00000001 from alice",
                     f"from {src} refused with 400: Malformed Authorization header"):
            try:
                wait_for(lambda: any(want in l for l in notifier.get()), want, timeout=5)
            except AssertionError:
                raise AssertionError((want, notifier.get()))
        nl = notifier.get()
        print("\n".join("[notifier] " + l for l in nl))
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
