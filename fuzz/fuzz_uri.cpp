// URI parser and comparison: never crash; equality is reflexive and symmetric.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipevents/message/uri.hpp"

namespace sm = sipevents::message;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t half = in.find('\n');
  std::string_view a = in.substr(0, half), b = half == std::string_view::npos ? a : in.substr(half + 1);
  sm::uri ua, ub;
  bool ok_a = !sm::parse_uri(a, ua);
  bool ok_b = !sm::parse_uri(b, ub);
  if (ok_a) {
    if (!sm::uri_equal(ua, ua)) std::abort();
    (void)ua.user_unescaped();
    (void)ua.param("transport");
    (void)ua.header("subject");
  }
  if (ok_a && ok_b && sm::uri_equal(ua, ub) != sm::uri_equal(ub, ua)) std::abort();
  return 0;
}
