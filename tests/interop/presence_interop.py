#!/usr/bin/env python3
"""Presence against real peers on loopback (../shared/interop).

  presence_interop.py kamailio      BINDIR INTEROP udp|tcp KAMAILIO-PORT [6]
      Our EPA (sipevents-publish) and our watcher (sipevents-watcher) against
      Kamailio's presence server: the watcher sees the empty first NOTIFY, then
      the published tuple open with contact and note, a refresh (Kamailio gives a
      new SIP-ETag each time, and our removal must use the newest), then the removal.
      Kamailio 5.6.3 (publ_cache=2) drops the document on a body-less refresh: the
      NOTIFYs after the refresh and after the removal carry no body, like its first.
  presence_interop.py baresip-publishes BINDIR INTEROP udp|tcp
      baresip registers to sipevents-notifier and PUBLISHes; our watcher, through
      our notifier, sees presence_online / presence_offline / online, then the hard
      state once baresip quits and removes its publication.
  presence_interop.py ua-watchers   BINDIR INTEROP udp|tcp
      baresip and linphonec register to sipevents-notifier and watch bob, whom
      sipevents-publish publishes there: both show bob Online, then Offline when
      the publication is removed.
  presence_interop.py ua-peers      BINDIR INTEROP udp|tcp|tls
      baresip (alice) and linphonec (carol) register to sipevents-notifier and watch
      each other through it: linphonec's own PUBLISH shows carol Online at baresip;
      baresip's presence_online / presence_offline show alice Online / Offline at
      linphonec; then MESSAGE both ways through our relay (linphonec also sends its
      IMDN back through it). Over tls both register over TLS with the test CA;
      baresip 1.0.0 sends PUBLISH and MESSAGE over UDP whatever its AoR says, so
      there alice is online by registration and only linphonec's page is checked.
  presence_interop.py ua-peers-auth BINDIR INTEROP udp|tcp [ALGORITHMS]
      ua-peers with digest authentication: sipevents-notifier --users challenges
      every REGISTER, SUBSCRIBE, PUBLISH and relayed MESSAGE (in the order of
      ALGORITHMS, default MD5,SHA-256); baresip and linphonec answer with their
      passwords. Prints which algorithm each UA answered with, per method.
  presence_interop.py auth-survey   BINDIR INTEROP
      For each challenge list (MD5; MD5,SHA-256; SHA-256,MD5; SHA-256;
      SHA-512-256,MD5), whether baresip and linphonec register, and with which
      algorithm. Asserts only that the notifier's default serves both; the rest is
      the measurement behind that default.
  presence_interop.py ua-restart    BINDIR INTEROP udp|tcp
      sipevents-notifier --db with baresip registered and watching bob, whom
      sipevents-publish publishes: baresip shows bob Online; the notifier is killed
      with SIGKILL and started again on the same file and port; without subscribing
      again, baresip hears the restored NOTIFY in its dialog and then Offline when
      the publisher removes its publication (its ETag still good).
  presence_interop.py baresip-p2p   BINDIR INTEROP [udp|tcp]
      Our watcher subscribes straight to baresip as a peer-to-peer notifier. Its
      first NOTIFY carries <basic>?</basic>: we report a parse error and keep the
      subscription; presence_online then shows open, presence_offline closed.
"""
import json
import os
import re
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402


def exe(bindir, name):
    return os.path.join(bindir, name)


def docs(watcher):
    return [json.loads(l) for l in watcher.get() if l.startswith("{")]


def tuples(d):
    return {t["id"]: t for t in (d.get("presence") or {}).get("tuples", [])}


def basics(d):
    return sorted(t["basic"] for t in tuples(d).values())


def dump(name, p):
    if p is not None:
        print("\n".join(f"[{name}] " + l[:400] for l in p.get()))


def start_notifier(bindir, port, domain="127.0.0.1", auth=(), db=None, tls=None):
    """With tls=(port, cert, key) it also listens on TLS there."""
    extra = ["--bind", f"tls:127.0.0.1:{tls[0]}", "--cert", tls[1], "--key", tls[2]] if tls else []
    capture = os.environ.get("SIPEVENTS_CAPTURE_DIR", "")
    if tls and capture:  # the tshark check reads inside with our key log
        os.environ["SSLKEYLOGFILE"] = os.path.join(capture, "keys.log")
        with open(os.path.join(capture, "decode-as"), "a") as f:
            f.write(f"tcp.port=={tls[0]},tls\ntls.port=={tls[0]},sip\n")
    n = Proc([exe(bindir, "sipevents-notifier"), "--bind", f"udp:127.0.0.1:{port}", "--bind", f"tcp:127.0.0.1:{port}",
              "--domain", domain] + extra + list(auth) + (["--db", db] if db else []))
    wait_for(lambda: any(l.startswith("listening on tcp") for l in n.get()), "notifier")
    return n


def kamailio(bindir, interop, transport, kport, v6=False):
    srv = f"{transport}:{'[::1]' if v6 else '127.0.0.1'}:{kport}"
    aor = f"sip:alice{os.getpid()}{transport}{'v6' if v6 else ''}@127.0.0.1"  # fresh presentity per run
    procs = []
    try:
        watcher = Proc([exe(bindir, "sipevents-watcher"), "--event", "presence", "--from", "sip:bob@127.0.0.1",
                        "--server", srv, aor])
        procs.append(watcher)
        wait_for(lambda: docs(watcher), "Kamailio's first NOTIFY")
        first = docs(watcher)[0]
        assert first["state"] == "active" and first["body"] == "", first  # nothing published yet: no body
        pub = Proc([exe(bindir, "sipevents-publish"), "--from", aor, "--server", srv, "--status", "open",
                    "--contact", "sip:alice@192.0.2.7", "--note", "at my desk", "--expires", "6", "--duration", "5"])
        procs.append(pub)
        opened = lambda: [d for d in docs(watcher) if basics(d) == ["open"]]
        wait_for(opened, "NOTIFY open", 10)
        t = list(tuples(opened()[0]).values())[0]
        assert t["contact"] == "sip:alice@192.0.2.7" and t["notes"] == ["at my desk"], opened()[0]
        assert pub.wait(20) == 0, pub.get()
        published = [l for l in pub.get() if l.startswith("published ")]
        # Initial publish, then the refresh at expiry minus a third, with the ETag
        # Kamailio handed out; Kamailio answers each with a new one.
        assert len(published) == 2 and published[0].split()[1] != published[1].split()[1], pub.get()
        assert pub.get()[-1] == "removed", pub.get()  # 200 to Expires: 0 with the refreshed ETag
        wait_for(lambda: len(docs(watcher)) >= 4, "NOTIFYs for the refresh and the removal", 10)
        assert [d["body"] == "" for d in docs(watcher)[2:4]] == [True, True], docs(watcher)
        watcher.p.terminate()
        assert watcher.wait(30) == 0, watcher.get()
        assert docs(watcher)[-1]["state"] == "terminated", docs(watcher)[-1]
        assert not any("parse_error" in d for d in docs(watcher)), docs(watcher)
        print("OK")
    finally:
        dump("watcher", procs[0] if procs else None)
        dump("publish", procs[1] if len(procs) > 1 else None)
        for p in procs:
            p.kill()


def baresip_publishes(bindir, interop, transport):
    sys.path.insert(0, os.path.join(interop, "baresip"))
    import bsctl
    port, ua_port, ctrl = free_port(), free_port(), free_port()
    work = tempfile.mkdtemp(prefix="sipevents-baresip-pub-")
    procs, ua = [], None
    try:
        notifier = start_notifier(bindir, port)
        procs.append(notifier)
        watcher = Proc([exe(bindir, "sipevents-watcher"), "--event", "presence", "--from", "sip:bob@127.0.0.1",
                        "--server", f"{transport}:127.0.0.1:{port}", "sip:alice@127.0.0.1"])
        procs.append(watcher)
        wait_for(lambda: docs(watcher), "first NOTIFY")
        assert tuples(docs(watcher)[0]).get("offline", {}).get("basic") == "closed", docs(watcher)[0]
        bsctl.write_config(work, "alice", ua_port, ctrl, registrar=f"127.0.0.1:{port}", pubint=600,
                           transport=transport)
        ua = bsctl.Baresip(work, ctrl).start()
        assert ua.wait_registered(10), ua.log()
        ua.cmd("presence_online")
        wait_for(lambda: basics(docs(watcher)[-1]) == ["open"], "baresip online", 10)
        n = len(docs(watcher))
        ua.cmd("presence_offline")
        wait_for(lambda: len(docs(watcher)) > n and basics(docs(watcher)[-1]) == ["closed"], "baresip offline", 10)
        assert "offline" not in tuples(docs(watcher)[-1]), docs(watcher)[-1]  # baresip's own tuple, closed
        ua.cmd("presence_online")
        wait_for(lambda: basics(docs(watcher)[-1]) == ["open"], "baresip online again", 10)
        ua.stop(grace=10)
        ua = None
        # Its publication is gone (removed on quit, or expired): the hard state is back.
        # Under load baresip sometimes starts a second publication (an initial PUBLISH
        # racing its own first one) and removes only one on quit; the other stands until
        # it expires, so the hard state cannot be back yet, and what is shown must be it.
        count = lambda what: sum(f"publication sip:alice@127.0.0.1 {what}" in l for l in notifier.get())
        wait_for(lambda: count("removed") >= 1, "baresip's publication removed on quit", 15)
        if count("created") > count("removed") + count("expired"):
            wait_for(lambda: "offline" not in tuples(docs(watcher)[-1]), "the publication baresip left shown", 15)
            print(f"baresip created {count('created')} publications and removed {count('removed')}: "
                  "the one left stands until it expires")
        else:
            wait_for(lambda: "offline" in tuples(docs(watcher)[-1]), "hard state after baresip quit", 15)
        watcher.p.terminate()
        assert watcher.wait(30) == 0, watcher.get()
        assert not any("parse_error" in d for d in docs(watcher)), docs(watcher)
        log = notifier.get()
        assert any(l.startswith("publication sip:alice@127.0.0.1 created") for l in log), log
        if transport != "tls":
            assert any(l.startswith("publication sip:alice@127.0.0.1 modified") for l in log), log
        print("OK")
    finally:
        dump("notifier", procs[0] if procs else None)
        dump("watcher", procs[1] if len(procs) > 1 else None)
        if ua is not None:
            print(ua.log()[-3000:])
            ua.stop(grace=3)
        for p in procs:
            p.kill()


class UAs:
    """sipevents-notifier on a fresh port, and baresip (alice) and linphonec (carol)
    registered to it on request; close() stops only what this started."""

    PASSWORDS = {"alice": "alice.s3cret", "carol": "carol: with a colon"}

    def __init__(self, bindir, interop, transport, prefix, algorithms=None, db=False):
        for d in ("baresip", "linphone"):
            sys.path.insert(0, os.path.join(interop, d))
        import bsctl
        import lpctl
        self.bsctl, self.lpctl = bsctl, lpctl
        self.bindir, self.transport = bindir, transport
        self.port = free_port()
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.procs, self.bs, self.lp = [], None, None
        self.auth = algorithms is not None
        algorithms = None if algorithms == "default" else algorithms
        auth = []
        if self.auth:
            users = os.path.join(self.work, "users")
            with open(users, "w") as f:
                f.write("".join(f"{u}:{pw}\n" for u, pw in self.PASSWORDS.items()))
            auth = ["--users", users, "--verbose"] + (["--auth-algorithms", algorithms] if algorithms else [])
        self.db = os.path.join(self.work, "state.db") if db else None
        # Over TLS the notifier also listens on its own port with a test CA's certificate
        # for 127.0.0.1 (DNS and IP names: linphonec checks the first, we the second).
        self.tls = None
        self.server_port = self.port
        if transport == "tls":
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "transport"))
            import certs
            self.ca = certs.CA(self.work)
            cert, key = self.ca.leaf("notifier", "127.0.0.1", ["DNS:127.0.0.1", "IP:127.0.0.1"])
            self.server_port = free_port()
            self.tls = (self.server_port, cert, key)
        self.notifier = start_notifier(bindir, self.port, auth=auth, db=self.db, tls=self.tls)
        self.procs.append(self.notifier)

    def restart_notifier(self):
        """SIGKILL, then the same binary on the same port and file."""
        self.notifier.p.send_signal(signal.SIGKILL)
        self.notifier.p.wait(5)
        dump("notifier before the kill", self.notifier)
        self.notifier = start_notifier(self.bindir, self.port, db=self.db, tls=self.tls)
        self.procs.append(self.notifier)
        return self.notifier

    def baresip(self, contacts, pubint):
        d = os.path.join(self.work, "bs")
        ctrl = free_port()
        acc = self.bsctl.write_config(d, "alice", free_port(), ctrl, registrar=f"127.0.0.1:{self.server_port}",
                                      contacts=contacts, pubint=pubint, transport=self.transport)
        if self.tls:
            with open(os.path.join(d, "config"), "a") as f:
                f.write(f"sip_cafile\t\t{self.ca.cert}\n")
        if self.auth:
            with open(os.path.join(d, "accounts"), "w") as f:
                f.write(acc + ";auth_pass=" + self.PASSWORDS["alice"] + "\n")
        self.bs = self.bsctl.Baresip(d, ctrl).start()
        return self.bs

    def linphonec(self, friends):
        d = os.path.join(self.work, "lp")
        self.lpctl.write_config(d, "carol", free_port(), registrar=f"127.0.0.1:{self.server_port}", friends=friends,
                                transport=self.transport)
        if self.tls:
            # A random local TLS port, and the server checked against the test CA.
            rc = os.path.join(d, "linphonerc")
            text = open(rc).read().replace("sip_tls_port=0", "sip_tls_port=-1")
            text = text.replace("[sip]\n", f"[sip]\nroot_ca={self.ca.cert}\nverify_server_certs=1\nverify_server_cn=1\n", 1)
            with open(rc, "w") as f:
                f.write(text)
        if self.auth:
            with open(os.path.join(d, "linphonerc"), "a") as f:
                f.write("\n[auth_info_0]\nusername=carol\npasswd=" + self.PASSWORDS["carol"] +
                        "\nrealm=127.0.0.1\ndomain=127.0.0.1\n")
        self.lp = self.lpctl.Linphonec(d).start()
        return self.lp

    def close(self):
        dump("notifier", self.notifier)
        for ua in (self.bs, self.lp):
            if ua is not None:
                ua.stop(grace=5)
        for p in self.procs:
            p.kill()


def ua_watchers(bindir, interop, transport):
    u = UAs(bindir, interop, transport, "sipevents-ua-watchers-")
    bob_bs = f"sip:bob@127.0.0.1:{u.port}"  # baresip sends SUBSCRIBE to the contact URI itself
    bob_lp = "sip:bob@127.0.0.1"            # linphonec sends it through its proxy
    try:
        pub = Proc([exe(bindir, "sipevents-publish"), "--from", "sip:bob@127.0.0.1", "--server",
                    f"{transport}:127.0.0.1:{u.port}", "--status", "open", "--contact", "sip:bob@192.0.2.9",
                    "--note", "here", "--expires", "60", "--duration", "600"])
        u.procs.append(pub)
        wait_for(lambda: any(l.startswith("published ") for l in pub.get()), "bob published")
        bs = u.baresip([bob_bs], pubint=0)
        lp = u.linphonec([bob_lp])
        assert bs.wait_registered(10), bs.log()
        assert lp.registered(10), lp.output()
        wait_for(lambda: bs.contacts().get(bob_bs) == "Online", "baresip sees bob Online", 15)
        wait_for(lambda: lp.friend_status(bob_lp) == "Online", "linphonec sees bob Online", 15)
        pub.p.terminate()  # sipevents-publish removes its publication on SIGTERM
        assert pub.wait(15) == 0 and pub.get()[-1] == "removed", pub.get()
        wait_for(lambda: bs.contacts().get(bob_bs) == "Offline", "baresip sees bob Offline", 15)
        wait_for(lambda: lp.friend_status(bob_lp) == "Offline", "linphonec sees bob Offline", 15)
        subs = [l for l in u.notifier.get() if l.startswith("SUBSCRIBE sip:bob@127.0.0.1")]
        assert len(subs) >= 2, u.notifier.get()
        print("OK")
    finally:
        u.close()


def ua_restart(bindir, interop, transport):
    u = UAs(bindir, interop, transport, "sipevents-ua-restart-", db=True)
    bob_bs = f"sip:bob@127.0.0.1:{u.port}"
    try:
        pub = Proc([exe(bindir, "sipevents-publish"), "--from", "sip:bob@127.0.0.1", "--server",
                    f"{transport}:127.0.0.1:{u.port}", "--status", "open", "--contact", "sip:bob@192.0.2.9",
                    "--expires", "600", "--duration", "600"])
        u.procs.append(pub)
        wait_for(lambda: any(l.startswith("published ") for l in pub.get()), "bob published")
        bs = u.baresip([bob_bs], pubint=0)
        assert bs.wait_registered(10), bs.log()
        wait_for(lambda: bs.contacts().get(bob_bs) == "Online", "baresip sees bob Online", 15)
        time.sleep(0.5)  # the last commits of the first life
        n2 = u.restart_notifier()
        # "listening" comes before the restore ends: wait for its summary line.
        wait_for(lambda: any(l.startswith("restored from") for l in n2.get()), "the restore summary", 10)
        assert any(l.startswith("restored from") and " 1 subscriptions;" in l for l in n2.get()), n2.get()
        pub.p.terminate()  # removes the publication with its ETag: 200 from the new process
        assert pub.wait(15) == 0 and pub.get()[-1] == "removed", pub.get()
        wait_for(lambda: bs.contacts().get(bob_bs) == "Offline", "baresip sees bob Offline after the restart", 15)
        assert any(l.startswith("publication sip:bob@127.0.0.1 removed") for l in n2.get()), n2.get()
        assert not any(l.startswith("SUBSCRIBE sip:bob@") for l in n2.get()), n2.get()
        dump("notifier after the restart", n2)
        print("OK")
    finally:
        u.close()


def ua_peers(bindir, interop, transport, algorithms=None):
    u = UAs(bindir, interop, transport, "sipevents-ua-peers-", algorithms)
    # baresip SUBSCRIBEs and sends MESSAGE to the contact URI itself (over TLS too).
    carol_bs = f"sip:carol@127.0.0.1:{u.server_port}" + (";transport=tls" if transport == "tls" else "")
    alice = "sip:alice@127.0.0.1"
    try:
        lp = u.linphonec([alice])
        assert lp.registered(10), lp.output()
        bs = u.baresip([carol_bs], pubint=600)
        assert bs.wait_registered(10), bs.log()
        # linphonec PUBLISHes open once registered; baresip watches carol through us.
        wait_for(lambda: bs.contacts().get(carol_bs) == "Online", "baresip sees carol Online", 15)
        if transport == "tls":
            # baresip 1.0.0 sends its PUBLISH over UDP to the TLS port (it drops the AoR's
            # transport=tls for PUBLISH), where nothing listens: alice is online to
            # linphonec by her TLS registration (RFC 3856 6.6) instead.
            wait_for(lambda: lp.friend_status(alice) == "Online", "linphonec sees alice Online (registered)", 15)
        else:
            bs.cmd("presence_online")
            wait_for(lambda: lp.friend_status(alice) == "Online", "linphonec sees alice Online", 15)
            bs.cmd("presence_offline")
            wait_for(lambda: lp.friend_status(alice) == "Offline", "linphonec sees alice Offline", 15)
        # MESSAGE both ways through the relay.
        k = lp.mark()
        if transport != "tls":  # baresip 1.0.0 sends MESSAGE over UDP too, whatever the contact says
            bs.cmd("message", "hello-carol-from-baresip")
            assert lp.wait_console(r"Message received from [^\n]*alice[^\n]*: hello-carol-from-baresip", 10, k), \
                lp.output()[k:]
        lp.cmd(f"chat {alice} hello-alice-from-linphonec")
        assert bs.wait_log(r'carol[^\n]*: "hello-alice-from-linphonec"', 10), bs.log()[-2000:]
        log = u.notifier.get()
        if transport != "tls":
            assert any(l.startswith("MESSAGE sip:carol@127.0.0.1") for l in log), log
        assert any(l.startswith("MESSAGE sip:alice@127.0.0.1") for l in log), log
        assert any(l.startswith("publication sip:carol@127.0.0.1 created") for l in log), log
        if transport != "tls":
            assert any(l.startswith("publication sip:alice@127.0.0.1 modified") for l in log), log
        if u.tls:
            # Everything of theirs came over TLS: no request from them over UDP or TCP.
            clear = [l for l in log if re.match(r"(REGISTER|SUBSCRIBE|PUBLISH|MESSAGE) sip:\S+ from (udp|tcp):", l)
                     and "sip:bob" not in l]
            assert not clear, clear
            print("baresip and linphonec over TLS: both register; linphonec subscribes, publishes and pages "
                  "over TLS, and its page reaches baresip over baresip's TLS connection; baresip subscribes "
                  "over TLS (its PUBLISH and MESSAGE go over UDP in 1.0.0)")
        if u.auth:
            # Every request of theirs was challenged and then answered: who, with what.
            used = {}
            for l in log:
                m = re.match(r"auth: (\w+) from \S+ is sip:(\w+)@127\.0\.0\.1 \(([\w-]+)\)", l)
                if m:
                    used.setdefault((m.group(2), m.group(1)), set()).add(m.group(3))
            for who in ("alice", "carol"):
                for method in ("REGISTER", "SUBSCRIBE", "PUBLISH", "MESSAGE"):
                    assert (who, method) in used, (who, method, used)
            assert not [l for l in log if "refused with" in l and "no credentials" not in l and "stale" not in l], log
            ua = {"alice": "baresip", "carol": "linphonec"}
            for (who, method), algs in sorted(used.items()):
                print(f"{ua[who]} ({who}) answered {method} challenges ({algorithms}) with {', '.join(sorted(algs))}")
        print("OK")
    finally:
        u.close()


def auth_survey(bindir, interop):
    rows = []
    for algorithms in ("default", "MD5", "MD5,SHA-256", "SHA-256,MD5", "SHA-256", "SHA-512-256,MD5"):
        for kind in ("baresip", "linphonec"):
            u = UAs(bindir, interop, "udp", "sipevents-auth-survey-", algorithms)
            try:
                if kind == "baresip":
                    ok = u.baresip([], pubint=0).wait_registered(6)
                else:
                    ok = u.linphonec([]).registered(6)
                used = [m.group(1) for l in u.notifier.get()
                        for m in [re.match(r"auth: REGISTER from \S+ is \S+ \(([\w-]+)\)", l)] if m]
                rows.append((algorithms, kind, ok, used[:1]))
                if algorithms == "default":
                    assert ok, (kind, u.notifier.get())
            finally:
                u.close()
    for algorithms, kind, ok, used in rows:
        print(f"challenges {algorithms:16} {kind:9} {'registered with ' + used[0] if ok and used else 'FAILED'}")
    print("OK")


def baresip_p2p(bindir, interop, transport="udp"):
    sys.path.insert(0, os.path.join(interop, "baresip"))
    import bsctl
    ua_port, ctrl, wport = free_port(), free_port(), free_port()
    work = tempfile.mkdtemp(prefix="sipevents-baresip-p2p-")
    me = "sip:bob@127.0.0.1"
    bsctl.write_config(work, "alice", ua_port, ctrl, registrar=None, contacts=[me])
    ua = bsctl.Baresip(work, ctrl).start()
    watcher = None
    try:
        target = f"sip:alice@127.0.0.1:{ua_port}"
        watcher = Proc([exe(bindir, "sipevents-watcher"), "--event", "presence", "--from", me,
                        "--server", f"{transport}:127.0.0.1:{ua_port}", target])
        wait_for(lambda: docs(watcher), "baresip's first NOTIFY")
        first = docs(watcher)[0]
        # <basic>?</basic> is not PIDF: reported, and the subscription stays active.
        assert first["state"] == "active" and "presence" not in first, first
        assert "basic" in first.get("parse_error", ""), first
        ua.cmd("presence_online")
        wait_for(lambda: basics(docs(watcher)[-1]) == ["open"], "NOTIFY open", 10)
        ua.cmd("presence_offline")
        wait_for(lambda: basics(docs(watcher)[-1]) == ["closed"], "NOTIFY closed", 10)
        watcher.p.terminate()
        assert watcher.wait(30) == 0, watcher.get()
        assert docs(watcher)[-1]["state"] == "terminated", docs(watcher)[-1]
        print("OK")
    finally:
        dump("watcher", watcher)
        ua.stop(grace=5)
        if watcher is not None:
            watcher.kill()


def main():
    mode, bindir, interop = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "kamailio":
        kamailio(bindir, interop, sys.argv[4], sys.argv[5], len(sys.argv) > 6 and sys.argv[6] == "6")
    elif mode == "baresip-publishes":
        baresip_publishes(bindir, interop, sys.argv[4])
    elif mode == "ua-watchers":
        ua_watchers(bindir, interop, sys.argv[4])
    elif mode == "ua-restart":
        ua_restart(sys.argv[2], sys.argv[3], sys.argv[4])
    elif mode == "ua-peers":
        ua_peers(bindir, interop, sys.argv[4])
    elif mode == "ua-peers-auth":
        ua_peers(bindir, interop, sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else "default")
    elif mode == "auth-survey":
        auth_survey(bindir, interop)
    elif mode == "baresip-p2p":
        baresip_p2p(bindir, interop, sys.argv[4] if len(sys.argv) > 4 else "udp")
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
