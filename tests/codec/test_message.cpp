// Serializer, round trips, builder, limits, value semantics.
#include <catch2/catch.hpp>

#include "sipevents/message/check.hpp"
#include "sipevents/message/message.hpp"
#include "support.hpp"

using namespace sipevents::message;
namespace ts = testsupport;

namespace {
std::vector<std::filesystem::path> all_fixtures() {
  auto v = ts::files_with_ext(ts::shared_dir() / "testdata/examples", ".sip");
  auto r = ts::files_with_ext(ts::shared_dir() / "testdata/rfc4475", ".dat");
  auto c = ts::files_with_ext(ts::shared_dir() / "corpus", ".sip");
  v.insert(v.end(), r.begin(), r.end());
  v.insert(v.end(), c.begin(), c.end());
  return v;
}
}  // namespace

TEST_CASE("parse -> serialize -> parse is stable for every fixture") {
  for (const auto& f : all_fixtures()) {
    INFO(f.filename().string());
    message a;
    codec_error e1 = parse_datagram(ts::read_file(f), a);
    if (e1 && e1.code != errc::missing_header) continue;  // nothing to round-trip
    std::string s1 = a.serialize();
    message b;
    codec_error e2 = parse_datagram(s1, b);
    CHECK(e2.code == e1.code);
    CHECK(b.serialize() == s1);
    // Same headers in the same order; Content-Length is recomputed and moved last.
    std::vector<std::pair<hdr, std::string_view>> ha, hb;
    for (const auto& h : a.headers()) if (h.id != hdr::content_length) ha.emplace_back(h.id, h.value);
    for (const auto& h : b.headers()) if (h.id != hdr::content_length) hb.emplace_back(h.id, h.value);
    CHECK(ha == hb);
    CHECK(b.content_length() == b.body().size());
    CHECK(b.body() == a.body());
    CHECK(b.call_id() == a.call_id());
    CHECK(b.cseq().seq == a.cseq().seq);
    CHECK(b.vias().size() == a.vias().size());
    CHECK(b.contacts().size() == a.contacts().size());
  }
}

TEST_CASE("serializer: canonical names, computed Content-Length, unknown headers verbatim and in order") {
  const std::string text =
      "NOTIFY sip:a@example.com SIP/2.0\r\n"
      "v: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
      "X-First: one,  two\r\n"
      "f: <sip:b@example.com>;tag=9\r\n"
      "t: <sip:a@example.com>;tag=8\r\n"
      "i: abc@h\r\n"
      "cseq: 7 NOTIFY\r\n"
      "o: presence\r\n"
      "X-Second:\r\n  folded value\r\n"
      "Subscription-State: active;expires=60\r\n"
      "l: 2\r\n"
      "\r\n"
      "hi";
  message m;
  REQUIRE(!parse_datagram(text, m));
  CHECK(m.serialize() ==
        "NOTIFY sip:a@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "X-First: one,  two\r\n"
        "From: <sip:b@example.com>;tag=9\r\n"
        "To: <sip:a@example.com>;tag=8\r\n"
        "Call-ID: abc@h\r\n"
        "CSeq: 7 NOTIFY\r\n"
        "Event: presence\r\n"
        "X-Second: folded value\r\n"
        "Subscription-State: active;expires=60\r\n"
        "Content-Length: 2\r\n"
        "\r\n"
        "hi");
}

TEST_CASE("copies and moves keep every view valid") {
  message a;
  REQUIRE(!parse_datagram(ts::read_file(ts::shared_dir() / "corpus/h_heavy.sip"), a));
  message b = a;
  message c;
  c = a;
  a = message{};  // the original's bytes are gone
  for (message* m : {&b, &c}) {
    CHECK(m->call_id() == "3848276298220188511@presence7.example.com");
    CHECK(m->vias().size() == 4);
    CHECK(m->event()->id == std::optional<std::string_view>("sub-88"));
  }
  message d = std::move(b);
  CHECK(d.to().display == "Carol Smith");
  CHECK(b.headers().empty());
}

// Headers (32), Vias (8) and Contacts (4) sit inline; past that they move to the heap.
// Both ways must keep every element, survive copies and moves, and a reused message
// must come back to its inline storage.
TEST_CASE("messages past the inline header, Via and Contact counts") {
  std::string text = "NOTIFY sip:bob@example.com SIP/2.0\r\n";
  for (int i = 0; i < 12; ++i)
    text += "Via: SIP/2.0/UDP h" + std::to_string(i) + ".example.com;branch=z9hG4bK" + std::to_string(i) +
            (i % 2 ? ", SIP/2.0/TCP g" + std::to_string(i) + ".example.com;branch=z9hG4bKg" + std::to_string(i) : "") +
            "\r\n";
  for (int i = 0; i < 7; ++i) text += "Contact: <sip:c" + std::to_string(i) + "@example.com>;q=0." + std::to_string(i) + "\r\n";
  for (int i = 0; i < 30; ++i) text += "X-Filler-" + std::to_string(i) + ": " + std::to_string(i) + "\r\n";
  text += "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: many@example.com\r\n"
          "CSeq: 2 NOTIFY\r\nContent-Length: 0\r\n\r\n";
  message m;
  REQUIRE(!parse_datagram(text, m));
  auto check = [](const message& x) {
    REQUIRE(x.headers().size() == 12 + 7 + 30 + 5);
    REQUIRE(x.vias().size() == 18);
    CHECK(x.vias()[0].host == "h0.example.com");
    CHECK(x.vias()[2].branch == "z9hG4bKg1");
    CHECK(x.vias()[17].host == "g11.example.com");
    REQUIRE(x.contacts().size() == 7);
    CHECK(x.contacts()[6].value.addr.user == "c6");
    CHECK(x.contacts()[6].q == std::optional<std::uint16_t>(600));
    CHECK(x.headers()[48].value == "29");
    CHECK(x.call_id() == "many@example.com");
  };
  check(m);
  message copy = m;
  check(copy);
  message moved = std::move(copy);
  check(moved);
  CHECK(copy.headers().empty());
  // The same object, reused for a small message, holds only that message's parts.
  REQUIRE(!parse_datagram(ts::read_file(ts::shared_dir() / "corpus/e_message.sip"), m));
  CHECK(m.headers().size() == 8);
  CHECK(m.vias().size() == 1);
  CHECK(m.vias()[0].host == "user1pc.domain.com");
  CHECK(m.contacts().empty());
  check(moved);
}

// Readers fill a reused message's slots member by member; a header that fails must not
// leave parts of an earlier message (whose bytes are gone) or half its own parse.
TEST_CASE("a failed Via, From, Contact, Event or Content-Type leaves no stale or half-read parts in a reused message") {
  const std::string good =
      "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP first.example.com;branch=z9hG4bK1\r\n"
      "From: <sip:a@from.example.com>;tag=7\r\nTo: <sip:b@example.com>\r\nCall-ID: 1@x\r\nCSeq: 1 OPTIONS\r\n"
      "Contact: <sip:a@contact.example.com>;expires=60\r\nEvent: presence;id=9\r\n"
      "Content-Type: text/plain;charset=utf-8\r\nContent-Length: 0\r\n\r\n";
  const std::string bad =
      "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP\r\n"
      "From: \"unterminated <sip:a@elsewhere.example.com>;tag=8\r\nTo: <sip:b@example.com>\r\nCall-ID: 2@x\r\n"
      "CSeq: 1 OPTIONS\r\nContact: <sip:a@c.example.com;expires=60\r\nEvent: reg;id=\r\n"
      "Content-Type: text/\r\nContent-Length: 0\r\n\r\n";
  message m;
  REQUIRE(!parse_datagram(good, m));
  REQUIRE(m.vias()[0].host == "first.example.com");
  codec_error e = parse_datagram(bad, m);
  CHECK(e.code == errc::malformed_header);
  CHECK(m.can_respond());
  REQUIRE(m.vias().size() == 1);
  CHECK(m.vias()[0].host.empty());
  CHECK(m.vias()[0].text.empty());
  CHECK(m.vias()[0].branch.empty());
  CHECK(m.from().addr.host.empty());
  CHECK(m.from().tag.empty());
  CHECK(m.from().display.empty());
  REQUIRE(m.contacts().size() == 1);
  CHECK(m.contacts()[0].value.addr.host.empty());
  CHECK(!m.contacts()[0].expires);
  REQUIRE(m.event());
  CHECK(m.event()->package.empty());
  CHECK(!m.event()->id);
  CHECK(m.event()->params.empty());
  REQUIRE(m.content_type());
  CHECK(m.content_type()->type.empty());
  CHECK(m.content_type()->params.empty());
}

TEST_CASE("builder output always parses, missing mandatory headers are reported") {
  message m;
  auto ok = message_builder::response(202, "Accepted")
                .header("Via", "SIP/2.0/UDP h;branch=z9hG4bK1")
                .header(hdr::from, "<sip:a@example.com>;tag=1")
                .header(hdr::to, "<sip:b@example.com>;tag=2")
                .header(hdr::call_id, "x")
                .header(hdr::cseq, "1 SUBSCRIBE")
                .header(hdr::expires, "600")
                .body("text/plain", "body")
                .build(m);
  REQUIRE(!ok);
  CHECK(m.status() == 202);
  CHECK(m.expires() == 600u);
  CHECK(m.content_length() == 4u);
  auto bad = message_builder::request("MESSAGE", "sip:b@example.com").header("Call-ID", "x").build(m);
  CHECK(bad.code == errc::missing_header);
}

TEST_CASE("datagram limits and verdicts") {
  std::string big(70000, 'a');
  message m;
  CHECK(parse_datagram(big, m).code == errc::message_too_large);
  CHECK(parse_datagram("\r\n\r\n", m).code == errc::empty_message);
  parse_limits lim;
  lim.max_headers = 4;
  codec_error e = parse_datagram(ts::read_file(ts::shared_dir() / "corpus/a_subscribe.sip"), m, lim);
  CHECK(e.code == errc::too_many_headers);
  verdict v = verdict_for(e, true, true);
  CHECK(v.status == 513);
  CHECK(parse_datagram("INVITE sip:a@b SIP/2.0\r\nbad line\r\n\r\n", m).code == errc::malformed_header_line);
  CHECK(parse_datagram("garbage", m).code == errc::malformed_start_line);
  CHECK(verdict_for(parse_datagram("garbage", m), m.is_request(), m.can_respond()).what == verdict::action::drop);
}

TEST_CASE("Require with an unknown option tag gets 420, an unknown method 501") {
  message m;
  auto base = [](std::string_view method) {
    return message_builder::request(method, "sip:b@example.com")
        .header("Via", "SIP/2.0/UDP h;branch=z9hG4bK1")
        .header("From", "<sip:a@example.com>;tag=1")
        .header("To", "<sip:b@example.com>")
        .header("Call-ID", "x")
        .header("CSeq", std::string("1 ") + std::string(method));
  };
  REQUIRE(!base("OPTIONS").header("Require", "foo").build(m));
  CHECK(check(m, {}).status == 420);
  endpoint_profile p;
  p.supported = {"foo"};
  CHECK(check(m, {}, p).accepted());
  REQUIRE(!base("FROB").build(m));
  CHECK(check(m, {}).status == 501);
}
