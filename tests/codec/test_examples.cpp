// Every example message of ../shared/testdata/examples parses, and its typed headers
// hold what the text shows. The expected values come from a deliberately naive
// reading of the text, independent of the parser.
#include <catch2/catch.hpp>

#include <cctype>
#include <map>

#include "sipevents/message/message.hpp"
#include "support.hpp"

using namespace sipevents::message;
namespace ts = testsupport;

namespace {

std::string lc(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

/// (lower-case full name, unfolded value) per header line, in order.
std::vector<std::pair<std::string, std::string>> naive_headers(const std::string& text) {
  static const std::map<std::string, std::string> compact = {
      {"i", "call-id"}, {"m", "contact"}, {"l", "content-length"}, {"c", "content-type"}, {"f", "from"},
      {"t", "to"}, {"v", "via"}, {"o", "event"}, {"u", "allow-events"}, {"k", "supported"}, {"s", "subject"}};
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t end = text.find("\r\n\r\n");
  std::string head = text.substr(0, end);
  std::vector<std::string> lines;
  std::size_t i = head.find("\r\n") + 2;
  while (i < head.size() + 2) {
    std::size_t e = head.find("\r\n", i);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(i, e - i);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) lines.back() += " " + trimmed(line);
    else lines.push_back(line);
    i = e + 2;
  }
  for (auto& l : lines) {
    std::size_t c = l.find(':');
    std::string name = lc(trimmed(l.substr(0, c)));
    if (compact.count(name)) name = compact.at(name);
    out.emplace_back(name, trimmed(l.substr(c + 1)));
  }
  return out;
}

std::string before_semi(const std::string& v) { return trimmed(v.substr(0, v.find(';'))); }

std::string tag_of(const std::string& v) {
  std::size_t gt = v.rfind('>');
  std::size_t t = v.find("tag=", gt == std::string::npos ? 0 : gt);
  if (t == std::string::npos) return "";
  std::size_t e = v.find_first_of("; \t", t + 4);
  return v.substr(t + 4, e == std::string::npos ? std::string::npos : e - t - 4);
}

std::size_t commas(const std::string& v) {
  std::size_t n = 1;
  int angle = 0;
  for (char c : v) {
    if (c == '<') ++angle;
    if (c == '>') --angle;
    if (c == ',' && !angle) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("every example message parses and its typed headers hold the values shown") {
  auto rows = ts::read_tsv(ts::shared_dir() / "testdata/examples/index.tsv");
  std::map<std::string, std::string> notes;
  for (auto& r : rows) notes[r[0]] = r.size() > 3 ? r[3] + " " + r[1] : "";
  auto files = ts::files_with_ext(ts::shared_dir() / "testdata/examples", ".sip");
  REQUIRE(files.size() >= 50);
  for (const auto& f : files) {
    std::string name = f.filename().string();
    INFO(name);
    std::string text = ts::read_file(f);
    message m;
    codec_error e = parse_datagram(text, m);
    // RFC 3842's examples omit Via (noted in index.tsv); nothing else may fail.
    if (e) {
      CHECK(e.code == errc::missing_header);
      CHECK(e.header == hdr::via);
      CHECK(name.rfind("3842-", 0) == 0);
    }
    std::size_t vias = 0, contacts = 0;
    for (const auto& [hn, hv] : naive_headers(text)) {
      INFO(hn << ": " << hv);
      if (hn == "call-id") CHECK(m.call_id() == hv);
      if (hn == "cseq") {
        CHECK(std::to_string(m.cseq().seq) == hv.substr(0, hv.find(' ')));
        CHECK(m.cseq().method_text == trimmed(hv.substr(hv.find(' '))));
      }
      if (hn == "expires") CHECK(std::to_string(m.expires().value_or(99999999)) == hv);
      if (hn == "max-forwards") CHECK(std::to_string(m.max_forwards().value_or(0)) == hv);
      if (hn == "content-length") CHECK(std::to_string(m.body().size()) == hv);
      if (hn == "event") {
        REQUIRE(m.event());
        CHECK(m.event()->type == before_semi(hv));
      }
      if (hn == "sip-etag") CHECK(m.sip_etag() == hv);
      if (hn == "sip-if-match") CHECK(m.sip_if_match() == hv);
      if (hn == "content-type") {
        REQUIRE(m.content_type());
        CHECK(lc(std::string(m.content_type()->type) + "/" + std::string(m.content_type()->subtype)) ==
              lc(before_semi(hv)));
      }
      if (hn == "subscription-state") {
        REQUIRE(m.subscription_state());
        CHECK(m.subscription_state()->state_text == before_semi(hv));
        std::size_t x = hv.find("expires=");
        if (x != std::string::npos) CHECK(std::to_string(*m.subscription_state()->expires) == hv.substr(x + 8));
      }
      if (hn == "from") CHECK(m.from().tag == tag_of(hv));
      if (hn == "to") CHECK(m.to().tag == tag_of(hv));
      if (hn == "via") vias += commas(hv);
      if (hn == "contact") contacts += commas(hv);
    }
    CHECK(m.vias().size() == vias);
    CHECK(m.contacts().size() == contacts);
    if (!m.content_length()) CHECK(m.body().size() == text.size() - text.find("\r\n\r\n") - 4);
  }
}

TEST_CASE("RFC 3680 welcome-notice flow messages") {
  auto dir = ts::shared_dir() / "testdata/examples";
  message m;
  REQUIRE(!parse_datagram(ts::read_file(dir / "3680-welcome-f1-subscribe.sip"), m));
  CHECK(m.method_id() == method::SUBSCRIBE);
  REQUIRE(m.event());
  CHECK(m.event()->package == "reg");
  media_type accept;
  REQUIRE(m.find(hdr::accept));
  REQUIRE(!parse_media_type(m.find(hdr::accept)->value, accept));
  CHECK(accept.matches("application", "reginfo+xml"));

  REQUIRE(!parse_datagram(ts::read_file(dir / "3680-welcome-f5-register.sip"), m));
  CHECK(m.method_id() == method::REGISTER);
  REQUIRE(m.contacts().size() == 1);
  CHECK(m.contacts()[0].value.addr.host == "pc34.example.com");

  REQUIRE(!parse_datagram(ts::read_file(dir / "3680-welcome-f7-notify-partial-active.sip"), m));
  CHECK(!m.subscription_state());  // the RFC's example omits it
  CHECK(m.event()->type == "reg");
  CHECK(m.content_type()->matches("application", "reginfo+xml"));
  CHECK(m.body().find("state=\"partial\"") != std::string_view::npos);

  REQUIRE(!parse_datagram(ts::read_file(dir / "3680-welcome-f9-message.sip"), m));
  CHECK(m.method_id() == method::MESSAGE);
  CHECK(m.body().find("Welcome") != std::string_view::npos);
}

TEST_CASE("RFC 3903 PUBLISH flow: SIP-ETag, SIP-If-Match, Expires") {
  auto dir = ts::shared_dir() / "testdata/examples";
  message m;
  REQUIRE(!parse_datagram(ts::read_file(dir / "3903-m6-200-ok-etag.sip"), m));
  CHECK(m.status() == 200);
  CHECK(m.sip_etag() == "dx200xyz");
  CHECK(m.expires() == 1800u);
  REQUIRE(!parse_datagram(ts::read_file(dir / "3903-m9-publish-refresh.sip"), m));
  CHECK(m.method_id() == method::PUBLISH);
  CHECK(m.sip_if_match() == "dx200xyz");
  CHECK(m.body().empty());
  REQUIRE(!parse_datagram(ts::read_file(dir / "3903-m10-200-ok-etag.sip"), m));
  CHECK(m.sip_etag() == "kwj449x");
}

TEST_CASE("RFC 3842 terminated NOTIFY and RFC 3428 MESSAGE") {
  auto dir = ts::shared_dir() / "testdata/examples";
  message m;
  codec_error e = parse_datagram(ts::read_file(dir / "3842-a13-notify-terminated.sip"), m);
  CHECK(e.code == errc::missing_header);  // no Via in the RFC
  REQUIRE(m.subscription_state());
  CHECK(m.subscription_state()->state == subscription_state::value::terminated);
  CHECK(m.subscription_state()->reason == "timeout");
  CHECK(m.body().size() == 95);

  REQUIRE(!parse_datagram(ts::read_file(dir / "3428-f1-message.sip"), m));
  CHECK(m.body() == "Watson, come here.");
  CHECK(m.content_type()->matches("text", "plain"));
  REQUIRE(!parse_datagram(ts::read_file(dir / "3428-f3-200-ok.sip"), m));
  REQUIRE(m.vias().size() == 2);
  CHECK(!m.vias()[0].received.empty());
}
