// application/watcherinfo+xml: whatever decodes must encode to a document that
// decodes to the same model.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipevents/winfo/watcherinfo.hpp"

namespace wi = sipevents::winfo;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  wi::watcherinfo doc;
  if (!wi::decode(text, doc)) return 0;
  wi::watcherinfo again;
  if (!wi::decode(wi::encode(doc), again)) std::abort();
  if (!(again == doc)) std::abort();
  return 0;
}
