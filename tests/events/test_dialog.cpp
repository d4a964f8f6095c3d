// RFC 3261 12 dialogs as SUBSCRIBE/NOTIFY create them.
#include "events_support.hpp"
#include "sipevents/dialog/dialog.hpp"

using namespace evtest;
namespace sd = sipevents::dialog;

namespace {

sm::message subscribe_sent() {
  auto b = sm::message_builder::request("SUBSCRIBE", "sip:bob@example.com");
  b.header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa1");
  b.header("From", "<sip:alice@example.com>;tag=a1");
  b.header("To", "<sip:bob@example.com>");
  b.header("Call-ID", "c1@192.0.2.1");
  b.header("CSeq", "7 SUBSCRIBE");
  b.header("Contact", "<sip:alice@192.0.2.1:5060>");
  b.header("Event", "presence");
  return build(b);
}

/// A request as it leaves: the transport adds the Via.
sm::message sent(sm::message_builder b) {
  b.header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKd" + std::to_string(++g_branch));
  return build(b);
}

}  // namespace

TEST_CASE("UAC dialog from a 2xx: reversed Record-Route, Contact as target, next CSeq") {
  sm::message req = subscribe_sent();
  sm::message ok = answer(req, 200, "b1", {{"Record-Route", "<sip:p2.example.com;lr>, <sip:p1.example.com;lr>"},
                                          {"Contact", "<sip:bob@192.0.2.2:5070>"}});
  auto d = sd::dialog::from_response(req, ok);
  REQUIRE(d);
  CHECK(d->id() == sd::dialog_id{"c1@192.0.2.1", "a1", "b1"});
  CHECK(d->remote_target() == "sip:bob@192.0.2.2:5070");
  REQUIRE(d->route_set().size() == 2);
  CHECK(d->route_set()[0] == "<sip:p1.example.com;lr>");
  CHECK(d->next_hop() == "sip:p1.example.com;lr");
  sm::message r = sent(d->request("SUBSCRIBE"));
  CHECK(r.request_uri().text == "sip:bob@192.0.2.2:5070");
  CHECK(r.cseq().seq == 8);
  CHECK(r.from().tag == "a1");
  CHECK(r.to().tag == "b1");
  CHECK(r.call_id() == "c1@192.0.2.1");
  std::vector<std::string> routes;
  for (auto v : r.values(sm::hdr::route)) routes.emplace_back(v);
  CHECK(routes == std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"});
  CHECK(sent(d->request("SUBSCRIBE")).cseq().seq == 9);
  // No To tag: no dialog.
  CHECK_FALSE(sd::dialog::from_response(req, answer(req, 200, "")));
}

TEST_CASE("strict routing: the first route is the Request-URI, the target the last Route") {
  sm::message req = subscribe_sent();
  sm::message ok = answer(req, 200, "b1", {{"Record-Route", "<sip:strict.example.com>"},
                                          {"Contact", "<sip:bob@192.0.2.2>"}});
  auto d = sd::dialog::from_response(req, ok);
  REQUIRE(d);
  sm::message r = sent(d->request("SUBSCRIBE"));
  CHECK(r.request_uri().text == "sip:strict.example.com");
  std::vector<std::string> routes;
  for (auto v : r.values(sm::hdr::route)) routes.emplace_back(v);
  CHECK(routes == std::vector<std::string>{"<sip:bob@192.0.2.2>"});
  CHECK(d->next_hop() == "sip:strict.example.com");
}

TEST_CASE("UAC dialog from a NOTIFY that came first: Record-Route in order, remote CSeq kept") {
  sm::message req = subscribe_sent();
  auto nb = sm::message_builder::request("NOTIFY", "sip:alice@192.0.2.1:5060");
  nb.header("Via", "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKn1");
  nb.header("From", "<sip:bob@example.com>;tag=fork2");
  nb.header("To", "<sip:alice@example.com>;tag=a1");
  nb.header("Call-ID", "c1@192.0.2.1");
  nb.header("CSeq", "100 NOTIFY");
  nb.header("Record-Route", "<sip:p1.example.com;lr>");
  nb.header("Record-Route", "<sip:p2.example.com;lr>");
  nb.header("Contact", "<sip:bob@192.0.2.9>");
  sm::message n = build(nb);
  auto d = sd::dialog::from_forked_request(req, n);
  REQUIRE(d);
  CHECK(d->id().remote_tag == "fork2");
  CHECK(d->route_set().front() == "<sip:p1.example.com;lr>");
  CHECK(d->remote_cseq() == 100u);
  // A NOTIFY of another subscription (other tag) makes no dialog here.
  nb.header("X", "y");
  auto other = sm::message_builder::request("NOTIFY", "sip:alice@192.0.2.1");
  other.header("Via", "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKn2");
  other.header("From", "<sip:bob@example.com>;tag=x");
  other.header("To", "<sip:alice@example.com>;tag=zz");
  other.header("Call-ID", "c1@192.0.2.1");
  other.header("CSeq", "1 NOTIFY");
  CHECK_FALSE(sd::dialog::from_forked_request(req, build(other)));
}

TEST_CASE("UAS dialog: CSeq ordering gets out_of_order, target refresh from Contact") {
  sm::message req = subscribe_sent();
  auto d = sd::dialog::from_request(req, "srv1", "sip:server@192.0.2.2");
  REQUIRE(d);
  CHECK(d->id() == sd::dialog_id{"c1@192.0.2.1", "srv1", "a1"});
  CHECK(d->remote_target() == "sip:alice@192.0.2.1:5060");
  sm::message notify = sent(d->request("NOTIFY"));
  CHECK(notify.cseq().seq == 1);
  CHECK(notify.from().tag == "srv1");
  CHECK(notify.to().tag == "a1");
  CHECK(notify.to().addr.text == "sip:alice@example.com");
  CHECK(header(notify, "Contact") == "<sip:server@192.0.2.2>");

  auto refresh = [&](std::uint32_t cseq, std::string contact) {
    auto b = sm::message_builder::request("SUBSCRIBE", "sip:server@192.0.2.2");
    b.header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKr" + std::to_string(cseq));
    b.header("From", "<sip:alice@example.com>;tag=a1");
    b.header("To", "<sip:bob@example.com>;tag=srv1");
    b.header("Call-ID", "c1@192.0.2.1");
    b.header("CSeq", std::to_string(cseq) + " SUBSCRIBE");
    b.header("Contact", contact);
    return build(b);
  };
  CHECK(d->receive(refresh(8, "<sip:alice@192.0.2.77>")) == sd::request_check::ok);
  CHECK(d->remote_target() == "sip:alice@192.0.2.77");
  CHECK(d->remote_cseq() == 8u);
  CHECK(d->receive(refresh(6, "<sip:alice@192.0.2.99>")) == sd::request_check::out_of_order);
  CHECK(d->remote_target() == "sip:alice@192.0.2.77");  // a refused request refreshes nothing
  // No Contact: no target, no dialog.
  auto nc = sm::message_builder::request("SUBSCRIBE", "sip:bob@example.com");
  nc.header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKq");
  nc.header("From", "<sip:alice@example.com>;tag=a1");
  nc.header("To", "<sip:bob@example.com>");
  nc.header("Call-ID", "c2");
  nc.header("CSeq", "1 SUBSCRIBE");
  CHECK_FALSE(sd::dialog::from_request(build(nc), "t", "sip:s@h"));
}

TEST_CASE("dialog_table: several usages share a dialog, the last release ends it") {
  sd::dialog_table t;
  auto d = sd::dialog::from_request(subscribe_sent(), "srv1", "sip:s@h");
  REQUIRE(d);
  sd::dialog_id id = d->id();
  t.acquire(*d);
  t.acquire(*d);
  CHECK(t.size() == 1);
  CHECK(t.usages(id) == 2);
  CHECK_FALSE(t.release(id));
  CHECK(t.find(id) != nullptr);
  CHECK(t.release(id));
  CHECK(t.find(id) == nullptr);
  CHECK(t.size() == 0);
}
