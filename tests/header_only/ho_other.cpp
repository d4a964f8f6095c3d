// A second translation unit with every public header in header-only mode: a definition
// not made inline shows up as a duplicate symbol when the two are linked.
#include <array>

#include "all_headers.hpp"

namespace ho {

std::string sha256_hex(std::string_view text) {
  std::array<std::uint8_t, 32> out{};
  sipevents::crypto::default_crypto().hash(sipevents::auth::hash_fn::sha256, text, out);
  return sipevents::auth::to_hex(out);
}

}  // namespace ho
