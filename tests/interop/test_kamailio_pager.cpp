// Our pager against a real Kamailio (../shared/interop/kamailio) on loopback: a
// listener registers with Kamailio's registrar, a second runtime sends MESSAGE to the
// AoR through Kamailio, and the page must arrive relayed; an unknown AoR gets 404.
// CTest starts Kamailio as a fixture; SIPEVENTS_KAMAILIO names its address.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "sipevents/pager/pager.hpp"
#include "sipevents/transport/runtime.hpp"

namespace st = sipevents::transport;
namespace sm = sipevents::message;
namespace sp = sipevents::pager;
using sipevents::transaction::peer;
using sipevents::transaction::transport_kind;

namespace {

peer kamailio(transport_kind k) {
  const char* env = std::getenv("SIPEVENTS_KAMAILIO");
  peer p;
  REQUIRE(sipevents::transaction::parse_peer(env ? env : "udp:127.0.0.1:5070", p));
  p.transport = k;
  return p;
}

struct interop_fixture {
  asio::io_context io;
  st::runtime bob{io};
  st::runtime alice{io};
  sp::pager_server server;
  std::vector<sp::received_page> got;
  std::vector<std::size_t> via_counts;

  interop_fixture() {
    peer bound;
    REQUIRE_FALSE(bob.listen("udp:127.0.0.1:0", &bound));
    REQUIRE_FALSE(bob.listen("tcp:127.0.0.1:" + std::to_string(bound.port)));
    REQUIRE_FALSE(alice.listen("udp:127.0.0.1:0"));
    REQUIRE_FALSE(alice.listen("tcp:127.0.0.1:0"));
    bob.on_request("MESSAGE", [this](st::incoming_request& r) {
      if (auto err = server.vet(r.msg, r.to_tag)) {
        bob.respond(r, *err);
        return;
      }
      got.push_back(sp::pager_server::read(r.msg, r.from.transport));
      via_counts.push_back(r.msg.vias().size());
      bob.respond(r, 200, "OK");
    });
  }

  st::request_result wait(st::runtime& rt, const sm::message_builder& b, const peer& to) {
    std::optional<st::request_result> res;
    rt.send_request(b, to, [&](const st::request_result& r) { res = r; });
    io.restart();
    for (int i = 0; i < 1000 && !res; ++i) io.run_for(std::chrono::milliseconds(10));
    REQUIRE(res);
    return *res;
  }

  /// REGISTERs bob's contact for `aor` (RFC 3261 10.2); expires 0 removes it.
  st::request_result register_bob(const std::string& aor, transport_kind k, int expires) {
    const peer* me = bob.local(k);
    REQUIRE(me);
    std::string contact = "<sip:bob@127.0.0.1:" + std::to_string(me->port) +
                          (k == transport_kind::tcp ? ";transport=tcp" : "") + ">";
    auto b = sm::message_builder::request("REGISTER", "sip:127.0.0.1");
    b.header(sm::hdr::max_forwards, "70");
    b.header(sm::hdr::from, "<" + aor + ">;tag=" + bob.layer().random_token(10));
    b.header(sm::hdr::to, "<" + aor + ">");
    b.header(sm::hdr::call_id, bob.layer().random_token(20));
    b.header(sm::hdr::cseq, "1 REGISTER");
    b.header(sm::hdr::contact, contact);
    b.header(sm::hdr::expires, std::to_string(expires));
    return wait(bob, b, kamailio(k));
  }

  st::request_result page(const std::string& to, const std::string& text, transport_kind k) {
    sp::pager_client pc(alice.layer());
    sp::page pg;
    pg.from = "sip:alice@127.0.0.1";
    pg.to = to;
    pg.body = text;
    return wait(alice, pc.build(pg), kamailio(k));
  }
};

}  // namespace

TEST_CASE("Kamailio relays our MESSAGE to a registered AoR and answers 404 for an unknown one") {
  interop_fixture f;
  for (transport_kind k : {transport_kind::udp, transport_kind::tcp}) {
    DYNAMIC_SECTION("over " << sipevents::transaction::to_string(k)) {
      std::string user = std::string("bob-") + std::string(sipevents::transaction::to_string(k)) + "-" +
                         f.bob.layer().random_token(6);
      std::string aor = "sip:" + user + "@127.0.0.1";
      auto reg = f.register_bob(aor, k, 60);
      REQUIRE(reg.status == 200);
      REQUIRE(reg.response);
      // Kamailio's 200 lists the binding it stored (RFC 3261 10.3 step 8).
      CHECK(reg.response->contacts().size() == 1);

      auto r = f.page(aor, "Welcome to the example.com service!", k);
      CHECK(r.status == 200);
      REQUIRE(f.got.size() == 1);
      CHECK(f.got[0].body == "Welcome to the example.com service!");
      CHECK(f.got[0].content_type == "text/plain");
      CHECK(f.got[0].from == "sip:alice@127.0.0.1");
      CHECK(f.got[0].to == aor);
      CHECK(f.got[0].transport == sipevents::transaction::to_string(k));
      CHECK(f.via_counts[0] == 2);  // relayed: Kamailio's Via on top of ours

      auto nobody = f.page("sip:nobody-" + f.alice.layer().random_token(6) + "@127.0.0.1", "anyone?", k);
      CHECK(nobody.status == 404);
      CHECK(f.got.size() == 1);

      REQUIRE(f.register_bob(aor, k, 0).status == 200);
      auto gone = f.page(aor, "after unregister", k);
      CHECK(gone.status == 404);
      CHECK(f.got.size() == 1);
    }
  }
}
