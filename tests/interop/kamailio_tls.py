#!/usr/bin/env python3
"""Our client tools against Kamailio's tls module, with digest authentication:
register, watch, publish and page, all over TLS, the server's certificate checked.

  kamailio_tls.py BIN_DIR

Kamailio is tests/interop/kamailio_auth started with KAM_TLS_PORT (tls module,
tcp_accept_aliases) on fresh ports, with a test CA's certificate for 127.0.0.1. Bob
registers over TLS (sipevents-message listen); carol watches joe over TLS and sees the
NOTIFYs come back over her connection (her Via carries ;alias, RFC 5923); joe
publishes open over TLS; alice pages bob over TLS and Kamailio relays it to him.
Kamailio's log must show each request arriving over TLS. A certificate for another
name is refused before anything is sent.
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, os.path.join(HERE, "..", "transport"))
from procs import Proc, free_port, wait_for  # noqa: E402
import certs  # noqa: E402

BIN = sys.argv[1]
SHARED = os.environ.get("SIPEVENTS_SHARED_DIR", os.path.join(ROOT, "..", "shared"))


def tool(name):
    return os.path.join(BIN, name)


def main(work):
    ca = certs.CA(work)
    cert, key = ca.leaf("kamailio", "127.0.0.1", ["DNS:127.0.0.1", "IP:127.0.0.1"])
    port, tls = free_port(), free_port()
    run = os.path.join(work, "kamailio")
    env = dict(os.environ, KAM_PORT=str(port), KAM_RUN_DIR=run, KAM_TLS_PORT=str(tls), KAM_TLS_CERT=cert,
               KAM_TLS_KEY=key, KAM_USERS="alice:alice-pw bob:bob-pw carol:carol-pw joe:joe-pw")
    capture = os.environ.get("SIPEVENTS_CAPTURE_DIR", "")
    if capture:  # the tshark check reads inside with our clients' key log
        os.environ["SSLKEYLOGFILE"] = os.path.join(capture, "keys.log")
        with open(os.path.join(capture, "decode-as"), "a") as f:
            f.write(f"tcp.port=={tls},tls\ntls.port=={tls},sip\n")
    subprocess.run(["sh", os.path.join(ROOT, "tests", "interop", "kamailio_auth", "start.sh")], env=env, check=True)
    via = f"tls:127.0.0.1:{tls}"
    procs = []
    try:
        bob = Proc([tool("sipevents-message"), "listen", "--bind", "udp:127.0.0.1:0", "--count", "1", "--register",
                    "sip:bob@127.0.0.1", "--registrar", via, "--ca", ca.cert, "--user", "bob", "--password", "bob-pw"])
        procs.append(bob)
        wait_for(lambda: any("registered sip:bob@127.0.0.1" in l for l in bob.get()), "bob to register over TLS")
        assert any(l.endswith(": 200") for l in bob.get() if "registered" in l), bob.get()
        carol = Proc([tool("sipevents-watcher"), "--event", "presence", "--from", "sip:carol@127.0.0.1", "--via", via,
                      "--ca", ca.cert, "--user", "carol", "--password", "carol-pw", "--count", "2",
                      "sip:joe@127.0.0.1"])
        procs.append(carol)
        wait_for(lambda: any(l.startswith("{") for l in carol.get()), "carol's first NOTIFY over TLS")
        p = Proc([tool("sipevents-publish"), "--from", "sip:joe@127.0.0.1", "--via", via, "--ca", ca.cert,
                  "--user", "joe", "--password", "joe-pw", "--status", "open", "--note", "over TLS", "--duration", "2"])
        procs.append(p)
        assert carol.wait(30) == 0, carol.get()
        assert any("<basic>open</basic>" in l or '"open"' in l for l in carol.get()), carol.get()
        assert p.wait(30) == 0, p.get()
        page = Proc([tool("sipevents-message"), "send", "--from", "sip:alice@127.0.0.1", "--to", "sip:bob@127.0.0.1",
                     "--via", via, "--ca", ca.cert, "--user", "alice", "--password", "alice-pw", "hello over TLS"])
        procs.append(page)
        assert page.wait(20) == 0 and "SIP/2.0 200" in "\n".join(page.get()), page.get()
        assert bob.wait(20) == 0 and any("hello over TLS" in l for l in bob.get()), bob.get()
        log = open(os.path.join(run, "kamailio.log")).read()
        for method in ("REGISTER", "SUBSCRIBE", "PUBLISH", "MESSAGE"):
            assert re.search(rf"RX {method} \S+ from 127\.0\.0\.1:\d+ \(tls\)", log), (method, log[-3000:])
        # Another name: refused by our client before anything is sent.
        bad = Proc([tool("sipevents-message"), "send", "--from", "sip:alice@127.0.0.1", "--to", "sip:bob@example.com",
                    "--via", via, "--ca", ca.cert, "--timeout-ms", "8000", "x"])
        procs.append(bad)
        assert bad.wait(20) != 0 and "does not name example.com" in "\n".join(bad.get()), bad.get()
        print("our clients against Kamailio's tls module: REGISTER, SUBSCRIBE (NOTIFYs over the same connection), "
              "PUBLISH and MESSAGE over TLS with digest; a certificate for another name refused")
    finally:
        for p in procs:
            p.kill()
        subprocess.run(["sh", os.path.join(SHARED, "interop", "kamailio", "stop.sh")], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        main(work)
    print("ok")
