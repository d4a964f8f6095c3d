#!/usr/bin/env python3
"""SIP over WebSocket (RFC 7118) against sipevents-notifier, as a browser client
speaks it, and the WebSocket input it must refuse.

  ws_loopback.py BIN_DIR flows ws|wss
  ws_loopback.py BIN_DIR refusals

flows: a WebSocket client (Via SIP/2.0/WS with a .invalid host, Contact on .invalid)
registers and gets its Contact back with ;expires; subscribes to bob's presence and
gets the NOTIFYs over its own connection (open while bob's UA is registered, then
closed when sipevents-publish publishes that over UDP); receives a MESSAGE a UDP client sends it, relayed over that
connection; sends a MESSAGE to a UDP UA registered as bob; and answers the server's
WebSocket pings. None of it is ever sent to the .invalid address.

refusals: an upgrade without the sip protocol (400), an unmasked client frame (close
1002), an oversize frame (close 1009), a connection cut in mid-message, a close frame
in mid-message (echoed), and one that never upgrades (closed at the deadline): each is logged, and a good client is still
served afterwards.
"""
import os
import socket
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import Proc, free_port, wait_for  # noqa: E402
import certs  # noqa: E402
from wsclient import Closed, WsClient, answer, all_headers, header, status  # noqa: E402

BIN = sys.argv[1]
MODE = sys.argv[2] if len(sys.argv) > 2 else "flows"
KIND = sys.argv[3] if len(sys.argv) > 3 else "ws"
CAPTURE = os.environ.get("SIPEVENTS_CAPTURE_DIR", "")


def tool(name):
    return os.path.join(BIN, name)


def note_port(port, secure):
    if CAPTURE:
        with open(os.path.join(CAPTURE, "decode-as"), "a") as f:
            f.write(f"tcp.port=={port},tls\ntls.port=={port},http\n" if secure else f"tcp.port=={port},http\n")


def run(argv, timeout=30):
    p = Proc(argv)
    rc = p.wait(timeout)
    return rc, p.get()


class Ua:
    """One SIP user agent on a WebSocket connection."""

    def __init__(self, ws, user):
        self.ws = ws
        self.user = user
        self.aor = f"sip:{user}@example.com"
        self.tag = uuid.uuid4().hex[:8]
        self.cseq = 0
        self.kind = "WSS" if ws_secure else "WS"

    def request(self, method, ruri, to, extra="", body="", ctype=None, call_id=None, to_tag=None):
        self.cseq += 1
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        call_id = call_id or uuid.uuid4().hex
        lines = [f"{method} {ruri} SIP/2.0",
                 f"Via: SIP/2.0/{self.kind} {self.ws.via_host};branch={branch}",
                 "Max-Forwards: 70",
                 f"From: <{self.aor}>;tag={self.tag}",
                 f"To: <{to}>" + (f";tag={to_tag}" if to_tag else ""),
                 f"Call-ID: {call_id}",
                 f"CSeq: {self.cseq} {method}",
                 f"Contact: <sip:{self.user}@{self.ws.via_host};transport=ws>;+sip.instance=\"<urn:uuid:{uuid.uuid4()}>\";reg-id=1;ob",
                 "User-Agent: ws-test"]
        if extra:
            lines.append(extra)
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        lines.append(f"Content-Length: {len(body.encode())}")
        self.ws.send("\r\n".join(lines) + "\r\n\r\n" + body)
        return call_id

    def expect(self, pred, what, limit=20):
        """Reads messages, answering requests other than the one wanted with 200, until
        `pred` holds for one; returns it."""
        for _ in range(limit):
            m = self.ws.recv()
            if pred(m):
                return m
            if status(m) == 0:
                self.ws.send(answer(m))
        raise AssertionError("never got " + what)


ws_secure = False


def notifier(work, extra=()):
    ca = certs.CA(work)
    cert, key = ca.leaf("server", "example.com", ["DNS:example.com", "IP:127.0.0.1"])
    udp, ws, wss = free_port(), free_port(), free_port()
    note_port(ws, False)
    note_port(wss, True)
    env = dict(os.environ)
    if CAPTURE:
        os.environ["SSLKEYLOGFILE"] = os.path.join(CAPTURE, "keys.log")
    n = Proc([tool("sipevents-notifier"), "--bind", f"udp:127.0.0.1:{udp}", "--bind", f"ws:127.0.0.1:{ws}",
              "--bind", f"wss:127.0.0.1:{wss}", "--domain", "example.com", "--cert", cert, "--key", key, *extra])
    wait_for(lambda: any("sipevents-notifier:" in l for l in n.get()), "the notifier to start")
    del env
    return n, ca, udp, ws, wss


def flows(work):
    global ws_secure
    ws_secure = KIND == "wss"
    n, ca, udp, ws_port, wss_port = notifier(work, ("--ws-ping", "1"))
    try:
        conn = WsClient("127.0.0.1", wss_port if ws_secure else ws_port, ca=ca.cert if ws_secure else None)
        assert conn.status == 101
        alice = Ua(conn, "alice")
        # REGISTER: the 200 lists the Contact with ;expires (SIP.js drops it otherwise).
        alice.request("REGISTER", "sip:example.com", alice.aor, extra="Expires: 300")
        ok = alice.expect(lambda m: status(m) and "REGISTER" in header(m, "CSeq"), "the 200 to REGISTER")
        assert status(ok) == 200, ok
        contacts = all_headers(ok, "Contact")
        assert contacts and all(";expires=" in c for c in contacts) and ".invalid" in contacts[0], contacts
        # bob is a UA on UDP.
        bob = Proc([tool("sipevents-message"), "listen", "--bind", "udp:127.0.0.1:0", "--count", "1",
                    "--register", "sip:bob@example.com", "--registrar", f"udp:127.0.0.1:{udp}"])
        wait_for(lambda: any("registered sip:bob@example.com" in l for l in bob.get()), "bob to register")
        # SUBSCRIBE to bob's presence: the NOTIFYs come over this connection.
        alice.request("SUBSCRIBE", "sip:bob@example.com", "sip:bob@example.com",
                      extra="Event: presence\r\nAccept: application/pidf+xml\r\nExpires: 300")
        ok = alice.expect(lambda m: status(m) and "SUBSCRIBE" in header(m, "CSeq"), "the answer to SUBSCRIBE")
        assert status(ok) in (200, 202), ok
        # bob publishes nothing but is registered: open, with his contact (RFC 3856 6.6).
        first = alice.expect(lambda m: m.startswith("NOTIFY"), "the first NOTIFY")
        assert "<basic>open</basic>" in first and "sip:bob@127.0.0.1" in first, first
        assert header(first, "Via").startswith("SIP/2.0/WS"), header(first, "Via")
        conn.send(answer(first))
        # What he publishes wins over his registration.
        rc, out = run([tool("sipevents-publish"), "--from", "sip:bob@example.com", "--server", f"udp:127.0.0.1:{udp}",
                       "--status", "closed", "--note", "in a meeting", "--duration", "2"])
        assert rc == 0, out
        closed = alice.expect(lambda m: m.startswith("NOTIFY") and "<basic>closed</basic>" in m, "the NOTIFY closed")
        assert "in a meeting" in closed, closed
        conn.send(answer(closed))
        # A page from a UDP client to alice is relayed over her WebSocket connection.
        pager = Proc([tool("sipevents-message"), "send", "--from", "sip:carol@example.com", "--to",
                      "sip:alice@example.com", "--via", f"udp:127.0.0.1:{udp}", "hello browser"])
        page = alice.expect(lambda m: m.startswith("MESSAGE"), "the relayed MESSAGE")
        assert page.endswith("hello browser"), page
        conn.send(answer(page))
        assert pager.wait(20) == 0 and "SIP/2.0 200" in "\n".join(pager.get()), pager.get()
        # alice pages bob on UDP.
        alice.request("MESSAGE", "sip:bob@example.com", "sip:bob@example.com", body="hello desk phone",
                      ctype="text/plain")
        ok = alice.expect(lambda m: status(m) and "MESSAGE" in header(m, "CSeq"), "the answer to MESSAGE")
        assert status(ok) == 200, ok
        assert bob.wait(20) == 0 and any("hello desk phone" in l for l in bob.get()), bob.get()
        # The server pings an idle connection; the client answered (recv does).
        end = time.time() + 6
        conn.sock.settimeout(1)
        while conn.pings == 0 and time.time() < end:
            try:
                conn.recv()
            except (socket.timeout, TimeoutError):
                pass
        assert conn.pings >= 1, "no WebSocket ping from the server"
        log = "\n".join(n.get())
        assert ".invalid" not in "".join(l for l in n.get() if "transport error" in l), log
        conn.close()
        # Her connection is gone: a page to her is answered 480, not sent to .invalid.
        time.sleep(0.3)
        rc, out = run([tool("sipevents-message"), "send", "--from", "sip:carol@example.com", "--to",
                       "sip:alice@example.com", "--via", f"udp:127.0.0.1:{udp}", "anyone there?"])
        assert "SIP/2.0 480" in "\n".join(out), out
        print(f"{KIND}: register, subscribe (open by registration, closed by PUBLISH), page both ways over the flow, "
              f"{conn.pings} ping(s), 480 once the connection is gone")
    finally:
        n.kill()


def refusals(work):
    n, ca, udp, ws_port, wss_port = notifier(work, ("--handshake-timeout", "2"))

    def logged(text):
        wait_for(lambda: any(text in l for l in n.get()), f"the log line '{text}'")

    try:
        c = WsClient("127.0.0.1", ws_port, protocol="chat")
        assert c.status == 400, c.status
        logged("does not offer sip")
        c.close()

        for frame, code, line in ((lambda c: c.frame(1, b"OPTIONS", mask=False), 1002, "Unmasked client frame"),
                                  (lambda c: c.frame(1, b"x" * 70000), 1009, "frame too large")):
            c = WsClient("127.0.0.1", ws_port)
            c.send_raw(frame(c))
            try:
                c.recv()
                raise AssertionError(line + ": accepted")
            except Closed as e:
                assert e.code == code, (line, e.code)
            logged(line)
            c.close()

        c = WsClient("127.0.0.1", ws_port)
        c.send_raw(c.frame(1, b"REGISTER sip:example.com SIP/2.0\r\n", fin=False))
        time.sleep(0.2)
        c.close()
        logged("closed before its message ended")

        # A close frame between the fragments of a message: echoed, then closed, logged.
        c = WsClient("127.0.0.1", ws_port)
        c.send_raw(c.frame(1, b"REGISTER sip:example.com SIP/2.0\r\n", fin=False) +
                   c.frame(8, b"\x03\xe8going away"))
        try:
            c.recv()
            raise AssertionError("no close came back")
        except Closed as e:
            assert e.code == 1000, e.code
        logged("closed in mid-message (code 1000)")
        c.close()

        silent = socket.create_connection(("127.0.0.1", ws_port))
        silent.settimeout(10)
        t0 = time.time()
        assert silent.recv(1) == b""
        assert 1.5 < time.time() - t0 < 5
        logged("handshake not finished in 2 s")
        silent.close()

        # Still serving: a good client registers.
        global ws_secure
        ws_secure = False
        good = WsClient("127.0.0.1", ws_port)
        ua = Ua(good, "dave")
        ua.request("REGISTER", "sip:example.com", ua.aor)
        ok = ua.expect(lambda m: status(m) != 0, "the 200 to REGISTER")
        assert status(ok) == 200, ok
        good.close()
        print("refused and logged: no sip protocol (400), unmasked (1002), oversize (1009), cut mid-message, silent")
    finally:
        n.kill()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        (flows if MODE == "flows" else refusals)(work)
    print("ok")
