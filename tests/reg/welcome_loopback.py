#!/usr/bin/env python3
"""RFC 3680's welcome notice in three processes over real loopback sockets.

  welcome_loopback.py BINDIR udp|tcp [4|6]

Starts sipevents-notifier (registrar + reg notifier + relay), sipevents-welcome
watching joe, then joe's UA (sipevents-message listen --register). Checks: the init
NOTIFY reaches the watcher before joe registers, the REGISTER is logged, the active
NOTIFY names joe's contact, the UA prints the welcome text, the welcome MESSAGE got
200 and every process exits 0. A MESSAGE relayed through the notifier to joe's AoR
reaches him too, and one to an AoR with no binding gets 404.
"""
import json
import os
import subprocess
import sys

TEXT = "Welcome to the example.com service!"


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402


def main():
    bindir, transport = sys.argv[1], sys.argv[2]
    v6 = len(sys.argv) > 3 and sys.argv[3] == "6"
    host = "[::1]" if v6 else "127.0.0.1"
    port, ua_port = free_port(v6), free_port(v6)
    exe = lambda n: os.path.join(bindir, n)
    procs = []
    try:
        notifier = Proc([exe("sipevents-notifier"), "--bind", f"udp:{host}:{port}", "--bind", f"tcp:{host}:{port}",
                         "--domain", "example.com"])
        procs.append(notifier)
        wait_for(lambda: any(l.startswith("listening on tcp:") for l in notifier.get()), "notifier")
        welcome = Proc([exe("sipevents-welcome"), "--server", f"{transport}:{host}:{port}",
                        "--from", "sip:app.example.com", "--count", "1", "--watch", "sip:joe@example.com"])
        procs.append(welcome)
        wait_for(lambda: any("registration init" in l for l in welcome.get()), "init NOTIFY")
        init = [l for l in welcome.get() if l.startswith("NOTIFY")][0]
        assert "subscription active" in init and "version 0 (full)" in init, init
        assert any(l.startswith(f"SUBSCRIBE sip:joe@example.com from {transport}:") for l in notifier.get()), \
            notifier.get()

        ua = Proc([exe("sipevents-message"), "listen", "--bind", f"{transport}:{host}:{ua_port}",
                   "--register", "sip:joe@example.com", "--registrar", f"{transport}:{host}:{port}",
                   "--count", "2"])
        procs.append(ua)
        assert welcome.wait(15) == 0, welcome.get()
        contact = f"sip:joe@{host}:{ua_port}" + (";transport=tcp" if transport == "tcp" else "")
        wl = welcome.get()
        print("\n".join("[welcome] " + l for l in wl))
        active = [l for l in wl if "registration active" in l]
        assert active and "version 1 (partial)" in active[0], wl
        assert f"contact {contact} active (registered)" in wl, wl
        assert f"welcome {contact}: 200 OK" in wl, wl
        assert any(l.startswith(f"REGISTER sip:example.com from {transport}:") for l in notifier.get())
        assert f"binding sip:joe@example.com registered {contact}" in notifier.get(), notifier.get()

        wait_for(lambda: any(TEXT in l for l in ua.get()), "welcome MESSAGE at the UA")
        page = json.loads([l for l in ua.get() if TEXT in l][0])
        assert page["from"] == "sip:app.example.com" and page["to"] == "sip:joe@example.com", page
        assert page["body"] == TEXT and page["transport"] == transport, page

        # The relay: to joe's AoR through the notifier, then to an AoR nobody registered.
        send = lambda to, text: subprocess.run(
            [exe("sipevents-message"), "send", "--from", "sip:app.example.com", "--to", to,
             "--via", f"{transport}:{host}:{port}", text], capture_output=True, text=True, timeout=30)
        r = send("sip:nobody@example.com", "anyone?")
        assert r.returncode != 0 and "404" in r.stdout, (r.stdout, r.stderr)
        r = send("sip:joe@example.com", "relayed")
        assert r.returncode == 0 and "200" in r.stdout, (r.stdout, r.stderr)
        assert ua.wait(15) == 0, ua.get()
        ul = ua.get()
        print("\n".join("[joe UA]  " + l for l in ul))
        assert any('"body":"relayed"' in l for l in ul), ul
        assert any(l.startswith("unregistered sip:joe@example.com: 200") for l in ul), ul
        wait_for(lambda: f"binding sip:joe@example.com unregistered {contact}" in notifier.get(), "unregister")
        print("\n".join("[notifier] " + l for l in notifier.get()))
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
