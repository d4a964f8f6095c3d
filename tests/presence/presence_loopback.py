#!/usr/bin/env python3
"""Presence over real loopback sockets: sipevents-notifier as presence server, one
sipevents-watcher, two sipevents-publish devices for one AoR.

  presence_loopback.py BINDIR udp|tcp [4|6]

Checks the watcher sees: closed (hard state), the phone open with its contact, note
and activity, then both devices' tuples, then the laptop's removal leaves the phone's
tuple, then closed again once both removed their publications; the notifier logs one
created and one removed publication per device; every process exits 0. A second
watcher asks for partial notification (RFC 5263: Accept application/pidf-diff+xml):
it gets full state once, then diffs one version apart, and its document always ends
where the first watcher's does.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402


def main():
    bindir, transport = sys.argv[1], sys.argv[2]
    v6 = len(sys.argv) > 3 and sys.argv[3] == "6"
    host = "[::1]" if v6 else "127.0.0.1"
    port = free_port(v6)
    exe = lambda n: os.path.join(bindir, n)
    srv = f"{transport}:{host}:{port}"
    procs = []
    try:
        notifier = Proc([exe("sipevents-notifier"), "--bind", f"udp:{host}:{port}", "--bind", f"tcp:{host}:{port}",
                         "--domain", "example.com"])
        procs.append(notifier)
        wait_for(lambda: any(l.startswith("listening on tcp") for l in notifier.get()), "notifier")
        watcher = Proc([exe("sipevents-watcher"), "--event", "presence", "--from", "sip:bob@example.com",
                        "--server", srv, "sip:alice@example.com"])
        procs.append(watcher)
        partial = Proc([exe("sipevents-watcher"), "--event", "presence", "--from", "sip:carol@example.com",
                        "--server", srv, "--accept", "application/pidf-diff+xml", "--accept", "application/pidf+xml",
                        "sip:alice@example.com"])
        procs.append(partial)

        def docs(w=watcher):
            return [json.loads(l) for l in w.get() if l.startswith("{")]

        def tuples(d):
            return {t["id"]: t for t in d.get("presence", {}).get("tuples", [])}

        wait_for(lambda: docs(), "first NOTIFY")
        assert tuples(docs()[0]) == {"offline": {"id": "offline", "basic": "closed", "contact": None, "notes": []}}
        phone = Proc([exe("sipevents-publish"), "--from", "sip:alice@example.com", "--server", srv,
                      "--status", "open", "--contact", "sip:alice@192.0.2.7", "--note", "on the road",
                      "--activity", "on-the-phone", "--expires", "60", "--duration", "3"])
        procs.append(phone)
        wait_for(lambda: any("sipevents-publish" in tuples(d) for d in docs()), "phone open")
        d = [d for d in docs() if "sipevents-publish" in tuples(d)][0]
        t = tuples(d)["sipevents-publish"]
        assert t["basic"] == "open" and t["contact"] == "sip:alice@192.0.2.7" and t["notes"] == ["on the road"], d
        assert d["presence"]["activities"] == ["on-the-phone"], d
        # The second device publishes the same tuple id: the newer one wins, both live apart.
        laptop = Proc([exe("sipevents-publish"), "--from", "sip:alice@example.com", "--server", srv,
                       "--status", "closed", "--contact", "sip:alice@192.0.2.8", "--duration", "0.5"])
        procs.append(laptop)
        wait_for(lambda: any(tuples(d).get("sipevents-publish", {}).get("contact") == "sip:alice@192.0.2.8"
                             for d in docs()), "laptop's tuple")
        assert laptop.wait(15) == 0, laptop.get()
        # Laptop gone: the phone's tuple is back.
        wait_for(lambda: tuples(docs()[-1]).get("sipevents-publish", {}).get("contact")
                 == "sip:alice@192.0.2.7", "phone's tuple after the laptop left")
        assert phone.wait(15) == 0, phone.get()
        wait_for(lambda: "offline" in tuples(docs()[-1]), "closed again")
        wait_for(lambda: docs(partial) and "offline" in tuples(docs(partial)[-1]) and len(docs(partial)) == len(docs()),
                 "the partial watcher closed again")
        full_lines, diff_lines = docs(), docs(partial)
        assert [d["presence"] for d in diff_lines] == [d["presence"] for d in full_lines], (full_lines, diff_lines)
        assert all(d["content_type"] == "application/pidf-diff+xml" for d in diff_lines), diff_lines
        assert [d["pidf_diff"]["version"] for d in diff_lines] == list(range(len(diff_lines))), diff_lines
        assert diff_lines[0]["pidf_diff"]["full"], diff_lines[0]
        fb = sum(len(d["body"]) for d in full_lines[1:])
        pb = sum(len(d["body"]) for d in diff_lines[1:])
        diffs = sum(not d["pidf_diff"]["full"] for d in diff_lines[1:])
        print(f"RFC 5263 on the wire: {len(full_lines) - 1} changes ({diffs} as diffs), "
              f"PIDF bodies {fb} B, pidf-diff+xml bodies {pb} B")
        # A diff is sent only when smaller than full state, whose root costs a little more.
        assert pb <= fb + 120 * (len(full_lines) - 1), (fb, pb)
        for w in (watcher, partial):
            w.p.terminate()
            assert w.wait(30) == 0, w.get()
        assert docs()[-1]["state"] == "terminated" and docs(partial)[-1]["state"] == "terminated"
        log = notifier.get()
        assert sum(" created " in l for l in log if l.startswith("publication")) == 2, log
        assert sum(" removed " in l for l in log if l.startswith("publication")) == 2, log
        print("\n".join("[watcher] " + l[:300] for l in watcher.get()))
        print("\n".join("[partial] " + l[:300] for l in partial.get()))
        print("\n".join("[notifier] " + l for l in log))
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
