// URI parsing and RFC 3261 19.1.4 comparison.
#include <catch2/catch.hpp>

#include "sipevents/message/uri.hpp"

using namespace sipevents::message;

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
