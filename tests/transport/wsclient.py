"""A small SIP-over-WebSocket client for the tests (RFC 6455 client side, RFC 7118),
written against the RFCs and independent of the codec under test. It answers pings
and counts them, and can misbehave on purpose (unmasked frames, oversize frames, a
message cut off by a close)."""
import base64
import hashlib
import os
import socket
import ssl
import struct
import uuid

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Closed(Exception):
    def __init__(self, code, reason):
        super().__init__(f"closed {code} {reason}")
        self.code = code
        self.reason = reason


class WsClient:
    def __init__(self, host, port, ca=None, protocol="sip", timeout=10, path="/"):
        raw = socket.create_connection((host, port), timeout=timeout)
        if ca:
            ctx = ssl.create_default_context(cafile=ca)
            ctx.check_hostname = False  # the test CA's leaf names example.com; we dial 127.0.0.1
            self.sock = ctx.wrap_socket(raw)
        else:
            self.sock = raw
        self.sock.settimeout(timeout)
        self.buf = b""
        self.pings = 0
        self.status = None
        self.host = host
        self.port = port
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}\r\n")
        if protocol:
            req += f"Sec-WebSocket-Protocol: {protocol}\r\n"
        self.sock.sendall((req + "\r\n").encode())
        head = self._read_until(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            assert self.headers.get("sec-websocket-accept") == want, self.headers
            if protocol:
                assert self.headers.get("sec-websocket-protocol") == protocol, self.headers
        # The domain of the connection's "address": RFC 7118's .invalid host.
        self.via_host = uuid.uuid4().hex[:12] + ".invalid"

    def _read_until(self, marker):
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed(1006, "eof during handshake")
            self.buf += chunk
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed(1006, "eof")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self, opcode, payload, fin=True, mask=True):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        m = 0x80 if mask else 0
        if n < 126:
            head = struct.pack("!BB", b0, m | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, m | 126, n)
        else:
            head = struct.pack("!BBQ", b0, m | 127, n)
        if not mask:
            return head + payload
        key = os.urandom(4)
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, text):
        self.sock.sendall(self.frame(1, text.encode()))

    def next_frame(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        assert not (b1 & 0x80), "a server frame was masked"
        return b0 & 0x0F, bool(b0 & 0x80), self._read(n)

    def recv(self):
        """The next SIP message (text); pings are answered, a close raises Closed."""
        msg = b""
        while True:
            op, fin, payload = self.next_frame()
            if op == 9:
                self.pings += 1
                self.sock.sendall(self.frame(10, payload))
                continue
            if op == 10:
                continue
            if op == 8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                raise Closed(code, payload[2:].decode(errors="replace"))
            msg += payload
            if fin:
                return msg.decode()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def header(msg, name):
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def all_headers(msg, name):
    out = []
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            out.append(v.strip())
    return out


def status(msg):
    first = msg.split("\r\n", 1)[0]
    return int(first.split()[1]) if first.startswith("SIP/2.0") else 0


def answer(request, code=200, reason="OK", to_tag="wsx"):
    """A response to `request` (Via, From, To with a tag, Call-ID, CSeq copied)."""
    lines = [f"SIP/2.0 {code} {reason}"]
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for v in all_headers(request, name):
            if name == "To" and ";tag=" not in v:
                v += f";tag={to_tag}"
            lines.append(f"{name}: {v}")
    lines.append("Content-Length: 0")
    return "\r\n".join(lines) + "\r\n\r\n"
