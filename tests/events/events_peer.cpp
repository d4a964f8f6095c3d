// A notifier process for the two-process tests: serves the package "x-counter",
// whose state for every resource is "n=<count>", and bumps the count every
// --interval-ms. It prints one line per subscription event:
//   subscribed <id> | terminated <id> <reason> <status>
//
//   events_peer --bind udp:HOST:PORT [--bind tcp:HOST:PORT] --resource URI
//               [--interval-ms N] [--exit-after-terminated N]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sipevents/agent/event_agent.hpp"

namespace ev = sipevents::events;
namespace st = sipevents::transport;

namespace {

struct counter_package : ev::package {
  long n = 0;
  std::string_view name() const override { return "x-counter"; }
  std::vector<std::string> content_types() const override { return {"text/plain"}; }
  ev::expiry_policy expires() const override { return {600, 10, 3600}; }
  std::optional<ev::body> state(const ev::watcher_view&) override { return ev::body{"text/plain", "n=" + std::to_string(n)}; }
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> binds;
  std::string resource;
  long interval = 200, exit_after = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--bind") binds.push_back(v);
    else if (a == "--resource") resource = v;
    else if (a == "--interval-ms") interval = std::atol(v.c_str());
    else if (a == "--exit-after-terminated") exit_after = std::atol(v.c_str());
    else return 2;
  }
  if (binds.empty() || resource.empty()) return 2;
  st::runtime rt;
  sipevents::transaction::peer bound;
  for (const auto& b : binds)
    if (rt.listen(b, &bound)) return 1;
  sipevents::agent::agent_config cfg;
  cfg.server.contact = "sip:notifier@" + std::string(bound.host.find(':') != std::string::npos ? "[" + bound.host + "]" : bound.host) +
                       ":" + std::to_string(bound.port);
  sipevents::agent::event_agent agent(rt, cfg);
  counter_package pkg;
  agent.add_package(pkg);
  long ended = 0;
  agent.on_server_event([&](const ev::server_event& e) {
    if (e.what == ev::server_event::kind::subscribed) std::printf("subscribed %llu\n", static_cast<unsigned long long>(e.sub));
    if (e.what == ev::server_event::kind::terminated) {
      std::printf("terminated %llu %s %u\n", static_cast<unsigned long long>(e.sub),
                  std::string(ev::to_string(e.why)).c_str(), e.status);
      if (++ended >= exit_after) rt.stop();
    }
    std::fflush(stdout);
  });
  asio::steady_timer tick(rt.context());
  std::function<void()> arm = [&] {
    tick.expires_after(std::chrono::milliseconds(interval));
    tick.async_wait([&](std::error_code ec) {
      if (ec) return;
      ++pkg.n;
      agent.changed("x-counter", resource);
      arm();
    });
  };
  arm();
  std::printf("ready %u\n", bound.port);
  std::fflush(stdout);
  rt.run();
  return 0;
}
