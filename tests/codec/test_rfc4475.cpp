// RFC 4475 torture tests: each message gets the verdict an endpoint gives it.
#include <catch2/catch.hpp>

#include <map>

#include "sipevents/message/check.hpp"
#include "sipevents/message/message.hpp"
#include "support.hpp"

using namespace sipevents::message;
namespace ts = testsupport;

namespace {

// What this endpoint does with each message, chosen within what index.tsv allows.
const std::map<std::string, std::string> k_expected = {
    {"wsinv", "accept"},         {"intmeth", "501"},   {"esc01", "accept"},
    {"escnull", "accept"},       {"longreq", "accept"}, {"dblreq", "accept"},
    {"transports", "accept"},    {"mpart01", "accept"}, {"noreason", "accept"},
    {"badinv01", "400"},         {"clerr", "400"},      {"ncl", "400"},
    {"scalarlg", "drop"},        {"lwsruri", "400"},    {"lwsstart", "accept"},  // may ignore extra SP
    {"trws", "accept"},          // may ignore trailing SP
    {"baddate", "accept"},       // Date does not matter to this endpoint
    {"regbadct", "400"},         {"badaspec", "400"},   {"badvers", "505"},
    {"mismatch01", "400"},       {"bigcode", "drop"},
    {"badbranch", "accept"},     // RFC 2543 matching fallback
    {"unkscm", "416"},           {"unksm2", "400"},     {"invut", "415"},
    {"regaut01", "accept"},      // registrar ignores the unknown scheme
    {"multi01", "400"},          {"bcast", "drop"},     {"cparam01", "accept"},
    {"regescrt", "accept"},      {"sdp01", "406"},      {"inv2543", "accept"},
};

std::string short_verdict(const verdict& v) {
  switch (v.what) {
    case verdict::action::accept: return "accept";
    case verdict::action::drop: return "drop";
    case verdict::action::respond: return std::to_string(v.status);
  }
  return "?";
}

message parse_file(const std::string& name, codec_error& e) {
  message m;
  e = parse_datagram(ts::read_file(ts::shared_dir() / "testdata/rfc4475" / (name + ".dat")), m);
  return m;
}

}  // namespace

TEST_CASE("every RFC 4475 message gets the endpoint verdict index.tsv asks for") {
  auto rows = ts::read_tsv(ts::shared_dir() / "testdata/rfc4475/index.tsv");
  REQUIRE(rows.size() == 33);
  for (const auto& row : rows) {
    const std::string& name = row[0];
    const std::string& cls = row[2];
    INFO(name << ": " << row[3]);
    REQUIRE(k_expected.count(name) == 1);
    codec_error e;
    message m = parse_file(name, e);
    verdict v = check(m, e, endpoint_profile{});
    CHECK(short_verdict(v) == k_expected.at(name));
    // A "valid" message is never rejected for syntax: only an endpoint policy (501) may refuse it.
    if (cls == "valid") CHECK((v.accepted() || v.status == 501));
    if (cls == "invalid") CHECK(!(v.what == verdict::action::accept && !(name == "lwsstart" || name == "trws" || name == "baddate")));
    if (v.what == verdict::action::respond) CHECK(!v.reason.empty());
  }
}

TEST_CASE("RFC 4475 reasons name the fault") {
  codec_error e;
  message m = parse_file("badinv01", e);
  CHECK(e.reason() == "Malformed Via header");
  m = parse_file("multi01", e);
  CHECK(e.code == errc::duplicate_header);
  m = parse_file("ncl", e);
  CHECK(e.code == errc::bad_content_length);
  m = parse_file("clerr", e);
  CHECK(e.code == errc::body_truncated);
  m = parse_file("mismatch01", e);
  CHECK(e.code == errc::cseq_method_mismatch);
  m = parse_file("scalarlg", e);
  CHECK(e.code == errc::malformed_header);
  CHECK(e.header == hdr::cseq);
  m = parse_file("badvers", e);
  CHECK(e.code == errc::unsupported_version);
  CHECK(m.can_respond());
}

TEST_CASE("wsinv: folding, LWS everywhere, compact and odd-case names") {
  codec_error e;
  message m = parse_file("wsinv", e);
  REQUIRE(!e);
  CHECK(m.max_forwards() == 68);
  CHECK(m.cseq().seq == 9);
  CHECK(m.cseq().method_text == "INVITE");
  CHECK(m.to().tag == "1918181833n");
  CHECK(m.from().display == R"(J Rosenberg \\\")");
  CHECK(m.from().tag == "98asjd8");
  REQUIRE(m.vias().size() == 3);
  CHECK(m.vias()[0].transport == "UDP");
  CHECK(m.vias()[0].host == "192.0.2.2");
  CHECK(m.vias()[0].branch == "390skdjuw");
  CHECK(m.vias()[1].transport == "TCP");
  CHECK(m.vias()[1].host == "spindle.example.com");
  CHECK(m.vias()[1].branch == "z9hG4bK9ikj8");
  CHECK(m.vias()[2].host == "192.168.255.111");
  CHECK(m.vias()[2].branch == "z9hG4bK30239");
  REQUIRE(m.contacts().size() == 1);
  CHECK(m.contacts()[0].q == 330);
  CHECK(m.contacts()[0].value.params.get("newparam") == std::optional<std::string_view>("newvalue"));
  CHECK(m.body().size() == 150);
  const header_field* unusual = m.find("UnknownHeaderWithUnusualValue");
  REQUIRE(unusual);
  CHECK(unusual->value == ";;,,;;,;");
  const header_field* s = m.find(hdr::subject);
  REQUIRE(s);
  CHECK(s->value.empty());
  int routes = 0;
  for (auto r : m.values(hdr::route)) {
    name_addr na;
    CHECK(!parse_name_addr(r, na));
    CHECK(na.addr.param("lr").has_value());
    ++routes;
  }
  CHECK(routes == 1);
}

TEST_CASE("esc01 and escnull: escapes decoded once, NULs kept") {
  codec_error e;
  message m = parse_file("esc01", e);
  REQUIRE(!e);
  CHECK(m.request_uri().user_unescaped() == "sips:user@example.com");
  CHECK(m.to().addr.user_unescaped() == "user");
  CHECK(m.from().addr.user_unescaped() == "I have spaces");
  REQUIRE(m.contacts().size() == 1);
  const uri& c = m.contacts()[0].value.addr;
  CHECK(c.user_unescaped() == "caller");
  auto v = c.param("n%61me");
  REQUIRE(v);
  CHECK(unescape(*v) == "value%41");  // not recursively "valueA"

  m = parse_file("escnull", e);
  REQUIRE(!e);
  CHECK(m.to().addr.user_unescaped() == std::string("null-\0-null", 11));
  REQUIRE(m.contacts().size() == 2);
  CHECK(m.contacts()[0].value.addr.user_unescaped() == std::string("\0", 1));
  CHECK(m.contacts()[1].value.addr.user_unescaped() == std::string("\0\0", 2));
  CHECK(!uri_equal(m.contacts()[0].value.addr, m.contacts()[1].value.addr));
}

TEST_CASE("intmeth: every token character and quoted-pair control bytes") {
  codec_error e;
  message m = parse_file("intmeth", e);
  REQUIRE(!e);
  CHECK(m.method_id() == method::unknown);
  CHECK(m.method_text() == "!interesting-Method0123456789_*+`.%indeed'~");
  CHECK(m.request_uri().user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  CHECK(m.request_uri().password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  CHECK(m.call_id() == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  CHECK(m.from().tag == "_token~1'+`*%!-.");
  CHECK(m.from().display == "token1~` token2'+_ token3*%!.-");
  CHECK(m.cseq().seq == 139122385);
}

TEST_CASE("dblreq, inv2543, mpart01: datagram framing rules") {
  codec_error e;
  message m = parse_file("dblreq", e);
  REQUIRE(!e);
  CHECK(m.method_id() == method::REGISTER);
  CHECK(m.body().empty());  // the trailing INVITE octets are ignored
  m = parse_file("inv2543", e);
  REQUIRE(!e);
  CHECK(!m.content_length());
  CHECK(m.body().substr(0, 4) == "v=0\r");
  CHECK(m.body().size() == ts::read_file(ts::shared_dir() / "testdata/rfc4475/inv2543.dat").size() -
                               (m.body().data() - m.raw().data()));
  m = parse_file("mpart01", e);
  REQUIRE(!e);
  CHECK(m.body().size() == *m.content_length());
  CHECK(m.body().find('\0') != std::string_view::npos);
}

TEST_CASE("cparam01 and regescrt: contact params versus URI params and headers") {
  codec_error e;
  message m = parse_file("cparam01", e);
  REQUIRE(!e);
  REQUIRE(m.contacts().size() == 1);
  CHECK(m.contacts()[0].value.params.has("unknownparam"));
  CHECK(m.contacts()[0].value.addr.params.empty());
  CHECK(m.contacts()[0].value.addr.user == "+19725552222");
  m = parse_file("regescrt", e);
  REQUIRE(!e);
  REQUIRE(m.contacts().size() == 1);
  CHECK(m.contacts()[0].value.addr.header("Route") == std::optional<std::string_view>("%3Csip:sip.example.com%3E"));
}

TEST_CASE("transports and noreason") {
  codec_error e;
  message m = parse_file("transports", e);
  REQUIRE(!e);
  REQUIRE(m.vias().size() == 5);
  CHECK(m.vias()[1].transport == "SCTP");
  CHECK(m.vias()[3].transport == "UNKNOWN");
  m = parse_file("noreason", e);
  REQUIRE(!e);
  CHECK(m.status() == 100);
  CHECK(m.reason().empty());
}

TEST_CASE("unkscm parses as absoluteURI and unksm2 keeps non-SIP header URIs") {
  codec_error e;
  message m = parse_file("unkscm", e);
  REQUIRE(!e);
  CHECK(m.request_uri().scheme == uri::kind::other);
  CHECK(m.request_uri().opaque == "totallyopaquecontent");
  m = parse_file("unksm2", e);
  REQUIRE(!e);
  CHECK(m.to().addr.scheme_text == "isbn");
  CHECK(m.from().addr.scheme_text == "http");
}
