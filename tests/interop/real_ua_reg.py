#!/usr/bin/env python3
"""Our notifier as registrar for a real UA, watched by our watcher (Event: reg).

  real_ua_reg.py BINDIR SHARED-INTEROP-DIR baresip|linphone [udp|tcp]

Starts sipevents-notifier (--domain 127.0.0.1), then sipevents-watcher subscribed
to Event: reg for sip:alice@127.0.0.1, then the UA (baresip via bsctl.py, or
linphonec via lpctl.py) registering as alice at our notifier. Checks that the
watcher gets the init document, then alice's contact active with event
registered, then, when the UA quits (it unregisters), the contact terminated with
event unregistered; versions go up by one; every document validates as reginfo.
"""
import json
import os
import sys
import tempfile
import xml.etree.ElementTree as ET

NS = "{urn:ietf:params:xml:ns:reginfo}"


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402


def docs(watcher):
    out = []
    for l in watcher.lines:
        if not l.startswith("{"):
            continue
        j = json.loads(l)
        if j.get("content_type") == "application/reginfo+xml" and j.get("body"):
            out.append((j, ET.fromstring(j["body"])))
    return out


def contacts(root):
    return [(c.get("state"), c.get("event"), (c.findtext(NS + "uri") or "").strip())
            for r in root.findall(NS + "registration") for c in r.findall(NS + "contact")]


def main():
    bindir, interop, ua_kind = sys.argv[1], sys.argv[2], sys.argv[3]
    transport = sys.argv[4] if len(sys.argv) > 4 else "udp"
    port = free_port()
    ua_port = free_port()
    aor = "sip:alice@127.0.0.1"
    procs, ua = [], None
    work = tempfile.mkdtemp(prefix=f"sipevents-{ua_kind}-")
    try:
        notifier = Proc([os.path.join(bindir, "sipevents-notifier"), "--bind", f"udp:127.0.0.1:{port}",
                         "--bind", f"tcp:127.0.0.1:{port}", "--domain", "127.0.0.1"])
        procs.append(notifier)
        wait_for(lambda: any(l.startswith("listening on tcp") for l in notifier.lines), "notifier")
        watcher = Proc([os.path.join(bindir, "sipevents-watcher"), "--event", "reg", "--from", "sip:app@127.0.0.1",
                        "--server", f"{transport}:127.0.0.1:{port}", aor])
        procs.append(watcher)
        wait_for(lambda: len(docs(watcher)) >= 1, "init NOTIFY")

        if ua_kind == "baresip":
            sys.path.insert(0, os.path.join(interop, "baresip"))
            import bsctl
            ctrl_port = free_port()
            bsctl.write_config(work, "alice", ua_port, ctrl_port, registrar=f"127.0.0.1:{port}",
                               pubint=0, transport=transport)
            ua = bsctl.Baresip(work, ctrl_port).start()
            assert ua.wait_registered(10), ua.log()
            stop = lambda: ua.stop(grace=8)
        else:
            sys.path.insert(0, os.path.join(interop, "linphone"))
            import lpctl
            lpctl.write_config(work, "alice", ua_port, registrar=f"127.0.0.1:{port}", transport=transport)
            ua = lpctl.Linphonec(work).start()
            assert ua.registered(10), ua.output()
            stop = lambda: ua.stop(grace=8)
        seen = lambda st, ev: [c[2] for _, r in docs(watcher) for c in contacts(r) if c[:2] == (st, ev)]
        wait_for(lambda: seen("active", "registered"), "alice's contact active", 15)
        # linphonec over TCP registers twice: once with its listening port, then again
        # with the rport it learnt (same +sip.instance, another URI: two bindings).
        stop()
        ua = None
        wait_for(lambda: seen("terminated", "unregistered"), "alice's contact unregistered", 15)
        watcher.p.terminate()  # the watcher unsubscribes on SIGTERM
        rc = watcher.wait(30)
        assert rc == 0, f"watcher exit {rc}"
        d = docs(watcher)
        versions = [int(r.get("version")) for _, r in d]
        assert versions == list(range(versions[0], versions[0] + len(versions))), versions
        init = d[0][1]
        assert init.get("state") == "full" and contacts(init) == [], ET.tostring(init)
        assert init.find(NS + "registration").get("state") == "init"
        assert all(r.get("state") == "partial" for _, r in d[1:]), versions
        assert d[1][1].find(NS + "registration").get("state") == "active"
        assert f"127.0.0.1:{ua_port}" in seen("active", "registered")[0], seen("active", "registered")
        assert all(u in seen("active", "registered") for u in seen("terminated", "unregistered"))
        assert json.loads([l for l in watcher.lines if l.startswith("{")][-1])["state"] == "terminated"
        assert any(l.startswith(f"binding {aor} registered") for l in notifier.lines), notifier.lines
        assert any(l.startswith(f"binding {aor} unregistered") for l in notifier.lines), notifier.lines
        print("OK")
    finally:
        for name, p in (("notifier", procs[0]), ("watcher ", procs[1] if len(procs) > 1 else None)):
            if p is not None:
                print("\n".join(f"[{name}] " + l for l in p.lines))
        if ua is not None:
            try:
                stop()
            except Exception:
                pass
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
