#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/agent/event_agent.hpp"

#include <fmt/format.h>

#include <type_traits>

namespace sipevents::agent {
namespace sm = sipevents::message;
namespace ev = sipevents::events;
using transaction::clock;
using transaction::peer;
using transaction::time_point;

SIPEVENTS_INLINE bool peer_from_uri(std::string_view text, peer& out) {
  sm::uri u;
  if (sm::parse_uri(text, u) || !u.is_sip()) return false;
  std::string host(u.host);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  asio::ip::address a;
  if (!transport::to_address(host, a)) return false;
  auto t = u.param("transport");
  out.transport = u.scheme == sm::uri::kind::sips ? transaction::transport_kind::tls : transaction::transport_kind::udp;
  if (t && !transaction::parse_transport(*t, out.transport)) return false;
  out.host = host;
  out.port = u.has_port ? u.port : transaction::is_secure(out.transport) ? 5061 : 5060;
  out.name.clear();
  return true;
}

SIPEVENTS_INLINE bool route_to(std::string_view uri, std::string_view flow, transport::runtime& rt, peer& out) {
  peer f;
  if (!flow.empty() && transaction::parse_peer(flow, f) && transaction::is_reliable(f.transport) &&
      (rt.connected(f) || transaction::is_websocket(f.transport))) {
    out = f;
    return true;
  }
  return peer_from_uri(uri, out);
}

SIPEVENTS_INLINE event_agent::event_agent(transport::runtime& rt, agent_config cfg, ev::server_hooks hooks)
    : rt_(rt),
      cfg_(std::move(cfg)),
      server_([&rt](std::size_t n) { return rt.layer().random_token(n); }, cfg_.server, std::move(hooks)) {
  rt_.on_request("SUBSCRIBE", [this](transport::incoming_request& r) {
    server_.on_subscribe(r.txn, r.msg, clock::now(), r.identity,
                         transaction::is_reliable(r.from.transport) ? transaction::to_string(r.from) : std::string());
    flush();
  });
  rt_.on_request("NOTIFY", [this](transport::incoming_request& r) {
    const time_point now = clock::now();
    for (auto& [id, slot] : clients_) {
      if (!slot.c->matches(r.msg)) continue;
      std::uint16_t st = slot.c->on_notify(r.msg, now);
      rt_.respond(r, st, st == 200 ? "OK" : st == 500 ? "Server Internal Error" : "Subscription Does Not Exist");
      flush();
      return;
    }
    if (const sm::event_header* ev = r.msg.event()) {
      if (auto u = unsolicited_.find(ev->package); u != unsolicited_.end()) {
        unsolicited_notify n;
        n.msg = &r.msg;
        n.package = ev->package;
        n.from = r.from;
        if (u->second.pkg && !r.msg.body().empty()) {
          if (const sm::media_type* ct = r.msg.content_type()) n.body = u->second.pkg->decode(*ct, r.msg.body());
          else n.body.error = "no Content-Type";
        }
        if (u->second.h(n)) {
          rt_.respond(r, 200, "OK");
          return;
        }
      }
    }
    rt_.respond(r, 481, "Subscription Does Not Exist");
  });
  rt_.add_timed(*this);
}

SIPEVENTS_INLINE event_agent::~event_agent() {
  *alive_ = false;
  rt_.remove_timed(*this);
}

SIPEVENTS_INLINE agent_stats event_agent::stats() const {
  agent_stats s = stats_;
  s.subscriptions = server_.by_package();
  s.client_subscriptions = clients_.size();
  s.publishers = publishers_.size();
  s.publications = esc_ ? esc_->size() : 0;
  s.notifies_suppressed = server_.suppressions().refreshes;
  s.bodies_suppressed = server_.suppressions().bodies;
  s.changes_merged = server_.rate_control().merged;
  s.notifies_forced = server_.rate_control().forced;
  return s;
}

SIPEVENTS_INLINE void event_agent::send(const ev::request_out& r, bool from_client,
                       std::function<void(const transport::request_result&)> done) {
  peer to;
  if (from_client && cfg_.outbound && (cfg_.outbound_in_dialog || !r.in_dialog)) {
    if (!cfg_.fallbacks.empty()) {
      send_failover(std::make_shared<const message::message_builder>(r.msg), 0, std::move(done));
      return;
    }
    to = *cfg_.outbound;
  } else if (!route_to(r.next_hop, r.flow, rt_, to)) {
    rt_.log(transport::log_level::warning, fmt::format("cannot route to {}: no numeric host", r.next_hop));
    transport::request_result fail;
    fail.status = 503;
    fail.error = "no route to " + r.next_hop;
    std::weak_ptr<bool> alive = alive_;
    asio::post(rt_.context(), [done, fail, alive] {
      if (!alive.expired()) done(fail);
    });
    return;
  }
  rt_.send_request(r.msg, to, std::move(done));
}

// RFC 3263 4.3: the targets in order, starting with the one that answered last; a
// transport error, 408 or 503 moves on while targets remain.
SIPEVENTS_INLINE void event_agent::send_failover(std::shared_ptr<const message::message_builder> msg,
                                                 std::size_t attempt,
                                                 std::function<void(const transport::request_result&)> done) {
  const std::size_t n = cfg_.fallbacks.size() + 1;
  const std::size_t index = (preferred_target_ + attempt) % n;
  const peer& to = index == 0 ? *cfg_.outbound : cfg_.fallbacks[index - 1];
  std::weak_ptr<bool> alive = alive_;
  rt_.send_request(*msg, to, [this, msg, attempt, index, n, alive, done = std::move(done)](
                                 const transport::request_result& res) {
    if (alive.expired()) return;
    const bool next = res.status == 0 || res.status == 408 || res.status == 503;
    if (next && attempt + 1 < n) {
      rt_.log(transport::log_level::info,
              fmt::format("{}: {}; trying the next target", transaction::to_string(index == 0 ? *cfg_.outbound
                                                                                               : cfg_.fallbacks[index - 1]),
                          res.status ? std::to_string(res.status) : res.error));
      send_failover(msg, attempt + 1, done);
      return;
    }
    if (!next) preferred_target_ = index;
    done(res);
  });
}

namespace {
bool finished(const ev::subscription_client& c) { return c.terminated(); }
bool finished(const ev::publication_client& c) { return c.done(); }
}  // namespace

// Subscription and publication clients are driven alike: what they want sent goes out
// with its answer fed back by key; everything else goes to the application's handler;
// a finished one is dropped. Returns false if a handler destroyed the agent.
template <class Slots>
bool event_agent::flush_slots(Slots& slots) {
  std::weak_ptr<bool> alive = alive_;
  std::vector<std::uint64_t> ids;
  for (const auto& [id, slot] : slots) ids.push_back(id);
  for (std::uint64_t id : ids) {
    auto it = slots.find(id);
    if (it == slots.end()) continue;
    auto& slot = it->second;
    typename std::remove_cvref_t<decltype(*slot.c)>::event_type e;
    while (slot.c->poll(e)) {
      if (e.what == decltype(e.what)::send) {
        std::uint64_t key = e.request.key;
        send(e.request, true, [this, &slots, id, key, alive](const transport::request_result& res) {
          if (alive.expired()) return;
          auto found = slots.find(id);
          if (found == slots.end()) return;
          if (res.response) found->second.c->on_response(key, *res.response, clock::now());
          else found->second.c->on_failure(key, res.status ? res.status : 503, clock::now());
          flush();
        });
      } else {
        if (slot.h) {
          slot.h(id, e);
          if (alive.expired()) return false;
        }
        if constexpr (requires { slot.waiters; }) {
          // Completions are posted, so a waiter never calls back into the agent here.
          std::erase_if(slot.waiters, [&](auto& w) { return w(id, e); });
        }
      }
    }
    it = slots.find(id);
    if (it != slots.end() && finished(*it->second.c)) slots.erase(it);
  }
  return true;
}

SIPEVENTS_INLINE void event_agent::flush() {
  if (flushing_) return;  // a handler called back in; the outer loop drains
  flushing_ = true;
  std::weak_ptr<bool> alive = alive_;
  // While a fan-out continuation is queued it alone sends the rest: a 200 taken in
  // between must not send another slice, or the slices add up to the whole burst.
  std::size_t sent = resume_posted_ ? cfg_.notify_batch : 0;
  for (bool more = true; more;) {
    more = false;
    ev::server_event e;
    for (;;) {
      if (cfg_.notify_batch && sent >= cfg_.notify_batch && server_.pending()) {
        // Yield to the event loop: the rest of the fan-out continues after what is
        // already readable has been taken (the 200s to the NOTIFYs just sent).
        flushing_ = false;
        rt_.rearm();
        if (!resume_posted_) {
          resume_posted_ = true;
          asio::post(rt_.context(), [this, alive] {
            if (alive.expired()) return;
            resume_posted_ = false;
            flush();
          });
        }
        return;
      }
      if (!server_.poll(e)) break;
      more = true;
      if (e.what == ev::server_event::kind::send) ++sent;
      switch (e.what) {
        case ev::server_event::kind::respond: {
          transport::incoming_request r;
          r.txn = e.txn;
          rt_.respond(r, e.response);
          break;
        }
        case ev::server_event::kind::send: {
          std::uint64_t key = e.request.key;
          ++stats_.notifies_sent;
          send(e.request, false, [this, key, alive](const transport::request_result& res) {
            if (alive.expired()) return;
            ++(res.status >= 200 && res.status < 300 ? stats_.notifies_answered : stats_.notifies_failed);
            if (res.response) server_.on_response(key, *res.response, clock::now());
            else server_.on_failure(key, res.status ? res.status : 503, clock::now());
            flush();
          });
          break;
        }
        default:
          if (on_server_) on_server_(e);
          break;
      }
      if (alive.expired()) return;
    }
    if (esc_) {
      ev::publication_change c;
      while (esc_->poll(c)) {
        more = true;
        if (on_publication_) on_publication_(c);
        if (alive.expired()) return;
      }
    }
    if (!flush_slots(publishers_) || !flush_slots(clients_)) return;
  }
  flushing_ = false;
  rt_.rearm();
}

SIPEVENTS_INLINE std::uint64_t event_agent::restore(const store::subscription_record& r) {
  std::uint64_t id = server_.restore(r, clock::now());
  flush();
  return id;
}

SIPEVENTS_INLINE void event_agent::changed(std::string_view package, std::string_view resource) {
  server_.changed(package, resource, clock::now());
  flush();
}

SIPEVENTS_INLINE std::uint64_t event_agent::subscribe(ev::subscribe_params p, client_handler h, const ev::package* pkg) {
  std::uint64_t id = ++next_client_;
  client_slot& slot = clients_[id];
  slot.c = std::make_unique<ev::subscription_client>(
      std::move(p), [this](std::size_t n) { return rt_.layer().random_token(n); }, cfg_.client, pkg);
  slot.h = std::move(h);
  slot.c->start(clock::now());
  flush();
  return id;
}

SIPEVENTS_INLINE void event_agent::unsubscribe(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  it->second.c->unsubscribe(clock::now());
  flush();
}

SIPEVENTS_INLINE void event_agent::refresh(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  it->second.c->refresh(clock::now());
  flush();
}

SIPEVENTS_INLINE std::uint64_t event_agent::publish(ev::publish_params p, std::string content_type, std::string body,
                                                    publisher_handler h) {
  return publish(std::move(p), std::move(content_type), std::move(body), std::move(h), true);
}

SIPEVENTS_INLINE std::uint64_t event_agent::publish(ev::publish_params p, std::string content_type, std::string body,
                                                    publisher_handler h, bool flush_now) {
  std::uint64_t id = ++next_client_;
  publisher_slot& slot = publishers_[id];
  slot.c = std::make_unique<ev::publication_client>(std::move(p),
                                                    [this](std::size_t n) { return rt_.layer().random_token(n); });
  slot.h = std::move(h);
  slot.c->publish(std::move(content_type), std::move(body), clock::now());
  if (flush_now) flush();
  return id;
}

SIPEVENTS_INLINE void event_agent::republish(std::uint64_t id, std::string content_type, std::string body) {
  auto it = publishers_.find(id);
  if (it == publishers_.end()) return;
  it->second.c->publish(std::move(content_type), std::move(body), clock::now());
  flush();
}

SIPEVENTS_INLINE void event_agent::unpublish(std::uint64_t id) {
  auto it = publishers_.find(id);
  if (it == publishers_.end()) return;
  it->second.c->remove(clock::now());
  flush();
}

SIPEVENTS_INLINE void event_agent::serve_publications(ev::publication_server& esc, publication_handler h) {
  esc_ = &esc;
  on_publication_ = std::move(h);
  rt_.on_request("PUBLISH", [this](transport::incoming_request& r) {
    rt_.respond(r, esc_->on_publish(r.msg, clock::now(), r.identity));
    flush();
  });
}

SIPEVENTS_INLINE bool event_agent::restore(const store::publication_record& r) {
  if (!esc_) return false;
  bool ok = esc_->restore(r, clock::now());
  flush();
  return ok;
}

SIPEVENTS_INLINE time_point event_agent::next_deadline() const {
  time_point t = server_.next_deadline();
  for (const auto& [id, slot] : clients_) t = std::min(t, slot.c->next_deadline());
  for (const auto& [id, slot] : publishers_) t = std::min(t, slot.c->next_deadline());
  if (esc_) t = std::min(t, esc_->next_deadline());
  return t;
}

SIPEVENTS_INLINE void event_agent::advance(time_point now) {
  server_.advance(now);
  if (esc_) esc_->advance(now);
  for (auto& [id, slot] : clients_) slot.c->advance(now);
  for (auto& [id, slot] : publishers_) slot.c->advance(now);
  flush();
}

}  // namespace sipevents::agent

SIPEVENTS_IMPL_END
