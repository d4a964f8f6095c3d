// Two runtimes on one io_context exchanging MESSAGEs over real loopback sockets.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sipevents/pager/pager.hpp"
#include "sipevents/transport/runtime.hpp"
#include "support.hpp"

namespace st = sipevents::transport;
namespace sm = sipevents::message;
namespace sp = sipevents::pager;
using sipevents::transaction::peer;
using sipevents::transaction::transport_kind;

namespace {

bool have_ipv6() {
  asio::io_context io;
  asio::ip::udp::socket s(io);
  std::error_code ec;
  s.open(asio::ip::udp::v6(), ec);
  if (!ec) s.bind(asio::ip::udp::endpoint(asio::ip::make_address("::1"), 0), ec);
  return !ec;
}

struct pair_fixture {
  asio::io_context io;
  st::runtime alice{io, fast()};
  st::runtime bob{io, fast()};
  sp::pager_server server;
  std::vector<sp::received_page> got;

  static st::runtime_config fast() {
    st::runtime_config c;
    c.layer.timers.t1 = std::chrono::milliseconds(50);  // quick retransmissions for the lossy test
    return c;
  }

  explicit pair_fixture(const std::string& host) {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    REQUIRE_FALSE(alice.listen("udp:" + h + ":0"));
    REQUIRE_FALSE(alice.listen("tcp:" + h + ":0"));
    // Bob listens on one port number for both transports, as a SIP server does, so a
    // request may move from UDP to TCP at the same address.
    peer bound;
    REQUIRE_FALSE(bob.listen("udp:" + h + ":0", &bound));
    REQUIRE_FALSE(bob.listen("tcp:" + h + ":" + std::to_string(bound.port)));
    bob.on_request("MESSAGE", [this](st::incoming_request& r) {
      if (auto err = server.vet(r.msg, r.to_tag)) {
        bob.respond(r, *err);
        return;
      }
      got.push_back(sp::pager_server::read(r.msg, r.from.transport));
      bob.respond(r, 200, "OK");
    });
  }

  st::request_result send(const peer& to, std::string body, std::string ctype = "text/plain") {
    sp::pager_client pc(alice.layer());
    sp::page pg;
    pg.from = "sip:alice@example.com";
    pg.to = "sip:bob@example.com";
    pg.body = std::move(body);
    pg.content_type = std::move(ctype);
    std::optional<st::request_result> res;
    alice.send_request(pc.build(pg), to, [&](const st::request_result& r) { res = r; });
    io.restart();
    for (int i = 0; i < 1000 && !res; ++i) io.run_for(std::chrono::milliseconds(10));
    REQUIRE(res);
    return *res;
  }
};

}  // namespace

TEST_CASE("MESSAGE over UDP and TCP on IPv4 loopback") {
  pair_fixture f("127.0.0.1");
  auto r = f.send(*f.bob.local(transport_kind::udp), "hello over udp");
  CHECK(r.status == 200);
  r = f.send(*f.bob.local(transport_kind::tcp), "hello over tcp");
  CHECK(r.status == 200);
  REQUIRE(f.got.size() == 2);
  CHECK(f.got[0].body == "hello over udp");
  CHECK(f.got[0].transport == "udp");
  CHECK(f.got[1].body == "hello over tcp");
  CHECK(f.got[1].transport == "tcp");
  CHECK(f.got[0].from == "sip:alice@example.com");
  CHECK(f.got[0].content_type == "text/plain");
  // The TCP connection is reused for the next page.
  r = f.send(*f.bob.local(transport_kind::tcp), "again");
  CHECK(r.status == 200);
}

TEST_CASE("a page over 1300 bytes addressed to UDP goes over TCP") {
  pair_fixture f("127.0.0.1");
  auto r = f.send(*f.bob.local(transport_kind::udp), std::string(3000, 'x'));
  CHECK(r.status == 200);
  REQUIRE(f.got.size() == 1);
  CHECK(f.got[0].transport == "tcp");
  CHECK(f.got[0].body.size() == 3000);
}

TEST_CASE("a page over 1300 bytes fails clearly without a TCP transport") {
  asio::io_context io;
  st::runtime alice(io);
  REQUIRE_FALSE(alice.listen("udp:127.0.0.1:0"));
  sp::pager_client pc(alice.layer());
  sp::page pg;
  pg.from = "sip:alice@example.com";
  pg.to = "sip:bob@example.com";
  pg.body = std::string(2000, 'y');
  std::optional<st::request_result> res;
  alice.send_request(pc.build(pg), peer{transport_kind::udp, "127.0.0.1", 9, {}}, [&](const st::request_result& r) { res = r; });
  io.run_for(std::chrono::milliseconds(200));
  REQUIRE(res);
  CHECK(res->status == 0);
  CHECK(res->error.find("no TCP transport") != std::string::npos);
}

TEST_CASE("MESSAGE over UDP and TCP on IPv6 loopback") {
  if (!have_ipv6()) {
    WARN("no IPv6 loopback here; skipped");
    return;
  }
  pair_fixture f("::1");
  CHECK(f.send(*f.bob.local(transport_kind::udp, true), "v6 udp").status == 200);
  CHECK(f.send(*f.bob.local(transport_kind::tcp, true), "v6 tcp").status == 200);
  REQUIRE(f.got.size() == 2);
}

TEST_CASE("415 with Accept for a type the receiver does not take") {
  pair_fixture f("127.0.0.1");
  auto r = f.send(*f.bob.local(transport_kind::udp), "{}", "application/json");
  CHECK(r.status == 415);
  REQUIRE(r.response);
  REQUIRE(r.response->find(sm::hdr::accept));
  CHECK(r.response->find(sm::hdr::accept)->value.find("text/plain") != std::string_view::npos);
  CHECK(f.got.empty());
}

TEST_CASE("a peer that drops the first two datagrams still gets the page (Timer E)") {
  pair_fixture f("127.0.0.1");
  // A lossy relay between alice and bob: it swallows the first two datagrams.
  asio::ip::udp::socket relay(f.io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  peer bob_udp = *f.bob.local(transport_kind::udp);
  asio::ip::udp::endpoint bob_ep(asio::ip::make_address(bob_udp.host), bob_udp.port), from, alice_ep;
  std::array<char, 65536> buf{};
  int seen = 0;
  std::function<void()> pump = [&] {
    relay.async_receive_from(asio::buffer(buf), from, [&](std::error_code ec, std::size_t n) {
      if (ec) return;
      if (from != bob_ep) {
        alice_ep = from;
        if (++seen > 2) relay.send_to(asio::buffer(buf.data(), n), bob_ep);
      } else {
        relay.send_to(asio::buffer(buf.data(), n), alice_ep);
      }
      pump();
    });
  };
  pump();
  // bob answers via Via/rport: alice's own address, so responses bypass the relay.
  peer via_relay{transport_kind::udp, "127.0.0.1", relay.local_endpoint().port(), {}};
  auto t0 = std::chrono::steady_clock::now();
  auto r = f.send(via_relay, "third time lucky");
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(r.status == 200);
  CHECK(seen == 3);
  REQUIRE(f.got.size() == 1);
  // Sent at 0, T1, 3*T1 with T1 = 50 ms: the third copy leaves at ~150 ms.
  CHECK(took >= std::chrono::milliseconds(140));
}

TEST_CASE("no answer: 408 after 64*T1") {
  asio::io_context io;
  st::runtime_config c;
  c.layer.timers.t1 = std::chrono::milliseconds(5);
  st::runtime alice(io, c);
  REQUIRE_FALSE(alice.listen("udp:127.0.0.1:0"));
  asio::ip::udp::socket sink(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  sp::pager_client pc(alice.layer());
  sp::page pg;
  pg.from = "sip:alice@example.com";
  pg.to = "sip:nobody@example.com";
  pg.body = "hello?";
  std::optional<st::request_result> res;
  alice.send_request(pc.build(pg), peer{transport_kind::udp, "127.0.0.1", sink.local_endpoint().port(), {}},
                     [&](const st::request_result& r) { res = r; });
  for (int i = 0; i < 200 && !res; ++i) io.run_for(std::chrono::milliseconds(10));
  REQUIRE(res);
  CHECK(res->status == 408);
}

TEST_CASE("the RFC 3428 seed MESSAGE over TCP is answered 200 with its dialog identifiers") {
  asio::io_context io;
  st::runtime bob(io);
  peer bound;
  REQUIRE_FALSE(bob.listen("tcp:127.0.0.1:0", &bound));
  sp::pager_server server;
  std::string body;
  bob.on_request("MESSAGE", [&](st::incoming_request& r) {
    REQUIRE_FALSE(server.vet(r.msg, r.to_tag));
    body = std::string(r.msg.body());
    bob.respond(r, 200, "OK");
  });
  std::string seed = testsupport::read_file(testsupport::shared_dir() / "testdata/examples/3428-f1-message.sip");
  asio::ip::tcp::socket s(io);
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), bound.port));
  asio::write(s, asio::buffer(seed));
  std::string in;
  std::array<char, 4096> buf{};
  sm::stream_framer framer;
  sm::message resp;
  s.async_read_some(asio::buffer(buf), [&](std::error_code ec, std::size_t n) {
    if (!ec) framer.feed(std::string_view(buf.data(), n));
  });
  for (int i = 0; i < 100 && framer.buffered() == 0; ++i) io.run_for(std::chrono::milliseconds(10));
  REQUIRE_FALSE(framer.next(resp));
  CHECK(resp.status() == 200);
  CHECK(resp.call_id() == "asd88asd77a@1.2.3.4");
  CHECK(resp.cseq().seq == 1);
  CHECK(resp.from().tag == "49583");
  CHECK_FALSE(resp.to().tag.empty());
  CHECK(body == "Watson, come here.");
}

TEST_CASE("OPTIONS is answered with Allow, Allow-Events and Accept") {
  asio::io_context io;
  st::runtime_config c;
  c.allow_events = {"presence", "reg"};
  st::runtime a(io, c), b(io, c);
  REQUIRE_FALSE(a.listen("udp:127.0.0.1:0"));
  REQUIRE_FALSE(b.listen("udp:127.0.0.1:0"));
  b.on_request("MESSAGE", [&](st::incoming_request& r) { b.respond(r, 200, "OK"); });
  auto req = sm::message_builder::request("OPTIONS", "sip:b@127.0.0.1");
  req.header("Max-Forwards", "70").header("From", "<sip:a@127.0.0.1>;tag=1").header("To", "<sip:b@127.0.0.1>");
  req.header("Call-ID", "opt1").header("CSeq", "1 OPTIONS");
  std::optional<st::request_result> res;
  a.send_request(req, *b.local(transport_kind::udp), [&](const st::request_result& r) { res = r; });
  for (int i = 0; i < 100 && !res; ++i) io.run_for(std::chrono::milliseconds(10));
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->response->find(sm::hdr::allow)->value == "MESSAGE, OPTIONS");
  CHECK(res->response->find(sm::hdr::allow_events)->value == "presence, reg");
  CHECK(res->response->find(sm::hdr::accept));
}

TEST_CASE("requests carry User-Agent and responses Server unless the application set its own") {
  asio::io_context io;
  st::runtime a(io), b(io);
  REQUIRE_FALSE(a.listen("udp:127.0.0.1:0"));
  REQUIRE_FALSE(b.listen("udp:127.0.0.1:0"));
  std::vector<std::string> agents;
  b.on_request("MESSAGE", [&](st::incoming_request& r) {
    const auto* ua = r.msg.find(sm::hdr::user_agent);
    agents.push_back(ua ? std::string(ua->value) : "");
    if (r.msg.call_id() == "ua2") {
      auto resp = sm::message_builder::response_to(r.msg, 200, "OK", r.to_tag);
      resp.header("server", "my-pbx/2");  // any case counts as set
      b.respond(r, resp);
    } else {
      b.respond(r, 200, "OK");
    }
  });
  auto send = [&](const std::string& call_id, bool own_agent) {
    auto req = sm::message_builder::request("MESSAGE", "sip:b@127.0.0.1");
    req.header("Max-Forwards", "70").header("From", "<sip:a@127.0.0.1>;tag=1").header("To", "<sip:b@127.0.0.1>");
    req.header("Call-ID", call_id).header("CSeq", "1 MESSAGE");
    if (own_agent) req.header("User-Agent", "my-phone/1");
    std::optional<st::request_result> res;
    a.send_request(req, *b.local(transport_kind::udp), [&](const st::request_result& r) { res = r; });
    for (int i = 0; i < 100 && !res; ++i) io.run_for(std::chrono::milliseconds(10));
    REQUIRE(res);
    REQUIRE(res->response);
    REQUIRE(res->response->count(sm::hdr::server) == 1);
    return std::string(res->response->find(sm::hdr::server)->value);
  };
  CHECK(send("ua1", false) == "sipevents/0.1");
  CHECK(send("ua2", true) == "my-pbx/2");
  CHECK(agents == std::vector<std::string>{"sipevents/0.1", "my-phone/1"});
}
