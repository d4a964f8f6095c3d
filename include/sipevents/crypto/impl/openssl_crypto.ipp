#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/crypto/openssl_crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

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

SIPEVENTS_INLINE void openssl_crypto::hash(auth::hash_fn f, std::string_view data, std::span<std::uint8_t> out) {
  unsigned int n = 0;
  std::uint8_t md[EVP_MAX_MD_SIZE];
  if (EVP_Digest(data.data(), data.size(), md, &n, md_of(f), nullptr) != 1) fatal("EVP_Digest");
  for (std::size_t i = 0; i < out.size() && i < n; ++i) out[i] = md[i];
}

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
namespace {
// One-shot HMAC() fetches the MAC and builds a context on every call (about half of
// a nonce check). A server MACs every nonce under the same key, so each thread keeps
// one context keyed once and re-initialises it with the key it already holds.
struct mac_cache {
  EVP_MAC_CTX* ctx = nullptr;
  std::string key;
  bool keyed = false;
  mac_cache() {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) fatal("EVP_MAC_fetch");
    ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context holds its own reference
    if (!ctx) fatal("EVP_MAC_CTX_new");
  }
  ~mac_cache() { EVP_MAC_CTX_free(ctx); }
  mac_cache(const mac_cache&) = delete;
  mac_cache& operator=(const mac_cache&) = delete;
};
}  // namespace

SIPEVENTS_INLINE void openssl_crypto::hmac_sha256(std::string_view key, std::string_view data, std::span<std::uint8_t, 32> out) {
  thread_local mac_cache c;
  int ok;
  if (c.keyed && key == c.key) {
    ok = EVP_MAC_init(c.ctx, nullptr, 0, nullptr);
  } else {
    char digest[] = "SHA2-256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
    c.keyed = false;
    ok = EVP_MAC_init(c.ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
    if (ok) {
      c.key.assign(key);
      c.keyed = true;
    }
  }
  std::size_t n = 0;
  if (ok != 1 || EVP_MAC_update(c.ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(c.ctx, out.data(), &n, out.size()) != 1 || n != 32)
    fatal("HMAC");
}
#else
SIPEVENTS_INLINE void openssl_crypto::hmac_sha256(std::string_view key, std::string_view data, std::span<std::uint8_t, 32> out) {
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), out.data(), &n) ||
      n != 32)
    fatal("HMAC");
}
#endif

namespace {
struct rand_block {
  std::uint8_t bytes[512];
  std::size_t used = sizeof bytes;
};
rand_block& thread_block() {
  thread_local rand_block b;
  return b;
}
}  // namespace

SIPEVENTS_INLINE void openssl_crypto::random(std::span<std::uint8_t> out) {
  // RAND_bytes costs about as much for 16 bytes as for 512 (a lock and a DRBG call
  // each time): a server making a nonce per challenge takes them from a block. Bytes
  // handed out are wiped from the block, and a forked child drops what it inherited
  // (OpenSSL reseeds its own generator on fork; this block must not repeat either).
  static const bool fork_safe = [] {
    pthread_atfork(nullptr, nullptr, [] { thread_block().used = sizeof thread_block().bytes; });
    return true;
  }();
  (void)fork_safe;
  rand_block& b = thread_block();
  if (out.size() > sizeof b.bytes / 4) {
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) fatal("RAND_bytes");
    return;
  }
  if (sizeof b.bytes - b.used < out.size()) {
    if (RAND_bytes(b.bytes, static_cast<int>(sizeof b.bytes)) != 1) fatal("RAND_bytes");
    b.used = 0;
  }
  std::memcpy(out.data(), b.bytes + b.used, out.size());
  OPENSSL_cleanse(b.bytes + b.used, out.size());
  b.used += out.size();
}

SIPEVENTS_INLINE openssl_crypto& default_crypto() {
  static openssl_crypto c;
  return c;
}

SIPEVENTS_INLINE std::string websocket_accept(std::string_view key) {
  std::string input(key);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 4.2.2
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &n, EVP_sha1(), nullptr) != 1 || n != 20) return {};
  unsigned char out[32];  // 4 * ceil(20 / 3) = 28, plus the NUL EVP_EncodeBlock writes
  const int len = EVP_EncodeBlock(out, digest, 20);
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(len));
}

}  // namespace sipevents::crypto

SIPEVENTS_IMPL_END
