// Every typed header parser on the same input: never crash, never read out of bounds.
// The usual parameters (branch, rport, received, tag, expires, q) are read by word
// compares when they come right after the main value; with an SP before the first ';'
// the general parameter loop reads them instead, and the result must be the same.
#include <cstdint>
#include <string>
#include <string_view>

#include "sipevents/message/auth_headers.hpp"
#include "sipevents/message/headers.hpp"
#include "sipevents/message/message.hpp"

namespace sm = sipevents::message;

namespace {
/// v with one SP before its parameter list, which starts at `params`.
std::string with_space(std::string_view v, std::string_view params) {
  const std::size_t at = static_cast<std::size_t>(params.data() - v.data());
  return std::string(v.substr(0, at)) + " " + std::string(v.substr(at));
}

/// Auth headers: every challenge of a list is read, and what we write from a parsed
/// challenge or credentials parses back to the same fields.
void auth_headers(std::string_view v) {
  std::string_view rest = v;
  sm::challenge c;
  for (int i = 0; i < 64 && !rest.empty(); ++i) {
    std::string_view next;
    if (sm::parse_challenge(rest, c, &next)) break;
    if (c.usable()) {
      sm::challenge_spec s{sm::unquote_text(c.realm), sm::unquote_text(c.nonce), sm::unquote_text(c.opaque),
                           sm::unquote_text(c.domain), c.algorithm, true, c.stale, c.qop_auth, c.qop_auth_int,
                           c.userhash};
      sm::challenge back;
      if (sm::parse_challenge(sm::format_challenge(s), back) || back.algorithm != c.algorithm ||
          sm::unquote_text(back.realm) != s.realm || back.stale != c.stale || back.qop_auth != c.qop_auth)
        __builtin_trap();
    }
    if (next.data() && next.data() <= rest.data()) __builtin_trap();  // always moves on
    rest = next;
  }
  sm::credentials cr;
  if (!sm::parse_credentials(v, cr) && cr.scheme == "Digest" && cr.algorithm != sm::digest_algorithm::unknown) {
    sm::credentials_spec k{sm::unquote_text(cr.username), sm::unquote_text(cr.realm), sm::unquote_text(cr.nonce),
                           sm::unquote_text(cr.uri), std::string(cr.response), sm::unquote_text(cr.cnonce),
                           sm::unquote_text(cr.opaque), cr.algorithm, true, std::string(cr.qop), cr.nc, cr.userhash};
    sm::credentials back;
    if (k.qop.find_first_of("\"\\, \t\r\n") == std::string::npos &&
        (sm::parse_credentials(sm::format_credentials(k), back) || sm::unquote_text(back.username) != k.username ||
         back.nc != (k.qop.empty() ? 0 : cr.nc) || back.response != cr.response))
      __builtin_trap();
  }
  sm::authentication_info ai;
  (void)sm::parse_authentication_info(v, ai);
  std::string_view params = v;
  sm::auth_param p;
  while (sm::next_auth_param(params, p)) (void)p.text();
}

void same_via_both_ways(std::string_view v) {
  sm::via a, b;
  if (sm::parse_via(v, a) || a.params.empty()) return;
  const std::string w = with_space(v, a.params.text());
  if (sm::parse_via(w, b)) __builtin_trap();
  if (a.branch != b.branch || a.rport != b.rport || a.rport_value != b.rport_value || a.received != b.received ||
      a.params.text() != b.params.text() || a.maddr != b.maddr || a.ttl != b.ttl)
    __builtin_trap();
}

void same_contact_both_ways(std::string_view v) {
  sm::contact a, b;
  if (sm::parse_contact(v, a) || a.value.params.empty()) return;
  const std::string w = with_space(v, a.value.params.text());
  if (sm::parse_contact(w, b)) __builtin_trap();
  if (a.value.tag != b.value.tag || a.expires != b.expires || a.q != b.q ||
      a.value.params.text() != b.value.params.text() || a.value.addr.text != b.value.addr.text)
    __builtin_trap();
}

void same_substate_both_ways(std::string_view v) {
  sm::subscription_state a, b;
  if (sm::parse_subscription_state(v, a) || a.params.empty()) return;
  const std::string w = with_space(v, a.params.text());
  if (sm::parse_subscription_state(w, b)) __builtin_trap();
  if (a.expires != b.expires || a.reason != b.reason || a.retry_after != b.retry_after ||
      a.params.text() != b.params.text())
    __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view v(reinterpret_cast<const char*>(data), size);
  auth_headers(v);
  same_via_both_ways(v);
  same_contact_both_ways(v);
  same_substate_both_ways(v);
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
