// sipevents built header-only (SIPEVENTS_HEADER_ONLY through sipevents::header-only):
// two translation units with every public header link into one program that links no
// sipevents library, and the layers work.
#include <catch2/catch.hpp>

#include "all_headers.hpp"

#ifndef SIPEVENTS_HEADER_ONLY
#error "this test is built header-only"
#endif

namespace ho {
std::string sha256_hex(std::string_view text);
}

namespace sm = sipevents::message;

TEST_CASE("header-only: the codec parses and checks a MESSAGE") {
  sm::message m;
  const std::string bytes =
      "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\n"
      "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
  const sm::codec_error e = sm::parse_datagram(bytes, m);
  REQUIRE(!e);
  CHECK(m.method_text() == "MESSAGE");
  CHECK(sm::check(m, e, sm::endpoint_profile{}).accepted());
}

TEST_CASE("header-only: the crypto adapter and digest helpers from the other unit") {
  // RFC 6234's test vector for "abc".
  CHECK(ho::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("header-only: PIDF round trip through tinyxml2") {
  sipevents::presence::presence_document d;
  d.entity = "pres:alice@example.com";
  sipevents::presence::tuple t;
  t.id = "t1";
  t.basic = sipevents::presence::basic_status::open;
  d.tuples.push_back(t);
  const std::string xml = sipevents::presence::encode(d);
  sipevents::presence::presence_document back;
  REQUIRE(sipevents::presence::decode(xml, back));
  CHECK(back.tuples.at(0).basic == sipevents::presence::basic_status::open);
}

TEST_CASE("header-only: a runtime sends a MESSAGE to itself over UDP") {
  sipevents::transport::runtime rt;
  sipevents::transaction::peer bound;
  REQUIRE(!rt.listen("udp:127.0.0.1:0", &bound));
  rt.on_request("MESSAGE", [&](sipevents::transport::incoming_request& r) { rt.respond(r, 200, "OK"); });
  sipevents::pager::pager_client pc(rt.layer());
  sipevents::pager::page pg;
  pg.from = "sip:a@127.0.0.1";
  pg.to = "sip:b@127.0.0.1:" + std::to_string(bound.port);
  pg.body = "hi";
  std::uint16_t status = 0;
  rt.send_request(pc.build(pg), bound, [&](const sipevents::transport::request_result& r) {
    status = r.status;
    rt.stop();
  });
  rt.run();
  CHECK(status == 200);
}
