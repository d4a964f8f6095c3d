// sipevents-welcome: RFC 3680's welcome notice. Watches the registration state of
// some AoRs (Event: reg) and greets every contact that becomes active with a MESSAGE.
//
//   sipevents-welcome (--server udp|tcp|tls:HOST:PORT | --dns HOST:PORT) --from URI [--text TEXT] [--count N]
//                     [--relay udp|tcp|tls:HOST:PORT] [--ca FILE] [--user NAME --password PW] --watch AOR...
//
// --dns HOST:PORT finds the server where the --from domain resolves by RFC 3263
// (NAPTR, SRV, A/AAAA asked of that DNS server), failing over as sipevents-watcher does.
// --relay sends the welcomes to the AoR through that server (another node of the
// service, a proxy) instead of to the contact itself.
// --via is another name for --server. Over tls: the server's certificate must name the
// domain of --from (RFC 5922), chained to --ca or the system's CAs; the welcomes go
// through the server too (the contacts are not ours to reach over TLS).
// Prints one line per event: the NOTIFY states, each contact that became active, and
// the status of each welcome MESSAGE. With --count it exits 0 after N welcomes got 2xx.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "../common/locate.hpp"
#include "../common/net.hpp"
#include "../common/tls.hpp"
#include "../common/cli.hpp"
#include "sipevents/agent/event_agent.hpp"
#include "sipevents/pager/pager.hpp"
#include "sipevents/reg/reg_package.hpp"

namespace ev = sipevents::events;
namespace rg = sipevents::reg;
namespace sa = sipevents::agent;
namespace st = sipevents::transport;
using sipevents::transaction::peer;

int main(int argc, char** argv) {
  std::string server, dns, from, relay, text = "Welcome to the example.com service!";
  std::vector<std::string> watch;
  long count = -1;
  tools::login login;
  tools::tls_options tls;
  tools::cli cli("sipevents-welcome",
                 "RFC 3680's welcome notice: watch the registrations of AoRs (Event: reg) and greet every contact "
                 "that becomes active with a MESSAGE.");
  CLI::App& app = cli.app();
  auto* srv_opt = app.add_option("--server,--via", server, "The registrar or proxy at udp|tcp|tls:HOST:PORT")
                      ->check(tools::transport_address());
  app.add_option("--dns", dns, "Locate the --from domain by RFC 3263, asking the DNS server at HOST:PORT")
      ->check(tools::host_port())
      ->excludes(srv_opt);
  app.add_option("--from", from, "The welcomer's URI")->required()->check(tools::sip_uri());
  app.add_option("--text", text, "The welcome's text");
  app.add_option("--count", count, "Exit 0 after N welcomes got 2xx")->check(tools::within<long>(1));
  app.add_option("--relay", relay, "Send the welcomes through udp|tcp|tls:HOST:PORT instead of to the contact")
      ->check(tools::transport_address());
  tls.add_ca(app);
  login.add(app);
  app.add_option("--watch", watch, "AoRs whose registrations are watched")->required()->check(tools::sip_uri());
  if (int rc = cli.parse(argc, argv); rc >= 0) return rc;
  if (server.empty() && dns.empty()) return cli.refuse("--server or --dns is required");
  peer srv, relay_peer;
  std::vector<peer> fallbacks;  // RFC 3263 4.3: the other located targets, in order
  if (std::string err; !dns.empty() && !tools::locate_outbound(dns, from, srv, fallbacks, err)) {
    std::fprintf(stderr, "sipevents-welcome: %s\n", err.c_str());
    return 1;
  } else if (dns.empty()) {
    sipevents::transaction::parse_peer(server, srv);  // checked by the option
  }
  if (!relay.empty()) sipevents::transaction::parse_peer(relay, relay_peer);
  tools::expect_name(srv, from);

  st::runtime rt;
  login.attach(rt);
  if (std::string err; !tls.attach(rt, err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  std::string local = tools::local_address_for(srv.host);
  // UDP and TCP on one port, so the Contact names the transport the server was asked
  // for: Kamailio, say, sends NOTIFY over TCP only back to a TCP contact.
  peer me;
  std::string host = tools::bracket(local);
  const std::string port = std::to_string(tools::free_port_pair(local));
  if (port == "0" || rt.listen("udp:" + host + ":" + port, &me) || rt.listen("tcp:" + host + ":" + port)) {
    std::fprintf(stderr, "cannot listen on %s\n", local.c_str());
    return 1;
  }
  sa::agent_config cfg;
  cfg.outbound = srv;  // SUBSCRIBEs go through the server
  cfg.fallbacks = fallbacks;
  sa::event_agent agent(rt, cfg);
  rg::reg_package reginfo;  // decodes application/reginfo+xml
  sipevents::pager::pager_client pager(rt.layer());
  std::map<std::pair<std::uint64_t, std::string>, rg::reg_view> views;  // one per subscription dialog
  long welcomed = 0;
  int rc = count > 0 ? 1 : 0;

  auto welcome = [&](const rg::contact_change& c) {
    // To the contact itself when it names an address, else through the server. Over TLS
    // always through the server: it holds the contact's flow, we hold no certificate
    // that could name the contact.
    const bool through = !relay.empty() || srv.transport == sipevents::transaction::transport_kind::tls;
    peer to = relay.empty() ? srv : relay_peer;
    if (!through) sa::peer_from_uri(c.contact.uri, to);
    sipevents::pager::page pg;
    pg.from = from;
    pg.to = c.aor;
    // Through a server: to the AoR, which it relays to the contact (over its flow).
    pg.request_uri = through ? c.aor : c.contact.uri;
    pg.body = text;
    auto msg = pager.build(pg);
    rt.send_request(msg, to, [&, uri = c.contact.uri](const st::request_result& r) {
      std::printf("welcome %s: %u %s\n", uri.c_str(), r.status, r.status ? r.reason.c_str() : r.error.c_str());
      std::fflush(stdout);
      if (r.status >= 200 && r.status < 300 && count > 0 && ++welcomed >= count) {
        rc = 0;
        rt.stop();
      }
    });
  };

  for (const auto& aor : watch) {
    ev::subscribe_params p;
    p.event = "reg";
    p.from = from;
    p.to = aor;
    p.contact = "sip:welcome@" + host + ":" + std::to_string(me.port) + tools::transport_param(srv);
    p.accept = {std::string(rg::reginfo_type)};
    agent.subscribe(p, [&](std::uint64_t id, const ev::client_event& e) {
      if (e.what == ev::client_event::kind::terminated) {
        std::printf("subscription to %s ended: %s %u\n", aor.c_str(), std::string(ev::to_string(e.why)).c_str(), e.status);
        std::fflush(stdout);
        return;
      }
      if (e.what != ev::client_event::kind::notify || !e.body.ok) return;
      const auto& doc = std::any_cast<const rg::reginfo&>(e.body.state);
      std::printf("NOTIFY %s: subscription %s, registration %s, version %u (%s)\n", aor.c_str(),
                  std::string(ev::to_string(e.state)).c_str(),
                  doc.registrations.empty() ? "-" : doc.registrations.front().state.c_str(), doc.version,
                  doc.full ? "full" : "partial");
      std::vector<rg::contact_change> changes;
      if (views[{id, e.remote_tag}].apply(doc, changes) == rg::reg_view::result::need_full) {
        agent.refresh(id);  // RFC 3680 4.4: lost track, ask for full state
        return;
      }
      for (const auto& c : changes) {
        std::printf("contact %s %s (%s)\n", c.contact.uri.c_str(), c.active ? "active" : "gone", c.contact.event.c_str());
        std::fflush(stdout);
        if (c.active) welcome(c);
      }
      std::fflush(stdout);
    }, &reginfo);
  }
  rt.run();
  return rc;
}
