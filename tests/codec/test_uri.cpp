// URI parsing and RFC 3261 19.1.4 comparison.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sipevents/message/headers.hpp"
#include "sipevents/message/uri.hpp"
#include "support.hpp"

using namespace sipevents::message;
namespace ts = testsupport;

namespace {
uri u(std::string_view s) {
  uri x;
  INFO(s);
  REQUIRE(!parse_uri(s, x));
  return x;
}
bool eq(std::string_view a, std::string_view b) { return uri_equal(u(a), u(b)); }
}  // namespace

TEST_CASE("sip URI parts") {
  uri x = u("sips:alice:secret@[2001:db8::10]:5061;transport=tcp;lr?subject=hi&priority=urgent");
  CHECK(x.scheme == uri::kind::sips);
  CHECK(x.user == "alice");
  CHECK(x.password == "secret");
  CHECK(x.host == "[2001:db8::10]");
  CHECK(x.port == 5061);
  CHECK(x.param("transport") == std::optional<std::string_view>("tcp"));
  CHECK(x.param("LR") == std::optional<std::string_view>(""));
  CHECK(!x.param("maddr"));
  CHECK(x.header("subject") == std::optional<std::string_view>("hi"));
  CHECK(x.header("priority") == std::optional<std::string_view>("urgent"));

  uri y = u("sip:example.com");
  CHECK(y.user.empty());
  CHECK(y.host == "example.com");
  CHECK(!y.has_port);
}

TEST_CASE("tel and other schemes") {
  uri t = u("tel:+1-201-555-0123;phone-context=example.com");
  CHECK(t.scheme == uri::kind::tel);
  CHECK(t.user == "+1-201-555-0123");
  CHECK(t.param("phone-context") == std::optional<std::string_view>("example.com"));
  CHECK(eq("tel:+1-201-555-0123", "tel:+1.201.555.0123"));
  CHECK(!eq("tel:+12015550123", "tel:+12015550124"));
  uri o = u("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  CHECK(o.scheme == uri::kind::other);
  CHECK(o.scheme_text == "urn");
}

TEST_CASE("malformed URIs are rejected") {
  uri x;
  for (std::string_view bad : {"", "sip:", "sip:@example.com", "sip:user@", "sip:user@host:99999",
                               "sip:user@host;", "sip:user@host;=x", "sip:user@ho st", "sip:a%zz@host",
                               "sip:user@[::1", "sip:user@host?", "sip:user@host?a", "1sip:x", "nocolon",
                               "sip:user@-host", "sip:user@a..b"}) {
    INFO(bad);
    CHECK(parse_uri(bad, x));
  }
}

TEST_CASE("RFC 3261 19.1.4: equivalent URIs") {
  CHECK(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
  CHECK(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  CHECK(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
  CHECK(eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
  CHECK(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
           "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
  CHECK(eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
           "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
}

TEST_CASE("RFC 3261 19.1.4: URIs that are not equivalent") {
  CHECK(!eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
  CHECK(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
  CHECK(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
  CHECK(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
  CHECK(!eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
  CHECK(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
  CHECK(!eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
  CHECK(!eq("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
}

TEST_CASE("escapes decode once, never recursively") {
  CHECK(unescape("value%25%34%31") == "value%41");
  CHECK(unescape("%41%4") == "A%4");
  CHECK(unescape("%zz") == "%zz");
}

// The parser takes a one-pass path for short "user@host" URIs when 32 bytes past the
// start may be read, and the full grammar otherwise. Both must agree on every input:
// the same text is parsed at the start of a page and again ending at a page end, where
// the short path cannot run, and every part is compared.

TEST_CASE("the short user@host path and the full grammar agree on every URI") {
  ts::two_pages pages;
  // Characters that matter to the grammar, weighted toward the usual ones.
  ts::lcg next{12345};
  std::size_t both_accept = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::string text = ts::random_text(next, next() % 4 == 0 ? "sips:" : "sip:", next() % 26, "abcz09-.",
                                             "abcdefxyzABZ0123456789-.-..@@@::;;==%%[]_~!?&+/,$ \"<>#", 3);
    if (text.size() > 31) continue;
    uri a, b;
    bool ok_a = !parse_uri(pages.at_start(text), a);       // the short path may run
    bool ok_b = !parse_uri(pages.at_page_end(text), b);    // it cannot here
    INFO(text);
    REQUIRE(ok_a == ok_b);
    if (!ok_a) continue;
    ++both_accept;
    CHECK(a.scheme == b.scheme);
    CHECK(a.user == b.user);
    CHECK(a.password == b.password);
    CHECK(a.host == b.host);
    CHECK(a.port == b.port);
    CHECK(a.has_port == b.has_port);
    CHECK(a.params == b.params);
    CHECK(a.headers == b.headers);
  }
  CHECK(both_accept > 20000);  // the comparison must cover plenty of valid URIs
}

TEST_CASE("a URI inside <> reads as the same URI on its own") {
  // In a name-addr the usual URI is read up to the '>' without looking for the '>'
  // first; the result must be what parse_uri gives for the text between < and >.
  ts::lcg next{777};
  std::size_t both_accept = 0;
  std::string text;  // the parsed values are views into it
  for (int i = 0; i < 200000; ++i) {
    const std::string u = ts::random_text(next, next() % 4 == 0 ? "sips:" : (next() % 8 == 0 ? "SIP:" : "sip:"),
                                          next() % 40, "abcz09-.", "abcdefxyzABZ0123456789-.-..@@@::;;==%%[]_~!?&+/,$ \"<#", 3);
    text = "<" + u + ">;tag=1";
    uri alone;
    name_addr in;
    const bool ok_alone = !parse_uri(u, alone);
    const bool ok_in = !parse_name_addr(text, in);
    INFO(text);
    REQUIRE(ok_alone == ok_in);
    if (!ok_in) continue;
    ++both_accept;
    CHECK(in.addr.text == alone.text);
    CHECK(in.addr.scheme == alone.scheme);
    CHECK(in.addr.scheme_text == alone.scheme_text);
    CHECK(in.addr.user == alone.user);
    CHECK(in.addr.password == alone.password);
    CHECK(in.addr.host == alone.host);
    CHECK(in.addr.port == alone.port);
    CHECK(in.addr.has_port == alone.has_port);
    CHECK(in.addr.params == alone.params);
    CHECK(in.addr.headers == alone.headers);
    CHECK(in.tag == "1");
  }
  CHECK(both_accept > 20000);
}

TEST_CASE("ports: every value up to 99999 and leading zeros, in URIs and Vias") {
  // Ports are read a word at a time; this checks every value against its decimal text.
  uri u;
  via v;
  for (std::uint32_t port = 0; port <= 99999; ++port) {
    const std::string digits = std::to_string(port);
    INFO(digits);
    const bool ok = port <= 65535;
    REQUIRE(!parse_uri("sip:h:" + digits, u) == ok);
    if (ok) REQUIRE(u.port == port);
    REQUIRE(!parse_uri("sip:h:" + digits + ";lr", u) == ok);
    if (ok) REQUIRE(u.port == port);
    REQUIRE(!parse_via("SIP/2.0/UDP h:" + digits + ";branch=z9hG4bK1", v) == ok);
    if (ok) REQUIRE(v.port == port);
  }
  for (const char* text : {"00080", "000080", "0000080", "00000000080", "000065535"}) {
    INFO(text);
    REQUIRE(!parse_uri(std::string("sip:h:") + text, u));
    CHECK(u.port == std::stoul(text));
  }
  CHECK(parse_uri("sip:h:000065536", u));
  CHECK(parse_uri("sip:h:123456789", u));
  CHECK(parse_uri("sip:h:", u));
  CHECK(parse_uri("sip:h:5x", u));
}

#if defined(__unix__)
// Block scans may read past a view's end only within the page of a byte they know is
// there. A URI ending right before an unmapped page must parse without touching it,
// whatever its start offset in the page (the fuzzer found a 32-byte read crossing into
// the next page).
TEST_CASE("URIs ending just before an unmapped page are read without touching it") {
  ts::guard_page guard;
  const std::string texts[] = {"sip:a@b", "sip:alice@example.com", "sip:128nnnnAnnnnn;nnn@nn00",
                               "sips:bob@192.0.2.4:5060;transport=tcp", "sip:carol@chicago.example.com",
                               "tel:+1-201-555-0123", "sip:%61lice@example.com?subject=x",
                               "sip:h:5060", "sip:h:65535", "sip:h:0000080", "sip:h:", "sip:sip:"};
  for (const std::string& t : texts) {
    uri ref;
    const bool ok = !parse_uri(t, ref);
    for (std::size_t pad = 0; pad < 40; ++pad) {  // ends 0..39 bytes before the guard page
      uri u;
      INFO(t << " ending " << pad << " bytes before the guard page");
      CHECK(!parse_uri(guard.ending(t, pad), u) == ok);
    }
  }
}
#endif
