// RFC 3680: reginfo+xml, the reg package on both sides, and the welcome-notice flow
// in-process with a fake clock.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../events/events_support.hpp"
#include "sipevents/pager/pager.hpp"
#include "sipevents/reg/reg_package.hpp"
#include "support.hpp"

using namespace evtest;
namespace rg = sipevents::reg;
namespace sr = sipevents::registrar;

namespace {

std::string example(const std::string& name) {
  return testsupport::read_file(testsupport::shared_dir() / "testdata" / "examples" / name);
}

sm::message example_msg(const std::string& name) {
  sm::message m;
  REQUIRE_FALSE(sm::parse_datagram(example(name), m));
  return m;
}

bool schema_valid(const std::string& xml) { return testsupport::schema_valid(xml, "3680-reginfo.xsd"); }

}  // namespace

TEST_CASE("reginfo: the RFC 3680 examples decode with every field") {
  rg::reginfo d;
  std::string err;
  REQUIRE(rg::decode(example("3680-reginfo-example.xml"), d, &err));
  CHECK(d.version == 0);
  CHECK(d.full);
  REQUIRE(d.registrations.size() == 1);
  const auto& r = d.registrations[0];
  CHECK(r.aor == "sip:user@example.com");
  CHECK(r.id == "as9");
  CHECK(r.state == "active");
  REQUIRE(r.contacts.size() == 2);
  CHECK(r.contacts[0].id == "76");
  CHECK(r.contacts[0].event == "registered");
  CHECK(r.contacts[0].duration_registered == 7322u);
  CHECK(r.contacts[0].q == "0.8");
  CHECK(r.contacts[0].uri == "sip:user@pc887.example.com");
  CHECK(r.contacts[1].state == "terminated");
  CHECK(r.contacts[1].event == "expired");
  // xsi is a namespace declaration, not data.
  CHECK(d.attributes.empty());

  REQUIRE(rg::decode(example("3680-welcome-f3-body-reginfo-full.xml"), d, &err));
  CHECK(d.registrations.at(0).state == "init");
  CHECK(d.registrations.at(0).contacts.empty());
  REQUIRE(rg::decode(example("3680-welcome-f7-body-reginfo-partial.xml"), d, &err));
  CHECK_FALSE(d.full);
  CHECK(d.version == 1);
  CHECK(d.registrations.at(0).contacts.at(0).uri == "sip:joe@pc34.example.com");
}

TEST_CASE("reginfo: round trip keeps every field, extensions and foreign attributes - output validates") {
  rg::reginfo d;
  d.version = 7;
  d.full = false;
  rg::registration_info r;
  r.aor = "sip:joe@example.com";
  r.id = "a7";
  r.state = "active";
  rg::contact_info c;
  c.id = "76";
  c.event = "shortened";
  c.expires = 60;
  c.duration_registered = 10;
  c.retry_after = 5;
  c.q = "0.5";
  c.callid = "c&<1>";
  c.cseq = 3;
  c.uri = "sip:joe@pc34.example.com;transport=tcp";
  c.display_name = "Joe \"J\" <x>";
  c.display_lang = "en";
  c.unknown_params = {{"+sip.instance", "\"<urn:uuid:1>\""}, {"video", std::nullopt}};
  c.attributes = {{"received", "sip:192.0.2.4:5060"}};
  c.elements = {{{}, "<ex:note xmlns:ex=\"urn:example:ext\">hi</ex:note>"}};
  r.contacts.push_back(c);
  d.registrations.push_back(r);
  std::string xml = rg::encode(d);
  rg::reginfo back;
  std::string err;
  REQUIRE(rg::decode(xml, back, &err));
  CHECK(rg::encode(back) == xml);
  const auto& bc = back.registrations.at(0).contacts.at(0);
  CHECK(bc.display_name == c.display_name);
  CHECK(bc.callid == "c&<1>");
  CHECK(bc.unknown_params.size() == 2);
  CHECK_FALSE(bc.unknown_params[1].value);
  CHECK(bc.attributes.at(0).name == "received");
  CHECK(bc.elements.at(0).text.find("urn:example:ext") != std::string::npos);
  // The schema has no anyAttribute: unqualified foreign attributes (Kamailio's) are
  // kept for the round trip but are not valid RFC 3680, so validate without them.
  back.registrations[0].contacts[0].attributes.clear();
  CHECK(schema_valid(rg::encode(back)));
}

TEST_CASE("reginfo: any prefix for our namespace - an extension keeps the declaration of its prefix") {
  std::string xml =
      "<?xml version=\"1.0\"?>\n<r:reginfo xmlns:r=\"urn:ietf:params:xml:ns:reginfo\" xmlns:ex=\"urn:example:ext\" "
      "version=\"3\" state=\"full\"><r:registration aor=\"sip:a@b\" id=\"1\" state=\"active\">"
      "<r:contact id=\"c\" state=\"active\" event=\"registered\"><r:uri>sip:a@192.0.2.1</r:uri><ex:tag>1</ex:tag>"
      "</r:contact></r:registration></r:reginfo>";
  rg::reginfo d;
  REQUIRE(rg::decode(xml, d));
  CHECK(d.version == 3);
  const auto& c = d.registrations.at(0).contacts.at(0);
  CHECK(c.uri == "sip:a@192.0.2.1");
  REQUIRE(c.elements.size() == 1);
  CHECK(c.elements[0].text.find("xmlns:ex=\"urn:example:ext\"") != std::string::npos);
  CHECK(schema_valid(rg::encode(d)));
  // Not reginfo, or broken: refused with a reason.
  std::string err;
  CHECK_FALSE(rg::decode("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"/>", d, &err));
  CHECK_FALSE(err.empty());
  CHECK_FALSE(rg::decode("<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"x\" state=\"full\"/>", d, &err));
  CHECK_FALSE(rg::decode("<reginfo", d, &err));
}

TEST_CASE("reg package, notifier side: full state, then one partial document per change, versions +1") {
  int ids = 0;
  sr::registrar reg([&](std::size_t) { return "b" + std::to_string(++ids); });
  rg::reg_package pkg(reg);
  ev::watcher_view w{1, "sip:joe@example.com", "sip:app.example.com", "", "application/reginfo+xml", true, t0, {}};
  auto doc = [&](bool first, ev::time_point now) {
    w.first = first;
    w.now = now;
    auto b = pkg.state(w);
    REQUIRE(b);
    CHECK(schema_valid(b->text));
    rg::reginfo d;
    REQUIRE(rg::decode(b->text, d));
    return d;
  };
  auto d0 = doc(true, t0);
  CHECK(d0.full);
  CHECK(d0.version == 0);
  CHECK(d0.registrations.at(0).state == "init");

  sm::message f5 = example_msg("3680-welcome-f5-register.sip");
  sm::message ok;
  REQUIRE_FALSE(reg.on_register(f5, t0 + 1s).build(ok));
  REQUIRE(ok.status() == 200);
  sr::binding_change ch;
  while (reg.poll(ch)) CHECK(pkg.apply(ch) == "sip:joe@example.com");
  auto d1 = doc(false, t0 + 1s);
  CHECK_FALSE(d1.full);
  CHECK(d1.version == 1);
  const auto& r1 = d1.registrations.at(0);
  CHECK(r1.state == "active");
  REQUIRE(r1.contacts.size() == 1);
  CHECK(r1.contacts[0].state == "active");
  CHECK(r1.contacts[0].event == "registered");
  CHECK(r1.contacts[0].uri == "sip:joe@pc34.example.com");
  CHECK(r1.contacts[0].duration_registered == 0u);
  CHECK(r1.contacts[0].expires == 3600u);

  reg.advance(t0 + 1s + 3600s);
  while (reg.poll(ch)) pkg.apply(ch);
  auto d2 = doc(false, t0 + 3601s);
  CHECK(d2.version == 2);
  CHECK(d2.registrations.at(0).state == "terminated");
  CHECK(d2.registrations.at(0).contacts.at(0).event == "expired");
  CHECK(d2.registrations.at(0).contacts.at(0).state == "terminated");
  // A refresh asks for full state again.
  auto d3 = doc(true, t0 + 3602s);
  CHECK(d3.full);
  CHECK(d3.version == 3);
  CHECK(d3.registrations.at(0).state == "init");
  CHECK(d3.registrations.at(0).id == d0.registrations.at(0).id);
}

TEST_CASE("reg view: full then partial - a gap or a partial first asks for full state - Kamailio's version 0") {
  rg::reg_view v;
  std::vector<rg::contact_change> ch;
  rg::reginfo partial;
  REQUIRE(rg::decode(example("3680-welcome-f7-body-reginfo-partial.xml"), partial));
  CHECK(v.apply(partial, ch) == rg::reg_view::result::need_full);
  rg::reginfo full;
  REQUIRE(rg::decode(example("3680-welcome-f3-body-reginfo-full.xml"), full));
  CHECK(v.apply(full, ch) == rg::reg_view::result::applied);
  CHECK(ch.empty());
  CHECK(v.apply(partial, ch) == rg::reg_view::result::applied);
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].active);
  CHECK(ch[0].aor == "sip:joe@example.com");
  CHECK(ch[0].contact.uri == "sip:joe@pc34.example.com");
  // Version 1 again: a gap (expected 2).
  ch.clear();
  CHECK(v.apply(partial, ch) == rg::reg_view::result::need_full);
  // Full documents with version 0 every time (Kamailio): each is taken, changes reported.
  rg::reginfo k;
  REQUIRE(rg::decode(example("3680-reginfo-example.xml"), k));
  CHECK(v.apply(k, ch) == rg::reg_view::result::applied);
  // joe's contact is gone (not in the new full state), user's 76 became active.
  bool joe_gone = false, user_active = false;
  for (const auto& c : ch) {
    joe_gone = joe_gone || (c.aor == "sip:joe@example.com" && !c.active);
    user_active = user_active || (c.aor == "sip:user@example.com" && c.active && c.contact.id == "76");
  }
  CHECK(joe_gone);
  CHECK(user_active);
  ch.clear();
  CHECK(v.apply(k, ch) == rg::reg_view::result::applied);
  CHECK(ch.empty());
}

TEST_CASE("welcome notice in-process: SUBSCRIBE reg, init NOTIFY, REGISTER, active NOTIFY, MESSAGE to the contact") {
  tokens cids, sids;
  int bids = 0;
  sr::registrar registrar([&](std::size_t) { return "b" + std::to_string(++bids); });
  rg::reg_package server_pkg(registrar);
  ev::server_config scfg;
  scfg.contact = "sip:server19.example.com";
  ev::subscription_server srv(sids.source(), scfg);
  srv.add_package(server_pkg);
  rg::reg_package decoder;
  ev::subscribe_params p{"reg", "", "sip:app.example.com", "sip:joe@example.com", "", "sip:app.example.com",
                         {"application/reginfo+xml"}, 3600, {}};
  ev::subscription_client app(p, cids.source(), {}, &decoder);
  rg::reg_view view;
  std::vector<rg::contact_change> changes;
  std::vector<std::string> states;

  auto deliver_notifies = [&](ev::time_point now) {
    ev::server_event se;
    while (srv.poll(se)) {
      if (se.what != ev::server_event::kind::send) continue;
      sm::message n = wire(se.request, "server19.example.com");
      std::uint16_t st = app.on_notify(n, now);
      srv.on_response(se.request.key, answer(n, st, ""), now);
      ev::client_event ce;
      while (app.poll(ce)) {
        if (ce.what != ev::client_event::kind::notify) continue;
        REQUIRE(ce.body.ok);
        const auto& doc = std::any_cast<const rg::reginfo&>(ce.body.state);
        states.push_back(doc.registrations.at(0).state);
        CHECK(view.apply(doc, changes) == rg::reg_view::result::applied);
      }
    }
  };

  app.start(t0);
  ev::client_event ce;
  REQUIRE(app.poll(ce));
  sm::message sub = wire(ce.request, "app.example.com");
  srv.on_subscribe(1, sub, t0);
  ev::server_event se;
  REQUIRE(srv.poll(se));
  REQUIRE(se.what == ev::server_event::kind::respond);
  app.on_response(ce.request.key, build(se.response), t0);
  deliver_notifies(t0);
  CHECK(states == std::vector<std::string>{"init"});

  sm::message ok;
  REQUIRE_FALSE(registrar.on_register(example_msg("3680-welcome-f5-register.sip"), t0 + 5s).build(ok));
  sr::binding_change bc;
  while (registrar.poll(bc)) srv.changed("reg", server_pkg.apply(bc), t0 + 5s);
  deliver_notifies(t0 + 5s);
  CHECK(states == std::vector<std::string>{"init", "active"});
  REQUIRE(changes.size() == 1);
  REQUIRE(changes[0].active);

  // The application's answer to "contact became active": the welcome MESSAGE (RFC 3680 F9).
  sipevents::transaction::transaction_layer ids;
  sipevents::pager::pager_client pc(ids);
  sipevents::pager::page pg;
  pg.from = "sip:app.example.com";
  pg.to = changes[0].aor;
  pg.request_uri = changes[0].contact.uri;
  pg.body = "Welcome to the example.com service!";
  auto mb = pc.build(pg);
  mb.header(sm::hdr::via, "SIP/2.0/UDP app.example.com;branch=z9hG4bKw");
  sm::message msg = build(mb);
  sm::message f9 = example_msg("3680-welcome-f9-message.sip");
  CHECK(msg.request_uri().text == f9.request_uri().text);
  CHECK(msg.to().addr.text == f9.to().addr.text);
  CHECK(msg.body() == "Welcome to the example.com service!");
}
