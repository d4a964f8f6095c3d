#!/usr/bin/env python3
"""CI's one step of the TLS load: bench/connections keeps 64 SUBSCRIBE+NOTIFY pairs in
flight over 4 TLS connections to sipevents-notifier for a few seconds; every pair must
complete and none fail. The full comparison with Kamailio is bench/tls_connections.py.

  tls_smoke.py NOTIFIER CONNECTIONS_BENCH [SECONDS]
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, os.path.join(HERE, "..", "transport"))
from procs import Proc, free_port, wait_for  # noqa: E402
import certs  # noqa: E402

notifier, client = sys.argv[1], sys.argv[2]
seconds = sys.argv[3] if len(sys.argv) > 3 else "3"
with tempfile.TemporaryDirectory() as work:
    ca = certs.CA(work)
    cert, key = ca.leaf("server", "127.0.0.1", ["IP:127.0.0.1"])
    udp, tls = free_port(), free_port()
    n = Proc([notifier, "--bind", f"udp:127.0.0.1:{udp}", "--bind", f"tls:127.0.0.1:{tls}", "--domain", "127.0.0.1",
              "--cert", cert, "--key", key, "--quiet", "--max-transactions", "1000000"])
    try:
        wait_for(lambda: any("sipevents-notifier:" in l for l in n.get()), "the notifier")
        r = subprocess.run([client, "subscribe", "tls", "127.0.0.1", str(tls), seconds, "4", "16"],
                           capture_output=True, text=True, timeout=60)
        print(r.stdout.strip())
        assert r.returncode == 0 and "(0 failed)" in r.stdout, (r.stdout, r.stderr)
        assert n.p.poll() is None, n.get()
    finally:
        n.kill()
print("ok")
