#!/usr/bin/env python3
"""The web example in a real browser: two copies of examples/web in headless Chromium,
on JsSIP (or SIP.js), each registering over WSS as its own user to sipevents-notifier.

  browser_test.py BIN_DIR WEB_DIST_DIR OUT_DIR jssip|sipjs

Each page must see the other come online (a registered user is open), and a
sipevents-publish presentity (dave) go from closed to open; a message typed in one
page must arrive in the other, and in a `sipevents-message listen` UA on UDP (carol).
At the end a screenshot of each page goes to OUT_DIR/<lib>-<user>.png, and the test
fails unless the page shows both buddies online and the message (read from the DOM
the screenshot shows). Chromium is driven over its DevTools protocol; the test CA's
server certificate is trusted by its public key hash alone.
"""
import base64
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, os.path.join(HERE, "..", "transport"))
from procs import Proc, free_port, wait_for  # noqa: E402
import certs  # noqa: E402
from wsclient import WsClient  # noqa: E402

BIN, DIST, OUT, LIB = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def spki_hash(cert):
    pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", cert], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, capture_output=True,
                         check=True).stdout
    import hashlib
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class Page:
    """One browser tab over the DevTools protocol."""

    def __init__(self, devtools_port, url):
        target = urllib.parse.quote(url, safe="")
        req = urllib.request.Request(f"http://127.0.0.1:{devtools_port}/json/new?{target}", method="PUT")
        info = json.load(urllib.request.urlopen(req, timeout=10))
        path = re.sub(r"^ws://[^/]+", "", info["webSocketDebuggerUrl"])
        self.ws = WsClient("127.0.0.1", devtools_port, protocol=None, timeout=30, path=path)
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        return r.get("result", {}).get("value")

    def state(self):
        return self.eval("JSON.stringify(window.sipState || null)")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


def main(work):
    browser = chromium()
    if not browser:
        print("chromium not installed: skipped")
        sys.exit(77)
    os.makedirs(OUT, exist_ok=True)
    ca = certs.CA(work)
    cert, key = ca.leaf("server", "example.com", ["DNS:example.com", "IP:127.0.0.1"])
    udp, wss = free_port(), free_port()
    capture = os.environ.get("SIPEVENTS_CAPTURE_DIR", "")
    if capture:  # the tshark fixture reads inside our WSS with the key log
        os.environ["SSLKEYLOGFILE"] = os.path.join(capture, "keys.log")
        with open(os.path.join(capture, "decode-as"), "a") as f:
            f.write(f"tcp.port=={wss},tls\ntls.port=={wss},http\n")
    n = Proc([os.path.join(BIN, "sipevents-notifier"), "--bind", f"udp:127.0.0.1:{udp}",
              "--bind", f"wss:127.0.0.1:{wss}", "--domain", "example.com", "--cert", cert, "--key", key])
    wait_for(lambda: any("sipevents-notifier:" in l for l in n.get()), "the notifier to start")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=DIST))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    web = httpd.server_address[1]
    carol = Proc([os.path.join(BIN, "sipevents-message"), "listen", "--bind", "udp:127.0.0.1:0", "--count", "1",
                  "--register", "sip:carol@example.com", "--registrar", f"udp:127.0.0.1:{udp}"])
    wait_for(lambda: any("registered sip:carol@example.com" in l for l in carol.get()), "carol to register")
    profile = os.path.join(work, "profile")
    chrome = subprocess.Popen([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--remote-debugging-port=0", "--remote-allow-origins=*", f"--user-data-dir={profile}",
                               f"--ignore-certificate-errors-spki-list={spki_hash(cert)}",
                               "--window-size=900,600", "about:blank"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pub = None
    try:
        port = None
        end = time.time() + 30
        while port is None and time.time() < end:
            line = chrome.stderr.readline()
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
        assert port, "chromium did not start its DevTools server"
        threading.Thread(target=lambda: [None for _ in chrome.stderr], daemon=True).start()
        server = f"wss://127.0.0.1:{wss}"

        def url(user, buddies):
            return f"http://127.0.0.1:{web}/index.html?lib={LIB}&user={user}&buddies={buddies}&server={server}"

        alice = Page(port, url("alice", "bob,dave,carol"))
        bob = Page(port, url("bob", "alice,dave"))

        def states():
            return [json.loads(p.state() or "null") for p in (alice, bob)]

        def both(pred):
            s = states()
            return all(x and pred(x) for x in s)

        wait_for(lambda: both(lambda s: s["registered"]), "both pages to register", 30)
        wait_for(lambda: states()[0]["buddies"].get("bob") == "open" and states()[1]["buddies"].get("alice") == "open",
                 "each page to see the other online", 30)
        assert all(s["buddies"]["dave"] == "closed" for s in states()), states()
        pub = Proc([os.path.join(BIN, "sipevents-publish"), "--from", "sip:dave@example.com",
                    "--server", f"udp:127.0.0.1:{udp}", "--status", "open", "--note", "at the desk", "--duration", "60"])
        wait_for(lambda: both(lambda s: s["buddies"]["dave"] == "open"), "both pages to see dave open", 30)
        alice.eval("sendChat('bob', 'hello bob, from the browser')")
        wait_for(lambda: any(c["text"] == "hello bob, from the browser" for c in states()[1]["chat"]),
                 "bob's page to show alice's message", 20)
        alice.eval("sendChat('carol', 'hello carol on UDP')")
        assert carol.wait(20) == 0, carol.get()
        assert any("hello carol on UDP" in l for l in carol.get()), carol.get()
        bob.eval("sendChat('alice', 'hi alice')")
        wait_for(lambda: any(c["text"] == "hi alice" for c in states()[0]["chat"]), "alice's page to show bob's", 20)
        # What is shown: read back from the rendered DOM, then photographed.
        shown = bob.eval("document.getElementById('buddy-alice').className + '|' + "
                         "document.getElementById('buddy-dave').className + '|' + "
                         "document.getElementById('chat').innerText")
        assert shown.startswith("open|open|") and "hello bob, from the browser" in shown, shown
        for page, user in ((alice, "alice"), (bob, "bob")):
            path = os.path.join(OUT, f"{LIB}-{user}.png")
            page.screenshot(path)
            assert os.path.getsize(path) > 5000, path
            print(f"screenshot: {path}")
        errors = [e for s in states() for e in s["errors"]]
        assert not errors, errors
        print(f"{LIB}: two browser pages over WSS: registered, each other online, dave closed -> open, "
              f"messages both ways and to a UDP UA")
    finally:
        if pub:
            pub.kill()
        chrome.terminate()
        try:
            chrome.wait(timeout=10)
        except subprocess.TimeoutExpired:
            chrome.kill()
        httpd.shutdown()
        n.kill()
        carol.kill()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        main(work)
    print("ok")
