#!/usr/bin/env python3
"""sipevents-watcher against a scripted presence notifier sending partial PIDF
(RFC 5263): full state, then a diff it cannot read, then a diff with a version gap.

  pidf_diff_resync.py WATCHER

Each bad NOTIFY is answered 200 and printed with "parse_error" saying why, and the
watcher refreshes the subscription at once (an in-dialog SUBSCRIBE) to get full
state again, which it then shows.
"""
import json
import re
import socket
import subprocess
import sys

PIDF = "urn:ietf:params:xml:ns:pidf"
DIFF = "urn:ietf:params:xml:ns:pidf-diff"


def body_full(version, basic):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<p:pidf-full xmlns="{PIDF}" xmlns:p="{DIFF}" '
            f'entity="sip:alice@127.0.0.1" version="{version}">\n  <tuple id="t1"><status><basic>{basic}</basic>'
            f'</status></tuple>\n</p:pidf-full>\n')


def body_diff(version, op):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<p:pidf-diff xmlns="{PIDF}" xmlns:p="{DIFF}" '
            f'entity="sip:alice@127.0.0.1" version="{version}">\n  {op}\n</p:pidf-diff>\n')


class Notifier:
    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.s.settimeout(10)
        self.port = self.s.getsockname()[1]
        self.cseq = 0
        self.dialog = None

    def recv(self):
        data, addr = self.s.recvfrom(65535)
        text = data.decode()
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        hdr = {}
        for line in head[1:]:
            n, _, v = line.partition(":")
            hdr.setdefault(n.strip().lower(), v.strip())
        return head[0], hdr, addr

    def expect_subscribe(self):
        while True:
            start, h, addr = self.recv()
            if start.startswith("SUBSCRIBE"):
                break
        tag = "n1"
        to = h["to"] if ";tag=" in h["to"] else h["to"] + ";tag=" + tag
        self.s.sendto(("SIP/2.0 200 OK\r\nVia: " + h["via"] + "\r\nFrom: " + h["from"] + "\r\nTo: " + to +
                       "\r\nCall-ID: " + h["call-id"] + "\r\nCSeq: " + h["cseq"] +
                       f"\r\nContact: <sip:notifier@127.0.0.1:{self.port}>\r\nExpires: " + h.get("expires", "600") +
                       "\r\nContent-Length: 0\r\n\r\n").encode(), addr)
        if self.dialog is None:
            m = re.search(r"<sip:[^@]*@([^:>]+):(\d+)", h["contact"])
            self.dialog = {"call-id": h["call-id"], "from": h["from"], "to": to,
                           "target": (m.group(1), int(m.group(2))), "uri": h["contact"].strip("<>").split(">")[0]}
        return h

    def notify(self, state, body=None):
        self.cseq += 1
        d = self.dialog
        lines = [f"NOTIFY {d['uri']} SIP/2.0", f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bKn{self.cseq}",
                 "Max-Forwards: 70", "From: " + d["to"], "To: " + d["from"], "Call-ID: " + d["call-id"],
                 f"CSeq: {self.cseq} NOTIFY", f"Contact: <sip:notifier@127.0.0.1:{self.port}>", "Event: presence",
                 "Subscription-State: " + state]
        payload = (body or "").encode()
        if body:
            lines.append("Content-Type: application/pidf-diff+xml")
        lines.append(f"Content-Length: {len(payload)}")
        self.s.sendto(("\r\n".join(lines) + "\r\n\r\n").encode() + payload, d["target"])
        while True:
            start, h, _ = self.recv()
            if start.startswith("SIP/2.0") and h["cseq"].endswith("NOTIFY"):
                return start


def main():
    watcher = sys.argv[1]
    n = Notifier()
    w = subprocess.Popen([watcher, "--event", "presence", "--from", "sip:bob@127.0.0.1", "--server",
                          f"udp:127.0.0.1:{n.port}", "--direct", "--accept", "application/pidf-diff+xml", "--accept",
                          "application/pidf+xml", "--count", "5", "sip:alice@127.0.0.1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sub = n.expect_subscribe()
        assert "application/pidf-diff+xml" in sub.get("accept", ""), sub
        assert n.notify("active;expires=600", body_full(0, "open")).startswith("SIP/2.0 200")
        # A diff that cannot be read: 200, then a refresh for full state.
        bad = body_diff(1, '<p:move sel="*/tuple[@id=\'t1\']"/>')
        assert n.notify("active;expires=599", bad).startswith("SIP/2.0 200")
        refresh = n.expect_subscribe()
        assert ";tag=" in refresh["to"], refresh
        assert n.notify("active;expires=600", body_full(1, "closed")).startswith("SIP/2.0 200")
        # A version gap: the same.
        gap = body_diff(3, '<p:replace sel="*/tuple[@id=\'t1\']/status/basic/text()">open</p:replace>')
        assert n.notify("active;expires=598", gap).startswith("SIP/2.0 200")
        n.expect_subscribe()
        assert n.notify("active;expires=600", body_full(2, "open")).startswith("SIP/2.0 200")
        # --count 5 reached: the unsubscribe.
        bye = n.expect_subscribe()
        assert bye.get("expires") == "0", bye
        n.notify("terminated;reason=timeout")
        out, err = w.communicate(timeout=20)
    finally:
        if w.poll() is None:
            w.kill()
    lines = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    print("\n".join(json.dumps(l) for l in lines), err)
    assert lines[0]["presence"]["tuples"][0]["basic"] == "open" and lines[0]["pidf_diff"] == {"version": 0, "full": True}
    assert "unknown operation <p:move>" in lines[1]["parse_error"], lines[1]
    assert lines[2]["presence"]["tuples"][0]["basic"] == "closed", lines[2]
    assert lines[3]["parse_error"] == "resync: version 3 after 1", lines[3]
    assert lines[4]["presence"]["tuples"][0]["basic"] == "open" and lines[4]["pidf_diff"]["version"] == 2, lines[4]
    print("OK")


if __name__ == "__main__":
    main()
