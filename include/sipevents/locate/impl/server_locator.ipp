#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/locate/server_locator.hpp"

#include <algorithm>
#include <array>

#include "sipevents/message/uri.hpp"

namespace sipevents::locate {

using transaction::peer;
using transaction::transport_kind;

namespace {

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = char(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
  return o;
}

std::uint16_t default_port(transport_kind t) {
  switch (t) {
    case transport_kind::tls: return 5061;
    case transport_kind::ws: return 80;
    case transport_kind::wss: return 443;
    default: return 5060;
  }
}

bool numeric(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;  // an IPv6 reference
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

// RFC 3263 4.1 and RFC 7118 5: the NAPTR services a SIP client knows.
std::optional<transport_kind> service_transport(std::string_view service, bool& secure) {
  const std::string s = lower(service);
  secure = s.rfind("sips+", 0) == 0;
  if (s == "sip+d2u") return transport_kind::udp;
  if (s == "sip+d2t") return transport_kind::tcp;
  if (s == "sips+d2t") return transport_kind::tls;
  if (s == "sip+d2w") return transport_kind::ws;
  if (s == "sips+d2w") return transport_kind::wss;
  return std::nullopt;
}

std::string srv_name(transport_kind t, const std::string& host) {
  switch (t) {
    case transport_kind::udp: return "_sip._udp." + host;
    case transport_kind::tcp: return "_sip._tcp." + host;
    case transport_kind::tls: return "_sips._tcp." + host;
    default: return {};  // WebSocket has no SRV of its own: reached through NAPTR only
  }
}

}  // namespace

SIPEVENTS_INLINE std::string_view to_string(rr_type t) noexcept {
  static constexpr std::array<std::string_view, 4> n{"NAPTR", "SRV", "A", "AAAA"};
  return n[static_cast<std::size_t>(t)];
}

SIPEVENTS_INLINE std::string_view to_string(locate_error e) noexcept {
  static constexpr std::array<std::string_view, 4> n{"none", "not a SIP or SIPS URI",
                                                     "no transport this stack has can reach it",
                                                     "the name resolves to no address"};
  return n[static_cast<std::size_t>(e)];
}

SIPEVENTS_INLINE server_locator::server_locator(std::string_view target_uri, locator_config cfg,
                               std::function<std::uint32_t(std::uint32_t)> random)
    : cfg_(std::move(cfg)), random_(std::move(random)) {
  message::uri u;
  if (message::parse_uri(target_uri, u) || !u.is_sip() || u.host.empty()) {
    error_ = locate_error::bad_uri;
    return;
  }
  sips_ = u.scheme == message::uri::kind::sips;
  // RFC 3263 4: maddr, when present, is the target instead of the host.
  std::string_view host = u.param("maddr").value_or(u.host);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  host_ = lower(host);
  if (u.has_port) port_ = u.port;
  if (auto t = u.param("transport")) {
    const std::string v = lower(*t);
    // RFC 3261 19.1.2: with sips, transport=tcp means TLS; udp cannot carry it.
    if (v == "udp" && !sips_) forced_ = transport_kind::udp;
    else if (v == "tcp") forced_ = sips_ ? transport_kind::tls : transport_kind::tcp;
    else if (v == "tls") forced_ = transport_kind::tls;
    else if (v == "ws") forced_ = sips_ ? transport_kind::wss : transport_kind::ws;
    else if (v == "wss") forced_ = transport_kind::wss;
    else {
      error_ = locate_error::no_transport;
      return;
    }
  }
  // RFC 3263 4.1/4.2: a numeric host, or an explicit port, skips NAPTR and SRV.
  if (numeric(host_) || port_ != 0) {
    const transport_kind t = forced_.value_or(default_transport());
    if (!usable(t)) {
      error_ = locate_error::no_transport;
      return;
    }
    const std::uint16_t port = port_ ? port_ : default_port(t);
    if (numeric(host_)) {
      found_.push_back({0, 0, 0, peer{t, host_, port, {}}});
      finish();
    } else {
      ask_addresses(host_, t, port, 0, 0);
    }
    return;
  }
  if (forced_) {
    if (!usable(*forced_)) {
      error_ = locate_error::no_transport;
      return;
    }
    const std::string name = srv_name(*forced_, host_);
    if (name.empty()) {
      ask_addresses(host_, *forced_, default_port(*forced_), 0, 0);
    } else {
      ask_srv(name, *forced_, 0);
      srv_left_ = 1;
    }
    return;
  }
  naptr_stage_ = true;
  waiting_.push_back({++next_id_, rr_type::naptr, host_, default_transport(), 0, 0, 0});
}

SIPEVENTS_INLINE bool server_locator::usable(transport_kind t) const {
  if (sips_ && t != transport_kind::tls && t != transport_kind::wss) return false;
  return std::find(cfg_.transports.begin(), cfg_.transports.end(), t) != cfg_.transports.end();
}

SIPEVENTS_INLINE transport_kind server_locator::default_transport() const { return sips_ ? transport_kind::tls : transport_kind::udp; }

SIPEVENTS_INLINE void server_locator::ask_srv(std::string name, transport_kind t, std::uint32_t group) {
  waiting_.push_back({++next_id_, rr_type::srv, std::move(name), t, 0, group, 0});
}

SIPEVENTS_INLINE void server_locator::ask_addresses(const std::string& name, transport_kind t, std::uint16_t port, std::uint32_t group,
                                   std::uint32_t rank) {
  waiting_.push_back({++next_id_, rr_type::a, name, t, port, group, rank});
  if (cfg_.ipv6) waiting_.push_back({++next_id_, rr_type::aaaa, name, t, port, group, rank});
}

SIPEVENTS_INLINE bool server_locator::ask(query& out) {
  if (waiting_.empty()) return false;
  pending p = std::move(waiting_.front());
  waiting_.pop_front();
  out = {p.id, p.type, p.name};
  asked_.push_back(std::move(p));
  return true;
}

SIPEVENTS_INLINE void server_locator::fallback_to_host() {
  // RFC 3263 4.2: no NAPTR and no SRV: the host's addresses, default transport and port.
  const transport_kind t = forced_.value_or(default_transport());
  if (!usable(t)) {
    error_ = locate_error::no_transport;
    return;
  }
  ask_addresses(host_, t, default_port(t), 0, 0);
}

SIPEVENTS_INLINE void server_locator::take_srv(const pending& q, std::vector<srv_record> records) {
  // RFC 2782: "." as the only target means the service is not offered here.
  std::erase_if(records, [](const srv_record& r) { return r.target.empty() || r.target == "."; });
  std::stable_sort(records.begin(), records.end(),
                   [](const srv_record& a, const srv_record& b) { return a.priority < b.priority; });
  // Within one priority, weighted random order (RFC 2782): repeatedly pick one.
  std::vector<srv_record> ordered;
  for (std::size_t i = 0; i < records.size();) {
    std::size_t j = i;
    while (j < records.size() && records[j].priority == records[i].priority) ++j;
    std::vector<srv_record> same(records.begin() + std::ptrdiff_t(i), records.begin() + std::ptrdiff_t(j));
    // Zero weights first, as the RFC's selection does.
    std::stable_sort(same.begin(), same.end(), [](const srv_record& a, const srv_record& b) {
      return (a.weight == 0) > (b.weight == 0);
    });
    while (!same.empty()) {
      std::uint32_t sum = 0;
      for (const auto& r : same) sum += r.weight;
      const std::uint32_t pick = random_ ? std::min(random_(sum), sum) : 0;
      std::uint32_t run = 0;
      std::size_t k = 0;
      for (; k < same.size(); ++k) {
        run += same[k].weight;
        if (run >= pick) break;
      }
      if (k == same.size()) k = same.size() - 1;
      ordered.push_back(same[k]);
      same.erase(same.begin() + std::ptrdiff_t(k));
    }
    i = j;
  }
  std::uint32_t rank = 0;
  for (const auto& r : ordered) {
    srv_found_ = true;
    std::string target = lower(r.target);
    if (!target.empty() && target.back() == '.') target.pop_back();
    if (numeric(target)) found_.push_back({q.group, rank, 0, peer{q.transport, target, r.port, {}}});
    else ask_addresses(target, q.transport, r.port, q.group, rank);
    ++rank;
  }
}

SIPEVENTS_INLINE void server_locator::give(std::uint64_t id, const answer& a) {
  auto it = std::find_if(asked_.begin(), asked_.end(), [&](const pending& p) { return p.id == id; });
  if (it == asked_.end()) return;
  const pending q = std::move(*it);
  asked_.erase(it);
  switch (q.type) {
    case rr_type::naptr: {
      std::vector<naptr_record> use;
      for (const auto& r : a.naptr) {
        bool secure = false;
        auto t = service_transport(r.service, secure);
        if (!t || lower(r.flags) != "s" || r.replacement.empty() || !usable(*t)) continue;
        if (sips_ && !secure) continue;  // RFC 3263 4.1: a SIPS URI takes SIPS services only
        use.push_back(r);
      }
      std::stable_sort(use.begin(), use.end(), [](const naptr_record& x, const naptr_record& y) {
        return x.order != y.order ? x.order < y.order : x.preference < y.preference;
      });
      if (!use.empty()) {
        std::uint32_t group = 0;
        for (const auto& r : use) {
          bool secure = false;
          ask_srv(lower(r.replacement), *service_transport(r.service, secure), group++);
        }
        break;
      }
      // RFC 3263 4.1: no usable NAPTR: an SRV query per transport we have.
      naptr_stage_ = false;
      std::uint32_t group = 0;
      for (transport_kind t : cfg_.transports) {
        const std::string name = srv_name(t, host_);
        if (!usable(t) || name.empty()) continue;
        ask_srv(name, t, group++);
        ++srv_left_;
      }
      if (!srv_left_) fallback_to_host();
      break;
    }
    case rr_type::srv: {
      take_srv(q, a.srv);
      if (!naptr_stage_ && srv_left_ && --srv_left_ == 0 && !srv_found_) fallback_to_host();
      break;
    }
    case rr_type::a:
    case rr_type::aaaa: {
      std::uint32_t seq = q.type == rr_type::a ? 0 : 1u << 16;
      for (const auto& addr : a.addresses) found_.push_back({q.group, q.rank, seq++, peer{q.transport, addr, q.port, {}}});
      break;
    }
  }
  if (done()) finish();
}

SIPEVENTS_INLINE void server_locator::finish() {
  std::stable_sort(found_.begin(), found_.end(), [](const placed& x, const placed& y) {
    if (x.group != y.group) return x.group < y.group;
    if (x.rank != y.rank) return x.rank < y.rank;
    return x.seq < y.seq;
  });
  targets_.clear();
  for (auto& f : found_) {
    f.p.name = host_;  // RFC 5922: TLS verifies the SIP domain, not the SRV target
    if (std::find(targets_.begin(), targets_.end(), f.p) == targets_.end()) targets_.push_back(f.p);
  }
  if (targets_.empty() && error_ == locate_error::none) error_ = locate_error::not_found;
}

}  // namespace sipevents::locate

SIPEVENTS_IMPL_END
