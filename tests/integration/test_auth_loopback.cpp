// Digest authentication on real runtimes over loopback: the runtime answers 401/407
// below every usage (a page, SUBSCRIBE and its refreshes, NOTIFY to a watcher that
// challenges), resends with the next CSeq, and answers ahead once it knows the realm.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "counter_package.hpp"
#include "sipevents/agent/event_agent.hpp"
#include "sipevents/auth/digest_server.hpp"
#include "sipevents/crypto/openssl_crypto.hpp"
#include "sipevents/pager/pager.hpp"
#include "sipevents/transport/runtime.hpp"

namespace st = sipevents::transport;
namespace sm = sipevents::message;
namespace ev = sipevents::events;
namespace sa = sipevents::agent;
namespace au = sipevents::auth;
using sipevents::transaction::peer;

namespace {

au::crypto& crypto() { return sipevents::crypto::default_crypto(); }

struct realm_users {
  std::map<std::string, au::secret, std::less<>> table{{"alice", {"alice", "wonderland", {}}},
                                                       {"notifier", {"notifier", "n0t1fy", {}}}};
  au::user_lookup lookup() {
    return [this](std::string_view u) -> const au::secret* {
      auto it = table.find(u);
      return it == table.end() ? nullptr : &it->second;
    };
  }
};

using testsupport::counter_package;

/// Counts requests of each method as the runtime logs their arrival.
struct arrivals {
  std::map<std::string, int> n;
  st::runtime::log_sink sink() {
    return [this](st::log_level, std::string_view s) {
      for (const char* m : {"MESSAGE", "SUBSCRIBE", "NOTIFY"})
        if (s.rfind(std::string(m) + " ", 0) == 0) ++n[m];
    };
  }
};

template <class Done>
void settle(asio::io_context& io, Done done) {
  io.restart();
  for (int i = 0; i < 500 && !done(); ++i) io.run_for(std::chrono::milliseconds(10));
}

}  // namespace

TEST_CASE("a page is answered after one 407, the next one up front") {
  asio::io_context io;
  st::runtime client(io), server(io);
  peer srv;
  REQUIRE_FALSE(server.listen("udp:127.0.0.1:0", &srv));
  REQUIRE_FALSE(client.listen("udp:127.0.0.1:0"));
  realm_users users;
  au::server_auth_config cfg;
  cfg.realm = "example.com";
  au::digest_server authn(crypto(), users.lookup(), cfg);
  server.set_authenticator(&authn);
  arrivals seen;
  server.set_log(seen.sink());
  std::vector<std::string> identities;
  server.on_request("MESSAGE", [&](st::incoming_request& r) {
    identities.push_back(r.identity);
    server.respond(r, 200, "OK");
  });
  int asked = 0;
  au::digest_client creds(crypto(), [&](std::string_view realm, const sm::message&) -> std::optional<au::secret> {
    ++asked;
    CHECK(realm == "example.com");
    return au::secret{"alice", "wonderland", {}};
  });
  client.set_credentials(&creds);
  sipevents::pager::pager_client pc(client.layer());
  auto page = [&] {
    sipevents::pager::page pg;
    pg.from = "sip:alice@example.com";
    pg.to = "sip:bob@example.com";
    pg.body = "hi";
    std::optional<st::request_result> res;
    client.send_request(pc.build(pg), srv, [&](const st::request_result& r) { res = r; });
    settle(io, [&] { return res.has_value(); });
    REQUIRE(res);
    return *res;
  };
  st::request_result r1 = page();
  CHECK(r1.status == 200);
  CHECK(r1.cseq == 2);  // the resend after the 407
  CHECK(seen.n["MESSAGE"] == 2);
  st::request_result r2 = page();
  CHECK(r2.status == 200);
  CHECK(r2.cseq == 1);  // a new page: its own CSeq, answered ahead
  CHECK(seen.n["MESSAGE"] == 3);
  CHECK(asked == 1);
  CHECK(identities == std::vector<std::string>{"sip:alice@example.com", "sip:alice@example.com"});

  SECTION("a wrong password ends with the 407 delivered, after one resend") {
    au::digest_client wrong(crypto(), [](std::string_view, const sm::message&) -> std::optional<au::secret> {
      return au::secret{"alice", "wrong", {}};
    });
    client.set_credentials(&wrong);
    st::request_result r = page();
    CHECK(r.status == 407);
    REQUIRE(r.response);
    CHECK(r.response->find(sm::hdr::proxy_authenticate));
    CHECK(seen.n["MESSAGE"] == 5);
  }
}

TEST_CASE("SUBSCRIBE, its refreshes and NOTIFYs to a watcher that challenges, all authenticated") {
  asio::io_context io;
  st::runtime notifier_rt(io), watcher_rt(io);
  peer srv, cli;
  REQUIRE_FALSE(notifier_rt.listen("udp:127.0.0.1:0", &srv));
  REQUIRE_FALSE(watcher_rt.listen("udp:127.0.0.1:0", &cli));
  realm_users users;
  // The notifier challenges SUBSCRIBE; the watcher challenges NOTIFY (its own realm).
  au::server_auth_config ncfg;
  ncfg.realm = "example.com";
  au::digest_server notifier_auth(crypto(), users.lookup(), ncfg);
  notifier_rt.set_authenticator(&notifier_auth);
  au::server_auth_config wcfg;
  wcfg.realm = "watcher.example.com";
  wcfg.methods = {{"NOTIFY", au::auth_mode::www}};
  wcfg.algorithms = {sm::digest_algorithm::sha256};
  au::digest_server watcher_auth(crypto(), users.lookup(), wcfg);
  watcher_rt.set_authenticator(&watcher_auth);
  au::digest_client watcher_creds(crypto(), [](std::string_view, const sm::message&) {
    return std::optional<au::secret>(au::secret{"alice", "wonderland", {}});
  });
  watcher_rt.set_credentials(&watcher_creds);
  au::digest_client notifier_creds(crypto(), [](std::string_view realm, const sm::message&) {
    CHECK(realm == "watcher.example.com");
    return std::optional<au::secret>(au::secret{"notifier", "n0t1fy", {}});
  });
  notifier_rt.set_credentials(&notifier_creds);
  arrivals at_notifier, at_watcher;
  notifier_rt.set_log(at_notifier.sink());
  watcher_rt.set_log(at_watcher.sink());

  sa::agent_config scfg;
  scfg.server.contact = "sip:notifier@127.0.0.1:" + std::to_string(srv.port);
  std::vector<std::string> seen_identity;
  sa::event_agent notifier(notifier_rt, scfg, {.authorize = [&](const ev::authorization_request& r) {
                             seen_identity.emplace_back(r.identity);
                             return ev::authorization::accept;
                           }});
  counter_package pkg;
  notifier.add_package(pkg);

  sa::agent_config wcfg2;
  wcfg2.outbound = srv;
  sa::event_agent watcher(watcher_rt, wcfg2);
  ev::subscribe_params p;
  p.event = "x-count";
  p.from = "sip:alice@example.com";
  p.to = "sip:res@example.com";
  p.contact = "sip:alice@127.0.0.1:" + std::to_string(cli.port);
  std::vector<std::string> bodies;
  std::optional<ev::sub_state> state;
  std::uint64_t id = watcher.subscribe(p, [&](std::uint64_t, const ev::client_event& e) {
    if (e.what == ev::client_event::kind::notify) bodies.emplace_back(e.notify->body());
    if (e.what == ev::client_event::kind::state) state = e.state;
  });
  settle(io, [&] { return !bodies.empty() && state == ev::sub_state::active; });
  REQUIRE(bodies == std::vector<std::string>{"version 0"});
  CHECK(seen_identity == std::vector<std::string>{"sip:alice@example.com"});
  CHECK(at_notifier.n["SUBSCRIBE"] == 2);  // 401, then the answer
  CHECK(at_watcher.n["NOTIFY"] == 2);      // 401 from the watcher, then the answer

  // Changes: each NOTIFY answered ahead (nc + 1), one arrival each, and the dialog's
  // CSeq keeps rising past the resend's number.
  for (int v = 1; v <= 3; ++v) {
    pkg.version = v;
    notifier.changed("x-count", "sip:res@example.com");
    settle(io, [&] { return bodies.size() == static_cast<std::size_t>(v) + 1; });
  }
  CHECK(bodies.back() == "version 3");
  CHECK(at_watcher.n["NOTIFY"] == 5);

  // A refresh in the dialog: one SUBSCRIBE, answered ahead, CSeq above the resend.
  watcher.refresh(id);
  settle(io, [&] { return bodies.size() == 5; });
  CHECK(bodies.size() == 5);
  CHECK(at_notifier.n["SUBSCRIBE"] == 3);
  CHECK(notifier.notifier().size() == 1);
  watcher.unsubscribe(id);
  settle(io, [&] { return notifier.notifier().size() == 0; });
  CHECK(notifier.notifier().size() == 0);
  CHECK(at_notifier.n["SUBSCRIBE"] == 4);
}
