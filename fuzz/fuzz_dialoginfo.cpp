// application/dialog-info+xml: whatever decodes must encode to a document that
// decodes to the same model (the encoder writes what the decoder reads).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipevents/dialoginfo/dialog_info.hpp"

namespace di = sipevents::dialoginfo;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  di::dialog_info doc;
  std::string error;
  if (!di::decode(text, doc, &error)) return 0;
  (void)di::blf(doc);
  di::dialog_info again;
  if (!di::decode(di::encode(doc), again, &error)) std::abort();
  if (!(again == doc)) std::abort();
  return 0;
}
