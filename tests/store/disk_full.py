#!/usr/bin/env python3
"""The store's disk fills up under a running notifier, then frees again.

  disk_full.py BINDIR

The notifier's --db lives on a small tmpfs of its own (mounting needs root; without
it the test is skipped with exit 77). REGISTERs are answered 200 while the disk has
room; once a filler file takes the rest, they get 500 with Retry-After (never a 200
for a binding that was not stored), the failure is logged at most about once a
second, and once the filler is gone the notifier stores and answers 200 again by
itself. Every AoR that got a 200 is in --dump afterwards.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from procs import Proc, free_port, wait_for  # noqa: E402


def register(sock, srv, n, pad):
    branch = f"z9hG4bK-full-{n}-{time.time_ns()}"
    aor = f"sip:u{n}@example.com"
    text = (f"REGISTER sip:example.com SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{sock.getsockname()[1]};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <{aor}>;tag=t{n}\r\nTo: <{aor}>\r\nCall-ID: full-{n}@127.0.0.1\r\n"
            f"CSeq: 1 REGISTER\r\nContact: <sip:u{n}@127.0.0.1:5999>;pad={pad}\r\nExpires: 3600\r\n"
            f"Content-Length: 0\r\n\r\n")
    sock.sendto(text.encode(), srv)
    end = time.time() + 5
    while time.time() < end:
        try:
            data = sock.recv(65535).decode(errors="replace")
        except socket.timeout:
            continue
        if branch in data and not data.startswith("SIP/2.0 1"):
            return aor, data
    raise AssertionError("no answer to REGISTER " + aor)


def main():
    if os.geteuid() != 0:
        print("skipped: mounting a tmpfs needs root")
        sys.exit(77)
    bindir = sys.argv[1]
    work = tempfile.mkdtemp(prefix="sipevents-full-")
    mnt = os.path.join(work, "disk")
    os.mkdir(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], check=True)
    notifier = None
    try:
        port = free_port()
        db = os.path.join(mnt, "state.db")
        notifier = Proc([os.path.join(bindir, "sipevents-notifier"), "--bind", f"udp:127.0.0.1:{port}",
                         "--domain", "example.com", "--db", db])
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in notifier.get()), "notifier")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.2)
        srv = ("127.0.0.1", port)
        pad = "x" * 600
        ok = []
        n = 0
        for _ in range(5):
            n += 1
            aor, r = register(sock, srv, n, pad)
            assert r.startswith("SIP/2.0 200"), r
            ok.append(aor)
        # Fill the disk.
        with open(os.path.join(mnt, "filler"), "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        failed_at = time.time()
        refused = []
        for _ in range(40):
            n += 1
            aor, r = register(sock, srv, n, pad)
            if r.startswith("SIP/2.0 200"):
                assert not refused, ("a 200 after a refusal while the disk is full", r)
                ok.append(aor)
            else:
                assert r.startswith("SIP/2.0 500"), r
                assert re.search(r"^Retry-After: \d+", r, re.M), r
                refused.append(aor)
            time.sleep(0.05)
        assert len(refused) >= 10, (len(ok), len(refused))
        logged = [l for l in notifier.get() if l.startswith("store:") and "not stored" in l]
        elapsed = time.time() - failed_at
        assert 1 <= len(logged) <= elapsed + 2, (len(logged), elapsed, logged)
        # Free the disk: within a retry interval or two the notifier stores again.
        os.remove(os.path.join(mnt, "filler"))
        deadline = time.time() + 10
        while True:
            n += 1
            aor, r = register(sock, srv, n, pad)
            if r.startswith("SIP/2.0 200"):
                ok.append(aor)
                break
            assert time.time() < deadline, r
            time.sleep(0.2)
        wait_for(lambda: any(l.startswith("store: writable again") for l in notifier.get()), "recovery logged")
        notifier.kill()
        out = subprocess.run([os.path.join(bindir, "sipevents-notifier"), "--db", db, "--dump"], capture_output=True,
                             text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        stored = set(re.findall(r'"aor":"([^"]+)"', out.stdout))
        missing = [a for a in ok if a not in stored]
        assert not missing, missing
        print(f"{len(ok)} REGISTERs answered 200, all stored; {len(refused)} answered 500 while the disk was full; "
              f"{len(logged)} log lines in {elapsed:.1f} s")
        print("\n".join("[notifier] " + l for l in notifier.get() if l.startswith("store:")))
        print("OK")
    finally:
        if notifier:
            notifier.kill()
        subprocess.run(["umount", mnt])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
