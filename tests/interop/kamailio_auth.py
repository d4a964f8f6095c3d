#!/usr/bin/env python3
"""Our clients against Kamailio with digest authentication (auth + auth_db).

  kamailio_auth.py BINDIR ALGORITHM udp|tcp      ALGORITHM: MD5 or SHA-256

Starts tests/interop/kamailio_auth/start.sh (its own port and run directory; MD5 is
Kamailio's default, which writes no algorithm parameter), then:
  - alice's UA registers (401 answered), bob's watcher subscribes to her presence
    (401), alice publishes open (401): bob sees closed (or nothing) then open;
  - bob pages alice through Kamailio (407 answered) and her UA prints it;
  - a wrong password ends with the 401/407 and exit 1, after one resend;
  - the credentials Kamailio received name the algorithm, and refreshes reuse the
    nonce with nc + 1 (one round trip);
and stops Kamailio by its pid file.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("SIPEVENTS_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))


def main():
    bindir, alg, transport = sys.argv[1], sys.argv[2], sys.argv[3]
    exe = lambda n: os.path.join(bindir, n)
    kport, ua_port = free_port(), free_port()
    run_dir = tempfile.mkdtemp(prefix="kamailio-auth-")
    env = dict(os.environ, KAM_PORT=str(kport), KAM_RUN_DIR=run_dir, KAM_ALG="" if alg == "MD5" else alg,
               KAM_USERS="alice:alice-pw bob:bob-pw")
    srv = f"{transport}:127.0.0.1:{kport}"
    procs = []
    try:
        start = subprocess.run(["sh", os.path.join(HERE, "kamailio_auth", "start.sh")], env=env, capture_output=True,
                               text=True, timeout=60)
        assert start.returncode == 0, start.stderr
        ua = Proc([exe("sipevents-message"), "listen", "--bind", f"{transport}:127.0.0.1:{ua_port}", "--register",
                   "sip:alice@127.0.0.1", "--registrar", srv, "--user", "alice", "--password", "alice-pw",
                   "--count", "1"])
        procs.append(ua)
        wait_for(lambda: any(l.startswith("registered sip:alice@127.0.0.1") for l in ua.get()), "REGISTER")
        assert any(l.endswith(": 200") for l in ua.get()), ua.get()

        watcher = Proc([exe("sipevents-watcher"), "--event", "presence", "--from", "sip:bob@127.0.0.1", "--server",
                        srv, "--user", "bob", "--password", "bob-pw", "--duration", "8", "--text",
                        "sip:alice@127.0.0.1"])
        procs.append(watcher)
        wait_for(lambda: any(l.startswith("NOTIFY presence") for l in watcher.get()), "first NOTIFY")
        pub = subprocess.run([exe("sipevents-publish"), "--from", "sip:alice@127.0.0.1", "--server", srv,
                              "--status", "open", "--contact", f"sip:alice@127.0.0.1:{ua_port}", "--duration", "1",
                              "--user", "alice", "--password", "alice-pw"], capture_output=True, text=True, timeout=30)
        assert pub.returncode == 0 and "published" in pub.stdout, (pub.stdout, pub.stderr)
        wait_for(lambda: any("active: open" in l for l in watcher.get()), "NOTIFY open")

        page = subprocess.run([exe("sipevents-message"), "send", "--from", "sip:bob@127.0.0.1", "--to",
                               "sip:alice@127.0.0.1", "--via", srv, "--user", "bob", "--password", "bob-pw",
                               f"hello through Kamailio ({alg})"], capture_output=True, text=True, timeout=30)
        assert page.returncode == 0 and "200" in page.stdout, (page.stdout, page.stderr)
        assert ua.wait(15) == 0, ua.get()
        pages = [json.loads(l) for l in ua.get() if l.startswith("{")]
        assert pages and pages[0]["body"] == f"hello through Kamailio ({alg})", ua.get()
        assert any(l.startswith("unregistered sip:alice@127.0.0.1: 200") for l in ua.get()), ua.get()

        wrong = subprocess.run([exe("sipevents-message"), "send", "--from", "sip:bob@127.0.0.1", "--to",
                                "sip:alice@127.0.0.1", "--via", srv, "--user", "bob", "--password", "nope", "x"],
                               capture_output=True, text=True, timeout=30)
        assert wrong.returncode == 1 and "407" in wrong.stdout, (wrong.stdout, wrong.stderr)
        bad_reg = subprocess.run([exe("sipevents-message"), "listen", "--bind", f"udp:127.0.0.1:{free_port()}",
                                  "--register", "sip:bob@127.0.0.1", "--registrar", f"udp:127.0.0.1:{kport}",
                                  "--user", "bob", "--password", "nope", "--count", "1"],
                                 capture_output=True, text=True, timeout=30)
        assert bad_reg.returncode == 1 and ": 401" in bad_reg.stderr, bad_reg.stderr
        watcher.wait(20)

        log = open(os.path.join(run_dir, "kamailio.log"), errors="replace").read()
        creds = re.findall(r"RX (\w+) \S+ from \S+ \((?:udp|tcp)\) auth=(?:<null>)?(Digest [^\n]*)", log)
        assert creds, log[-2000:]
        for method, c in creds:
            if alg == "MD5":
                # Kamailio's default challenge names no algorithm, so neither does the answer.
                assert "algorithm=" not in c, c
            else:
                assert "algorithm=SHA-256" in c, c
            assert "qop=auth" in c, c
        # The unregister and the unsubscribe went out answered ahead: nc 00000002 or more.
        assert any(re.search(r"nc=0000000[2-9]", c) for m, c in creds if m in ("REGISTER", "SUBSCRIBE")), creds
        methods = sorted({m for m, _ in creds})
        assert methods == ["MESSAGE", "PUBLISH", "REGISTER", "SUBSCRIBE"], methods
        print(f"{alg} over {transport}: credentials Kamailio received for {methods}: {len(creds)}")
        print("OK")
    finally:
        for p in procs:
            p.kill()
        subprocess.run(["sh", os.path.join(SHARED, "interop", "kamailio", "stop.sh")], env=env, capture_output=True,
                       timeout=30)


if __name__ == "__main__":
    main()
