#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/transport/runtime.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace sipevents::transport {
namespace sm = sipevents::message;
using transaction::output;

namespace {
// What we send is checked by parsing it back, but the incoming size limit guards
// against peers, not against ourselves: a list NOTIFY of 200 presence documents
// (RFC 4662) outgrows 64 KiB and goes over a stream. Our own messages are bounded
// by the body limit instead.
sipevents::message::parse_limits outgoing_limits(sipevents::message::parse_limits l) {
  l.max_message_size = std::max(l.max_message_size, l.max_header_block + l.max_body);
  return l;
}

bool is_v6_host(std::string_view h) { return h.find(':') != std::string_view::npos; }
/// Puts header lines (each ending in CRLF) right after the start line of `text`.
void insert_headers(std::string& text, std::string_view lines) {
  std::size_t eol = text.find("\r\n");
  text.insert(eol == std::string::npos ? text.size() : eol + 2, lines);
}
}  // namespace

SIPEVENTS_INLINE runtime::runtime(asio::io_context& io, runtime_config cfg)
    : io_(io), cfg_(std::move(cfg)), layer_(cfg_.layer), timer_(io_) {
  init();
}

SIPEVENTS_INLINE runtime::runtime(runtime_config cfg)
    : own_io_(std::make_unique<asio::io_context>(1)), io_(*own_io_), cfg_(std::move(cfg)), layer_(cfg_.layer),
      timer_(io_) {
  init();
}

SIPEVENTS_INLINE runtime::~runtime() {
  *alive_ = false;
  timer_.cancel();
  transports_.reset();
}

SIPEVENTS_INLINE void runtime::init() {
  transports_ = std::make_unique<transport_set>(
      io_, cfg_.transport, [this](std::string_view b, const peer& from) { on_bytes(b, from); },
      [this](const peer& to, std::error_code, std::string_view detail) {
        log(log_level::warning, fmt::format("transport error to {}: {}", transaction::to_string(to), detail));
        failed_peer_ = to;
        failed_why_ = detail;
        layer_.transport_error(to, transaction::clock::now());
        pump();
        failed_why_.clear();
      });
  transports_->set_notice([this](std::string_view text) { log(log_level::warning, text); });
  transports_->set_on_connection([this] { rearm(); });
  on_request("OPTIONS", [this](incoming_request& r) { answer_options(r); });
}

SIPEVENTS_INLINE void runtime::log(log_level l, std::string_view text) const {
  if (logs(l)) log_(l, text);
}

SIPEVENTS_INLINE std::error_code runtime::listen(std::string_view address, peer* bound) {
  peer p;
  if (!transaction::parse_peer(address, p)) return std::make_error_code(std::errc::invalid_argument);
  std::error_code ec = transports_->listen(p);
  if (!ec) {
    log(log_level::info, fmt::format("listening on {}", transaction::to_string(p)));
    if (bound) *bound = p;
  }
  return ec;
}

SIPEVENTS_INLINE void runtime::on_request(std::string method, request_handler h) { handlers_[std::move(method)] = std::move(h); }

SIPEVENTS_INLINE void runtime::on_bytes(std::string_view bytes, const peer& from) {
  layer_.receive(bytes, from, transaction::clock::now());
  pump();
}

SIPEVENTS_INLINE void runtime::send_request(const sm::message_builder& request, const peer& dest, result_handler done,
                           std::function<void(const sm::message&)> provisional) {
  if (holding()) {
    // Behind the responses this turn holds (a NOTIFY must not overtake the 200 of
    // its SUBSCRIBE, and its CSeq reservation is committed first).
    held_.push_back({0, {}, [this, request, dest, done = std::move(done), provisional = std::move(provisional)] {
                       send_request(request, dest, done, provisional);
                     }, turn_});
    return;
  }
  pending p;
  p.done = std::move(done);
  p.provisional = std::move(provisional);
  p.dest = dest;
  start(request.text(), dest, std::move(p), false, !request.has("User-Agent"));
}

SIPEVENTS_INLINE void runtime::start(std::string text, const peer& dest, pending p, bool resend, bool add_user_agent) {
  auto fail_async = [this, done = p.done](std::string why) {
    log(log_level::warning, why);
    std::weak_ptr<bool> alive = alive_;
    asio::post(io_, [done, why, alive] {
      if (alive.expired()) return;
      request_result r;
      r.error = why;
      done(r);
    });
  };
  peer to = dest;
  bool v6 = is_v6_host(to.host);
  // RFC 3261 18.1.1: leave room for the Via we add; large requests must not fragment.
  if (to.transport == transport_kind::udp && text.size() + 120 > cfg_.udp_max_request) {
    if (!transports_->has(transport_kind::tcp, v6)) {
      fail_async(fmt::format("request of {} bytes exceeds {} for UDP and no TCP transport is listening",
                             text.size(), cfg_.udp_max_request));
      return;
    }
    to.transport = transport_kind::tcp;
  }
  const peer* local = transports_->local(to.transport, v6);
  // A UA that connects out over TLS need not accept TLS itself: its Via names another
  // of its addresses, and the answers come back over the connection (18.2.2). The
  // alias parameter (RFC 5923) asks the server to send its own requests for that
  // address (a NOTIFY to our Contact) over this connection too, as Kamailio does with
  // tcp_accept_aliases: nothing of ours listens for TLS there.
  bool alias = false;
  if (!local && to.transport == transport_kind::tls) {
    local = transports_->local(transport_kind::tcp, v6);
    if (!local) local = transports_->local(transport_kind::udp, v6);
    alias = local != nullptr;
  }
  if (!local) {
    fail_async(fmt::format("no {} transport for {}", transaction::to_string(to.transport), to.host));
    return;
  }
  std::string via = fmt::format("Via: SIP/2.0/{} {}{}{}:{};branch={};rport{}\r\n", transaction::via_token(to.transport),
                                v6 ? "[" : "", local->host, v6 ? "]" : "", local->port, layer_.new_branch(),
                                alias ? ";alias" : "");
  if (!cfg_.user_agent.empty() && add_user_agent) via += "User-Agent: " + cfg_.user_agent + "\r\n";
  insert_headers(text, via);
  sm::message m;
  if (sm::codec_error e = sm::parse_framed(text, m, outgoing_limits(cfg_.layer.limits))) {
    fail_async("request does not parse: " + e.reason());
    return;
  }
  if (client_auth_) {
    // A realm this next hop challenged before: answer its last nonce up front.
    std::string lines = resend ? std::string() : client_auth_->ahead(m, transaction::to_string(dest), p.attempt);
    if (!lines.empty()) {
      text.insert(text.find("\r\n") + 2 + via.size(), lines);
      if (sm::codec_error e = sm::parse_framed(text, m, outgoing_limits(cfg_.layer.limits))) {
        fail_async("request does not parse: " + e.reason());
        return;
      }
    }
    p.sent = m;
  }
  p.cseq = m.cseq().seq;
  if (logs(log_level::debug))
    log(log_level::debug, fmt::format("send {} {} to {}", m.method_text(), m.request_uri().text, transaction::to_string(to)));
  transaction::txn_id id = layer_.send_request(std::move(m), to, transaction::clock::now());
  pending_[id] = std::move(p);
  pump();
}

SIPEVENTS_INLINE bool runtime::resend_challenged(pending& p, const sm::message& challenge) {
  std::optional<std::string> lines =
      client_auth_->on_challenge(*p.sent, challenge, transaction::to_string(p.dest), p.attempt);
  if (!lines) return false;
  // The same request with the next CSeq, our answers, and (from start) a new branch.
  const sm::message& s = *p.sent;
  auto b = sm::message_builder::request(s.method_text(), s.request_uri().text);
  bool top_via = true;
  for (const sm::header_field& h : s.headers()) {
    switch (h.id) {
      case sm::hdr::via:
        if (top_via) {
          top_via = false;
          continue;
        }
        break;
      case sm::hdr::authorization: case sm::hdr::proxy_authorization: case sm::hdr::content_length:
        continue;
      case sm::hdr::cseq:
        b.header(sm::hdr::cseq, fmt::format("{} {}", s.cseq().seq + 1, s.cseq().method_text));
        continue;
      default:
        break;
    }
    b.header(h.id == sm::hdr::unknown ? h.name : sm::canonical_name(h.id), h.value);
  }
  b.body({}, s.body());
  std::string text = b.text();
  insert_headers(text, *lines);
  if (logs(log_level::debug))
    log(log_level::debug, fmt::format("{} {}: {} challenge answered", s.method_text(), s.request_uri().text,
                                    challenge.status()));
  peer dest = p.dest;
  start(std::move(text), dest, std::move(p), true, false);
  return true;
}

SIPEVENTS_INLINE bool runtime::finish(const sm::message_builder& response, sm::message& m) const {
  std::string text = response.text();
  // Server names us on every response the application did not name itself.
  if (!cfg_.user_agent.empty() && !response.has("Server"))
    insert_headers(text, "Server: " + cfg_.user_agent + "\r\n");
  if (sm::codec_error e = sm::parse_framed(text, m, outgoing_limits(cfg_.layer.limits))) {
    log(log_level::error, "response does not parse: " + e.reason());
    return false;
  }
  return true;
}

SIPEVENTS_INLINE bool runtime::respond(const incoming_request& req, const sm::message_builder& response) {
  sm::message m;
  if (!finish(response, m)) return false;
  if (holding()) {
    // What this turn wrote is not durable yet: the answer waits for the commit.
    held_.push_back({req.txn, std::move(m), {}, turn_});
    return true;
  }
  return send_response(req.txn, m);
}

SIPEVENTS_INLINE bool runtime::send_response(transaction::txn_id txn, const sm::message& m) {
  bool ok = layer_.respond(txn, m, transaction::clock::now());
  pump();
  return ok;
}

SIPEVENTS_INLINE store::clock_pair clocks_now() {
  return {transaction::clock::now(), std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()};
}

SIPEVENTS_INLINE void runtime::set_store(store::journal* j, store::state_store* s, store_policy p) {
  if (journal_) journal_->on_first({});
  journal_ = s ? j : nullptr;
  store_ = j ? s : nullptr;
  store_policy_ = std::move(p);
  if (!journal_) return;
  journal_->on_first([this] {
    ++turn_;
    // Once per turn; while the store fails, the retry timer commits instead.
    if (commit_posted_ || !store_healthy_) return;
    commit_posted_ = true;
    std::weak_ptr<bool> alive = alive_;
    asio::post(io_, [this, alive] {
      if (!alive.expired()) commit_store();
    });
  });
}

SIPEVENTS_INLINE bool runtime::flush_store() {
  if (!journal_) return true;
  commit_store();
  return store_healthy_ && !in_flight_;
}

SIPEVENTS_INLINE bool runtime::store_gated(const sm::message& m) const {
  std::string_view method = m.is_request() ? m.method_text() : m.cseq().method_text;
  return std::find(store_policy_.methods.begin(), store_policy_.methods.end(), method) != store_policy_.methods.end();
}

namespace {
/// The policy's answer in place of a 2xx whose state could not be stored (same
/// transaction headers).
sm::message unstored(const sm::message& ok, const store_policy& p, const sm::parse_limits& limits) {
  auto b = sm::message_builder::response(p.status, p.status == 503 ? "Service Unavailable: State Not Stored"
                                                                    : "Server Error: State Not Stored");
  for (const sm::header_field& h : ok.headers()) {
    switch (h.id) {
      case sm::hdr::via: case sm::hdr::from: case sm::hdr::to: case sm::hdr::call_id: case sm::hdr::cseq:
      case sm::hdr::server:
        b.header(sm::canonical_name(h.id), h.value);
        break;
      default:
        break;
    }
  }
  b.header(sm::hdr::retry_after, std::to_string(p.retry_after));
  sm::message m;
  (void)sm::parse_framed(b.text(), m, limits);
  return m;
}
}  // namespace

SIPEVENTS_INLINE void runtime::commit_store() {
  commit_posted_ = false;
  if (!journal_ || in_flight_) return;  // the commit in flight starts the next when it ends
  std::vector<store::entry> taken = journal_->take();
  const std::uint64_t covers = turn_;
  if (taken.empty()) {
    committed({}, {}, covers);
    return;
  }
  const store::clock_pair clocks = clocks_now();
  std::vector<store::stored> batch;
  batch.reserve(taken.size());
  for (const store::entry& e : taken) batch.push_back(store::to_stored(e, clocks));
  in_flight_ = true;
  std::weak_ptr<bool> alive = alive_;
  const auto started = transaction::clock::now();
  store_->commit_async(std::move(batch),
                       [this, alive, taken = std::move(taken), covers, started](std::error_code ec) mutable {
                         if (alive.expired()) return;
                         count_commit(ec, taken.size(), transaction::clock::now() - started);
                         committed(ec, std::move(taken), covers);
                       });
}

SIPEVENTS_INLINE void runtime::count_commit(std::error_code ec, std::size_t records,
                                           transaction::clock::duration took) {
  ++(ec ? stats_.store_commit_failures : stats_.store_commits);
  if (!ec) stats_.store_records += records;
  const double s = std::chrono::duration<double>(took).count();
  stats_.store_latency_sum += s;
  std::size_t b = 0;
  while (b < runtime_stats::latency_bounds.size() && s > runtime_stats::latency_bounds[b]) ++b;
  ++stats_.store_latency[b];
}

SIPEVENTS_INLINE void runtime::committed(std::error_code ec, std::vector<store::entry> taken, std::uint64_t covers) {
  in_flight_ = false;
  const auto now = transaction::clock::now();
  if (ec) {
    const std::size_t n = taken.size();
    journal_->restore(std::move(taken));
    ++store_failures_;
    if (store_healthy_ || now - store_logged_at_ >= store_policy_.retry_interval) {
      log(log_level::error, fmt::format("store: {} records not stored ({} failed commits): {}; answering {} "
                                        "to {} until it can be written",
                                        n, store_failures_, store_->last_error(), store_policy_.status,
                                        transaction::join(store_policy_.methods)));
      store_logged_at_ = now;
      store_failures_ = 0;
    }
    store_healthy_ = false;
    store_retry_at_ = now + store_policy_.retry_interval;
    // Every held 2xx, not only those this commit covered: a later turn's records
    // wait in the journal for the retry, and everything held leaves now.
    for (held_response& h : held_)
      if (!h.request && h.msg.status() >= 200 && h.msg.status() < 300 && store_gated(h.msg))
        h.msg = unstored(h.msg, store_policy_, cfg_.layer.limits);
  } else if (!store_healthy_) {
    store_healthy_ = true;
    store_retry_at_ = transaction::time_point::max();
    log(log_level::warning, fmt::format("store: writable again ({} records stored)", taken.size()));
  }
  // What waited for this commit leaves, in the order it was made; while the store
  // fails, everything does (nothing is held then).
  std::weak_ptr<bool> alive = alive_;
  while (!held_.empty() && (held_.front().turn <= covers || !store_healthy_)) {
    held_response h = std::move(held_.front());
    held_.pop_front();
    releasing_ = true;
    if (h.request) h.request();
    else send_response(h.txn, h.msg);
    if (alive.expired()) return;
    releasing_ = false;
  }
  // Turns that wrote while this commit was in flight go in the next.
  if (store_healthy_ && !journal_->empty() && !commit_posted_) {
    commit_posted_ = true;
    asio::post(io_, [this, alive] {
      if (!alive.expired()) commit_store();
    });
  } else if (!held_.empty() && !commit_posted_ && !in_flight_) {
    // Held behind a turn that wrote nothing after all (its entries coalesced away).
    committed({}, {}, turn_);
    return;
  }
  rearm();
}

SIPEVENTS_INLINE bool runtime::respond(const incoming_request& req, std::uint16_t status, std::string_view reason) {
  return respond(req, sm::message_builder::response_to(req.msg, status, reason, req.to_tag));
}

SIPEVENTS_INLINE bool runtime::authenticate(incoming_request& r) {
  const auth::auth_mode mode = server_auth_->mode_for(r.msg);
  if (mode == auth::auth_mode::none) return true;
  auth::verdict v = server_auth_->verify(r.msg, mode, auth::wall_clock::now());
  if (v.what == auth::verdict::kind::ok) {
    ++stats_.auth_accepted;
    const std::string& realm = server_auth_->config().realm;
    std::string aor = v.user.find('@') != std::string::npos ? "sip:" + v.user : "sip:" + v.user + "@" + realm;
    sm::uri u;
    r.identity = sm::parse_uri(aor, u) ? aor : sm::address_of_record(u);
    if (logs(log_level::debug))
      log(log_level::debug, fmt::format("auth: {} from {} is {} ({})", r.msg.method_text(), transaction::to_string(r.from),
                                      r.identity, sm::to_string(v.algorithm)));
    return true;
  }
  ++(v.failed ? stats_.auth_refused : stats_.auth_challenged);
  // A first request without credentials is the usual start of the exchange; failed
  // credentials (wrong password, unknown user, replay, bad syntax) are warnings.
  if (const log_level l = v.failed ? log_level::warning : log_level::info; logs(l))
    log(l, fmt::format("auth: {} {} from {} refused with {}: {}", r.msg.method_text(), r.msg.request_uri().text,
                  transaction::to_string(r.from), v.status, v.why));
  auto b = sm::message_builder::response_to(r.msg, v.status, v.reason, r.to_tag);
  auth::digest_server::add_challenges(b, v);
  // A challenge is answered statelessly (RFC 3261 8.2.7): no transaction waits out
  // Timer J for it, which halves what an authenticating server holds under load. A
  // lost 401 is a retransmitted request, challenged again.
  sm::message m;
  if (finish(b, m)) layer_.respond_and_forget(r.txn, m);
  return false;
}

SIPEVENTS_INLINE std::string runtime::allowed_methods() const {
  std::vector<std::string> m;
  for (const auto& [meth, h] : handlers_) m.push_back(meth);
  return transaction::join(m);
}

SIPEVENTS_INLINE void runtime::answer_options(incoming_request& r) {
  auto b = sm::message_builder::response_to(r.msg, 200, "OK", r.to_tag);
  b.header(sm::hdr::allow, allowed_methods());
  if (!cfg_.allow_events.empty()) b.header(sm::hdr::allow_events, transaction::join(cfg_.allow_events));
  if (!cfg_.accept.empty()) b.header(sm::hdr::accept, transaction::join(cfg_.accept));
  respond(r, b);
}

SIPEVENTS_INLINE void runtime::pump() {
  if (pumping_) return;  // a callback called back in; the outer loop drains
  pumping_ = true;
  std::weak_ptr<bool> alive = alive_;
  output o;
  while (layer_.poll(o)) {
    switch (o.what) {
      case output::kind::send:
        transports_->send(o.where, std::move(o.bytes));
        break;
      case output::kind::request: {
        incoming_request r{o.txn, std::move(o.msg), o.where, layer_.random_token(10), {}};
        if (logs(log_level::info))
          log(log_level::info, fmt::format("{} {} from {}", r.msg.method_text(), r.msg.request_uri().text,
                                         transaction::to_string(o.where)));
        if (server_auth_ && !authenticate(r)) break;
        if (!store_healthy_ && store_gated(r.msg)) {
          // What this request would change cannot be stored now.
          auto b = sm::message_builder::response_to(
              r.msg, store_policy_.status,
              store_policy_.status == 503 ? "Service Unavailable: State Not Stored" : "Server Error: State Not Stored",
              r.to_tag);
          b.header(sm::hdr::retry_after, std::to_string(store_policy_.retry_after));
          pumping_ = false;
          respond(r, b);
          pumping_ = true;
          break;
        }
        auto h = handlers_.find(std::string(r.msg.method_text()));
        if (h != handlers_.end()) {
          h->second(r);
        } else {
          auto b = sm::message_builder::response_to(r.msg, 405, "Method Not Allowed", r.to_tag);
          b.header(sm::hdr::allow, allowed_methods());
          pumping_ = false;
          respond(r, b);
          pumping_ = true;
        }
        break;
      }
      case output::kind::response: {
        auto it = pending_.find(o.txn);
        if (it == pending_.end()) break;
        if (o.msg.status() < 200) {
          if (it->second.provisional) it->second.provisional(o.msg);
          break;
        }
        pending p = std::move(it->second);
        pending_.erase(it);
        if (client_auth_ && p.sent) {
          const std::uint16_t st = o.msg.status();
          if ((st == 401 || st == 407) && resend_challenged(p, o.msg)) break;
          client_auth_->on_final(o.msg, p.attempt);
        }
        request_result r;
        r.status = o.msg.status();
        r.reason = std::string(o.msg.reason());
        r.cseq = p.cseq;
        r.response = std::move(o.msg);
        if (p.done) p.done(r);
        break;
      }
      case output::kind::client_failure: {
        auto it = pending_.find(o.txn);
        if (it == pending_.end()) break;
        pending p = std::move(it->second);
        pending_.erase(it);
        request_result r;
        r.status = o.status;
        r.reason = o.status == 408 ? "Request Timeout" : "Service Unavailable";
        r.cseq = p.cseq;
        if (o.status != 408 && !failed_why_.empty() && o.where == failed_peer_) r.error = failed_why_;
        if (p.done) p.done(r);
        break;
      }
      case output::kind::server_failure:
        log(log_level::warning, fmt::format("response to {} could not be sent", transaction::to_string(o.where)));
        break;
      case output::kind::stray:
        if (logs(log_level::debug))
          log(log_level::debug, fmt::format("stray message from {}", transaction::to_string(o.where)));
        break;
    }
    if (alive.expired()) return;
  }
  pumping_ = false;
  rearm();
}

SIPEVENTS_INLINE void runtime::add_timed(timed& t) {
  timed_.push_back(&t);
  rearm();
}

SIPEVENTS_INLINE void runtime::remove_timed(timed& t) { std::erase(timed_, &t); }

SIPEVENTS_INLINE void runtime::rearm() {
  transaction::time_point next = std::min(layer_.next_deadline(), store_retry_at_);
  for (const timed* t : timed_) next = std::min(next, t->next_deadline());
  if (transports_->connection_count() > 0) {
    auto sweep_at = transaction::clock::now() + std::chrono::seconds(1);
    if (sweep_at < next) next = sweep_at;
  }
  auto now = transaction::clock::now();
  if (next == transaction::time_point::max()) return;
  if (cfg_.timer_slack.count() > 0 && next - now < std::chrono::hours(24 * 365)) {
    // Round up to the slack grid: every deadline in one grid cell shares a wake-up.
    auto slack = std::chrono::duration_cast<transaction::clock::duration>(cfg_.timer_slack);
    auto since = next.time_since_epoch();
    next = transaction::time_point(((since + slack - transaction::clock::duration(1)) / slack) * slack);
  }
  // Re-arm only when the deadline moves earlier. An armed time that has passed is
  // about to fire and will advance everything due; re-arming it on each call while the
  // loop is busy cost a timerfd_settime per request (a third of a loaded notifier).
  if (armed_ != transaction::time_point::max() && armed_ <= next) return;
  armed_ = next;
  timer_.expires_at(next);
  std::weak_ptr<bool> alive = alive_;
  timer_.async_wait([this, alive](std::error_code ec) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    armed_ = transaction::time_point::max();
    auto now2 = transaction::clock::now();
    layer_.advance(now2);
    transports_->sweep(now2);
    pump();
    if (!store_healthy_ && now2 >= store_retry_at_) commit_store();
    if (alive.expired()) return;
    // A source may remove itself (or another) while it advances: walk a copy and
    // skip what is gone.
    std::vector<timed*> due = timed_;
    for (timed* t : due) {
      if (alive.expired()) return;
      if (std::find(timed_.begin(), timed_.end(), t) != timed_.end() && t->next_deadline() <= now2) t->advance(now2);
    }
    if (!alive.expired()) rearm();
  });
}

}  // namespace sipevents::transport

SIPEVENTS_IMPL_END
