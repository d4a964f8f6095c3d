// Watcher information (RFC 3857/3858): the watcherinfo codec on the RFCs' documents,
// the package's watcher list as the notifier's events move it, and who may see it.
#include <catch2/catch.hpp>


#include "../events/events_support.hpp"
#include "sipevents/winfo/winfo_package.hpp"

using namespace evtest;
namespace wi = sipevents::winfo;

namespace {
std::string example(const std::string& name) { return shared_example(name); }
wi::watcherinfo parse(std::string_view text) {
  wi::watcherinfo d;
  std::string err;
  const bool ok = wi::decode(text, d, &err);
  INFO(err);
  REQUIRE(ok);
  return d;
}
}  // namespace

TEST_CASE("watcherinfo: the RFC 3858 and RFC 3857 documents decode and round-trip") {
  for (const char* name : {"3858-watcherinfo-example.xml", "3857-example-body-watcherinfo-full.xml",
                           "3857-example-body-watcherinfo-partial.xml", "3857-presence-auth-body-watcherinfo.xml"}) {
    INFO(name);
    auto d = parse(example(name));
    CHECK(parse(wi::encode(d)) == d);
  }
  auto d = parse(example("3858-watcherinfo-example.xml"));
  CHECK(d.version == 0);
  CHECK(d.full);
  REQUIRE(d.lists.size() == 1);
  CHECK(d.lists[0].resource == "sip:professor@example.net");
  CHECK(d.lists[0].package == "presence");
  REQUIRE(d.lists[0].watchers.size() == 2);
  CHECK(d.lists[0].watchers[0].status == wi::watcher_status::active);
  CHECK(d.lists[0].watchers[0].event == wi::watcher_event::approved);
  CHECK(d.lists[0].watchers[0].duration_subscribed == 509u);
  CHECK(d.lists[0].watchers[1].display_name == "Mr. Subscriber");
  CHECK(d.lists[0].watchers[1].uri == "sip:userB@example.org");
  CHECK_FALSE(parse(example("3857-example-body-watcherinfo-partial.xml")).full);
}

TEST_CASE("watcherinfo: what RFC 3858 does not allow is refused with the reason") {
  auto refused = [](std::string_view xml, std::string_view why) {
    wi::watcherinfo d;
    std::string err;
    CHECK_FALSE(wi::decode(xml, d, &err));
    CHECK(err.find(why) != std::string::npos);
  };
  const std::string head = "<watcherinfo xmlns=\"urn:ietf:params:xml:ns:watcherinfo\" version=\"0\" state=\"full\">";
  refused("<watcherinfo", "not XML");
  refused("<watcherinfo xmlns=\"urn:ietf:params:xml:ns:watcherinfo\" state=\"full\"/>", "version");
  refused(head + "<watcher-list package=\"presence\"/></watcherinfo>", "resource or package");
  refused(head + "<watcher-list resource=\"sip:a@b\" package=\"presence\"><watcher status=\"active\" "
                 "event=\"approved\">sip:c@d</watcher></watcher-list></watcherinfo>",
          "without id");
  refused(head + "<watcher-list resource=\"sip:a@b\" package=\"presence\"><watcher id=\"1\" status=\"sleeping\" "
                 "event=\"approved\">sip:c@d</watcher></watcher-list></watcherinfo>",
          "status sleeping");
  refused(head + "<watcher-list resource=\"sip:a@b\" package=\"presence\"><watcher id=\"1\" status=\"active\" "
                 "event=\"hello\">sip:c@d</watcher></watcher-list></watcherinfo>",
          "event hello");
  refused(head + "<watcher-list resource=\"sip:a@b\" package=\"presence\"><watcher id=\"1\" status=\"active\" "
                 "event=\"approved\" expiration=\"soon\">sip:c@d</watcher></watcher-list></watcherinfo>",
          "not a number");
  refused(head + "<watcher-list resource=\"sip:a@b\" package=\"presence\"><watcher id=\"1\" status=\"active\" "
                 "event=\"approved\"/></watcher-list></watcherinfo>",
          "without a URI");
}

TEST_CASE("winfo package: watchers come and go as the notifier reports them, versions per winfo subscription") {
  wi::winfo_package pkg;
  CHECK(pkg.name() == "presence.winfo");
  const std::string alice = "sip:alice@example.com";
  ev::watcher_view w{100, alice, alice, "", wi::watcherinfo_type, true, t0, {}};
  auto d0 = parse(pkg.state(w)->text);
  CHECK(d0.version == 0);
  REQUIRE(d0.lists.size() == 1);
  CHECK(d0.lists[0].watchers.empty());

  CHECK(pkg.subscribed(7, alice, "sip:bob@example.com", ev::sub_state::pending) == alice);
  CHECK_FALSE(pkg.subscribed(7, alice, "sip:bob@example.com", ev::sub_state::pending));  // a refresh
  auto d1 = parse(pkg.state(w)->text);
  CHECK(d1.version == 1);
  REQUIRE(d1.lists[0].watchers.size() == 1);
  CHECK(d1.lists[0].watchers[0].status == wi::watcher_status::pending);
  CHECK(d1.lists[0].watchers[0].event == wi::watcher_event::subscribe);
  CHECK(pkg.subscribed(7, alice, "sip:bob@example.com", ev::sub_state::active) == alice);  // approved
  auto d2 = parse(pkg.state(w)->text);
  CHECK(d2.lists[0].watchers[0].status == wi::watcher_status::active);
  CHECK(d2.lists[0].watchers[0].event == wi::watcher_event::approved);

  CHECK(pkg.terminated(7, ev::reason::rejected) == alice);
  CHECK_FALSE(pkg.terminated(7, ev::reason::rejected));
  auto d3 = parse(pkg.state(w)->text);
  CHECK(d3.lists[0].watchers[0].status == wi::watcher_status::terminated);
  CHECK(d3.lists[0].watchers[0].event == wi::watcher_event::rejected);
  // Shown once; gone at the next change.
  CHECK(pkg.subscribed(8, alice, "sip:carol@example.com", ev::sub_state::active) == alice);
  auto now = pkg.watchers(alice);
  REQUIRE(now.size() == 1);
  CHECK(now[0].uri == "sip:carol@example.com");
  CHECK(pkg.terminated(8, ev::reason::unsubscribed) == alice);
  CHECK(pkg.watchers(alice).at(0).event == wi::watcher_event::timeout);
  CHECK_FALSE(pkg.terminated(99, ev::reason::timeout));

  const std::string saved = pkg.save_watcher(100);
  pkg.restore_watcher(101, alice, saved, 3);
  ev::watcher_view w2{101, alice, alice, "", wi::watcherinfo_type, true, t0, {}};
  CHECK(parse(pkg.state(w2)->text).version == 7);
}

TEST_CASE("winfo package: ended watchers of resources that never change again are bounded") {
  wi::winfo_config cfg;
  cfg.max_terminated = 3;
  wi::winfo_package pkg(cfg);
  for (std::uint64_t i = 1; i <= 10; ++i) {
    const std::string r = "sip:u" + std::to_string(i) + "@example.com";
    pkg.subscribed(i, r, "sip:w@example.com", ev::sub_state::active);
    pkg.terminated(i, ev::reason::timeout);
  }
  std::size_t kept = 0;
  for (std::uint64_t i = 1; i <= 10; ++i) kept += pkg.watchers("sip:u" + std::to_string(i) + "@example.com").size();
  CHECK(kept == 3);
  CHECK(pkg.watchers("sip:u10@example.com").size() == 1);  // the newest stay
  CHECK(pkg.watchers("sip:u1@example.com").empty());
}

TEST_CASE("winfo package: only the presentity sees her watchers") {
  ev::authorization_request r;
  r.package = "presence.winfo";
  r.resource = "sip:alice@example.com";
  r.watcher = "sip:alice@example.com";
  CHECK(wi::own_watchers_only(r) == ev::authorization::accept);
  r.watcher = "sip:bob@example.com";
  CHECK(wi::own_watchers_only(r) == ev::authorization::deny);
  r.identity = "sip:alice@example.com";  // the authenticated identity counts, not From
  CHECK(wi::own_watchers_only(r) == ev::authorization::accept);
  r.watcher = "not a uri";
  r.identity = "";
  CHECK(wi::own_watchers_only(r) == ev::authorization::deny);
}

TEST_CASE("winfo: the ask policy: a new watcher is pending, the presentity sees it, the application decides") {
  tokens ids;
  test_package presence;
  presence.state_of["sip:alice@example.com"] = "alice-open";
  wi::winfo_package winfo;
  ev::subscription_server server(ids.source(), {{}, "sip:ps@192.0.2.9"},
                                 {.authorize = [](const ev::authorization_request& r) {
                                   return r.package == "presence.winfo" ? wi::own_watchers_only(r) : wi::ask(r);
                                 }});
  server.add_package(presence);
  server.add_package(winfo);
  std::map<std::string, std::unique_ptr<ev::subscription_client>> clients;
  std::map<std::string, std::vector<ev::client_event>> heard;  // NOTIFYs and states per subscriber
  std::map<std::string, std::uint64_t> in_flight;
  std::uint64_t txn = 0;
  auto pump = [&](ev::time_point now) {
    for (bool again = true; again;) {
      again = false;
      for (auto& [who, c] : clients)
        for (auto& e : drain(*c)) {
          if (e.what == ev::client_event::kind::send) {
            in_flight[who] = e.request.key;
            server.on_subscribe(++txn, wire(e.request), now);
            again = true;
          } else {
            heard[who].push_back(e);
          }
        }
      for (auto& e : drain(server)) {
        again = true;
        if (e.what == ev::server_event::kind::subscribed || e.what == ev::server_event::kind::terminated) {
          // The glue of every notifier: winfo follows the presence subscriptions.
          std::optional<std::string> changed;
          if (e.what == ev::server_event::kind::terminated) changed = winfo.terminated(e.sub, e.why);
          else if (auto d = server.describe(e.sub); d && d->package == "presence")
            changed = winfo.subscribed(e.sub, d->resource, d->watcher, e.state);
          if (changed) server.changed("presence.winfo", *changed, now);
          continue;
        }
        if (e.what == ev::server_event::kind::respond) {
          sm::message r = build(e.response);
          for (auto& [who, c] : clients)
            if (c->call_id() == r.call_id()) c->on_response(in_flight[who], r, now);
          continue;
        }
        sm::message n = wire(e.request, "192.0.2.9");
        for (auto& [who, c] : clients)
          if (c->matches(n)) server.on_response(e.request.key, answer(n, c->on_notify(n, now), ""), now);
      }
    }
  };
  auto watch = [&](const std::string& who, std::string event) {
    ev::subscribe_params p;
    p.event = std::move(event);
    p.from = "sip:" + who + "@example.com";
    p.to = "sip:alice@example.com";
    p.contact = "sip:" + who + "@192.0.2.1";
    p.expires = 600;
    auto c = std::make_unique<ev::subscription_client>(p, ids.source(), ev::client_config{},
                                                       p.event == "presence.winfo" ? static_cast<ev::package*>(&winfo)
                                                                                   : &presence);
    c->start(t0);
    clients[who] = std::move(c);
  };
  auto last_winfo = [&] {
    for (auto it = heard["alice"].rbegin(); it != heard["alice"].rend(); ++it)
      if (it->what == ev::client_event::kind::notify && it->body.ok)
        return std::any_cast<wi::watcherinfo>(it->body.state);
    FAIL("alice heard no watcherinfo");
    return wi::watcherinfo{};
  };
  auto last_state = [&](const std::string& who) {
    ev::sub_state s = ev::sub_state::init;
    for (const auto& e : heard[who])
      if (e.what == ev::client_event::kind::state || e.what == ev::client_event::kind::notify) s = e.state;
    return s;
  };

  watch("alice", "presence.winfo");
  pump(t0);
  CHECK(last_winfo().lists[0].watchers.empty());
  watch("bob", "presence");
  pump(t0 + 1s);
  CHECK(last_state("bob") == ev::sub_state::pending);
  auto w = last_winfo().lists[0].watchers;
  REQUIRE(w.size() == 1);
  CHECK(w[0].uri == "sip:bob@example.com");
  CHECK(w[0].status == wi::watcher_status::pending);
  CHECK(w[0].event == wi::watcher_event::subscribe);
  // alice's application approves bob, by the id her watcherinfo gave.
  auto bob_sub = wi::subscription_of(w[0]);
  REQUIRE(bob_sub);
  CHECK(server.authorize(*bob_sub, ev::authorization::accept, t0 + 2s));
  pump(t0 + 2s);
  CHECK(last_state("bob") == ev::sub_state::active);
  std::string bob_saw;
  for (const auto& e : heard["bob"])
    if (e.what == ev::client_event::kind::notify && e.body.ok) bob_saw = std::any_cast<std::string>(e.body.state);
  CHECK(bob_saw == "full:alice-open");
  w = last_winfo().lists[0].watchers;
  REQUIRE(w.size() == 1);
  CHECK(w[0].status == wi::watcher_status::active);
  CHECK(w[0].event == wi::watcher_event::approved);

  // carol is pending too, and alice rejects her.
  watch("carol", "presence");
  pump(t0 + 3s);
  w = last_winfo().lists[0].watchers;
  REQUIRE(w.size() == 2);
  CHECK(w[1].status == wi::watcher_status::pending);
  CHECK(server.authorize(*wi::subscription_of(w[1]), ev::authorization::reject, t0 + 4s));
  pump(t0 + 4s);
  CHECK(last_state("carol") == ev::sub_state::terminated);
  w = last_winfo().lists[0].watchers;
  REQUIRE(w.size() == 2);
  CHECK(w[1].uri == "sip:carol@example.com");
  CHECK(w[1].status == wi::watcher_status::terminated);
  CHECK(w[1].event == wi::watcher_event::rejected);
  // Another domain is refused outright; an id that is no number names nothing.
  ev::authorization_request r{"presence", "sip:alice@example.com", "sip:eve@elsewhere.org", nullptr, {}};
  CHECK(wi::ask(r) == ev::authorization::deny);
  CHECK_FALSE(wi::subscription_of(wi::watcher{"x1", "sip:x@h", {}, {}, {}, {}, {}}));
}
