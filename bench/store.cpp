// bench/store: what persistence costs in bytes and time, on SQLite.
//
//   store [--n N] [--dir DIR] [--sync full|normal] [--notifier PATH]
//
// Builds N bindings (REGISTER), N publications (PUBLISH, a small PIDF) and N reg
// subscriptions (SUBSCRIBE) in the sans-I/O core with a journal, commits them in
// batches of 64 (one event-loop turn under load) and reports:
//   bytes/record   growth of the database file per binding, publication and subscription
//   commit         records/s and µs per batch of 64
//   restart        load + decode + restore of everything into a fresh core, with one
//                  NOTIFY built per subscription (the restart's work), in ms
// With --notifier, also the time sipevents-notifier itself reports for taking the file
// back ("restored from ...: ... ms"), and its wall time to the first line after it.

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sipevents/events/publication_server.hpp"
#include "sipevents/events/subscription_server.hpp"
#include "sipevents/reg/reg_package.hpp"
#include "sipevents/store/state_store.hpp"
#include "sipevents/store_sqlite/sqlite_store.hpp"

namespace sm = sipevents::message;
namespace ev = sipevents::events;
namespace ss = sipevents::store;
namespace sr = sipevents::registrar;
namespace rg = sipevents::reg;
using clk = std::chrono::steady_clock;

namespace {

sm::message parse(const std::string& text) {
  sm::message m;
  if (sm::parse_datagram(text, m)) {
    std::fprintf(stderr, "bench message does not parse\n");
    std::exit(1);
  }
  return m;
}

std::string request(const char* method, const std::string& uri, std::size_t i, const std::string& extra) {
  const std::string n = std::to_string(i);
  return std::string(method) + " " + uri + " SIP/2.0\r\n" + "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK" + n +
         "\r\nMax-Forwards: 70\r\nFrom: <sip:u" + n + "@example.com>;tag=f" + n + "\r\nTo: <sip:u" + n +
         "@example.com>\r\nCall-ID: " + n + "-a84b4c76e66710@192.0.2.10\r\nCSeq: 1 " + method + "\r\n" + extra;
}

/// Pages in use times page size, after the WAL is folded into the file.
std::int64_t db_bytes(const std::string& path) {
  sqlite3* h = nullptr;
  sqlite3_open(path.c_str(), &h);
  sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  std::int64_t pages = 0, size = 0, freel = 0;
  auto one = [&](const char* sql, std::int64_t& out) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(h, sql, -1, &st, nullptr);
    if (sqlite3_step(st) == SQLITE_ROW) out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  };
  one("PRAGMA page_count", pages);
  one("PRAGMA page_size", size);
  one("PRAGMA freelist_count", freel);
  sqlite3_close(h);
  return (pages - freel) * size;
}

struct node {
  std::size_t tok = 0;
  ev::token_source ids = [this](std::size_t n) {
    std::string s = std::to_string(++tok);
    return std::string(n > s.size() ? n - s.size() : 0, 'x') + s;
  };
  ss::journal journal;
  sr::registrar registrar{ids};
  rg::reg_package reg{registrar};
  ev::publication_server esc{ids};
  ev::subscription_server srv{ids, [] {
                                ev::server_config c;
                                c.contact = "sip:notifier@127.0.0.1:5998";
                                return c;
                              }()};
  // A PIDF package for the ESC: takes any body.
  struct pidf : ev::package {
    std::string_view name() const override { return "presence"; }
    std::vector<std::string> content_types() const override { return {"application/pidf+xml"}; }
    std::optional<ev::body> state(const ev::watcher_view&) override { return std::nullopt; }
  } presence;
  node() {
    registrar.set_journal(&journal);
    esc.set_journal(&journal);
    srv.set_journal(&journal);
    srv.add_package(reg);
    esc.add_package(presence, {3600, 60, 7200});
  }
  std::size_t drain() {
    std::size_t notifies = 0;
    ev::server_event e;
    while (srv.poll(e)) notifies += e.what == ev::server_event::kind::send;
    sr::binding_change bc;
    while (registrar.poll(bc)) {
    }
    ev::publication_change pc;
    while (esc.poll(pc)) {
    }
    return notifies;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 100'000;
  std::string dir = std::filesystem::temp_directory_path().string(), sync = "full", notifier;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--n") n = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--dir") dir = argv[i + 1];
    else if (a == "--sync") sync = argv[i + 1];
    else if (a == "--notifier") notifier = argv[i + 1];
  }
  const std::string path = dir + "/sipevents-bench-store-" + std::to_string(::getpid()) + ".db";
  std::string err;
  auto db = sipevents::store_sqlite::sqlite_store::open(path, {.full_sync = sync == "full"}, err);
  if (!db) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  const ss::clock_pair clocks{clk::now(), std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count()};
  node a;
  const auto now = clocks.steady;
  double commit_us = 0;
  std::size_t batches = 0, records = 0;
  auto commit = [&] {
    auto taken = a.journal.take();
    std::vector<ss::stored> batch;
    for (const auto& e : taken) batch.push_back(ss::to_stored(e, clocks));
    const auto t0 = clk::now();
    if (db->commit(batch)) {
      std::fprintf(stderr, "commit: %s\n", db->last_error().c_str());
      std::exit(1);
    }
    commit_us += std::chrono::duration<double, std::micro>(clk::now() - t0).count();
    ++batches;
    records += batch.size();
  };
  const std::string pidf =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
      "entity=\"sip:u@example.com\"><tuple id=\"t1\"><status><basic>open</basic></status>"
      "<contact>sip:u@192.0.2.4</contact></tuple></presence>\n";
  std::int64_t size0 = db_bytes(path), size1 = 0, size2 = 0, size3 = 0;
  for (int kind = 0; kind < 3; ++kind) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::string aor = "sip:u" + std::to_string(i) + "@example.com";
      if (kind == 0) {
        a.registrar.on_register(parse(request("REGISTER", "sip:example.com", i,
                                              "Contact: <sip:u" + std::to_string(i) +
                                                  "@127.0.0.1:5999>;+sip.instance=\"<urn:uuid:00000000-0000-0000-"
                                                  "0000-0000000000" + std::to_string(i % 100) + ">\"\r\nExpires: 3600\r\n"
                                                  "Content-Length: 0\r\n\r\n")),
                                now, {}, "udp:127.0.0.1:5999");
      } else if (kind == 1) {
        a.esc.on_publish(parse(request("PUBLISH", aor, i,
                                       "Event: presence\r\nExpires: 3600\r\nContent-Type: application/pidf+xml\r\n"
                                       "Content-Length: " + std::to_string(pidf.size()) + "\r\n\r\n" + pidf)),
                         now);
      } else {
        a.srv.on_subscribe(i, parse(request("SUBSCRIBE", aor, i,
                                            "Contact: <sip:w" + std::to_string(i) +
                                                "@127.0.0.1:5999>\r\nEvent: reg\r\nExpires: 3600\r\n"
                                                "Accept: application/reginfo+xml\r\nContent-Length: 0\r\n\r\n")),
                           now);
      }
      a.drain();
      if ((i + 1) % 64 == 0) commit();
    }
    commit();
    (kind == 0 ? size1 : kind == 1 ? size2 : size3) = db_bytes(path);
  }
  std::printf("records: %zu bindings, %zu publications, %zu subscriptions (reg, with dialogs) on SQLite, sync=%s\n", n,
              n, n, sync.c_str());
  std::printf("bytes/binding      %8.0f\n", double(size1 - size0) / double(n));
  std::printf("bytes/publication  %8.0f   (PIDF body of %zu bytes included)\n", double(size2 - size1) / double(n),
              pidf.size());
  std::printf("bytes/subscription %8.0f\n", double(size3 - size2) / double(n));
  std::printf("commit             %8.0f records/s, %.0f us per batch of up to 64 (%zu batches)\n",
              double(records) / (commit_us / 1e6), commit_us / double(batches), batches);
  db.reset();

  // A restart: a fresh core takes it all back, building one NOTIFY per subscription.
  const auto t0 = clk::now();
  auto again = sipevents::store_sqlite::sqlite_store::open(path, {}, err);
  ss::loaded l;
  if (!again || ss::load_all(*again, clocks, l)) return 1;
  const auto t1 = clk::now();
  node b;
  for (const auto& r : l.bindings) b.registrar.restore(r, now);
  for (const auto& r : l.publications) b.esc.restore(r, now);
  std::size_t restored = 0;
  for (const auto& r : l.subscriptions) restored += b.srv.restore(r, now) != 0;
  const std::size_t notifies = b.drain();
  const auto t2 = clk::now();
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf("restart            %8.0f ms in all: load+decode %.0f ms, restore %zu subscriptions with %zu NOTIFYs "
              "built %.0f ms\n",
              ms(t2 - t0), ms(t1 - t0), restored, notifies, ms(t2 - t1));
  again.reset();

  if (!notifier.empty()) {
    const std::string cmd = notifier + " --bind udp:127.0.0.1:0 --domain example.com --quiet --db " + path;
    const auto s0 = clk::now();
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    char line[512];
    while (p && std::fgets(line, sizeof line, p)) {
      if (std::string(line).rfind("restored from", 0) == 0) {
        std::printf("notifier: %s", line);
        std::printf("notifier: %.0f ms from exec to that line\n", ms(clk::now() - s0));
        break;
      }
    }
    std::system("pkill -f sipevents-bench-store- >/dev/null 2>&1");
    if (p) ::pclose(p);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  return 0;
}
