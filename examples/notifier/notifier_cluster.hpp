// sipevents-notifier --redis: the glue between a notifier's cores, the Redis store and
// the cluster replica. Joins the service at start (the state every node shares is read
// in), follows the other nodes' changes, and restores the subscriptions this node
// claims from a dead one.
#pragma once
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "sipevents/agent/event_agent.hpp"
#include "sipevents/cluster/cluster_replica.hpp"
#include "sipevents/store_redis/redis_store.hpp"
#include "sipevents/transport/runtime.hpp"
#include "notifier_store.hpp"

namespace tools {

/// Runs `io` until `done()` or `limit` passes, advancing `store` (the runtime's timer
/// is not there yet). False on timeout.
template <class Done>
bool run_until(asio::io_context& io, sipevents::store_redis::redis_store& store, Done done,
               std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= end) return false;
    store.advance(now);
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

inline std::vector<sipevents::store::stored> as_stored(std::vector<sipevents::store_redis::held_record> held) {
  std::vector<sipevents::store::stored> out;
  out.reserve(held.size());
  for (auto& h : held) {
    sipevents::store::stored s;
    s.kind = h.kind;
    s.key = std::move(h.key);
    s.value = std::move(h.value);
    out.push_back(std::move(s));
  }
  return out;
}

/// "HOST:PORT" (or "[V6]:PORT") into a link config; false when it is not one.
inline bool parse_redis_address(const std::string& a, sipevents::store_redis::link_config& out) {
  const std::size_t colon = a.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = a.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const int port = std::atoi(a.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return false;
  out.host = host;
  out.port = port;
  return true;
}

/// --redis --dump: every record of the service as JSON lines (print_loaded), read
/// without joining.
inline int dump_redis(asio::io_context& io, sipevents::store_redis::redis_store& store) {
  namespace ss = sipevents::store;
  bool done = false;
  std::error_code ec;
  std::vector<sipevents::store_redis::held_record> held;
  store.read_all([&](std::error_code e, std::vector<sipevents::store_redis::held_record> h) {
    ec = e;
    held = std::move(h);
    done = true;
  });
  if (!run_until(io, store, [&] { return done; }, std::chrono::seconds(60)) || ec) {
    std::fprintf(stderr, "sipevents-notifier: cannot read Redis: %s\n", done ? store.last_error().c_str() : "timed out");
    return 2;
  }
  const ss::clock_pair clocks = sipevents::transport::clocks_now();
  ss::loaded l;
  for (const auto& h : held) {
    ss::record r;
    if (!ss::decode(h.kind, h.value, clocks, r)) {
      ++l.unreadable;
      continue;
    }
    std::visit([&](auto& x) {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, ss::binding_record>) l.bindings.push_back(std::move(x));
      else if constexpr (std::is_same_v<T, ss::publication_record>) l.publications.push_back(std::move(x));
      else if constexpr (std::is_same_v<T, ss::subscription_record>) l.subscriptions.push_back(std::move(x));
      else l.meta.push_back(std::move(x));
    }, r);
  }
  print_loaded(l, clocks);
  return 0;
}

}  // namespace tools
