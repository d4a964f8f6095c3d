#!/usr/bin/env python3
"""Our reg subscriber against Kamailio's reg notifier (presence_reginfo + pua_reginfo).

  kamailio_reg.py BINDIR udp|tcp KAMAILIO-PORT

sipevents-welcome subscribes to Event: reg for a fresh AoR at Kamailio; a UA
(sipevents-message listen --register) REGISTERs that AoR with Kamailio's registrar.
Kamailio sends only full documents, all with version="0", and an initial NOTIFY
without a body; our subscriber must take them, report the contact as active, and
send the welcome MESSAGE there, which the UA prints.
"""
import json
import os
import sys
import time

TEXT = "Welcome to the example.com service!"


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402


def main():
    bindir, transport, kport = sys.argv[1], sys.argv[2], sys.argv[3]
    kam = f"{transport}:127.0.0.1:{kport}"
    # Kamailio keys usrloc by user@host; a fresh user keeps runs apart.
    aor = f"sip:joe{os.getpid()}{transport}@127.0.0.1"
    ua_port = free_port()
    contact = f"sip:{aor[4:].split('@')[0]}@127.0.0.1:{ua_port}" + (";transport=tcp" if transport == "tcp" else "")
    procs = []
    try:
        welcome = Proc([os.path.join(bindir, "sipevents-welcome"), "--server", kam, "--from", "sip:app@127.0.0.1",
                        "--count", "1", "--watch", aor])
        procs.append(welcome)
        time.sleep(0.5)  # the SUBSCRIBE is answered before joe registers
        ua = Proc([os.path.join(bindir, "sipevents-message"), "listen", "--bind", f"{transport}:127.0.0.1:{ua_port}",
                   "--register", aor, "--registrar", kam, "--count", "1"])
        procs.append(ua)
        rc = welcome.wait(20)
        print("\n".join("[welcome] " + l for l in welcome.lines))
        assert rc == 0, f"sipevents-welcome exit {rc}"
        assert ua.wait(10) == 0, ua.lines
        print("\n".join("[joe UA]  " + l for l in ua.lines))
        notifies = [l for l in welcome.lines if l.startswith("NOTIFY ")]
        assert notifies, welcome.lines
        assert all(l.endswith("version 0 (full)") for l in notifies), notifies
        assert any("registration active" in l for l in notifies), notifies
        assert f"contact {contact} active (created)" in welcome.lines, welcome.lines
        assert f"welcome {contact}: 200 OK" in welcome.lines, welcome.lines
        pages = [json.loads(l) for l in ua.lines if l.startswith("{")]
        assert len(pages) == 1 and pages[0]["body"] == TEXT and pages[0]["transport"] == transport, pages
        assert f"unregistered {aor}: 200" in ua.lines, ua.lines
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
