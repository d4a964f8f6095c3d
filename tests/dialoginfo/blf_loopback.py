#!/usr/bin/env python3
"""A busy lamp field through sipevents-notifier (RFC 4235).

  blf_loopback.py BINDIR

sipevents-notifier serves Event: dialog; a desk phone's lamp for alice is
`sipevents-watcher --event dialog`. Alice's phone PUBLISHes her dialog state as
Kamailio's pua_dialoginfo does (raw UDP): an incoming call from bob ringing, then
confirmed, then terminated. The lamp goes idle, ringing (with bob as the caller, for a
pickup), busy, idle; versions count up by one per NOTIFY. A malformed dialog-info
PUBLISH gets 400 naming the fault, and the lamp does not move.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
from cluster_env import Endpoint, Proc, free_port, header, wait_for  # noqa: E402


def doc(dialogs, version=0):
    body = "".join(
        f'<dialog id="{i}" call-id="{i}-cid" local-tag="lt" remote-tag="rt" direction="recipient">'
        f'<state>{state}</state><remote><identity display="Bob">sip:bob@example.com</identity></remote></dialog>'
        for i, state in dialogs)
    return ('<?xml version="1.0"?><dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" '
            f'version="{version}" state="full" entity="sip:alice@example.com">{body}</dialog-info>')


def main():
    bindir = sys.argv[1]
    exe = lambda n: os.path.join(bindir, n)
    port = free_port()
    procs = []
    try:
        notifier = Proc([exe("sipevents-notifier"), "--bind", f"udp:127.0.0.1:{port}", "--domain", "example.com",
                         "--min-expires", "1"])
        procs.append(notifier)
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in notifier.get()), "notifier")
        lamp = Proc([exe("sipevents-watcher"), "--event", "dialog", "--from", "sip:phone@example.com", "--server",
                     f"udp:127.0.0.1:{port}", "--duration", "60", "sip:alice@example.com"])
        procs.append(lamp)
        docs = lambda: [json.loads(l) for l in lamp.get() if l.startswith("{")]
        lamps = lambda: [d["dialog"]["lamp"] for d in docs() if "dialog" in d]
        wait_for(lambda: lamps() == ["idle"], "the idle lamp")

        ep = Endpoint()
        srv = ("127.0.0.1", port)
        etag = None
        for n, (state, want) in enumerate([("early", "ringing"), ("confirmed", "busy"), ("terminated", "idle")]):
            b = ep.publish_event(srv, "alice", "dialog", 600, doc([("call1", state)], n), "pub-alice", cseq=n + 1,
                                 if_match=etag, content_type="application/dialog-info+xml")
            r = ep.wait_responses([b])[0]
            assert r.startswith("SIP/2.0 200"), r
            etag = header(r, "SIP-ETag")
            wait_for(lambda: lamps()[-1:] == [want], f"the {want} lamp")
        ringing = [d["dialog"] for d in docs() if d.get("dialog", {}).get("lamp") == "ringing"][0]
        assert ringing["caller"] == "sip:bob@example.com", ringing
        versions = [d["dialog"]["version"] for d in docs() if "dialog" in d]
        assert versions == list(range(len(versions))), versions
        print("lamp: " + " -> ".join(lamps()) + f" (versions {versions}; caller when ringing {ringing['caller']})")

        bad = ep.publish_event(srv, "alice", "dialog", 600, doc([("call2", "ringing")]), "pub-bad",
                               content_type="application/dialog-info+xml")
        r = ep.wait_responses([bad])[0]
        assert r.startswith("SIP/2.0 400") and "ringing" in r.split("\r\n")[0], r.split("\r\n")[0]
        print("malformed PUBLISH: " + r.split("\r\n")[0])
        before = len(lamps())
        lamp.p.terminate()
        assert lamp.wait(30) == 0
        assert len(lamps()) >= before and lamps()[-1] == "idle"
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
