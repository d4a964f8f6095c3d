// sipevents-publish: publish presence (RFC 3903 PUBLISH of a PIDF document).
//
//   sipevents-publish --from URI (--server udp|tcp|tls:HOST:PORT | --dns HOST:PORT) [--ca FILE] --status open|closed
//                     [--note TEXT] [--contact URI] [--activity A] [--expires N] [--duration S]
//                     [--user NAME --password PW]
//
// --dns HOST:PORT sends the PUBLISH where the --from domain resolves by RFC 3263
// (NAPTR, SRV, A/AAAA asked of that DNS server), the next target after a transport
// error, a timeout or a 503. --via is another name for --server. Over tls: the server's certificate must name the
// domain of --from (RFC 5922), chained to --ca or the system's CAs.
// Publishes, keeps the publication refreshed (SIP-If-Match) for --duration seconds
// (default 0: publish once), then removes it (Expires: 0). Prints one line per
// outcome: "published ETAG expires N", "failed STATUS", "removed". SIGINT or SIGTERM
// removes the publication early (a second one quits at once). Exit 0 when it was
// published and removed, 1 otherwise.
//
// Written as one C++20 coroutine (event_agent::async_publish and async_unpublish with
// asio::use_awaitable), to show the completion-token form of the agent.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "../common/locate.hpp"
#include "../common/net.hpp"
#include "../common/tls.hpp"
#include "../common/cli.hpp"
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "sipevents/agent/event_agent.hpp"
#include "sipevents/presence/pidf.hpp"

namespace ev = sipevents::events;
namespace pr = sipevents::presence;
namespace sa = sipevents::agent;
namespace st = sipevents::transport;
using sipevents::transaction::peer;

namespace {
}  // namespace

int main(int argc, char** argv) {
  std::string from, server, dns, status, note, contact, activity;
  std::uint32_t expires = 3600;
  double duration = 0;
  tools::login login;
  tools::tls_options tls;
  tools::cli cli("sipevents-publish", "Publish presence: RFC 3903 PUBLISH of a PIDF document, refreshed, then removed.");
  CLI::App& app = cli.app();
  app.add_option("--from", from, "The presentity's URI")->required()->check(tools::sip_uri());
  auto* srv_opt = app.add_option("--server,--via", server, "The presence server at udp|tcp|tls:HOST:PORT")
                      ->check(tools::transport_address());
  app.add_option("--dns", dns, "Locate the --from domain by RFC 3263, asking the DNS server at HOST:PORT")
      ->check(tools::host_port())
      ->excludes(srv_opt);
  tls.add_ca(app);
  app.add_option("--status", status, "Basic status")->required()->check(CLI::IsMember({"open", "closed"}));
  app.add_option("--note", note, "A note on the tuple");
  app.add_option("--contact", contact, "The tuple's contact URI")->check(tools::sip_uri());
  app.add_option("--activity", activity, "An RPID activity (away, busy, on-the-phone, ...)")
      ->check(CLI::Validator(
          [](std::string& a) -> std::string {
            pr::activity act{};
            return pr::parse_activity(a, act) ? std::string() : a + " is not an RPID activity";
          },
          "ACTIVITY"));
  app.add_option("--expires", expires, "Publication duration asked, in seconds")->check(tools::within<std::uint32_t>(1, 4294967295u));
  app.add_option("--duration", duration, "Keep it refreshed for S seconds, then remove it (0: publish once)")
      ->check(tools::within<double>(0, 31536000));
  login.add(app);
  if (int rc = cli.parse(argc, argv); rc >= 0) return rc;
  if (server.empty() && dns.empty()) return cli.refuse("--server or --dns is required");
  peer srv;
  std::vector<peer> fallbacks;  // RFC 3263 4.3: the other located targets, in order
  if (std::string err; !dns.empty() && !tools::locate_outbound(dns, from, srv, fallbacks, err)) {
    std::fprintf(stderr, "sipevents-publish: %s\n", err.c_str());
    return 1;
  } else if (dns.empty()) {
    sipevents::transaction::parse_peer(server, srv);  // checked by the option
  }
  pr::activity act{};
  if (!activity.empty()) pr::parse_activity(activity, act);

  pr::presence_document doc;
  doc.entity = from;
  pr::tuple t;
  t.id = "sipevents-publish";
  t.basic = status == "open" ? pr::basic_status::open : pr::basic_status::closed;
  if (!contact.empty()) t.contact = pr::contact_address{contact, {}};
  if (!note.empty()) t.notes.push_back({note, {}});
  doc.tuples.push_back(t);
  if (!activity.empty()) {
    pr::person p;
    p.id = "p1";
    p.activities.push_back(act);
    doc.persons.push_back(p);
  }

  tools::expect_name(srv, from);
  st::runtime rt;
  login.attach(rt);
  if (std::string err; !tls.attach(rt, err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  rt.set_log([](st::log_level l, std::string_view s) {
    if (l >= st::log_level::warning) std::fprintf(stderr, "%.*s\n", int(s.size()), s.data());
  });
  std::string local = tools::local_address_for(srv.host);
  if (auto ec = rt.listen(tools::listen_kind(srv) + ":" + tools::bracket(local) + ":0")) {
    std::fprintf(stderr, "listen: %s\n", ec.message().c_str());
    return 1;
  }
  sa::agent_config cfg;
  cfg.outbound = srv;
  cfg.fallbacks = fallbacks;
  sa::event_agent agent(rt, cfg);
  ev::publish_params p;
  p.from = from;
  p.expires = expires;
  asio::steady_timer until(rt.context());
  bool published = false, leaving = false;
  int rc = 1;
  // Every outcome is a line, the refreshes' too.
  auto print = [&](std::uint64_t, const ev::publisher_event& e) {
    using K = ev::publisher_event::kind;
    if (e.what == K::published) {
      std::printf("published %s expires %u\n", e.etag.c_str(), e.expires);
    } else if (e.what == K::failed) {
      std::printf("failed %u%s\n", e.status, e.retrying ? " (retrying)" : "");
      if (published && !e.retrying) until.cancel();  // lost: nothing left to keep
    } else if (e.what == K::removed) {
      std::printf("removed\n");
    }
    std::fflush(stdout);
  };
  // The tool's whole life in order: publish, keep it for --duration (the agent
  // refreshes it), remove it. Errors come back in `ec`, not as exceptions.
  asio::co_spawn(
      rt.context(),
      [&]() -> asio::awaitable<void> {
        std::error_code ec;
        auto [id, first] = co_await agent.async_publish(p, std::string(pr::pidf_type), pr::encode(doc), print,
                                                        asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
          published = true;
          if (!leaving) {
            until.expires_after(std::chrono::milliseconds(long(duration * 1000)));
            co_await until.async_wait(asio::redirect_error(asio::use_awaitable, ec));  // SIGINT cancels it
          }
          co_await agent.async_unpublish(id, asio::redirect_error(asio::use_awaitable, ec));
          rc = ec ? 1 : 0;
        }
        rt.stop();
      },
      asio::detached);
  // A publisher stopped by its user takes its state with it instead of leaving it to
  // expire; a second signal, or one before anything was published, quits at once.
  asio::signal_set signals(rt.context(), SIGINT, SIGTERM);
  std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int) {
    if (ec) return;
    if (leaving || !published) {
      rt.stop();
      return;
    }
    leaving = true;
    until.cancel();
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  rt.run();
  return rc;
}
