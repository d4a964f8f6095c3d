#!/usr/bin/env python3
"""Capture loopback SIP while the multi-process and interop tests run, then let
Wireshark's SIP and XML dissectors judge every packet sipevents sent.

  tshark_capture.py start DIR     start tshark on lo (UDP and TCP) into DIR/lo.pcapng
  tshark_capture.py check DIR     stop it, then fail if a packet we sent is malformed
                                  or carries an expert error

Ours are the SIP messages whose User-Agent (requests) or Server (responses) names
sipevents: the runtime adds them unless the application set its own. Before judging
the capture, `check` runs the same filter over a few synthetic packets (one good,
two broken, all "ours") and fails unless exactly the broken ones are caught, so a
dissector or filter that stopped seeing problems cannot pass silently.
"""
import os
import signal
import struct
import subprocess
import sys
import time

OURS = 'sip.User-Agent contains "sipevents" || sip.Server contains "sipevents"'
BAD = "_ws.malformed || _ws.expert.severity == 8388608"  # 0x00800000: PI_ERROR
FIELDS = ["frame.number", "ip.src", "ipv6.src", "udp.srcport", "tcp.srcport", "ip.dst", "ipv6.dst", "udp.dstport",
          "tcp.dstport", "sip.Method", "sip.Status-Code", "sip.CSeq", "_ws.expert.message"]


def tshark(*args):
    return subprocess.run(["tshark", *args], capture_output=True, text=True, check=False)


def decoding(d):
    """tshark options that open what the TLS and WebSocket tests sent: their key log
    (SSLKEYLOGFILE) and the ports they noted as TLS or HTTP (WebSocket upgrades)."""
    if not d:
        return []
    opts = []
    keys = os.path.join(d, "keys.log")
    if os.path.exists(keys):
        opts += ["-o", "tls.keylog_file:" + keys]
    ports = os.path.join(d, "decode-as")
    if os.path.exists(ports):
        for line in sorted(set(open(ports).read().split())):
            opts += ["-d", line]
    return opts


def judge(pcap, d=None):
    """(packets of ours, lines describing bad packets of ours)."""
    ours = tshark(*decoding(d), "-r", pcap, "-Y", OURS, "-T", "fields", "-e", "frame.number")
    if ours.returncode != 0:
        raise RuntimeError("tshark failed: " + ours.stderr)
    n = len([l for l in ours.stdout.splitlines() if l.strip()])
    args = [*decoding(d), "-r", pcap, "-Y", f"({OURS}) && ({BAD})", "-T", "fields", "-E", "separator=|"]
    for f in FIELDS:
        args += ["-e", f]
    bad = [l for l in tshark(*args).stdout.splitlines() if l.strip()]
    return n, bad


def synthetic(path):
    """A pcap of UDP datagrams on loopback: one good MESSAGE, two broken ones."""
    good = (b"MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK1\r\n"
            b"Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1\r\n"
            b"CSeq: 1 MESSAGE\r\nUser-Agent: sipevents/selftest\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 5\r\n\r\nhello")
    msgs = [good,
            good.replace(b"127.0.0.1:40000", b"127.0.0.1:99999"),    # Via sent-by port out of range
            good.replace(b"\r\n\r\nhello", b"\r\nX-Cut: 1")]          # header block never ends
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i, payload in enumerate(msgs):
        udp = struct.pack("!HHHH", 40000, 40001, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, b"\x7f\0\0\x01", b"\x7f\0\0\x01")
        frame = b"\0" * 12 + b"\x08\x00" + ip + udp
        out.append(struct.pack("<IIII", 1, i, len(frame), len(frame)) + frame)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def start(d):
    os.makedirs(d, exist_ok=True)
    for stale in ("keys.log", "decode-as"):
        if os.path.exists(os.path.join(d, stale)):
            os.remove(os.path.join(d, stale))
    pcap = os.path.join(d, "lo.pcapng")
    log = open(os.path.join(d, "tshark.log"), "w")
    # tcp and udp only: what SIP runs on; the ring of snaplen keeps whole messages.
    p = subprocess.Popen(["tshark", "-i", "lo", "-q", "-f", "udp or tcp", "-w", pcap],
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(d, "tshark.pid"), "w") as f:
        f.write(str(p.pid))
    end = time.time() + 15
    while time.time() < end:
        if p.poll() is not None:
            sys.exit("tshark exited: " + open(os.path.join(d, "tshark.log")).read())
        if "Capturing on" in open(os.path.join(d, "tshark.log")).read():
            print(f"capturing on lo into {pcap} (pid {p.pid})")
            return
        time.sleep(0.1)
    sys.exit("tshark did not start capturing")


def check(d):
    pcap = os.path.join(d, "lo.pcapng")
    try:
        pid = int(open(os.path.join(d, "tshark.pid")).read())
        os.kill(pid, signal.SIGINT)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)
    except (OSError, ValueError):
        pass  # gone: it flushed and exited
    probe = os.path.join(d, "selftest.pcap")
    synthetic(probe)
    n, bad = judge(probe)
    frames = sorted(int(l.split("|")[0]) for l in bad)
    if n != 3 or frames != [2, 3]:
        sys.exit(f"self-test: expected frames 2 and 3 of 3 flagged, got {frames} of {n}: {bad}")
    n, bad = judge(pcap, d)
    inside = tshark(*decoding(d), "-r", pcap, "-Y", f"({OURS}) && (tls || websocket)", "-T", "fields",
                    "-e", "frame.number")
    secured = len([l for l in inside.stdout.splitlines() if l.strip()])
    print(f"{n} SIP packets sent by sipevents in {pcap} ({secured} read inside TLS or WebSocket); "
          f"{len(bad)} malformed or with an expert error")
    for l in bad:
        print("  " + l)
    if n == 0:
        sys.exit("no packet of ours was captured: the capture did not see the tests")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "check"):
        sys.exit("usage: tshark_capture.py start|check DIR")
    (start if sys.argv[1] == "start" else check)(sys.argv[2])
