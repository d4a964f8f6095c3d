#include "sipevents/crypto/openssl_crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace sipevents::crypto {

namespace {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
// OpenSSL 3 looks a digest up in its provider tables on every EVP_Digest given a
// legacy EVP_sha256() handle; fetched once, the lookup is gone (a third of a hash).
const EVP_MD* fetched(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (!md) std::abort();
  return md;
}
const EVP_MD* md_of(auth::hash_fn f) {
  static const EVP_MD* md5 = fetched("MD5");
  static const EVP_MD* sha256 = fetched("SHA2-256");
  static const EVP_MD* sha512_256 = fetched("SHA2-512/256");
  switch (f) {
    case auth::hash_fn::sha256: return sha256;
    case auth::hash_fn::sha512_256: return sha512_256;
    default: return md5;
  }
}
#else
const EVP_MD* md_of(auth::hash_fn f) {
  switch (f) {
    case auth::hash_fn::sha256: return EVP_sha256();
    case auth::hash_fn::sha512_256: return EVP_sha512_256();
    default: return EVP_md5();
  }
}
#endif
[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "sipevents: OpenSSL %s failed\n", what);
  std::abort();
}
}  // namespace

void openssl_crypto::hash(auth::hash_fn f, std::string_view data, std::span<std::uint8_t> out) {
  unsigned int n = 0;
  std::uint8_t md[EVP_MAX_MD_SIZE];
  if (EVP_Digest(data.data(), data.size(), md, &n, md_of(f), nullptr) != 1) fatal("EVP_Digest");
  for (std::size_t i = 0; i < out.size() && i < n; ++i) out[i] = md[i];
}

void openssl_crypto::hmac_sha256(std::string_view key, std::string_view data, std::span<std::uint8_t, 32> out) {
  unsigned int n = 0;
  if (!HMAC(md_of(auth::hash_fn::sha256), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), out.data(), &n) ||
      n != 32)
    fatal("HMAC");
}

void openssl_crypto::random(std::span<std::uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) fatal("RAND_bytes");
}

openssl_crypto& default_crypto() {
  static openssl_crypto c;
  return c;
}

}  // namespace sipevents::crypto
