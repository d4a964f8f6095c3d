// OpenSSL's libcrypto behind auth::crypto: EVP digests, EVP_MAC HMAC, RAND_bytes.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_CRYPTO_OPENSSL_CRYPTO
#endif
#include <string>
#include <string_view>

#include "sipevents/auth/digest.hpp"

namespace sipevents::crypto {

/// The stack's hashes, MAC and randomness from OpenSSL (libcrypto 1.1.1 or 3.x).
/// No state a caller can see (each thread keeps its own keyed HMAC context), so one
/// instance may serve a whole stack, or several on their own threads.
class openssl_crypto final : public auth::crypto {
 public:
  void hash(auth::hash_fn f, std::string_view data, std::span<std::uint8_t> out) override;
  void hmac_sha256(std::string_view key, std::string_view data, std::span<std::uint8_t, 32> out) override;
  /// RAND_bytes (small requests from a per-thread block, dropped on fork); if OpenSSL
  /// cannot seed itself the process aborts rather than hand out predictable nonces.
  void random(std::span<std::uint8_t> out) override;
};

/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 4.2.2):
/// base64(SHA-1(key + GUID)), both from libcrypto.
std::string websocket_accept(std::string_view key);

/// One process-wide instance for applications that need no other.
openssl_crypto& default_crypto();

}  // namespace sipevents::crypto

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_CRYPTO_OPENSSL_CRYPTO
#define SIPEVENTS_SEEN_CRYPTO_OPENSSL_CRYPTO
#include "sipevents/impl/definitions.ipp"
#endif
