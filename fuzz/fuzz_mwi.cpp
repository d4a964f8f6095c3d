// application/simple-message-summary: whatever decodes must encode to a body that
// decodes to the same model, within the limits.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipevents/mwi/message_summary.hpp"

namespace mw = sipevents::mwi;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mw::summary_limits limits{4096, 64};
  mw::message_summary s;
  if (!mw::decode(text, s, nullptr, limits)) return 0;
  mw::message_summary again;
  if (!mw::decode(mw::encode(s), again, nullptr, {1 << 20, 1 << 20})) std::abort();
  if (!(again == s)) std::abort();
  return 0;
}
