#!/usr/bin/env python3
"""sipevents-notifier --metrics: the Prometheus text on GET /metrics.

  metrics_loopback.py BINDIR

A notifier with --metrics tcp:127.0.0.1:PORT. A raw UDP endpoint REGISTERs alice,
subscribes to her presence (the NOTIFY answered 200) and sends one malformed request.
curl fetches /metrics; Debian's python3-prometheus-client parses it (it refuses text
that is not the exposition format); the counters say what happened: REGISTER and
SUBSCRIBE received, 2xx sent, one NOTIFY sent and answered, one binding, one presence
subscription, one bad message. Another path gets 404. Then 100 refreshes with the
NOTIFY's SIP-ETag in Suppress-If-Match (RFC 5839): 100 x 204, no NOTIFY, counted.

A second notifier with --users and --db: a UA registering with a wrong password is
refused, one with the right password is challenged then accepted, and the commit of
its binding shows in the store's counters and latency histogram.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
from cluster_env import Endpoint, Proc, free_port, header, wait_for  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402


def scrape(port, path="/metrics"):
    r = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", f"http://127.0.0.1:{port}{path}"], capture_output=True,
                       text=True, timeout=10)
    body, _, code = r.stdout.rpartition("\n")
    return int(code), body


def samples(text):
    """The parsed samples of `text`, and a lookup: get(name, label=value...)."""
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out, lambda name, **labels: out.get((name, tuple(sorted(labels.items()))))


def main():
    bindir = sys.argv[1]
    sip, mport = free_port(), free_port()
    n = Proc([os.path.join(bindir, "sipevents-notifier"), "--bind", f"udp:127.0.0.1:{sip}", "--domain", "example.com",
              "--metrics", f"tcp:127.0.0.1:{mport}"])
    try:
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in n.get()), "notifier")
        assert any(f"metrics on http://127.0.0.1:{mport}/metrics" in l for l in n.get()), n.get()
        ep = Endpoint()
        srv = ("127.0.0.1", sip)
        r = ep.register(srv, "alice", 600, "reg-1")
        s = ep.subscribe(srv, "alice", "presence", "sub-1")
        assert all(x.startswith("SIP/2.0 200") for x in ep.wait_responses([r, s])), ep.responses
        ep.s.sendto(b"NOTAREQUEST sip:x SIP/2.0\r\n\r\n", srv)
        wait_for(lambda: ep.pump(0.1) or ep.notifies.get("sub-1"), "the NOTIFY")
        ep.pump(0.3)
        code, text = scrape(mport)
        assert code == 200, (code, text)
        m, get = samples(text)
        assert get("sipevents_requests_received_total", method="REGISTER") == 1, text
        assert get("sipevents_requests_received_total", method="SUBSCRIBE") == 1, text
        assert get("sipevents_requests_sent_total", method="NOTIFY") == 1, text
        assert get("sipevents_responses_sent_total", **{"class": "2xx"}) == 2, text
        assert get("sipevents_responses_received_total", **{"class": "2xx"}) == 1, text
        assert get("sipevents_notifies_sent_total") == 1 and get("sipevents_notifies_answered_total") == 1, text
        assert get("sipevents_notifies_failed_total") == 0, text
        assert get("sipevents_bindings") == 1, text
        assert get("sipevents_subscriptions", package="presence") == 1, text
        assert get("sipevents_subscriptions", package="dialog") == 0, text
        assert get("sipevents_bad_messages_total") == 1, text
        print("GET /metrics: " + ", ".join(f"{k[0]}{dict(k[1]) or ''}={v:g}" for k, v in sorted(m.items()) if v))
        code, _ = scrape(mport, "/other")
        assert code == 404, code
        # RFC 5839 on the wire: 100 refreshes naming the SIP-ETag of the NOTIFY held
        # get 100 204s and no NOTIFY; the counter says so.
        first = ep.notifies["sub-1"][min(ep.notifies["sub-1"])]
        tag = header(first, "SIP-ETag")
        to = header(ep.responses[s], "To")
        assert tag and ";tag=" in to, (tag, to)
        before = sum(len(v) for v in ep.notifies.values())
        branches = []
        for cseq in range(2, 102):
            branches.append(ep.send(srv, [
                "SUBSCRIBE sip:alice@example.com SIP/2.0", "VIA", "Max-Forwards: 70",
                "From: <sip:w@example.com>;tag=t-sub-1", f"To: {to}", "Call-ID: sub-1", f"CSeq: {cseq} SUBSCRIBE",
                f"Contact: <sip:w@127.0.0.1:{ep.port}>", "Event: presence", "Expires: 600",
                f"Suppress-If-Match: {tag}"]))
            ep.wait_responses(branches[-1:])
        answers = [ep.responses[b].split("\r\n")[0] for b in branches]
        assert answers == ["SIP/2.0 204 No Notification"] * 100, set(answers)
        ep.pump(0.5)
        assert sum(len(v) for v in ep.notifies.values()) == before, "a NOTIFY came after a 204"
        m, get = samples(scrape(mport)[1])
        assert get("sipevents_notifies_suppressed_total") == 100, m
        # Nothing paced here: RFC 6446 counters are served, at zero.
        assert get("sipevents_notify_changes_merged_total") == 0, m
        assert get("sipevents_notifies_forced_total") == 0, m
        print(f"RFC 5839: 100 refreshes with Suppress-If-Match: 100 x 204, no NOTIFY "
              f"({100 * len(first.encode())} bytes of NOTIFY not sent)")
    finally:
        n.kill()
    work = tempfile.mkdtemp(prefix="metrics-")
    users = os.path.join(work, "users")
    with open(users, "w") as f:
        f.write("alice:secret\n")
    sip, mport = free_port(), free_port()
    n = Proc([os.path.join(bindir, "sipevents-notifier"), "--bind", f"udp:127.0.0.1:{sip}", "--domain", "example.com",
              "--users", users, "--db", os.path.join(work, "state.db"), "--metrics", f"tcp:127.0.0.1:{mport}"])
    procs = [n]
    try:
        wait_for(lambda: any(l.startswith("sipevents-notifier:") for l in n.get()), "notifier")
        ua = lambda pw: [os.path.join(bindir, "sipevents-message"), "listen", "--bind", f"udp:127.0.0.1:{free_port()}",
                         "--register", "sip:alice@example.com", "--registrar", f"udp:127.0.0.1:{sip}", "--user", "alice",
                         "--password", pw]
        bad = subprocess.run(ua("wrong"), capture_output=True, text=True, timeout=30)
        assert bad.returncode == 1, (bad.returncode, bad.stderr)
        good = Proc(ua("secret"))
        procs.append(good)
        wait_for(lambda: any(l.startswith("registered sip:alice@example.com") and l.endswith(": 200") for l in good.get()),
                 "the registration")
        code, text = scrape(mport)
        assert code == 200, (code, text)
        m, get = samples(text)
        assert get("sipevents_auth_total", outcome="refused") == 1, text
        assert get("sipevents_auth_total", outcome="challenged") == 2, text
        assert get("sipevents_auth_total", outcome="accepted") == 1, text
        assert get("sipevents_store_records_total") >= 1, text
        assert get("sipevents_store_commit_failures_total") == 0, text
        count = get("sipevents_store_commit_seconds_count")
        assert count >= 1 and get("sipevents_store_commit_seconds_bucket", le="+Inf") == count, text
        assert 0 < get("sipevents_store_commit_seconds_sum") < 10 * count, text
        print(f"--users --db: auth refused 1, challenged 2, accepted 1; {count:g} store commits, "
              f"{get('sipevents_store_commit_seconds_sum') / count * 1000:.2f} ms mean")
        print("OK")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
