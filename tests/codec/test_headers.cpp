// Typed header grammars.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "sipevents/message/headers.hpp"
#include "sipevents/message/message.hpp"
#include "support.hpp"

using namespace sipevents::message;
namespace ts = testsupport;

TEST_CASE("header names: case-insensitive, every registered compact form") {
  struct c { const char* n; hdr h; };
  for (auto [n, h] : {c{"i", hdr::call_id}, c{"m", hdr::contact}, c{"e", hdr::content_encoding},
                      c{"l", hdr::content_length}, c{"c", hdr::content_type}, c{"f", hdr::from},
                      c{"s", hdr::subject}, c{"k", hdr::supported}, c{"t", hdr::to}, c{"v", hdr::via},
                      c{"o", hdr::event}, c{"u", hdr::allow_events}, c{"r", hdr::refer_to},
                      c{"b", hdr::referred_by}, c{"x", hdr::session_expires}, c{"y", hdr::identity},
                      c{"a", hdr::accept_contact}, c{"j", hdr::reject_contact}, c{"d", hdr::request_disposition},
                      c{"n", hdr::identity_info}}) {
    INFO(n);
    CHECK(lookup_header(n) == h);
    std::string up(n);
    up[0] = static_cast<char>(up[0] - 32);
    CHECK(lookup_header(up) == h);
  }
  CHECK(lookup_header("cAlL-iD") == hdr::call_id);
  CHECK(lookup_header("SUBSCRIPTION-STATE") == hdr::subscription_state);
  CHECK(lookup_header("sip-etag") == hdr::sip_etag);
  CHECK(lookup_header("X-Unknown") == hdr::unknown);
  CHECK(lookup_header("q") == hdr::unknown);
  // Compact forms share the one hash with full names: every other single byte misses.
  int single = 0;
  for (int b = 0; b < 256; ++b) {
    const char ch = static_cast<char>(b);
    single += lookup_header(std::string_view(&ch, 1)) != hdr::unknown;
  }
  CHECK(single == 40);  // 20 letters, both cases
  const char padded[32] = "Via: SIP/2.0/UDP h";
  CHECK(lookup_header_padded(padded, 3) == hdr::via);
  CHECK(lookup_header_padded(padded, 0) == hdr::unknown);
  CHECK(lookup_header_padded(padded, 25) == hdr::unknown);
  // Two pairs share their hash key; the second of each is found behind the first.
  CHECK(lookup_header("content-language") == hdr::content_language);
  CHECK(lookup_header("CONTENT-ENCODING") == hdr::content_encoding);
  CHECK(lookup_header("Accept-LANGUAGE") == hdr::accept_language);
  CHECK(lookup_header("accept-encoding") == hdr::accept_encoding);
  CHECK(lookup_header("Content-Languagx") == hdr::unknown);
  CHECK(lookup_header("Content-Encodinx") == hdr::unknown);
  CHECK(lookup_header("Accept-Languagf") == hdr::unknown);
  for (int i = 1; i < static_cast<int>(hdr::count_); ++i) {
    hdr h = static_cast<hdr>(i);
    CHECK(lookup_header(canonical_name(h)) == h);
  }
}

TEST_CASE("RFC 6665 8.2.1 Event matching cases") {
  auto rows = ts::read_tsv(ts::shared_dir() / "testdata/examples/6665-event-header-matching.tsv");
  REQUIRE(rows.size() >= 3);
  for (const auto& r : rows) {
    INFO(r[0] << " vs " << r[1] << ": " << r[3]);
    const std::string sa = r[0].substr(r[0].find(':') + 1), sb = r[1].substr(r[1].find(':') + 1);
    event_header a, b;
    REQUIRE(!parse_event(sa, a));
    REQUIRE(!parse_event(sb, b));
    CHECK(event_matches(a, b) == (r[2] == "yes"));
    CHECK(event_matches(b, a) == (r[2] == "yes"));
  }
  event_header e;
  REQUIRE(!parse_event("presence.winfo;id=7", e));
  CHECK(e.package == "presence");
  CHECK(e.templates == "winfo");
  CHECK(e.id == std::optional<std::string_view>("7"));
  CHECK(parse_event("presence..winfo", e));
  CHECK(parse_event(".presence", e));
  CHECK(parse_event("presence.", e));
  CHECK(parse_event("presence.winfo.", e));
  REQUIRE(!parse_event("a.b.c;id=x", e));
  CHECK(e.package == "a");
  CHECK(e.templates == "b.c");
  CHECK(e.type == "a.b.c");
  CHECK(parse_event("", e));
  CHECK(parse_event("reg;id=", e));
}

TEST_CASE("methods: every method's name reads back as that method, and nothing else does") {
  for (int i = 1; i <= static_cast<int>(method::PRACK); ++i) {
    const auto m = static_cast<method>(i);
    INFO(to_string(m));
    CHECK(method_from(to_string(m)) == m);
    std::string lower(to_string(m));
    for (char& c : lower) c = static_cast<char>(c | 0x20);
    CHECK(method_from(lower) == method::unknown);  // methods are case-sensitive
    CHECK(method_from(std::string(to_string(m)) + "X") == method::unknown);
    CHECK(method_from(to_string(m).substr(1)) == method::unknown);
  }
  CHECK(method_from("") == method::unknown);
  CHECK(method_from("FOO") == method::unknown);
}

TEST_CASE("Via: protocol, transport, sent-by, branch, received, rport, maddr, ttl") {
  via v;
  REQUIRE(!parse_via("SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK776;received=2001:db8::9;rport=5070;maddr=224.2.0.1;ttl=16", v));
  CHECK(v.protocol_name == "SIP");
  CHECK(v.protocol_version == "2.0");
  CHECK(v.transport == "UDP");
  CHECK(v.host == "[2001:db8::1]");
  CHECK(v.port == 5062);
  CHECK(v.branch == "z9hG4bK776");
  CHECK(v.received == "2001:db8::9");
  CHECK(v.rport);
  CHECK(v.rport_value == 5070);
  CHECK(v.maddr == "224.2.0.1");
  CHECK(v.ttl == 16);
  REQUIRE(!parse_via("SIP/2.0/TCP host;rport", v));
  CHECK(v.rport);
  CHECK(!v.rport_value);
  for (std::string_view bad : {"SIP/2.0/UDP", "SIP/2.0 UDP host", "SIP/2.0/UDP host;ttl=256", "SIP/2.0/UDP host:0x",
                               "SIP/2.0/UDP host;branch", "SIP/2.0/UDP host;;", "SIP/2.0/UDP host;rport=70000"}) {
    INFO(bad);
    CHECK(parse_via(bad, v));
  }
}

TEST_CASE("parameter names the readers pick out match in any case, and only whole") {
  // Each name is compared as words (two loads that may overlap): check every case
  // mix of the letters, and names one byte shorter or longer.
  auto mixes = [](std::string name) {
    std::vector<std::string> out;
    for (unsigned bits = 0; bits < (1u << std::min<std::size_t>(name.size(), 10)); ++bits) {
      std::string t = name;
      for (std::size_t i = 0; i < t.size() && i < 10; ++i)
        if ((bits >> i & 1) && t[i] >= 'a' && t[i] <= 'z') t[i] = static_cast<char>(t[i] - 32);
      out.push_back(t);
    }
    return out;
  };
  std::string text;  // the typed values are views into it
  via v;
  for (const auto& n : mixes("branch")) {
    INFO(n);
    text = "SIP/2.0/UDP h;" + n + "=z9hG4bK1";
    REQUIRE(!parse_via(text, v));
    CHECK(v.branch == "z9hG4bK1");
  }
  for (const auto& n : mixes("received")) {
    text = "SIP/2.0/UDP h;" + n + "=192.0.2.1";
    REQUIRE(!parse_via(text, v));
    CHECK(v.received == "192.0.2.1");
  }
  for (const auto& n : mixes("rport")) {
    text = "SIP/2.0/UDP h;" + n + "=5";
    REQUIRE(!parse_via(text, v));
    CHECK(v.rport_value == std::optional<std::uint16_t>(5));
  }
  for (const auto& n : mixes("ttl")) {
    text = "SIP/2.0/UDP h;" + n + "=9";
    REQUIRE(!parse_via(text, v));
    CHECK(v.ttl == std::optional<std::uint8_t>(9));
  }
  for (const char* other : {"branc", "branchx", "xranch", "brancg", "receive", "receivedd", "rpor", "rports", "tt",
                            "ttll", "maddrr"}) {
    INFO(other);
    text = std::string("SIP/2.0/UDP h;") + other + "=1";
    REQUIRE(!parse_via(text, v));
    CHECK(v.branch.empty());
    CHECK(v.received.empty());
    CHECK(!v.rport);
    CHECK(!v.ttl);
    CHECK(v.maddr.empty());
  }
  name_addr a;
  for (const auto& n : mixes("tag")) {
    text = "<sip:a@b>;" + n + "=1928";
    REQUIRE(!parse_name_addr(text, a));
    CHECK(a.tag == "1928");
  }
  for (const char* other : {"ta", "tagg", "tug", "xag"}) {
    text = std::string("<sip:a@b>;") + other + "=1928";
    REQUIRE(!parse_name_addr(text, a));
    CHECK(a.tag.empty());
  }
  subscription_state st;
  for (const auto& n : mixes("retry-after")) {
    INFO(n);
    text = "terminated;" + n + "=30";
    REQUIRE(!parse_subscription_state(text, st));
    CHECK(st.retry_after == 30u);
  }
  for (const auto& n : mixes("terminated")) {
    text = n;
    REQUIRE(!parse_subscription_state(text, st));
    CHECK(st.state == subscription_state::value::terminated);
  }
  text = "terminate";
    REQUIRE(!parse_subscription_state(text, st));
  CHECK(st.state != subscription_state::value::terminated);
  text = "terminatedx";
    REQUIRE(!parse_subscription_state(text, st));
  CHECK(st.state != subscription_state::value::terminated);
}

TEST_CASE("a leading branch or tag reads as the general parameter scan reads it") {
  // Via's branch and a name-addr's tag, when first, are read by a shortcut; the text,
  // the parameter list and the verdict must be what the general scan gives.
  struct row {
    const char* params;  // after "SIP/2.0/UDP h" or "<sip:a@b>"
    bool ok;
    const char* value;  // the branch or tag
  };
  const row rows[] = {
      {";%s=z9hG4bK1", true, "z9hG4bK1"},
      {";%s=z9hG4bK1;rport", true, "z9hG4bK1"},
      {";%s=z9hG4bK1 ;rport", true, "z9hG4bK1"},
      {";%s=z9hG4bK1; rport=5", true, "z9hG4bK1"},
      {";%s= z9hG4bK1", true, "z9hG4bK1"},
      {";%s =z9hG4bK1", true, "z9hG4bK1"},
      {";%s=\"z9\"", true, "\"z9\""},
      {";%s=[2001:db8::1]", true, "[2001:db8::1]"},
      {";%s=a!b%%c*d_e+f`g'h~i", true, "a!b%c*d_e+f`g'h~i"},
      {";%s=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
      {";%s=a;%s=b", true, "b"},
      {";%s=", false, ""},
      {";%s=;x", false, ""},
      {";%s=a@b", false, ""},
      {";%s=a b", false, ""},
  };
  std::string text;  // the typed values are views into it
  for (const char* name : {"branch", "tag"}) {
    const bool is_via = std::string_view(name) == "branch";
    for (const row& r : rows) {
      char params[128];
      std::snprintf(params, sizeof params, r.params, name, name);
      text = std::string(is_via ? "SIP/2.0/UDP h" : "<sip:a@b>") + params;
      INFO(text);
      if (is_via) {
        via v;
        const bool ok = !parse_via(text, v);
        REQUIRE(ok == r.ok);
        if (!ok) continue;
        CHECK(v.branch == r.value);
        std::string_view expect_params = params;
        while (!expect_params.empty() && expect_params.back() == ' ') expect_params.remove_suffix(1);
        CHECK(v.params.text() == expect_params);
        CHECK(v.text == std::string_view(text).substr(0, text.size() - (std::string_view(params).size() - expect_params.size())));
      } else {
        name_addr a;
        const bool ok = !parse_name_addr(text, a);
        REQUIRE(ok == r.ok);
        if (!ok) continue;
        CHECK(a.tag == r.value);
        CHECK(a.params.text() == std::string_view(params));
      }
    }
  }
}

TEST_CASE("Via rport and received, read by word compares, keep the general grammar") {
  struct row {
    const char* params;
    bool ok;
    bool rport;
    int rport_value;  // -1: none
    const char* received;
  };
  const row rows[] = {
      {";rport", true, true, -1, ""},
      {";rport;branch=z9hG4bK1", true, true, -1, ""},
      {";rport=5060", true, true, 5060, ""},
      {";RPort=5060;received=192.0.2.1", true, true, 5060, "192.0.2.1"},
      {";rport = 5", true, true, 5, ""},
      {";rport =5", true, true, 5, ""},
      {";rport ;received=192.0.2.1", true, true, -1, "192.0.2.1"},
      {";rport=", false, false, -1, ""},
      {";rport=abc", false, false, -1, ""},
      {";rport=65536", false, false, -1, ""},
      {";rports=1", true, false, -1, ""},
      {";rport=5060,SIP/2.0/TCP x", false, false, -1, ""},
      {";received=192.0.2.1", true, false, -1, "192.0.2.1"},
      {";received=2001:db8::9", true, false, -1, "2001:db8::9"},
      {";received=host.example.com", true, false, -1, "host.example.com"},
      {";received=bad..host", false, false, -1, ""},
      {";received", false, false, -1, ""},
      {";received=", false, false, -1, ""},
      {";receivedx=1", true, false, -1, ""},
      {";branch;rport", false, false, -1, ""},
      {";branch=z9hG4bK1;rport;received=192.0.2.1;rport=7", true, true, 7, "192.0.2.1"},
  };
  std::string text;
  for (const row& r : rows) {
    text = std::string("SIP/2.0/UDP h") + r.params;
    INFO(text);
    via v;
    const bool ok = !parse_via(text, v);
    REQUIRE(ok == r.ok);
    if (!ok) continue;
    CHECK(v.rport == r.rport);
    CHECK(v.rport_value == (r.rport_value < 0 ? std::nullopt : std::optional<std::uint16_t>(r.rport_value)));
    CHECK(v.received == r.received);
    CHECK(v.params.text() == std::string_view(r.params));
  }
  // In a list, the element ends at the comma after a known parameter.
  message m;
  const std::string msg =
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1;rport,SIP/2.0/TCP g;rport=9;branch=z9hG4bK2\r\n"
      "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  REQUIRE(!parse_datagram(msg, m));
  REQUIRE(m.vias().size() == 2);
  CHECK(m.vias()[0].branch == "z9hG4bK1");
  CHECK(m.vias()[0].rport);
  CHECK(!m.vias()[0].rport_value);
  CHECK(m.vias()[0].text == "SIP/2.0/UDP h;branch=z9hG4bK1;rport");
  CHECK(m.vias()[1].rport_value == std::optional<std::uint16_t>(9));
  CHECK(m.vias()[1].branch == "z9hG4bK2");
}

TEST_CASE("Subscription-State expires, read by a word compare, keeps the general grammar") {
  struct row {
    const char* text;
    bool ok;
    int expires;  // -1: none
    const char* params;
  };
  const row rows[] = {
      {"active;expires=3600", true, 3600, ";expires=3600"},
      {"active;EXPIRES=5", true, 5, ";EXPIRES=5"},
      {"active;expires = 5", true, 5, ";expires = 5"},
      {"active;expires=5;reason=x", true, 5, ";expires=5;reason=x"},
      {"active;expires=99999999999", true, -2, ";expires=99999999999"},
      {"terminated;reason=timeout;expires=0", true, 0, ";reason=timeout;expires=0"},
      {"active;expires=", false, -1, ""},
      {"active;expires=abc", false, -1, ""},
      {"active;expires", false, -1, ""},
      {"active;expiresx=1", true, -1, ";expiresx=1"},
  };
  for (const row& r : rows) {
    INFO(r.text);
    subscription_state st;
    const bool ok = !parse_subscription_state(r.text, st);
    REQUIRE(ok == r.ok);
    if (!ok) continue;
    if (r.expires == -2) CHECK(st.expires == std::optional<std::uint32_t>(0xFFFFFFFFu));
    else CHECK(st.expires == (r.expires < 0 ? std::nullopt : std::optional<std::uint32_t>(r.expires)));
    CHECK(st.params.text() == std::string_view(r.params));
  }
}

TEST_CASE("Contact expires and q, read by word compares, keep the general grammar") {
  struct row {
    const char* params;
    bool ok;
    int expires;  // -1: none
    int q;        // -1: none
  };
  const row rows[] = {
      {";expires=3600;q=0.7", true, 3600, 700},
      {";EXPIRES=5;Q=1", true, 5, 1000},
      {";q=0.5;expires=7;+sip.instance=\"<urn:uuid:1>\"", true, 7, 500},
      {";expires = 5", true, 5, -1},
      {";q =0.1", true, -1, 100},
      {";expires=", false, -1, -1},
      {";expires", false, -1, -1},
      {";expires=abc", false, -1, -1},
      {";q=1.5", false, -1, -1},
      {";q", false, -1, -1},
      {";qq=1;expiresx=2", true, -1, -1},
      {";tag=1;expires=9", true, 9, -1},
  };
  std::string text;
  for (const row& r : rows) {
    text = std::string("<sip:a@b>") + r.params;
    INFO(text);
    contact c;
    const bool ok = !parse_contact(text, c);
    REQUIRE(ok == r.ok);
    if (!ok) continue;
    CHECK(c.expires == (r.expires < 0 ? std::nullopt : std::optional<std::uint32_t>(r.expires)));
    CHECK(c.q == (r.q < 0 ? std::nullopt : std::optional<std::uint16_t>(r.q)));
    CHECK(c.value.params.text() == std::string_view(r.params));
  }
  message m;
  const std::string msg =
      "REGISTER sip:r SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
      "Call-ID: c\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@h1>;expires=60;q=0.5, <sip:a@h2>;q=0.1\r\n"
      "Content-Length: 0\r\n\r\n";
  REQUIRE(!parse_datagram(msg, m));
  REQUIRE(m.contacts().size() == 2);
  CHECK(m.contacts()[0].expires == std::optional<std::uint32_t>(60));
  CHECK(m.contacts()[0].q == std::optional<std::uint16_t>(500));
  CHECK(!m.contacts()[1].expires);
  CHECK(m.contacts()[1].q == std::optional<std::uint16_t>(100));
  CHECK(m.contacts()[1].value.addr.host == "h2");
}

TEST_CASE("a Via host read in one block and by the label scan agree on every host") {
  // host_short classifies a sent-by host in one 32-byte step when those bytes lie in
  // one page; at a page end scan_host reads it. Both must give the same verdict and host.
  ts::two_pages pages;
  ts::lcg next{4242};
  std::size_t both_accept = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::string text =
        ts::random_text(next, "SIP/2.0/UDP ", 1 + next() % 30, "abz09-.", "abcxyzAZ0189-.-..--_:;[]@ ", 4);
    via a, b;
    const bool ok_a = !parse_via(pages.at_start(text), a);
    const bool ok_b = !parse_via(pages.at_page_end(text), b);
    INFO(text);
    REQUIRE(ok_a == ok_b);
    if (!ok_a) continue;
    ++both_accept;
    CHECK(a.host == b.host);
    CHECK(a.port == b.port);
    CHECK(a.params.text() == b.params.text());
  }
  CHECK(both_accept > 20000);
}

TEST_CASE("a Call-ID read in one block and word by word agree on every Call-ID") {
  // Call-IDs of word characters around one '@' are settled by one 32-byte step when
  // those bytes lie in one page; at a page end the word-by-word check reads them.
  ts::two_pages pages;
  ts::lcg next{99};
  std::size_t both_accept = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::string text = ts::random_text(next, "", next() % 36, "abz09-.@", "AZ@@!%*_+`'~()<>:\\\"/[]?{} ;,=#", 6);
    const bool ok_a = !parse_call_id(pages.at_start(text));
    const bool ok_b = !parse_call_id(pages.at_page_end(text));
    INFO(text);
    REQUIRE(ok_a == ok_b);
    both_accept += ok_a;
  }
  CHECK(both_accept > 20000);
  CHECK(!parse_call_id("a84b4c76e66710@192.0.2.10"));
  CHECK(parse_call_id("@a"));
  CHECK(parse_call_id("a@"));
  CHECK(parse_call_id("a@b@c"));
  CHECK(parse_call_id(""));
}

TEST_CASE("name-addr and addr-spec") {
  name_addr n;
  REQUIRE(!parse_name_addr("\"Alice \\\"A\\\"\" <sip:alice@atlanta.com>;tag=1928301774", n));
  CHECK(n.display == "Alice \\\"A\\\"");
  CHECK(n.display_quoted);
  CHECK(n.tag == "1928301774");
  REQUIRE(!parse_name_addr("Bob Smith <sip:bob@biloxi.com;transport=tcp>;x=y", n));
  CHECK(n.display == "Bob Smith");
  CHECK(n.addr.param("transport") == std::optional<std::string_view>("tcp"));
  CHECK(n.params.get("x") == std::optional<std::string_view>("y"));
  REQUIRE(!parse_name_addr("sip:bob@biloxi.com;tag=a6c85cf", n));
  CHECK(!n.angle);
  CHECK(n.tag == "a6c85cf");
  CHECK(n.addr.params.empty());  // addr-spec: parameters belong to the header
  CHECK(parse_name_addr("<sip:bob@biloxi.com", n));
  CHECK(parse_name_addr("\"unterminated <sip:bob@biloxi.com>", n));
  CHECK(parse_name_addr("< sip:bob@biloxi.com >", n));
  CHECK(parse_name_addr("sip:bob@biloxi.com;tag=", n));
}

TEST_CASE("Contact: expires, q, star") {
  contact c;
  REQUIRE(!parse_contact("<sip:a@b>;expires=3600;q=0.7", c));
  CHECK(c.expires == 3600u);
  CHECK(c.q == 700);
  REQUIRE(!parse_contact("<sip:a@b>;q=1.000", c));
  CHECK(c.q == 1000);
  CHECK(parse_contact("<sip:a@b>;q=1.5", c));
  CHECK(parse_contact("<sip:a@b>;q=0.1234", c));
  CHECK(parse_contact("<sip:a@b>;expires=soon", c));
  message m;
  auto e = message_builder::request("REGISTER", "sip:example.com")
               .header("Via", "SIP/2.0/UDP h;branch=z9hG4bK1")
               .header("From", "<sip:a@example.com>;tag=1")
               .header("To", "<sip:a@example.com>")
               .header("Call-ID", "x")
               .header("CSeq", "2 REGISTER")
               .header("Contact", "*")
               .header("Expires", "0")
               .build(m);
  REQUIRE(!e);
  CHECK(m.contact_star());
  CHECK(m.contacts().empty());
  CHECK(m.expires() == 0u);
}

TEST_CASE("Subscription-State, CSeq, Max-Forwards, Expires") {
  subscription_state s;
  REQUIRE(!parse_subscription_state("terminated;reason=probation;retry-after=30", s));
  CHECK(s.state == subscription_state::value::terminated);
  CHECK(s.reason == "probation");
  CHECK(s.retry_after == 30u);
  REQUIRE(!parse_subscription_state("active;expires=600", s));
  CHECK(s.state == subscription_state::value::active);
  CHECK(s.expires == 600u);
  REQUIRE(!parse_subscription_state("pending", s));
  CHECK(s.state == subscription_state::value::pending);
  CHECK(parse_subscription_state("active;expires=x", s));

  cseq c;
  REQUIRE(!parse_cseq("4294967295 NOTIFY", c));
  CHECK(c.seq == 4294967295u);
  CHECK(c.id == method::NOTIFY);
  CHECK(parse_cseq("4294967296 NOTIFY", c));
  CHECK(parse_cseq("1NOTIFY", c));
  CHECK(parse_cseq("-1 NOTIFY", c));

  std::uint8_t mf = 0;
  CHECK(!parse_max_forwards("255", mf));
  CHECK(mf == 255);
  CHECK(parse_max_forwards("256", mf));

  std::uint32_t d = 0;
  REQUIRE(!parse_delta_seconds("99999999999", d));
  CHECK(d == 4294967295u);  // saturates
  CHECK(parse_delta_seconds("-5", d));
}

TEST_CASE("Content-Type, Accept, Content-Disposition, Retry-After, Date") {
  media_type t;
  REQUIRE(!parse_media_type("application/pidf+xml;charset=\"utf-8\"", t));
  CHECK(t.matches("APPLICATION", "PIDF+XML"));
  CHECK(unquote(*t.params.get("charset")) == "utf-8");
  REQUIRE(!parse_media_type("*/*", t));
  CHECK(t.matches("text", "plain"));
  REQUIRE(!parse_media_type("text/*;q=0.5", t));
  CHECK(t.matches("text", "html"));
  CHECK(!t.matches("application", "sdp"));
  CHECK(parse_media_type("text", t));

  content_disposition cd;
  REQUIRE(!parse_content_disposition("session;handling=optional", cd));
  CHECK(cd.type == "session");
  CHECK(cd.params.get("handling") == std::optional<std::string_view>("optional"));

  retry_after ra;
  REQUIRE(!parse_retry_after("18000 (I'm in a meeting);duration=3600", ra));
  CHECK(ra.seconds == 18000);
  CHECK(ra.comment == "I'm in a meeting");
  CHECK(ra.duration == 3600u);

  sip_date dt;
  REQUIRE(!parse_date("Sat, 13 Nov 2010 23:29:00 GMT", dt));
  CHECK(dt.epoch() == 1289690940);
  CHECK(parse_date("Fri, 01 Jan 2010 16:00:00 EST", dt));
}

TEST_CASE("lists split at top-level commas only, Authorization never splits") {
  message m;
  auto e = message_builder::request("OPTIONS", "sip:b@example.com")
               .header("Via", "SIP/2.0/UDP h;branch=z9hG4bK1")
               .header("From", "<sip:a@example.com>;tag=1")
               .header("To", "<sip:b@example.com>")
               .header("Call-ID", "x")
               .header("CSeq", "2 OPTIONS")
               .header("Contact", "\"Doe, John\" <sip:j@h>;q=0.5, <sip:k,l@h>")
               .header("Authorization", "Digest username=\"a\", realm=\"b, c\", nonce=\"n\"")
               .header("Allow", "INVITE, ACK ,OPTIONS")
               .header("Allow", "NOTIFY")
               .build(m);
  REQUIRE(!e);
  REQUIRE(m.contacts().size() == 2);
  CHECK(m.contacts()[0].value.display == "Doe, John");
  std::vector<std::string_view> allow(m.values(hdr::allow).begin(), m.values(hdr::allow).end());
  CHECK(allow == std::vector<std::string_view>{"INVITE", "ACK", "OPTIONS", "NOTIFY"});
  std::vector<std::string_view> auth(m.values(hdr::authorization).begin(), m.values(hdr::authorization).end());
  REQUIRE(auth.size() == 1);
  CHECK(auth[0] == "Digest username=\"a\", realm=\"b, c\", nonce=\"n\"");
}

#if defined(__unix__)
// The readers look at whole words and blocks where those lie in one page. A value that
// ends just before an unmapped page must read the same as anywhere else, and never
// touch that page: each text is parsed ending 0..39 bytes before a PROT_NONE page.
TEST_CASE("typed values ending just before an unmapped page are read without touching it") {
  ts::guard_page guard;
  const std::string texts[] = {
      "SIP/2.0/UDP h", "SIP/2.0/UDP h:", "SIP/2.0/UDP host.example.com:5060", "SIP/2.0/UDP a.b.c.d.e.f.g.h.i.j.k.l",
      "SIP/2.0/UDP h;branch=z9hG4bK1", "SIP/2.0/UDP h;branch=", "SIP/2.0/UDP h;rport", "SIP/2.0/UDP h;rport=",
      "SIP/2.0/UDP h;rport=5060", "SIP/2.0/UDP h;received=192.0.2.1", "SIP/2.0/UDP h;received", "<sip:a@b>",
      "<sip:a@b", "<sip:h:", "<sip:h:5060>;tag=1", "\"A\" <sip:a@b>;tag=x", "<sip:a@b>;tag", "<sip:a@b>;tag=",
      "<sip:a@b>;expires=", "<sip:a@b>;expires=60;q=0.5", "<sip:a@b>;q", "sip:a@b;tag=1", "Bob <sip:b@c>",
      "active;expires=5", "active;expires", "active;expires=", "1 INVITE", "1 ", "4711", "presence;id=1",
      "application/pidf+xml", "text/", "70", "7", "a84b4c76e66710@192.0.2.10", "a@"};
  for (const std::string& t : texts) {
    via rv, v;
    name_addr ra, a;
    contact rc, c;
    subscription_state rs, st;
    cseq rq, q;
    event_header re, e;
    media_type rm, m;
    std::uint8_t rmf = 0, mf = 0;
    const bool ok_via = !parse_via(t, rv), ok_na = !parse_name_addr(t, ra), ok_c = !parse_contact(t, rc),
               ok_s = !parse_subscription_state(t, rs), ok_q = !parse_cseq(t, rq), ok_e = !parse_event(t, re),
               ok_m = !parse_media_type(t, rm), ok_mf = !parse_max_forwards(t, rmf), ok_id = !parse_call_id(t);
    for (std::size_t pad = 0; pad < 40; ++pad) {
      const std::string_view x = guard.ending(t, pad);
      INFO(t << " ending " << pad << " bytes before the guard page");
      CHECK(!parse_via(x, v) == ok_via);
      CHECK(!parse_name_addr(x, a) == ok_na);
      CHECK(!parse_contact(x, c) == ok_c);
      CHECK(!parse_subscription_state(x, st) == ok_s);
      CHECK(!parse_cseq(x, q) == ok_q);
      CHECK(!parse_event(x, e) == ok_e);
      CHECK(!parse_media_type(x, m) == ok_m);
      CHECK(!parse_max_forwards(x, mf) == ok_mf);
      CHECK(!parse_call_id(x) == ok_id);
    }
  }
}
#endif
