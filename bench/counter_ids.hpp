// Deterministic tokens for the benchmarks' state machines (tags, Call-IDs, ETags).
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

#include "sipevents/events/events_types.hpp"

namespace bench {

struct counter_ids {
  std::uint64_t n = 0;
  sipevents::events::token_source source() {
    // Unique and as spread out as the runtime's random tokens (a shared prefix
    // would make every map lookup compare it).
    return [this](std::size_t len) {
      static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
      std::uint64_t x = ++n * 0x9E3779B97F4A7C15ull;
      std::string t;
      for (std::size_t i = 0; i < std::max<std::size_t>(len, 14); ++i) {
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9ull;
        t.push_back(digits[(x >> 40) % 36]);
      }
      return t + std::to_string(n);
    };
  }
};

}  // namespace bench
