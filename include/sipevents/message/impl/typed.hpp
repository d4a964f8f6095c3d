// Internal fast paths of the typed-header parsers: plain bool results, so the parser's
// hot loop never builds a std::error_code. The public parse_* functions wrap these.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_IMPL_TYPED
#endif
#include <cstdint>
#include <string_view>

#include "chars.hpp"
#include "sipevents/message/headers.hpp"
#include "sipevents/message/uri.hpp"

namespace sipevents::message {

bool read_uri(std::string_view text, uri& out) noexcept;
bool read_name_addr(std::string_view text, name_addr& out) noexcept;
bool read_contact(std::string_view text, contact& out) noexcept;
bool read_via(std::string_view text, via& out) noexcept;
/// One element of a list header starting at p (leading LWS allowed). On success p is at
/// `end` or at the ',' before the next element.
bool read_via_element(const char*& p, const char* end, via& out) noexcept;
bool read_contact_element(const char*& p, const char* end, contact& out) noexcept;
bool read_event(std::string_view text, event_header& out) noexcept;
bool read_subscription_state(std::string_view text, subscription_state& out) noexcept;
bool read_media_type(std::string_view text, media_type& out) noexcept;
bool read_token(std::string_view text) noexcept;

// The small readers below are inline: the parser's typed-header switch calls each once
// per message, and a call with its register saves cost as much as the read.

namespace detail {
/// delta-seconds as RFC 3261 20.19 reads it: values past 2^32-1 mean 2^32-1.
inline bool delta_seconds(std::string_view s, std::uint32_t& out) noexcept {
  std::uint64_t v = 0;
  if (!parse_digits(s, 0xFFFFFFFFull, v)) return false;
  out = v > 0xFFFFFFFFull ? 0xFFFFFFFFu : static_cast<std::uint32_t>(v);
  return true;
}
}  // namespace detail

/// Sets every member on success; on failure `out` may be half-read (parse_cseq clears it,
/// the parser's message starts each parse cleared).
[[gnu::always_inline]] inline bool read_cseq(std::string_view text, cseq& out) noexcept {
  using namespace detail;
  const char* end = text.data() + text.size();
  const char* p = skip_lws(text.data(), end);
  std::uint64_t v = 0;
  const char* d = scan_digits(p, end, 0xFFFFFFFFull, v);
  if (d == p || v > 0xFFFFFFFFull) return false;
  out.seq = static_cast<std::uint32_t>(v);
  if (end - d > 1 && *d == ' ' && static_cast<unsigned char>(d[1]) > ' ') {
    p = d + 1;  // the one SP nearly every CSeq has
  } else {
    p = skip_lws(d, end);
    if (p == d) return false;
  }
  // The method nearly always runs to the end (the value is trimmed): a known one then
  // needs no token scan.
  if (const method id = method_from(sv(p, end)); id != method::unknown) {
    out.method_text = sv(p, end);
    out.id = id;
    return true;
  }
  const char* m = skip_wide(p, end, c_token);
  if (m == p || skip_lws(m, end) != end) return false;
  out.method_text = sv(p, m);
  out.id = method_from(out.method_text);
  return true;
}

[[gnu::always_inline]] inline bool read_delta_seconds(std::string_view text, std::uint32_t& out) noexcept {
  using namespace detail;
  const char* end = text.data() + text.size();
  const char* p = skip_lws(text.data(), end);
  const char* d = skip_class(p, end, c_digit);
  return skip_lws(d, end) == end && delta_seconds(sv(p, d), out);
}

[[gnu::always_inline]] inline bool read_call_id(std::string_view text) noexcept {
  using namespace detail;
  const char* end = text.data() + text.size();
  const char* p = text.data();
#if defined(__SSE2__)
  // Nearly every Call-ID is alphanumerics, '-' and '.' around at most one '@' (not at
  // either end), within 32 bytes that lie in one page: one classification settles it.
  // Anything else takes the word-by-word check below.
  if (const std::size_t len = text.size(); len - 1 < 32 && block32_readable(p)) {
    const block32 b = classify32(p, len);
    const std::uint32_t at = b.eq('@') & b.in;
    if ((b.word | at) == b.in && (at & (at - 1)) == 0 && !(at & 1u) && !(at & (b.in ^ (b.in >> 1)))) return true;
  }
#endif
  const char* w = skip_wide(p, end, c_word);
  if (w == p) return false;
  if (w < end && *w == '@') {
    const char* w2 = skip_wide(w + 1, end, c_word);
    if (w2 == w + 1) return false;
    w = w2;
  }
  return w == end;
}

[[gnu::always_inline]] inline bool read_max_forwards(std::string_view text, std::uint8_t& out) noexcept {
  std::uint64_t v = 0;
  if (!detail::parse_digits(text, 255, v) || v > 255) return false;
  out = static_cast<std::uint8_t>(v);
  return true;
}

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_IMPL_TYPED
#define SIPEVENTS_SEEN_MESSAGE_IMPL_TYPED
#include "sipevents/impl/definitions.ipp"
#endif
