#!/usr/bin/env python3
"""A voicemail lamp through sipevents-notifier (RFC 3842).

  mwi_loopback.py BINDIR

sipevents-notifier serves Event: message-summary; alice's phone watches her mailbox
with `sipevents-watcher --event message-summary`. The voicemail system PUBLISHes the
summary (raw UDP): first nothing is reported (Messages-Waiting: no), then RFC 3842's
"2/8 (0/2)", then all heard ("no", 0/10). The watcher prints each summary; a
malformed summary gets 400 naming the fault and the lamp keeps its state.

Then the phone side without a SUBSCRIBE: `sipevents-watcher --event message-summary
--unsolicited --listen` takes an unsolicited NOTIFY (as many PBXs send to light the
lamp) with 200 and prints its summary; a stray NOTIFY of another package gets 481.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
from cluster_env import Endpoint, Proc, free_port, header, wait_for  # noqa: E402


def summary(waiting, new, old, urgent=None):
    body = f"Messages-Waiting: {waiting}\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: {new}/{old}"
    if urgent:
        body += f" ({urgent[0]}/{urgent[1]})"
    return body + "\r\n"


def main():
    bindir = sys.argv[1]
    exe = lambda n: os.path.join(bindir, n)
    port = free_port()
    procs = []
    try:
        notifier = Proc([exe("sipevents-notifier"), "--bind", f"udp:127.0.0.1:{port}", "--domain", "example.com"])
        procs.append(notifier)
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in notifier.get()), "notifier")
        lamp = Proc([exe("sipevents-watcher"), "--event", "message-summary", "--from", "sip:alice@example.com",
                     "--server", f"udp:127.0.0.1:{port}", "--duration", "60", "sip:alice@example.com"])
        procs.append(lamp)
        sums = lambda: [json.loads(l)["summary"] for l in lamp.get() if l.startswith("{") and "summary" in l]
        wait_for(lambda: len(sums()) == 1, "the first summary")
        assert sums()[0]["waiting"] is False and sums()[0]["counts"] == [], sums()
        ep = Endpoint()
        srv = ("127.0.0.1", port)
        etag = None
        for n, (body, waiting, new) in enumerate([(summary("yes", 2, 8, (0, 2)), True, 2), (summary("no", 0, 10), False, 0)]):
            b = ep.publish_event(srv, "alice", "message-summary", 600, body, "pub-vm", cseq=n + 1, if_match=etag,
                                 content_type="application/simple-message-summary")
            r = ep.wait_responses([b])[0]
            assert r.startswith("SIP/2.0 200"), r
            etag = header(r, "SIP-ETag")
            wait_for(lambda: len(sums()) == n + 2, f"summary {n + 2}")
            s = sums()[-1]
            assert s["waiting"] is waiting and s["counts"][0]["new"] == new, s
        assert sums()[1]["counts"][0] == {"class": "Voice-Message", "new": 2, "old": 8, "new_urgent": 0,
                                          "old_urgent": 2}, sums()[1]
        bad = ep.publish_event(srv, "alice", "message-summary", 600, "Messages-Waiting: perhaps\r\n", "pub-bad",
                               content_type="application/simple-message-summary")
        r = ep.wait_responses([bad])[0]
        assert r.startswith("SIP/2.0 400") and "neither yes nor no" in r.split("\r\n")[0], r.split("\r\n")[0]
        print("lamp: " + " -> ".join("on" if s["waiting"] else "off" for s in sums()) + "; malformed PUBLISH: " +
              r.split("\r\n")[0])
        lamp.p.terminate()
        assert lamp.wait(30) == 0

        phone_port = free_port()
        phone = Proc([exe("sipevents-watcher"), "--event", "message-summary", "--unsolicited", "--listen",
                      f"udp:127.0.0.1:{phone_port}", "--count", "1", "--duration", "30"])
        procs.append(phone)
        wait_for(lambda: any(l.startswith("listening on") for l in phone.get()), "the phone listening")

        def unsolicited(event, body, ctype, n):
            return ep.send(("127.0.0.1", phone_port), [
                f"NOTIFY sip:alice@127.0.0.1:{phone_port} SIP/2.0", "VIA", "Max-Forwards: 70",
                "From: <sip:vmail@example.com>;tag=vm1", "To: <sip:alice@example.com>", f"Call-ID: unsol-{n}",
                "CSeq: 1 NOTIFY", f"Event: {event}", "Subscription-State: active", f"Content-Type: {ctype}"], body)
        stray = ep.wait_responses([unsolicited("presence", "<x/>", "application/pidf+xml", 1)])[0]
        assert stray.startswith("SIP/2.0 481"), stray
        ok = ep.wait_responses([unsolicited("message-summary", summary("yes", 3, 1), "application/simple-message-summary",
                                            2)])[0]
        assert ok.startswith("SIP/2.0 200"), ok
        assert phone.wait(20) == 0, phone.get()
        got = [json.loads(l)["summary"] for l in phone.get() if l.startswith("{")]
        assert got and got[0]["waiting"] is True and got[0]["counts"][0]["new"] == 3, phone.get()
        print("unsolicited NOTIFY: 200 and printed (3 new); a stray presence NOTIFY: 481")
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
