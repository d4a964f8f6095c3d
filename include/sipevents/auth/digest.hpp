// Digest computations (RFC 7616 3.4, RFC 3261 22.4, RFC 8760) on an injected hash,
// MAC and random source, so the state machines above stay free of I/O and of any one
// crypto library (`sipevents::crypto_openssl` supplies OpenSSL's libcrypto).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_AUTH_DIGEST
#endif
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sipevents/message/auth_headers.hpp"

namespace sipevents::auth {

using message::digest_algorithm;

/// The hash functions digest needs.
enum class hash_fn : std::uint8_t { md5, sha256, sha512_256 };
/// The hash an algorithm uses; `unknown` maps to md5 and should be refused earlier.
hash_fn hash_of(digest_algorithm a) noexcept;
/// Digest length in bytes (16 or 32).
std::size_t hash_size(hash_fn f) noexcept;

/// Hashes, a MAC and randomness. Implementations must be usable from one thread at a
/// time (the stack's); they hold no per-call state the caller can see.
class crypto {
 public:
  virtual ~crypto() = default;
  /// Writes hash_size(f) bytes of the digest of `data` to `out`.
  virtual void hash(hash_fn f, std::string_view data, std::span<std::uint8_t> out) = 0;
  /// HMAC-SHA-256 of `data` under `key`: 32 bytes to `out`.
  virtual void hmac_sha256(std::string_view key, std::string_view data, std::span<std::uint8_t, 32> out) = 0;
  /// Fills `out` with unpredictable bytes (a CSPRNG).
  virtual void random(std::span<std::uint8_t> out) = 0;
};

/// Lower-case hex of `bytes`.
std::string to_hex(std::span<const std::uint8_t> bytes);
/// Lower-case hex digest of `data`.
std::string hex_hash(crypto& c, hash_fn f, std::string_view data);
/// `n` random bytes as 2n lower-case hex digits.
std::string random_hex(crypto& c, std::size_t n);
/// Compares two strings in time that depends on their length only.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// H(username:realm:password) in hex, for the hash of `a` (the -sess step is not
/// applied: this is what a users file stores).
std::string ha1(crypto& c, digest_algorithm a, std::string_view user, std::string_view realm,
                std::string_view password);
/// H(username:realm): the username a userhash=true challenge asks for (RFC 7616 3.4.4).
std::string user_hash(crypto& c, digest_algorithm a, std::string_view user, std::string_view realm);

/// Everything a digest response covers.
struct response_input {
  digest_algorithm algorithm = digest_algorithm::md5;
  std::string_view ha1;     ///< the stored H(user:realm:password), hex
  std::string_view nonce;
  std::string_view cnonce;  ///< with qop, or for a -sess algorithm
  std::string_view nc;      ///< 8 hex digits, with qop
  std::string_view qop;     ///< "auth", "auth-int" or empty (RFC 2069 form)
  std::string_view method;
  std::string_view uri;     ///< digest-uri as the credentials carry it
  std::string_view body;    ///< for auth-int
};
/// The request-digest (RFC 7616 3.4.1), hex.
std::string response(crypto& c, const response_input& in);

/// Preference among algorithms a client can answer: SHA-512-256 > SHA-256 > MD5, the
/// plain form above its -sess variant; 0 for unknown.
int strength(digest_algorithm a) noexcept;

}  // namespace sipevents::auth

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_AUTH_DIGEST
#define SIPEVENTS_SEEN_AUTH_DIGEST
#include "sipevents/impl/definitions.ipp"
#endif
