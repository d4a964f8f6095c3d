#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/transaction/transaction_layer.hpp"

#include <random>

namespace sipevents::transaction {
namespace sm = sipevents::message;

namespace {

constexpr std::string_view k_cookie = "z9hG4bK";

bool has_cookie(std::string_view branch) { return branch.substr(0, k_cookie.size()) == k_cookie; }

std::string lower_ascii(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = char(c | 0x20);
  return r;
}

std::string strip_brackets(std::string_view h) {
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') return std::string(h.substr(1, h.size() - 2));
  return std::string(h);
}

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

SIPEVENTS_INLINE std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& i : items) out.append(out.empty() ? "" : sep).append(i);
  return out;
}

SIPEVENTS_INLINE std::string client_key(const sm::message& m) {
  const sm::via* v = m.top_via();
  std::string k(v ? v->branch : std::string_view{});
  k += '|';
  k += m.cseq().method_text;
  return k;
}

SIPEVENTS_INLINE std::string server_key(const sm::message& m) {
  const sm::via* v = m.top_via();
  std::string_view method = m.method_text();
  if (m.method_id() == sm::method::ACK) method = "INVITE";
  std::string k;
  if (v && has_cookie(v->branch)) {
    // 17.2.3: branch, sent-by and method. Branch comparison is case-sensitive.
    k.append(v->branch).append("|").append(lower_ascii(v->host)).append(":").append(std::to_string(v->port));
    k.append("|").append(method);
    return k;
  }
  // RFC 2543 fallback: Request-URI, tags, Call-ID, CSeq and the top Via.
  k.append("2543|").append(m.request_uri().text).append("|").append(m.to().tag).append("|");
  k.append(m.from().tag).append("|").append(m.call_id()).append("|").append(std::to_string(m.cseq().seq));
  k.append("|").append(method).append("|").append(v ? v->text : std::string_view{});
  return k;
}

SIPEVENTS_INLINE peer response_destination(const sm::message& req, const peer& source) {
  peer to = source;
  const sm::via* v = req.top_via();
  if (!v || is_reliable(source.transport)) return to;  // same connection (18.2.2)
  if (!v->maddr.empty()) {
    to.host = strip_brackets(v->maddr);
    to.port = v->has_port ? v->port : 5060;
    return to;
  }
  to.host = v->received.empty() ? strip_brackets(v->host) : strip_brackets(v->received);
  // RFC 3581: with rport the response goes back to the source port.
  to.port = v->rport_value ? *v->rport_value : (v->has_port ? v->port : 5060);
  return to;
}

SIPEVENTS_INLINE sm::codec_error stamp_received(sm::message& req, const peer& source) {
  const sm::via* v = req.top_via();
  if (!v) return {};
  bool need_received = strip_brackets(v->host) != source.host || v->rport;
  bool need_rport = v->rport && !v->rport_value;
  if (!need_received && !need_rport) return {};
  // Rebuild the via-parm: drop any received/rport we are about to set, then append.
  std::string_view pt = v->params.text();
  std::string text(pt.empty() ? v->text : v->text.substr(0, static_cast<std::size_t>(pt.data() - v->text.data())));
  for (const sm::param& p : v->params) {
    bool is_received = p.name.size() == 8 && lower_ascii(p.name) == "received";
    bool is_rport = p.name.size() == 5 && lower_ascii(p.name) == "rport";
    if ((is_received && need_received) || (is_rport && need_rport)) continue;
    text.append(";").append(p.name);
    if (p.has_value) text.append("=").append(p.value);
  }
  if (need_received) text.append(";received=").append(source.host);
  if (need_rport) text.append(";rport=").append(std::to_string(source.port));
  return req.replace(v->text, text);
}

SIPEVENTS_INLINE transaction_layer::transaction_layer(layer_config cfg) : cfg_(std::move(cfg)) {
  std::random_device rd;
  std::uint64_t seed = (std::uint64_t{rd()} << 32) ^ rd();
  rng_[0] = splitmix(seed);
  rng_[1] = splitmix(seed);
  key_seed_ = splitmix(seed);
}

SIPEVENTS_INLINE std::uint64_t transaction_layer::slot_of(std::string_view key) const noexcept {
  std::uint64_t h = std::hash<std::string_view>{}(key) ^ key_seed_;
  return splitmix(h);
}

SIPEVENTS_INLINE void transaction_layer::unindex(key_index& index, const std::string& key, txn_id id) {
  const std::uint64_t slot = slot_of(key);
  if (const txn_id* at = index.find(slot); at && *at == id) index.erase(slot);
}

SIPEVENTS_INLINE std::string transaction_layer::random_token(std::size_t n) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(n);
  while (s.size() < n) {
    std::uint64_t x = splitmix(rng_[0]) ^ rng_[1];
    for (int i = 0; i < 16 && s.size() < n; ++i, x >>= 4) s.push_back(hex[x & 15]);
  }
  return s;
}

SIPEVENTS_INLINE std::string transaction_layer::new_branch() { return std::string(k_cookie) + random_token(20); }

SIPEVENTS_INLINE output& transaction_layer::emit(output::kind what, txn_id id, const peer& where, sm::message* msg,
                                                std::uint16_t status) {
  // Outputs live in a ring of reused slots: a message is moved once in and once out,
  // and no slot is allocated per datagram.
  if (out_count_ == out_.size()) {
    std::vector<output> bigger(std::max<std::size_t>(8, out_.size() * 2));
    for (std::size_t i = 0; i < out_count_; ++i) bigger[i] = std::move(out_[(out_head_ + i) % out_.size()]);
    out_.swap(bigger);
    out_head_ = 0;
  }
  output& o = out_[(out_head_ + out_count_) % out_.size()];
  ++out_count_;
  o.what = what;
  o.txn = id;
  o.where = where;
  if (msg) o.msg = std::move(*msg);  // else empty: poll() moved the last one out
  o.bytes.clear();
  o.status = status;
  return o;
}

namespace {
void bump(std::vector<std::pair<std::string, std::uint64_t>>& by_method, std::string_view method) {
  for (auto& [m, n] : by_method)
    if (m == method) {
      ++n;
      return;
    }
  if (by_method.size() < 64) by_method.emplace_back(std::string(method), 1);  // bounded: junk methods share none
}
std::size_t response_class(std::uint16_t status) { return status >= 100 && status < 700 ? status / 100 : 0; }
}  // namespace

SIPEVENTS_INLINE void transaction_layer::count_response_out(std::string_view bytes) {
  // "SIP/2.0 NNN": the class is the 9th character.
  if (bytes.size() > 8 && bytes[8] >= '1' && bytes[8] <= '6') ++counters_.responses_out[std::size_t(bytes[8] - '0')];
}

SIPEVENTS_INLINE void transaction_layer::send(const peer& to, std::string bytes) {
  emit(output::kind::send, 0, to).bytes = std::move(bytes);
}

SIPEVENTS_INLINE void transaction_layer::schedule(txn_id id, time_point at) {
  if (at != time_point::max()) timers_.push({at, id});
}

SIPEVENTS_INLINE bool transaction_layer::poll(output& o) {
  if (out_count_ == 0) return false;
  o = std::move(out_[out_head_]);
  out_head_ = (out_head_ + 1) % out_.size();
  --out_count_;
  return true;
}

SIPEVENTS_INLINE time_point transaction_layer::next_deadline() const {
  // Drop heap entries a state change made stale, so the runtime never wakes for nothing.
  while (!timers_.empty()) {
    const timer_item t = timers_.top();
    time_point live = time_point::max();
    if (auto c = clients_.find(t.id); c != clients_.end()) live = c->second.fsm.deadline();
    else if (auto s = servers_.find(t.id); s != servers_.end()) live = s->second.fsm.deadline();
    if (live == t.at) return t.at;
    // Stale: every deadline change pushed its own entry through schedule().
    timers_.pop();
  }
  return time_point::max();
}

SIPEVENTS_INLINE void transaction_layer::receive(std::string_view bytes, const peer& from, time_point now) {
  sm::message m;
  sm::codec_error err = is_reliable(from.transport) ? sm::parse_framed(bytes, m, cfg_.limits)
                                                    : sm::parse_datagram(bytes, m, cfg_.limits);
  if (m.is_request() && m.can_respond() && m.top_via()) {
    // Stamp before answering, so even a stateless 400 is routed per 18.2.2.
    if (stamp_received(m, from)) return;
  }
  sm::verdict v = sm::check(m, err, cfg_.profile);
  if (v.what == sm::verdict::action::drop) {
    ++counters_.bad_messages;
    return;
  }
  if (v.what == sm::verdict::action::respond) {
    ++counters_.bad_messages;
    stateless_error(m, from, v);
    return;
  }
  if (m.is_request()) handle_request(std::move(m), from, now);
  else handle_response(std::move(m), from, now);
}

SIPEVENTS_INLINE void transaction_layer::stateless_error(const sm::message& m, const peer& from, const sm::verdict& v) {
  auto b = sm::message_builder::response_to(m, v.status, v.reason, random_token(10));
  if (!cfg_.server.empty()) b.header(sm::hdr::server, cfg_.server);
  if (v.status == 415 && !cfg_.profile.accepted_types.empty()) {
    b.header(sm::hdr::accept, join(cfg_.profile.accepted_types));
  }
  if (v.status == 420) {
    std::vector<std::string> uns;
    for (std::string_view tag : m.values(sm::hdr::require)) {
      bool ok = false;
      for (const auto& s : cfg_.profile.supported) ok = ok || lower_ascii(s) == lower_ascii(tag);
      if (!ok) uns.emplace_back(tag);
    }
    b.header(sm::hdr::unsupported, join(uns));
  }
  if (v.status == 405 || v.status == 501) {
    b.header(sm::hdr::allow, join(cfg_.profile.methods));
  }
  ++counters_.responses_out[response_class(v.status)];
  send(response_destination(m, from), b.text());
}

SIPEVENTS_INLINE void transaction_layer::respond_stateless(const sm::message& request, const peer& from, const sm::message& response) {
  ++counters_.responses_out[response_class(response.status())];
  send(response_destination(request, from), std::string(response.raw()));
}

SIPEVENTS_INLINE void transaction_layer::handle_request(sm::message&& m, const peer& from, time_point) {
  bump(counters_.requests_in, m.method_text());
  std::string key = server_key(m);
  const std::uint64_t slot = slot_of(key);
  const txn_id* known = server_keys_.find(slot);
  if (known) {
    if (auto s = servers_.find(*known); s != servers_.end() && s->second.key == key) {
      ++counters_.retransmissions_in;
      if (s->second.fsm.on_request() && !s->second.last_response.empty()) {
        ++counters_.retransmissions_out;
        send(s->second.reply_to, s->second.last_response);
      }
      return;
    }
  }
  if (m.method_id() == sm::method::ACK) {
    emit(output::kind::stray, 0, from, &m);
    return;
  }
  if (servers_.size() + clients_.size() >= cfg_.max_transactions) {
    auto b = sm::message_builder::response_to(m, 503, "Service Unavailable", random_token(10));
    b.header(sm::hdr::retry_after, "5");
    ++counters_.overloaded;
    ++counters_.responses_out[5];
    send(response_destination(m, from), b.text());
    return;
  }
  txn_id id = next_id_++;
  server_entry e{server_transaction(from.transport, cfg_.timers), std::move(key), {}, response_destination(m, from)};
  servers_.emplace(id, std::move(e));
  if (!known) server_keys_.try_emplace(slot, id);
  emit(output::kind::request, id, from, &m);
}

SIPEVENTS_INLINE void transaction_layer::handle_response(sm::message&& m, const peer& from, time_point now) {
  ++counters_.responses_in[response_class(m.status())];
  const std::string key = client_key(m);
  const txn_id* known = client_keys_.find(slot_of(key));
  auto ce = known ? clients_.find(*known) : clients_.end();
  if (ce == clients_.end() || ce->second.key != key) {
    emit(output::kind::stray, 0, from, &m);
    return;
  }
  const txn_id id = *known;
  client_entry& c = ce->second;
  if (!c.fsm.on_response(m.status(), now)) {  // a retransmitted final, absorbed
    ++counters_.retransmissions_in;
    return;
  }
  c.last_status = m.status();
  // Completed never resends the request: Timer K need not keep it (a notifier with
  // many watchers holds one such transaction per NOTIFY for T4).
  if (m.status() >= 200) std::string().swap(c.bytes);
  schedule(id, c.fsm.deadline());
  emit(output::kind::response, id, from, &m);
}

SIPEVENTS_INLINE txn_id transaction_layer::send_request(sm::message request, const peer& to, time_point now) {
  txn_id id = next_id_++;
  client_entry e{client_transaction(to.transport, cfg_.timers, now), client_key(request),
                 std::string(request.raw()), to, 0};
  client_keys_.assign(slot_of(e.key), id);
  schedule(id, e.fsm.deadline());
  bump(counters_.requests_out, request.method_text());
  send(to, e.bytes);
  clients_.emplace(id, std::move(e));
  return id;
}

SIPEVENTS_INLINE bool transaction_layer::respond(txn_id id, const sm::message& response, time_point now) {
  auto it = servers_.find(id);
  if (it == servers_.end()) return false;
  server_entry& s = it->second;
  if (!s.fsm.on_response(response.status(), now)) return false;
  s.last_response.assign(response.raw());
  ++counters_.responses_out[response_class(response.status())];
  send(s.reply_to, s.last_response);
  schedule(id, s.fsm.deadline());
  return true;
}

SIPEVENTS_INLINE bool transaction_layer::respond_and_forget(txn_id id, const sm::message& response) {
  auto it = servers_.find(id);
  if (it == servers_.end() || response.status() < 200 ||
      it->second.fsm.current() == server_transaction::state::completed)
    return false;
  ++counters_.responses_out[response_class(response.status())];
  send(it->second.reply_to, std::string(response.raw()));
  unindex(server_keys_, it->second.key, id);
  servers_.erase(it);
  return true;
}

SIPEVENTS_INLINE void transaction_layer::transport_error(const peer& to, time_point now) {
  (void)now;
  std::vector<txn_id> failed;
  for (auto& [id, c] : clients_)
    if (c.to == to && c.fsm.current() != client_transaction::state::terminated) failed.push_back(id);
  for (txn_id id : failed) {
    client_entry& c = clients_.at(id);
    bool had_final = c.fsm.current() == client_transaction::state::completed;
    c.fsm.on_transport_error();
    unindex(client_keys_, c.key, id);
    clients_.erase(id);
    if (had_final) continue;
    emit(output::kind::client_failure, id, to, nullptr, 503);
  }
  failed.clear();
  for (auto& [id, s] : servers_)
    if (s.reply_to == to) failed.push_back(id);
  for (txn_id id : failed) {
    server_entry& s = servers_.at(id);
    bool answered = s.fsm.current() == server_transaction::state::completed;
    unindex(server_keys_, s.key, id);
    servers_.erase(id);
    if (answered) continue;
    emit(output::kind::server_failure, id, to);
  }
}

SIPEVENTS_INLINE void transaction_layer::advance(time_point now) {
  while (!timers_.empty() && timers_.top().at <= now) {
    timer_item t = timers_.top();
    timers_.pop();
    if (auto c = clients_.find(t.id); c != clients_.end()) {
      client_entry& e = c->second;
      if (e.fsm.deadline() > now) continue;  // stale heap entry
      switch (e.fsm.on_timer(now)) {
        case client_transaction::timer_result::retransmit:
          ++counters_.retransmissions_out;
          send(e.to, e.bytes);
          schedule(t.id, e.fsm.deadline());
          break;
        case client_transaction::timer_result::timeout: {
          emit(output::kind::client_failure, t.id, e.to, nullptr, 408);
          unindex(client_keys_, e.key, t.id);
          clients_.erase(c);
          break;
        }
        case client_transaction::timer_result::terminated:
          unindex(client_keys_, e.key, t.id);
          clients_.erase(c);
          break;
        case client_transaction::timer_result::nothing:
          schedule(t.id, e.fsm.deadline());
          break;
      }
      continue;
    }
    if (auto s = servers_.find(t.id); s != servers_.end()) {
      if (s->second.fsm.deadline() > now) continue;
      s->second.fsm.on_timer(now);
      if (s->second.fsm.current() == server_transaction::state::terminated) {
        unindex(server_keys_, s->second.key, t.id);
        servers_.erase(s);
      }
    }
  }
}

}  // namespace sipevents::transaction

SIPEVENTS_IMPL_END
