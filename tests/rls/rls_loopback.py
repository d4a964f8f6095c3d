#!/usr/bin/env python3
"""A buddy list through sipevents-notifier --lists (RFC 4662 with RFC 4826).

  rls_loopback.py BINDIR

Two notifiers on loopback: A serves rls.example.com with a resource list
"friends" (bob and carol of its own domain, dave of example.com), B serves
example.com. alice watches the list with `sipevents-watcher --list` over TCP (a
list NOTIFY outgrows UDP): one subscription, a full RLMI NOTIFY, then partial ones. bob's PUBLISH at A reaches her
as a partial NOTIFY naming bob alone; dave's PUBLISH at B reaches her through A's
back-end subscription to B. A list SUBSCRIBE without Supported: eventlist gets 421
with Require: eventlist; a list file with a loop, or a list over --max-list, is
refused at start with its name.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
from cluster_env import Endpoint, Proc, free_port, header, pidf, wait_for  # noqa: E402

LISTS = """<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
 <list name="friends">
  <display-name>Friends</display-name>
  <entry uri="sip:bob@rls.example.com"><display-name>Bob</display-name></entry>
  <entry uri="sip:carol@rls.example.com"><display-name>Carol</display-name></entry>
  <entry uri="sip:dave@example.com"><display-name>Dave elsewhere</display-name></entry>
 </list>
</resource-lists>
"""

LOOP = """<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
 <list name="a"><entry uri="sip:b@rls.example.com"/></list>
 <list name="b"><entry uri="sip:x@rls.example.com"/><entry uri="sip:a@rls.example.com"/></list>
</resource-lists>
"""


def basic(res):
    """The basic status of a resource's one instance, or its state when it has none."""
    i = res["instances"][0]
    if "presence" in i and i["presence"]["tuples"]:
        return i["presence"]["tuples"][0]["basic"]
    return i["state"] + ("/" + i["reason"] if i["reason"] else "")


def main():
    bindir = sys.argv[1]
    exe = lambda n: os.path.join(bindir, n)
    work = tempfile.mkdtemp(prefix="rls-")
    lists_file = os.path.join(work, "lists.xml")
    with open(lists_file, "w") as f:
        f.write(LISTS)
    loop_file = os.path.join(work, "loop.xml")
    with open(loop_file, "w") as f:
        f.write(LOOP)
    pa, pb = free_port(), free_port()
    procs = []
    try:
        b = Proc([exe("sipevents-notifier"), "--bind", f"udp:127.0.0.1:{pb}", "--domain", "example.com"])
        procs.append(b)
        a = Proc([exe("sipevents-notifier"), "--bind", f"udp:127.0.0.1:{pa}", "--bind", f"tcp:127.0.0.1:{pa}",
                  "--domain", "rls.example.com",
                  "--lists", lists_file, "--list-rate", "100", "--outbound", f"udp:127.0.0.1:{pb}"])
        procs.append(a)
        for n in (a, b):
            wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in n.get()), "notifier")
        assert any("(1 resource lists)" in l for l in a.get()), a.get()

        alice = Proc([exe("sipevents-watcher"), "--event", "presence", "--list", "--from",
                      "sip:alice@rls.example.com", "--server", f"tcp:127.0.0.1:{pa}", "--duration", "60",
                      "sip:friends@rls.example.com"])
        procs.append(alice)
        lists = lambda: [json.loads(l)["list"] for l in alice.get() if l.startswith("{") and '"list"' in l]
        state = lambda: {r["uri"]: basic(r) for r in lists()[-1]["resources"]} if lists() else {}
        wait_for(lambda: lists(), "alice's first list NOTIFY")
        first = lists()[0]
        assert first["full"] and first["version"] == 0 and first["uri"] == "sip:friends@rls.example.com", first
        assert [r["name"] for r in first["resources"]] == ["Bob", "Carol", "Dave elsewhere"], first
        # dave comes through A's back-end subscription to B: pending, then his state.
        wait_for(lambda: state().get("sip:dave@example.com") == "closed", "dave's state through the back-end")
        assert any("SUBSCRIBE sip:dave@example.com" in l for l in b.get()), b.get()

        ep = Endpoint()
        ep.domain = "rls.example.com"
        br = ep.publish(("127.0.0.1", pa), "bob", 600, pidf("sip:bob@rls.example.com", "open", "at my desk"), "pub-bob")
        assert ep.wait_responses([br])[0].startswith("SIP/2.0 200"), ep.responses
        wait_for(lambda: state().get("sip:bob@rls.example.com") == "open", "bob open in alice's list")
        last = lists()[-1]
        raw = [json.loads(l) for l in alice.get() if l.startswith("{") and '"list"' in l][-1]["body"]
        assert not last["full"] and "sip:bob@rls.example.com" in raw and "sip:carol@rls.example.com" not in raw, raw
        ep.domain = "example.com"
        dr = ep.publish(("127.0.0.1", pb), "dave", 600, pidf("sip:dave@example.com", "open"), "pub-dave")
        assert ep.wait_responses([dr])[0].startswith("SIP/2.0 200"), ep.responses
        wait_for(lambda: state().get("sip:dave@example.com") == "open", "dave open through the back-end")
        versions = [l["version"] for l in lists()]
        assert versions == list(range(len(versions))), versions
        print("alice's list: " + " -> ".join(
            ", ".join(f"{r['uri']} {basic(r)}" for r in l["resources"]) for l in lists()))

        # Without Supported: eventlist, the list is not served.
        ep.domain = "rls.example.com"
        sr = ep.subscribe(("127.0.0.1", pa), "friends", "presence", "no-eventlist", from_user="alice")
        r = ep.wait_responses([sr])[0]
        assert r.startswith("SIP/2.0 421") and header(r, "Require") == "eventlist", r
        print("list SUBSCRIBE without Supported: eventlist: " + r.split("\r\n")[0] + ", Require: eventlist")

        alice.p.terminate()
        assert alice.wait(30) == 0, alice.get()
        # The last list subscriber gone, A ends its back-end subscription.
        # (the initial SUBSCRIBE went to dave; the unsubscribe goes to B's Contact)
        wait_for(lambda: sum(l.startswith("SUBSCRIBE ") for l in b.get()) >= 2, "the back-end unsubscribe")

        bad = subprocess.run([exe("sipevents-notifier"), "--bind", "udp:127.0.0.1:0", "--domain", "rls.example.com",
                              "--lists", loop_file], capture_output=True, text=True, timeout=30)
        assert bad.returncode == 2 and "includes itself: sip:a@rls.example.com -> sip:b@rls.example.com -> "
        "sip:a@rls.example.com" in bad.stderr, bad.stderr
        print("a list file with a loop: " + bad.stderr.strip())
        big = subprocess.run([exe("sipevents-notifier"), "--bind", "udp:127.0.0.1:0", "--domain", "rls.example.com",
                              "--lists", lists_file, "--max-list", "2"], capture_output=True, text=True, timeout=30)
        assert big.returncode == 2 and "sip:friends@rls.example.com has more than 2 resources" in big.stderr, big.stderr
        print("a list over --max-list: " + big.stderr.strip())
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
