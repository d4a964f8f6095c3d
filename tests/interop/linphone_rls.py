#!/usr/bin/env python3
"""linphonec's friend list as a client of our list service (RFC 5367 with RFC 4662).

  linphone_rls.py BINDIR

sipevents-notifier --list-service sip:rls@127.0.0.1 on UDP and TCP. linphonec
(../shared/interop/linphone/lpctl.py, over TCP) registers and, with [sip] rls_uri set,
sends its two friends as one SUBSCRIBE to sip:rls@127.0.0.1: Require:
recipient-list-subscribe, a deflated application/resource-lists+xml body. The
notifier answers 200 and NOTIFYs the list (RLMI + one PIDF per friend), which
linphonec accepts with 200; bob's PUBLISH (raw UDP) brings a partial NOTIFY with bob
open. Checked in linphonec's SIP log.

liblinphone 5.1.65 then drops those NOTIFYs: it hands a NOTIFY to its friend list only
when the Event token is the exact string "Presence" (coreapi/linphonecore.c,
linphone_core_internal_notify_received), while its own SUBSCRIBE says "presence" and
RFC 6665 makes the NOTIFY echo it; so linphonec shows no friend status from any
standard list server (Kamailio's rls as well). This test proves the protocol exchange,
not linphonec's display.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
from cluster_env import Endpoint, Proc, free_port, pidf, wait_for  # noqa: E402

SHARED = os.environ.get("SIPEVENTS_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))
sys.path.insert(0, os.path.join(SHARED, "interop", "linphone"))
import lpctl  # noqa: E402


def notifies(log):
    """The NOTIFYs linphonec received for the list, as (version, fullState, text)."""
    out = []
    for m in re.finditer(r"NOTIFY sip:alice@[^\n]*\n(?:.*\n)*?--[0-9a-f]+--", log):
        t = m.group(0)
        v = re.search(r'<list [^>]*version="(\d+)" fullState="(\w+)"', t)
        if v:
            out.append((int(v.group(1)), v.group(2) == "true", t))
    return out


def main():
    bindir = sys.argv[1]
    port = free_port()
    work = tempfile.mkdtemp(prefix="linphone-rls-")
    notifier = Proc([os.path.join(bindir, "sipevents-notifier"), "--bind", f"udp:127.0.0.1:{port}", "--bind",
                     f"tcp:127.0.0.1:{port}", "--domain", "127.0.0.1", "--list-service", "sip:rls@127.0.0.1"])
    lp = None
    try:
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in notifier.get()), "notifier")
        d = os.path.join(work, "alice")
        lpctl.write_config(d, "alice", free_port(), registrar=f"127.0.0.1:{port}",
                           friends=["sip:bob@127.0.0.1", "sip:carol@127.0.0.1"], transport="tcp")
        rc = os.path.join(d, "linphonerc")
        with open(rc) as f:
            text = f.read().replace("[sip]\n", "[sip]\nrls_uri=sip:rls@127.0.0.1\n", 1)
        with open(rc, "w") as f:
            f.write(text)
        lp = lpctl.Linphonec(d).start()
        siplog = lambda: open(lp.siplog, errors="replace").read() if os.path.exists(lp.siplog) else ""
        wait_for(lambda: notifies(siplog()), "the first list NOTIFY at linphonec", timeout=30)
        log = siplog()
        sub = re.search(r"SUBSCRIBE sip:rls@127\.0\.0\.1 SIP/2\.0\n(?:.*\n)*?\n", log).group(0)
        assert "Require: recipient-list-subscribe" in sub and "Content-Encoding: deflate" in sub, sub
        v0, full, first = notifies(log)[0]
        assert full and "sip:bob@127.0.0.1" in first and "sip:carol@127.0.0.1" in first, first
        assert "<basic>closed</basic>" in first, first
        assert re.search(r"SIP/2\.0 200 Ok\n(?:[^\n]+\n)*CSeq: 1 NOTIFY", log), "linphonec did not take the NOTIFY"
        ep = Endpoint()
        ep.domain = "127.0.0.1"
        b = ep.publish(("127.0.0.1", port), "bob", 600, pidf("sip:bob@127.0.0.1", "open", "at my desk"), "pub-bob")
        assert ep.wait_responses([b])[0].startswith("SIP/2.0 200"), ep.responses
        wait_for(lambda: any(not f and "<basic>open</basic>" in t for _, f, t in notifies(siplog())),
                 "a partial list NOTIFY with bob open at linphonec", timeout=20)
        seen = notifies(siplog())
        assert [v for v, _, _ in seen] == list(range(v0, v0 + len(seen))), [v for v, _, _ in seen]
        print(f"linphonec's list SUBSCRIBE (deflated resource-lists, Require: recipient-list-subscribe): 200; "
              f"{len(seen)} list NOTIFYs taken with 200: " +
              ", ".join(f"v{v} {'full' if f else 'partial'}" for v, f, _ in seen))
        shown = [l for l in lp.output().splitlines() if "Friend" in l]
        print("linphonec shows: " + ("; ".join(shown) if shown else
                                      "nothing (liblinphone 5.1.65 wants Event: Presence, see the docstring)"))
        print("OK")
    finally:
        if lp:
            lp.stop()
        notifier.kill()


if __name__ == "__main__":
    main()
