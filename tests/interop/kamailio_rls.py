#!/usr/bin/env python3
"""Our list subscriber against Kamailio's rls module (RFC 4662).

  kamailio_rls.py BINDIR

Starts tests/interop/kamailio_auth/start.sh with KAM_NOAUTH=1 and
KAM_RLS_DOC=kamailio_rls/rls-services.xml: alice's service sip:friends@127.0.0.1
lists bob and carol. `sipevents-watcher --event presence --list` subscribes to it
(Supported: eventlist); Kamailio's rls answers with RLMI NOTIFYs after watching each
member through pua. bob PUBLISHes open (raw UDP) and the next list NOTIFY shows him
open, read from the multipart/related body Kamailio writes. Stops Kamailio by its pid
file.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
from cluster_env import Endpoint, Proc, free_port, pidf, wait_for  # noqa: E402

SHARED = os.environ.get("SIPEVENTS_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))


def basic(res):
    for i in res["instances"]:
        if "presence" in i and i["presence"]["tuples"]:
            return i["presence"]["tuples"][0]["basic"]
    return "-"


def main():
    bindir = sys.argv[1]
    exe = lambda n: os.path.join(bindir, n)
    kport = free_port()
    run_dir = tempfile.mkdtemp(prefix="kamailio-rls-")
    env = dict(os.environ, KAM_PORT=str(kport), KAM_RUN_DIR=run_dir, KAM_NOAUTH="1", KAM_USERS="alice:x",
               KAM_RLS_DOC=os.path.join(HERE, "kamailio_rls", "rls-services.xml"), KAM_RLS_OWNER="alice")
    procs = []
    try:
        start = subprocess.run(["sh", os.path.join(HERE, "kamailio_auth", "start.sh")], env=env, capture_output=True,
                               text=True, timeout=60)
        assert start.returncode == 0, start.stderr
        w = Proc([exe("sipevents-watcher"), "--event", "presence", "--list", "--from", "sip:alice@127.0.0.1",
                  "--server", f"udp:127.0.0.1:{kport}", "--duration", "30", "sip:friends@127.0.0.1"])
        procs.append(w)
        lists = lambda: [json.loads(l)["list"] for l in w.get() if l.startswith("{") and '"list"' in l]
        wait_for(lambda: lists(), "the first list NOTIFY from Kamailio's rls")
        first = lists()[0]
        assert first["uri"] == "sip:friends@127.0.0.1", first
        assert [r["uri"] for r in first["resources"]] == ["sip:bob@127.0.0.1", "sip:carol@127.0.0.1"], first
        ep = Endpoint()
        ep.domain = "127.0.0.1"
        b = ep.publish(("127.0.0.1", kport), "bob", 600, pidf("sip:bob@127.0.0.1", "open", "at my desk"), "pub-bob")
        assert ep.wait_responses([b])[0].startswith("SIP/2.0 200"), ep.responses
        bob = lambda: [basic(r) for r in lists()[-1]["resources"] if r["uri"] == "sip:bob@127.0.0.1"]
        wait_for(lambda: bob() == ["open"], "bob open in the list NOTIFY from Kamailio", timeout=20)
        print("Kamailio rls list: " + " -> ".join(
            f"v{l['version']} " + ", ".join(f"{r['uri']} {basic(r)}" for r in l["resources"]) for l in lists()))
        w.p.terminate()
        assert w.wait(40) == 0, w.get()
        print("OK")
    finally:
        for p in procs:
            p.kill()
        subprocess.run(["sh", os.path.join(SHARED, "interop", "kamailio", "stop.sh")], env=env, capture_output=True,
                       timeout=30)


if __name__ == "__main__":
    main()
