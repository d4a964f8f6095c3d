// The state store: records as bytes, the journal, and restarts of the sans-I/O core
// (registrar, reg notifier, ESC) at exact instants, with an in-memory store between
// the two lives; then the SQLite adapter on real files.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sqlite3.h>

#include "../events/events_support.hpp"
#include "sipevents/events/publication_server.hpp"
#include "sipevents/reg/reg_package.hpp"
#include "sipevents/store/state_store.hpp"
#include "sipevents/store_sqlite/sqlite_store.hpp"
#include "support.hpp"

using namespace evtest;
namespace ss = sipevents::store;
namespace sr = sipevents::registrar;
namespace rg = sipevents::reg;

namespace {

const ss::clock_pair clocks{t0, 1'800'000'000'000};

/// A store in memory: what a commit wrote, by (kind, key); a switch to fail commits.
struct memory_store final : ss::state_store {
  std::map<std::pair<ss::record_kind, std::string>, std::string> rows;
  bool broken = false;
  std::size_t commits = 0;
  std::error_code commit(std::span<const ss::stored> batch) override {
    if (broken) return ss::store_errc::unavailable;
    ++commits;
    for (const auto& s : batch) {
      if (s.value) rows[{s.kind, s.key}] = *s.value;
      else rows.erase({s.kind, s.key});
    }
    return {};
  }
  std::error_code load(ss::record_kind k,
                       const std::function<void(std::string_view, std::string_view)>& each) override {
    for (const auto& [key, v] : rows)
      if (key.first == k) each(key.second, v);
    return {};
  }
  std::string last_error() const override { return broken ? "broken" : ""; }
  std::size_t count(ss::record_kind k) const {
    std::size_t n = 0;
    for (const auto& [key, v] : rows) n += key.first == k;
    return n;
  }
};

void commit(ss::journal& j, memory_store& s, const ss::clock_pair& c = clocks) {
  std::vector<ss::stored> batch;
  for (const auto& e : j.take()) batch.push_back(ss::to_stored(e, c));
  REQUIRE_FALSE(s.commit(batch));
}

ss::subscription_record sample_subscription() {
  ss::subscription_record r;
  r.key = "k1";
  r.package = "reg";
  r.event_id = "7";
  r.resource = "sip:joe@example.com";
  r.content_type = "application/reginfo+xml";
  r.authorization = 0;
  r.state = 2;
  r.expires_at = t0 + 3600s;
  r.call_id = "c1@app";
  r.local_tag = "lt";
  r.remote_tag = "rt";
  r.local_uri = "sip:joe@example.com";
  r.remote_uri = "sip:app.example.com";
  r.remote_target = "sip:app.example.com:5070";
  r.local_contact = "sip:server.example.com";
  r.route_set = {"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"};
  r.local_cseq = 5;
  r.cseq_mark = 37;
  r.remote_cseq = 2;
  r.package_state = "4";
  r.rate_control = ";max-rate=0.2";
  return r;
}

}  // namespace

TEST_CASE("store codec: every record kind round-trips - times go through the wall clock") {
  ss::binding_record b{"sip:joe@example.com", "b1", "sip:joe@192.0.2.4:5062", "Joe", ";+sip.instance=\"<urn:x>\";reg-id=1",
                       "call-1", 9, 500, "udp:192.0.2.4:5062", t0 + 3600s, t0 - 10s};
  ss::publication_record p{"etag1", "presence", "sip:alice@example.com", "sip:alice@example.com",
                           "application/pidf+xml", std::string("<x/>\0bin", 8), t0 + 60s, 12};
  ss::meta_record m{"auth.secret", std::string("\0\xff key", 6)};
  for (const ss::record& r : std::vector<ss::record>{b, p, sample_subscription(), m}) {
    const std::string bytes = ss::encode(r, clocks);
    if (const char* seeds = std::getenv("SIPEVENTS_STORE_SEEDS")) {
      // scripts/fuzz.sh seeds fuzz_store with these: the kind byte, then the value.
      std::ofstream(std::filesystem::path(seeds) / ("record-" + std::to_string(r.index())), std::ios::binary)
          << char(ss::kind_of(r)) << bytes;
    }
    ss::record back;
    REQUIRE(ss::decode(ss::kind_of(r), bytes, clocks, back));
    CHECK(ss::encode(back, clocks) == bytes);
    CHECK(ss::key_of(back) == ss::key_of(r));
    CHECK(ss::expiry_of(back) == ss::expiry_of(r));
    // Another process reads the same wall-clock instant at another steady time.
    const ss::clock_pair later{t0 + 500h, clocks.wall_ms + 7'000};
    REQUIRE(ss::decode(ss::kind_of(r), bytes, later, back));
    if (ss::kind_of(r) != ss::record_kind::meta) CHECK(ss::expiry_of(back) == ss::expiry_of(r) + 500h - 7s);
    // Cut anywhere, or one byte longer, or read as another kind: refused, never a crash.
    // A subscription cut where rate_control begins is one written before that field
    // existed: it reads, without rate control.
    const std::size_t older_end = ss::kind_of(r) == ss::record_kind::subscription
                                      ? bytes.size() - 1 - sample_subscription().rate_control.size()
                                      : bytes.size();
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      if (cut == older_end) {
        REQUIRE(ss::decode(ss::kind_of(r), bytes.substr(0, cut), clocks, back));
        CHECK(std::get<ss::subscription_record>(back).rate_control.empty());
        CHECK(std::get<ss::subscription_record>(back).package_state == "4");
        continue;
      }
      CHECK_FALSE(ss::decode(ss::kind_of(r), bytes.substr(0, cut), clocks, back));
    }
    CHECK_FALSE(ss::decode(ss::kind_of(r), bytes + "x", clocks, back));
    std::string newer = bytes;
    newer[0] = 2;
    CHECK_FALSE(ss::decode(ss::kind_of(r), newer, clocks, back));
  }
  ss::record back;
  REQUIRE(ss::decode(ss::record_kind::subscription, ss::encode(sample_subscription(), clocks), clocks, back));
  const auto& s = std::get<ss::subscription_record>(back);
  CHECK(s.route_set == sample_subscription().route_set);
  CHECK(s.remote_cseq == 2u);
  CHECK(s.cseq_mark == 37u);
  CHECK(s.rate_control == ";max-rate=0.2");
  CHECK(std::get<ss::binding_record>(ss::record(b)).q == 500);
}

TEST_CASE("store codec: a route count beyond the bytes left is refused without allocating for it") {
  std::string bytes = ss::encode(sample_subscription(), clocks);
  ss::subscription_record none = sample_subscription();
  none.route_set.clear();
  std::string base = ss::encode(none, clocks);
  // The count sits right after local_contact; make it huge.
  const std::size_t at = base.find("sip:server.example.com") + std::string("sip:server.example.com").size();
  REQUIRE(base[at] == 0);
  base.replace(at, 1, std::string("\xff\xff\xff\xff\x0f", 5));
  ss::record back;
  CHECK_FALSE(ss::decode(ss::record_kind::subscription, base, clocks, back));
}

TEST_CASE("journal: writes to one key coalesce, an erase after a put wins, a failed batch goes back under newer ones") {
  ss::journal j;
  int woken = 0;
  j.on_first([&] { ++woken; });
  ss::meta_record a{"a", "1"};
  j.put(a);
  j.put(ss::meta_record{"a", "2"});
  j.put(ss::meta_record{"b", "1"});
  j.erase(ss::record_kind::meta, "b");
  CHECK(woken == 1);
  CHECK(j.size() == 2);
  auto taken = j.take();
  REQUIRE(taken.size() == 2);
  CHECK(std::get<ss::meta_record>(*taken[0].value).value == "2");
  CHECK_FALSE(taken[1].value);
  CHECK(j.empty());
  j.put(ss::meta_record{"a", "3"});  // newer than the batch that is about to fail
  CHECK(woken == 2);
  j.restore(std::move(taken));
  auto again = j.take();
  REQUIRE(again.size() == 2);
  CHECK(std::get<ss::meta_record>(*again[0].value).value == "3");
  CHECK(again[1].key == "b");
  CHECK_FALSE(again[1].value);
}

namespace {

/// One life of a reg notifier: registrar, reg package and notifier on one journal.
struct reg_node {
  tokens sids;
  int bids = 0;
  ss::journal journal;
  sr::registrar registrar{[this](std::size_t) { return "b" + std::to_string(++bids); }};
  rg::reg_package pkg{registrar};
  ev::subscription_server srv;
  explicit reg_node(std::string prefix) : srv(sids.source(), config()) {
    sids.script = {prefix + "1", prefix + "2", prefix + "3", prefix + "4", prefix + "5"};
    srv.add_package(pkg);
    registrar.set_journal(&journal);
    srv.set_journal(&journal);
  }
  static ev::server_config config() {
    ev::server_config c;
    c.contact = "sip:server.example.com";
    c.cseq_reserve = 8;
    return c;
  }
  void restore(memory_store& s, ev::time_point now, const ss::clock_pair& c) {
    ss::loaded l;
    REQUIRE_FALSE(ss::load_all(s, c, l));
    CHECK(l.unreadable == 0);
    for (const auto& b : l.bindings) registrar.restore(b, now);
    for (const auto& r : l.subscriptions) srv.restore(r, now);
  }
};

struct notify_seen {
  std::uint32_t cseq = 0;
  std::string state;
  rg::reginfo doc;
  sm::message msg;
};

/// Sends every NOTIFY of `srv` to the watcher, answers 200, returns what was seen.
std::vector<notify_seen> notifies(ev::subscription_server& srv, ev::subscription_client& app, ev::time_point now) {
  std::vector<notify_seen> out;
  ev::server_event se;
  while (srv.poll(se)) {
    if (se.what != ev::server_event::kind::send) continue;
    sm::message n = wire(se.request, "server.example.com");
    std::uint16_t st = app.on_notify(n, now);
    REQUIRE(st == 200);
    srv.on_response(se.request.key, answer(n, st, ""), now);
    notify_seen seen{n.cseq().seq, header(n, "Subscription-State"), {}, n};
    std::string err;
    if (!n.body().empty()) REQUIRE(rg::decode(n.body(), seen.doc, &err));
    out.push_back(std::move(seen));
    ev::client_event ce;
    while (app.poll(ce)) {
    }
  }
  return out;
}

sm::message register_joe(std::uint32_t cseq, std::uint32_t expires) {
  auto b = sm::message_builder::request("REGISTER", "sip:example.com");
  b.header("Via", "SIP/2.0/UDP 192.0.2.4:5062;branch=z9hG4bKr" + std::to_string(cseq));
  b.header("From", "<sip:joe@example.com>;tag=j1");
  b.header("To", "<sip:joe@example.com>");
  b.header("Call-ID", "reg-joe");
  b.header("CSeq", std::to_string(cseq) + " REGISTER");
  b.header("Contact", "<sip:joe@192.0.2.4:5062>;+sip.instance=\"<urn:uuid:1>\"");
  b.header("Expires", std::to_string(expires));
  return build(b);
}

/// The reg watcher of joe the tests use, and its SUBSCRIBE to `node` at t0 with the
/// NOTIFYs that follow.
struct reg_watcher {
  rg::reg_package decoder;
  tokens cids;
  ev::subscription_client app{{"reg", "", "sip:app.example.com", "sip:joe@example.com", "", "sip:app.example.com:5070",
                               {"application/reginfo+xml"}, 3600, {}},
                              cids.source(), {}, &decoder};
  std::vector<notify_seen> subscribe(reg_node& node) {
    app.start(t0);
    ev::client_event ce;
    REQUIRE(app.poll(ce));
    node.srv.on_subscribe(1, wire(ce.request, "app.example.com"), t0);
    ev::server_event se;
    REQUIRE(node.srv.poll(se));
    REQUIRE(se.what == ev::server_event::kind::respond);
    app.on_response(ce.request.key, build(se.response), t0);
    return notifies(node.srv, app, t0);
  }
};

}  // namespace

TEST_CASE("restart: bindings and reg subscriptions come back - NOTIFY at once, CSeq and version above any sent") {
  memory_store disk;
  reg_watcher w;
  ev::subscription_client& app = w.app;
  std::uint32_t last_cseq = 0, last_version = 0;
  std::string dialog_tag;
  {
    reg_node a("first");
    REQUIRE(w.subscribe(a).size() == 1);
    // A REGISTER, then ten refreshes, each a NOTIFY: more than the reservation.
    for (std::uint32_t k = 1; k <= 11; ++k) {
      sm::message ok;
      REQUIRE_FALSE(a.registrar.on_register(register_joe(k, 3600), t0 + std::chrono::seconds(k), {}, "udp:192.0.2.4:5062").build(ok));
      CHECK(ok.status() == 200);
      sr::binding_change bc;
      while (a.registrar.poll(bc)) a.srv.changed("reg", a.pkg.apply(bc), t0 + std::chrono::seconds(k));
      for (auto& x : notifies(a.srv, app, t0 + std::chrono::seconds(k))) {
        last_cseq = x.cseq;
        last_version = x.doc.version;
        dialog_tag = std::string(x.msg.from().tag);
      }
    }
    CHECK(last_cseq == 12);
    CHECK(last_version == 11);
    commit(a.journal, disk);
    CHECK(disk.count(ss::record_kind::binding) == 1);
    CHECK(disk.count(ss::record_kind::subscription) == 1);
    // The record holds a reservation above the last CSeq: written once per 4 NOTIFYs,
    // not per NOTIFY.
    ss::loaded l;
    REQUIRE_FALSE(ss::load_all(disk, clocks, l));
    REQUIRE(l.subscriptions.size() == 1);
    CHECK(l.subscriptions[0].cseq_mark > last_cseq);
    CHECK(l.subscriptions[0].cseq_mark <= last_cseq + 8);
    CHECK(l.bindings.at(0).received == "udp:192.0.2.4:5062");
    CHECK(l.bindings.at(0).params.find("+sip.instance") != std::string::npos);
  }  // the first life ends without a word: kill -9

  reg_node b("second");
  const auto later = t0 + 100s;
  b.restore(disk, later, clocks);
  REQUIRE(b.registrar.lookup("sip:joe@example.com"));
  CHECK(b.registrar.lookup("sip:joe@example.com")->at(0).uri == "sip:joe@192.0.2.4:5062");
  auto n = notifies(b.srv, app, later);
  REQUIRE(n.size() == 1);
  CHECK(n[0].cseq > last_cseq);
  CHECK(n[0].doc.version > last_version);
  CHECK(n[0].doc.full);
  CHECK(n[0].state.rfind("active;expires=", 0) == 0);
  CHECK(std::string(n[0].msg.from().tag) == dialog_tag);  // the same dialog
  REQUIRE(n[0].doc.registrations.at(0).contacts.size() == 1);
  CHECK(n[0].doc.registrations[0].contacts[0].uri == "sip:joe@192.0.2.4:5062");

  // An in-dialog refresh after the restart: 200, not 481.
  app.refresh(later + 1s);
  ev::client_event ce;
  while (app.poll(ce) && ce.what != ev::client_event::kind::send) {
  }
  REQUIRE(ce.what == ev::client_event::kind::send);
  b.srv.on_subscribe(2, wire(ce.request, "app.example.com"), later + 1s);
  ev::server_event se;
  REQUIRE(b.srv.poll(se));
  REQUIRE(se.what == ev::server_event::kind::respond);
  CHECK(build(se.response).status() == 200);
}

TEST_CASE("restart: what expired while down ends - exactly at its expiry it is gone, one tick before it stays") {
  for (auto [at, alive] : {std::pair{t0 + 3600s - 1ms, true}, std::pair{t0 + 3600s, false}}) {
    memory_store disk;
    reg_watcher w;
    {
      reg_node a("first");
      REQUIRE(w.subscribe(a).size() == 1);
      sm::message ok;
      REQUIRE_FALSE(a.registrar.on_register(register_joe(1, 3600), t0).build(ok));
      commit(a.journal, disk);
    }
    reg_node b("second");
    b.restore(disk, at, clocks);
    CHECK((b.registrar.lookup("sip:joe@example.com") != nullptr) == alive);
    ev::server_event se;
    std::vector<std::string> states;
    while (b.srv.poll(se))
      if (se.what == ev::server_event::kind::send) states.push_back(header(wire(se.request), "Subscription-State"));
    REQUIRE(states.size() == 1);
    if (alive) CHECK(states[0] == "active;expires=0");
    else CHECK(states[0] == "terminated;reason=timeout");
    commit(b.journal, disk);
    CHECK(disk.count(ss::record_kind::binding) == (alive ? 1u : 0u));
  }
}

TEST_CASE("restart: a publication's ETag still works - one that expired meanwhile is gone and gets 412") {
  test_package pkg;
  memory_store disk;
  auto publish = [](std::string_view if_match, std::uint32_t expires, bool with_body) {
    auto b = sm::message_builder::request("PUBLISH", "sip:alice@example.com");
    b.header("Via", "SIP/2.0/UDP 192.0.2.5;branch=z9hG4bKp" + std::to_string(++g_branch));
    b.header("From", "<sip:alice@example.com>;tag=a");
    b.header("To", "<sip:alice@example.com>");
    b.header("Call-ID", "pub-" + std::to_string(g_branch));
    b.header("CSeq", "1 PUBLISH");
    b.header("Event", "presence");
    b.header("Expires", std::to_string(expires));
    if (!if_match.empty()) b.header("SIP-If-Match", if_match);
    if (with_body) b.body("application/pidf+xml", "<presence/>");
    return build(b);
  };
  std::string etag_long, etag_short;
  {
    tokens ids;
    ss::journal j;
    ev::publication_server esc(ids.source());
    esc.add_package(pkg, {3600, 60, 7200});
    esc.set_journal(&j);
    sm::message r = build(esc.on_publish(publish({}, 3600, true), t0));
    etag_long = header(r, "SIP-ETag");
    sm::message r2 = build(esc.on_publish(publish({}, 60, true), t0));
    etag_short = header(r2, "SIP-ETag");
    // A refresh makes a new tag and drops the old from the store.
    sm::message r3 = build(esc.on_publish(publish(etag_long, 3600, false), t0 + 1s));
    CHECK(r3.status() == 200);
    const std::string old = etag_long;
    etag_long = header(r3, "SIP-ETag");
    commit(j, disk);
    CHECK(disk.count(ss::record_kind::publication) == 2);
    CHECK_FALSE(disk.rows.count({ss::record_kind::publication, old}));
  }
  tokens ids;
  ss::journal j;
  ev::publication_server esc(ids.source());
  esc.add_package(pkg, {3600, 60, 7200});
  esc.set_journal(&j);
  ss::loaded l;
  REQUIRE_FALSE(ss::load_all(disk, clocks, l));
  std::size_t taken = 0;
  for (const auto& p : l.publications) taken += esc.restore(p, t0 + 60s);  // the short one ends now
  CHECK(taken == 1);
  ev::publication_change c;
  REQUIRE(esc.poll(c));
  CHECK(c.kind == ev::publication_change_kind::created);
  CHECK(c.etag == etag_long);
  CHECK(esc.on_publish(publish(etag_long, 3600, false), t0 + 61s).text().rfind("SIP/2.0 200", 0) == 0);
  CHECK(esc.on_publish(publish(etag_short, 3600, false), t0 + 61s).text().rfind("SIP/2.0 412", 0) == 0);
  commit(j, disk);
  CHECK(disk.count(ss::record_kind::publication) == 1);
}

// ---- SQLite --------------------------------------------------------------------------

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() / ("sipevents-store-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(++counter));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  static inline int counter = 0;
};

void sql(const std::filesystem::path& db, const char* text) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, text, nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

std::string bytes_of(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("sqlite store: what a commit wrote is there after reopening - an erase removes it") {
  temp_dir dir;
  const auto file = (dir.path / "state.db").string();
  std::string err;
  {
    auto db = sipevents::store_sqlite::sqlite_store::open(file, {}, err);
    REQUIRE(db);
    CHECK(db->opened_version() == 0);
    ss::journal j;
    j.put(sample_subscription());
    j.put(ss::meta_record{"auth.secret", "k"});
    j.put(ss::meta_record{"gone", "x"});
    std::vector<ss::stored> batch;
    for (const auto& e : j.take()) batch.push_back(ss::to_stored(e, clocks));
    REQUIRE_FALSE(db->commit(batch));
    j.erase(ss::record_kind::meta, "gone");
    batch.clear();
    for (const auto& e : j.take()) batch.push_back(ss::to_stored(e, clocks));
    REQUIRE_FALSE(db->commit(batch));
  }
  auto db = sipevents::store_sqlite::sqlite_store::open(file, {.full_sync = false}, err);
  REQUIRE(db);
  CHECK(db->opened_version() == sipevents::store_sqlite::schema_version);
  ss::loaded l;
  REQUIRE_FALSE(ss::load_all(*db, clocks, l));
  REQUIRE(l.subscriptions.size() == 1);
  CHECK(l.subscriptions[0].route_set == sample_subscription().route_set);
  CHECK(ss::meta_value(l, "auth.secret") == "k");
  CHECK(ss::meta_value(l, "gone").empty());
}

TEST_CASE("sqlite store: an older schema is migrated - foreign, newer and non-SQLite files are refused untouched") {
  temp_dir dir;
  std::string err;
  const std::string app_id = std::to_string(sipevents::store_sqlite::application_id);
  SECTION("schema 1 is migrated and its records stay readable") {
    const auto file = dir.path / "v1.db";
    const std::string value = ss::encode(sample_subscription(), clocks);
    std::string hex;
    for (unsigned char c : value) hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 15];
    sql(file, ("PRAGMA application_id=" + app_id + "; PRAGMA user_version=1;"
               "CREATE TABLE records(kind INTEGER NOT NULL, key BLOB NOT NULL, data BLOB NOT NULL,"
               " PRIMARY KEY(kind, key)) WITHOUT ROWID;"
               "INSERT INTO records VALUES(3, CAST('k1' AS BLOB), X'" + hex + "');").c_str());
    auto db = sipevents::store_sqlite::sqlite_store::open(file.string(), {}, err);
    REQUIRE(db);
    CHECK(db->opened_version() == 1);
    ss::loaded l;
    REQUIRE_FALSE(ss::load_all(*db, clocks, l));
    REQUIRE(l.subscriptions.size() == 1);
    CHECK(l.subscriptions[0].key == "k1");
    db.reset();
    auto again = sipevents::store_sqlite::sqlite_store::open(file.string(), {}, err);
    REQUIRE(again);
    CHECK(again->opened_version() == sipevents::store_sqlite::schema_version);
  }
  SECTION("refused") {
    struct bad {
      const char* name;
      std::string setup;  // SQL, or "text:..." for a plain file
      const char* says;
    };
    for (const bad& b : {bad{"foreign.db", "CREATE TABLE t(x); INSERT INTO t VALUES(1);", "another program"},
                         bad{"other-app.db", "PRAGMA application_id=7; CREATE TABLE t(x);", "another program"},
                         bad{"newer.db", "PRAGMA application_id=" + app_id + "; PRAGMA user_version=99; CREATE TABLE records(x);",
                             "newer sipevents (schema 99"},
                         bad{"text.db", "text:this is not a database, but a users file\njoe:pw\n", "not a sipevents database"}}) {
      const auto file = dir.path / b.name;
      if (b.setup.rfind("text:", 0) == 0) std::ofstream(file, std::ios::binary) << b.setup.substr(5);
      else sql(file, b.setup.c_str());
      const std::string before = bytes_of(file);
      err.clear();
      CHECK_FALSE(sipevents::store_sqlite::sqlite_store::open(file.string(), {}, err));
      INFO(err);
      CHECK(err.find(b.says) != std::string::npos);
      CHECK(bytes_of(file) == before);
      CHECK_FALSE(std::filesystem::exists(file.string() + "-wal"));
    }
  }
  SECTION("a missing file is not created when creation is off (--dump)") {
    CHECK_FALSE(sipevents::store_sqlite::sqlite_store::open((dir.path / "none.db").string(), {.create = false}, err));
    CHECK_FALSE(std::filesystem::exists(dir.path / "none.db"));
  }
}

TEST_CASE("store codec: a stored time of any value reads without overflow (fuzz_store found it)") {
  ss::binding_record b;
  b.id = "b";
  for (std::int64_t wall : {std::numeric_limits<std::int64_t>::min(), std::int64_t(-3'602'881'501'896'396'800),
                            std::int64_t(0), clocks.wall_ms, std::numeric_limits<std::int64_t>::max() - 1}) {
    const ss::time_point t = clocks.to_steady(wall);
    CHECK(t >= clocks.steady - std::chrono::milliseconds(1'000'000'000'000));
    CHECK(t <= clocks.steady + std::chrono::milliseconds(1'000'000'000'000));
    CHECK((t < clocks.steady) == (wall < clocks.wall_ms));
  }
  CHECK(clocks.to_steady(clocks.wall_ms + 1500) == clocks.steady + 1500ms);
}
