// Deterministic transaction tests: explicit time points, no sleeps, no sockets.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sipevents/transaction/transaction_layer.hpp"

using namespace sipevents::transaction;
namespace sm = sipevents::message;
using std::chrono::milliseconds;

namespace {

const time_point t0 = time_point{} + std::chrono::hours(1);
const milliseconds T1{500}, T2{4000}, T4{5000};
const milliseconds tick{1};

peer udp_peer(std::string host = "192.0.2.10", std::uint16_t port = 5060) {
  return peer{transport_kind::udp, std::move(host), port, {}};
}

std::string request_text(std::string_view branch = "z9hG4bK.abc", std::string_view method = "MESSAGE",
                         std::string_view via_host = "192.0.2.10:5060", std::string_view via_extra = "") {
  std::string s;
  s += std::string(method) + " sip:bob@example.com SIP/2.0\r\n";
  s += "Via: SIP/2.0/UDP " + std::string(via_host) + ";branch=" + std::string(branch) + std::string(via_extra) + "\r\n";
  s += "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f1\r\nTo: <sip:bob@example.com>\r\n";
  s += "Call-ID: c1@example.com\r\nCSeq: 1 " + std::string(method) + "\r\n";
  s += "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
  return s;
}

sm::message parsed(const std::string& text) {
  sm::message m;
  REQUIRE_FALSE(sm::parse_datagram(text, m));
  return m;
}

std::string response_text(const sm::message& req, int status) {
  return sm::message_builder::response_to(req, static_cast<std::uint16_t>(status), status == 200 ? "OK" : "Trying", "t9").text();
}

std::vector<output> drain(transaction_layer& l) {
  std::vector<output> v;
  output o;
  while (l.poll(o)) v.push_back(std::move(o));
  return v;
}

std::size_t sends(const std::vector<output>& v) {
  std::size_t n = 0;
  for (const auto& o : v) n += o.what == output::kind::send;
  return n;
}

/// Advances the layer to each of `times` and records which instants retransmitted.
std::vector<milliseconds> retransmit_times(transaction_layer& l, time_point start, milliseconds until) {
  std::vector<milliseconds> at;
  for (time_point t = start; t <= start + until; t = l.next_deadline()) {
    if (l.next_deadline() == time_point::max()) break;
    t = l.next_deadline();
    if (t > start + until) break;
    l.advance(t);
    for (const auto& o : drain(l))
      if (o.what == output::kind::send) at.push_back(std::chrono::duration_cast<milliseconds>(t - start));
  }
  return at;
}

}  // namespace

TEST_CASE("client over UDP: Timer E at T1, 3T1, 7T1 ... capped at T2, Timer F at 64*T1") {
  transaction_layer l;
  txn_id id = l.send_request(parsed(request_text()), udp_peer(), t0);
  auto first = drain(l);
  REQUIRE(sends(first) == 1);  // sent at 0
  CHECK(l.next_deadline() == t0 + T1);
  // Retransmissions up to one tick before F.
  auto at = retransmit_times(l, t0, 64 * T1 - tick);
  std::vector<milliseconds> want{T1, 3 * T1, 7 * T1, 15 * T1};
  for (milliseconds t = 15 * T1 + T2; t < 64 * T1; t += T2) want.push_back(t);
  CHECK(at == want);
  // One tick before 64*T1: no failure yet.
  l.advance(t0 + 64 * T1 - tick);
  for (const auto& o : drain(l)) CHECK(o.what != output::kind::client_failure);
  CHECK(l.client_count() == 1);
  l.advance(t0 + 64 * T1);
  auto out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == output::kind::client_failure);
  CHECK(out[0].status == 408);
  CHECK(out[0].txn == id);
  CHECK(l.client_count() == 0);
}

TEST_CASE("client with a smaller T2 caps Timer E earlier") {
  layer_config cfg;
  cfg.timers.t2 = milliseconds{1000};
  transaction_layer l(cfg);
  l.send_request(parsed(request_text()), udp_peer(), t0);
  drain(l);
  auto at = retransmit_times(l, t0, milliseconds{5000});
  std::vector<milliseconds> want{T1, 3 * T1, 5 * T1, 7 * T1, 9 * T1};  // 500, then +1000 each
  CHECK(at == want);
}

TEST_CASE("client: provisional moves to Proceeding and E resets to T2") {
  transaction_layer l;
  sm::message req = parsed(request_text());
  l.send_request(req, udp_peer(), t0);
  drain(l);
  l.receive(response_text(req, 100), udp_peer(), t0 + milliseconds{100});
  auto out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == output::kind::response);
  CHECK(out[0].msg.status() == 100);
  // E still fires at T1 (armed before), then every T2.
  auto at = retransmit_times(l, t0, 64 * T1 - tick);
  REQUIRE(at.size() >= 3);
  CHECK(at[0] == T1);
  CHECK(at[1] == T1 + T2);
  CHECK(at[2] == T1 + 2 * T2);
}

TEST_CASE("client: final response stops retransmission - retransmitted finals absorbed - K = T4 over UDP") {
  transaction_layer l;
  sm::message req = parsed(request_text());
  l.send_request(req, udp_peer(), t0);
  drain(l);
  // First two requests lost: the response arrives after the second retransmission.
  l.advance(t0 + T1);
  l.advance(t0 + 3 * T1);
  CHECK(sends(drain(l)) == 2);
  time_point got = t0 + 3 * T1 + milliseconds{20};
  l.receive(response_text(req, 200), udp_peer(), got);
  auto out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].msg.status() == 200);
  l.receive(response_text(req, 200), udp_peer(), got + tick);
  CHECK(drain(l).empty());  // duplicate absorbed
  CHECK(l.next_deadline() == got + T4);
  l.advance(got + T4 - tick);
  CHECK(l.client_count() == 1);
  l.advance(got + T4);
  CHECK(l.client_count() == 0);
  CHECK(drain(l).empty());
}

TEST_CASE("client over TCP: no Timer E, F still at 64*T1, K = 0") {
  transaction_layer l;
  sm::message req = parsed(request_text());
  l.send_request(req, peer{transport_kind::tcp, "192.0.2.10", 5060, {}}, t0);
  CHECK(sends(drain(l)) == 1);
  CHECK(l.next_deadline() == t0 + 64 * T1);
  l.advance(t0 + 64 * T1 - tick);
  CHECK(drain(l).empty());
  l.advance(t0 + 64 * T1);
  auto out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].status == 408);

  sm::message req2 = parsed(request_text("z9hG4bK.tcp2"));
  l.send_request(req2, peer{transport_kind::tcp, "192.0.2.10", 5060, {}}, t0);
  drain(l);
  std::string resp = response_text(req2, 200);
  l.receive(resp, peer{transport_kind::tcp, "192.0.2.10", 5060, {}}, t0 + tick);
  CHECK(drain(l).size() == 1);
  CHECK(l.next_deadline() == t0 + tick);  // K = 0
  l.advance(t0 + tick);
  CHECK(l.client_count() == 0);
}

TEST_CASE("client: transport error fails with 503") {
  transaction_layer l;
  l.send_request(parsed(request_text()), udp_peer(), t0);
  drain(l);
  l.transport_error(udp_peer(), t0 + tick);
  auto out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == output::kind::client_failure);
  CHECK(out[0].status == 503);
  CHECK(l.client_count() == 0);
}

TEST_CASE("client matching: branch and CSeq method must both match") {
  transaction_layer l;
  sm::message req = parsed(request_text("z9hG4bK.one"));
  l.send_request(req, udp_peer(), t0);
  drain(l);
  sm::message other = parsed(request_text("z9hG4bK.two"));
  l.receive(response_text(other, 200), udp_peer(), t0 + tick);
  auto out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == output::kind::stray);
  sm::message wrong_method = parsed(request_text("z9hG4bK.one", "OPTIONS"));
  l.receive(response_text(wrong_method, 200), udp_peer(), t0 + tick);
  out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == output::kind::stray);
}

TEST_CASE("server over UDP: retransmissions absorbed in Trying, answered after - J = 64*T1") {
  transaction_layer l;
  std::string req = request_text();
  l.receive(req, udp_peer(), t0);
  auto out = drain(l);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].what == output::kind::request);
  txn_id id = out[0].txn;
  sm::message request = std::move(out[0].msg);
  l.receive(req, udp_peer(), t0 + T1);  // retransmission before the TU answers
  CHECK(drain(l).empty());
  sm::message resp;
  REQUIRE_FALSE(sm::message_builder::response_to(request, 200, "OK", "t1").build(resp));
  time_point answered = t0 + T1 + tick;
  REQUIRE(l.respond(id, resp, answered));
  out = drain(l);
  REQUIRE(sends(out) == 1);
  CHECK(out[0].where == udp_peer());
  CHECK_FALSE(l.respond(id, resp, answered));  // a second final is refused
  l.receive(req, udp_peer(), answered + T1);
  out = drain(l);
  REQUIRE(sends(out) == 1);
  CHECK(out[0].bytes == std::string(resp.raw()));
  CHECK(l.next_deadline() == answered + 64 * T1);
  l.advance(answered + 64 * T1 - tick);
  CHECK(l.server_count() == 1);
  l.advance(answered + 64 * T1);
  CHECK(l.server_count() == 0);
  // After J a retransmission is a new request again.
  l.receive(req, udp_peer(), answered + 64 * T1 + tick);
  out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == output::kind::request);
}

TEST_CASE("server: provisional resent for retransmissions in Proceeding") {
  transaction_layer l;
  std::string req = request_text();
  l.receive(req, udp_peer(), t0);
  auto out = drain(l);
  txn_id id = out[0].txn;
  sm::message r100;
  REQUIRE_FALSE(sm::message_builder::response_to(out[0].msg, 100, "Trying").build(r100));
  REQUIRE(l.respond(id, r100, t0 + tick));
  CHECK(sends(drain(l)) == 1);
  l.receive(req, udp_peer(), t0 + T1);
  out = drain(l);
  REQUIRE(sends(out) == 1);
  CHECK(out[0].bytes == std::string(r100.raw()));
}

TEST_CASE("server matching: RFC 3261 branch with sent-by and method - RFC 2543 fallback") {
  transaction_layer l;
  l.receive(request_text("z9hG4bK.x"), udp_peer(), t0);
  l.receive(request_text("z9hG4bK.x", "MESSAGE", "192.0.2.99:5060"), udp_peer("192.0.2.99"), t0);  // other sent-by
  l.receive(request_text("z9hG4bK.x", "OPTIONS"), udp_peer(), t0);  // other method
  std::size_t requests = 0;
  for (const auto& o : drain(l)) requests += o.what == output::kind::request;
  CHECK(requests == 3);
  // RFC 2543 branch (no magic cookie): matched on R-URI, tags, Call-ID, CSeq and Via.
  l.receive(request_text("oldbranch"), udp_peer(), t0);
  l.receive(request_text("oldbranch"), udp_peer(), t0 + tick);
  requests = 0;
  for (const auto& o : drain(l)) requests += o.what == output::kind::request;
  CHECK(requests == 1);
}

TEST_CASE("reordering: a response before the request's retransmission, duplicates of both") {
  transaction_layer l;
  sm::message req = parsed(request_text());
  l.send_request(req, udp_peer(), t0);
  drain(l);
  std::string r100 = response_text(req, 100), r200 = response_text(req, 200);
  l.receive(r200, udp_peer(), t0 + tick);   // final overtakes the provisional
  l.receive(r100, udp_peer(), t0 + 2 * tick);
  l.receive(r200, udp_peer(), t0 + 3 * tick);
  auto out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].msg.status() == 200);
}

TEST_CASE("stateless answers: 400 naming the fault, 505, 416, 420 with Unsupported, 501 with Allow") {
  transaction_layer l;
  auto answer = [&](const std::string& text) {
    l.receive(text, udp_peer(), t0);
    auto out = drain(l);
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].what == output::kind::send);
    sm::message r;
    REQUIRE_FALSE(sm::parse_datagram(out[0].bytes, r));
    return r;
  };
  std::string bad = request_text();
  bad.insert(bad.find("Max-Forwards"), "Expires: soon\r\n");
  sm::message r = answer(bad);
  CHECK(r.status() == 400);
  CHECK(r.reason().find("Expires") != std::string_view::npos);
  CHECK_FALSE(r.to().tag.empty());

  std::string v1 = request_text();
  v1.replace(v1.find(" SIP/2.0\r\n"), 10, " SIP/3.0\r\n");
  CHECK(answer(v1).status() == 505);

  std::string scheme = request_text();
  scheme.replace(scheme.find("sip:bob@example.com SIP"), 19, "xmpp:bob@example.com");
  CHECK(answer(scheme).status() == 416);

  std::string req = request_text();
  req.insert(req.find("Max-Forwards"), "Require: foo\r\n");
  r = answer(req);
  CHECK(r.status() == 420);
  REQUIRE(r.find(sm::hdr::unsupported));
  CHECK(r.find(sm::hdr::unsupported)->value == "foo");

  std::string ext = request_text("z9hG4bK.e", "FROB");
  r = answer(ext);
  CHECK(r.status() == 501);
  CHECK(r.find(sm::hdr::allow));

  // A response that does not parse, or a request without Via, is dropped.
  l.receive("SIP/2.0 99 Bad\r\n\r\n", udp_peer(), t0);
  CHECK(drain(l).empty());
}

TEST_CASE("18.2.1/18.2.2: received and rport are stamped and the response follows them") {
  transaction_layer l;
  // sent-by names a host that is not the source; rport asks for the source port.
  l.receive(request_text("z9hG4bK.nat", "MESSAGE", "10.0.0.5:5060", ";rport"), udp_peer("203.0.113.7", 40211), t0);
  auto out = drain(l);
  REQUIRE(out.size() == 1);
  const sm::via* v = out[0].msg.top_via();
  REQUIRE(v);
  CHECK(v->received == "203.0.113.7");
  CHECK(v->rport_value == 40211);
  sm::message resp;
  REQUIRE_FALSE(sm::message_builder::response_to(out[0].msg, 200, "OK", "t").build(resp));
  l.respond(out[0].txn, resp, t0);
  out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].where == udp_peer("203.0.113.7", 40211));

  // Without rport: to received, at the sent-by port.
  l.receive(request_text("z9hG4bK.nat2", "MESSAGE", "10.0.0.5:5070"), udp_peer("203.0.113.7", 40211), t0);
  out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(response_destination(out[0].msg, udp_peer("203.0.113.7", 40211)) == udp_peer("203.0.113.7", 5070));
  // maddr wins over received.
  l.receive(request_text("z9hG4bK.m", "MESSAGE", "10.0.0.5", ";maddr=198.51.100.1"), udp_peer("203.0.113.7", 1), t0);
  out = drain(l);
  REQUIRE(out.size() == 1);
  CHECK(response_destination(out[0].msg, udp_peer("203.0.113.7", 1)) == udp_peer("198.51.100.1", 5060));
}

TEST_CASE("the transaction limit answers 503 with Retry-After") {
  layer_config cfg;
  cfg.max_transactions = 1;
  transaction_layer l(cfg);
  l.receive(request_text("z9hG4bK.1"), udp_peer(), t0);
  CHECK(drain(l).size() == 1);
  l.receive(request_text("z9hG4bK.2"), udp_peer(), t0);
  auto out = drain(l);
  REQUIRE(out.size() == 1);
  sm::message r;
  REQUIRE_FALSE(sm::parse_datagram(out[0].bytes, r));
  CHECK(r.status() == 503);
  CHECK(r.find(sm::hdr::retry_after));
}

TEST_CASE("peer strings") {
  peer p;
  REQUIRE(parse_peer("udp:127.0.0.1:5060", p));
  CHECK(p == peer{transport_kind::udp, "127.0.0.1", 5060, {}});
  REQUIRE(parse_peer("tcp:[::1]:5070", p));
  CHECK(p == peer{transport_kind::tcp, "::1", 5070, {}});
  CHECK(to_string(p) == "tcp:[::1]:5070");
  for (std::string_view text : {"tls:192.0.2.1:5061", "ws:[::1]:8080", "wss:127.0.0.1:8443"}) {
    REQUIRE(parse_peer(text, p));
    CHECK(to_string(p) == text);
  }
  REQUIRE(parse_peer("TLS:192.0.2.1:5061", p));
  CHECK(p.transport == transport_kind::tls);
  CHECK_FALSE(parse_peer("sctp:192.0.2.1:5060", p));
  CHECK(via_token(transport_kind::wss) == "WSS");
  transport_kind k{};
  CHECK(parse_transport("Ws", k));
  CHECK(k == transport_kind::ws);
  CHECK(is_reliable(transport_kind::wss));
  CHECK(is_secure(transport_kind::tls));
  CHECK_FALSE(is_secure(transport_kind::ws));
  CHECK_FALSE(parse_peer("sctp:1.2.3.4:5060", p));
  CHECK_FALSE(parse_peer("udp:::1:5060", p));
  CHECK_FALSE(parse_peer("udp:1.2.3.4:70000", p));
  CHECK_FALSE(parse_peer("udp:1.2.3.4", p));
}

TEST_CASE("layer counters: requests and responses by method and class, retransmissions both ways, bad input") {
  transaction_layer layer;
  const time_point t = time_point{} + std::chrono::hours(1);
  // Server side: a request, its retransmission (absorbed, the 200 resent), a bad one.
  layer.receive(request_text("z9hG4bK.s1"), udp_peer(), t);
  auto in = drain(layer);
  REQUIRE(in.size() == 1);
  REQUIRE(layer.respond(in[0].txn, parsed(response_text(in[0].msg, 200)), t));
  layer.receive(request_text("z9hG4bK.s1"), udp_peer(), t + milliseconds(500));
  std::string no_call_id = request_text("z9hG4bK.s2");
  no_call_id.erase(no_call_id.find("Call-ID"), no_call_id.find("CSeq") - no_call_id.find("Call-ID"));
  layer.receive(no_call_id, udp_peer(), t);  // answered 400 statelessly
  drain(layer);
  // Client side: a request retransmitted once on Timer E, then its 200 twice.
  sm::message req = parsed(request_text("z9hG4bK.c1", "NOTIFY", "192.0.2.1:5060"));
  layer.send_request(req, udp_peer("192.0.2.20"), t);
  layer.advance(t + milliseconds(500));
  layer.receive(response_text(req, 200), udp_peer("192.0.2.20"), t + milliseconds(600));
  layer.receive(response_text(req, 200), udp_peer("192.0.2.20"), t + milliseconds(700));
  drain(layer);
  const layer_counters& c = layer.counters();
  CHECK(c.requests_in == std::vector<std::pair<std::string, std::uint64_t>>{{"MESSAGE", 2}});
  CHECK(c.requests_out == std::vector<std::pair<std::string, std::uint64_t>>{{"NOTIFY", 1}});
  CHECK(c.responses_out[2] == 1);
  CHECK(c.responses_out[4] == 1);  // the stateless 400
  CHECK(c.responses_in[2] == 2);
  CHECK(c.retransmissions_out == 2);  // the NOTIFY on Timer E, the 200 to the MESSAGE again
  CHECK(c.retransmissions_in == 2);   // the MESSAGE again, the 200 again
  CHECK(c.bad_messages == 1);
}
