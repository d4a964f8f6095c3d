// The notifier's fan-out on a real runtime: a change seen by many watchers goes out in
// slices of notify_batch NOTIFYs, with the event loop turning in between, and no
// watcher is skipped or notified twice.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "counter_package.hpp"
#include "sipevents/agent/event_agent.hpp"
#include "sipevents/transport/runtime.hpp"

namespace st = sipevents::transport;
namespace ev = sipevents::events;
namespace sa = sipevents::agent;
using sipevents::transaction::peer;

namespace {

using testsupport::counter_package;

}  // namespace

TEST_CASE("a change seen by 200 watchers goes out in slices of notify_batch, each watcher once") {
  asio::io_context io;
  st::runtime server_rt(io), client_rt(io);
  peer srv;
  REQUIRE_FALSE(server_rt.listen("udp:127.0.0.1:0", &srv));
  peer cli;
  REQUIRE_FALSE(client_rt.listen("udp:127.0.0.1:0", &cli));
  // Count the NOTIFYs the server hands to its transport as they go.
  int sent = 0;
  server_rt.set_log([&sent](st::log_level, std::string_view s) {
    if (s.rfind("send NOTIFY", 0) == 0) ++sent;
  });

  sa::agent_config scfg;
  scfg.server.contact = "sip:notifier@127.0.0.1:" + std::to_string(srv.port);
  scfg.notify_batch = 8;
  sa::event_agent notifier(server_rt, scfg);
  counter_package pkg;
  notifier.add_package(pkg);

  sa::agent_config ccfg;
  ccfg.outbound = srv;
  sa::event_agent watchers(client_rt, ccfg);
  constexpr int n = 200;
  std::map<std::uint64_t, std::vector<std::string>> bodies;
  for (int i = 0; i < n; ++i) {
    ev::subscribe_params p;
    p.event = "x-count";
    p.from = "sip:w" + std::to_string(i) + "@example.com";
    p.to = "sip:res@example.com";
    p.contact = "sip:w@127.0.0.1:" + std::to_string(cli.port);
    watchers.subscribe(p, [&bodies](std::uint64_t id, const ev::client_event& e) {
      if (e.what == ev::client_event::kind::notify) bodies[id].push_back(std::string(e.notify->body()));
    });
  }
  auto settle = [&](auto done) {
    for (int i = 0; i < 500 && !done(); ++i) io.run_for(std::chrono::milliseconds(10));
  };
  auto all_have = [&](std::size_t k) {
    if (bodies.size() != n) return false;
    for (auto& [id, b] : bodies)
      if (b.size() < k) return false;
    return true;
  };
  settle([&] { return all_have(1); });
  REQUIRE(all_have(1));
  REQUIRE(notifier.notifier().size() == n);

  sent = 0;
  pkg.version = 1;
  notifier.changed("x-count", "sip:res@example.com");
  CHECK(sent == 8);  // one slice went out at once; the rest waits for the event loop
  int sent_at_marker = -1;
  asio::post(io, [&] { sent_at_marker = sent; });
  settle([&] { return all_have(2); });
  REQUIRE(all_have(2));
  CHECK(sent_at_marker > 8);
  CHECK(sent_at_marker < n);  // the loop turned before the fan-out ended
  CHECK(sent == n);
  for (auto& [id, b] : bodies) {
    CHECK(b.size() == 2);
    CHECK(b.back() == "version 1");
  }
}
