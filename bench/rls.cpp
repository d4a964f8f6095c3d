// bench/rls: a resource list server (RFC 4662) with a buddy list of B presentities.
//
//   rls [--buddies B] [--lists L] [--rounds K]
//
// Null transport: the ESC, the presence package, the notifier and the list server in
// one thread, no sockets. Each of the B buddies (default 200) has PUBLISHed presence;
// L subscribers (default 1,000) each hold one list subscription to all of them
// (Supported: eventlist), and as many again watch the same B buddies the old way, one
// subscription per buddy, for comparison:
//   bytes/list subscription   heap held per list subscriber (subscription, dialog,
//                             per-resource instances and member watcher state)
//   bytes/200 subscriptions   heap held by one subscriber watching each buddy alone
//   full / partial NOTIFY     wire bytes of the first NOTIFY (RLMI + B PIDF parts) and
//                             of a NOTIFY after one buddy's change
// Each round one buddy PUBLISHes a new state (SIP-If-Match); the time is from the
// PUBLISH bytes to the last list NOTIFY serialized (L of them: each list subscriber
// gets a partial NOTIFY naming that buddy alone). The list rate limit is off here.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "counter_ids.hpp"
#include "heap_held.hpp"
#include "sipevents/events/publication_server.hpp"
#include "sipevents/events/subscription_server.hpp"
#include "sipevents/presence/presence_package.hpp"
#include "sipevents/rls/list_server.hpp"

using bench::counter_ids;
using bench::g_live;
namespace sm = sipevents::message;
namespace ev = sipevents::events;
namespace pr = sipevents::presence;
namespace rl = sipevents::rls;
using clk = std::chrono::steady_clock;

namespace {

std::string buddy(std::size_t i) { return "sip:b" + std::to_string(i) + "@example.com"; }

std::string subscribe_text(std::size_t i, const std::string& to, bool list) {
  std::string n = std::to_string(i);
  return "SUBSCRIBE " + to + " SIP/2.0\r\n"
         "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKs" + n + "\r\n"
         "Max-Forwards: 70\r\nTo: <" + to + ">\r\n"
         "From: <sip:w" + n + "@example.com>;tag=f" + n + "\r\n"
         "Call-ID: w" + n + "-" + std::to_string(std::hash<std::string>{}(to)) + "@bench\r\nCSeq: 1 SUBSCRIBE\r\n"
         "Contact: <sip:w" + n + "@192.0.2.10:5060;transport=tcp>\r\n"
         "Event: presence\r\nExpires: 3600\r\n" +
         (list ? "Supported: eventlist\r\nAccept: multipart/related, application/rlmi+xml, application/pidf+xml\r\n"
               : "Accept: application/pidf+xml\r\n") +
         "Content-Length: 0\r\n\r\n";
}

std::string publish_text(const std::string& aor, std::size_t cseq, const std::string& if_match, bool open) {
  pr::presence_document d;
  d.entity = aor;
  pr::tuple t;
  t.id = "phone";
  t.basic = open ? pr::basic_status::open : pr::basic_status::closed;
  t.notes.push_back({open ? "at my desk" : "in a meeting", "en"});
  d.tuples.push_back(t);
  const std::string body = pr::encode(d);
  std::string s = "PUBLISH " + aor + " SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKp" +
                  std::to_string(cseq) + "\r\nMax-Forwards: 70\r\nTo: <" + aor + ">\r\nFrom: <" + aor +
                  ">;tag=p1\r\nCall-ID: pub-" + aor + "\r\nCSeq: " + std::to_string(cseq) +
                  " PUBLISH\r\nEvent: presence\r\nExpires: 3600\r\n";
  if (!if_match.empty()) s += "SIP-If-Match: " + if_match + "\r\n";
  return s + "Content-Type: application/pidf+xml\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}


}  // namespace

int main(int argc, char** argv) {
  std::size_t buddies = 200, lists = 1000, rounds = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    std::size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--buddies") buddies = v;
    else if (a == "--lists") lists = v;
    else if (a == "--rounds") rounds = v;
    else {
      std::fprintf(stderr, "usage: rls [--buddies B] [--lists L] [--rounds K]\n");
      return 2;
    }
  }
  if (argc % 2 == 0 || !buddies || !lists || !rounds) {
    std::fprintf(stderr, "usage: rls [--buddies B] [--lists L] [--rounds K]\n");
    return 2;
  }
  counter_ids ids;
  ev::publication_server esc(ids.source());
  pr::presence_package pkg(&esc);
  esc.add_package(pkg, pkg.config().publications);
  ev::server_config scfg;
  scfg.contact = "sip:rls@192.0.2.2:5060";
  ev::subscription_server srv(ids.source(), scfg);
  srv.add_package(pkg);
  rl::rls_config lcfg;
  lcfg.min_interval = std::chrono::milliseconds(0);
  rl::list_server rls(ids.source(), lcfg);
  rls.add_package(pkg);
  rl::served_list list{"sip:buddies@example.com", "sip:buddies@example.com", "Buddies", {}};
  for (std::size_t i = 0; i < buddies; ++i) list.members.push_back({buddy(i), buddy(i), "Buddy " + std::to_string(i)});
  rls.set_lists({list});
  srv.set_lists(&rls);

  sm::message ok;
  if (sm::parse_datagram("SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 192.0.2.2;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
                         "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n",
                         ok))
    return 1;
  const auto now = clk::now();
  std::vector<std::uint64_t> keys;
  std::size_t last_bytes = 0, first_bytes = 0, sink = 0;
  auto drain = [&] {
    ev::server_event e;
    while (srv.poll(e)) {
      if (e.what == ev::server_event::kind::send) {
        last_bytes = e.request.msg.text().size();  // the null transport: serialize, drop
        if (keys.empty()) first_bytes = last_bytes;
        sink += last_bytes;
        keys.push_back(e.request.key);
      } else if (e.what == ev::server_event::kind::respond) {
        sink += e.response.text().size();
      }
    }
  };
  auto answer_all = [&] {
    for (auto k : keys) srv.on_response(k, ok, now);
    keys.clear();
  };
  std::vector<std::string> etags(buddies);
  std::size_t cseq = 0;
  auto publish = [&](std::size_t i, bool open) {
    sm::message req, resp;
    if (sm::parse_datagram(publish_text(buddy(i), ++cseq, etags[i], open), req)) return false;
    if (esc.on_publish(req, now).build(resp) || resp.status() != 200) {
      std::fprintf(stderr, "PUBLISH of %s answered %u\n", buddy(i).c_str(), resp.status());
      return false;
    }
    etags[i] = std::string(resp.sip_etag());
    ev::publication_change c;
    while (esc.poll(c))
      if (pkg.apply(c)) srv.changed("presence", c.resource, now);
    return true;
  };
  for (std::size_t i = 0; i < buddies; ++i)
    if (!publish(i, i % 2)) return 1;

  auto subscribe = [&](std::size_t who, const std::string& to, bool as_list) {
    sm::message req;
    if (sm::parse_datagram(subscribe_text(who, to, as_list), req)) {
      std::fprintf(stderr, "SUBSCRIBE does not parse\n");
      return false;
    }
    srv.on_subscribe(++cseq, req, now);
    drain();
    answer_all();
    return true;
  };
  std::size_t before = g_live;
  std::size_t full_bytes = 0;
  for (std::size_t l = 0; l < lists; ++l) {
    if (!subscribe(l, "sip:buddies@example.com", true)) return 1;
    full_bytes = last_bytes;
  }
  const double per_list = double(g_live - before) / double(lists);
  if (rls.subscriptions() != lists) {
    std::fprintf(stderr, "expected %zu list subscriptions, have %zu\n", lists, rls.subscriptions());
    return 1;
  }
  // The same buddies watched one by one, by a few subscribers (the memory per 200).
  const std::size_t singles = std::min<std::size_t>(lists, 50);
  before = g_live;
  for (std::size_t w = 0; w < singles; ++w)
    for (std::size_t i = 0; i < buddies; ++i)
      if (!subscribe(lists + w, buddy(i), false)) return 1;
  const double per_singles = double(g_live - before) / double(singles);
  std::printf("list of %zu buddies, %zu list subscribers: %.0f bytes/list subscription; "
              "watching the %zu one by one: %.0f bytes/subscriber (%.1fx)\n",
              buddies, lists, per_list, buddies, per_singles, per_singles / per_list);

  std::vector<double> times;
  std::size_t partial_bytes = 0;
  for (std::size_t r = 0; r < rounds; ++r) {
    keys.clear();
    const std::size_t who = (r * 7) % buddies;
    const auto t0 = clk::now();
    if (!publish(who, r % 2 == 0)) return 1;
    drain();
    times.push_back(std::chrono::duration<double, std::nano>(clk::now() - t0).count());
    partial_bytes = first_bytes;  // the lists are NOTIFYed first
    // Every list subscriber and each of the one-by-one watchers of that buddy.
    if (keys.size() != lists + singles) {
      std::fprintf(stderr, "round %zu: expected %zu NOTIFYs, got %zu\n", r, lists + singles, keys.size());
      return 1;
    }
    answer_all();
  }
  std::sort(times.begin(), times.end());
  const double med = times[times.size() / 2];
  std::printf("NOTIFY bytes: full %zu (RLMI + %zu PIDF parts), partial %zu (one buddy changed)\n", full_bytes, buddies,
              partial_bytes);
  std::printf("PUBLISH->last list NOTIFY  median %.2f ms, best %.2f ms over %zu rounds "
              "(%zu list + %zu single NOTIFYs: %.0f ns/NOTIFY, %.0f NOTIFY/s)\n",
              med / 1e6, times.front() / 1e6, times.size(), lists, singles, med / double(lists + singles),
              1e9 * double(lists + singles) / med);
  return sink == 42 ? 1 : 0;
}
