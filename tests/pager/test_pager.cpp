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

// ---- CPIM (RFC 3862), IMDN (RFC 5438), is-composing (RFC 3994) ------------------------

#include "sipevents/coding/content_coding.hpp"

namespace {
using namespace std::chrono_literals;
const auto T0 = sipevents::transaction::time_point{} + 1000h;

// The shape of RFC 5438's example: a page asking for delivery and display notices.
const char* k_cpim_page =
    "From: Alice <im:alice@example.com>\r\n"
    "To: Bob <im:bob@example.com>\r\n"
    "NS: imdn <urn:ietf:params:imdn>\r\n"
    "imdn.Message-ID: 34jk324j\r\n"
    "DateTime: 2006-04-04T12:16:49-05:00\r\n"
    "imdn.Disposition-Notification: positive-delivery, display\r\n"
    "\r\n"
    "Content-type: text/plain\r\n"
    "Content-length: 12\r\n"
    "\r\n"
    "Hello World\n";

sm::message page_with(std::string_view type, std::string_view body, std::string_view encoding = {}) {
  auto b = sm::message_builder::request("MESSAGE", "sip:bob@example.com");
  b.header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp1");
  b.header("From", "<sip:alice@example.com>;tag=a");
  b.header("To", "<sip:bob@example.com>");
  b.header("Call-ID", "page-call-1");
  b.header("CSeq", "1 MESSAGE");
  b.header("Max-Forwards", "70");
  if (!encoding.empty()) b.header("Content-Encoding", encoding);
  b.body(type, body);
  return built(b);
}
}  // namespace

TEST_CASE("cpim: RFC 5438's page reads, namespaced headers by their URI, and writes back the same") {
  sp::cpim_message m;
  std::string err;
  REQUIRE(sp::decode_cpim(k_cpim_page, m, &err));
  CHECK(m.header("From") == "Alice <im:alice@example.com>");
  CHECK(m.header_in(sp::imdn_ns, "Message-ID") == "34jk324j");
  CHECK_FALSE(m.header("imdn.message-id"));  // header names are case-sensitive
  CHECK(m.content_type() == "text/plain");
  CHECK(m.body == "Hello World\n");
  auto want = sp::read_imdn_request(m);
  REQUIRE(want);
  CHECK(want->message_id == "34jk324j");
  CHECK((want->positive_delivery && want->display && !want->negative_delivery));
  sp::cpim_message again;
  REQUIRE(sp::decode_cpim(sp::encode(m), again));
  CHECK(again.headers == m.headers);
  CHECK(again.body == m.body);
  // Another prefix for the same namespace reads the same.
  std::string other = k_cpim_page;
  for (std::string from : {"NS: imdn <", "imdn.Message-ID", "imdn.Disposition"}) {
    std::string to = from;
    to.replace(to.find("imdn"), 4, "x");
    other.replace(other.find(from), from.size(), to);
  }
  REQUIRE(sp::decode_cpim(other, again));
  CHECK(again.header_in(sp::imdn_ns, "Message-ID") == "34jk324j");
  // Bare LF line ends (some clients) read too.
  std::string lf = k_cpim_page;
  for (std::size_t p; (p = lf.find("\r\n")) != std::string::npos;) lf.erase(p, 1);
  REQUIRE(sp::decode_cpim(lf, again));
  CHECK(again.header("DateTime") == "2006-04-04T12:16:49-05:00");
}

TEST_CASE("cpim: what cannot be read is refused with the reason") {
  const std::pair<std::string, std::string> bad[] = {
      {"From: a\r\nTo: b\r\n", "message headers not ended by a blank line"},
      {"\r\nContent-Type: text/plain\r\n\r\nx", "no message headers"},
      {"From a\r\n\r\nContent-Type: text/plain\r\n\r\nx", "message header without a name: From a"},
      {"Fr om: a\r\n\r\nContent-Type: text/plain\r\n\r\nx", "message header name not a token: Fr om"},
      {"From: a\r\n\r\nContent-ID: <x>\r\n\r\nx", "content without Content-Type"},
      {"From: a\r\n\r\nContent-Type: text/plain\r\n", "content headers not ended by a blank line"},
  };
  for (const auto& [text, why] : bad) {
    CAPTURE(text);
    sp::cpim_message m;
    std::string err;
    CHECK_FALSE(sp::decode_cpim(text, m, &err));
    CHECK(err == why);
  }
  std::string many = "From: a\r\n";
  for (int i = 0; i < 70; ++i) many += "X" + std::to_string(i) + ": v\r\n";
  sp::cpim_message m;
  std::string err;
  CHECK_FALSE(sp::decode_cpim(many + "\r\nContent-Type: text/plain\r\n\r\n", m, &err));
  CHECK(err == "more than 64 message headers");
}

TEST_CASE("imdn: documents of every kind round-trip, a status the kind cannot carry is refused") {
  using N = sp::imdn_notification;
  for (auto [k, s] : {std::pair{N::kind::delivery, N::status::delivered}, {N::kind::delivery, N::status::failed},
                      {N::kind::display, N::status::displayed}, {N::kind::processing, N::status::stored}}) {
    N n{"34jk324j", "2008-04-04T12:16:49-05:00", "im:bob@example.com", "", k, s};
    N back;
    std::string err;
    INFO(err);
    REQUIRE(sp::decode_imdn(sp::encode_imdn(n), back, &err));
    CHECK(back == n);
  }
  // linphone's, byte for byte (one line, standalone="no").
  N lin;
  REQUIRE(sp::decode_imdn("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?><imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">"
                          "<message-id>56234db4f74f5b9aaf325716</message-id><datetime>2026-12-07T09:12:58Z</datetime>"
                          "<delivery-notification><status><delivered/></status></delivery-notification></imdn>",
                          lin));
  CHECK(lin.message_id == "56234db4f74f5b9aaf325716");
  CHECK(lin.state == N::status::delivered);
  const std::pair<std::string, std::string> bad[] = {
      {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><datetime>d</datetime>"
       "<display-notification><status><displayed/></status></display-notification></imdn>",
       "imdn without message-id"},
      {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>m</message-id>"
       "<display-notification><status><displayed/></status></display-notification></imdn>",
       "imdn without datetime"},
      {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>m</message-id><datetime>d</datetime></imdn>",
       "imdn without a notification"},
      {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>m</message-id><datetime>d</datetime>"
       "<display-notification><status><delivered/></status></display-notification></imdn>",
       "display-notification with status delivered"},
      {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>m</message-id><datetime>d</datetime>"
       "<delivery-notification/></imdn>",
       "delivery-notification without a status"},
  };
  for (const auto& [xml, why] : bad) {
    CAPTURE(xml);
    N n;
    std::string err;
    CHECK_FALSE(sp::decode_imdn(xml, n, &err));
    CHECK(err == why);
  }
}

TEST_CASE("imdn: the reply swaps From and To, has its own Message-ID, and is read back as a notification") {
  sp::cpim_message page;
  REQUIRE(sp::decode_cpim(k_cpim_page, page));
  sp::imdn_notification n{"34jk324j", "2006-04-04T12:16:49-05:00", "", "", sp::imdn_notification::kind::delivery,
                          sp::imdn_notification::status::delivered};
  sp::cpim_message reply = sp::imdn_reply(page, n, "dfg5yh7", "2006-04-04T12:16:52-05:00");
  CHECK(reply.header("From") == "Bob <im:bob@example.com>");
  CHECK(reply.header("To") == "Alice <im:alice@example.com>");
  CHECK(reply.header_in(sp::imdn_ns, "Message-ID") == "dfg5yh7");
  CHECK_FALSE(sp::read_imdn_request(reply));  // a notice never asks for one
  sp::pager_server srv;
  auto t = srv.take(page_with("message/cpim", sp::encode(reply)), "x", sipevents::transaction::transport_kind::udp);
  REQUIRE_FALSE(t.reject);
  REQUIRE(t.page.imdn);
  CHECK(*t.page.imdn == n);
  CHECK(t.page.content_type == "message/imdn+xml");
}

TEST_CASE("imdn tracker: a notice matches its page, a late one is a timeout at exactly the deadline") {
  sp::imdn_tracker tr({60s, 3});
  sp::imdn_request r{"m1", "now", true, false, true};
  tr.sent(r, T0);
  tr.sent({"m2", "now", true, false, false}, T0 + 1s);
  CHECK(tr.next_deadline() == T0 + 60s);
  using N = sp::imdn_notification;
  CHECK(tr.received({"m1", "now", "", "", N::kind::delivery, N::status::delivered}));
  CHECK_FALSE(tr.received({"m1", "now", "", "", N::kind::delivery, N::status::delivered}));  // repeated
  CHECK_FALSE(tr.received({"zz", "now", "", "", N::kind::delivery, N::status::delivered}));  // unknown
  sp::imdn_tracker::outcome o;
  REQUIRE(tr.poll(o));
  CHECK((o.message_id == "m1" && o.notification));
  CHECK(tr.pending() == 2);  // m1 still waits for display
  CHECK(tr.received({"m1", "now", "", "", N::kind::display, N::status::displayed}));
  REQUIRE(tr.poll(o));
  CHECK(tr.pending() == 1);
  CHECK(tr.next_deadline() == T0 + 61s);
  tr.advance(T0 + 61s - 1ns);
  CHECK_FALSE(tr.poll(o));
  tr.advance(T0 + 61s);
  REQUIRE(tr.poll(o));
  CHECK((o.message_id == "m2" && !o.notification));
  CHECK(tr.next_deadline() == sipevents::transaction::time_point::max());
  // Bounded: past max_pending the oldest is given up at once.
  for (int i = 0; i < 5; ++i) tr.sent({"b" + std::to_string(i), "now", true, false, false}, T0 + 100s);
  CHECK(tr.pending() == 3);
  int gave_up = 0;
  while (tr.poll(o)) gave_up += !o.notification;
  CHECK(gave_up == 2);
}

TEST_CASE("is-composing: RFC 3994 documents round-trip, and bad ones are refused with the reason") {
  sp::composing_indication c{true, "2003-01-27T10:43:00Z", "text/plain", 90};
  sp::composing_indication back;
  REQUIRE(sp::decode_iscomposing(sp::encode_iscomposing(c), back));
  CHECK(back == c);
  const std::pair<std::string, std::string> bad[] = {
      {"<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\"/>", "isComposing without state"},
      {"<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\"><state>typing</state></isComposing>",
       "state must be active or idle, not \"typing\""},
      {"<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\"><state>active</state><refresh>soon</refresh></isComposing>",
       "refresh is not a number: \"soon\""},
  };
  for (const auto& [xml, why] : bad) {
    sp::composing_indication x;
    std::string err;
    CHECK_FALSE(sp::decode_iscomposing(xml, x, &err));
    CHECK(err == why);
  }
}

TEST_CASE("is-composing timers: active on the first key, refresh when due, idle after the pause, exact instants") {
  sp::composing_sender s({15s, 120s, 120s});
  auto a = s.typed(T0);
  REQUIRE(a);
  CHECK((a->active && a->refresh == 120u));
  CHECK_FALSE(s.typed(T0 + 10s));  // still active, refresh not due
  CHECK(s.next_deadline() == T0 + 25s);
  CHECK_FALSE(s.advance(T0 + 25s - 1ns));
  auto idle = s.advance(T0 + 25s);
  REQUIRE(idle);
  CHECK_FALSE(idle->active);
  CHECK(s.next_deadline() == sipevents::transaction::time_point::max());
  // Typing for over two minutes: one refresh at 120 s.
  int sent = 0;
  for (auto t = T0 + 100s; t <= T0 + 100s + 130s; t += 5s) sent += s.typed(t).has_value();
  CHECK(sent == 2);
  s.message_sent();  // the page says idle: no indication
  CHECK_FALSE(s.advance(T0 + 1000s));

  sp::composing_receiver r({15s, 120s, 120s});
  CHECK(r.on_indication({true, "", "text/plain", 60}, T0));
  CHECK(r.next_deadline() == T0 + 60s);
  CHECK_FALSE(r.advance(T0 + 60s - 1ns));
  CHECK(r.advance(T0 + 60s));  // the refresh is overdue: idle
  CHECK(r.on_indication({true, "", "", std::nullopt}, T0 + 100s));
  CHECK(r.next_deadline() == T0 + 220s);  // the default
  CHECK(r.on_message());
  CHECK_FALSE(r.active());
}

TEST_CASE("take(): deflated IMDN as linphone sends it, CPIM pages, and bodies that cannot be read get 400 naming the fault") {
  sp::pager_server srv;
  const auto udp = sipevents::transaction::transport_kind::udp;
  const std::string lin = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?><imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">"
                          "<message-id>page-call-1</message-id><datetime>2026-12-07T09:12:58Z</datetime>"
                          "<delivery-notification><status><delivered/></status></delivery-notification></imdn>";
  auto t = srv.take(page_with("message/imdn+xml", sipevents::coding::deflate_body(lin), "deflate"), "x", udp);
  REQUIRE_FALSE(t.reject);
  REQUIRE(t.page.imdn);
  CHECK(t.page.imdn->message_id == "page-call-1");
  CHECK(t.page.body == lin);
  auto c = srv.take(page_with("message/cpim", k_cpim_page), "x", udp);
  REQUIRE_FALSE(c.reject);
  CHECK(c.page.body == "Hello World\n");
  CHECK(c.page.content_type == "text/plain");
  REQUIRE(c.page.wants);
  CHECK(c.page.wants->message_id == "34jk324j");
  auto typing = srv.take(page_with("application/im-iscomposing+xml",
                                   sp::encode_iscomposing({true, "", "text/plain", 60})), "x", udp);
  REQUIRE(typing.page.composing);
  CHECK(typing.page.composing->active);
  const std::tuple<std::string, std::string, std::string, std::uint16_t, std::string> bad[] = {
      {"message/cpim", "From: a\r\n", "", 400, "Bad CPIM Body: message headers not ended by a blank line"},
      {"message/imdn+xml", "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"/>", "", 400, "Bad IMDN Body: imdn without message-id"},
      {"message/cpim", "From: a\r\n\r\nContent-Type: message/imdn+xml\r\n\r\n<x/>", "", 400,
       "Bad IMDN Body: root is not an imdn element"},
      {"application/im-iscomposing+xml", "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\"/>", "", 400,
       "Bad isComposing Body: isComposing without state"},
      {"text/plain", "not deflated", "deflate", 400, "Bad Body: not deflate"},
      {"text/plain", "x", "br", 415, "Unsupported Content-Encoding"},
  };
  for (const auto& [type, body, enc, status, reason] : bad) {
    CAPTURE(body);
    auto r = srv.take(page_with(type, body, enc), "x", udp);
    REQUIRE(r.reject);
    sm::message m = built(*r.reject);
    CHECK(m.status() == status);
    CHECK(m.reason() == reason);
    if (status == 415) CHECK(m.find("Accept-Encoding"));
  }
  // A deflate bomb stops at the body limit.
  sp::pager_server small({{"text/plain"}, 1000});
  auto bomb = small.take(page_with("text/plain", sipevents::coding::deflate_body(std::string(100000, 'a')), "deflate"), "x", udp);
  REQUIRE(bomb.reject);
  CHECK(built(*bomb.reject).status() == 400);
}
