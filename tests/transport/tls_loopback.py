#!/usr/bin/env python3
"""The client tools against sipevents-notifier over TLS, and what TLS must refuse.

  tls_loopback.py BIN_DIR flows|refusals|client-certs

flows: the notifier listens on UDP and TLS with a certificate for example.com signed
by a test CA. Over TLS (the server checked as RFC 5922 says): a watcher sees alice go
from closed to open as she publishes; bob registers and gets a MESSAGE relayed over his
TLS connection (the flow), sent by alice over TLS; a sips: --to goes over TLS unasked.

It also checks RFC 5626 CRLF keep-alive pongs over TCP and TLS, and that a relayed
MESSAGE takes a registration's TLS flow while it is open and its Contact after.

refusals: each ends the request with an error naming the name and the certificate,
and never falls back to clear text: a certificate for another name, an expired one,
one from a CA we were not given, a certificate naming the domain only as a sip: URI
(accepted), and an IP literal against an IP SAN (accepted). On the server side, clear
text sent to the TLS port, and a handshake that never finishes (closed after the
deadline), are logged and leave the notifier serving.

client-certs: the notifier with --client-ca asks for a certificate: a client without
one is served (certificates are optional), one with a certificate from that CA is
served, one with a certificate from another CA is refused in the handshake.

With SIPEVENTS_CAPTURE_DIR set (the tshark fixture), the TLS secrets go to
DIR/keys.log and the TLS ports to DIR/decode-as, so the capture check reads inside.
"""
import os
import socket
import ssl
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import Proc, free_port, wait_for  # noqa: E402
import certs  # noqa: E402

BIN = sys.argv[1]
MODE = sys.argv[2] if len(sys.argv) > 2 else "flows"
CAPTURE = os.environ.get("SIPEVENTS_CAPTURE_DIR", "")


def tool(name):
    return os.path.join(BIN, name)


def env_with_keylog():
    env = dict(os.environ)
    if CAPTURE:
        env["SSLKEYLOGFILE"] = os.path.join(CAPTURE, "keys.log")
    return env


def note_tls_port(port):
    if CAPTURE:
        with open(os.path.join(CAPTURE, "decode-as"), "a") as f:
            f.write(f"tcp.port=={port},tls\ntls.port=={port},sip\n")


def run(argv, timeout=30):
    p = Proc(argv)
    rc = p.wait(timeout)
    return rc, p.get()


def notifier(work, ca, cert, key, extra=()):
    udp, tls = free_port(), free_port()
    note_tls_port(tls)
    os.environ.update(env_with_keylog())
    # TCP on the UDP port as well, for the CRLF keep-alive check.
    n = Proc([tool("sipevents-notifier"), "--bind", f"udp:127.0.0.1:{udp}", "--bind", f"tcp:127.0.0.1:{udp}",
              "--bind", f"tls:127.0.0.1:{tls}", "--domain", "example.com", "--cert", cert, "--key", key, *extra])
    wait_for(lambda: any("sipevents-notifier:" in l for l in n.get()), "the notifier to start")
    return n, udp, tls


def flows(work):
    ca = certs.CA(work)
    cert, key = ca.leaf("server", "example.com", ["DNS:example.com", "IP:127.0.0.1"])
    n, udp, tls = notifier(work, ca, cert, key)
    via = f"tls:127.0.0.1:{tls}"
    try:
        # Bob registers over TLS and waits for one page.
        bob = Proc([tool("sipevents-message"), "listen", "--bind", "udp:127.0.0.1:0", "--count", "1",
                    "--register", "sip:bob@example.com", "--registrar", via, "--ca", ca.cert])
        wait_for(lambda: any("registered sip:bob@example.com" in l for l in bob.get()), "bob to register")
        assert any(": 200" in l for l in bob.get() if "registered" in l), bob.get()
        # A watcher over TLS sees alice closed (no publication), then open.
        w = Proc([tool("sipevents-watcher"), "--event", "presence", "--from", "sip:carol@example.com",
                  "--via", via, "--ca", ca.cert, "--count", "2", "--text", "sip:alice@example.com"])
        wait_for(lambda: len([l for l in w.get() if "NOTIFY" in l or "closed" in l or "open" in l]) >= 1,
                 "the first NOTIFY over TLS")
        rc, out = run([tool("sipevents-publish"), "--from", "sip:alice@example.com", "--via", via, "--ca", ca.cert,
                       "--status", "open", "--duration", "1"])
        assert rc == 0, out
        assert w.wait(30) == 0, w.get()
        text = "\n".join(w.get())
        assert "open" in text and "closed" in text, text
        # Alice pages bob over TLS; the notifier relays over bob's TLS connection.
        rc, out = run([tool("sipevents-message"), "send", "--from", "sip:alice@example.com", "--to",
                       "sip:bob@example.com", "--via", via, "--ca", ca.cert, "hello over TLS"])
        assert rc == 0 and "SIP/2.0 200" in "\n".join(out), out
        assert bob.wait(20) == 0, bob.get()
        assert any("hello over TLS" in l for l in bob.get()), bob.get()
        # The notifier saw the page come and go over TLS.
        log = "\n".join(n.get())
        assert "MESSAGE" in log, log
        # sips: without --via: TLS to the URI's host, the certificate checked against it.
        rc, out = run([tool("sipevents-message"), "send", "--from", "sip:alice@example.com", "--to",
                       f"sips:nobody@127.0.0.1:{tls}", "--ca", ca.cert, "to nobody"])
        assert "SIP/2.0 404" in "\n".join(out), out
        keepalive_and_dead_flow(ca, udp, tls, n)
        # RFC 3680's welcome notice over TLS: sipevents-welcome watches joe's registration
        # and greets him through the notifier, which relays over joe's TLS connection.
        welcome = Proc([tool("sipevents-welcome"), "--server", via, "--ca", ca.cert, "--from",
                        "sip:welcome@example.com", "--count", "1", "--watch", "sip:joe@example.com"])
        wait_for(lambda: any(l.startswith("NOTIFY sip:joe@example.com") for l in welcome.get()), "the reg NOTIFY")
        joe = Proc([tool("sipevents-message"), "listen", "--bind", "udp:127.0.0.1:0", "--count", "1",
                    "--register", "sip:joe@example.com", "--registrar", via, "--ca", ca.cert])
        assert welcome.wait(30) == 0, welcome.get()
        assert joe.wait(20) == 0 and any("Welcome" in l for l in joe.get()), joe.get()
        print("flows over TLS: register, watch closed->open, publish, page relayed over the flow, sips: URI, "
              "welcome notice")
    finally:
        n.kill()


def tls_socket(ca, port):
    ctx = ssl.create_default_context(cafile=ca.cert)
    ctx.check_hostname = False  # the name check is the tools' business; this is a raw peer
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5))
    s.settimeout(5)
    return s


def keepalive_and_dead_flow(ca, udp, tls, n):
    """RFC 5626 4.4.1 pongs over TCP and TLS; a relayed MESSAGE takes the flow while it
    is open and the Contact once it is gone."""
    with socket.create_connection(("127.0.0.1", udp), timeout=5) as t:
        t.sendall(b"\r\n\r\n")
        assert t.recv(16) == b"\r\n", "no CRLF pong over TCP"
    s = tls_socket(ca, tls)
    s.sendall(b"\r\n\r\n")
    assert s.recv(16) == b"\r\n", "no CRLF pong over TLS"
    # dora registers over TLS with a UDP Contact.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.settimeout(10)
    uport = u.getsockname()[1]
    s.sendall((f"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:{uport};branch=z9hG4bKdora1\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:dora@example.com>;tag=d1\r\nTo: <sip:dora@example.com>\r\n"
               f"Call-ID: dora-reg\r\nCSeq: 1 REGISTER\r\nContact: <sip:dora@127.0.0.1:{uport}>\r\n"
               f"Expires: 300\r\nContent-Length: 0\r\n\r\n").encode())
    assert s.recv(4096).startswith(b"SIP/2.0 200"), "dora's REGISTER"

    def page(text):
        return Proc([tool("sipevents-message"), "send", "--from", "sip:alice@example.com", "--to",
                     "sip:dora@example.com", "--via", f"udp:127.0.0.1:{udp}", text])

    def answer(raw):
        head = raw.split(b"\r\n\r\n", 1)[0].decode()
        keep = [l for l in head.split("\r\n")[1:] if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
        return ("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n").encode()

    # While the TLS connection is open, the page comes over it (the flow).
    p = page("over the flow")
    raw = s.recv(65536)
    assert raw.startswith(b"MESSAGE ") and raw.endswith(b"over the flow"), raw
    s.sendall(answer(raw))
    assert p.wait(20) == 0, p.get()
    # The connection goes: the next page takes the Contact (UDP).
    s.close()
    time.sleep(0.3)
    p = page("to the contact")
    raw, src = u.recvfrom(65536)
    assert raw.startswith(b"MESSAGE ") and raw.endswith(b"to the contact"), raw
    u.sendto(answer(raw), src)
    assert p.wait(20) == 0, p.get()
    u.close()
    print("CRLF pongs over TCP and TLS; a page over dora's TLS flow, then to her Contact once the flow is gone")


def refusals(work):
    ca = certs.CA(work)
    other_ca = certs.CA(os.path.join(work, "other"), "another CA")
    good, good_key = ca.leaf("good", "example.com", ["DNS:example.com"])
    wrong, wrong_key = ca.leaf("wrong", "other.example", ["DNS:other.example"])
    old, old_key = ca.leaf("old", "example.com", ["DNS:example.com"], start="20200101000000Z", end="20200201000000Z")
    stranger, stranger_key = other_ca.leaf("stranger", "example.com", ["DNS:example.com"])
    uri_only, uri_key = ca.leaf("urionly", "ignored.example", ["URI:sip:example.com"])
    cn_only, cn_key = ca.leaf("cnonly", "example.com", [])
    ip_san, ip_key = ca.leaf("ipsan", "whatever", ["IP:127.0.0.1"])

    def page(cert, key, to="sip:nobody@example.com"):
        """The tool's exit status and output, and whether the notifier saw the MESSAGE."""
        n, udp, tls = notifier(work, ca, cert, key)
        try:
            rc, out = run([tool("sipevents-message"), "send", "--from", "sip:alice@example.com", "--to", to,
                           "--via", f"tls:127.0.0.1:{tls}", "--ca", ca.cert, "--timeout-ms", "8000", "x"])
            time.sleep(0.2)
            return rc, out, any(l.startswith("MESSAGE sip:") for l in n.get())
        finally:
            n.kill()

    # Accepted: DNS SAN, sip: URI SAN, CN when there is no SAN, IP SAN for an IP literal.
    for cert, key, to in ((good, good_key, "sip:nobody@example.com"), (uri_only, uri_key, "sip:nobody@example.com"),
                          (cn_only, cn_key, "sip:nobody@example.com"), (ip_san, ip_key, "sip:nobody@127.0.0.1")):
        rc, out, seen = page(cert, key, to)
        assert "SIP/2.0 404" in "\n".join(out) and seen, (cert, out)
    # Refused, with the name and the certificate in the error, and nothing in clear.
    cases = [
        (wrong, wrong_key, "does not name example.com", "other.example"),
        (old, old_key, "certificate has expired", "example.com"),
        (stranger, stranger_key, "unable to get local issuer certificate", "example.com"),
        (good, good_key, "does not name 127.0.0.1", "example.com"),  # an IP literal needs an IP SAN
    ]
    for cert, key, why, shown in cases:
        to = "sip:nobody@127.0.0.1" if "127.0.0.1" in why else "sip:nobody@example.com"
        rc, out, seen = page(cert, key, to)
        text = "\n".join(out)
        assert rc != 0 and why in text and shown in text, (cert, text)
        assert "SIP/2.0" not in text and not seen, text  # nothing went, in clear or otherwise
        print(f"refused: {why} ({os.path.basename(cert)})")

    # Server side: clear text to the TLS port, and a handshake that never finishes.
    n, udp, tls = notifier(work, ca, good, good_key, extra=("--handshake-timeout", "2"))
    try:
        with socket.create_connection(("127.0.0.1", tls)) as s:
            s.sendall(b"OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKx\r\n"
                      b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:example.com>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
                      b"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
            s.settimeout(5)
            data = s.recv(4096)
            # Whatever comes back is a TLS alert, never SIP.
            assert b"SIP/2.0" not in data, data
        wait_for(lambda: any("TLS handshake with" in l and "failed" in l for l in n.get()), "the clear-text log line")
        silent = socket.create_connection(("127.0.0.1", tls))
        t0 = time.time()
        silent.settimeout(10)
        assert silent.recv(1) == b"", "the silent connection was not closed"
        took = time.time() - t0
        assert 1.5 < took < 5, took
        wait_for(lambda: any("handshake not finished in 2 s" in l for l in n.get()), "the deadline log line")
        silent.close()
        # Still serving: a good client gets its answer.
        rc, out = run([tool("sipevents-message"), "send", "--from", "sip:alice@example.com", "--to",
                       "sip:nobody@example.com", "--via", f"tls:127.0.0.1:{tls}", "--ca", ca.cert, "x"])
        assert "SIP/2.0 404" in "\n".join(out), out
        print(f"clear text to the TLS port: refused and logged; a silent connection closed after {took:.1f} s")
    finally:
        n.kill()


def client_certs(work):
    ca = certs.CA(work)
    other_ca = certs.CA(os.path.join(work, "other"), "another CA")
    server, server_key = ca.leaf("server", "example.com", ["DNS:example.com"])
    ours, ours_key = ca.leaf("client", "alice.example.com", ["DNS:alice.example.com"])
    theirs, theirs_key = other_ca.leaf("stranger", "mallory.example.com", ["DNS:mallory.example.com"])
    n, udp, tls = notifier(work, ca, server, server_key, extra=("--client-ca", ca.cert))
    try:
        def page(*cert):
            return run([tool("sipevents-message"), "send", "--from", "sip:alice@example.com", "--to",
                        "sip:nobody@example.com", "--via", f"tls:127.0.0.1:{tls}", "--ca", ca.cert, *cert,
                        "--timeout-ms", "8000", "x"])
        rc, out = page()
        assert "SIP/2.0 404" in "\n".join(out), ("without a certificate", out)
        rc, out = page("--cert", ours, "--key", ours_key)
        assert "SIP/2.0 404" in "\n".join(out), ("with ours", out)
        rc, out = page("--cert", theirs, "--key", theirs_key)
        text = "\n".join(out)
        assert rc != 0 and "SIP/2.0" not in text, ("with a stranger's", text)
        wait_for(lambda: any("TLS handshake with" in l and "failed" in l for l in n.get()), "the refusal in the log")
    finally:
        n.kill()
    n, udp, tls = notifier(work, ca, server, server_key, extra=("--client-ca", ca.cert, "--require-client-cert"))
    try:
        rc, out = page()
        assert rc != 0 and "SIP/2.0" not in "\n".join(out), ("required, none sent", out)
        rc, out = page("--cert", ours, "--key", ours_key)
        assert "SIP/2.0 404" in "\n".join(out), ("required, ours", out)
        print("client certificates: none (served; refused when required), from our CA (served), "
              "from another CA (refused in the handshake)")
    finally:
        n.kill()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        {"flows": flows, "refusals": refusals, "client-certs": client_certs}[MODE](work)
    print("ok")
