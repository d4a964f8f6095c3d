// RFC 6665 4.1 subscriber, driven with explicit time points.
#include "events_support.hpp"
#include "support.hpp"

using namespace evtest;
using K = ev::client_event::kind;

namespace {

struct sub_fixture {
  tokens ids;
  test_package pkg;
  ev::client_config cfg;
  std::unique_ptr<ev::subscription_client> c;
  sm::message last_sent;
  std::uint64_t last_key = 0;
  std::uint32_t notify_cseq = 100;

  explicit sub_fixture(std::uint32_t expires = 600, std::string event_id = {}, ev::rate_request rate = {}) {
    ids.script = {"call1", "tagA"};
    ev::subscribe_params p;
    p.event = "presence";
    p.event_id = std::move(event_id);
    p.from = "sip:alice@example.com";
    p.to = "sip:bob@example.com";
    p.contact = "sip:alice@192.0.2.1:5060";
    p.accept = {"application/pidf+xml"};
    p.expires = expires;
    p.rate = rate;
    c = std::make_unique<ev::subscription_client>(p, ids.source(), cfg, &pkg);
  }

  /// Takes the one request the client just asked to send.
  sm::message sent() {
    auto evs = drain(*c);
    auto sends = of_kind(evs, K::send);
    REQUIRE(sends.size() == 1);
    last_key = sends[0].request.key;
    last_sent = wire(sends[0].request);
    return last_sent;
  }

  sm::message notify(std::string_view from_tag, std::string state, std::string body = "",
                     std::string event = "presence", std::optional<std::uint32_t> cseq = {}) {
    auto b = sm::message_builder::request("NOTIFY", "sip:alice@192.0.2.1:5060");
    b.header("Via", "SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKn" + std::to_string(++g_branch));
    b.header("From", "<sip:bob@example.com>;tag=" + std::string(from_tag));
    b.header("To", "<sip:alice@example.com>;tag=" + c->local_tag());
    b.header("Call-ID", c->call_id());
    b.header("CSeq", std::to_string(cseq.value_or(++notify_cseq)) + " NOTIFY");
    b.header("Contact", "<sip:bob@192.0.2.2>");
    b.header("Event", event);
    if (!state.empty()) b.header("Subscription-State", state);
    if (!body.empty()) b.body("application/pidf+xml", body);
    return build(b);
  }

  /// SUBSCRIBE sent, 200 with `expires` at t, NOTIFY active at t: one active leg "b1".
  void establish(ev::time_point t, std::uint32_t expires = 600) {
    c->start(t);
    sm::message s = sent();
    c->on_response(last_key, answer(s, 200, "b1", {{"Expires", std::to_string(expires)}, {"Contact", "<sip:bob@192.0.2.2>"}}), t);
    REQUIRE(c->on_notify(notify("b1", "active;expires=" + std::to_string(expires), "<open/>"), t) == 200);
    drain(*c);
  }
};

}  // namespace

TEST_CASE("SUBSCRIBE carries Event with id, Accept, Expires, Contact and fresh tags") {
  sub_fixture f(300, "q1");
  f.c->start(t0);
  sm::message s = f.sent();
  CHECK(s.method_text() == "SUBSCRIBE");
  CHECK(s.request_uri().text == "sip:bob@example.com");
  CHECK(header(s, "Event") == "presence;id=q1");
  CHECK(header(s, "Accept") == "application/pidf+xml");
  CHECK(s.expires() == 300u);
  CHECK(s.call_id() == "call1");
  CHECK(s.from().tag == "tagA");
  CHECK(s.to().tag.empty());
  CHECK(s.contacts().size() == 1);
}

TEST_CASE("RFC 6446: the rate asked rides on every SUBSCRIBE's Event and the rate in force comes back with each NOTIFY") {
  ev::rate_request rate;
  rate.throttle = 5;
  rate.adaptive_min_rate = 0.01;
  sub_fixture f(600, "q1", rate);
  f.c->start(t0);
  sm::message s = f.sent();
  CHECK(header(s, "Event") == "presence;id=q1;adaptive-min-rate=0.01;throttle=5");
  f.c->on_response(f.last_key, answer(s, 200, "b1", {{"Expires", "600"}}), t0);
  REQUIRE(f.c->on_notify(f.notify("b1", "active;expires=600;adaptive-min-rate=0.01;throttle=10", "<open/>", "presence;id=q1"), t0) == 200);
  auto n = of_kind(drain(*f.c), K::notify);
  REQUIRE(n.size() == 1);
  CHECK(n[0].rate.throttle == 10.0);
  CHECK(n[0].rate.adaptive_min_rate == 0.01);
  CHECK_FALSE(n[0].rate.max_rate);
  // A notifier that does not do rate control says nothing; a malformed answer is
  // shown as nothing rather than refusing the NOTIFY.
  for (const char* st : {"active;expires=500", "active;expires=500;max-rate=fast"}) {
    REQUIRE(f.c->on_notify(f.notify("b1", st, "<open/>", "presence;id=q1"), t0 + 1s) == 200);
    auto m = of_kind(drain(*f.c), K::notify);
    REQUIRE(m.size() == 1);
    CHECK(m[0].rate.empty());
  }
  f.c->refresh(t0 + 2s);
  CHECK(header(f.sent(), "Event") == "presence;id=q1;adaptive-min-rate=0.01;throttle=5");
}

TEST_CASE("2xx then NOTIFY: active, body decoded by the package, one leg") {
  sub_fixture f;
  f.c->start(t0);
  sm::message s = f.sent();
  f.c->on_response(f.last_key, answer(s, 200, "b1", {{"Expires", "600"}}), t0);
  CHECK(f.c->leg_state("b1") == ev::sub_state::init);
  CHECK(f.c->on_notify(f.notify("b1", "active;expires=600", "<open/>"), t0 + 10ms) == 200);
  auto evs = drain(*f.c);
  auto n = of_kind(evs, K::notify);
  REQUIRE(n.size() == 1);
  CHECK(n[0].state == ev::sub_state::active);
  CHECK(n[0].expires == 600u);
  REQUIRE(n[0].body.ok);
  CHECK(std::any_cast<std::string>(n[0].body.state) == "<open/>");
  CHECK(of_kind(evs, K::state).size() == 1);
  CHECK(f.c->leg_count() == 1);
  CHECK(f.c->dialogs().size() == 1);
}

TEST_CASE("a NOTIFY before the 2xx is accepted and the 2xx joins its dialog") {
  sub_fixture f;
  f.c->start(t0);
  sm::message s = f.sent();
  CHECK(f.c->on_notify(f.notify("b1", "pending;expires=600"), t0 + 1ms) == 200);
  CHECK(f.c->leg_state("b1") == ev::sub_state::pending);
  f.c->on_response(f.last_key, answer(s, 202, "b1", {{"Expires", "600"}}), t0 + 2ms);
  CHECK(f.c->leg_count() == 1);
  CHECK(f.c->dialogs().size() == 1);
  // No "no NOTIFY" timeout: the NOTIFY already came.
  f.c->advance(t0 + 2ms + 64 * 500ms);
  CHECK(f.c->leg_state("b1") == ev::sub_state::pending);
}

TEST_CASE("forking: NOTIFYs with two remote tags make two subscriptions, refreshed apart") {
  sub_fixture f;
  f.c->start(t0);
  sm::message s = f.sent();
  f.c->on_response(f.last_key, answer(s, 200, "b1", {{"Expires", "600"}}), t0);
  CHECK(f.c->on_notify(f.notify("b1", "active;expires=600"), t0) == 200);
  CHECK(f.c->on_notify(f.notify("b2", "active;expires=300"), t0 + 1s) == 200);
  auto evs = drain(*f.c);
  auto notes = of_kind(evs, K::notify);
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].remote_tag == "b1");
  CHECK(notes[1].remote_tag == "b2");
  CHECK(f.c->leg_count() == 2);
  CHECK(f.c->dialogs().size() == 2);
  // b2: 300 s, margin min(100, 30) = 30 -> refresh at t0+1s+270s; b1 at t0+570s.
  CHECK(f.c->next_deadline() == t0 + 1s + 270s);
  f.c->advance(t0 + 271s);
  sm::message r = f.sent();
  CHECK(r.to().tag == "b2");
  CHECK(r.request_uri().text == "sip:bob@192.0.2.2");
  CHECK(r.cseq().seq == 2);
  // While b2's refresh is in flight its expiry is the next thing to watch.
  CHECK(f.c->next_deadline() == t0 + 301s);
  f.c->on_response(f.last_key, answer(r, 200, "b2", {{"Expires", "300"}}), t0 + 272s);
  CHECK(f.c->next_deadline() == t0 + 272s + 270s);
}

TEST_CASE("refresh at expiry minus the margin, not one tick earlier") {
  sub_fixture f;
  f.establish(t0, 600);
  // margin = min(600/3, 30 s) = 30 s
  CHECK(f.c->next_deadline() == t0 + 570s);
  f.c->advance(t0 + 570s - 1ns);
  CHECK(drain(*f.c).empty());
  f.c->advance(t0 + 570s);
  sm::message r = f.sent();
  CHECK(r.method_text() == "SUBSCRIBE");
  CHECK(r.to().tag == "b1");
  CHECK(r.expires() == 600u);
  CHECK(header(r, "Event") == "presence");
  // Short intervals use a third: 60 s -> refresh 20 s before.
  sub_fixture g(60);
  g.establish(t0, 60);
  CHECK(g.c->next_deadline() == t0 + 40s);
}

TEST_CASE("Subscription-State without expires: the 2xx Expires still drives the refresh") {
  sub_fixture f;
  f.c->start(t0);
  sm::message s = f.sent();
  f.c->on_response(f.last_key, answer(s, 200, "b1", {{"Expires", "120"}}), t0);
  CHECK(f.c->on_notify(f.notify("b1", "active"), t0 + 1s) == 200);
  CHECK(f.c->next_deadline() == t0 + 90s);
  f.c->advance(t0 + 90s);
  CHECK(f.sent().to().tag == "b1");
  // The refresh's 2xx moves the expiry.
  f.c->on_response(f.last_key, answer(f.last_sent, 200, "b1", {{"Expires", "120"}}), t0 + 91s);
  CHECK(f.c->next_deadline() == t0 + 91s + 90s);
}

TEST_CASE("the latest expiry wins: a NOTIFY's expires replaces the 2xx one") {
  sub_fixture f;
  f.establish(t0, 600);
  CHECK(f.c->on_notify(f.notify("b1", "active;expires=90"), t0 + 100s) == 200);
  CHECK(f.c->next_deadline() == t0 + 100s + 60s);
}

TEST_CASE("423 is retried once with Min-Expires - a second 423 ends it") {
  sub_fixture f(30);
  f.c->start(t0);
  sm::message s = f.sent();
  f.c->on_response(f.last_key, answer(s, 423, "", {{"Min-Expires", "120"}}), t0);
  sm::message s2 = f.sent();
  CHECK(s2.expires() == 120u);
  CHECK(s2.cseq().seq == s.cseq().seq + 1);
  CHECK(s2.call_id() == s.call_id());
  f.c->on_response(f.last_key, answer(s2, 423, "", {{"Min-Expires", "300"}}), t0);
  auto evs = drain(*f.c);
  auto t = of_kind(evs, K::terminated);
  REQUIRE(t.size() == 1);
  CHECK(t[0].why == ev::reason::failed);
  CHECK(t[0].status == 423);
  CHECK(f.c->terminated());
}

TEST_CASE("489 and other failures are reported and end the subscription") {
  for (std::uint16_t st : {489, 403, 404}) {
    sub_fixture f;
    f.c->start(t0);
    sm::message s = f.sent();
    f.c->on_response(f.last_key, answer(s, st, ""), t0);
    auto t = of_kind(drain(*f.c), K::terminated);
    REQUIRE(t.size() == 1);
    CHECK(t[0].status == st);
  }
  sub_fixture f;
  f.c->start(t0);
  f.sent();
  f.c->on_failure(f.last_key, 408, t0 + 32s);
  auto t = of_kind(drain(*f.c), K::terminated);
  REQUIRE(t.size() == 1);
  CHECK(t[0].status == 408);
}

TEST_CASE("no NOTIFY within 64*T1 of the 2xx ends the subscription, exactly then") {
  sub_fixture f;
  f.c->start(t0);
  sm::message s = f.sent();
  f.c->on_response(f.last_key, answer(s, 200, "b1", {{"Expires", "600"}}), t0);
  CHECK(f.c->next_deadline() == t0 + 32s);
  f.c->advance(t0 + 32s - 1ns);
  CHECK(f.c->leg_count() == 1);
  f.c->advance(t0 + 32s);
  auto evs = drain(*f.c);
  auto t = of_kind(evs, K::terminated);
  REQUIRE(t.size() == 1);
  CHECK(t[0].why == ev::reason::no_notify);
  CHECK(f.c->dialogs().size() == 0);
}

TEST_CASE("unsubscribe sends Expires: 0 and waits for the final NOTIFY") {
  sub_fixture f;
  f.establish(t0);
  f.c->unsubscribe(t0 + 5s);
  sm::message u = f.sent();
  CHECK(u.expires() == 0u);
  CHECK(u.to().tag == "b1");
  f.c->on_response(f.last_key, answer(u, 200, "b1", {{"Expires", "0"}}), t0 + 5s);
  CHECK_FALSE(f.c->terminated());
  CHECK(f.c->on_notify(f.notify("b1", "terminated;reason=timeout"), t0 + 6s) == 200);
  auto evs = drain(*f.c);
  auto t = of_kind(evs, K::terminated);
  REQUIRE(t.size() == 1);
  CHECK(t[0].why == ev::reason::unsubscribed);
  CHECK(of_kind(evs, K::send).empty());  // no re-subscribe after our own unsubscribe
  // The final NOTIFY never comes: 64*T1 later it is over anyway.
  sub_fixture g;
  g.establish(t0);
  g.c->unsubscribe(t0);
  sm::message u2 = g.sent();
  g.c->on_response(g.last_key, answer(u2, 200, "b1"), t0);
  g.c->advance(t0 + 32s - 1ns);
  CHECK_FALSE(g.c->terminated());
  g.c->advance(t0 + 32s);
  CHECK(g.c->terminated());
}

TEST_CASE("termination reasons: deactivated and timeout re-subscribe at once") {
  for (std::string r : {"deactivated", "timeout"}) {
    sub_fixture f;
    f.establish(t0);
    CHECK(f.c->on_notify(f.notify("b1", "terminated;reason=" + r), t0 + 10s) == 200);
    sm::message s = f.sent();
    CHECK(s.to().tag.empty());
    CHECK(s.call_id() != "call1");  // a new dialog
    CHECK_FALSE(f.c->terminated());
  }
}

TEST_CASE("termination reasons: probation and giveup wait retry-after, exactly") {
  for (std::string r : {"probation", "giveup"}) {
    sub_fixture f;
    f.establish(t0);
    CHECK(f.c->on_notify(f.notify("b1", "terminated;reason=" + r + ";retry-after=45"), t0 + 10s) == 200);
    drain(*f.c);
    CHECK(f.c->next_deadline() == t0 + 55s);
    f.c->advance(t0 + 55s - 1ns);
    CHECK(drain(*f.c).empty());
    f.c->advance(t0 + 55s);
    CHECK(f.sent().method_text() == "SUBSCRIBE");
  }
  sub_fixture f;  // without retry-after: the configured default
  f.establish(t0);
  f.c->on_notify(f.notify("b1", "terminated;reason=giveup"), t0);
  drain(*f.c);
  CHECK(f.c->next_deadline() == t0 + 60s);
}

TEST_CASE("termination reasons: rejected and noresource never retry") {
  for (std::string r : {"rejected", "noresource", "invariant"}) {
    sub_fixture f;
    f.establish(t0);
    CHECK(f.c->on_notify(f.notify("b1", "terminated;reason=" + r + ";retry-after=5"), t0) == 200);
    auto evs = drain(*f.c);
    CHECK(of_kind(evs, K::send).empty());
    auto t = of_kind(evs, K::terminated);
    REQUIRE(t.size() == 1);
    CHECK(ev::to_string(t[0].why) == r);
    CHECK(f.c->next_deadline() == ev::time_point::max());
  }
}

TEST_CASE("481 to a refresh ends the dialog - re-subscribes when the application asks") {
  for (bool again : {false, true}) {
    sub_fixture f;
    f.cfg.resubscribe_on_481 = again;
    f.c = std::make_unique<ev::subscription_client>(
        ev::subscribe_params{"presence", "", "sip:alice@example.com", "sip:bob@example.com", "", "sip:a@h", {}, 600, {}},
        f.ids.source(), f.cfg, &f.pkg);
    f.establish(t0);
    f.c->advance(t0 + 570s);
    sm::message r = f.sent();
    f.c->on_response(f.last_key, answer(r, 481, "b1"), t0 + 571s);
    auto evs = drain(*f.c);
    CHECK(f.c->leg_count() == 0);
    if (again) {
      REQUIRE(of_kind(evs, K::send).size() == 1);
      CHECK(of_kind(evs, K::terminated).empty());
    } else {
      CHECK(of_kind(evs, K::send).empty());
      CHECK(of_kind(evs, K::terminated).size() == 1);
    }
  }
}

TEST_CASE("a refresh that times out keeps the subscription until it expires") {
  sub_fixture f;
  f.establish(t0);
  f.c->advance(t0 + 570s);
  f.sent();
  f.c->on_failure(f.last_key, 408, t0 + 590s);
  CHECK(f.c->leg_state("b1") == ev::sub_state::active);
  f.c->advance(t0 + 600s - 1ns);
  CHECK(f.c->leg_count() == 1);
  f.c->advance(t0 + 600s);
  auto t = of_kind(drain(*f.c), K::terminated);
  REQUIRE(t.size() == 1);
  CHECK(t[0].why == ev::reason::expired);
}

TEST_CASE("NOTIFY checks: lower CSeq 500, other event or id 481, missing state means active") {
  sub_fixture f(600, "x");
  f.c->start(t0);
  f.sent();
  CHECK(f.c->on_notify(f.notify("b1", "active;expires=600", "", "presence;id=x", 50), t0) == 200);
  CHECK(f.c->on_notify(f.notify("b1", "active;expires=600", "", "presence;id=x", 49), t0) == 500);
  CHECK(f.c->on_notify(f.notify("b1", "active", "", "presence;id=y"), t0) == 481);
  CHECK(f.c->on_notify(f.notify("b1", "active", "", "presence"), t0) == 481);
  CHECK(f.c->on_notify(f.notify("b1", "active", "", "reg;id=x"), t0) == 481);
  CHECK(f.c->on_notify(f.notify("b1", "", "", "presence;id=x"), t0) == 200);
  CHECK(f.c->leg_state("b1") == ev::sub_state::active);
}

TEST_CASE("RFC 6665 8.2.1 matching of NOTIFY to subscription: every case of the TSV") {
  auto rows = testsupport::read_tsv(testsupport::shared_dir() / "testdata" / "examples" / "6665-event-header-matching.tsv");
  REQUIRE(rows.size() >= 3);
  for (const auto& row : rows) {
    INFO(row[0] << " vs " << row[1]);
    sm::event_header sub;
    std::string sub_value = row[0].substr(row[0].find(':') + 1);
    REQUIRE_FALSE(sm::parse_event(sub_value, sub));
    sub_fixture f(600, sub.id ? std::string(*sub.id) : std::string());
    ev::subscribe_params p{std::string(sub.type), sub.id ? std::string(*sub.id) : "", "sip:alice@example.com",
                           "sip:bob@example.com", "", "sip:a@h", {}, 600, {}};
    f.c = std::make_unique<ev::subscription_client>(p, f.ids.source(), f.cfg, &f.pkg);
    f.c->start(t0);
    f.sent();
    std::string notify_value = row[1].substr(row[1].find(':') + 1);
    while (!notify_value.empty() && notify_value.front() == ' ') notify_value.erase(0, 1);
    sm::message n = f.notify("b1", "active;expires=600", "", notify_value);
    CHECK(f.c->matches(n) == (row[2] == "yes"));
    CHECK(f.c->on_notify(n, t0) == (row[2] == "yes" ? 200 : 481));
  }
}

TEST_CASE("RFC 5839: timed refreshes carry Suppress-If-Match with the last SIP-ETag and a 204 keeps the state") {
  sub_fixture f;
  f.c->start(t0);
  sm::message s = f.sent();
  f.c->on_response(f.last_key, answer(s, 200, "b1", {{"Expires", "600"}}), t0);
  auto n = f.notify("b1", "active;expires=600", "<open/>");
  // The same NOTIFY with an entity-tag.
  std::string text = n.serialize();
  text.insert(text.find("\r\n") + 2, "SIP-ETag: tag-1\r\n");
  sm::message tagged;
  REQUIRE_FALSE(sm::parse_datagram(text, tagged));
  REQUIRE(f.c->on_notify(tagged, t0) == 200);
  drain(*f.c);
  f.c->advance(t0 + 570s);
  sm::message r = f.sent();
  CHECK(header(r, "Suppress-If-Match") == "tag-1");
  // 204: nothing new, no NOTIFY follows; the expiry moves on as for a 200.
  f.c->on_response(f.last_key, answer(r, 204, "b1", {{"Expires", "600"}}), t0 + 570s);
  CHECK(drain(*f.c).empty());
  CHECK(f.c->leg_state("b1") == ev::sub_state::active);
  CHECK(f.c->next_deadline() == t0 + 570s + 570s);
  // The application asking for state again gets it: no condition on refresh().
  f.c->refresh(t0 + 600s);
  CHECK(header(f.sent(), "Suppress-If-Match").empty());
  // A NOTIFY without a tag (a notifier that stopped doing them): no condition after it.
  f.c->on_response(f.last_key, answer(f.last_sent, 200, "b1", {{"Expires", "600"}}), t0 + 600s);
  REQUIRE(f.c->on_notify(f.notify("b1", "active;expires=600", "<closed/>"), t0 + 600s) == 200);
  drain(*f.c);
  f.c->advance(t0 + 600s + 570s);
  CHECK(header(f.sent(), "Suppress-If-Match").empty());
}
