// The store's record decoder: bytes read back from a database file may be anything
// (another program's, a torn or hand-edited row). Each kind must refuse or read them
// without a crash, and what it reads must encode back to bytes it reads the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipevents/store/state_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ss = sipevents::store;
  if (size == 0) return 0;
  const ss::clock_pair clocks{ss::time_point{} + std::chrono::hours(1000), 1'800'000'000'000};
  // The first byte picks the kind, the rest is the stored value.
  const auto kind = static_cast<ss::record_kind>(1 + (data[0] + 3) % 4);
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  ss::record r;
  if (!ss::decode(kind, bytes, clocks, r)) return 0;
  const std::string again = ss::encode(r, clocks);
  ss::record r2;
  if (!ss::decode(kind, again, clocks, r2) || ss::encode(r2, clocks) != again) __builtin_trap();
  return 0;
}
