// Shared grammar pieces of the typed-header parsers (internal).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_IMPL_GRAMMAR
#endif
#include <cstdint>
#include <cstring>
#include <string_view>

#include "chars.hpp"
#include "sipevents/message/params.hpp"

namespace sipevents::message::detail {

/// Validates `*( SEMI generic-param )` starting at p (RFC 3261 25.1), advances p past
/// it and reports each parameter to `f(name, value, has_value)`, which may veto it by
/// returning false. Stops before anything that is not a parameter: `first` is the first
/// ';' (nullptr if none) and `stop` the first byte past the parameters and any LWS after
/// them. Returns false on a broken parameter (empty name, bad value, unterminated
/// quote). Empty ";;" is tolerated: RFC 3428's own examples contain it.
/// One pass: the parsers pick out tag, branch, expires ... while validating.
template <class F>
inline bool scan_generic_params(const char*& p, const char* end, const char*& first, const char*& stop,
                                F&& f) noexcept {
  first = nullptr;
  for (;;) {
    const char* q = skip_lws(p, end);
    if (q >= end || *q != ';') {
      stop = q;
      return true;
    }
    if (!first) first = q;
    q = skip_lws(q + 1, end);
    const char* n = q;
    q = skip_class(q, end, c_token);  // names are short: a byte loop, not a block scan
    if (q == n) {
      if (q < end && *q == ';') { p = q; continue; }
      return false;
    }
    std::string_view name = sv(n, q), value;
    bool has_value = false;
    const char* r = skip_lws(q, end);
    if (r < end && *r == '=') {
      r = skip_lws(r + 1, end);
      const char* v = r;
      if (r < end && *r == '"') {
        r = skip_quoted(r, end);
        if (!r) return false;
      } else {
        r = skip_wide(r, end, c_pvalue);
        if (r == v) return false;
      }
      value = sv(v, r);
      has_value = true;
      q = r;
    }
    if (!f(name, value, has_value)) return false;
    p = q;
  }
}

/// Case-insensitive comparison with a lower-case literal (parameter names). Names of up
/// to 16 bytes compare as two loads that may overlap (the first and the last 2, 4 or 8
/// bytes): the literal's words and case masks fold to constants, and nothing is copied.
template <std::size_t N>
inline bool name_is(std::string_view name, const char (&lower_literal)[N]) noexcept {
  constexpr std::size_t n = N - 1;
  if (name.size() != n) return false;
  // The literal's bytes [at, at + W) as a word, and the case bits of its letters.
  auto window = [&](std::size_t at, std::size_t w, std::uint64_t& want, std::uint64_t& fold) {
    want = fold = 0;
    for (std::size_t i = 0; i < w; ++i) {
      const char c = lower_literal[at + i];
      want |= std::uint64_t{static_cast<unsigned char>(c)} << (8 * i);
      if (c >= 'a' && c <= 'z') fold |= std::uint64_t{0x20} << (8 * i);
    }
  };
  auto same = [&]<class W>(std::size_t at) {
    W in;
    std::memcpy(&in, name.data() + at, sizeof(W));
    std::uint64_t want, fold;
    window(at, sizeof(W), want, fold);
    return static_cast<std::uint64_t>(in | static_cast<W>(fold)) == want;
  };
  if constexpr (n == 1) {
    return same.template operator()<std::uint8_t>(0);
  } else if constexpr (n <= 3) {
    return same.template operator()<std::uint16_t>(0) && same.template operator()<std::uint16_t>(n - 2);
  } else if constexpr (n <= 8) {
    return same.template operator()<std::uint32_t>(0) && same.template operator()<std::uint32_t>(n - 4);
  } else if constexpr (n <= 16) {
    return same.template operator()<std::uint64_t>(0) && same.template operator()<std::uint64_t>(n - 8);
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const char c = lower_literal[i];
      if ((c >= 'a' && c <= 'z' ? char(name[i] | 0x20) : name[i]) != c) return false;
    }
    return true;
  }
}

/// A parameter a header of its kind usually carries (a Via's branch, rport and
/// received; a Contact's expires and q; Subscription-State's expires), read without
/// the general loop when p holds `prefix`
/// (";name", the name in any case) followed by ';', ',' or the end (a flag, has_value
/// false) or by '=' and a token-like value. Reads it as scan_generic_params would and
/// returns its end; otherwise nullptr, and the general scan reads the parameter (LWS,
/// quotes, an empty value, a longer name ...).
template <std::size_t N>
inline const char* known_param(const char* p, const char* end, const char (&prefix)[N], std::string_view& value,
                               bool& has_value) noexcept {
  constexpr std::size_t n = N - 1;
  if (end - p < static_cast<std::ptrdiff_t>(n) || !name_is(std::string_view(p, n), prefix)) return nullptr;
  const char* q = p + n;
  if (q == end || *q == ';' || *q == ',') {
    value = {};
    has_value = false;
    return q;
  }
  if (*q != '=') return nullptr;
  const char* r = skip_wide(q + 1, end, c_pvalue);
  if (r == q + 1) return nullptr;
  value = sv(q + 1, r);
  has_value = true;
  return r;
}

/// known_param for a parameter that must have a value, with the '=' in the prefix
/// (";tag="): one compare fewer per read, which the name-addr reader measures.
template <std::size_t N>
inline const char* leading_param(const char* p, const char* end, const char (&prefix)[N],
                                 std::string_view& value) noexcept {
  constexpr std::size_t n = N - 1;
  if (end - p <= static_cast<std::ptrdiff_t>(n) || !name_is(std::string_view(p, n), prefix)) return nullptr;
  const char* v = p + n;
  const char* r = skip_wide(v, end, c_pvalue);
  if (r == v) return nullptr;
  value = sv(v, r);
  return r;
}

/// Validates URI parameters ";pname[=pvalue]" (paramchar set, escapes allowed).
bool skip_uri_params(const char*& p, const char* end) noexcept;

/// hostname / IPv4address / IPv6reference. Returns the end of the host or nullptr.
inline const char* scan_host(const char* p, const char* end) noexcept {
  if (p < end && *p == '[') {
    const char* q = skip_class(p + 1, end, c_v6);
    if (q == p + 1 || q >= end || *q != ']') return nullptr;
    return q + 1;
  }
  // Labels must not be empty or start or end with '-' next to a dot ("a..b", "-a",
  // "a.-b", "a-.b"). The host is found 16 bytes at a time, and so are those faults.
  if (p >= end || !is(*p, c_alnum)) return nullptr;
  const char* q = p;
#if defined(__SSE2__)
  unsigned prev_dot = 0, prev_dash = 0;
  // One block: false on a label fault; `done` when the host ends inside it.
  auto block = [&](bool& done) __attribute__((always_inline)) {
    const __m128i x = load16(q);
    unsigned stop = ~word_mask_of(x) & 0xFFFFu;
    unsigned n = stop ? static_cast<unsigned>(__builtin_ctz(stop)) : 16u;
    if (n > static_cast<std::size_t>(end - q)) n = static_cast<unsigned>(end - q);
    const unsigned in = (1u << n) - 1u;
    const unsigned dot = eq_mask(x, '.') & in, dash = eq_mask(x, '-') & in;
    const unsigned after_dot = (dot << 1) | prev_dot, after_dash = (dash << 1) | prev_dash;
    if ((after_dash & dot) | (after_dot & (dot | dash))) return false;
    q += n;
    done = n < 16;
    prev_dot = dot >> 15;
    prev_dash = dash >> 15;
    return true;
  };
  // Most hosts end in their first block, peeled off the loop so that its constants
  // load as operands instead of into registers up front.
  bool done = false;
  if (block_readable(q)) {
    if (!block(done)) return nullptr;
    if (done) return q;
  }
  while (q < end && block_readable(q)) {
    if (!block(done)) return nullptr;
    if (done) return q;
  }
  if (q >= end) return end;
  // The byte loop below checks the dots from q on; a '.' that ended the last block,
  // followed by '.' or '-', is checked here.
  if (q > p && q[-1] == '.' && (*q == '.' || *q == '-')) return nullptr;
#endif
  auto dot_ok = [end](const char* d) {
    return d[-1] != '-' && (end - d < 2 || (d[1] != '.' && d[1] != '-'));
  };
  for (; q < end && is(*q, c_host); ++q)
    if (*q == '.' && q > p && !dot_ok(q)) return nullptr;
  return q;
}

/// 1*DIGIT no larger than 65535; advances p.
inline bool parse_port(const char*& p, const char* end, std::uint16_t& port) noexcept {
  std::uint32_t v = 0;
  // Ports are nearly always four or five digits: one word step, not a loop.
  const unsigned n = eight_digits(p, end, v);
  if (n - 1u < 5u) {
    if (v > 65535) return false;
    port = static_cast<std::uint16_t>(v);
    p += n;
    return true;
  }
  v = 0;
  const char* q = p;
  for (; q < end && static_cast<unsigned>(*q - '0') < 10u; ++q) {
    v = v * 10 + static_cast<unsigned>(*q - '0');
    if (v > 65535) return false;
  }
  if (q == p) return false;
  port = static_cast<std::uint16_t>(v);
  p = q;
  return true;
}

/// Everything after one element's main value must be parameters, then the end or, in
/// a list header, a ','. `last` is set to one past the last parameter (before trailing
/// LWS).
/// `started`, if set, is where the known_params read before p began the list.
template <class F>
inline bool params_to_element_end(const char*& p, const char* end, param_list& out, const char*& last, F&& f,
                                  const char* started = nullptr) noexcept {
  const char* q = p;
  const char* first;
  const char* stop;
  if (!scan_generic_params(q, end, first, stop, f)) return false;
  if (started) first = started;
  out = param_list(first ? sv(first, q) : std::string_view{});
  last = q;
  p = stop;
  return p == end || *p == ',';
}
/// Everything after a header's main value must be parameters, then nothing.
template <class F>
inline bool params_to_end(const char*& p, const char* end, param_list& out, F&& f,
                          const char* started = nullptr) noexcept {
  const char* last;
  return params_to_element_end(p, end, out, last, f, started) && p == end;
}
inline bool params_to_end(const char*& p, const char* end, param_list& out) noexcept {
  return params_to_end(p, end, out, [](std::string_view, std::string_view, bool) { return true; });
}

}  // namespace sipevents::message::detail

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_IMPL_GRAMMAR
#define SIPEVENTS_SEEN_MESSAGE_IMPL_GRAMMAR
#include "sipevents/impl/definitions.ipp"
#endif
