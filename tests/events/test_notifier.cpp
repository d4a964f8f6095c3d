// RFC 6665 4.2 notifier, driven with explicit time points.
#include "events_support.hpp"
#include "support.hpp"

using namespace evtest;
using K = ev::server_event::kind;

namespace {

struct srv_fixture {
  tokens ids;
  test_package pkg;
  ev::server_config cfg;
  ev::authorization decision = ev::authorization::accept;
  std::unique_ptr<ev::subscription_server> s;
  std::uint64_t txn = 0;
  std::uint32_t cseq = 1;

  srv_fixture() {
    cfg.contact = "sip:server@192.0.2.2:5060";
    make();
  }
  void make() {
    ev::server_hooks h;
    h.authorize = [this](const ev::authorization_request&) { return decision; };
    s = std::make_unique<ev::subscription_server>(ids.source(), cfg, h);
    s->add_package(pkg);
    pkg.state_of["sip:bob@example.com"] = "open";
  }

  sm::message subscribe(std::string event = "presence", std::optional<std::uint32_t> expires = 600,
                        std::string to_tag = {}, std::string call_id = "c1", std::string accept = {},
                        std::string suppress_if_match = {}) {
    auto b = sm::message_builder::request("SUBSCRIBE", "sip:bob@example.com");
    b.header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKs" + std::to_string(++g_branch));
    b.header("From", "<sip:alice@example.com>;tag=a1");
    b.header("To", to_tag.empty() ? "<sip:bob@example.com>" : "<sip:bob@example.com>;tag=" + to_tag);
    b.header("Call-ID", call_id);
    b.header("CSeq", std::to_string(cseq++) + " SUBSCRIBE");
    b.header("Contact", "<sip:alice@192.0.2.1:5060>");
    b.header("Event", event);
    if (expires) b.header("Expires", std::to_string(*expires));
    if (!accept.empty()) b.header("Accept", accept);
    if (!suppress_if_match.empty()) b.header("Suppress-If-Match", suppress_if_match);
    return build(b);
  }

  struct result {
    std::vector<ev::server_event> all;
    sm::message response;
    std::vector<sm::message> notifies;
    std::vector<std::uint64_t> keys;
  };
  result feed(const sm::message& req, ev::time_point now) {
    s->on_subscribe(++txn, req, now);
    return take();
  }
  result take() {
    result r;
    r.all = drain(*s);
    for (const auto& e : r.all) {
      if (e.what == K::respond) {
        CHECK(e.txn == txn);
        r.response = build(e.response);
      } else if (e.what == K::send) {
        r.notifies.push_back(wire(e.request, "192.0.2.2"));
        r.keys.push_back(e.request.key);
      }
    }
    return r;
  }
  void ok(const result& r, ev::time_point now, std::size_t i = 0) {
    s->on_response(r.keys.at(i), answer(r.notifies.at(i), 200, ""), now);
  }
};

std::string ss(const sm::message& n) { return header(n, "Subscription-State"); }

}  // namespace

TEST_CASE("unknown Event gets 489 with Allow-Events - no Event 400") {
  srv_fixture f;
  auto r = f.feed(f.subscribe("dialog"), t0);
  CHECK(r.response.status() == 489);
  CHECK(header(r.response, "Allow-Events") == "presence");
  CHECK(r.notifies.empty());
  auto b = sm::message_builder::request("SUBSCRIBE", "sip:bob@example.com");
  b.header("Via", "SIP/2.0/UDP h;branch=z9hG4bKx").header("From", "<sip:a@h>;tag=1").header("To", "<sip:b@h>");
  b.header("Call-ID", "x").header("CSeq", "1 SUBSCRIBE").header("Contact", "<sip:a@h>");
  CHECK(f.feed(build(b), t0).response.status() == 400);
  CHECK(f.s->size() == 0);
}

TEST_CASE("Expires below the minimum gets 423 with Min-Expires - above the maximum is lowered") {
  srv_fixture f;
  auto r = f.feed(f.subscribe("presence", 30), t0);
  CHECK(r.response.status() == 423);
  CHECK(r.response.min_expires() == 60u);
  auto r2 = f.feed(f.subscribe("presence", 100000), t0);
  CHECK(r2.response.status() == 200);
  CHECK(r2.response.expires() == 7200u);
  REQUIRE(r2.notifies.size() == 1);
  CHECK(ss(r2.notifies[0]) == "active;expires=7200");
  auto r3 = f.feed(f.subscribe("presence", std::nullopt, "", "c3"), t0);
  CHECK(r3.response.expires() == 3600u);  // the package default
}

TEST_CASE("accept: 200 with a To tag, then at once a NOTIFY with full state") {
  srv_fixture f;
  f.ids.script = {"srvtag"};
  auto r = f.feed(f.subscribe(), t0);
  REQUIRE(r.response.status() == 200);
  CHECK(r.response.to().tag == "srvtag");
  CHECK(r.response.expires() == 600u);
  CHECK(header(r.response, "Contact") == "<sip:server@192.0.2.2:5060>");
  REQUIRE(r.notifies.size() == 1);
  const sm::message& n = r.notifies[0];
  CHECK(n.request_uri().text == "sip:alice@192.0.2.1:5060");
  CHECK(n.from().tag == "srvtag");
  CHECK(n.to().tag == "a1");
  CHECK(n.call_id() == "c1");
  CHECK(header(n, "Event") == "presence");
  CHECK(ss(n) == "active;expires=600");
  CHECK(n.body() == "full:open");
  CHECK(n.content_type()->subtype == "pidf+xml");
  // The response is emitted before the NOTIFY.
  CHECK(r.all.front().what == K::respond);
}

TEST_CASE("pending: 202 and a neutral NOTIFY - authorize() later sends the state") {
  srv_fixture f;
  f.decision = ev::authorization::pending;
  auto r = f.feed(f.subscribe(), t0);
  CHECK(r.response.status() == 202);
  REQUIRE(r.notifies.size() == 1);
  CHECK(ss(r.notifies[0]) == "pending;expires=600");
  CHECK(r.notifies[0].body() == "neutral");
  f.ok(r, t0);
  auto subs = of_kind(r.all, K::subscribed);
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].state == ev::sub_state::pending);
  auto d = f.s->describe(subs[0].sub);
  REQUIRE(d);
  CHECK(d->state == ev::sub_state::pending);
  CHECK(d->resource == "sip:bob@example.com");
  CHECK(d->watcher == "sip:alice@example.com");
  CHECK(f.s->authorize(subs[0].sub, ev::authorization::accept, t0 + 10s));
  auto r2 = f.take();
  REQUIRE(r2.notifies.size() == 1);
  CHECK(ss(r2.notifies[0]) == "active;expires=590");
  CHECK(r2.notifies[0].body() == "full:open");
  // The decision is an event too: watcher information (RFC 3857) follows it.
  auto moved = of_kind(r2.all, K::subscribed);
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].state == ev::sub_state::active);
  CHECK_FALSE(f.s->describe(9999));
}

TEST_CASE("polite-block: 200 and neutral state shown as active - reject: terminated with reason=rejected - deny: 403") {
  srv_fixture f;
  f.decision = ev::authorization::polite_block;
  auto r = f.feed(f.subscribe(), t0);
  CHECK(r.response.status() == 200);
  CHECK(ss(r.notifies.at(0)) == "active;expires=600");
  CHECK(r.notifies[0].body() == "neutral");

  srv_fixture g;
  g.decision = ev::authorization::reject;
  auto rj = g.feed(g.subscribe(), t0);
  CHECK(rj.response.status() == 200);
  CHECK(ss(rj.notifies.at(0)) == "terminated;reason=rejected");
  CHECK(rj.notifies[0].body().empty());
  g.ok(rj, t0);
  auto gone = of_kind(drain(*g.s), K::terminated);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].why == ev::reason::rejected);
  CHECK(g.s->size() == 0);
  CHECK(g.s->dialogs().size() == 0);

  srv_fixture h;
  h.decision = ev::authorization::deny;
  auto d = h.feed(h.subscribe(), t0);
  CHECK(d.response.status() == 403);
  CHECK(d.notifies.empty());
  CHECK(h.s->size() == 0);
}

TEST_CASE("every state change NOTIFYs each watcher - later NOTIFYs are partial") {
  srv_fixture f;
  auto a = f.feed(f.subscribe("presence", 600, "", "c1"), t0);
  auto b = f.feed(f.subscribe("presence", 600, "", "c2"), t0);
  f.ok(a, t0);
  f.ok(b, t0);
  CHECK(f.s->watchers("presence", "sip:bob@example.com") == 2);
  f.pkg.state_of["sip:bob@example.com"] = "closed";
  f.s->changed("presence", "sip:bob@example.com", t0 + 100s);
  auto r = f.take();
  REQUIRE(r.notifies.size() == 2);
  CHECK(r.notifies[0].body() == "partial:closed");
  CHECK(ss(r.notifies[0]) == "active;expires=500");
  CHECK(r.notifies[0].cseq().seq == a.notifies[0].cseq().seq + 1);
  // Another resource: nobody.
  f.s->changed("presence", "sip:carol@example.com", t0 + 100s);
  CHECK(f.take().notifies.empty());
}

TEST_CASE("refresh resets the expiry and sends full state - expiry NOTIFYs timeout exactly then") {
  srv_fixture f;
  f.ids.script = {"st"};
  auto r = f.feed(f.subscribe("presence", 600), t0);
  f.ok(r, t0);
  auto rr = f.feed(f.subscribe("presence", 600, "st"), t0 + 300s);
  CHECK(rr.response.status() == 200);
  CHECK(rr.response.expires() == 600u);
  REQUIRE(rr.notifies.size() == 1);
  CHECK(ss(rr.notifies[0]) == "active;expires=600");
  CHECK(rr.notifies[0].body() == "full:open");
  f.ok(rr, t0 + 300s);
  CHECK(f.s->next_deadline() == t0 + 900s);
  f.s->advance(t0 + 900s - 1ns);
  CHECK(f.take().notifies.empty());
  f.s->advance(t0 + 900s);
  auto e = f.take();
  REQUIRE(e.notifies.size() == 1);
  CHECK(ss(e.notifies[0]) == "terminated;reason=timeout");
  f.ok(e, t0 + 900s);
  CHECK(f.s->size() == 0);
  CHECK(f.pkg.gone.size() == 1);
}

TEST_CASE("unsubscribe: 200 and a final NOTIFY, then nothing more") {
  srv_fixture f;
  f.ids.script = {"st"};
  auto r = f.feed(f.subscribe(), t0);
  f.ok(r, t0);
  auto u = f.feed(f.subscribe("presence", 0, "st"), t0 + 5s);
  CHECK(u.response.status() == 200);
  CHECK(u.response.expires() == 0u);
  REQUIRE(u.notifies.size() == 1);
  CHECK(ss(u.notifies[0]) == "terminated;reason=timeout");
  f.ok(u, t0 + 5s);
  CHECK(f.s->size() == 0);
  f.s->changed("presence", "sip:bob@example.com", t0 + 6s);
  CHECK(f.take().notifies.empty());
  // A refresh of what is gone: 481.
  CHECK(f.feed(f.subscribe("presence", 600, "st"), t0 + 7s).response.status() == 481);
}

TEST_CASE("a NOTIFY answered 481, or timing out, or failing in transport ends it for good") {
  for (std::uint16_t how : {481, 408, 503}) {
    srv_fixture f;
    auto r = f.feed(f.subscribe(), t0);
    if (how == 481) f.s->on_response(r.keys[0], answer(r.notifies[0], 481, ""), t0);
    else f.s->on_failure(r.keys[0], how, t0 + 32s);
    auto gone = of_kind(drain(*f.s), K::terminated);
    REQUIRE(gone.size() == 1);
    CHECK(gone[0].status == how);
    CHECK(f.s->size() == 0);
    f.s->changed("presence", "sip:bob@example.com", t0 + 40s);
    f.s->advance(t0 + 1000s);
    CHECK(f.take().notifies.empty());
  }
}

TEST_CASE("throttling: one NOTIFY per interval, changes in between merged") {
  srv_fixture f;
  f.pkg.interval = 5s;
  auto r = f.feed(f.subscribe(), t0);
  f.ok(r, t0);
  f.s->changed("presence", "sip:bob@example.com", t0 + 1s);
  f.s->changed("presence", "sip:bob@example.com", t0 + 2s);
  CHECK(f.take().notifies.empty());
  CHECK(f.s->next_deadline() == t0 + 5s);
  f.s->advance(t0 + 5s - 1ns);
  CHECK(f.take().notifies.empty());
  f.s->advance(t0 + 5s);
  auto n = f.take();
  CHECK(n.notifies.size() == 1);
  f.ok(n, t0 + 5s);
  // A change while a NOTIFY is in flight waits for its answer.
  f.s->changed("presence", "sip:bob@example.com", t0 + 20s);
  auto m = f.take();
  REQUIRE(m.notifies.size() == 1);
  f.s->changed("presence", "sip:bob@example.com", t0 + 30s);
  CHECK(f.take().notifies.empty());
  f.ok(m, t0 + 31s);
  CHECK(f.take().notifies.size() == 1);
}

TEST_CASE("Event ids: two usages in one dialog, matched apart, the dialog ends with the last") {
  srv_fixture f;
  f.ids.script = {"st"};
  auto a = f.feed(f.subscribe("presence;id=1"), t0);
  f.ok(a, t0);
  // A second subscription inside the same dialog (RFC 6665 4.5.2), another id.
  auto b = f.feed(f.subscribe("presence;id=2", 600, "st"), t0);
  REQUIRE(b.response.status() == 200);
  REQUIRE(b.notifies.size() == 1);
  CHECK(header(b.notifies[0], "Event") == "presence;id=2");
  f.ok(b, t0);
  CHECK(f.s->size() == 2);
  CHECK(f.s->dialogs().size() == 1);
  auto u1 = f.feed(f.subscribe("presence;id=1", 0, "st"), t0 + 1s);
  CHECK(header(u1.notifies.at(0), "Event") == "presence;id=1");
  f.ok(u1, t0 + 1s);
  CHECK(f.s->size() == 1);
  CHECK(f.s->dialogs().size() == 1);
  auto u2 = f.feed(f.subscribe("presence;id=2", 0, "st"), t0 + 2s);
  f.ok(u2, t0 + 2s);
  CHECK(f.s->size() == 0);
  CHECK(f.s->dialogs().size() == 0);
}

TEST_CASE("in-dialog checks: lower CSeq 500, unknown dialog 481 - Accept negotiation 406") {
  srv_fixture f;
  f.ids.script = {"st"};
  auto r = f.feed(f.subscribe(), t0);
  f.ok(r, t0);
  f.cseq = 0;  // below the CSeq the dialog has seen
  CHECK(f.feed(f.subscribe("presence", 600, "st"), t0).response.status() == 500);
  f.cseq = 50;
  CHECK(f.feed(f.subscribe("presence", 600, "nosuch"), t0).response.status() == 481);
  CHECK(f.feed(f.subscribe("presence", 600, "", "c9", "text/plain"), t0).response.status() == 406);
  auto any = f.feed(f.subscribe("presence", 600, "", "c10", "application/*"), t0);
  CHECK(any.response.status() == 200);
}

TEST_CASE("limits: watchers per resource and subscriptions in all get 503 with Retry-After") {
  srv_fixture f;
  f.cfg.max_per_resource = 1;
  f.make();
  CHECK(f.feed(f.subscribe("presence", 600, "", "c1"), t0).response.status() == 200);
  auto r = f.feed(f.subscribe("presence", 600, "", "c2"), t0);
  CHECK(r.response.status() == 503);
  CHECK(header(r.response, "Retry-After") == "60");
  srv_fixture g;
  g.cfg.max_subscriptions = 0;
  g.make();
  CHECK(g.feed(g.subscribe(), t0).response.status() == 503);
}

TEST_CASE("terminate(): noresource with retry-after reaches the watcher") {
  srv_fixture f;
  auto r = f.feed(f.subscribe(), t0);
  f.ok(r, t0);
  auto id = of_kind(r.all, K::subscribed).at(0).sub;
  CHECK(f.s->terminate(id, ev::reason::noresource, t0 + 1s, 30));
  auto t = f.take();
  CHECK(ss(t.notifies.at(0)) == "terminated;reason=noresource;retry-after=30");
  CHECK_FALSE(f.s->terminate(id, ev::reason::noresource, t0 + 1s));
}

TEST_CASE("RFC 6665 8.2.1 matching of an in-dialog SUBSCRIBE to its subscription: every case of the TSV") {
  auto rows = testsupport::read_tsv(testsupport::shared_dir() / "testdata" / "examples" / "6665-event-header-matching.tsv");
  REQUIRE(rows.size() >= 3);
  for (const auto& row : rows) {
    INFO(row[0] << " vs " << row[1]);
    srv_fixture f;
    f.pkg.token = "foo";
    f.make();
    f.ids.script = {"st"};
    auto value = [](const std::string& h) {
      std::string v = h.substr(h.find(':') + 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      return v;
    };
    auto r = f.feed(f.subscribe(value(row[0])), t0);
    REQUIRE(r.response.status() == 200);
    f.ok(r, t0);
    auto again = f.feed(f.subscribe(value(row[1]), 600, "st"), t0 + 1s);
    if (row[2] == "yes") {
      CHECK(again.response.status() == 200);
      CHECK(f.s->size() == 1);  // the refresh of the same subscription
    } else {
      // Not this subscription: a new usage of the dialog, or no such package.
      CHECK((f.s->size() == 2 || again.response.status() == 489));
    }
  }
}

TEST_CASE("RFC 5839: 100 refreshes of an unchanged resource get 204 and no NOTIFY body") {
  srv_fixture f;
  f.ids.script = {"st"};
  auto r = f.feed(f.subscribe("presence", 600), t0);
  REQUIRE(r.notifies.size() == 1);
  const std::string tag = header(r.notifies[0], "SIP-ETag");
  CHECK_FALSE(tag.empty());
  f.ok(r, t0);
  std::size_t notifies = 0, bodies = 0, no_notification = 0;
  ev::time_point now = t0;
  for (int i = 0; i < 100; ++i) {
    now += 300s;
    auto rr = f.feed(f.subscribe("presence", 600, "st", "c1", {}, tag), now);
    no_notification += rr.response.status() == 204 && rr.response.reason() == "No Notification";
    CHECK(rr.response.expires() == 600u);
    notifies += rr.notifies.size();
    for (const auto& n : rr.notifies) bodies += !n.body().empty();
  }
  CHECK(no_notification == 100);
  CHECK(notifies == 0);
  CHECK(bodies == 0);
  CHECK(f.s->suppressions().refreshes == 100);
  // Each 204 moved the expiry on: the subscription ends 600 s after the last one.
  CHECK(f.s->next_deadline() == now + 600s);
  f.s->advance(now + 600s - 1ns);
  CHECK(f.take().notifies.empty());

  // A change: a new tag in the partial NOTIFY; the old tag now gets the full NOTIFY.
  f.pkg.state_of["sip:bob@example.com"] = "closed";
  f.s->changed("presence", "sip:bob@example.com", now + 1s);
  auto c = f.take();
  REQUIRE(c.notifies.size() == 1);
  const std::string tag2 = header(c.notifies[0], "SIP-ETag");
  CHECK(tag2 != tag);
  f.ok(c, now + 1s);
  auto stale = f.feed(f.subscribe("presence", 600, "st", "c1", {}, tag), now + 2s);
  CHECK(stale.response.status() == 200);
  REQUIRE(stale.notifies.size() == 1);
  CHECK(stale.notifies[0].body() == "full:closed");
  CHECK(header(stale.notifies[0], "SIP-ETag") == tag2);
  f.ok(stale, now + 2s);
  // An unknown tag is no match either; "*" matches whatever the state.
  auto unknown = f.feed(f.subscribe("presence", 600, "st", "c1", {}, "no-such-tag"), now + 3s);
  CHECK(unknown.response.status() == 200);
  REQUIRE(unknown.notifies.size() == 1);
  CHECK(unknown.notifies[0].body() == "full:closed");
  f.ok(unknown, now + 3s);
  auto star = f.feed(f.subscribe("presence", 600, "st", "c1", {}, "*"), now + 4s);
  CHECK(star.response.status() == 204);
  CHECK(star.notifies.empty());
  // Unsubscribing is never suppressed: the final NOTIFY goes out.
  auto bye = f.feed(f.subscribe("presence", 0, "st", "c1", {}, "*"), now + 5s);
  CHECK(bye.response.status() == 200);
  REQUIRE(bye.notifies.size() == 1);
  CHECK(ss(bye.notifies[0]) == "terminated;reason=timeout");
}

TEST_CASE("RFC 5839: a new subscription with the current tag gets its NOTIFY without a body") {
  srv_fixture f;
  auto a = f.feed(f.subscribe("presence", 600, "", "c1"), t0);
  REQUIRE(a.notifies.size() == 1);
  const std::string tag = header(a.notifies[0], "SIP-ETag");
  f.ok(a, t0);
  auto b = f.feed(f.subscribe("presence", 600, "", "c2", {}, tag), t0 + 10s);
  CHECK(b.response.status() == 200);  // 204 is for a SUBSCRIBE within a dialog only
  REQUIRE(b.notifies.size() == 1);
  CHECK(b.notifies[0].body().empty());
  CHECK(header(b.notifies[0], "SIP-ETag") == tag);
  CHECK(f.s->suppressions().bodies == 1);
  CHECK(ss(b.notifies[0]) == "active;expires=600");
  f.ok(b, t0 + 10s);
  // Its next NOTIFY is full state: nothing was assumed from the suppressed one.
  f.s->changed("presence", "sip:bob@example.com", t0 + 20s);
  auto c = f.take();
  REQUIRE(c.notifies.size() == 2);
  CHECK(c.notifies[0].body().rfind("partial:", 0) == 0);
  CHECK(c.notifies[1].body() == "full:open");
}

TEST_CASE("RFC 5839: neutral state has its own tag and a tag dies with its last watcher") {
  srv_fixture f;
  f.decision = ev::authorization::pending;
  f.ids.script = {"pp"};
  auto p = f.feed(f.subscribe("presence", 600, "", "c1"), t0);
  REQUIRE(p.notifies.size() == 1);
  const std::string neutral_tag = header(p.notifies[0], "SIP-ETag");
  f.ok(p, t0);
  // Authorized: the watcher's state is the real one now, so its old tag does not match.
  f.s->authorize(1, ev::authorization::accept, t0 + 1s);
  auto on = f.take();
  REQUIRE(on.notifies.size() == 1);
  const std::string real_tag = header(on.notifies[0], "SIP-ETag");
  CHECK(real_tag != neutral_tag);
  f.ok(on, t0 + 1s);
  auto rr = f.feed(f.subscribe("presence", 600, "pp", "c1", {}, neutral_tag), t0 + 2s);
  CHECK(rr.response.status() == 200);
  CHECK(rr.notifies.size() == 1);
  f.ok(rr, t0 + 2s);
  // The watcher leaves; a later one holding that tag gets the state in full.
  auto bye = f.feed(f.subscribe("presence", 0, "pp", "c1"), t0 + 3s);
  f.ok(bye, t0 + 3s);
  f.decision = ev::authorization::accept;
  auto again = f.feed(f.subscribe("presence", 600, "", "c3", {}, real_tag), t0 + 4s);
  REQUIRE(again.notifies.size() == 1);
  CHECK(again.notifies[0].body() == "full:open");
}

// ---- RFC 6446 rate control ---------------------------------------------------------

namespace {

/// Runs a fixture's notifier, answering each NOTIFY 200 at once, and notes when each
/// went out and what it said.
struct notify_log {
  std::vector<ev::time_point> at;
  std::vector<std::string> bodies, states;
  void collect(srv_fixture& f, ev::time_point now) {
    auto r = f.take();
    for (std::size_t i = 0; i < r.notifies.size(); ++i) {
      at.push_back(now);
      bodies.emplace_back(r.notifies[i].body());
      states.push_back(ss(r.notifies[i]));
      f.ok(r, now, i);
    }
  }
};

}  // namespace

TEST_CASE("RFC 6446: a burst of 50 changes under throttle=5 gives NOTIFYs 5 s apart, the last with the final state") {
  srv_fixture f;
  auto r = f.feed(f.subscribe("presence;throttle=5", 3600), t0);
  REQUIRE(r.notifies.size() == 1);
  CHECK(ss(r.notifies[0]) == "active;expires=3600;throttle=5");
  f.ok(r, t0);
  notify_log log;
  for (int k = 1; k <= 50; ++k) {
    const ev::time_point now = t0 + 200ms * k;
    f.s->advance(now);
    log.collect(f, now);
    f.pkg.state_of["sip:bob@example.com"] = "s" + std::to_string(k);
    f.s->changed("presence", "sip:bob@example.com", now);
    log.collect(f, now);
  }
  // The last change waits its turn: not one tick early.
  CHECK(f.s->next_deadline() == t0 + 15s);
  f.s->advance(t0 + 15s - 1ns);
  log.collect(f, t0 + 15s - 1ns);
  CHECK(log.at.size() == 2);
  f.s->advance(t0 + 15s);
  log.collect(f, t0 + 15s);
  REQUIRE(log.at == std::vector<ev::time_point>{t0 + 5s, t0 + 10s, t0 + 15s});
  CHECK(log.bodies == std::vector<std::string>{"partial:s24", "partial:s49", "partial:s50"});
  for (const auto& st : log.states) CHECK(st.ends_with(";throttle=5"));
  // 50 changes, 3 NOTIFYs: 47 merged into a later one.
  CHECK(f.s->rate_control().merged == 47);
  CHECK(f.s->next_deadline() == t0 + 3600s);  // nothing owed but the expiry
}

TEST_CASE("RFC 6446: max-rate and throttle over the package interval floor - the values in force are answered") {
  struct tcase {
    std::chrono::milliseconds floor;
    std::string asked, answered;
    std::chrono::milliseconds gap;
  };
  const tcase cases[] = {
      {0ms, "max-rate=0.2", "max-rate=0.2", 5s},
      {10s, "max-rate=0.2", "max-rate=0.1", 10s},
      {10s, "throttle=2.5", "throttle=10", 10s},
      {0ms, "max-rate=1;throttle=5", "max-rate=0.2;throttle=5", 5s},
      {0ms, "max-rate=3", "max-rate=3", 333ms},  // as asked when that is what applies
      {0ms, "max-rate=0.00001", "max-rate=0.000012", 86400s},  // a day at most
  };
  for (const auto& c : cases) {
    CAPTURE(c.asked);
    srv_fixture f;
    f.pkg.interval = c.floor;
    auto r = f.feed(f.subscribe("presence;" + c.asked, 600), t0);
    REQUIRE(r.notifies.size() == 1);
    CHECK(ss(r.notifies[0]) == "active;expires=600;" + c.answered);
    f.ok(r, t0);
    f.s->changed("presence", "sip:bob@example.com", t0);
    CHECK(f.take().notifies.empty());
    if (c.gap < 600s) {
      CHECK(f.s->next_deadline() == t0 + c.gap);
      f.s->advance(t0 + c.gap);
      CHECK(f.take().notifies.size() == 1);
    } else {
      CHECK(f.s->next_deadline() == t0 + 600s);  // the change waits past the expiry
    }
  }
}

TEST_CASE("RFC 6446: min-rate forces a NOTIFY with full state after each quiet interval") {
  srv_fixture f;
  auto r = f.feed(f.subscribe("presence;min-rate=0.1", 600), t0);
  REQUIRE(r.notifies.size() == 1);
  CHECK(ss(r.notifies[0]) == "active;expires=600;min-rate=0.1");
  f.ok(r, t0);
  notify_log log;
  CHECK(f.s->next_deadline() == t0 + 10s);
  f.s->advance(t0 + 10s - 1ns);
  log.collect(f, t0 + 10s - 1ns);
  CHECK(log.at.empty());
  f.s->advance(t0 + 10s);
  log.collect(f, t0 + 10s);
  REQUIRE(log.bodies == std::vector<std::string>{"full:open"});
  // A change is a NOTIFY too: the next forced one counts from it.
  f.pkg.state_of["sip:bob@example.com"] = "closed";
  f.s->changed("presence", "sip:bob@example.com", t0 + 15s);
  log.collect(f, t0 + 15s);
  CHECK(log.bodies.back() == "partial:closed");
  CHECK(f.s->next_deadline() == t0 + 25s);
  f.s->advance(t0 + 25s);
  log.collect(f, t0 + 25s);
  CHECK(log.at == std::vector<ev::time_point>{t0 + 10s, t0 + 15s, t0 + 25s});
  CHECK(log.bodies.back() == "full:closed");
  CHECK(f.s->rate_control().forced == 2);

  // Asked too often: the notifier's floor (1 s by default) and max-rate bound it.
  srv_fixture g;
  auto fast = g.feed(g.subscribe("presence;min-rate=10", 600), t0);
  CHECK(ss(fast.notifies.at(0)) == "active;expires=600;min-rate=1");
  srv_fixture h;
  auto both = h.feed(h.subscribe("presence;max-rate=0.1;min-rate=1", 600), t0);
  CHECK(ss(both.notifies.at(0)) == "active;expires=600;max-rate=0.1;min-rate=0.1");
  h.ok(both, t0);
  CHECK(h.s->next_deadline() == t0 + 10s);
}

TEST_CASE("RFC 6446: adaptive-min-rate keeps the average rate - a busy resource is not forced") {
  for (const bool adaptive : {true, false}) {
    CAPTURE(adaptive);
    srv_fixture f;
    auto r = f.feed(f.subscribe(adaptive ? "presence;adaptive-min-rate=0.1" : "presence;min-rate=0.1", 600), t0);
    CHECK(ss(r.notifies.at(0)) ==
          (adaptive ? "active;expires=600;adaptive-min-rate=0.1" : "active;expires=600;min-rate=0.1"));
    f.ok(r, t0);
    notify_log log;
    for (int k = 1; k <= 4; ++k) {
      f.s->changed("presence", "sip:bob@example.com", t0 + 1s * k);
      log.collect(f, t0 + 1s * k);
    }
    CHECK(log.at.size() == 4);
    // Five NOTIFYs in the first 4 s: the average allows the next one to wait until
    // 5 intervals have passed. min-rate counts each gap on its own.
    const ev::time_point due = adaptive ? t0 + 50s : t0 + 14s;
    CHECK(f.s->next_deadline() == due);
    f.s->advance(due - 1ns);
    log.collect(f, due - 1ns);
    CHECK(log.at.size() == 4);
    f.s->advance(due);
    log.collect(f, due);
    REQUIRE(log.at.size() == 5);
    CHECK(log.bodies.back() == "full:open");
    CHECK(f.s->next_deadline() == due + 10s);
  }
}

TEST_CASE("RFC 6446: malformed rate parameters get 400 naming the fault") {
  const std::pair<std::string, std::string> cases[] = {
      {"max-rate=abc", "Bad max-rate parameter"},
      {"max-rate=0", "Bad max-rate parameter"},
      {"max-rate=0.000", "Bad max-rate parameter"},
      {"max-rate", "Bad max-rate parameter"},
      {"min-rate=-1", "Bad min-rate parameter"},
      {"min-rate=1e3", "Bad min-rate parameter"},
      {"adaptive-min-rate=1.2.3", "Bad adaptive-min-rate parameter"},
      {"throttle=1234567890123456", "Bad throttle parameter"},
      {"min-rate=1;adaptive-min-rate=1", "min-rate and adaptive-min-rate together"},
  };
  for (const auto& [params, why] : cases) {
    CAPTURE(params);
    srv_fixture f;
    auto r = f.feed(f.subscribe("presence;" + params, 600), t0);
    CHECK(r.response.status() == 400);
    CHECK(r.response.reason() == why);
    CHECK(r.notifies.empty());
    CHECK(f.s->size() == 0);
  }
}

TEST_CASE("RFC 6446: each refresh sets the rate anew and a new rate is answered even under Suppress-If-Match") {
  srv_fixture f;
  f.ids.script = {"st"};
  auto r = f.feed(f.subscribe("presence;throttle=5", 600), t0);
  const std::string tag = header(r.notifies.at(0), "SIP-ETag");
  f.ok(r, t0);
  auto faster = f.feed(f.subscribe("presence;max-rate=1", 600, "st", "c1", {}, tag), t0 + 100s);
  CHECK(faster.response.status() == 200);
  REQUIRE(faster.notifies.size() == 1);
  CHECK(ss(faster.notifies[0]) == "active;expires=600;max-rate=1");
  f.ok(faster, t0 + 100s);
  // The same rate and the same state: RFC 5839 applies again.
  auto same = f.feed(f.subscribe("presence;max-rate=1", 600, "st", "c1", {}, tag), t0 + 200s);
  CHECK(same.response.status() == 204);
  // Without the parameters: no rate control, no parameters answered.
  auto plain = f.feed(f.subscribe("presence", 600, "st"), t0 + 300s);
  REQUIRE(plain.notifies.size() == 1);
  CHECK(ss(plain.notifies[0]) == "active;expires=600");
  f.ok(plain, t0 + 300s);
  f.s->changed("presence", "sip:bob@example.com", t0 + 300s);
  CHECK(f.take().notifies.size() == 1);
}

TEST_CASE("RFC 6446: the rate asked survives a restart through the journal") {
  srv_fixture f;
  sipevents::store::journal j;
  f.s->set_journal(&j);
  auto r = f.feed(f.subscribe("presence;throttle=5;min-rate=0.01", 600), t0);
  f.ok(r, t0);
  sipevents::store::subscription_record saved;
  for (auto& e : j.take())
    if (e.value) saved = std::get<sipevents::store::subscription_record>(*e.value);
  CHECK(saved.rate_control == ";min-rate=0.01;throttle=5");
  srv_fixture g;
  REQUIRE(g.s->restore(saved, t0 + 60s) != 0);
  auto back = g.take();
  REQUIRE(back.notifies.size() == 1);
  CHECK(ss(back.notifies[0]) == "active;expires=540;min-rate=0.01;throttle=5");
  g.ok(back, t0 + 60s);
  g.s->changed("presence", "sip:bob@example.com", t0 + 61s);
  CHECK(g.take().notifies.empty());
  CHECK(g.s->next_deadline() == t0 + 65s);
}
