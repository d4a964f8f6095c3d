// bench/subscriptions: memory per server subscription and NOTIFY throughput of the
// RFC 6665 notifier, with no transport (NOTIFYs are serialized and dropped).
//
//   subscriptions [--subs N] [--resources R] [--rounds K]
//
// Creates N subscriptions (N/R watchers on each of R resources) from real SUBSCRIBE
// messages, answers every NOTIFY with 200, then measures:
//   bytes/sub    heap bytes held per live subscription (dialog, indexes, timers)
//   notify       time for changed() on every resource to build and serialize one
//                NOTIFY per subscription, ns/NOTIFY and NOTIFYs/s on one core
//   answer       time to take the 200 to each NOTIFY back

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "heap_held.hpp"
#include "sipevents/events/subscription_server.hpp"

using bench::g_live;

namespace sm = sipevents::message;
namespace ev = sipevents::events;
using clk = std::chrono::steady_clock;

namespace {

struct pidf_like : ev::package {
  std::string doc;
  pidf_like() {
    doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
          "entity=\"sip:bob@example.com\"><tuple id=\"t1\"><status><basic>open</basic></status>"
          "<contact>sip:bob@192.0.2.4</contact></tuple></presence>\n";
  }
  std::string_view name() const override { return "presence"; }
  std::vector<std::string> content_types() const override { return {"application/pidf+xml"}; }
  std::optional<ev::body> state(const ev::watcher_view&) override { return ev::body{"application/pidf+xml", doc}; }
};

std::string subscribe_text(std::size_t i, std::size_t resource) {
  std::string n = std::to_string(i);
  return "SUBSCRIBE sip:user" + std::to_string(resource) + "@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK" + n + ";rport\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:user" + std::to_string(resource) + "@example.com>\r\n"
         "From: \"Watcher\" <sip:w" + n + "@example.com>;tag=f" + n + "\r\n"
         "Call-ID: " + n + "-a84b4c76e66710@192.0.2.10\r\n"
         "CSeq: 1 SUBSCRIBE\r\n"
         "Contact: <sip:w" + n + "@192.0.2.10:5060>\r\n"
         "Event: presence\r\n"
         "Expires: 3600\r\n"
         "Accept: application/pidf+xml\r\n"
         "Content-Length: 0\r\n\r\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t subs = 100000, resources = 10000, rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    std::size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--subs") subs = v;
    else if (a == "--resources") resources = v;
    else if (a == "--rounds") rounds = v;
    else {
      std::fprintf(stderr, "usage: subscriptions [--subs N] [--resources R] [--rounds K]\n");
      return 2;
    }
  }
  if (resources == 0 || resources > subs) resources = subs;

  std::uint64_t tok = 0;
  ev::server_config cfg;
  cfg.contact = "sip:presence@192.0.2.2:5060";
  pidf_like pkg;
  ev::subscription_server srv(
      [&tok](std::size_t) {
        std::string t = std::to_string(++tok);
        return t.insert(0, 1, 't');
      },
      cfg);
  srv.add_package(pkg);
  sm::message ok;
  if (sm::parse_datagram("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
                         "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n",
                         ok)) return 1;

  auto now = clk::now();
  std::vector<std::uint64_t> keys;
  keys.reserve(subs);
  std::size_t sink = 0;
  auto drain = [&] {
    ev::server_event e;
    while (srv.poll(e)) {
      if (e.what == ev::server_event::kind::send) {
        std::string wire = e.request.msg.text();  // the null transport: serialize, drop
        sink += wire.size();
        keys.push_back(e.request.key);
      } else if (e.what == ev::server_event::kind::respond) {
        sink += e.response.text().size();
      }
    }
  };

  std::size_t before = g_live;
  sm::message req;
  for (std::size_t i = 0; i < subs; ++i) {
    if (sm::parse_datagram(subscribe_text(i, i % resources), req)) return 1;
    srv.on_subscribe(i + 1, req, now);
    drain();
    for (auto k : keys) srv.on_response(k, ok, now);
    keys.clear();
  }
  req = sm::message{};
  std::size_t held = g_live - before;
  if (srv.size() != subs) {
    std::fprintf(stderr, "expected %zu subscriptions, have %zu\n", subs, srv.size());
    return 1;
  }
  std::printf("subscriptions      %zu on %zu resources\n", subs, resources);
  std::printf("memory             %.0f bytes/sub (heap held, %.1f MB in all)\n", double(held) / double(subs),
              double(held) / 1e6);

  double best_notify = 1e99, best_answer = 1e99;
  for (std::size_t r = 0; r < rounds; ++r) {
    keys.clear();
    auto t0 = clk::now();
    for (std::size_t i = 0; i < resources; ++i) {
      srv.changed("presence", "sip:user" + std::to_string(i) + "@example.com", now);
      drain();
    }
    auto t1 = clk::now();
    if (keys.size() != subs) {
      std::fprintf(stderr, "expected %zu NOTIFYs, got %zu\n", subs, keys.size());
      return 1;
    }
    for (auto k : keys) srv.on_response(k, ok, now);
    auto t2 = clk::now();
    best_notify = std::min(best_notify, std::chrono::duration<double, std::nano>(t1 - t0).count() / double(subs));
    best_answer = std::min(best_answer, std::chrono::duration<double, std::nano>(t2 - t1).count() / double(subs));
  }
  std::printf("notify             %.0f ns/NOTIFY, %.0f NOTIFYs/s (built, serialized, best of %zu)\n", best_notify,
              1e9 / best_notify, rounds);
  std::printf("answer             %.0f ns per 200 taken back\n", best_answer);
  return sink == 42 ? 1 : 0;
}
