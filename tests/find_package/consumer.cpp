#include <sipevents/message/message.hpp>
#include <sipevents/version.hpp>

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
  std::printf("consumer ok %s\n", SIPEVENTS_VERSION_STRING);
  return 0;
}
