#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/registrar/registrar.hpp"

#include <algorithm>
#include <cstdio>

namespace sipevents::registrar {
namespace sm = sipevents::message;
using std::chrono::seconds;

SIPEVENTS_INLINE std::string_view to_string(binding_event e) noexcept {
  switch (e) {
    case binding_event::registered: return "registered";
    case binding_event::created: return "created";
    case binding_event::refreshed: return "refreshed";
    case binding_event::shortened: return "shortened";
    case binding_event::expired: return "expired";
    case binding_event::deactivated: return "deactivated";
    case binding_event::probation: return "probation";
    case binding_event::unregistered: return "unregistered";
    case binding_event::rejected: return "rejected";
  }
  return "";
}

SIPEVENTS_INLINE std::optional<binding_event> binding_event_from(std::string_view s) noexcept {
  for (int i = 0; i <= static_cast<int>(binding_event::rejected); ++i)
    if (to_string(static_cast<binding_event>(i)) == s) return static_cast<binding_event>(i);
  return std::nullopt;
}

SIPEVENTS_INLINE std::uint32_t binding::expires_in(time_point now) const {
  if (expires_at <= now) return 0;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(expires_at - now).count();
  return static_cast<std::uint32_t>((ms + 999) / 1000);
}

SIPEVENTS_INLINE registrar::registrar(token_source ids, registrar_config cfg) : ids_(std::move(ids)), cfg_(std::move(cfg)) {}

SIPEVENTS_INLINE bool registrar::serves(std::string_view domain) const {
  if (cfg_.domains.empty()) return true;
  for (const auto& d : cfg_.domains) {
    if (d.size() != domain.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < d.size() && eq; ++i) eq = (d[i] | 0x20) == (domain[i] | 0x20);
    if (eq) return true;
  }
  return false;
}

SIPEVENTS_INLINE store::binding_record to_record(std::string_view aor, const binding& b) {
  return {std::string(aor), b.id, b.uri, b.display_name, b.params, b.call_id, b.cseq, b.q, b.received,
          b.expires_at, b.registered_at};
}

SIPEVENTS_INLINE binding from_record(const store::binding_record& r) {
  binding b;
  b.id = r.id;
  b.uri = r.uri;
  b.display_name = r.display_name;
  b.params = r.params;
  b.call_id = r.call_id;
  b.cseq = r.cseq;
  b.q = r.q;
  b.received = r.received;
  b.expires_at = r.expires_at;
  b.registered_at = r.registered_at;
  return b;
}

SIPEVENTS_INLINE void registrar::report(const std::string& aor, const binding& b, binding_event e, bool journaled) {
  if (journal_ && journaled) {
    switch (e) {
      case binding_event::registered: case binding_event::created: case binding_event::refreshed:
      case binding_event::shortened:
        journal_->put(to_record(aor, b));
        break;
      default:
        journal_->erase(store::record_kind::binding, b.id, aor, std::string(to_string(e)),
                        e == binding_event::expired);
        break;
    }
  }
  out_.push_back({aor, b, e});
}

SIPEVENTS_INLINE void registrar::restore(const store::binding_record& r, time_point now) {
  if (r.expires_at <= now || r.aor.empty()) {
    if (journal_) journal_->erase(store::record_kind::binding, r.id, r.aor, "expired", true);
    return;
  }
  std::vector<binding>& v = aors_[r.aor];
  std::erase_if(v, [&](const binding& b) { return b.id == r.id; });
  v.push_back(from_record(r));
  sort(v);
  schedule(r.aor);
}

SIPEVENTS_INLINE void registrar::apply_remote(const store::binding_record& r, time_point now, transaction::clock::duration hold) {
  if (r.aor.empty() || r.expires_at + hold <= now) return;
  std::vector<binding>& v = aors_[r.aor];
  binding nb = from_record(r);
  nb.hold = hold;
  auto it = std::find_if(v.begin(), v.end(), [&](const binding& b) { return b.id == r.id; });
  binding_event ev = binding_event::registered;
  if (it != v.end()) {
    // The same write delivered again (a catch-up re-reading what was applied).
    if (it->expires_at == nb.expires_at && it->cseq == nb.cseq && it->call_id == nb.call_id && it->uri == nb.uri &&
        it->params == nb.params && it->q == nb.q) {
      it->hold = hold;
      return;
    }
    ev = nb.expires_at < it->expires_at ? binding_event::shortened : binding_event::refreshed;
    *it = nb;
  } else {
    v.push_back(nb);
  }
  sort(v);
  schedule(r.aor);
  auto b = std::find_if(v.begin(), v.end(), [&](const binding& x) { return x.id == r.id; });
  report(r.aor, *b, ev, false);
}

SIPEVENTS_INLINE bool registrar::apply_remote_erase(std::string_view aor, std::string_view id, binding_event why) {
  return take(aor, id, why, false);
}

SIPEVENTS_INLINE void registrar::sort(std::vector<binding>& v) {
  std::stable_sort(v.begin(), v.end(), [](const binding& a, const binding& b) {
    return a.q.value_or(1000) > b.q.value_or(1000);
  });
}

SIPEVENTS_INLINE void registrar::schedule(const std::string& aor) {
  auto it = aors_.find(aor);
  if (it == aors_.end() || it->second.empty()) return;
  time_point t = time_point::max();
  for (const auto& b : it->second) t = std::min(t, b.acts_at());
  timers_.push({t, aor});
}

namespace {

struct planned {
  const sm::contact* c;
  std::uint32_t expires;
  std::ptrdiff_t existing;  // index in the AoR's bindings, or -1
  bool replaces = false;    // `existing` is the same instance at another URI: replace it
};

/// The +sip.instance and reg-id of a contact (RFC 5626 4.2, RFC 5627), as written.
struct instance_key {
  std::string instance, reg_id;
  bool empty() const { return instance.empty(); }
  bool operator==(const instance_key&) const = default;
};

instance_key key_of(const sm::param_list& params) {
  instance_key k;
  if (auto v = params.get("+sip.instance")) k.instance = std::string(sm::unquote(*v));
  if (auto v = params.get("reg-id")) k.reg_id = std::string(*v);
  return k;
}

std::string contact_params(const sm::name_addr& na) {
  // RFC 3261 10.3: contact params (not URI params) other than expires and q stay
  // with the binding and are returned as they came (RFC 4475 cparam01/02).
  std::string out;
  for (const sm::param& p : na.params) {
    if (p.name.size() == 7 || p.name.size() == 1) {
      std::string n(p.name);
      std::transform(n.begin(), n.end(), n.begin(), [](char c) { return char(c | 0x20); });
      if (n == "expires" || n == "q") continue;
    }
    out.append(";").append(p.name);
    if (p.has_value) out.append("=").append(p.value);
  }
  return out;
}

}  // namespace

SIPEVENTS_INLINE sm::message_builder registrar::on_register(const sm::message& req, time_point now, std::string_view identity,
                                           std::string_view source) {
  auto fail = [&](std::uint16_t st, std::string_view reason) {
    return sm::message_builder::response_to(req, st, reason, ids_(10));
  };
  const sm::uri& to = req.to().addr;
  if (!to.is_sip()) return fail(400, "To Is Not a SIP or SIPS AoR");
  std::string domain;
  for (char c : to.host) domain.push_back(char(c >= 'A' && c <= 'Z' ? c | 0x20 : c));
  if (!serves(domain)) return fail(403, "Domain Not Served");
  const std::string aor = sm::address_of_record(to);
  if (!identity.empty() && aor != identity) return fail(403, "Forbidden: Not Your Address-of-Record");
  auto existing_it = aors_.find(aor);
  std::vector<binding> none;
  std::vector<binding>& current = existing_it != aors_.end() ? existing_it->second : none;
  const std::string call_id(req.call_id());
  const std::uint32_t cseq = req.cseq().seq;

  if (req.contact_star()) {
    // 10.3 step 6: "*" only with Expires: 0 and nothing else.
    if (req.expires() != 0u || req.contacts().size() > 0) return fail(400, "Invalid Contact: * Without Expires: 0");
    for (const auto& b : current)
      if (b.call_id == call_id && cseq <= b.cseq) return fail(500, "Out of Order CSeq");
    if (existing_it != aors_.end()) {
      std::vector<binding> gone = std::move(existing_it->second);
      aors_.erase(existing_it);
      // RFC 3680 callid/cseq name the REGISTER behind the event: here the removal.
      for (auto& b : gone) {
        b.call_id = call_id;
        b.cseq = cseq;
        report(aor, b, binding_event::unregistered);
      }
    }
    return fail(200, "OK");
  }

  // First pass: decide everything, so that a refused REGISTER changes nothing.
  std::vector<planned> plan;
  std::size_t added = 0;
  for (const sm::contact& c : req.contacts()) {
    std::uint32_t e = c.expires.value_or(req.expires().value_or(cfg_.default_expires));
    if (e != 0 && e < cfg_.min_expires) {
      auto b = fail(423, "Interval Too Brief");
      b.header(sm::hdr::min_expires, std::to_string(cfg_.min_expires));
      return b;
    }
    e = std::min(e, cfg_.max_expires);
    std::ptrdiff_t idx = -1;
    bool replaces = false;
    for (std::size_t i = 0; i < current.size(); ++i) {
      sm::uri u;
      if (!sm::parse_uri(current[i].uri, u) && sm::uri_equal(u, c.value.addr)) {
        idx = static_cast<std::ptrdiff_t>(i);
        break;
      }
    }
    // RFC 5626 6 / RFC 5627 4.2: the same +sip.instance (and reg-id, when one is given)
    // is the same device, whatever URI it registers now (a new connection, a new port):
    // its old binding is replaced rather than kept beside the new one.
    const instance_key ik = key_of(c.value.params);
    if (idx < 0 && !ik.empty()) {
      for (std::size_t i = 0; i < current.size(); ++i) {
        if (key_of(sm::param_list(current[i].params)) == ik) {
          idx = static_cast<std::ptrdiff_t>(i);
          replaces = true;
          break;
        }
      }
    }
    if (idx >= 0) {
      const binding& b = current[static_cast<std::size_t>(idx)];
      if (b.call_id == call_id && cseq <= b.cseq) return fail(500, "Out of Order CSeq");
    } else if (e != 0) {
      ++added;
    }
    plan.push_back({&c, e, idx, replaces});
  }
  if (current.size() + added > cfg_.max_bindings_per_aor) return fail(403, "Too Many Contacts");
  if (existing_it == aors_.end() && added > 0 && aors_.size() >= cfg_.max_aors) {
    auto b = fail(503, "Too Many Registrations");
    b.header(sm::hdr::retry_after, "60");
    return b;
  }

  // Second pass: apply.
  if (!plan.empty()) {
    std::vector<binding>& v = aors_[aor];
    std::vector<bool> removed(v.size(), false);
    for (const planned& p : plan) {
      if (p.existing >= 0 && p.replaces) {
        // The instance moved: its old URI is gone, the new one is a new binding.
        binding& b = v[static_cast<std::size_t>(p.existing)];
        if (!removed[static_cast<std::size_t>(p.existing)]) {
          removed[static_cast<std::size_t>(p.existing)] = true;
          b.call_id = call_id;
          b.cseq = cseq;
          report(aor, b, binding_event::unregistered);
        }
        if (p.expires == 0) continue;
      } else if (p.existing >= 0) {
        binding& b = v[static_cast<std::size_t>(p.existing)];
        if (p.expires == 0) {
          removed[static_cast<std::size_t>(p.existing)] = true;
          b.call_id = call_id;
          b.cseq = cseq;
          report(aor, b, binding_event::unregistered);
          continue;
        }
        time_point at = now + seconds(p.expires);
        binding_event ev = at < b.expires_at ? binding_event::shortened : binding_event::refreshed;
        b.call_id = call_id;
        b.cseq = cseq;
        b.expires_at = at;
        b.hold = {};  // refreshed here: its expiry is ours to act on now
        b.q = p.c->q;
        b.params = contact_params(p.c->value);
        b.display_name = std::string(p.c->value.display);
        if (!source.empty()) b.received = std::string(source);
        report(aor, b, ev);
        continue;
      }
      if (p.expires != 0 && (p.existing < 0 || p.replaces)) {
        binding b;
        b.id = ids_(8);
        b.uri = std::string(p.c->value.addr.text);
        b.display_name = std::string(p.c->value.display);
        b.params = contact_params(p.c->value);
        b.call_id = call_id;
        b.cseq = cseq;
        b.q = p.c->q;
        b.expires_at = now + seconds(p.expires);
        b.registered_at = now;
        b.received = std::string(source);
        v.push_back(b);
        removed.push_back(false);
        report(aor, v.back(), binding_event::registered);
      }
    }
    std::vector<binding> kept;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!removed[i]) kept.push_back(std::move(v[i]));
    if (kept.empty()) {
      aors_.erase(aor);
    } else {
      sort(kept);
      v = std::move(kept);
      schedule(aor);
    }
  }

  // 10.3 step 8: the 200 lists every current binding with its expires.
  auto ok = fail(200, "OK");
  if (const auto* list = lookup(aor)) {
    for (const auto& b : *list) {
      std::string v = "<" + b.uri + ">" + b.params + ";expires=" + std::to_string(b.expires_in(now));
      if (b.q) {
        char q[8];
        std::snprintf(q, sizeof q, "%u.%03u", *b.q / 1000, *b.q % 1000);
        v += ";q=" + std::string(q);
      }
      ok.header(sm::hdr::contact, v);
    }
  }
  return ok;
}

SIPEVENTS_INLINE bool registrar::remove(std::string_view aor, std::string_view id, binding_event why, time_point) {
  return take(aor, id, why, true);
}

SIPEVENTS_INLINE bool registrar::take(std::string_view aor, std::string_view id, binding_event why, bool journaled) {
  auto it = aors_.find(aor);
  if (it == aors_.end()) return false;
  auto& v = it->second;
  auto b = std::find_if(v.begin(), v.end(), [&](const binding& x) { return x.id == id; });
  if (b == v.end()) return false;
  binding gone = std::move(*b);
  v.erase(b);
  std::string key = it->first;
  if (v.empty()) aors_.erase(it);
  report(key, gone, why, journaled);
  return true;
}

SIPEVENTS_INLINE void registrar::advance(time_point now) {
  while (!timers_.empty() && timers_.top().at <= now) {
    std::string aor = timers_.top().aor;
    timers_.pop();
    auto it = aors_.find(aor);
    if (it == aors_.end()) continue;
    auto& v = it->second;
    std::vector<binding> kept;
    for (auto& b : v) {
      if (b.acts_at() <= now) report(aor, b, binding_event::expired);
      else kept.push_back(std::move(b));
    }
    if (kept.empty()) {
      aors_.erase(it);
    } else {
      v = std::move(kept);
      schedule(aor);
    }
  }
}

SIPEVENTS_INLINE time_point registrar::next_deadline() const {
  // Lazy deletion: an entry is live when its AoR still has a binding expiring then.
  while (!timers_.empty()) {
    const timer_item& t = timers_.top();
    auto it = aors_.find(t.aor);
    if (it != aors_.end()) {
      for (const auto& b : it->second)
        if (b.acts_at() == t.at) return t.at;
    }
    timers_.pop();
  }
  return time_point::max();
}

SIPEVENTS_INLINE bool registrar::poll(binding_change& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

SIPEVENTS_INLINE std::size_t registrar::binding_count() const noexcept {
  std::size_t n = 0;
  for (const auto& [aor, v] : aors_) n += v.size();
  return n;
}

SIPEVENTS_INLINE const std::vector<binding>* registrar::lookup(std::string_view aor) const {
  auto it = aors_.find(aor);
  return it == aors_.end() ? nullptr : &it->second;
}

}  // namespace sipevents::registrar

SIPEVENTS_IMPL_END
