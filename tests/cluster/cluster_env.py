"""What the cluster tests share: a redis-server of their own on loopback, notifier
nodes on it, and a raw SIP UDP endpoint that keeps many subscriptions and counts
the NOTIFYs of each (a retransmission is not counted twice)."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402,F401
from sipmsg import header, reply  # noqa: E402,F401


class Redis:
    """redis-server on 127.0.0.1 with an append-only file synced on every write, so a
    restart from it loses nothing that was acknowledged."""

    def __init__(self, work=None, port=None):
        self.work = work or tempfile.mkdtemp(prefix="sipevents-redis-")
        self.port = port or free_port()
        self.p = None
        self.start()

    def start(self):
        self.p = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.work,
                                   "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                                   "--daemonize", "no", "--logfile", os.path.join(self.work, "redis.log")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.ping(), "redis-server on port %d" % self.port)

    def ping(self):
        try:
            return self.cli("PING").strip() == "PONG"
        except Exception:
            return False

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, encoding="utf-8",
                              errors="replace", timeout=10).stdout

    def kill(self, sig=9):
        if self.p and self.p.poll() is None:
            self.p.send_signal(sig)
            self.p.wait(10)

    def client_id(self, name):
        """The id of the connection CLIENT SETNAME called `name`, or None."""
        for line in self.cli("CLIENT", "LIST").splitlines():
            if f" name={name} " in line:
                return re.search(r"\bid=(\d+)", line).group(1)
        return None

    def info(self, section):
        out = {}
        for line in self.cli("INFO", section).splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                out[k] = v.strip()
        return out


class Node:
    """One sipevents-notifier of the service, on UDP and TCP at one port."""

    def __init__(self, bindir, name, redis, extra=(), domain="example.com"):
        self.name = name
        self.port = free_port()
        self.addr = ("127.0.0.1", self.port)
        self.udp = f"udp:127.0.0.1:{self.port}"
        self.argv = [os.path.join(bindir, "sipevents-notifier"), "--bind", self.udp, "--bind",
                     f"tcp:127.0.0.1:{self.port}", "--domain", domain, "--min-expires", "1",
                     "--redis", f"127.0.0.1:{redis.port}", "--node-id", name, *extra]
        self.p = None
        self.start()

    def start(self):
        self.p = Proc(self.argv)
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in self.p.get()) or self.p.p.poll() is not None,
                 f"node {self.name}")
        assert self.p.p.poll() is None, self.p.get()

    def lines(self):
        return self.p.get()

    def kill9(self):
        self.p.p.kill()
        self.p.p.wait(5)

    def stop(self):
        self.p.kill()


def pidf(entity, status, note=""):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="{entity}">'
            f'<tuple id="t1"><status><basic>{status}</basic></status><note>{note}</note></tuple></presence>')


class Endpoint:
    """A raw SIP UDP endpoint: sends requests (matching responses by branch) and
    answers every NOTIFY 200, keeping each one's (Call-ID, CSeq) once."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.s.settimeout(0.05)
        self.responses = {}   # branch -> final response
        self.notifies = {}    # call-id -> {cseq: message}
        self.last_notify = 0.0
        self.n = 0
        self.domain = "example.com"  # of the users in the requests it builds

    def pump(self, seconds):
        end = time.time() + seconds
        while True:
            try:
                data, addr = self.s.recvfrom(65535)
            except socket.timeout:
                if time.time() >= end:
                    return
                continue
            m = data.decode(errors="replace")
            if m.startswith("NOTIFY "):
                cid = header(m, "Call-ID")
                cseq = int(header(m, "CSeq").split()[0])
                if cseq not in self.notifies.setdefault(cid, {}):
                    self.notifies[cid][cseq] = m
                    self.last_notify = time.time()
                self.s.sendto(reply(m, 200, "OK").encode(), addr)
            elif m.startswith("SIP/2.0 "):
                code = int(m[8:11])
                b = re.search(r"branch=([^;\r\n ]+)", header(m, "Via"))
                if code >= 200 and b:
                    self.responses[b.group(1)] = m
            if time.time() >= end:
                return

    def send(self, dest, lines, body=""):
        """Sends a request (lines[1] must be the literal "VIA"); returns its branch."""
        self.n += 1
        branch = f"z9hG4bK-c{self.port}-{self.n}-{time.time_ns()}"
        lines = [l if l != "VIA" else f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport" for l in lines]
        text = "\r\n".join(lines + [f"Content-Length: {len(body.encode())}"]) + "\r\n\r\n" + body
        self.s.sendto(text.encode(), dest)
        return branch

    def wait_responses(self, branches, timeout=20):
        end = time.time() + timeout
        while time.time() < end and not all(b in self.responses for b in branches):
            self.pump(0.05)
        missing = [b for b in branches if b not in self.responses]
        assert not missing, f"{len(missing)} requests unanswered"
        return [self.responses[b] for b in branches]

    def subscribe(self, dest, user, event, call_id, expires=600, from_user="w"):
        return self.send(dest, [
            f"SUBSCRIBE sip:{user}@{self.domain} SIP/2.0", "VIA", "Max-Forwards: 70",
            f"From: <sip:{from_user}@{self.domain}>;tag=t-{call_id}", f"To: <sip:{user}@{self.domain}>",
            f"Call-ID: {call_id}", "CSeq: 1 SUBSCRIBE", f"Contact: <sip:{from_user}@127.0.0.1:{self.port}>",
            f"Event: {event}", f"Expires: {expires}"])

    def register(self, dest, user, expires, call_id, cseq=1):
        return self.send(dest, [
            f"REGISTER sip:{self.domain} SIP/2.0", "VIA", "Max-Forwards: 70",
            f"From: <sip:{user}@{self.domain}>;tag=r-{call_id}", f"To: <sip:{user}@{self.domain}>",
            f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER", f"Contact: <sip:{user}@127.0.0.1:9>",
            f"Expires: {expires}"])

    def publish(self, dest, user, expires, body, call_id, cseq=1, if_match=None):
        return self.publish_event(dest, user, "presence", expires, body, call_id, cseq, if_match)

    def publish_event(self, dest, user, event, expires, body, call_id, cseq=1, if_match=None,
                      content_type="application/pidf+xml"):
        lines = [f"PUBLISH sip:{user}@{self.domain} SIP/2.0", "VIA", "Max-Forwards: 70",
                 f"From: <sip:{user}@{self.domain}>;tag=p-{call_id}", f"To: <sip:{user}@{self.domain}>",
                 f"Call-ID: {call_id}", f"CSeq: {cseq} PUBLISH", f"Event: {event}", f"Expires: {expires}"]
        if if_match:
            lines.append(f"SIP-If-Match: {if_match}")
        if body:
            lines.append(f"Content-Type: {content_type}")
        return self.send(dest, lines, body)

    def quiet(self, idle=2.0, limit=60):
        """Pumps until no new NOTIFY came for `idle` seconds."""
        end = time.time() + limit
        self.last_notify = max(self.last_notify, time.time())
        while time.time() < end and time.time() - self.last_notify < idle:
            self.pump(0.1)
