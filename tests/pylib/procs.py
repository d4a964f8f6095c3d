"""Helpers the multi-process tests share: free loopback ports and children whose
merged output is read by a thread, so a test can wait on lines without deadlock."""
import os
import random
import socket
import subprocess
import threading
import time


_given = set()


def free_port(v6=False):
    """A port free for both UDP and TCP on the loopback address. It is drawn below
    the kernel's ephemeral range (32768 and up by default), so a process binding port
    0 meanwhile, such as one started by this same test, cannot be handed it; and it
    is never handed out twice by one test."""
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    host = "::1" if v6 else "127.0.0.1"
    try:
        low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.Random(os.getpid() * 7919 + time.time_ns())
    for _ in range(200):
        port = rng.randrange(20000, max(low, 20001))
        if port in _given:
            continue
        with socket.socket(fam, socket.SOCK_DGRAM) as u, socket.socket(fam, socket.SOCK_STREAM) as t:
            try:
                u.bind((host, port))
                t.bind((host, port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError("no free port")


class Proc:
    def __init__(self, argv, stdin=None):
        self.lines = []
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))

    def get(self):
        return list(self.lines)

    def wait(self, timeout):
        rc = self.p.wait(timeout=timeout)
        self.t.join(timeout=2)
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()


def wait_for(pred, what, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)
