#!/usr/bin/env python3
"""The pager tools on loopback: RFC 5438 IMDN, RFC 3994 is-composing, bad bodies.

  imdn_loopback.py BINDIR

`sipevents-message listen` and `sipevents-message send --imdn` on UDP: the page goes
in CPIM asking for notifications, listen prints it with its CPIM envelope and sends a
delivery and a display notification back, send prints them and exits 0 on delivered.
An is-composing indication is printed as {"composing": {"state": "active", ...}}. A
CPIM, IMDN or is-composing body that cannot be read gets 400 naming the fault, and a
deflated IMDN (as liblinphone sends them) is read.
"""
import json
import os
import socket
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402


def raw_message(port, headers, body):
    """One MESSAGE over UDP with a binary body; the status line of the answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("127.0.0.1", 0))
        u.settimeout(5)
        me = u.getsockname()[1]
        head = [f"MESSAGE sip:bob@127.0.0.1:{port} SIP/2.0",
                f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bKraw{me}", "Max-Forwards: 70",
                "From: <sip:alice@127.0.0.1>;tag=raw", f"To: <sip:bob@127.0.0.1:{port}>", f"Call-ID: lin-1@{me}",
                "CSeq: 1 MESSAGE"] + [f"{n}: {v}" for n, v in headers] + [f"Content-Length: {len(body)}", "", ""]
        u.sendto("\r\n".join(head).encode() + body, ("127.0.0.1", port))
        while True:
            data = u.recv(65535).decode(errors="replace")
            line = data.split("\r\n", 1)[0]
            if not line.startswith("SIP/2.0 1"):
                return line


def main():
    bindir = sys.argv[1]
    exe = os.path.join(bindir, "sipevents-message")
    lport, sport = free_port(), free_port()
    listener = Proc([exe, "listen", "--bind", f"udp:127.0.0.1:{lport}", "--count", "3"])
    try:
        wait_for(lambda: any(l.startswith("listening on") for l in listener.get()), "listener")
        send = subprocess.run([exe, "send", "--imdn", "--from", f"sip:alice@127.0.0.1:{sport}", "--listen",
                               f"udp:127.0.0.1:{sport}", "--to", f"sip:bob@127.0.0.1:{lport}", "--via",
                               f"udp:127.0.0.1:{lport}", "--timeout-ms", "5000", "hello", "with", "receipts"],
                              capture_output=True, text=True, timeout=20)
        print(send.stdout, send.stderr)
        assert send.returncode == 0, send
        notes = [json.loads(l)["imdn"] for l in send.stdout.splitlines() if l.startswith("{")]
        assert notes and notes[0]["kind"] == "delivery-notification" and notes[0]["status"] == "delivered", notes
        # The display notification sent right after it is awaited and answered too, so the
        # listener is not left retransmitting it to a closed port.
        assert [n["kind"] for n in notes] == ["delivery-notification", "display-notification"], notes
        assert "SIP/2.0 200 OK" in send.stdout, send.stdout
        typing = ('<?xml version="1.0" encoding="UTF-8"?><isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">'
                  '<state>active</state><contenttype>text/plain</contenttype><refresh>60</refresh></isComposing>')
        base = [exe, "send", "--from", "sip:alice@127.0.0.1", "--to", f"sip:bob@127.0.0.1:{lport}",
                "--via", f"udp:127.0.0.1:{lport}", "--timeout-ms", "5000"]
        t = subprocess.run(base + ["--content-type", "application/im-iscomposing+xml", typing],
                           capture_output=True, text=True, timeout=10)
        assert t.returncode == 0 and "200" in t.stdout, t
        # Bodies that cannot be read: 400 naming the fault, nothing reaches the listener.
        for ctype, body, reason in [
                ("message/cpim", "From: a", "Bad CPIM Body: message headers not ended by a blank line"),
                ("message/imdn+xml", '<imdn xmlns="urn:ietf:params:xml:ns:imdn"/>', "Bad IMDN Body: imdn without message-id"),
                ("application/im-iscomposing+xml", '<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"/>',
                 "Bad isComposing Body: isComposing without state")]:
            r = subprocess.run(base + ["--content-type", ctype, body], capture_output=True, text=True, timeout=10)
            assert r.returncode == 1 and f"SIP/2.0 400 {reason}" in r.stdout, (r.stdout, r.stderr)
        # A deflated IMDN as liblinphone writes it (outside CPIM, named by the Call-ID).
        imdn = ('<?xml version="1.0" encoding="UTF-8" standalone="no" ?><imdn xmlns="urn:ietf:params:xml:ns:imdn">'
                '<message-id>lin-1</message-id><datetime>2026-12-07T09:12:58Z</datetime>'
                '<delivery-notification><status><delivered/></status></delivery-notification></imdn>')
        status = raw_message(lport, [("Content-Type", "message/imdn+xml"), ("Content-Encoding", "deflate")],
                             zlib.compress(imdn.encode()))
        assert status.startswith("SIP/2.0 200"), status
        assert listener.wait(15) == 0, listener.get()
        lines = [json.loads(l) for l in listener.get() if l.startswith("{")]
        print("\n".join("[listen] " + json.dumps(l) for l in lines))
        page, comp, lin = lines
        assert page["body"] == "hello with receipts" and page["cpim"]["message_id"] == notes[0]["message_id"], page
        assert comp["composing"] == {"state": "active", "refresh": 60}, comp
        assert lin["imdn"]["message_id"] == "lin-1" and lin["body"] == imdn, lin
        err = "\n".join(listener.get())
        assert "delivery-notification notification to" in err and "display-notification notification to" in err, err
        print("OK")
    finally:
        listener.kill()


if __name__ == "__main__":
    main()
