#!/usr/bin/env python3
"""A notifier restart, kill -9 included, loses nothing it acknowledged.

  restart_loopback.py BINDIR udp|tcp

sipevents-notifier --db runs with joe's UA registered (sipevents-message listen
--register), bob watching alice's presence and a reg watcher on joe (sipevents-watcher
over the given transport), alice's presence published twice (a long and a short
publication, raw UDP), and a raw UDP subscriber with Expires 2. The notifier is killed
with SIGKILL and, after the short ones ran out, started again on the same file and
ports. Then:
  - bob's watcher gets a NOTIFY at once without subscribing again: open, with the long
    publication's contact only (the short one expired while the notifier was down);
  - the reg watcher gets a NOTIFY with joe's contact, CSeq and version above any before;
  - the raw subscriber gets terminated;reason=timeout, in its dialog, CSeq above before;
  - a MESSAGE from alice reaches joe's UA through the relay (the binding is back);
  - a PUBLISH refresh with the long publication's SIP-If-Match gets 200, not 412;
  - an in-dialog refresh SUBSCRIBE in bob's dialog (read from --dump) gets 200, not 481;
  - --dump prints the bindings, publications and subscriptions as JSON lines.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402
from sipmsg import header, reply  # noqa: E402


class Raw:
    """A UDP endpoint that sends requests and collects what arrives, answering NOTIFYs 200."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.s.settimeout(0.2)
        self.seen = []
        self.n = 0

    def pump(self, until, what, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            hit = [m for m in self.seen if until(m)]
            if hit:
                return hit[0]
            try:
                data, addr = self.s.recvfrom(65535)
            except socket.timeout:
                continue
            m = data.decode(errors="replace")
            self.seen.append(m)
            if m.startswith("NOTIFY "):
                self.s.sendto(reply(m, 200, "OK").encode(), addr)
        raise AssertionError("timed out waiting for " + what + ": " + repr(self.seen[-3:]))

    def request(self, srv, text):
        self.n += 1
        branch = f"z9hG4bK-raw{self.n}-{time.time_ns()}"
        text = text.replace("VIA", f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport")
        self.s.sendto(text.encode(), srv)
        return self.pump(lambda m: m.startswith("SIP/2.0") and f"branch={branch}" in m and not m.startswith("SIP/2.0 1"),
                         "response to " + text.split(" ", 1)[0])


def pidf(entity, tuple_id, contact):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="{entity}">'
            f'<tuple id="{tuple_id}"><status><basic>open</basic></status><contact>{contact}</contact></tuple></presence>')


def publish(raw, srv, port, expires, body=None, if_match=None, cseq=1):
    lines = [f"PUBLISH sip:alice@example.com SIP/2.0", "VIA", "Max-Forwards: 70",
             f"From: <sip:alice@example.com>;tag=pub{time.time_ns()}", "To: <sip:alice@example.com>",
             f"Call-ID: pub-{time.time_ns()}@127.0.0.1", f"CSeq: {cseq} PUBLISH", "Event: presence",
             f"Expires: {expires}"]
    if if_match:
        lines.append(f"SIP-If-Match: {if_match}")
    if body:
        lines.append("Content-Type: application/pidf+xml")
    b = body or ""
    lines.append(f"Content-Length: {len(b.encode())}")
    return raw.request(srv, "\r\n".join(lines) + "\r\n\r\n" + b)


def main():
    bindir, transport = sys.argv[1], sys.argv[2]
    exe = lambda n: os.path.join(bindir, n)
    port = free_port()
    host = "127.0.0.1"
    srv_addr = (host, port)
    server = f"{transport}:{host}:{port}"
    work = tempfile.mkdtemp(prefix="sipevents-restart-")
    db = os.path.join(work, "state.db")
    procs = []

    def notifier():
        p = Proc([exe("sipevents-notifier"), "--bind", f"udp:{host}:{port}", "--bind", f"tcp:{host}:{port}",
                  "--domain", "example.com", "--min-expires", "1", "--db", db])
        procs.append(p)
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in p.get()) or p.p.poll() is not None,
                 "notifier start")
        assert p.p.poll() is None, p.get()
        return p

    def dump():
        out = subprocess.run([exe("sipevents-notifier"), "--db", db, "--dump"], capture_output=True, text=True,
                             timeout=20)
        assert out.returncode == 0, out.stderr
        return [json.loads(l) for l in out.stdout.splitlines()]

    try:
        n1 = notifier()
        joe_port = free_port()
        joe = Proc([exe("sipevents-message"), "listen", "--bind", f"{transport}:{host}:{joe_port}", "--count", "1",
                    "--register", "sip:joe@example.com", "--registrar", server, "--expires", "3600"])
        procs.append(joe)
        wait_for(lambda: any("binding sip:joe@example.com registered" in l for l in n1.get()), "joe registered")
        raw = Raw()
        long_pub = publish(raw, srv_addr, port, 3600, pidf("sip:alice@example.com", "phone", "sip:alice@192.0.2.7"))
        assert long_pub.startswith("SIP/2.0 200"), long_pub
        short_pub = publish(raw, srv_addr, port, 2, pidf("sip:alice@example.com", "laptop", "sip:alice@192.0.2.8"))
        assert short_pub.startswith("SIP/2.0 200"), short_pub
        etag = header(long_pub, "SIP-ETag")

        # A device of carol's keeps its publication refreshed every few seconds.
        carol = Proc([exe("sipevents-publish"), "--from", "sip:carol@example.com", "--server", server, "--status",
                      "open", "--expires", "8", "--duration", "60"])
        procs.append(carol)
        wait_for(lambda: any(l.startswith("published") for l in carol.get()), "carol published")
        bob = Proc([exe("sipevents-watcher"), "--event", "presence", "--from", "sip:bob@example.com", "--server", server,
                    "--duration", "60", "sip:alice@example.com"])
        procs.append(bob)
        regw = Proc([exe("sipevents-watcher"), "--event", "reg", "--from", "sip:app@example.com", "--server", server,
                     "--duration", "60", "sip:joe@example.com"])
        procs.append(regw)

        def docs(p):
            return [json.loads(l) for l in p.get() if l.startswith("{")]

        def contacts(d):
            return sorted(t.get("contact") or "" for t in d.get("presence", {}).get("tuples", []))

        wait_for(lambda: any(contacts(d) == ["sip:alice@192.0.2.7", "sip:alice@192.0.2.8"] for d in docs(bob)),
                 "bob sees both devices")
        wait_for(lambda: any("sip:joe@" in d.get("body", "") for d in docs(regw)), "reg watcher sees joe")
        # A raw subscriber that will have expired when the notifier comes back.
        sub = raw.request(srv_addr, "\r\n".join([
            f"SUBSCRIBE sip:joe@example.com SIP/2.0", "VIA", "Max-Forwards: 70",
            "From: <sip:raw@example.com>;tag=rawtag", "To: <sip:joe@example.com>", "Call-ID: raw-sub@127.0.0.1",
            "CSeq: 1 SUBSCRIBE", f"Contact: <sip:raw@127.0.0.1:{raw.port}>", "Event: reg", "Expires: 2",
            "Content-Length: 0"]) + "\r\n\r\n")
        assert sub.startswith("SIP/2.0 200"), sub
        first = raw.pump(lambda m: m.startswith("NOTIFY") and "raw-sub@" in m, "raw NOTIFY")
        raw_cseq = int(header(first, "CSeq").split()[0])
        time.sleep(0.3)  # the last commits of the first life

        stored = dump()
        kinds = sorted({r["type"] for r in stored})
        assert kinds == ["binding", "publication", "subscription"], stored
        bob_sub = [r for r in stored if r["type"] == "subscription" and r["watcher"].startswith("sip:bob@")]
        assert len(bob_sub) == 1, stored
        bob_sub = bob_sub[0]
        joe_binding = [r for r in stored if r["type"] == "binding"][0]
        assert joe_binding["aor"] == "sip:joe@example.com" and joe_binding["received"].startswith(transport), joe_binding

        reg_before = [d for d in docs(regw)]
        cseqs_before = len(reg_before)
        bob_before = len(docs(bob))
        n1.p.send_signal(signal.SIGKILL)
        n1.p.wait(5)
        time.sleep(2.5)  # the short publication and the raw subscription run out meanwhile

        n2 = notifier()
        assert any(re.match(r"restored from .*: 1 bindings, 2 publications, 2 subscriptions; expired while down: 0 bindings, "
                            r"1 publications, 1 subscriptions", l)
                   for l in n2.get()), n2.get()
        # bob: a NOTIFY at once, without a new SUBSCRIBE, with the long publication only.
        wait_for(lambda: len(docs(bob)) > bob_before and contacts(docs(bob)[-1]) == ["sip:alice@192.0.2.7"],
                 "bob's NOTIFY after the restart")
        # nobody subscribed again: the watchers' dialogs simply went on.
        assert not any(l.startswith(("SUBSCRIBE sip:alice@", "SUBSCRIBE sip:joe@")) for l in n2.get()), n2.get()
        # the reg watcher: joe's contact again.
        wait_for(lambda: len(docs(regw)) > cseqs_before and "sip:joe@" in docs(regw)[-1].get("body", ""),
                 "reg NOTIFY after the restart")
        versions = [int(re.search(r'version="(\d+)"', d["body"]).group(1)) for d in docs(regw)]
        assert versions[-1] > max(versions[:-1]), versions
        # the raw subscriber: its final NOTIFY, CSeq above the first.
        final = raw.pump(lambda m: m.startswith("NOTIFY") and "raw-sub@" in m and "terminated" in m, "raw final NOTIFY")
        assert "reason=timeout" in header(final, "Subscription-State"), final
        assert int(header(final, "CSeq").split()[0]) > raw_cseq, (first, final)
        # relay to joe, whose binding came back.
        alice = subprocess.run([exe("sipevents-message"), "send", "--from", "sip:alice@example.com", "--to",
                                "sip:joe@example.com", "--via", server, "after the restart"],
                               capture_output=True, text=True, timeout=20)
        assert alice.returncode == 0, (alice.stdout, alice.stderr, n2.get())
        assert joe.wait(10) == 0
        assert any("after the restart" in l for l in joe.get()), joe.get()
        # the ETag still works.
        refreshed = publish(raw, srv_addr, port, 3600, if_match=etag, cseq=2)
        assert refreshed.startswith("SIP/2.0 200"), refreshed
        # bob's dialog still exists: an in-dialog refresh gets 200.
        refresh = raw.request(srv_addr, "\r\n".join([
            f"SUBSCRIBE sip:notifier@{host}:{port} SIP/2.0", "VIA", "Max-Forwards: 70",
            f"From: <sip:bob@example.com>;tag={bob_sub['remote_tag']}",
            f"To: <sip:alice@example.com>;tag={bob_sub['local_tag']}", f"Call-ID: {bob_sub['call_id']}",
            f"CSeq: {bob_sub['remote_cseq'] + 100} SUBSCRIBE", f"Contact: <sip:raw@127.0.0.1:{raw.port}>",
            "Event: presence", "Expires: 60", "Content-Length: 0"]) + "\r\n\r\n")
        assert refresh.startswith("SIP/2.0 200"), refresh
        # carol's refreshes went on against the new process: 200 with her ETag, never 412.
        carol_before = len(carol.get())
        try:
            wait_for(lambda: any(l.startswith("published") for l in carol.get()[carol_before:]), "carol refreshed", 10)
        except AssertionError:
            raise AssertionError(("carol refreshed", carol.get(), n2.get()))
        assert not any(l.startswith("failed 412") for l in carol.get()), carol.get()
        assert any(l.startswith("publication sip:carol@example.com refreshed") for l in n2.get()), n2.get()
        print("\n".join("[notifier 2] " + l for l in n2.get()))
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
