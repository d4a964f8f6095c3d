// sipevents-notifier --dump: the stored state as JSON lines.
#pragma once
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "sipevents/store/state_store.hpp"
#include "sipevents/store_sqlite/sqlite_store.hpp"
#include "sipevents/transport/runtime.hpp"

namespace tools {

/// "2026-12-06T19:58:01Z" for wall-clock milliseconds.
inline std::string utc(std::int64_t wall_ms) {
  std::time_t t = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// Prints every binding, publication and subscription of `l` as one JSON object per line.
inline void print_loaded(const sipevents::store::loaded& l, const sipevents::store::clock_pair& clocks) {
  namespace ss = sipevents::store;
  auto when = [&](ss::time_point t, nlohmann::json& j, const char* name) {
    const std::int64_t ms = clocks.to_wall(t);
    j[name] = utc(ms);
    j[std::string(name) + "_in"] = (ms - clocks.wall_ms) / 1000;
  };
  auto line = [](const nlohmann::json& j) {
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  };
  for (const auto& b : l.bindings) {
    nlohmann::json j{{"type", "binding"}, {"aor", b.aor}, {"id", b.id}, {"contact", b.uri},
                     {"call_id", b.call_id}, {"cseq", b.cseq}, {"received", b.received}, {"params", b.params}};
    if (b.q) j["q"] = *b.q / 1000.0;
    if (!b.display_name.empty()) j["display_name"] = b.display_name;
    when(b.expires_at, j, "expires");
    when(b.registered_at, j, "registered");
    line(j);
  }
  for (const auto& p : l.publications) {
    nlohmann::json j{{"type", "publication"}, {"entity", p.resource}, {"event", p.event}, {"etag", p.etag},
                     {"publisher", p.publisher}, {"content_type", p.content_type}, {"body", p.body}};
    when(p.expires_at, j, "expires");
    line(j);
  }
  for (const auto& s : l.subscriptions) {
    static const char* states[] = {"init", "pending", "active", "terminated"};
    nlohmann::json j{{"type", "subscription"}, {"key", s.key}, {"event", s.package}, {"resource", s.resource},
                     {"watcher", s.remote_uri}, {"state", s.state < 4 ? states[s.state] : "?"},
                     {"call_id", s.call_id}, {"local_tag", s.local_tag}, {"remote_tag", s.remote_tag},
                     {"remote_target", s.remote_target}, {"route_set", s.route_set},
                     {"local_cseq", s.local_cseq}, {"cseq_mark", s.cseq_mark},
                     {"content_type", s.content_type}, {"package_state", s.package_state}};
    if (!s.event_id.empty()) j["id"] = s.event_id;
    if (s.remote_cseq) j["remote_cseq"] = *s.remote_cseq;
    when(s.expires_at, j, "expires");
    line(j);
  }
  if (l.unreadable) std::fprintf(stderr, "sipevents-notifier: %zu records in an unknown format\n", l.unreadable);
}

/// Prints every stored binding, publication and subscription as one JSON object per
/// line; the file is opened but not created, and nothing is written to it.
inline int dump_store(const std::string& path) {
  namespace ss = sipevents::store;
  std::string err;
  auto db = sipevents::store_sqlite::sqlite_store::open(path, {.create = false}, err);
  if (!db) {
    std::fprintf(stderr, "sipevents-notifier: %s\n", err.c_str());
    return 2;
  }
  const ss::clock_pair clocks = sipevents::transport::clocks_now();
  ss::loaded l;
  if (ss::load_all(*db, clocks, l)) {
    std::fprintf(stderr, "sipevents-notifier: %s: %s\n", path.c_str(), db->last_error().c_str());
    return 2;
  }
  print_loaded(l, clocks);
  return 0;
}

}  // namespace tools
