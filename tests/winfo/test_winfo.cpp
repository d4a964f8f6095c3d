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
