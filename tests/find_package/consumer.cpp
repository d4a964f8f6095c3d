#include <sipevents/crypto/openssl_crypto.hpp>
#include <sipevents/message/message.hpp>
#include <sipevents/presence/pidf.hpp>
#include <sipevents/version.hpp>

#include <array>
#include <cstdio>

int main() {
  sipevents::message::message m;
  auto e = sipevents::message::message_builder::request("OPTIONS", "sip:bob@example.com")
               .header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1")
               .header("From", "<sip:alice@example.com>;tag=1")
               .header("To", "<sip:bob@example.com>")
               .header("Call-ID", "c1")
               .header("CSeq", "1 OPTIONS")
               .build(m);
  if (e || m.cseq().seq != 1) return 1;
  // OpenSSL through the crypto adapter: SHA-256 of "abc" (RFC 6234).
  std::array<std::uint8_t, 32> h{};
  sipevents::crypto::default_crypto().hash(sipevents::auth::hash_fn::sha256, "abc", h);
  if (sipevents::auth::to_hex(h).rfind("ba7816bf", 0) != 0) return 2;
  // tinyxml2 through the PIDF codec.
  sipevents::presence::presence_document doc, back;
  doc.entity = "pres:alice@example.com";
  if (!sipevents::presence::decode(sipevents::presence::encode(doc), back) || back.entity != doc.entity) return 3;
  std::printf("consumer ok %s\n", SIPEVENTS_VERSION_STRING);
  return 0;
}
