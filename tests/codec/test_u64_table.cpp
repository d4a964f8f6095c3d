// u64_table against std::unordered_map: random inserts and erases, runs that wrap
// around the end of the array, key 0, growth.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "sipevents/message/u64_table.hpp"

using sipevents::message::u64_table;

namespace {
void same(const u64_table<std::uint32_t>& t, const std::unordered_map<std::uint64_t, std::uint32_t>& ref,
          const std::vector<std::uint64_t>& keys) {
  REQUIRE(t.size() == ref.size());
  for (std::uint64_t k : keys) {
    auto it = ref.find(k);
    const std::uint32_t* v = t.find(k);
    if (it == ref.end()) {
      REQUIRE(v == nullptr);
    } else {
      REQUIRE(v != nullptr);
      REQUIRE(*v == it->second);
    }
  }
}
}  // namespace

TEST_CASE("u64_table: 200000 random inserts, overwrites and erases agree with std::unordered_map") {
  // Few distinct keys drawn from a small pool so runs collide, wrap and shift back.
  for (std::uint64_t pool : {64u, 1000u, 50000u}) {
    std::mt19937_64 rng(pool);
    std::vector<std::uint64_t> keys;
    for (std::uint64_t i = 0; i < pool; ++i) keys.push_back(i % 7 == 0 ? i : rng());
    keys.push_back(0);
    u64_table<std::uint32_t> t;
    std::unordered_map<std::uint64_t, std::uint32_t> ref;
    for (std::uint32_t n = 0; n < 200000; ++n) {
      const std::uint64_t k = keys[rng() % keys.size()];
      switch (rng() % 4) {
        case 0: {
          auto [v, fresh] = t.try_emplace(k, n);
          REQUIRE(fresh == ref.emplace(k, n).second);
          REQUIRE(*v == ref[k]);
          break;
        }
        case 1:
          t.assign(k, n);
          ref[k] = n;
          break;
        default:
          REQUIRE(t.erase(k) == (ref.erase(k) == 1));
      }
      if (n % 20000 == 0) same(t, ref, keys);
    }
    same(t, ref, keys);
    t.clear();
    REQUIRE(t.empty());
    REQUIRE(t.find(keys[1]) == nullptr);
    REQUIRE(t.find(0) == nullptr);
  }
}

TEST_CASE("u64_table: keys that all want the last slot wrap to the front and are all found after erases") {
  // Keys picked so that every one's home is the last slot of a 16-slot table.
  u64_table<std::uint32_t> t;
  std::vector<std::uint64_t> keys;
  for (std::uint64_t k = 1; keys.size() < 10; ++k)
    if (((k * 0x9E3779B97F4A7C15ull) >> 60) == 15) keys.push_back(k);
  for (std::uint32_t i = 0; i < keys.size(); ++i) REQUIRE(t.try_emplace(keys[i], i).second);
  for (std::size_t gone : {0u, 4u, 9u, 1u}) {
    REQUIRE(t.erase(keys[gone]));
    REQUIRE_FALSE(t.erase(keys[gone]));
    keys[gone] = 0xffffffffffffffffull;  // not a key of the table
  }
  for (std::uint32_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == 0xffffffffffffffffull) continue;
    REQUIRE(t.find(keys[i]) != nullptr);
    REQUIRE(*t.find(keys[i]) == i);
  }
  REQUIRE(t.size() == 6);
}

TEST_CASE("u64_table: grows from empty through a million keys and reserve keeps it from moving") {
  u64_table<std::uint64_t> t;
  REQUIRE(t.find(42) == nullptr);
  REQUIRE_FALSE(t.erase(42));
  for (std::uint64_t k = 1; k <= 1'000'000; ++k) t.try_emplace(k * 3, k);
  REQUIRE(t.size() == 1'000'000);
  for (std::uint64_t k = 1; k <= 1'000'000; k += 997) REQUIRE(*t.find(k * 3) == k);
  REQUIRE(t.find(1) == nullptr);
  u64_table<std::uint64_t> r;
  r.reserve(1000);
  const std::uint64_t* first = r.try_emplace(7, 7).first;
  for (std::uint64_t k = 8; k < 1000 + 7; ++k) r.try_emplace(k, k);
  REQUIRE(r.find(7) == first);  // no rehash happened
}
