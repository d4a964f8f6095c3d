#include <catch2/catch.hpp>

#include "sipevents/pager/pager.hpp"
#include "support.hpp"

namespace sm = sipevents::message;
namespace sp = sipevents::pager;
using sipevents::transaction::transaction_layer;

namespace {
sm::message built(const sm::message_builder& b) {
  sm::message m;
  REQUIRE_FALSE(b.build(m));
  return m;
}
/// A request as the runtime would send it: the pager leaves the Via to the transport.
sm::message sent(sm::message_builder b) {
  b.header(sm::hdr::via, "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK.t");
  return built(b);
}
sm::message seed() {
  sm::message m;
  REQUIRE_FALSE(sm::parse_datagram(
      testsupport::read_file(testsupport::shared_dir() / "testdata/examples/3428-f1-message.sip"), m));
  return m;
}
}  // namespace

TEST_CASE("each page gets a new Call-ID and From tag, CSeq 1 MESSAGE, Max-Forwards 70") {
  transaction_layer ids;
  sp::pager_client pc(ids);
  sp::page pg{"sip:alice@example.com", "sip:bob@example.com", "", "text/plain", "hi", {{"Subject", "test"}}};
  sm::message a = sent(pc.build(pg)), b = sent(pc.build(pg));
  CHECK(a.method_id() == sm::method::MESSAGE);
  CHECK(a.request_uri().text == "sip:bob@example.com");
  CHECK(a.call_id() != b.call_id());
  CHECK(a.from().tag != b.from().tag);
  CHECK_FALSE(a.from().tag.empty());
  CHECK(a.to().tag.empty());
  CHECK(a.cseq().seq == 1);
  CHECK(a.max_forwards() == 70);
  CHECK(a.content_type()->subtype == "plain");
  CHECK(a.body() == "hi");
  CHECK(a.find("Subject")->value == "test");
}

TEST_CASE("the server passes the RFC 3428 seed page and reads its fields") {
  sp::pager_server s;
  sm::message m = seed();
  CHECK_FALSE(s.vet(m, "t1"));
  sp::received_page p = sp::pager_server::read(m, sipevents::transaction::transport_kind::tcp);
  CHECK(p.from == "sip:user1@domain.com");
  CHECK(p.to == "sip:user2@domain.com");
  CHECK(p.content_type == "text/plain");
  CHECK(p.body == "Watson, come here.");
  CHECK(p.transport == "tcp");
}

TEST_CASE("the server answers 400 without Content-Type, 415 with Accept, 413 over the limit") {
  transaction_layer ids;
  sp::pager_client pc(ids);
  sp::page pg{"sip:alice@example.com", "sip:bob@example.com", "", "", "", {}};
  sp::pager_server s(sp::server_policy{{"text/plain"}, 10});
  auto r = s.vet(sent(pc.build(pg)), "t");
  REQUIRE(r);
  CHECK(built(*r).status() == 400);

  pg.content_type = "application/json";
  pg.body = "{}";
  r = s.vet(sent(pc.build(pg)), "t");
  REQUIRE(r);
  sm::message resp = built(*r);
  CHECK(resp.status() == 415);
  CHECK(resp.find(sm::hdr::accept)->value == "text/plain");
  CHECK(resp.to().tag == "t");

  pg.content_type = "text/plain";
  pg.body = std::string(11, 'x');
  r = s.vet(sent(pc.build(pg)), "t");
  REQUIRE(r);
  CHECK(built(*r).status() == 413);
  pg.body = std::string(10, 'x');
  CHECK_FALSE(s.vet(sent(pc.build(pg)), "t"));
}
