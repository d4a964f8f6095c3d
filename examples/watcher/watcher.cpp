// sipevents-watcher: subscribe to any event package and print each NOTIFY.
//
//   sipevents-watcher --event PKG --from URI --server udp:HOST:PORT|tcp:HOST:PORT
//                     [--id ID] [--accept TYPE] [--expires N] [--count N | --duration S]
//                     TARGET-URI
//
// One JSON line per NOTIFY: event, resource, state, reason, expires, content_type,
// body. After --count NOTIFYs or --duration seconds it unsubscribes and waits for the
// final NOTIFY (at most 64*T1); SIGINT or SIGTERM does the same. Exit 0 when a NOTIFY arrived and the subscription
// ended cleanly; 1 when the SUBSCRIBE failed or nothing arrived.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "../common/net.hpp"
#include "../lint/json.hpp"
#include "sipevents/agent/event_agent.hpp"

namespace st = sipevents::transport;
namespace ev = sipevents::events;
namespace sa = sipevents::agent;
using sipevents::transaction::peer;
using sipevents::transaction::transport_kind;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: sipevents-watcher --event PKG --from URI --server udp:HOST:PORT|tcp:HOST:PORT\n"
               "                         [--id ID] [--accept TYPE] [--expires N] [--count N | --duration S]\n"
               "                         TARGET-URI\n");
  return 2;
}

std::string notify_json(const ev::client_event& e, const std::string& resource) {
  std::string line = "{\"event\":";
  const auto& n = *e.notify;
  lint::json_string(line, n.event() ? n.event()->type : std::string_view{});
  line += ",\"resource\":";
  lint::json_string(line, resource);
  line += ",\"state\":";
  lint::json_string(line, ev::to_string(e.state));
  line += ",\"reason\":";
  if (e.state == ev::sub_state::terminated && n.subscription_state() && !n.subscription_state()->reason.empty())
    lint::json_string(line, n.subscription_state()->reason);
  else
    line += "null";
  line += ",\"expires\":";
  line += e.expires ? std::to_string(*e.expires) : "null";
  line += ",\"content_type\":";
  if (const auto* ct = n.content_type()) lint::json_string(line, std::string(ct->type) + "/" + std::string(ct->subtype));
  else line += "null";
  line += ",\"body\":";
  lint::json_string(line, n.body());
  line += "}\n";
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  ev::subscribe_params p;
  std::string server;
  long count = -1;
  double duration = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&](std::string& dst) {
      if (i + 1 >= argc) return false;
      dst = argv[++i];
      return true;
    };
    std::string n;
    if (a == "--event") { if (!val(p.event)) return usage(); }
    else if (a == "--from") { if (!val(p.from)) return usage(); }
    else if (a == "--server") { if (!val(server)) return usage(); }
    else if (a == "--id") { if (!val(p.event_id)) return usage(); }
    else if (a == "--accept") { if (!val(n)) return usage(); p.accept.push_back(n); }
    else if (a == "--expires") { if (!val(n)) return usage(); p.expires = std::uint32_t(std::strtoul(n.c_str(), nullptr, 10)); }
    else if (a == "--count") { if (!val(n)) return usage(); count = std::atol(n.c_str()); }
    else if (a == "--duration") { if (!val(n)) return usage(); duration = std::atof(n.c_str()); }
    else if (!a.empty() && a[0] == '-') return usage();
    else p.to = a;
  }
  peer srv;
  if (p.event.empty() || p.from.empty() || p.to.empty() || !sipevents::transaction::parse_peer(server, srv))
    return usage();

  st::runtime rt;
  rt.set_log([](st::log_level l, std::string_view s) {
    if (l >= st::log_level::warning) std::fprintf(stderr, "%.*s\n", int(s.size()), s.data());
  });
  std::string local = tools::local_address_for(srv.host);
  peer bound;
  std::string kind = srv.transport == transport_kind::tcp ? "tcp" : "udp";
  if (auto ec = rt.listen(kind + ":" + tools::bracket(local) + ":0", &bound)) {
    std::fprintf(stderr, "listen: %s\n", ec.message().c_str());
    return 1;
  }
  p.contact = "sip:watcher@" + tools::bracket(local) + ":" + std::to_string(bound.port) +
              (srv.transport == transport_kind::tcp ? ";transport=tcp" : "");
  sa::agent_config cfg;
  cfg.outbound = srv;
  sa::event_agent agent(rt, cfg);

  int rc = 1;
  long seen = 0;
  bool leaving = false;
  std::uint64_t id = 0;
  asio::steady_timer limit(rt.context());
  auto leave = [&] {
    if (leaving) return;
    leaving = true;
    agent.unsubscribe(id);
    // The final NOTIFY may never come: give up after 64*T1 like the subscriber does.
    limit.expires_after(std::chrono::seconds(33));
    limit.async_wait([&](std::error_code ec) { if (!ec) rt.stop(); });
  };
  std::string resource = p.to;
  id = agent.subscribe(p, [&](std::uint64_t, const ev::client_event& e) {
    using K = ev::client_event::kind;
    if (e.what == K::notify) {
      std::fputs(notify_json(e, resource).c_str(), stdout);
      std::fflush(stdout);
      rc = 0;
      if (count > 0 && ++seen >= count) asio::post(rt.context(), leave);
    } else if (e.what == K::terminated) {
      if (e.why == ev::reason::failed) {
        std::fprintf(stderr, "subscription failed: %u\n", e.status);
        rc = 1;
      }
      rt.stop();
    }
  });
  if (duration > 0) {
    limit.expires_after(std::chrono::milliseconds(long(duration * 1000)));
    limit.async_wait([&](std::error_code ec) { if (!ec) leave(); });
  }
  // Ctrl-C or SIGTERM unsubscribes like --count does; a second one quits at once.
  asio::signal_set signals(rt.context(), SIGINT, SIGTERM);
  std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int) {
    if (ec) return;
    if (leaving) {
      rt.stop();
      return;
    }
    leave();
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  rt.run();
  return rc;
}
