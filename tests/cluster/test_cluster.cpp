// The cluster's sans-I/O parts at exact instants: other nodes' writes taken into a
// registrar and an ESC as the changes they were, the expiry hold, the replica, the
// takeover record; and the runtime holding answers behind an asynchronous commit.
#include <catch2/catch.hpp>

#include <optional>

#include <asio.hpp>

#include "../events/events_support.hpp"
#include "sipevents/cluster/cluster_replica.hpp"
#include "sipevents/presence/presence_package.hpp"
#include "sipevents/transport/runtime.hpp"

using namespace evtest;
namespace ss = sipevents::store;
namespace sr = sipevents::registrar;
namespace cl = sipevents::cluster;

namespace {

const ss::clock_pair clocks{t0, 1'800'000'000'000};
constexpr auto hold = std::chrono::milliseconds(5000);

ss::binding_record joe(std::string id, ev::time_point expires, std::uint32_t cseq = 1) {
  ss::binding_record b;
  b.aor = "sip:joe@example.com";
  b.id = std::move(id);
  b.uri = "sip:joe@192.0.2.4:5062";
  b.call_id = "c1";
  b.cseq = cseq;
  b.expires_at = expires;
  b.registered_at = t0;
  return b;
}

std::vector<sr::binding_change> drain(sr::registrar& r) {
  std::vector<sr::binding_change> out;
  sr::binding_change c;
  while (r.poll(c)) out.push_back(c);
  return out;
}

std::vector<ev::publication_change> drain(ev::publication_server& e) {
  std::vector<ev::publication_change> out;
  ev::publication_change c;
  while (e.poll(c)) out.push_back(c);
  return out;
}

const char* pidf_open =
    "<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:alice@example.com\">"
    "<tuple id=\"t\"><status><basic>open</basic></status></tuple></presence>";
const char* pidf_closed =
    "<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:alice@example.com\">"
    "<tuple id=\"t\"><status><basic>closed</basic></status></tuple></presence>";

ss::publication_record alice(std::string etag, const char* body, ev::time_point expires, std::uint64_t modified = 1) {
  return {std::move(etag), "presence", "sip:alice@example.com", "sip:alice@example.com", "application/pidf+xml",
          body, expires, modified};
}

ss::stored put(const ss::record& r) {
  ss::entry e;
  e.kind = ss::kind_of(r);
  e.key = ss::key_of(r);
  e.group = ss::group_of(r);
  e.value = r;
  return ss::to_stored(e, clocks);
}

ss::stored erase(ss::record_kind k, std::string key, std::string group, std::string reason) {
  ss::stored s;
  s.kind = k;
  s.key = std::move(key);
  s.group = std::move(group);
  s.reason = std::move(reason);
  return s;
}

}  // namespace

TEST_CASE("registrar: another node's write is reported as the change it was, once, its expiry waits the hold") {
  tokens ids;
  sr::registrar r(ids.source());
  r.apply_remote(joe("b1", t0 + 60s), t0, hold);
  auto c = drain(r);
  REQUIRE(c.size() == 1);
  CHECK(c[0].event == sr::binding_event::registered);
  // The same write again (a catch-up reading what was applied): nothing.
  r.apply_remote(joe("b1", t0 + 60s), t0 + 1s, hold);
  CHECK(drain(r).empty());
  r.apply_remote(joe("b1", t0 + 120s, 2), t0 + 2s, hold);
  c = drain(r);
  REQUIRE(c.size() == 1);
  CHECK(c[0].event == sr::binding_event::refreshed);
  r.apply_remote(joe("b1", t0 + 90s, 3), t0 + 3s, hold);
  CHECK(drain(r).at(0).event == sr::binding_event::shortened);
  // The writer acts on the expiry at t0+90s; here it is held until t0+95s.
  CHECK(r.next_deadline() == t0 + 95s);
  r.advance(t0 + 95s - 1ms);
  CHECK(drain(r).empty());
  CHECK(r.lookup("sip:joe@example.com"));
  r.advance(t0 + 95s);
  c = drain(r);
  REQUIRE(c.size() == 1);
  CHECK(c[0].event == sr::binding_event::expired);
}

TEST_CASE("registrar: another node's erase carries its reason, a refresh here makes the expiry ours again") {
  tokens ids;
  sr::registrar r(ids.source());
  ss::journal j;
  r.set_journal(&j);
  r.apply_remote(joe("b1", t0 + 60s), t0, hold);
  CHECK(j.empty());  // another node's write is not written back
  drain(r);
  CHECK(r.apply_remote_erase("sip:joe@example.com", "b1", sr::binding_event::unregistered));
  auto c = drain(r);
  REQUIRE(c.size() == 1);
  CHECK(c[0].event == sr::binding_event::unregistered);
  CHECK(j.empty());
  CHECK_FALSE(r.apply_remote_erase("sip:joe@example.com", "b1", sr::binding_event::expired));
  CHECK(sr::binding_event_from("probation") == sr::binding_event::probation);
  CHECK_FALSE(sr::binding_event_from("gone"));

  // Expiry by this registrar: the erase it journals is conditional, for the store.
  r.apply_remote(joe("b2", t0 + 10s), t0, hold);
  drain(r);
  r.advance(t0 + 15s);
  auto taken = j.take();
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].key == "b2");
  CHECK(taken[0].group == "sip:joe@example.com");
  CHECK(taken[0].reason == "expired");
  CHECK(taken[0].if_expired);
}

TEST_CASE("ESC: another node's publication arrives created, a new tag for it modified or refreshed, erases as they were") {
  tokens ids;
  ev::publication_server esc(ids.source());
  sipevents::presence::presence_package pkg(&esc);
  esc.add_package(pkg);
  REQUIRE(esc.apply_remote(alice("e1", pidf_open, t0 + 60s), t0, hold));
  auto c = drain(esc);
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == ev::publication_change_kind::created);
  REQUIRE(esc.apply_remote(alice("e1", pidf_open, t0 + 60s), t0, hold));
  CHECK(drain(esc).empty());  // delivered again: nothing

  // The writer refreshed: erase of the old tag ("replaced"), then the new one.
  esc.apply_remote_erase("e1", "replaced");
  CHECK(drain(esc).empty());
  REQUIRE(esc.apply_remote(alice("e2", pidf_open, t0 + 120s), t0 + 1s, hold));
  c = drain(esc);
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == ev::publication_change_kind::refreshed);
  CHECK(c[0].old_etag == "e1");
  CHECK(esc.publications("presence", "sip:alice@example.com").size() == 1);
  // ... and modified, with a new body.
  esc.apply_remote_erase("e2", "replaced");
  REQUIRE(esc.apply_remote(alice("e3", pidf_closed, t0 + 120s, 2), t0 + 2s, hold));
  c = drain(esc);
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == ev::publication_change_kind::modified);
  // Its expiry waits the hold.
  CHECK(esc.next_deadline() <= t0 + 125s);  // stale heap entries may wake it earlier, harmlessly
  esc.advance(t0 + 125s - 1ms);
  CHECK(drain(esc).empty());
  esc.advance(t0 + 125s);
  c = drain(esc);
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == ev::publication_change_kind::expired);

  REQUIRE(esc.apply_remote(alice("e4", pidf_open, t0 + 200s), t0 + 130s, hold));
  drain(esc);
  esc.apply_remote_erase("e4", "removed");
  c = drain(esc);
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == ev::publication_change_kind::removed);
  CHECK(esc.size() == 0);
}

TEST_CASE("replica: writes decoded and applied in order, unreadable ones counted, a takeover carries our Contact") {
  tokens ids;
  sr::registrar r(ids.source());
  ev::publication_server esc(ids.source());
  sipevents::presence::presence_package pkg(&esc);
  esc.add_package(pkg);
  cl::replica rep(&r, &esc, {hold, "sip:notifier@192.0.2.9:5060"});

  std::vector<ss::stored> batch{put(joe("b1", t0 + 60s)), put(alice("e1", pidf_open, t0 + 60s))};
  ss::stored junk;
  junk.kind = ss::record_kind::binding;
  junk.key = "x";
  junk.value = std::string("\x7f not a record");
  batch.push_back(junk);
  rep.apply(batch, clocks, t0);
  CHECK(r.binding_count() == 1);
  CHECK(esc.size() == 1);
  CHECK(rep.stats().unreadable == 1);
  drain(r);
  drain(esc);
  rep.apply(std::vector<ss::stored>{erase(ss::record_kind::binding, "b1", "sip:joe@example.com", "deactivated"),
                                    erase(ss::record_kind::publication, "e1", "sip:alice@example.com", "expired")},
            clocks, t0 + 1s);
  CHECK(r.binding_count() == 0);
  CHECK(drain(r).at(0).event == sr::binding_event::deactivated);
  CHECK(drain(esc).at(0).kind == ev::publication_change_kind::expired);

  // Resync: what the partition no longer holds goes; the rest is applied.
  rep.apply(std::vector<ss::stored>{put(joe("b2", t0 + 60s)), put(joe("b3", t0 + 60s))}, clocks, t0 + 2s);
  drain(r);
  rep.resync(std::vector<ss::stored>{put(joe("b3", t0 + 60s))}, [](std::string_view) { return true; }, clocks,
             t0 + 3s);
  REQUIRE(r.lookup("sip:joe@example.com"));
  CHECK(r.lookup("sip:joe@example.com")->size() == 1);
  CHECK(r.lookup("sip:joe@example.com")->front().id == "b3");

  ss::subscription_record s;
  s.key = "k1";
  s.package = "presence";
  s.resource = "sip:alice@example.com";
  s.state = 2;
  s.expires_at = t0 + 600s;
  s.call_id = "d1";
  s.local_tag = "lt";
  s.remote_tag = "rt";
  s.local_uri = "sip:alice@example.com";
  s.remote_uri = "sip:bob@example.com";
  s.remote_target = "sip:bob@192.0.2.5";
  s.local_contact = "sip:notifier@192.0.2.8:5060";
  s.local_cseq = 7;
  s.cseq_mark = 39;
  auto taken = rep.take_over(std::vector<ss::stored>{put(s)}, clocks);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].local_contact == "sip:notifier@192.0.2.9:5060");
  CHECK(taken[0].cseq_mark == 39);  // the restore continues above it
  CHECK(taken[0].call_id == "d1");
}

namespace {
/// A store whose commits finish when the test says so.
struct async_store final : ss::state_store {
  std::vector<std::pair<std::vector<ss::stored>, std::function<void(std::error_code)>>> inflight;
  std::error_code commit(std::span<const ss::stored>) override { return ss::store_errc::unavailable; }
  void commit_async(std::vector<ss::stored> batch, std::function<void(std::error_code)> done) override {
    inflight.emplace_back(std::move(batch), std::move(done));
  }
  std::error_code load(ss::record_kind, const std::function<void(std::string_view, std::string_view)>&) override {
    return {};
  }
  std::string last_error() const override { return "down"; }
  void finish(std::error_code ec = {}) {
    auto [b, d] = std::move(inflight.front());
    inflight.erase(inflight.begin());
    d(ec);
  }
};

std::string register_text(int n, std::uint16_t port) {
  return "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(port) +
         ";branch=z9hG4bK-a" + std::to_string(n) +
         "\r\nMax-Forwards: 70\r\nFrom: <sip:u@example.com>;tag=f\r\nTo: <sip:u@example.com>\r\nCall-ID: c" +
         std::to_string(n) + "\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
}
}  // namespace

namespace {
/// A runtime on loopback UDP with an asynchronous store gating REGISTER (503,
/// Retry-After: 7), and a client socket that collects what it is answered.
struct store_rig {
  sipevents::transport::runtime rt;
  ss::journal j;
  async_store store;
  int handled = 0;
  std::optional<asio::ip::udp::socket> client;
  asio::ip::udp::endpoint server, from;
  std::vector<std::string> got;
  std::array<char, 4096> buf{};

  store_rig() {
    sipevents::transport::peer bound;
    REQUIRE_FALSE(rt.listen("udp:127.0.0.1:0", &bound));
    sipevents::transport::store_policy policy;
    policy.status = 503;
    policy.retry_after = 7;
    rt.set_store(&j, &store, policy);
    rt.on_request("REGISTER", [this](sipevents::transport::incoming_request& r) {
      j.put(ss::meta_record{"m" + std::to_string(++handled), "v"});
      rt.respond(r, 200, "OK");
    });
    client.emplace(rt.context(), asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    server = asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), bound.port);
    read();
  }
  void read() {
    client->async_receive_from(asio::buffer(buf), from, [this](std::error_code ec, std::size_t len) {
      if (ec) return;
      got.emplace_back(buf.data(), len);
      read();
    });
  }
  void send(int n) { client->send_to(asio::buffer(register_text(n, client->local_endpoint().port())), server); }
  template <class Pred>
  bool run_until(Pred pred) {
    for (int i = 0; i < 200 && !pred(); ++i) rt.context().run_for(std::chrono::milliseconds(5));
    return pred();
  }
  /// Request 1 handled and its commit in flight; request 2 handled and held behind it.
  void hold_two() {
    send(1);
    REQUIRE(run_until([&] { return store.inflight.size() == 1; }));
    send(2);
    REQUIRE(run_until([&] { return handled == 2; }));
    rt.context().run_for(std::chrono::milliseconds(20));
    CHECK(got.empty());
    CHECK(store.inflight.size() == 1);
  }
};
}  // namespace

TEST_CASE("runtime: with an asynchronous store one commit is in flight, answers wait for theirs, in order, a failure "
          "turns the 2xx into the policy's 503") {
  store_rig s;
  // The second request's write waits for the first commit: one in flight at a time.
  s.hold_two();
  s.store.finish();
  REQUIRE(s.run_until([&] { return s.got.size() == 1 && s.store.inflight.size() == 1; }));
  CHECK(s.got[0].rfind("SIP/2.0 200", 0) == 0);
  CHECK(s.got[0].find("Call-ID: c1") != std::string::npos);
  // The second commit fails: its 200 leaves as 503 with Retry-After.
  s.store.finish(ss::store_errc::unavailable);
  REQUIRE(s.run_until([&] { return s.got.size() == 2; }));
  CHECK(s.got[1].rfind("SIP/2.0 503", 0) == 0);
  CHECK(s.got[1].find("Call-ID: c2") != std::string::npos);
  CHECK(s.got[1].find("Retry-After: 7") != std::string::npos);
  CHECK_FALSE(s.rt.store_healthy());
  // While it fails, REGISTER is answered 503 at once, without a commit.
  s.send(3);
  REQUIRE(s.run_until([&] { return s.got.size() == 3; }));
  CHECK(s.got[2].rfind("SIP/2.0 503", 0) == 0);
  CHECK(s.handled == 2);
}

TEST_CASE("runtime: a 2xx held behind a commit in flight that fails leaves as 503: its records were not in that "
          "commit and none follows while the store fails") {
  // Found by the Redis fault test: a REGISTER's commit in flight to a dead Redis, a
  // PUBLISH handled meanwhile, and the failure released the PUBLISH's 200 unstored.
  store_rig s;
  s.hold_two();
  s.store.finish(ss::store_errc::unavailable);
  REQUIRE(s.run_until([&] { return s.got.size() == 2; }));
  for (const std::string& m : s.got) {
    CHECK(m.rfind("SIP/2.0 503", 0) == 0);
    CHECK(m.find("Retry-After: 7") != std::string::npos);
  }
  CHECK(s.store.inflight.empty());  // no commit while it fails until the retry timer
  CHECK_FALSE(s.j.empty());         // both records wait for that retry
}
