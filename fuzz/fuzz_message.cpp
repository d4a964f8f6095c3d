// Datagram parser: never crashes; a message that parses re-parses identically after
// serialization; the endpoint verdict is always defined.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sipevents/message/check.hpp"
#include "sipevents/message/message.hpp"

namespace sm = sipevents::message;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  sm::message m;
  sm::codec_error e = sm::parse_datagram(in, m);
  sm::verdict v = sm::check(m, e);
  if (v.what == sm::verdict::action::respond && (v.status < 400 || v.status > 599)) std::abort();
  if (!e) {
    std::string s = m.serialize();
    sm::message again;
    if (sm::parse_datagram(s, again)) std::abort();
    if (again.serialize() != s) std::abort();
    sm::message copy = m;  // copies re-parse; views must stay valid
    if (copy.call_id() != m.call_id() || copy.body() != m.body()) std::abort();
  }
  return 0;
}
