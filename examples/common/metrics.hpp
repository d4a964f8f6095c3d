// --metrics tcp:HOST:PORT: the stack's counters in the Prometheus text format
// (version 0.0.4) on GET /metrics, from the runtime's transaction layer and the event
// agent's snapshot. One request per connection; anything else gets 404.
#pragma once
#include <asio.hpp>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "sipevents/agent/event_agent.hpp"
#include "sipevents/transport/runtime.hpp"

namespace tools {

/// A label value with \, " and newlines escaped.
inline std::string label(std::string_view v) {
  std::string o;
  for (char c : v) {
    if (c == '\\' || c == '"') o.push_back('\\');
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o.push_back(c);
  }
  return o;
}

/// The exposition text. `extra` adds lines of the caller's own (gauges it keeps).
inline std::string prometheus_text(sipevents::transport::runtime& rt, const sipevents::agent::event_agent& agent,
                                   const std::function<void(std::string&)>& extra = {}) {
  const auto& c = rt.layer().counters();
  std::string o;
  auto head = [&](const char* name, const char* type, const char* help) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto one = [&](const char* name, const char* type, const char* help, std::uint64_t v) {
    head(name, type, help);
    o += std::string(name) + " " + std::to_string(v) + "\n";
  };
  auto labelled = [&](const char* name, const char* key, std::string_view value, std::uint64_t v) {
    o += std::string(name) + "{" + key + "=\"" + label(value) + "\"} " + std::to_string(v) + "\n";
  };
  head("sipevents_requests_received_total", "counter", "SIP requests received, retransmissions included.");
  for (const auto& [m, n] : c.requests_in) labelled("sipevents_requests_received_total", "method", m, n);
  head("sipevents_requests_sent_total", "counter", "SIP requests sent (first sends).");
  for (const auto& [m, n] : c.requests_out) labelled("sipevents_requests_sent_total", "method", m, n);
  head("sipevents_responses_received_total", "counter", "SIP responses received, by class.");
  for (int k = 1; k <= 6; ++k)
    labelled("sipevents_responses_received_total", "class", std::to_string(k) + "xx", c.responses_in[std::size_t(k)]);
  head("sipevents_responses_sent_total", "counter", "SIP responses sent, by class (first sends).");
  for (int k = 1; k <= 6; ++k)
    labelled("sipevents_responses_sent_total", "class", std::to_string(k) + "xx", c.responses_out[std::size_t(k)]);
  one("sipevents_retransmissions_sent_total", "counter", "Requests resent on their timer, responses resent.",
      c.retransmissions_out);
  one("sipevents_retransmissions_received_total", "counter", "Requests and responses received again and absorbed.",
      c.retransmissions_in);
  one("sipevents_bad_messages_total", "counter", "Messages dropped or answered statelessly as malformed.",
      c.bad_messages);
  one("sipevents_overloaded_total", "counter", "Requests answered 503 because the transaction limit was reached.",
      c.overloaded);
  head("sipevents_transactions", "gauge", "Live transactions.");
  labelled("sipevents_transactions", "side", "client", rt.layer().client_count());
  labelled("sipevents_transactions", "side", "server", rt.layer().server_count());
  const sipevents::agent::agent_stats s = agent.stats();
  head("sipevents_subscriptions", "gauge", "Subscriptions the notifier serves, by Event package.");
  for (const auto& [p, n] : s.subscriptions) labelled("sipevents_subscriptions", "package", p, n);
  one("sipevents_client_subscriptions", "gauge", "Subscriptions this process holds as a subscriber.",
      s.client_subscriptions);
  one("sipevents_publications", "gauge", "Publications held by the event state compositor.", s.publications);
  one("sipevents_notifies_sent_total", "counter", "NOTIFYs sent by the notifier.", s.notifies_sent);
  one("sipevents_notifies_answered_total", "counter", "NOTIFYs answered 2xx.", s.notifies_answered);
  one("sipevents_notifies_failed_total", "counter", "NOTIFYs answered with an error or not at all.",
      s.notifies_failed);
  one("sipevents_notifies_suppressed_total", "counter",
      "Refreshes answered 204 (RFC 5839): the watcher had the state, no NOTIFY was sent.", s.notifies_suppressed);
  one("sipevents_notify_bodies_suppressed_total", "counter",
      "NOTIFYs of new subscriptions sent without a body (RFC 5839 Suppress-If-Match).", s.bodies_suppressed);
  one("sipevents_notify_changes_merged_total", "counter",
      "State changes sent in a later NOTIFY, not one of their own (RFC 6446 rate control, package pacing).",
      s.changes_merged);
  one("sipevents_notifies_forced_total", "counter",
      "NOTIFYs sent because a watcher's min-rate or adaptive-min-rate was due (RFC 6446).", s.notifies_forced);
  const sipevents::transport::runtime_stats& r = rt.stats();
  head("sipevents_auth_total", "counter", "Requests the digest authenticator passed or answered, by outcome.");
  labelled("sipevents_auth_total", "outcome", "accepted", r.auth_accepted);
  labelled("sipevents_auth_total", "outcome", "challenged", r.auth_challenged);
  labelled("sipevents_auth_total", "outcome", "refused", r.auth_refused);
  one("sipevents_store_commit_failures_total", "counter", "Store commits that failed (retried later).",
      r.store_commit_failures);
  one("sipevents_store_records_total", "counter", "Records the store committed.", r.store_records);
  head("sipevents_store_commit_seconds", "histogram", "Time from a store commit's start to its end.");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < r.store_latency.size(); ++b) {
    cumulative += r.store_latency[b];
    char le[32];
    if (b < r.latency_bounds.size()) std::snprintf(le, sizeof le, "%g", r.latency_bounds[b]);
    else std::snprintf(le, sizeof le, "+Inf");
    o += std::string("sipevents_store_commit_seconds_bucket{le=\"") + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  char sum[64];
  std::snprintf(sum, sizeof sum, "%.9g", r.store_latency_sum);
  o += std::string("sipevents_store_commit_seconds_sum ") + sum + "\n";
  o += "sipevents_store_commit_seconds_count " + std::to_string(cumulative) + "\n";
  if (extra) extra(o);
  return o;
}

/// Serves `text()` on GET /metrics at the TCP endpoint.
class metrics_server {
 public:
  metrics_server(asio::io_context& io, std::function<std::string()> text) : acceptor_(io), text_(std::move(text)) {}

  std::error_code listen(const std::string& host, std::uint16_t port) {
    std::error_code ec;
    const asio::ip::address a = asio::ip::make_address(host, ec);
    if (ec) return ec;
    asio::ip::tcp::endpoint ep(a, port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(16, ec);
    if (!ec) accept();
    return ec;
  }
  std::uint16_t port() const {
    std::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }

 private:
  struct conn {
    explicit conn(asio::ip::tcp::socket sock) : s(std::move(sock)) {}
    asio::ip::tcp::socket s;
    asio::streambuf in{8192};  // a request line and a few headers, no more
    std::string out;
  };
  void accept() {
    acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) serve(std::make_shared<conn>(std::move(s)));
      accept();
    });
  }
  void serve(std::shared_ptr<conn> c) {
    asio::async_read_until(c->s, c->in, "\r\n\r\n", [this, c](std::error_code ec, std::size_t) {
      if (ec) return;  // too long, or closed: dropped
      std::string head(asio::buffers_begin(c->in.data()), asio::buffers_end(c->in.data()));
      const bool ok = head.rfind("GET /metrics ", 0) == 0 || head.rfind("GET /metrics?", 0) == 0;
      const std::string body = ok ? text_() : "not found\n";
      c->out = std::string(ok ? "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                              : "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n") +
               "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      asio::async_write(c->s, asio::buffer(c->out), [c](std::error_code, std::size_t) {
        std::error_code ignored;
        c->s.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      });
    });
  }
  asio::ip::tcp::acceptor acceptor_;
  std::function<std::string()> text_;
};

}  // namespace tools
