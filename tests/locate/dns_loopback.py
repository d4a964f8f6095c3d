#!/usr/bin/env python3
"""RFC 3263 over c-ares against dnsmasq on loopback.

  dns_loopback.py BINDIR

dnsmasq serves a test zone: example.test has a NAPTR for SIP over TCP whose SRV lists
dead.example.test (priority 10, a port where nothing listens) and live.example.test
(priority 20, a `sipevents-message listen`); udp.test has only a NAPTR for UDP.
`sipevents-message send --dns` to sip:bob@example.test picks TCP from the NAPTR, tries
the first SRV target, fails over to the second (RFC 3263 4.3) and is delivered there;
to sip:carol@udp.test it goes over UDP; to sip:dave@nowhere.test it fails with a
clear message and exit 1. `sipevents-watcher --dns` subscribes to sip:alice@presence.test
at the notifier its SRV names. fail.test lists a dead TCP target first and the
notifier second: `sipevents-publish --dns` and `sipevents-watcher --dns` fail over
inside the event agent (agent_config::fallbacks), publish, and see the NOTIFY open.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402


def main():
    bindir = sys.argv[1]
    exe = lambda n: os.path.join(bindir, n)
    dns, live, dead, udp, pres = free_port(), free_port(), free_port(), free_port(), free_port()
    work = tempfile.mkdtemp(prefix="dns-")
    procs = []
    try:
        d = Proc(["dnsmasq", "-k", "--conf-file=/dev/null", f"--port={dns}", "--listen-address=127.0.0.1",
                  "--bind-interfaces", "--no-resolv", "--no-hosts", "--log-queries", "--log-facility=-",
                  f"--pid-file={work}/dnsmasq.pid",
                  "--naptr-record=example.test,10,10,S,SIP+D2T,,_sip._tcp.example.test",
                  f"--srv-host=_sip._tcp.example.test,dead.example.test,{dead},10,0",
                  f"--srv-host=_sip._tcp.example.test,live.example.test,{live},20,0",
                  "--host-record=dead.example.test,127.0.0.1", "--host-record=live.example.test,127.0.0.1",
                  "--naptr-record=udp.test,10,10,S,SIP+D2U,,_sip._udp.udp.test",
                  f"--srv-host=_sip._udp.udp.test,host.udp.test,{udp},10,0",
                  "--host-record=host.udp.test,127.0.0.1",
                  f"--srv-host=_sip._udp.presence.test,ps.presence.test,{pres},10,0",
                  "--host-record=ps.presence.test,127.0.0.1",
                  "--naptr-record=fail.test,10,10,S,SIP+D2T,,_sip._tcp.fail.test",
                  f"--srv-host=_sip._tcp.fail.test,dead.fail.test,{dead},10,0",
                  f"--srv-host=_sip._tcp.fail.test,ps.fail.test,{pres},20,0",
                  "--host-record=dead.fail.test,127.0.0.1", "--host-record=ps.fail.test,127.0.0.1"])
        procs.append(d)
        wait_for(lambda: any("started" in l for l in d.get()), "dnsmasq")
        tcp_l = Proc([exe("sipevents-message"), "listen", "--bind", f"tcp:127.0.0.1:{live}", "--count", "1"])
        udp_l = Proc([exe("sipevents-message"), "listen", "--bind", f"udp:127.0.0.1:{udp}", "--count", "1"])
        procs += [tcp_l, udp_l]
        for p in (tcp_l, udp_l):
            wait_for(lambda: any(l.startswith("listening on") for l in p.get()), "listener")
        r = subprocess.run([exe("sipevents-message"), "send", "--from", "sip:alice@example.test", "--to",
                            "sip:bob@example.test", "--dns", f"127.0.0.1:{dns}", "hello", "bob"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.strip() == "SIP/2.0 200 OK", (r.stdout, r.stderr)
        assert f"tcp:127.0.0.1:{dead}" in r.stderr and f"trying tcp:127.0.0.1:{live}" in r.stderr, r.stderr
        wait_for(lambda: any('"body":"hello bob"' in l and '"transport":"tcp"' in l for l in tcp_l.get()),
                 "the page at the second SRV target")
        print("example.test: NAPTR SIP+D2T -> SRV dead (10), live (20): " + r.stderr.strip().splitlines()[-1] +
              " -> " + r.stdout.strip())
        r = subprocess.run([exe("sipevents-message"), "send", "--from", "sip:alice@example.test", "--to",
                            "sip:carol@udp.test", "--dns", f"127.0.0.1:{dns}", "hi"], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, (r.stdout, r.stderr)
        wait_for(lambda: any('"transport":"udp"' in l for l in udp_l.get()), "the page over UDP")
        print("udp.test: NAPTR SIP+D2U -> delivered over UDP")
        r = subprocess.run([exe("sipevents-message"), "send", "--from", "sip:alice@example.test", "--to",
                            "sip:dave@nowhere.test", "--dns", f"127.0.0.1:{dns}", "hi"], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "cannot locate sip:dave@nowhere.test: the name resolves to no address" in r.stderr, r.stderr
        print("nowhere.test: " + r.stderr.strip())
        # No NAPTR for presence.test: SRV per transport, _sip._udp answers.
        n = Proc([exe("sipevents-notifier"), "--bind", f"udp:127.0.0.1:{pres}", "--bind", f"tcp:127.0.0.1:{pres}",
                  "--domain", "presence.test", "--domain", "fail.test"])
        procs.append(n)
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in n.get()), "notifier")
        w = subprocess.run([exe("sipevents-watcher"), "--event", "presence", "--from", "sip:bob@presence.test", "--dns",
                            f"127.0.0.1:{dns}", "--count", "1", "sip:alice@presence.test"], capture_output=True,
                           text=True, timeout=60)
        assert w.returncode == 0 and '"state":"active"' in w.stdout, (w.stdout, w.stderr)
        print("presence.test: SRV _sip._udp -> the watcher's NOTIFY came")
        # fail.test: the first SRV target refuses TCP; the agent tries the second.
        watcher = Proc([exe("sipevents-watcher"), "--event", "presence", "--from", "sip:bob@fail.test", "--dns",
                        f"127.0.0.1:{dns}", "--count", "2", "--duration", "30", "sip:carol@fail.test"])
        procs.append(watcher)
        wait_for(lambda: any('"state":"active"' in l for l in watcher.get()), "the watcher's first NOTIFY via the second target")
        pub = subprocess.run([exe("sipevents-publish"), "--from", "sip:carol@fail.test", "--dns", f"127.0.0.1:{dns}",
                              "--status", "open", "--duration", "0.5"], capture_output=True, text=True, timeout=60)
        assert pub.returncode == 0 and pub.stdout.startswith("published ") and "removed" in pub.stdout, \
            (pub.returncode, pub.stdout, pub.stderr)
        wait_for(lambda: any('"basic":"open"' in l for l in watcher.get()), "the watcher seeing carol open")
        assert watcher.wait(30) == 0
        print("fail.test: SRV dead (10) refused, ps (20) answered: published, removed, the watcher saw open")
        bad = subprocess.run([exe("sipevents-publish"), "--from", "sip:carol@nowhere.test", "--dns", f"127.0.0.1:{dns}",
                              "--status", "open"], capture_output=True, text=True, timeout=60)
        assert bad.returncode == 1 and "cannot locate" in bad.stderr, (bad.returncode, bad.stderr)
        queries = [l for l in d.get() if "query[" in l]
        assert any("query[NAPTR] example.test" in l for l in queries), queries
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
