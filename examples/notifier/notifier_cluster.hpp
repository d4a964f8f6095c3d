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

}  // namespace tools
