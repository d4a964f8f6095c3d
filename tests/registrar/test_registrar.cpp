// RFC 3261 10.3 registrar, driven with explicit time points.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "sipevents/registrar/registrar.hpp"
#include "support.hpp"

namespace sm = sipevents::message;
namespace sr = sipevents::registrar;
using namespace std::chrono_literals;

namespace {

const sr::time_point t0 = sr::time_point{} + std::chrono::hours(1000);

struct reg_fixture {
  int n = 0;
  sr::registrar_config cfg;
  std::unique_ptr<sr::registrar> r;
  std::uint32_t cseq = 1;
  reg_fixture() { make(); }
  void make() {
    r = std::make_unique<sr::registrar>([this](std::size_t) { return "id" + std::to_string(++n); }, cfg);
  }

  sm::message request(std::vector<std::string> contacts, std::optional<std::uint32_t> expires = {},
                      std::string to = "sip:joe@example.com", std::string call_id = "call-1",
                      std::optional<std::uint32_t> seq = {}) {
    auto b = sm::message_builder::request("REGISTER", "sip:example.com");
    b.header("Via", "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKr" + std::to_string(cseq));
    b.header("From", "<" + to + ">;tag=f1");
    b.header("To", "<" + to + ">");
    b.header("Call-ID", call_id);
    b.header("CSeq", std::to_string(seq.value_or(cseq++)) + " REGISTER");
    for (const auto& c : contacts) b.header("Contact", c);
    if (expires) b.header("Expires", std::to_string(*expires));
    sm::message m;
    REQUIRE_FALSE(b.build(m));
    return m;
  }

  sm::message handle(const sm::message& req, sr::time_point now) {
    sm::message out;
    auto b = r->on_register(req, now);
    // The transport adds nothing to a response: it must parse as it is.
    REQUIRE_FALSE(b.build(out));
    return out;
  }

  std::vector<sr::binding_change> changes() {
    std::vector<sr::binding_change> v;
    sr::binding_change c;
    while (r->poll(c)) v.push_back(c);
    return v;
  }
};

std::vector<std::string> contacts_of(const sm::message& m) {
  std::vector<std::string> v;
  for (auto c : m.values(sm::hdr::contact)) v.emplace_back(c);
  return v;
}

sm::message fixture(const std::string& name) {
  std::string bytes = testsupport::read_file(testsupport::shared_dir() / "testdata" / "rfc4475" / (name + ".dat"));
  sm::message m;
  REQUIRE_FALSE(sm::parse_datagram(bytes, m));
  return m;
}

}  // namespace

TEST_CASE("a REGISTER binds its Contact - the 200 lists every binding with its expires") {
  reg_fixture f;
  auto ok = f.handle(f.request({"<sip:joe@192.0.2.4:5060>;q=0.5", "<sip:joe@198.51.100.7>"}, 600), t0);
  CHECK(ok.status() == 200);
  CHECK(contacts_of(ok) == std::vector<std::string>{"<sip:joe@198.51.100.7>;expires=600",
                                                    "<sip:joe@192.0.2.4:5060>;expires=600;q=0.500"});
  auto ch = f.changes();
  REQUIRE(ch.size() == 2);
  CHECK(ch[0].aor == "sip:joe@example.com");
  CHECK(ch[0].event == sr::binding_event::registered);
  const auto* list = f.r->lookup("sip:joe@example.com");
  REQUIRE(list);
  CHECK(list->size() == 2);
  CHECK(list->front().uri == "sip:joe@198.51.100.7");  // highest q first (absent = 1.0)
  // A REGISTER without Contact is a query: nothing changes.
  auto q = f.handle(f.request({}), t0 + 100s);
  CHECK(contacts_of(q).size() == 2);
  CHECK(contacts_of(q)[0] == "<sip:joe@198.51.100.7>;expires=500");
  CHECK(f.changes().empty());
}

TEST_CASE("expires: Contact param over Expires header over the default - 423 below the minimum - max lowers") {
  reg_fixture f;
  auto ok = f.handle(f.request({"<sip:a@192.0.2.4>;expires=120"}, 600), t0);
  CHECK(contacts_of(ok)[0] == "<sip:a@192.0.2.4>;expires=120");
  auto def = f.handle(f.request({"<sip:b@192.0.2.4>"}, std::nullopt, "sip:bob@example.com"), t0);
  CHECK(contacts_of(def)[0] == "<sip:b@192.0.2.4>;expires=3600");
  auto brief = f.handle(f.request({"<sip:c@192.0.2.4>;expires=30"}), t0);
  CHECK(brief.status() == 423);
  CHECK(brief.min_expires() == 60u);
  auto lng = f.handle(f.request({"<sip:d@192.0.2.4>"}, 999999, "sip:dan@example.com"), t0);
  CHECK(contacts_of(lng)[0] == "<sip:d@192.0.2.4>;expires=86400");
  // The refused REGISTER changed nothing, even for its other contacts.
  auto mixed = f.handle(f.request({"<sip:e@192.0.2.4>", "<sip:g@192.0.2.4>;expires=5"}, 600, "sip:eve@example.com"), t0);
  CHECK(mixed.status() == 423);
  CHECK(f.r->lookup("sip:eve@example.com") == nullptr);
}

TEST_CASE("refresh and shortened - Expires 0 and Contact: * unregister") {
  reg_fixture f;
  f.handle(f.request({"<sip:joe@192.0.2.4>"}, 600), t0);
  f.changes();
  f.handle(f.request({"<sip:joe@192.0.2.4>"}, 600), t0 + 100s);
  auto ch = f.changes();
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].event == sr::binding_event::refreshed);
  f.handle(f.request({"<sip:joe@192.0.2.4>"}, 60), t0 + 200s);
  CHECK(f.changes().at(0).event == sr::binding_event::shortened);
  f.handle(f.request({"<sip:joe@192.0.2.4>"}, 0, "sip:joe@example.com", "call-1", 77), t0 + 210s);
  ch = f.changes();
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].event == sr::binding_event::unregistered);
  CHECK(ch[0].b.cseq == 77);  // RFC 3680 cseq: the REGISTER that removed it
  CHECK(ch[0].b.call_id == "call-1");
  CHECK(f.r->lookup("sip:joe@example.com") == nullptr);

  f.handle(f.request({"<sip:joe@192.0.2.4>", "<sip:joe@192.0.2.5>"}, 600), t0 + 300s);
  f.changes();
  auto bad = f.handle(f.request({"*"}, 600), t0 + 301s);
  CHECK(bad.status() == 400);
  auto all = f.handle(f.request({"*"}, 0), t0 + 302s);
  CHECK(all.status() == 200);
  CHECK(contacts_of(all).empty());
  CHECK(f.changes().size() == 2);
  CHECK(f.r->lookup("sip:joe@example.com") == nullptr);
}

TEST_CASE("Call-ID/CSeq ordering per binding: an old CSeq of the same Call-ID gets 500") {
  reg_fixture f;
  f.handle(f.request({"<sip:joe@192.0.2.4>"}, 600, "sip:joe@example.com", "call-1", 10), t0);
  CHECK(f.handle(f.request({"<sip:joe@192.0.2.4>"}, 600, "sip:joe@example.com", "call-1", 9), t0).status() == 500);
  CHECK(f.handle(f.request({"<sip:joe@192.0.2.4>"}, 600, "sip:joe@example.com", "call-1", 10), t0).status() == 500);
  CHECK(f.handle(f.request({"*"}, 0, "sip:joe@example.com", "call-1", 10), t0).status() == 500);
  // Another Call-ID (a rebooted UA) may replace it with any CSeq.
  CHECK(f.handle(f.request({"<sip:joe@192.0.2.4>"}, 600, "sip:joe@example.com", "call-2", 1), t0).status() == 200);
  CHECK(f.handle(f.request({"<sip:joe@192.0.2.4>"}, 600, "sip:joe@example.com", "call-1", 11), t0).status() == 200);
}

TEST_CASE("bindings expire at their deadline, not one tick before") {
  reg_fixture f;
  f.handle(f.request({"<sip:joe@192.0.2.4>;expires=100", "<sip:joe@192.0.2.5>;expires=200"}), t0);
  f.changes();
  CHECK(f.r->next_deadline() == t0 + 100s);
  f.r->advance(t0 + 100s - 1ns);
  CHECK(f.changes().empty());
  f.r->advance(t0 + 100s);
  auto ch = f.changes();
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].event == sr::binding_event::expired);
  CHECK(ch[0].b.uri == "sip:joe@192.0.2.4");
  CHECK(f.r->next_deadline() == t0 + 200s);
  f.r->advance(t0 + 200s);
  CHECK(f.changes().size() == 1);
  CHECK(f.r->lookup("sip:joe@example.com") == nullptr);
  CHECK(f.r->next_deadline() == sr::time_point::max());
}

TEST_CASE("a To that is not a SIP AoR gets 400 - domains outside the policy 403 - limits") {
  reg_fixture f;
  f.cfg.domains = {"example.com"};
  f.cfg.max_bindings_per_aor = 2;
  f.make();
  CHECK(f.handle(f.request({"<sip:x@192.0.2.4>"}, 600, "tel:+15551234"), t0).status() == 400);
  CHECK(f.handle(f.request({"<sip:x@192.0.2.4>"}, 600, "sip:joe@other.org"), t0).status() == 403);
  CHECK(f.handle(f.request({"<sip:x@192.0.2.4>"}, 600, "sip:joe@EXAMPLE.com"), t0).status() == 200);
  CHECK(f.r->lookup("sip:joe@example.com") != nullptr);  // the AoR is canonical
  CHECK(f.handle(f.request({"<sip:y@192.0.2.4>", "<sip:z@192.0.2.4>"}, 600), t0).status() == 403);
  CHECK(f.r->lookup("sip:joe@example.com")->size() == 1);
}

TEST_CASE("remove() by policy reports deactivated, probation or rejected") {
  reg_fixture f;
  f.handle(f.request({"<sip:joe@192.0.2.4>"}, 600), t0);
  f.changes();
  std::string id = f.r->lookup("sip:joe@example.com")->front().id;
  CHECK(f.r->remove("sip:joe@example.com", id, sr::binding_event::deactivated, t0));
  auto ch = f.changes();
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].event == sr::binding_event::deactivated);
  CHECK_FALSE(f.r->remove("sip:joe@example.com", id, sr::binding_event::deactivated, t0));
}

TEST_CASE("RFC 4475 cparam01: unknownparam stays a contact param of the binding") {
  reg_fixture f;
  auto ok = f.handle(fixture("cparam01"), t0);
  CHECK(ok.status() == 200);
  const auto* list = f.r->lookup("sip:watson@example.com");
  REQUIRE(list);
  CHECK(list->front().uri == "sip:+19725552222@gw1.example.net");
  CHECK(list->front().params == ";unknownparam");
  auto c = contacts_of(ok);
  REQUIRE(c.size() == 1);
  CHECK(c[0] == "<sip:+19725552222@gw1.example.net>;unknownparam;expires=3600");
  sm::contact parsed;
  REQUIRE_FALSE(sm::parse_contact(c[0], parsed));
  CHECK_FALSE(parsed.value.addr.param("unknownparam"));  // never a URI parameter
}

TEST_CASE("RFC 4475 regescrt: the escaped Route header stays in the binding's URI") {
  reg_fixture f;
  auto ok = f.handle(fixture("regescrt"), t0);
  CHECK(ok.status() == 200);
  const auto* list = f.r->lookup("sip:user@example.com");
  REQUIRE(list);
  CHECK(list->front().uri == "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
  CHECK(contacts_of(ok)[0] == "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=3600");
}

TEST_CASE("RFC 4475 escnull: %00 does not shorten the user - two distinct contacts") {
  reg_fixture f;
  auto ok = f.handle(fixture("escnull"), t0);
  CHECK(ok.status() == 200);
  std::string aor = "sip:null-";
  aor.push_back('\0');
  aor += "-null@example.com";
  const auto* list = f.r->lookup(aor);
  REQUIRE(list);
  CHECK(list->size() == 2);
  CHECK(contacts_of(ok).size() == 2);
}

TEST_CASE("RFC 5626/5627: the same +sip.instance (and reg-id) replaces its binding, whatever its URI") {
  reg_fixture f;
  const std::string inst = ";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"";
  // linphonec over TCP: a new connection, a new port, a new Call-ID, the same device.
  auto a = f.handle(f.request({"<sip:joe@192.0.2.4:40001;transport=tcp>" + inst + ";reg-id=1"}, 600, "sip:joe@example.com",
                              "call-a"),
                    t0);
  CHECK(a.status() == 200);
  f.changes();
  auto b = f.handle(f.request({"<sip:joe@192.0.2.4:40777;transport=tcp>" + inst + ";reg-id=1"}, 600, "sip:joe@example.com",
                              "call-b"),
                    t0 + 10s);
  REQUIRE(b.status() == 200);
  CHECK(contacts_of(b).size() == 1);
  CHECK(contacts_of(b)[0].find("40777") != std::string::npos);
  auto ch = f.changes();
  REQUIRE(ch.size() == 2);
  CHECK(ch[0].event == sr::binding_event::unregistered);
  CHECK(ch[0].b.uri.find("40001") != std::string::npos);
  CHECK(ch[1].event == sr::binding_event::registered);
  // Another reg-id of the same instance is another flow: kept beside it (RFC 5626 6).
  auto c = f.handle(f.request({"<sip:joe@192.0.2.4:40999;transport=tcp>" + inst + ";reg-id=2"}, 600, "sip:joe@example.com",
                              "call-c"),
                    t0 + 20s);
  CHECK(contacts_of(c).size() == 2);
  // Without reg-id (RFC 5627): the instance alone names the binding.
  const std::string other = ";+sip.instance=\"<urn:uuid:11111111-0000-1000-8000-000A95A0E128>\"";
  f.handle(f.request({"<sip:joe@198.51.100.7:5060>" + other}, 600, "sip:joe@example.com", "call-d"), t0 + 30s);
  auto d = f.handle(f.request({"<sip:joe@198.51.100.7:5070>" + other}, 600, "sip:joe@example.com", "call-e"), t0 + 40s);
  CHECK(contacts_of(d).size() == 3);
  // Unregistering by instance at its new URI removes it; other instances stay.
  auto e = f.handle(f.request({"<sip:joe@198.51.100.7:5070>" + other}, 0, "sip:joe@example.com", "call-e"), t0 + 50s);
  CHECK(contacts_of(e).size() == 2);
  // Contacts without an instance still match by URI alone.
  f.handle(f.request({"<sip:joe@203.0.113.1>"}, 600, "sip:joe@example.com", "call-f"), t0 + 60s);
  auto g = f.handle(f.request({"<sip:joe@203.0.113.2>"}, 600, "sip:joe@example.com", "call-g"), t0 + 70s);
  CHECK(contacts_of(g).size() == 4);
}
