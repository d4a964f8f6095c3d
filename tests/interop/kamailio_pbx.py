#!/usr/bin/env python3
"""Our dialog and message-summary subscribers against Kamailio's presence_dialoginfo
and presence_mwi.

  kamailio_pbx.py BINDIR

Starts tests/interop/kamailio_auth/start.sh with KAM_NOAUTH=1 KAM_PBX=1 (its own port
and run directory). `sipevents-watcher --event dialog` watches alice's line at
Kamailio while a phone PUBLISHes alice's dialog state to Kamailio (raw UDP, as
pua_dialoginfo would): the lamp goes ringing (with bob as the caller), then busy,
then idle, read from the documents Kamailio composes. `sipevents-watcher --event
message-summary` watches alice's mailbox while a voicemail system PUBLISHes a
summary: the watcher reads Kamailio's NOTIFY (waiting, 2 new of 8 old). Stops
Kamailio by its pid file.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
from cluster_env import Endpoint, Proc, free_port, header, wait_for  # noqa: E402

SHARED = os.environ.get("SIPEVENTS_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))


def dialog_doc(state, version):
    body = ("" if state is None else
            '<dialog id="call1" call-id="call1-cid" local-tag="lt" remote-tag="rt" direction="recipient">'
            f'<state>{state}</state><remote><identity display="Bob">sip:bob@127.0.0.1</identity></remote></dialog>')
    return ('<?xml version="1.0"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" '
            f'version="{version}" state="full" entity="sip:alice@127.0.0.1">{body}</dialog-info>')


def main():
    bindir = sys.argv[1]
    exe = lambda n: os.path.join(bindir, n)
    kport = free_port()
    run_dir = tempfile.mkdtemp(prefix="kamailio-pbx-")
    env = dict(os.environ, KAM_PORT=str(kport), KAM_RUN_DIR=run_dir, KAM_NOAUTH="1", KAM_PBX="1", KAM_USERS="alice:x")
    srv = f"udp:127.0.0.1:{kport}"
    procs = []
    try:
        start = subprocess.run(["sh", os.path.join(HERE, "kamailio_auth", "start.sh")], env=env, capture_output=True,
                               text=True, timeout=60)
        assert start.returncode == 0, start.stderr
        ep = Endpoint()
        ep.domain = "127.0.0.1"
        k = ("127.0.0.1", kport)

        # ---- dialog (RFC 4235): a busy lamp field at Kamailio ----
        lamp = Proc([exe("sipevents-watcher"), "--event", "dialog", "--from", "sip:bob@127.0.0.1", "--server", srv,
                     "--duration", "30", "sip:alice@127.0.0.1"])
        procs.append(lamp)
        docs = lambda: [json.loads(l) for l in lamp.get() if l.startswith("{")]
        lamps = lambda: [d["dialog"]["lamp"] for d in docs() if "dialog" in d]
        wait_for(lambda: docs(), "the first dialog NOTIFY from Kamailio")
        etag = None
        for n, (state, want) in enumerate([("early", "ringing"), ("confirmed", "busy"), ("terminated", "idle")]):
            b = ep.publish_event(k, "alice", "dialog", 600, dialog_doc(state, n), "kpub-dialog", cseq=n + 1,
                                 if_match=etag, content_type="application/dialog-info+xml")
            r = ep.wait_responses([b])[0]
            assert r.startswith("SIP/2.0 200"), r
            etag = header(r, "SIP-ETag")
            wait_for(lambda: lamps()[-1:] == [want], f"the {want} lamp from Kamailio's NOTIFY")
        ringing = [d["dialog"] for d in docs() if d.get("dialog", {}).get("lamp") == "ringing"][0]
        assert ringing["caller"] == "sip:bob@127.0.0.1", ringing
        assert not any("parse_error" in d for d in docs()), docs()
        print("dialog: Kamailio's presence_dialoginfo -> sipevents-watcher: " + " -> ".join(lamps()) +
              f" (caller when ringing {ringing['caller']})")

        # ---- message-summary (RFC 3842): a voicemail lamp at Kamailio ----
        vm = Proc([exe("sipevents-watcher"), "--event", "message-summary", "--from", "sip:alice@127.0.0.1", "--server",
                   srv, "--duration", "30", "sip:alice@127.0.0.1"])
        procs.append(vm)
        sums = lambda: [json.loads(l).get("summary") for l in vm.get() if l.startswith("{")]
        wait_for(lambda: vm.get(), "the first message-summary NOTIFY from Kamailio")
        body = "Messages-Waiting: yes\r\nMessage-Account: sip:alice@127.0.0.1\r\nVoice-Message: 2/8 (0/2)\r\n"
        r = ep.wait_responses([ep.publish_event(k, "alice", "message-summary", 600, body, "kpub-mwi",
                                                content_type="application/simple-message-summary")])[0]
        assert r.startswith("SIP/2.0 200"), r
        wait_for(lambda: any(s and s["waiting"] for s in sums()), "the summary from Kamailio's NOTIFY")
        got = [s for s in sums() if s and s["waiting"]][0]
        assert got["counts"][0]["new"] == 2 and got["counts"][0]["old"] == 8, got
        print(f"message-summary: Kamailio's presence_mwi -> sipevents-watcher: waiting, {got['counts'][0]}")
        for p in (lamp, vm):
            p.p.terminate()
            assert p.wait(30) == 0, p.get()
        print("OK")
    finally:
        for p in procs:
            p.kill()
        subprocess.run(["sh", os.path.join(SHARED, "interop", "kamailio", "stop.sh")], env=env, capture_output=True,
                       timeout=30)


if __name__ == "__main__":
    main()
