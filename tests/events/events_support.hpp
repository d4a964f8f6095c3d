// Helpers for the sans-I/O dialog and event tests: a test package, deterministic
// tokens, and turning builders into the messages a peer would receive.
#pragma once
#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <fstream>
#include <sstream>
#include <map>
#include <string>
#include <vector>

#include "sipevents/events/subscription_client.hpp"
#include "sipevents/events/subscription_server.hpp"

namespace evtest {

namespace sm = sipevents::message;
namespace ev = sipevents::events;
using namespace std::chrono_literals;

inline const ev::time_point t0 = ev::time_point{} + std::chrono::hours(1000);

/// Tokens from a script first, then counted ones: tests know every tag and Call-ID.
struct tokens {
  std::deque<std::string> script;
  int n = 0;
  ev::token_source source() {
    return [this](std::size_t) {
      if (!script.empty()) {
        std::string s = script.front();
        script.pop_front();
        return s;
      }
      return "tok" + std::to_string(++n);
    };
  }
};

/// A package that writes "full:STATE" or "partial:STATE" and records what it was asked.
struct test_package : ev::package {
  std::string token = "presence";
  std::vector<std::string> types{"application/pidf+xml"};
  ev::expiry_policy policy{3600, 60, 7200};
  std::chrono::milliseconds interval{0};
  std::map<std::string, std::string> state_of;  // resource -> state
  std::vector<std::pair<std::uint64_t, bool>> asked;  // (watcher, first)
  std::vector<std::uint64_t> gone;

  std::string_view name() const override { return token; }
  std::vector<std::string> content_types() const override { return types; }
  ev::expiry_policy expires() const override { return policy; }
  std::chrono::milliseconds min_notify_interval() const override { return interval; }
  std::optional<ev::body> state(const ev::watcher_view& w) override {
    asked.emplace_back(w.id, w.first);
    return ev::body{std::string(w.content_type), (w.first ? "full:" : "partial:") + state_of[std::string(w.resource)]};
  }
  std::optional<ev::body> neutral_state(const ev::watcher_view& w) override {
    return ev::body{std::string(w.content_type), "neutral"};
  }
  void watcher_gone(std::uint64_t id) override { gone.push_back(id); }
};

inline int g_branch = 0;

/// What the peer receives for a request the state machine built: the builder's text
/// plus the Via a transport would add.
inline sm::message wire(const ev::request_out& r, const std::string& host = "192.0.2.1") {
  sm::message_builder b = r.msg;
  b.header(sm::hdr::via, "SIP/2.0/UDP " + host + ":5060;branch=z9hG4bK" + std::to_string(++g_branch));
  sm::message m;
  REQUIRE_FALSE(b.build(m));
  return m;
}

inline sm::message build(const sm::message_builder& b) {
  sm::message m;
  REQUIRE_FALSE(b.build(m));
  return m;
}

/// A response to `req` with `to_tag`, and extra headers.
inline sm::message answer(const sm::message& req, std::uint16_t status, std::string_view to_tag,
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
  auto b = sm::message_builder::response_to(req, status, status < 300 ? "OK" : "Error", to_tag);
  for (const auto& [n, v] : headers) b.header(n, v);
  return build(b);
}

template <class M, class E>
std::vector<E> drain(M& m) {
  std::vector<E> out;
  E e;
  while (m.poll(e)) out.push_back(std::move(e));
  return out;
}
inline std::vector<ev::client_event> drain(ev::subscription_client& c) { return drain<ev::subscription_client, ev::client_event>(c); }
inline std::vector<ev::server_event> drain(ev::subscription_server& s) { return drain<ev::subscription_server, ev::server_event>(s); }

template <class E>
std::vector<E> of_kind(const std::vector<E>& v, typename E::kind k) {
  std::vector<E> out;
  for (const auto& e : v)
    if (e.what == k) out.push_back(e);
  return out;
}

inline std::string header(const sm::message& m, std::string_view name) {
  const sm::header_field* h = m.find(name);
  return h ? std::string(h->value) : std::string();
}

#ifdef SIPEVENTS_SHARED_DIR
/// A file of ../shared/testdata/examples, whole.
inline std::string shared_example(const std::string& name) {
  std::ifstream in(std::string(SIPEVENTS_SHARED_DIR) + "/testdata/examples/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
#endif

/// alice's PUBLISH of `body` in package `event` (Expires 600, one CSeq).
inline sm::message publish_of(std::string_view event, std::string_view content_type, const std::string& body,
                              std::string_view call_id = "pub-1") {
  auto b = sm::message_builder::request("PUBLISH", "sip:alice@example.com");
  b.header("Via", "SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKp-" + std::string(call_id));
  b.header("From", "<sip:alice@example.com>;tag=p1");
  b.header("To", "<sip:alice@example.com>");
  b.header("Call-ID", call_id);
  b.header("CSeq", "1 PUBLISH");
  b.header("Event", event);
  b.header("Expires", "600");
  b.body(content_type, body);
  return build(b);
}

}  // namespace evtest
