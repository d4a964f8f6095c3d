// The seed flows at the SIP layer (RFC 3856 and RFC 3680 examples as fixtures), and a
// subscriber and a notifier wired to each other without any transport.
#include "events_support.hpp"
#include "support.hpp"

using namespace evtest;

namespace {

sm::message fixture(const std::string& name) {
  std::string bytes = testsupport::read_file(testsupport::shared_dir() / "testdata" / "examples" / name);
  REQUIRE_FALSE(bytes.empty());
  sm::message m;
  sm::codec_error e = sm::parse_datagram(bytes, m);
  REQUIRE_FALSE(e);
  return m;
}

}  // namespace

TEST_CASE("RFC 3680 welcome flow, subscriber side: SUBSCRIBE, 200, full NOTIFY, partial NOTIFY") {
  tokens ids;
  ids.script = {"9987@app.example.com", "123aa9"};
  test_package reg;
  reg.token = "reg";
  reg.types = {"application/reginfo+xml"};
  ev::subscribe_params p{"reg", "", "sip:app.example.com", "sip:joe@example.com", "", "sip:app.example.com",
                         {"application/reginfo+xml"}, 3600, {}};
  ev::subscription_client c(p, ids.source(), {}, &reg);
  c.start(t0);
  auto sends = of_kind(drain(c), ev::client_event::kind::send);
  REQUIRE(sends.size() == 1);
  sm::message s = wire(sends[0].request);
  sm::message f1 = fixture("3680-welcome-f1-subscribe.sip");
  CHECK(s.request_uri().text == f1.request_uri().text);
  CHECK(s.call_id() == f1.call_id());
  CHECK(s.from().tag == f1.from().tag);
  CHECK(header(s, "Event") == header(f1, "Event"));
  CHECK(header(s, "Accept") == header(f1, "Accept"));

  c.on_response(sends[0].request.key, fixture("3680-welcome-f2-200-ok.sip"), t0 + 50ms);
  CHECK(c.on_notify(fixture("3680-welcome-f3-notify-full-init.sip"), t0 + 60ms) == 200);
  CHECK(c.leg_state("xyzygg") == ev::sub_state::active);
  CHECK(c.on_notify(fixture("3680-welcome-f7-notify-partial-active.sip"), t0 + 10s) == 200);
  auto notes = of_kind(drain(c), ev::client_event::kind::notify);
  REQUIRE(notes.size() == 2);
  CHECK(std::any_cast<std::string>(notes[0].body.state).find("state=\"init\"") != std::string::npos);
  CHECK(std::any_cast<std::string>(notes[1].body.state).find("state=\"active\"") != std::string::npos);
  // Refresh before the 3600 s of the 2xx: 30 s margin.
  CHECK(c.next_deadline() == t0 + 50ms + 3570s);
  // The same NOTIFY again (an old CSeq) is refused.
  CHECK(c.on_notify(fixture("3680-welcome-f3-notify-full-init.sip"), t0 + 11s) == 500);
}

TEST_CASE("RFC 3856 presence flow, subscriber side: 200, NOTIFY active with expires=599, answered 200") {
  tokens ids;
  ids.script = {"2010@watcherhost.example.com", "xfg9"};
  ev::subscribe_params p{"presence", "", "sip:user@example.com", "sip:resource@example.com", "",
                         "sip:user@watcherhost.example.com", {"application/pidf+xml"}, 600, {}};
  ev::subscription_client c(p, ids.source());
  c.start(t0);
  auto sends = of_kind(drain(c), ev::client_event::kind::send);
  REQUIRE(sends.size() == 1);
  c.on_response(sends[0].request.key, fixture("3856-f2-200-ok.sip"), t0);
  sm::message n = fixture("3856-f3-notify.sip");
  CHECK(c.on_notify(n, t0 + 1s) == 200);
  // Our answer to it is the RFC's f4: the NOTIFY's Via, From, To, Call-ID and CSeq.
  sm::message ours = answer(n, 200, "");
  sm::message f4 = fixture("3856-f4-200-ok.sip");
  CHECK(ours.from().tag == f4.from().tag);
  CHECK(ours.to().tag == f4.to().tag);
  CHECK(ours.cseq().seq == f4.cseq().seq);
  CHECK(ours.top_via()->branch == f4.top_via()->branch);
  CHECK(c.leg_state("ffd2") == ev::sub_state::active);
  CHECK(c.next_deadline() == t0 + 1s + 569s);
}

TEST_CASE("RFC 3856 presence flow, notifier side: the 200 and NOTIFY of the RFC") {
  tokens ids;
  ids.script = {"ffd2"};
  test_package pres;
  pres.state_of["sip:resource@example.com"] = "[PIDF Document]";
  ev::server_config cfg;
  cfg.contact = "sip:server.example.com";
  ev::subscription_server s(ids.source(), cfg);
  s.add_package(pres);
  s.on_subscribe(1, fixture("3856-f1-subscribe.sip"), t0);
  auto evs = drain(s);
  auto resp = of_kind(evs, ev::server_event::kind::respond);
  auto sends = of_kind(evs, ev::server_event::kind::send);
  REQUIRE(resp.size() == 1);
  REQUIRE(sends.size() == 1);
  sm::message ok = build(resp[0].response);
  sm::message f2 = fixture("3856-f2-200-ok.sip");
  CHECK(ok.status() == f2.status());
  CHECK(ok.to().tag == f2.to().tag);
  CHECK(ok.expires() == f2.expires());
  CHECK(ok.contacts()[0].value.addr.text == f2.contacts()[0].value.addr.text);
  sm::message n = wire(sends[0].request, "server.example.com");
  sm::message f3 = fixture("3856-f3-notify.sip");
  CHECK(n.request_uri().text == f3.request_uri().text);
  CHECK(sends[0].request.next_hop == std::string(f3.request_uri().text));
  CHECK(n.from().tag == f3.from().tag);
  CHECK(n.to().tag == f3.to().tag);
  CHECK(n.call_id() == f3.call_id());
  CHECK(header(n, "Event") == header(f3, "Event"));
  CHECK(n.subscription_state()->state == f3.subscription_state()->state);
  CHECK(n.subscription_state()->expires == 600u);  // the RFC's NOTIFY went a second later: 599
  CHECK(n.contacts()[0].value.addr.text == f3.contacts()[0].value.addr.text);
  CHECK(n.body() == "full:[PIDF Document]");
}

TEST_CASE("RFC 3680 welcome flow, notifier side: 200 with Expires 3600, full NOTIFY to the app") {
  tokens ids;
  ids.script = {"xyzygg"};
  test_package reg;
  reg.token = "reg";
  reg.types = {"application/reginfo+xml"};
  ev::server_config cfg;
  cfg.contact = "sip:server19.example.com";
  ev::subscription_server s(ids.source(), cfg);
  s.add_package(reg);
  s.on_subscribe(1, fixture("3680-welcome-f1-subscribe.sip"), t0);
  auto evs = drain(s);
  sm::message ok = build(of_kind(evs, ev::server_event::kind::respond).at(0).response);
  CHECK(ok.status() == 200);
  CHECK(ok.expires() == 3600u);
  CHECK(ok.to().tag == "xyzygg");
  sm::message n = wire(of_kind(evs, ev::server_event::kind::send).at(0).request);
  sm::message f3 = fixture("3680-welcome-f3-notify-full-init.sip");
  CHECK(n.request_uri().text == f3.request_uri().text);
  CHECK(n.from().addr.text == f3.from().addr.text);
  CHECK(n.to().addr.text == f3.to().addr.text);
  CHECK(n.content_type()->subtype == "reginfo+xml");
}

TEST_CASE("our subscriber and our notifier, wired directly: subscribe, change, refresh, unsubscribe") {
  tokens cids, sids;
  test_package pkg;
  pkg.state_of["sip:bob@example.com"] = "open";
  ev::server_config scfg;
  scfg.contact = "sip:server@192.0.2.2";
  ev::subscription_server srv(sids.source(), scfg);
  srv.add_package(pkg);
  ev::subscribe_params p{"presence", "", "sip:alice@example.com", "sip:bob@example.com", "", "sip:alice@192.0.2.1",
                         {"application/pidf+xml"}, 600, {}};
  ev::subscription_client cli(p, cids.source(), {}, &pkg);
  std::vector<std::string> bodies;
  std::vector<ev::client_event> seen;

  // Moves everything each side wants sent to the other, until both are quiet.
  auto pump = [&](ev::time_point now) {
    for (int round = 0; round < 20; ++round) {
      bool moved = false;
      ev::client_event ce;
      while (cli.poll(ce)) {
        if (ce.what == ev::client_event::kind::send) {
          moved = true;
          sm::message req = wire(ce.request);
          srv.on_subscribe(ce.request.key, req, now);
          ev::server_event se;
          std::vector<ev::server_event> later;
          while (srv.poll(se)) {
            if (se.what == ev::server_event::kind::respond && se.txn == ce.request.key)
              cli.on_response(ce.request.key, build(se.response), now);
            else later.push_back(std::move(se));
          }
          for (auto& l : later) {
            if (l.what != ev::server_event::kind::send) continue;
            sm::message n = wire(l.request, "192.0.2.2");
            std::uint16_t st = cli.on_notify(n, now);
            srv.on_response(l.request.key, answer(n, st, ""), now);
          }
        } else {
          seen.push_back(ce);
          if (ce.what == ev::client_event::kind::notify) bodies.push_back(std::any_cast<std::string>(ce.body.state));
        }
      }
      ev::server_event se;
      while (srv.poll(se)) {
        if (se.what != ev::server_event::kind::send) continue;
        moved = true;
        sm::message n = wire(se.request, "192.0.2.2");
        std::uint16_t st = cli.on_notify(n, now);
        srv.on_response(se.request.key, answer(n, st, ""), now);
      }
      if (!moved) return;
    }
  };

  cli.start(t0);
  pump(t0);
  REQUIRE(bodies.size() == 1);
  CHECK(bodies[0] == "full:open");
  CHECK(srv.size() == 1);
  CHECK(cli.leg_count() == 1);

  pkg.state_of["sip:bob@example.com"] = "closed";
  srv.changed("presence", "sip:bob@example.com", t0 + 60s);
  pump(t0 + 60s);
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[1] == "partial:closed");

  // The client refreshes at 570 s with the entity-tag of what it holds (RFC 5839):
  // nothing changed, so the server answers 204 and sends no NOTIFY.
  CHECK(cli.next_deadline() == t0 + 570s);
  cli.advance(t0 + 570s);
  pump(t0 + 570s);
  CHECK(bodies.size() == 2);
  CHECK(srv.next_deadline() == t0 + 570s + 600s);
  CHECK(cli.next_deadline() == t0 + 570s + 570s);
  // Asked for again (refresh()), the state comes in full.
  cli.refresh(t0 + 580s);
  pump(t0 + 580s);
  REQUIRE(bodies.size() == 3);
  CHECK(bodies[2] == "full:closed");

  cli.unsubscribe(t0 + 600s);
  pump(t0 + 600s);
  CHECK(cli.terminated());
  CHECK(srv.size() == 0);
  CHECK(srv.dialogs().size() == 0);
  CHECK(cli.dialogs().size() == 0);
}
