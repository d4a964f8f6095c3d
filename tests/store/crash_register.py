#!/usr/bin/env python3
"""No acknowledged binding is lost when the notifier is killed mid-load.

  crash_register.py BINDIR [RATE] [SECONDS] [--db-sync full|normal]

SIPp registers a fresh AoR per call at RATE per second against sipevents-notifier
--db; after 40 % of the run the notifier gets SIGKILL and is started again on the same
file and port (SIPp's retransmissions reach the new one). When SIPp is done, every
AoR whose REGISTER SIPp saw answered 200 must be in `--dump`. Prints
`acknowledged N, found after restart M, lost K` and exits 1 unless K is 0.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sync = "full"
    if "--db-sync" in sys.argv:
        sync = sys.argv[sys.argv.index("--db-sync") + 1]
        args.remove(sync)
    bindir = args[0]
    rate = int(args[1]) if len(args) > 1 else 500
    seconds = float(args[2]) if len(args) > 2 else 8
    work = tempfile.mkdtemp(prefix="sipevents-crash-")
    db = os.path.join(work, "state.db")
    port = free_port()
    argv = [os.path.join(bindir, "sipevents-notifier"), "--bind", f"udp:127.0.0.1:{port}", "--domain", "127.0.0.1",
            "--db", db, "--db-sync", sync, "--quiet"]
    procs = []

    def start():
        p = Proc(argv)
        procs.append(p)
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in p.get()), "notifier")
        return p

    try:
        first = start()
        trace = os.path.join(work, "sipp-messages.log")
        calls = int(rate * seconds)
        sipp = subprocess.Popen(
            ["sipp", "-sf", os.path.join(HERE, "..", "load", "register_uac.xml"), "-s", "127.0.0.1",
             f"127.0.0.1:{port}", "-r", str(rate), "-m", str(calls), "-l", str(rate * 4), "-timeout",
             str(int(seconds) + 30), "-trace_msg", "-message_file", trace, "-nostdin", "-buff_size", "8388608"],
            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(seconds * 0.4)
        first.p.send_signal(signal.SIGKILL)
        first.p.wait(5)
        killed_at = time.time()
        second = start()
        restart_ms = (time.time() - killed_at) * 1000
        sipp.wait(timeout=seconds + 60)
        second.kill()
        text = open(trace, errors="replace").read()
        acked = set()
        for block in re.split(r"\S+ message received \[\d+\] bytes :", text)[1:]:
            body = block.lstrip()
            if body.startswith("SIP/2.0 200"):
                m = re.search(r"^To: *<(sip:u\d+@[^>]+)>", body, re.M)
                if m:
                    acked.add(m.group(1))
        out = subprocess.run([argv[0], "--db", db, "--dump"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        stored = set(re.findall(r'"aor":"([^"]+)"', out.stdout))
        lost = sorted(acked - stored)
        restored = [l for l in second.get() if l.startswith("restored from")]
        print(f"{calls} REGISTERs at {rate}/s, SIGKILL after {seconds * 0.4:.1f} s, restarted in {restart_ms:.0f} ms "
              f"(db-sync {sync})")
        print(restored[0] if restored else "no restore line")
        print(f"acknowledged {len(acked)}, found after restart {len(acked) - len(lost)}, lost {len(lost)}")
        assert len(acked) > calls // 2, "SIPp saw too few 200s for the check to mean anything"
        if lost:
            print("lost:", lost[:20])
            sys.exit(1)
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
