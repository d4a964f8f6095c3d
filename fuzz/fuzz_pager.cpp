// The pager's bodies: message/cpim, message/imdn+xml, application/im-iscomposing+xml.
// Whatever decodes must encode to text that decodes to the same.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipevents/pager/cpim.hpp"
#include "sipevents/pager/imdn.hpp"
#include "sipevents/pager/iscomposing.hpp"

namespace sp = sipevents::pager;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sp::cpim_message m;
  if (sp::decode_cpim(text, m)) {
    sp::cpim_message again;
    if (!sp::decode_cpim(sp::encode(m), again) || again.body != m.body || again.content_type() != m.content_type())
      std::abort();
    (void)sp::read_imdn_request(m);
  }
  sp::imdn_notification n;
  if (sp::decode_imdn(text, n)) {
    sp::imdn_notification back;
    if (!sp::decode_imdn(sp::encode_imdn(n), back) || !(back == n)) std::abort();
  }
  sp::composing_indication c;
  if (sp::decode_iscomposing(text, c)) {
    sp::composing_indication back;
    if (!sp::decode_iscomposing(sp::encode_iscomposing(c), back) || !(back == c)) std::abort();
  }
  return 0;
}
