#!/usr/bin/env python3
"""linphonec and the pager tools through sipevents-notifier's MESSAGE relay:
RFC 5438 IMDN and RFC 3994 is-composing.

  linphone_imdn.py BINDIR

linphonec (../shared/interop/linphone/lpctl.py) registers alice at
sipevents-notifier. `sipevents-message send --imdn --register` (bob, registered at
the same notifier while it waits) sends alice a page in CPIM asking for notifications:
linphonec shows the text and answers with a delivery notification, deflated
(Content-Encoding: deflate, message/imdn+xml, outside CPIM) and sent through the
relay before its 200 to the page; send prints it and exits 0. An is-composing
indication from bob is taken by linphonec (200) and not shown as a message. A page
linphonec sends to bob reaches `sipevents-message listen --register` through the relay.
liblinphone holds its IMDNs until it is registered, so they always come through a
registrar, here the notifier. Directly, without the notifier: a second linphonec
(unregistered, routed to a `sipevents-message listen`) shows a plain page `send`
sends it, and its own page reaches the listener; it answers a CPIM page 488 (an
unregistered liblinphone 5.1 chat room takes no CPIM), which `send --imdn` reports
with exit 1.
liblinphone's console has no command to type, so linphonec never sends is-composing.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402

SHARED = os.environ.get("SIPEVENTS_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))
sys.path.insert(0, os.path.join(SHARED, "interop", "linphone"))
import lpctl  # noqa: E402


def main():
    bindir = sys.argv[1]
    exe = lambda n: os.path.join(bindir, n)
    port = free_port()
    work = tempfile.mkdtemp(prefix="linphone-imdn-")
    notifier = Proc([exe("sipevents-notifier"), "--bind", f"udp:127.0.0.1:{port}", "--domain", "127.0.0.1"])
    lp = listener = lp2 = direct = None
    try:
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in notifier.get()), "notifier")
        d = os.path.join(work, "alice")
        lpctl.write_config(d, "alice", free_port(), registrar=f"127.0.0.1:{port}")
        lp = lpctl.Linphonec(d).start()
        wait_for(lambda: any("binding sip:alice@127.0.0.1 registered" in l for l in notifier.get()),
                 "linphonec registered", timeout=30)
        send = subprocess.run([exe("sipevents-message"), "send", "--imdn", "--register", "--from", "sip:bob@127.0.0.1",
                               "--to", "sip:alice@127.0.0.1", "--via", f"udp:127.0.0.1:{port}", "--timeout-ms",
                               "10000", "are", "you", "there"], capture_output=True, text=True, timeout=30)
        print(send.stdout, send.stderr)
        assert send.returncode == 0, send
        notes = [json.loads(l) for l in send.stdout.splitlines() if l.startswith("{")]
        assert notes[0]["imdn"]["kind"] == "delivery-notification" and notes[0]["imdn"]["status"] == "delivered", notes
        assert notes[0]["from"] == "sip:alice@127.0.0.1", notes
        wait_for(lambda: "Message received from sip:bob@127.0.0.1: are you there" in lp.output(), "linphonec shows the page")
        siplog = open(lp.siplog, errors="replace").read()
        assert "Content-Encoding: deflate" in siplog and "Content-Type: message/imdn+xml" in siplog, "no deflated IMDN"
        typing = ('<?xml version="1.0" encoding="UTF-8"?><isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">'
                  '<state>active</state><contenttype>text/plain</contenttype><refresh>60</refresh></isComposing>')
        t = subprocess.run([exe("sipevents-message"), "send", "--from", "sip:bob@127.0.0.1", "--to", "sip:alice@127.0.0.1",
                            "--via", f"udp:127.0.0.1:{port}", "--content-type", "application/im-iscomposing+xml", typing],
                           capture_output=True, text=True, timeout=15)
        assert t.returncode == 0 and t.stdout.startswith("SIP/2.0 200"), t
        # linphonec -> bob through the relay.
        listener = Proc([exe("sipevents-message"), "listen", "--bind", f"udp:127.0.0.1:{free_port()}", "--register",
                         "sip:bob@127.0.0.1", "--registrar", f"udp:127.0.0.1:{port}", "--count", "1"])
        wait_for(lambda: any(l.startswith("registered sip:bob@127.0.0.1") for l in listener.get()), "bob registered")
        lp.cmd("chat sip:bob@127.0.0.1 hello bob")
        assert listener.wait(20) == 0, listener.get()
        page = [json.loads(l) for l in listener.get() if l.startswith("{")][0]
        assert page["body"] == "hello bob" and page["from"] == "sip:alice@127.0.0.1", page
        out = lp.output()
        assert "isComposing" not in out, out
        # Directly: carol's linphonec routes everything to a listener of ours.
        lport = free_port()
        direct = Proc([exe("sipevents-message"), "listen", "--bind", f"udp:127.0.0.1:{lport}", "--count", "1"])
        wait_for(lambda: any(l.startswith("listening on") for l in direct.get()), "direct listener")
        cport = free_port()
        d2 = os.path.join(work, "carol")
        lpctl.write_config(d2, "carol", cport, route=f"127.0.0.1:{lport}")
        lp2 = lpctl.Linphonec(d2).start()
        dport = free_port()
        direct_send = [exe("sipevents-message"), "send", "--from", f"sip:dave@127.0.0.1:{dport}", "--to",
                       f"sip:carol@127.0.0.1:{cport}", "--via", f"udp:127.0.0.1:{cport}", "--timeout-ms", "3000"]
        s2 = subprocess.run(direct_send + ["direct", "page"], capture_output=True, text=True, timeout=20)
        assert s2.stdout.startswith("SIP/2.0 200") and s2.returncode == 0, (s2.stdout, s2.stderr)
        wait_for(lambda: "direct page" in lp2.output(), "carol's linphonec shows the page")
        s3 = subprocess.run(direct_send + ["--imdn", "--listen", f"udp:127.0.0.1:{dport}", "in", "cpim"],
                            capture_output=True, text=True, timeout=20)
        assert s3.stdout.startswith("SIP/2.0 488") and s3.returncode == 1, (s3.stdout, s3.stderr)
        lp2.cmd("chat sip:dave@127.0.0.1 hello dave")
        assert direct.wait(20) == 0, direct.get()
        dpage = [json.loads(l) for l in direct.get() if l.startswith("{")][0]
        assert dpage["body"] == "hello dave" and dpage["from"] == "sip:carol@127.0.0.1", dpage
        print(f"linphonec: delivery notification {notes[0]['imdn']['message_id']} delivered (deflated, through the "
              f"relay); is-composing taken; page to bob relayed: {page['body']!r}")
        print("OK")
    finally:
        for p in (listener, direct):
            if p:
                p.kill()
        for p in (lp, lp2):
            if p:
                p.stop()
        notifier.kill()


if __name__ == "__main__":
    main()
