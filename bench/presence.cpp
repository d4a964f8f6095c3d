// bench/presence: one presentity with many watchers, and the ESC's PUBLISH rate.
//
//   presence [--watchers N] [--rounds K] [--publications P] [--udp PATH/sipevents-notifier]
//            [--event dialog]
//
// Null transport (always): the ESC, the presence package and the notifier in one
// thread, no sockets. N watchers (default 10,000) subscribe to sip:alice@example.com.
// Each round parses a PUBLISH that flips alice between open and closed (SIP-If-Match),
// lets the ESC take it, composes the new document and builds and serializes one
// NOTIFY per watcher:
//   publish->last NOTIFY   time from the PUBLISH bytes to the last NOTIFY serialized
//   bytes/watcher          heap held per watcher (subscription, dialog, timers)
// Then P (default 100,000) publications on P presentities, each taken from its bytes:
//   initial / refresh / modify / remove   ns per PUBLISH and PUBLISHes/s, with parse,
//                                         composition and the serialized 2xx
//   bytes/publication      heap held per live publication (ESC + composed document)
//
// --udp runs sipevents-notifier --quiet on a loopback port and plays the N watchers
// and the publisher over one UDP socket (every NOTIFY answered with 200):
//   publish->last NOTIFY   from sending the PUBLISH to receiving the N-th NOTIFY that
//                          carries the new state; NOTIFY retransmissions are counted
//   server RSS             VmRSS / VmHWM of the notifier
// With --event dialog the --udp run is a busy lamp field instead (RFC 4235): N phones
// watch alice's line, and each round PUBLISHes her dialog state, an incoming call
// ringing or none, alternately; only the --udp run is made.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "counter_ids.hpp"
#include "heap_held.hpp"
#include "sipevents/events/publication_server.hpp"
#include "sipevents/events/subscription_server.hpp"
#include "sipevents/presence/presence_package.hpp"

using bench::counter_ids;
using bench::g_live;

namespace sm = sipevents::message;
namespace ev = sipevents::events;
namespace pr = sipevents::presence;
using clk = std::chrono::steady_clock;

namespace {

double ns_since(clk::time_point t0) { return std::chrono::duration<double, std::nano>(clk::now() - t0).count(); }

/// "presence", or "dialog" for a busy lamp field.
std::string g_event = "presence";

std::string subscribe_text(std::size_t i, const std::string& host) {
  std::string n = std::to_string(i);
  return "SUBSCRIBE sip:alice@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP " + host + ";branch=z9hG4bKs" + n + ";rport\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:alice@example.com>\r\n"
         "From: <sip:w" + n + "@example.com>;tag=f" + n + "\r\n"
         "Call-ID: w" + n + "@bench\r\n"
         "CSeq: 1 SUBSCRIBE\r\n"
         "Contact: <sip:w" + n + "@" + host + ">\r\n"
         "Event: " + g_event + "\r\n"
         "Expires: 3600\r\n"
         "Accept: " + (g_event == "dialog" ? "application/dialog-info+xml" : "application/pidf+xml") + "\r\n"
         "Content-Length: 0\r\n\r\n";
}

std::string pidf(const std::string& entity, bool open) {
  pr::presence_document d;
  d.entity = entity;
  pr::tuple t;
  t.id = "phone";
  t.basic = open ? pr::basic_status::open : pr::basic_status::closed;
  t.contact = pr::contact_address{"sip:alice@192.0.2.7", {}};
  t.notes.push_back({open ? "at my desk" : "gone home", "en"});
  d.tuples.push_back(t);
  return pr::encode(d);
}

std::string publish_text(const std::string& aor, std::size_t n, const std::string& host, const std::string& if_match,
                         const std::string* body, std::uint32_t expires) {
  std::string s = "PUBLISH " + aor + " SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP " + host + ";branch=z9hG4bKp" + std::to_string(n) + ";rport\r\n"
                  "Max-Forwards: 70\r\n"
                  "To: <" + aor + ">\r\n"
                  "From: <" + aor + ">;tag=p1\r\n"
                  "Call-ID: pub-" + aor + "\r\n"
                  "CSeq: " + std::to_string(n) + " PUBLISH\r\n"
                  "Event: " + g_event + "\r\n"
                  "Expires: " + std::to_string(expires) + "\r\n";
  if (!if_match.empty()) s += "SIP-If-Match: " + if_match + "\r\n";
  if (body) {
    s += std::string("Content-Type: ") + (g_event == "dialog" ? "application/dialog-info+xml" : "application/pidf+xml") +
         "\r\nContent-Length: " + std::to_string(body->size()) + "\r\n\r\n";
    s += *body;
  } else {
    s += "Content-Length: 0\r\n\r\n";
  }
  return s;
}

/// alice's line: an incoming call from bob ringing, or no call.
std::string dialog_doc(bool ringing) {
  std::string d = "<?xml version=\"1.0\"?>\n<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"0\" "
                  "state=\"full\" entity=\"sip:alice@example.com\">";
  if (ringing)
    d += "<dialog id=\"c1\" call-id=\"c1\" local-tag=\"l\" remote-tag=\"r\" direction=\"recipient\"><state>early"
         "</state><remote><identity>sip:bob@example.com</identity></remote></dialog>";
  return d + "</dialog-info>";
}


// ---- null transport ------------------------------------------------------------------------

int run_null(std::size_t watchers, std::size_t rounds, std::size_t publications) {
  counter_ids ids;
  ev::publication_config pcfg;
  pcfg.max_publications = std::max<std::size_t>(pcfg.max_publications, publications + 16);
  ev::publication_server esc(ids.source(), pcfg);
  pr::presence_package pkg(&esc);
  esc.add_package(pkg, pkg.config().publications);
  ev::server_config scfg;
  scfg.contact = "sip:presence@192.0.2.2:5060";
  scfg.max_per_resource = std::max<std::size_t>(scfg.max_per_resource, watchers);
  scfg.max_subscriptions = std::max<std::size_t>(scfg.max_subscriptions, watchers);
  ev::subscription_server srv(ids.source(), scfg);
  srv.add_package(pkg);

  sm::message ok;
  if (sm::parse_datagram("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
                         "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n",
                         ok))
    return 1;
  auto now = clk::now();
  std::vector<std::uint64_t> keys;
  std::size_t sink = 0;
  auto drain = [&] {
    ev::server_event e;
    while (srv.poll(e)) {
      if (e.what == ev::server_event::kind::send) {
        sink += e.request.msg.text().size();  // the null transport: serialize, drop
        keys.push_back(e.request.key);
      } else if (e.what == ev::server_event::kind::respond) {
        sink += e.response.text().size();
      }
    }
  };
  auto changes = [&] {
    ev::publication_change c;
    while (esc.poll(c))
      if (pkg.apply(c)) srv.changed("presence", c.resource, now);
  };

  std::size_t before = g_live;
  {
    sm::message req;
    for (std::size_t i = 0; i < watchers; ++i) {
      if (sm::parse_datagram(subscribe_text(i, "192.0.2.10:5060"), req)) return 1;
      srv.on_subscribe(i + 1, req, now);
      drain();
      for (auto k : keys) srv.on_response(k, ok, now);
      keys.clear();
    }
  }
  std::size_t held = g_live - before;
  if (srv.size() != watchers) {
    std::fprintf(stderr, "expected %zu watchers, have %zu\n", watchers, srv.size());
    return 1;
  }
  std::printf("null transport     %zu watchers of sip:alice@example.com, %.0f bytes/watcher\n", watchers,
              double(held) / double(watchers));

  const std::string alice = "sip:alice@example.com";
  const std::string bodies[2] = {g_event == "dialog" ? dialog_doc(false) : pidf(alice, false),
                                 g_event == "dialog" ? dialog_doc(true) : pidf(alice, true)};
  std::string etag;
  std::size_t cseq = 0;
  std::vector<double> times;
  for (std::size_t r = 0; r <= rounds; ++r) {  // round 0 creates the publication, untimed
    keys.clear();
    std::string text = publish_text(alice, ++cseq, "192.0.2.7:5060", etag, &bodies[r % 2], 3600);
    auto t0 = clk::now();
    sm::message req;
    if (sm::parse_datagram(text, req)) return 1;
    sm::message resp;
    if (esc.on_publish(req, now).build(resp) || resp.status() != 200) {
      std::fprintf(stderr, "PUBLISH not accepted\n");
      return 1;
    }
    sink += resp.raw().size();
    changes();
    drain();
    double ns = ns_since(t0);
    etag = std::string(resp.sip_etag());
    if (keys.size() != watchers) {
      std::fprintf(stderr, "round %zu: expected %zu NOTIFYs, got %zu\n", r, watchers, keys.size());
      return 1;
    }
    for (auto k : keys) srv.on_response(k, ok, now);
    if (r > 0) times.push_back(ns);
  }
  std::sort(times.begin(), times.end());
  if (!times.empty())
    std::printf("publish->last NOTIFY  median %.2f ms, best %.2f ms over %zu rounds (%.0f ns/NOTIFY, %.0f NOTIFY/s)\n",
                times[times.size() / 2] / 1e6, times.front() / 1e6, times.size(),
                times[times.size() / 2] / double(watchers), 1e9 * double(watchers) / times[times.size() / 2]);

  // The ESC alone: many presentities, one publication each, nobody watching.
  std::vector<std::string> aors(publications), tags(publications);
  for (std::size_t i = 0; i < publications; ++i) aors[i] = "sip:u" + std::to_string(i) + "@example.com";
  std::vector<std::string> texts(publications);
  auto report = [&](const char* what, clk::time_point t0) {
    double ns = ns_since(t0) / double(publications);
    std::printf("ESC %-8s         %.0f ns/PUBLISH, %.0f PUBLISH/s (parse, ESC, composition, 2xx serialized)\n", what,
                ns, 1e9 / ns);
  };
  // Each PUBLISH is taken from its bytes and answered with serialized bytes; the 2xx
  // is parsed back for its SIP-ETag, as the next request of that publisher needs it.
  auto run = [&](const char* what) {
    auto t0 = clk::now();
    sm::message req, resp;
    for (std::size_t i = 0; i < publications; ++i) {
      if (sm::parse_datagram(texts[i], req)) return false;
      std::string out = esc.on_publish(req, now).text();
      changes();
      if (sm::parse_datagram(out, resp) || resp.status() != 200) return false;
      tags[i] = std::string(resp.sip_etag());
    }
    report(what, t0);
    return true;
  };
  before = g_live;
  const std::string open_doc = pidf("sip:u@example.com", true), closed_doc = pidf("sip:u@example.com", false);
  for (std::size_t i = 0; i < publications; ++i) texts[i] = publish_text(aors[i], 1, "192.0.2.7", "", &open_doc, 3600);
  if (!run("initial")) return 1;
  std::size_t pub_held = g_live - before;
  std::printf("ESC                %zu publications, %.0f bytes/publication\n", esc.size(),
              double(pub_held) / double(publications));
  auto chained = [&](const char* what, const std::string* body) {
    for (std::size_t i = 0; i < publications; ++i) texts[i] = publish_text(aors[i], 2, "192.0.2.7", tags[i], body, 3600);
    return run(what);
  };
  if (!chained("refresh", nullptr) || !chained("modify", &closed_doc)) return 1;
  for (std::size_t i = 0; i < publications; ++i) texts[i] = publish_text(aors[i], 3, "192.0.2.7", tags[i], nullptr, 0);
  {
    auto t0 = clk::now();
    sm::message req;
    for (std::size_t i = 0; i < publications; ++i) {
      if (sm::parse_datagram(texts[i], req)) return 1;
      sink += esc.on_publish(req, now).text().size();
      changes();
    }
    report("remove", t0);
  }
  if (esc.size() != 1) {
    std::fprintf(stderr, "expected only alice's publication left, have %zu\n", esc.size());
    return 1;
  }
  return sink == 42 ? 1 : 0;
}

// ---- loopback UDP against sipevents-notifier ------------------------------------------------

long rss_kb(pid_t pid, const char* field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field) + 1);
  return -1;
}

int run_udp(const std::string& notifier, std::size_t watchers, std::size_t rounds) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof me;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof me) ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len))
    return 1;
  int big = 32 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big))
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  // The server's port: bind one, let it go, give it to the notifier.
  sockaddr_in srv{};
  srv.sin_family = AF_INET;
  srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  {
    int t = ::socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t l = sizeof srv;
    ::bind(t, reinterpret_cast<sockaddr*>(&srv), sizeof srv);
    ::getsockname(t, reinterpret_cast<sockaddr*>(&srv), &l);
    ::close(t);
  }
  std::string bind = "udp:127.0.0.1:" + std::to_string(ntohs(srv.sin_port));
  std::string maxw = std::to_string(watchers);
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    ::execl(notifier.c_str(), notifier.c_str(), "--bind", bind.c_str(), "--domain", "example.com", "--quiet",
            "--max-watchers", maxw.c_str(), static_cast<char*>(nullptr));
    std::perror("exec");
    ::_exit(127);
  }
  struct guard {
    pid_t p;
    ~guard() {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
  } g{pid};
  const std::string host = "127.0.0.1:" + std::to_string(ntohs(me.sin_port));
  auto send = [&](const std::string& s) {
    ::sendto(fd, s.data(), s.size(), 0, reinterpret_cast<sockaddr*>(&srv), sizeof srv);
  };

  // State of the client side: which watcher saw which document, and NOTIFY resends.
  std::vector<char> seen(watchers, 0);  // 0 nothing, 1 closed, 2 open
  std::set<std::pair<std::string, std::uint32_t>> notified;
  std::size_t resent = 0, subscribed = 0, want_count = 0, publish_resent = 0;
  char want = 0;
  std::string etag;
  int publish_status = 0;
  std::vector<char> buf(65536);
  auto pump = [&](int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    for (;;) {
      ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n <= 0) return true;
      sm::message m;
      if (sm::parse_datagram(std::string_view(buf.data(), std::size_t(n)), m)) continue;
      if (m.is_response()) {
        if (m.cseq().method_text == "SUBSCRIBE" && m.status() >= 200) {
          if (m.status() < 300) ++subscribed;
          else std::fprintf(stderr, "SUBSCRIBE answered %u\n", m.status());
        } else if (m.cseq().method_text == "PUBLISH" && m.status() >= 200) {
          publish_status = m.status();
          etag = std::string(m.sip_etag());
        }
        continue;
      }
      send(sm::message_builder::response_to(m, 200, "OK").text());
      if (m.method_text() != "NOTIFY") continue;
      if (!notified.insert({std::string(m.call_id()), m.cseq().seq}).second) {
        ++resent;
        continue;
      }
      std::string_view id = m.call_id();
      std::size_t w = std::strtoull(std::string(id.substr(1)).c_str(), nullptr, 10);
      char st = m.body().find(g_event == "dialog" ? "<state>early</state>" : "<basic>open</basic>") !=
                        std::string_view::npos
                    ? 2
                    : 1;
      if (w < watchers) {
        seen[w] = st;
        if (st == want) ++want_count;
      }
    }
  };
  // Wait for the notifier: an OPTIONS gets an answer once it listens.
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    send("OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP " + host + ";branch=z9hG4bKo" + std::to_string(i) +
         "\r\nMax-Forwards: 70\r\nTo: <sip:example.com>\r\nFrom: <sip:b@example.com>;tag=o\r\nCall-ID: o" +
         std::to_string(i) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    pollfd p{fd, POLLIN, 0};
    up = ::poll(&p, 1, 50) > 0;
    if (up) ::recv(fd, buf.data(), buf.size(), 0);
  }
  if (!up) {
    std::fprintf(stderr, "sipevents-notifier did not answer on %s\n", bind.c_str());
    return 1;
  }
  // Subscribe everyone, a window at a time, answering the first NOTIFYs as they come.
  want = 1;
  for (std::size_t i = 0; i < watchers; ++i) {
    send(subscribe_text(i, host));
    while (i + 1 - subscribed > 256) pump(1);
  }
  auto deadline = clk::now() + std::chrono::seconds(60);
  while ((subscribed < watchers || want_count < watchers) && clk::now() < deadline) pump(10);
  if (subscribed < watchers || want_count < watchers) {
    std::fprintf(stderr, "only %zu subscribed, %zu first NOTIFYs\n", subscribed, want_count);
    return 1;
  }
  long rss_subs = rss_kb(pid, "VmRSS:");
  const std::string alice = "sip:alice@example.com";
  const std::string bodies[2] = {g_event == "dialog" ? dialog_doc(false) : pidf(alice, false),
                                 g_event == "dialog" ? dialog_doc(true) : pidf(alice, true)};
  std::vector<double> times;
  std::size_t resent_before = resent;
  for (std::size_t r = 0; r <= rounds; ++r) {
    // One change a second: each round leaves N NOTIFY transactions in Timer K (5 s),
    // and the notifier's transaction table is bounded (100,000 by default; beyond: 503).
    if (r > 0) {
      auto gap = clk::now() + std::chrono::seconds(1);
      while (clk::now() < gap) pump(10);
    }
    // Round 0 publishes closed (no composed change, no NOTIFY): it only creates the ETag.
    want = r % 2 ? 2 : 1;
    want_count = r == 0 ? watchers : 0;
    publish_status = 0;
    auto t0 = clk::now();
    const std::string pub = publish_text(alice, r + 1, host, etag, &bodies[r % 2], 3600);
    send(pub);
    // Retransmitted like a client transaction would (Timer E from T1 = 500 ms).
    auto resend = t0 + std::chrono::milliseconds(500);
    deadline = clk::now() + std::chrono::seconds(30);
    while ((want_count < watchers || publish_status == 0) && clk::now() < deadline) {
      pump(10);
      if (publish_status == 0 && clk::now() >= resend) {
        send(pub);
        ++publish_resent;
        resend = clk::now() + std::chrono::milliseconds(500);
      }
    }
    double ns = ns_since(t0);
    if (publish_status != 200 || want_count < watchers) {
      std::fprintf(stderr, "round %zu: PUBLISH %d, %zu of %zu NOTIFYs\n", r, publish_status, want_count, watchers);
      return 1;
    }
    if (r > 0) times.push_back(ns);
  }
  // Let late retransmissions show before counting them.
  while (pump(600)) {
  }
  std::sort(times.begin(), times.end());
  std::printf("loopback UDP       %zu %s via sipevents-notifier\n", watchers,
              g_event == "dialog" ? "phones watching one line (Event: dialog)" : "watchers");
  std::printf("publish->last NOTIFY  median %.1f ms, best %.1f ms over %zu rounds (%.0f NOTIFY/s received and answered)\n",
              times[times.size() / 2] / 1e6, times.front() / 1e6, times.size(),
              1e9 * double(watchers) / times[times.size() / 2]);
  std::printf("resent             %zu NOTIFYs of %zu, %zu PUBLISHes of %zu during the rounds\n", resent - resent_before,
              watchers * rounds, publish_resent, rounds + 1);
  std::printf("server RSS         %.1f MB with the watchers, %.1f MB now, peak %.1f MB\n", double(rss_subs) / 1024,
              double(rss_kb(pid, "VmRSS:")) / 1024, double(rss_kb(pid, "VmHWM:")) / 1024);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t watchers = 10000, rounds = 10, publications = 100000;
  std::string notifier;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--udp") {
      notifier = argv[i + 1];
      continue;
    }
    if (a == "--event") {
      g_event = argv[i + 1];
      if (g_event != "presence" && g_event != "dialog") return 2;
      continue;
    }
    std::size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--watchers" && v) watchers = v;
    else if (a == "--rounds" && v) rounds = v;
    else if (a == "--publications" && v) publications = v;
    else {
      std::fprintf(stderr, "usage: presence [--watchers N] [--rounds K] [--publications P] [--udp sipevents-notifier]\n");
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "usage: presence [--watchers N] [--rounds K] [--publications P] [--udp sipevents-notifier]\n");
    return 2;
  }
  if (g_event == "presence")
    if (int rc = run_null(watchers, rounds, publications)) return rc;
  if (!notifier.empty()) return run_udp(notifier, watchers, rounds);
  return 0;
}
