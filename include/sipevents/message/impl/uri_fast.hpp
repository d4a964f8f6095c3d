// The usual SIP URI read in one classification of its first 32 bytes (internal):
// shared by read_uri and the name-addr reader, which inlines it.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_IMPL_URI_FAST
#endif
#include <cstdint>
#include <cstring>

#include "chars.hpp"
#include "grammar.hpp"
#include "sipevents/message/uri.hpp"

namespace sipevents::message::detail {

#if defined(__SSE2__)
/// scan_host's label rules for the host at the bits of `host` in a classified block: no
/// empty label and no '-' next to a '.' ("a..b", "a.-b", "a-.b").
[[gnu::always_inline]] inline bool labels_ok(const block32& b, std::uint32_t host) noexcept {
  const std::uint32_t dot = b.eq('.') & host, dash = b.eq('-') & host;
  return !(((dash << 1) & dot) | ((dot << 1) & (dot | dash)));
}

/// The usual "user@host" or "host" whose user and host are alphanumerics, '-' and '.'
/// and which ends within 32 bytes, from one classification of those 32 bytes. Returns
/// the end of the host, or nullptr to leave the URI to the full path (which also
/// decides on anything unusual or wrong).
[[gnu::always_inline]] inline const char* user_host_short(const char* p, const char* end, uri& u) noexcept {
  if (!block32_readable(p)) return nullptr;
  const std::size_t len = static_cast<std::size_t>(end - p);
  if (len == 0) return nullptr;
  const block32 b = classify32(p, len);
  const std::uint32_t at = b.eq('@') & b.in;
  unsigned hs = 0;
  if (at) {
    const unsigned a = static_cast<unsigned>(__builtin_ctz(at));
    if (a == 0 || (~b.word & ((1u << a) - 1u))) return nullptr;
    hs = a + 1;
  } else if (len >= 32) {
    return nullptr;  // an '@' may follow
  }
  // The host runs while the word mask does; it must end inside the 32 bytes.
  const std::uint64_t stop = (~static_cast<std::uint64_t>(b.word) & 0xFFFFFFFFull) >> hs;
  const unsigned he = hs + static_cast<unsigned>(__builtin_ctzll(stop | (std::uint64_t{1} << 32)));
  if (he >= 32 || he == hs || !is(p[hs], c_alnum)) return nullptr;
  if (!labels_ok(b, static_cast<std::uint32_t>(((std::uint64_t{1} << he) - 1) & ~((std::uint64_t{1} << hs) - 1))))
    return nullptr;
  if (at) u.user = sv(p, p + hs - 1);
  u.host = sv(p + hs, p + he);
  return p + he;
}

/// A host of alphanumerics, '-' and '.' that ends within 32 bytes (a Via's sent-by),
/// checked by one classification of those 32 bytes under scan_host's label rules.
/// Returns its end, or nullptr to leave it to scan_host, which also decides on anything
/// unusual or wrong.
[[gnu::always_inline]] inline const char* host_short(const char* p, const char* end) noexcept {
  if (!block32_readable(p)) return nullptr;
  const std::size_t len = static_cast<std::size_t>(end - p);
  if (len == 0 || !is(*p, c_alnum)) return nullptr;
  const block32 b = classify32(p, len);
  const unsigned he = static_cast<unsigned>(__builtin_ctzll(~static_cast<std::uint64_t>(b.word)));
  if (he >= 32 || !labels_ok(b, (1u << he) - 1u)) return nullptr;
  return p + he;
}
#endif


/// [ ":" port ] *( ";" uri-parameter ) after the host; advances p.
[[gnu::always_inline]] inline bool port_and_params(const char*& p, const char* end, uri& u) noexcept {
  if (p < end && *p == ':') {
    ++p;
    if (!parse_port(p, end, u.port)) return false;
    u.has_port = true;
  }
  const char* ps = p;
  if (p < end && *p == ';' && !skip_uri_params(p, end)) return false;
  u.params = sv(ps, p);
  return true;
}

/// A URI that ends at a '>' (inside a name-addr's angle brackets), read up to it without
/// first looking for it. Returns the '>', or nullptr when read_uri over the text up to
/// the first '>' must decide (it then also decides what this could not). Inline: each
/// From, To and Contact reads one.
[[gnu::always_inline]] inline const char* read_uri_to_gt(const char* p, const char* end, uri& out) noexcept {
#if defined(__SSE2__)
  // The usual "sip:user@host[:port][;params]>" read without first looking for the '>':
  // the URI grammar stops there by itself. Anything else is left to read_uri on the
  // text up to the '>', which gives the same result wherever this one succeeds.
  const char* start = p;
  if (end - p <= 4) return nullptr;
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  if ((w | 0x00202020u) != 0x3a706973u) return nullptr;  // "sip:" in any case
  out.user = out.password = out.headers = out.opaque = {};
  p = user_host_short(p + 4, end, out);
  if (!p) return nullptr;
  out.port = 0;
  out.has_port = out.has_password = false;
  if (!port_and_params(p, end, out) || p >= end || *p != '>') return nullptr;
  out.scheme = uri::kind::sip;
  out.scheme_text = sv(start, start + 3);
  out.text = sv(start, p);
  return p;
#else
  (void)p;
  (void)end;
  (void)out;
  return nullptr;
#endif
}

}  // namespace sipevents::message::detail

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_IMPL_URI_FAST
#define SIPEVENTS_SEEN_MESSAGE_IMPL_URI_FAST
#include "sipevents/impl/definitions.ipp"
#endif
