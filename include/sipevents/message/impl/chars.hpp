// Character classes of RFC 3261 25.1 and small scanning helpers (internal).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_IMPL_CHARS
#endif
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sipevents::message::detail {

enum : std::uint16_t {
  c_alnum = 1 << 0,
  c_token = 1 << 1,   // token
  c_unres = 1 << 2,   // unreserved = alphanum / mark
  c_user = 1 << 3,    // user-unreserved
  c_pass = 1 << 4,    // password extras
  c_param = 1 << 5,   // param-unreserved
  c_hnv = 1 << 6,     // hnv-unreserved
  c_ws = 1 << 7,      // SP / HTAB
  c_digit = 1 << 8,
  c_hex = 1 << 9,
  c_host = 1 << 10,   // hostname and IPv4 characters
  c_word = 1 << 11,   // word (Call-ID)
  c_scheme = 1 << 12, // scheme characters after the first
  c_v6 = 1 << 13,     // inside an IPv6 reference
  c_uric = 1 << 14,   // uric (absoluteURI opaque part)
  c_pvalue = 1 << 15, // generic-param value outside quotes: token / IPv6 (host chars)
};

constexpr std::array<std::uint16_t, 256> make_char_table() {
  std::array<std::uint16_t, 256> t{};
  auto set = [&](std::string_view chars, std::uint16_t bit) {
    for (char c : chars) t[static_cast<unsigned char>(c)] |= bit;
  };
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    if (alpha || digit) t[c] |= c_alnum | c_token | c_unres | c_host | c_word | c_scheme | c_uric;
    if (digit) t[c] |= c_digit | c_hex | c_v6;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) t[c] |= c_hex | c_v6;
  }
  set("-.!%*_+`'~", c_token);
  set("-_.!~*'()", c_unres);
  set("&=+$,;?/", c_user);
  set("&=+$,", c_pass);
  set("[]/:&+$", c_param);
  set("[]/?:+$", c_hnv);
  set(" \t", c_ws);
  set("-.", c_host);
  set("-.!%*_+`'~()<>:\\\"/[]?{}", c_word);
  set("+-.", c_scheme);
  set(":.", c_v6);
  set(";/?:@&=+$,-_.!~*'()%[]", c_uric);
  for (int c = 0; c < 256; ++c)
    if (t[c] & c_token) t[c] |= c_pvalue;
  set("[]:", c_pvalue);
  return t;
}
inline constexpr auto char_table = make_char_table();

inline bool is(char c, std::uint16_t cls) noexcept {
  return (char_table[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c | 0x20) : c; }

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

/// Skips LWS: spaces, tabs and line folds (CRLF or LF followed by SP/HTAB).
inline const char* skip_lws(const char* p, const char* end) noexcept {
  if (p >= end || static_cast<unsigned char>(*p) > ' ') return p;  // the common cases
  for (;;) {
    if (p < end && (*p == ' ' || *p == '\t')) { ++p; continue; }
    // Distances, not p + n: p may be the null data() of an empty view.
    if (end - p > 2 && p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) { p += 3; continue; }
    if (end - p > 1 && p[0] == '\n' && (p[1] == ' ' || p[1] == '\t')) { p += 2; continue; }
    return p;
  }
}

inline const char* skip_class(const char* p, const char* end, std::uint16_t cls) noexcept {
  // Unrolled: runs are short, and one bounds check per four bytes matters here.
  while (end - p >= 4) {
    if (!is(p[0], cls)) return p;
    if (!is(p[1], cls)) return p + 1;
    if (!is(p[2], cls)) return p + 2;
    if (!is(p[3], cls)) return p + 3;
    p += 4;
  }
  while (p < end && is(*p, cls)) ++p;
  return p;
}

#if defined(__clang__) || defined(__GNUC__)
#define SIPEVENTS_NO_ASAN __attribute__((no_sanitize_address))
#else
#define SIPEVENTS_NO_ASAN
#endif

#if defined(__SSE2__)

/// True when 16 bytes from p lie in one page, so loading them cannot fault even past
/// the end of the object (the trick memchr and strlen use).
inline bool block_readable(const char* p) noexcept {
  return (reinterpret_cast<std::uintptr_t>(p) & 4095u) <= 4096u - 16u;
}

SIPEVENTS_NO_ASAN inline __m128i load16(const char* p) noexcept {
  return _mm_loadu_si128(static_cast<const __m128i*>(static_cast<const void*>(p)));
}

/// Bit i set when byte i of x is alphanumeric, '-' or '.': the characters that make
/// up nearly all of hosts, tags, branches, Call-IDs and user parts.
inline unsigned word_mask_of(__m128i x) noexcept {
  // Unsigned range tests as min(v, n) == v: fewer constants and operations than
  // signed compares on both sides.
  const __m128i l = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
  const __m128i letter = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(25)), l);
  // '-' '.' '/' '0'..'9' is one range; '/' is taken out again.
  const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('-'));
  const __m128i range = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(12)), d);
  const __m128i slash = _mm_cmpeq_epi8(d, _mm_set1_epi8('/' - '-'));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(letter, _mm_andnot_si128(slash, range))));
}

/// word_mask_of the 16 bytes at p. Bytes past the end of the object may be read (see
/// block_readable); callers mask.
SIPEVENTS_NO_ASAN inline unsigned word_mask(const char* p) noexcept { return word_mask_of(load16(p)); }

inline unsigned eq_mask(__m128i x, char c) noexcept {
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c))));
}

SIPEVENTS_NO_ASAN inline unsigned byte_mask(const char* p, char c) noexcept { return eq_mask(load16(p), c); }

/// 32 bytes classified once for the short readers: bit i of `word` is set when byte i
/// is alphanumeric, '-' or '.', and only bytes before the view's end count (`in`).
struct block32 {
  __m128i x0, x1;
  std::uint32_t in, word;
  /// Bytes equal to c, including any past the end (callers mask).
  std::uint32_t eq(char c) const noexcept { return eq_mask(x0, c) | eq_mask(x1, c) << 16; }
};

/// True when 32 bytes from p lie in p's page. Only the page of a byte inside a view is
/// known to be mapped, so p must be inside it (not at its end).
inline bool block32_readable(const char* p) noexcept {
  return (reinterpret_cast<std::uintptr_t>(p) & 4095u) <= 4096u - 32u;
}

/// Classifies the 32 bytes at p, of which the first len (at least 1) are the view's.
[[gnu::always_inline]] inline block32 classify32(const char* p, std::size_t len) noexcept {
  block32 b;
  b.x0 = load16(p);
  b.x1 = load16(p + 16);
  b.in = len >= 32 ? ~0u : (1u << len) - 1u;
  b.word = (word_mask_of(b.x0) | word_mask_of(b.x1) << 16) & b.in;
  return b;
}
#endif

/// skip_class for a class that contains every alphanumeric, '-' and '.': those runs
/// go 16 bytes at a time.
inline const char* skip_wide(const char* p, const char* end, std::uint16_t cls) noexcept {
#if defined(__SSE2__)
  // Most runs end in their first block, which is peeled off the loop: its constants
  // then load as operands of the compares instead of into registers up front.
  if (p < end && block_readable(p)) {
    const unsigned stop = ~word_mask(p) & 0xFFFFu;
    if (stop) {
      p += __builtin_ctz(stop);
      if (p >= end) return end;
      if (!is(*p, cls)) return p;
      ++p;
    } else {
      p += 16;
    }
  }
  while (p < end) {
    if (!block_readable(p)) return skip_class(p, end, cls);
    unsigned stop = ~word_mask(p) & 0xFFFFu;
    if (!stop) { p += 16; continue; }
    p += __builtin_ctz(stop);
    if (p >= end || !is(*p, cls)) break;
    ++p;
  }
  return p < end ? p : end;
#else
  return skip_class(p, end, cls);
#endif
}

/// First `c` in [p, end), or end. Reads whole blocks where they cannot fault, so it
/// works on any view; short views are the common case and avoid a memchr call.
inline const char* find_char(const char* p, const char* end, char c) noexcept {
#if defined(__SSE2__)
  while (p < end && block_readable(p)) {
    if (unsigned m = byte_mask(p, c)) {
      const char* r = p + __builtin_ctz(m);
      return r < end ? r : end;
    }
    p += 16;
  }
#endif
  while (p < end && *p != c) ++p;
  return p < end ? p : end;
}

/// First of , " < ( ) \\ in [p, end), or end: what splits a header value into list
/// elements (RFC 3261 7.3.1).
inline const char* find_list_special(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  while (p < end && block_readable(p)) {
    const __m128i x = load16(p);
    unsigned m = eq_mask(x, ',') | eq_mask(x, '"') | eq_mask(x, '<') | eq_mask(x, '(') | eq_mask(x, ')') |
                 eq_mask(x, '\\');
    if (m) {
      const char* r = p + __builtin_ctz(m);
      return r < end ? r : end;
    }
    p += 16;
  }
#endif
  while (p < end && *p != ',' && *p != '"' && *p != '<' && *p != '(' && *p != ')' && *p != '\\') ++p;
  return p < end ? p : end;
}

/// Bytes the parser keeps readable past the end of its own copy of a message, so
/// block-wise scans need no tail handling. The first of them is an LF, so a scan for
/// the line end never finds one past the end.
inline constexpr std::size_t k_padding = 32;

/// First `c` in [p, end), or end. Requires k_padding readable bytes past `end`.
inline const char* find_padded(const char* p, const char* end, char c) noexcept {
#if defined(__SSE2__)
  // 32 bytes a turn. The hot line-end search is find_lf; this one serves folds, broken
  // lines and the start line, which the LF sentinel does not cover for every c.
  const __m128i needle = _mm_set1_epi8(c);
  for (; p < end; p += 32) {
    const __m128i a = _mm_cmpeq_epi8(load16(p), needle), b = _mm_cmpeq_epi8(load16(p + 16), needle);
    if (unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(a, b)))) {
      m = static_cast<unsigned>(_mm_movemask_epi8(a)) | static_cast<unsigned>(_mm_movemask_epi8(b)) << 16;
      const char* r = p + __builtin_ctz(m);
      return r < end ? r : end;
    }
  }
  return end;
#else
  const void* r = p < end ? std::memchr(p, c, static_cast<std::size_t>(end - p)) : nullptr;
  return r ? static_cast<const char*>(r) : end;
#endif
}

/// First LF at or after p, where one is known to follow within the readable bytes (the
/// parser's copy ends with its LF sentinel): no bound test, no clamp.
inline const char* find_lf(const char* p) noexcept {
#if defined(__SSE2__)
  const __m128i needle = _mm_set1_epi8('\n');
  if (unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(load16(p), needle))))
    return p + __builtin_ctz(m);
  for (p += 16;; p += 32) {
    const __m128i a = _mm_cmpeq_epi8(load16(p), needle), b = _mm_cmpeq_epi8(load16(p + 16), needle);
    if (unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(a, b)))) {
      m = static_cast<unsigned>(_mm_movemask_epi8(a)) | static_cast<unsigned>(_mm_movemask_epi8(b)) << 16;
      return p + __builtin_ctz(m);
    }
  }
#else
  while (*p != '\n') ++p;
  return p;
#endif
}

/// First ':' or '\n' in [p, end), or end. Requires k_padding readable bytes past `end`.
inline const char* find_colon_or_newline(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  for (; p < end; p += 16) {
    const __m128i x = load16(p);
    if (unsigned m = eq_mask(x, ':') | eq_mask(x, '\n')) {
      p += __builtin_ctz(m);
      return p < end ? p : end;
    }
  }
  return end;
#else
  while (p < end && *p != ':' && *p != '\n') ++p;
  return p;
#endif
}

/// Bit i set when byte i of the 16 at p is `c`. Requires the 16 bytes to be readable
/// (the parser's padded copy).
inline unsigned first16_mask(const char* p, char c) noexcept {
#if defined(__SSE2__)
  return byte_mask(p, c);
#else
  unsigned m = 0;
  for (unsigned i = 0; i < 16; ++i) m |= unsigned(p[i] == c) << i;
  return m;
#endif
}

/// Skips chars of `cls` and %HH escapes. Returns nullptr on a broken escape.
inline const char* skip_escaped(const char* p, const char* end, std::uint16_t cls) noexcept {
  while (p < end) {
    p = skip_wide(p, end, cls);
    if (p >= end) break;
    if (*p == '%') {
      if (end - p < 3 || !is(p[1], c_hex) || !is(p[2], c_hex)) return nullptr;
      p += 3;
    } else if (is(*p, cls)) {
      ++p;
    } else {
      break;
    }
  }
  return p;
}

/// Skips a quoted-string starting at the opening quote. Returns nullptr if unterminated.
inline const char* skip_quoted(const char* p, const char* end) noexcept {
  ++p;
  while (p < end) {
#if defined(__SSE2__)
    // Display names and +sip.instance values run for dozens of bytes between the
    // only two characters that matter here.
    if (block_readable(p)) {
      const __m128i x = load16(p);
      const unsigned m = eq_mask(x, '"') | eq_mask(x, '\\');
      if (!m) {
        p += 16;
        continue;
      }
      p += __builtin_ctz(m);
      if (p >= end) return nullptr;
    }
#endif
    if (*p == '\\') {
      if (end - p < 2) return nullptr;
      p += 2;
    } else if (*p == '"') {
      return p + 1;
    } else {
      ++p;
    }
  }
  return nullptr;
}

/// The decimal digits at p, up to 7 of them, in one step: their count and value.
/// Returns 8 when that does not settle it (8 bytes cannot be read without crossing into
/// another page, or all 8 are digits); callers then loop. Never counts past `end`.
SIPEVENTS_NO_ASAN inline unsigned eight_digits(const char* p, const char* end, std::uint32_t& value) noexcept {
  // p == end may be the first byte of an unmapped page: only a p inside the view proves
  // its page mapped.
  if (p >= end) return 0;
  if ((reinterpret_cast<std::uintptr_t>(p) & 4095u) > 4096u - 8u) return 8;
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  // Per byte: d = byte - '0', a digit when d <= 9. A borrow or carry can only cross from
  // a byte that is not a digit into the one after it, past the first non-digit.
  const std::uint64_t d = w - 0x3030303030303030ull;
  const std::uint64_t non = ((d + 0x7676767676767676ull) | d) & 0x8080808080808080ull;
  if (!non) return 8;
  unsigned n = static_cast<unsigned>(__builtin_ctzll(non)) >> 3;
  if (static_cast<std::size_t>(end - p) < n) n = static_cast<unsigned>(end - p);
  if (n == 0) return 0;
  // Shift the digits to the top bytes (leading zeros below), then combine pairs, fours
  // and eights of digits with three multiplies.
  std::uint64_t v = d << (64 - 8 * n);
  v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFull;
  v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFull;
  value = static_cast<std::uint32_t>(v * 10000 + (v >> 32));
  return n;
}

/// Reads the decimal digits at p up to the first non-digit and returns where they end.
/// The value stops growing once it passes `cap`, so callers see "too big", never a
/// wrapped number.
inline const char* scan_digits(const char* p, const char* end, std::uint64_t cap, std::uint64_t& out) noexcept {
  std::uint64_t v = 0;
  for (; p < end && static_cast<unsigned>(*p - '0') < 10u; ++p)
    if (v <= cap) v = v * 10 + static_cast<unsigned>(*p - '0');
  out = v;
  return p;
}

/// Parses a string of only decimal digits into a 64-bit value, as scan_digits.
inline bool parse_digits(std::string_view s, std::uint64_t cap, std::uint64_t& out) noexcept {
  const char* end = s.data() + s.size();
  std::uint64_t v = 0;
  if (s.empty() || scan_digits(s.data(), end, cap, v) != end) return false;
  out = v;
  return true;
}

inline std::string_view sv(const char* b, const char* e) noexcept {
  return {b, static_cast<std::size_t>(e - b)};
}

}  // namespace sipevents::message::detail

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_IMPL_CHARS
#define SIPEVENTS_SEEN_MESSAGE_IMPL_CHARS
#include "sipevents/impl/definitions.ipp"
#endif
