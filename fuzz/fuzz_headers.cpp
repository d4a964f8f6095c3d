// Every typed header parser on the same input: never crash, never read out of bounds.
#include <cstdint>
#include <string_view>

#include "sipevents/message/headers.hpp"
#include "sipevents/message/message.hpp"

namespace sm = sipevents::message;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view v(reinterpret_cast<const char*>(data), size);
  sm::name_addr na;
  if (!sm::parse_name_addr(v, na))
    for (const auto& p : na.params) (void)p;
  sm::contact c;
  (void)sm::parse_contact(v, c);
  sm::via via;
  if (!sm::parse_via(v, via))
    for (const auto& p : via.params) (void)p;
  sm::cseq cs;
  (void)sm::parse_cseq(v, cs);
  sm::event_header ev, ev2;
  if (!sm::parse_event(v, ev) && !sm::parse_event(v, ev2) && !sm::event_matches(ev, ev2)) __builtin_trap();
  sm::subscription_state ss;
  (void)sm::parse_subscription_state(v, ss);
  sm::media_type mt;
  if (!sm::parse_media_type(v, mt)) (void)mt.params.get("charset");
  sm::content_disposition cd;
  (void)sm::parse_content_disposition(v, cd);
  sm::retry_after ra;
  (void)sm::parse_retry_after(v, ra);
  sm::sip_date d;
  if (!sm::parse_date(v, d)) (void)d.epoch();
  std::uint32_t n = 0;
  (void)sm::parse_delta_seconds(v, n);
  std::uint8_t mf = 0;
  (void)sm::parse_max_forwards(v, mf);
  (void)sm::parse_call_id(v);
  (void)sm::parse_token(v);
  (void)sm::split_list(v, [](std::string_view) {});
  return 0;
}
