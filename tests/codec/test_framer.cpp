// Stream framing: any split of the input gives the same messages.
#include <catch2/catch.hpp>

#include "sipevents/message/framer.hpp"
#include "support.hpp"

using namespace sipevents::message;
namespace ts = testsupport;

namespace {

/// Every fixture message that is valid for a stream (it has a Content-Length).
std::vector<std::string> stream_messages() {
  std::vector<std::string> out;
  auto add_dir = [&](const std::filesystem::path& dir, const std::string& ext) {
    for (const auto& f : ts::files_with_ext(dir, ext)) {
      std::string text = ts::read_file(f);
      message m;
      codec_error e = parse_datagram(text, m);
      if (e || !m.content_length()) continue;
      // Exactly the framed bytes: header block plus Content-Length octets.
      std::size_t head = static_cast<std::size_t>(m.body().data() - m.raw().data());
      out.push_back(text.substr(0, head + m.body().size()));
    }
  };
  add_dir(ts::shared_dir() / "testdata/examples", ".sip");
  add_dir(ts::shared_dir() / "testdata/rfc4475", ".dat");
  add_dir(ts::shared_dir() / "corpus", ".sip");
  return out;
}

std::vector<std::string> drain(stream_framer& f) {
  std::vector<std::string> out;
  message m;
  for (;;) {
    codec_error e = f.next(m);
    if (e.code == errc::need_more) return out;
    REQUIRE(!e);
    out.push_back(m.serialize());
  }
}

}  // namespace

TEST_CASE("every test message survives a split at every offset") {
  auto msgs = stream_messages();
  REQUIRE(msgs.size() > 50);
  for (const auto& text : msgs) {
    message direct;
    REQUIRE(!parse_framed(text, direct));
    const std::string expect = direct.serialize();
    // Two messages with a keep-alive between them, split once at every offset.
    const std::string stream = text + "\r\n\r\n" + text;
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      stream_framer f;
      f.feed(std::string_view(stream).substr(0, cut));
      auto got = drain(f);
      f.feed(std::string_view(stream).substr(cut));
      auto rest = drain(f);
      got.insert(got.end(), rest.begin(), rest.end());
      INFO("cut at " << cut << " of " << stream.size());
      REQUIRE(got.size() == 2);
      CHECK(got[0] == expect);
      CHECK(got[1] == expect);
      CHECK(f.buffered() == 0);
    }
  }
}

TEST_CASE("byte-at-a-time feeding and CRLF keep-alives") {
  std::string text = ts::read_file(ts::shared_dir() / "corpus/all.sip");
  stream_framer f;
  std::size_t n = 0;
  message m;
  f.feed("\r\n\r\n");
  for (char c : text) {
    f.feed(std::string_view(&c, 1));
    for (;;) {
      codec_error e = f.next(m);
      if (e.code == errc::need_more) break;
      REQUIRE(!e);
      ++n;
    }
  }
  CHECK(n == 8);
  CHECK(f.keepalives() == 2);
}

TEST_CASE("stream framing requires Content-Length and enforces limits") {
  const std::string head =
      "MESSAGE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\n"
      "To: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n";
  message m;
  {
    stream_framer f;
    f.feed(head + "\r\nhello");
    CHECK(f.next(m).code == errc::missing_content_length);
    CHECK(f.fatal());
  }
  {
    stream_framer f;
    f.feed(head + "Content-Length: -5\r\n\r\nhello");
    CHECK(f.next(m).code == errc::bad_content_length);
    CHECK(f.fatal());
  }
  {
    stream_framer f;
    f.feed(head + "Content-Length: 5\r\nl: 5\r\n\r\nhello");
    CHECK(f.next(m).code == errc::bad_content_length);
  }
  {
    parse_limits lim;
    lim.max_body = 4;
    stream_framer f(lim);
    f.feed(head + "Content-Length: 5\r\n\r\nhello");
    CHECK(f.next(m).code == errc::body_too_large);
  }
  {
    parse_limits lim;
    lim.max_header_block = 64;
    stream_framer f(lim);
    f.feed(head);  // no end of headers yet, but already over the limit
    CHECK(f.next(m).code == errc::header_block_too_large);
  }
  {
    parse_limits lim;
    lim.max_headers = 3;
    stream_framer f(lim);
    f.feed(head + "Content-Length: 5\r\n\r\nhello");
    CHECK(f.next(m).code == errc::too_many_headers);
    CHECK(!f.fatal());  // framing is intact; only this message is refused
  }
  {
    stream_framer f;
    f.feed(head + "Content-Length: 5\r\n\r\nhello");
    REQUIRE(!f.next(m));
    CHECK(m.body() == "hello");
  }
}
