// The WebSocket codec: RFC 6455's own examples, the upgrade checks RFC 7118 adds, the
// frame rules and limits, and every frame split at every offset.
#include <catch2/catch.hpp>

#include <string>

#include "sipevents/crypto/openssl_crypto.hpp"
#include "sipevents/ws/ws_codec.hpp"

using namespace sipevents::ws;

namespace {

const std::string k_sample_request =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, sip\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

const std::array<std::uint8_t, 4> k_mask{0x37, 0xfa, 0x21, 0x3d};

std::vector<event> decode_all(frame_decoder& d, std::error_code& last) {
  std::vector<event> out;
  event e;
  while (!(last = d.next(e))) out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("RFC 6455 1.3: the sample key hashes to the sample accept value") {
  CHECK(sipevents::crypto::websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("upgrade: RFC 6455's sample handshake offering sip is accepted") {
  upgrade_request r;
  auto res = parse_upgrade(k_sample_request + "tail", r);
  REQUIRE_FALSE(res.ec);
  CHECK(res.consumed == k_sample_request.size());
  CHECK(r.target == "/chat");
  CHECK(r.host == "server.example.com");
  CHECK(r.origin == "http://example.com");
  CHECK(r.key == "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(r.protocols == std::vector<std::string>{"chat", "sip"});
  const std::string answer = accept_response(sipevents::crypto::websocket_accept(r.key));
  CHECK(answer.find("HTTP/1.1 101 Switching Protocols\r\n") == 0);
  CHECK(answer.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  CHECK(answer.find("Sec-WebSocket-Protocol: sip\r\n") != std::string::npos);
  // Our client accepts that answer, and only with the right accept value.
  CHECK_FALSE(parse_accept(answer, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").ec);
  CHECK(parse_accept(answer, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=").ec == errc::bad_accept);
}

TEST_CASE("upgrade: every prefix of the handshake needs more, and is not an error") {
  for (std::size_t i = 0; i < k_sample_request.size(); ++i) {
    upgrade_request r;
    INFO("prefix " << i);
    CHECK(parse_upgrade(k_sample_request.substr(0, i), r).ec == errc::need_more);
  }
}

TEST_CASE("upgrade: each fault is named, and answered 400 or 426") {
  upgrade_request r;
  auto fault = [&](const std::string& text) { return parse_upgrade(text, r).ec; };
  CHECK(fault(replace(k_sample_request, "chat, sip", "chat")) == errc::no_sip_protocol);
  CHECK(fault(replace(k_sample_request, "chat, sip", "SIP")) == errc::no_sip_protocol);  // tokens are case-sensitive
  CHECK(fault(replace(k_sample_request, "Sec-WebSocket-Protocol: chat, sip\r\n", "")) == errc::no_sip_protocol);
  // Several Sec-WebSocket-Protocol lines are one list.
  CHECK_FALSE(fault(replace(k_sample_request, "chat, sip", "chat\r\nSec-WebSocket-Protocol: sip")));
  CHECK(fault(replace(k_sample_request, "Version: 13", "Version: 8")) == errc::unsupported_version);
  CHECK(fault(replace(k_sample_request, "dGhlIHNhbXBsZSBub25jZQ==", "short==")) == errc::bad_key);
  CHECK(fault(replace(k_sample_request, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZR==")) == errc::bad_key);
  CHECK(fault(replace(k_sample_request, "Upgrade: websocket", "Upgrade: h2c")) == errc::not_an_upgrade);
  CHECK(fault(replace(k_sample_request, "Connection: Upgrade", "Connection: keep-alive")) == errc::not_an_upgrade);
  CHECK_FALSE(fault(replace(k_sample_request, "Connection: Upgrade", "Connection: keep-alive, Upgrade")));
  CHECK(fault(replace(k_sample_request, "Host: server.example.com\r\n", "")) == errc::not_an_upgrade);
  CHECK(fault(replace(k_sample_request, "GET", "POST")) == errc::bad_request_line);
  CHECK(fault(replace(k_sample_request, "HTTP/1.1", "HTTP/1.0")) == errc::bad_request_line);
  CHECK(fault(replace(k_sample_request, "Origin: ", " Origin: ")) == errc::bad_header_line);
  CHECK(fault(replace(k_sample_request, "Origin: ", "Origin ")) == errc::bad_header_line);
  CHECK(fault("INVITE sip:bob@example.com SIP/2.0\r\n\r\n") == errc::bad_request_line);

  CHECK(reject_status(errc::no_sip_protocol) == 400);
  CHECK(reject_status(errc::unsupported_version) == 426);
  const std::string refusal = reject_response(errc::no_sip_protocol);
  CHECK(refusal.find("HTTP/1.1 400 Sec-WebSocket-Protocol does not offer sip\r\n") == 0);
  CHECK(refusal.find("Connection: close\r\n") != std::string::npos);
  CHECK(reject_response(errc::unsupported_version).find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
}

TEST_CASE("upgrade: a handshake larger than the limit is refused, with or without its end") {
  ws_limits l;
  l.max_handshake = 256;
  upgrade_request r;
  std::string big = replace(k_sample_request, "Origin: http://example.com", "Origin: http://" + std::string(300, 'a'));
  CHECK(parse_upgrade(big, r, l).ec == errc::handshake_too_large);
  CHECK(parse_upgrade(big.substr(0, 255), r, l).ec == errc::need_more);
  CHECK(parse_upgrade(big.substr(0, 256), r, l).ec == errc::handshake_too_large);
}

TEST_CASE("frames: RFC 6455 5.7's examples") {
  SECTION("a single-frame unmasked text message, read by a client") {
    frame_decoder d(role::client);
    d.feed(std::string("\x81\x05\x48\x65\x6c\x6c\x6f", 7));
    event e;
    REQUIRE_FALSE(d.next(e));
    CHECK(e.what == event::kind::message);
    CHECK_FALSE(e.binary);
    CHECK(e.payload == "Hello");
    CHECK(d.next(e) == errc::need_more);
  }
  SECTION("a single-frame masked text message, read by a server") {
    frame_decoder d(role::server);
    d.feed(std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
    event e;
    REQUIRE_FALSE(d.next(e));
    CHECK(e.payload == "Hello");
    CHECK(encode_frame(opcode::text, "Hello", &k_mask) == std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
  }
  SECTION("a fragmented unmasked text message") {
    frame_decoder d(role::client);
    d.feed(std::string("\x01\x03\x48\x65\x6c", 5));
    event e;
    CHECK(d.next(e) == errc::need_more);
    CHECK(d.in_message());
    d.feed(std::string("\x80\x02\x6c\x6f", 4));
    REQUIRE_FALSE(d.next(e));
    CHECK(e.payload == "Hello");
  }
  SECTION("unmasked ping and masked pong") {
    frame_decoder c(role::client);
    c.feed(std::string("\x89\x05\x48\x65\x6c\x6c\x6f", 7));
    event e;
    REQUIRE_FALSE(c.next(e));
    CHECK(e.what == event::kind::ping);
    CHECK(e.payload == "Hello");
    frame_decoder s(role::server);
    s.feed(std::string("\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
    REQUIRE_FALSE(s.next(e));
    CHECK(e.what == event::kind::pong);
    CHECK(e.payload == "Hello");
  }
  SECTION("256 bytes and 64 KiB binary messages in one unmasked frame") {
    CHECK(encode_frame(opcode::binary, std::string(256, 'x')).substr(0, 4) == std::string("\x82\x7e\x01\x00", 4));
    CHECK(encode_frame(opcode::binary, std::string(65536, 'x')).substr(0, 10) ==
          std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
    frame_decoder d(role::client);
    d.feed(encode_frame(opcode::binary, std::string(65536, 'x')));
    event e;
    REQUIRE_FALSE(d.next(e));
    CHECK(e.binary);
    CHECK(e.payload.size() == 65536);
  }
}

TEST_CASE("frames: a SIP message split at every offset, with control frames between fragments") {
  const std::string sip =
      "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKasudf\r\n"
      "Max-Forwards: 70\r\nTo: <sip:alice@example.com>\r\nFrom: <sip:alice@example.com>;tag=65bnmj\r\n"
      "Call-ID: aiuy7k9njasd\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@df7jal23ls0d.invalid;transport=ws>\r\n"
      "Content-Length: 0\r\n\r\n";
  const std::array<std::uint8_t, 4> m2{1, 2, 3, 4};
  // A message in three fragments with a ping between the first two, then a close.
  std::string wire;
  auto frag = [&](std::uint8_t first, std::string_view part) {
    std::string f = encode_frame(opcode::text, part, &m2);
    f[0] = static_cast<char>(first);
    wire += f;
  };
  frag(0x01, std::string_view(sip).substr(0, 40));
  wire += encode_frame(opcode::ping, "are you there", &k_mask);
  frag(0x00, std::string_view(sip).substr(40, 100));
  frag(0x80, std::string_view(sip).substr(140));
  wire += encode_close(1000, "bye", &k_mask);
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    INFO("cut at " << cut);
    frame_decoder d(role::server);
    std::error_code last;
    d.feed(std::string_view(wire).substr(0, cut));
    auto events = decode_all(d, last);
    REQUIRE(last == errc::need_more);
    d.feed(std::string_view(wire).substr(cut));
    auto rest = decode_all(d, last);
    REQUIRE(last == errc::need_more);
    events.insert(events.end(), rest.begin(), rest.end());
    REQUIRE(events.size() == 3);
    CHECK(events[0].what == event::kind::ping);
    CHECK(events[0].payload == "are you there");
    CHECK(events[1].what == event::kind::message);
    CHECK(events[1].payload == sip);
    CHECK(events[2].what == event::kind::close);
    CHECK(events[2].close_code == 1000);
    CHECK(events[2].close_reason == "bye");
    CHECK(d.buffered() == 0);
  }
  // Byte by byte too.
  frame_decoder d(role::server);
  std::error_code last;
  std::vector<event> all;
  for (char c : wire) {
    d.feed(std::string_view(&c, 1));
    auto got = decode_all(d, last);
    REQUIRE(last == errc::need_more);
    all.insert(all.end(), got.begin(), got.end());
  }
  CHECK(all.size() == 3);
}

TEST_CASE("frames: each protocol fault is final and maps to its close code") {
  auto fault_of = [](role r, const std::string& bytes, ws_limits l = {}) {
    frame_decoder d(r, l);
    d.feed(bytes);
    event e;
    std::error_code ec;
    while (!(ec = d.next(e))) {
    }
    // Once failed, it stays failed and holds nothing.
    if (ec != errc::need_more) {
      event again;
      d.feed("more");
      CHECK(d.next(again) == ec);
      CHECK(d.buffered() == 0);
    }
    return ec;
  };
  CHECK(fault_of(role::server, encode_frame(opcode::text, "hi")) == errc::unmasked_frame);
  CHECK(fault_of(role::client, encode_frame(opcode::text, "hi", &k_mask)) == errc::masked_frame);
  std::string rsv = encode_frame(opcode::text, "hi", &k_mask);
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  CHECK(fault_of(role::server, rsv) == errc::reserved_bits);
  std::string op3 = encode_frame(opcode::text, "hi", &k_mask);
  op3[0] = static_cast<char>(0x83);
  CHECK(fault_of(role::server, op3) == errc::bad_opcode);
  std::string frag_ping = encode_frame(opcode::ping, "x", &k_mask);
  frag_ping[0] = static_cast<char>(0x09);
  CHECK(fault_of(role::server, frag_ping) == errc::fragmented_control);
  CHECK(fault_of(role::server, encode_frame(opcode::ping, std::string(126, 'p'), &k_mask)) == errc::control_too_large);
  CHECK(fault_of(role::server, encode_frame(opcode::continuation, "x", &k_mask)) == errc::unexpected_continuation);
  std::string open = encode_frame(opcode::text, "a", &k_mask);
  open[0] = static_cast<char>(0x01);
  CHECK(fault_of(role::server, open + encode_frame(opcode::text, "b", &k_mask)) == errc::expected_continuation);
  CHECK(fault_of(role::server, encode_frame(opcode::close, "x", &k_mask)) == errc::bad_close);
  CHECK(fault_of(role::server, encode_close(1005, "", &k_mask)) == errc::bad_close);
  CHECK(fault_of(role::server, encode_close(999, "", &k_mask)) == errc::bad_close);
  CHECK(fault_of(role::server, encode_frame(opcode::close, "\x03\xe8\xc3\x28", &k_mask)) == errc::bad_utf8);
  // encode_close never writes such a reason: it drops the broken tail.
  CHECK(encode_close(1000, "ok\xc3") == encode_close(1000, "ok"));
  CHECK(fault_of(role::server, encode_frame(opcode::text, "\xed\xa0\x80", &k_mask)) == errc::bad_utf8);
  CHECK(fault_of(role::server, encode_frame(opcode::binary, "\xed\xa0\x80", &k_mask)) == errc::need_more);
  std::string huge("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04", 14);
  CHECK(fault_of(role::server, huge) == errc::bad_length);

  ws_limits small;
  small.max_frame = 100;
  small.max_message = 150;
  // The size is refused from the header alone: the payload never has to arrive.
  CHECK(fault_of(role::server, encode_frame(opcode::text, std::string(101, 'x'), &k_mask).substr(0, 8), small) ==
        errc::frame_too_large);
  std::string first = encode_frame(opcode::text, std::string(100, 'x'), &k_mask);
  first[0] = static_cast<char>(0x01);
  CHECK(fault_of(role::server, first + encode_frame(opcode::continuation, std::string(51, 'x'), &k_mask), small) ==
        errc::message_too_large);

  CHECK(close_code_for(errc::message_too_large) == 1009);
  CHECK(close_code_for(errc::frame_too_large) == 1009);
  CHECK(close_code_for(errc::bad_utf8) == 1007);
  CHECK(close_code_for(errc::unmasked_frame) == 1002);
}

TEST_CASE("frames: many small frames in one read do not pile up") {
  frame_decoder d(role::server);
  std::string burst;
  for (int i = 0; i < 1000; ++i) burst += encode_frame(opcode::text, "x", &k_mask);
  d.feed(burst);
  std::error_code last;
  CHECK(decode_all(d, last).size() == 1000);
  CHECK(last == errc::need_more);
  CHECK(d.buffered() == 0);
}

TEST_CASE("utf-8: the validator follows RFC 3629") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ascii text that is longer than eight bytes"));
  CHECK(valid_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
  CHECK(valid_utf8("\xf4\x8f\xbf\xbf"));                               // U+10FFFF
  CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));                         // past U+10FFFF
  CHECK_FALSE(valid_utf8("\xc0\xaf"));                                 // overlong
  CHECK_FALSE(valid_utf8("\xe0\x80\xaf"));                             // overlong
  CHECK_FALSE(valid_utf8("\xed\xbf\xbf"));                             // surrogate
  CHECK_FALSE(valid_utf8("abc\xce"));                                  // cut short
  CHECK_FALSE(valid_utf8("\x80"));
  // A close reason cut to fit stays valid: the cut never splits a sequence.
  std::string reason(122, 'r');
  reason += "\xce\xba";
  std::string f = encode_close(1000, reason);
  CHECK(f.size() == 2 + 2 + 122);
}
