#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/auth/digest.hpp"

#include <array>

namespace sipevents::auth {

SIPEVENTS_INLINE hash_fn hash_of(digest_algorithm a) noexcept {
  switch (message::base_of(a)) {
    case digest_algorithm::sha256: return hash_fn::sha256;
    case digest_algorithm::sha512_256: return hash_fn::sha512_256;
    default: return hash_fn::md5;
  }
}

SIPEVENTS_INLINE std::size_t hash_size(hash_fn f) noexcept { return f == hash_fn::md5 ? 16 : 32; }

SIPEVENTS_INLINE std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string s(bytes.size() * 2, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    s[2 * i] = k_hex[bytes[i] >> 4];
    s[2 * i + 1] = k_hex[bytes[i] & 0xf];
  }
  return s;
}

SIPEVENTS_INLINE std::string hex_hash(crypto& c, hash_fn f, std::string_view data) {
  std::array<std::uint8_t, 32> out{};
  const std::size_t n = hash_size(f);
  c.hash(f, data, std::span<std::uint8_t>(out.data(), n));
  return to_hex(std::span<const std::uint8_t>(out.data(), n));
}

SIPEVENTS_INLINE std::string random_hex(crypto& c, std::size_t n) {
  std::array<std::uint8_t, 64> buf{};
  std::string s;
  while (n > 0) {
    const std::size_t k = n < buf.size() ? n : buf.size();
    c.random(std::span<std::uint8_t>(buf.data(), k));
    s += to_hex(std::span<const std::uint8_t>(buf.data(), k));
    n -= k;
  }
  return s;
}

SIPEVENTS_INLINE bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    // Hex compares case-insensitively: a response may come in upper case.
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'F') x = static_cast<unsigned char>(x | 0x20);
    if (y >= 'A' && y <= 'F') y = static_cast<unsigned char>(y | 0x20);
    d = static_cast<unsigned char>(d | (x ^ y));
  }
  return d == 0;
}

namespace {
std::string joined(std::initializer_list<std::string_view> parts) {
  std::size_t n = parts.size();
  for (auto p : parts) n += p.size();
  std::string s;
  s.reserve(n);
  bool first = true;
  for (auto p : parts) {
    if (!first) s += ':';
    first = false;
    s += p;
  }
  return s;
}
}  // namespace

SIPEVENTS_INLINE std::string ha1(crypto& c, digest_algorithm a, std::string_view user, std::string_view realm,
                std::string_view password) {
  return hex_hash(c, hash_of(a), joined({user, realm, password}));
}

SIPEVENTS_INLINE std::string user_hash(crypto& c, digest_algorithm a, std::string_view user, std::string_view realm) {
  return hex_hash(c, hash_of(a), joined({user, realm}));
}

SIPEVENTS_INLINE std::string response(crypto& c, const response_input& in) {
  const hash_fn f = hash_of(in.algorithm);
  std::string h1(in.ha1);
  if (message::is_session(in.algorithm)) h1 = hex_hash(c, f, joined({in.ha1, in.nonce, in.cnonce}));
  std::string a2 = in.qop == "auth-int" ? joined({in.method, in.uri, hex_hash(c, f, in.body)})
                                        : joined({in.method, in.uri});
  const std::string h2 = hex_hash(c, f, a2);
  if (in.qop.empty()) return hex_hash(c, f, joined({h1, in.nonce, h2}));
  return hex_hash(c, f, joined({h1, in.nonce, in.nc, in.cnonce, in.qop, h2}));
}

SIPEVENTS_INLINE int strength(digest_algorithm a) noexcept {
  switch (a) {
    case digest_algorithm::sha512_256: return 6;
    case digest_algorithm::sha512_256_sess: return 5;
    case digest_algorithm::sha256: return 4;
    case digest_algorithm::sha256_sess: return 3;
    case digest_algorithm::md5: return 2;
    case digest_algorithm::md5_sess: return 1;
    default: return 0;
  }
}

}  // namespace sipevents::auth

SIPEVENTS_IMPL_END
