#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/reg/reg_package.hpp"

#include <charconv>
#include <set>

#include "sipevents/message/params.hpp"

namespace sipevents::reg {
namespace sr = sipevents::registrar;

namespace {

bool ends_binding(sr::binding_event e) {
  switch (e) {
    case sr::binding_event::expired:
    case sr::binding_event::deactivated:
    case sr::binding_event::probation:
    case sr::binding_event::unregistered:
    case sr::binding_event::rejected:
      return true;
    default:
      return false;
  }
}

std::string qvalue(std::uint16_t q) {
  // thousandths -> "0.5", "1", "0.125": the shortest form a qvalue allows
  std::string s = std::to_string(q / 1000);
  unsigned frac = q % 1000;
  if (frac) {
    char buf[5];
    std::snprintf(buf, sizeof buf, ".%03u", frac);
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  return s;
}

}  // namespace

SIPEVENTS_INLINE const std::string& reg_package::registration_id(const std::string& aor) {
  auto it = reg_ids_.find(aor);
  if (it == reg_ids_.end()) it = reg_ids_.emplace(aor, "r" + std::to_string(++next_reg_id_)).first;
  return it->second;
}

SIPEVENTS_INLINE contact_info reg_package::contact_of(const sr::binding& b, sr::binding_event ev, events::time_point now) const {
  contact_info c;
  c.id = b.id;
  const bool ended = ends_binding(ev);
  c.state = ended ? "terminated" : "active";
  c.event = std::string(sr::to_string(ev));
  if (!ended) c.expires = b.expires_in(now);
  if (now >= b.registered_at)
    c.duration_registered =
        static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(now - b.registered_at).count());
  if (b.q) c.q = qvalue(*b.q);
  c.callid = b.call_id;
  c.cseq = b.cseq;
  c.uri = b.uri;
  if (!b.display_name.empty()) c.display_name = b.display_name;
  // RFC 3680 5.3: contact params other than expires and q become unknown-param.
  message::param_list params(b.params);
  for (const message::param& p : params) {
    unknown_param u{std::string(p.name), {}};
    if (p.has_value) u.value = std::string(message::unquote(p.value));
    c.unknown_params.push_back(std::move(u));
  }
  return c;
}

SIPEVENTS_INLINE std::string reg_package::document(const events::watcher_view& w, bool neutral) {
  watcher& wa = watchers_[w.id];
  wa.aor = std::string(w.resource);
  reginfo doc;
  doc.version = wa.version++;
  registration_info r;
  r.aor = wa.aor;
  r.id = registration_id(wa.aor);
  const std::vector<sr::binding>* bindings = registrar_ ? registrar_->lookup(wa.aor) : nullptr;
  if (neutral) {
    doc.full = true;
    r.state = "init";
  } else if (w.first) {
    doc.full = true;
    r.state = bindings ? "active" : "init";
    if (bindings)
      for (const auto& b : *bindings) r.contacts.push_back(contact_of(b, sr::binding_event::registered, w.now));
  } else {
    doc.full = false;
    r.state = bindings ? "active" : (wa.pending.empty() ? "init" : "terminated");
    for (const auto& c : wa.pending) r.contacts.push_back(contact_of(c.b, c.event, w.now));
  }
  wa.pending.clear();
  doc.registrations.push_back(std::move(r));
  return encode(doc);
}

SIPEVENTS_INLINE std::string reg_package::save_watcher(std::uint64_t id) const {
  auto it = watchers_.find(id);
  return it == watchers_.end() ? std::string() : std::to_string(it->second.version);
}

SIPEVENTS_INLINE void reg_package::restore_watcher(std::uint64_t id, std::string_view resource, std::string_view saved,
                                  std::uint32_t notifies_since) {
  std::uint32_t v = 0;
  std::from_chars(saved.data(), saved.data() + saved.size(), v);
  watcher& w = watchers_[id];
  w.aor = std::string(resource);
  w.version = v + notifies_since;
  w.pending.clear();
}

SIPEVENTS_INLINE std::optional<events::body> reg_package::state(const events::watcher_view& w) {
  return events::body{std::string(reginfo_type), document(w, false)};
}

SIPEVENTS_INLINE std::optional<events::body> reg_package::neutral_state(const events::watcher_view& w) {
  return events::body{std::string(reginfo_type), document(w, true)};
}

SIPEVENTS_INLINE const std::string& reg_package::apply(const sr::binding_change& c) {
  for (auto& [id, w] : watchers_)
    if (w.aor == c.aor) w.pending.push_back(c);
  return c.aor;
}

SIPEVENTS_INLINE events::decoded reg_package::decode(const message::media_type& type, std::string_view text) const {
  events::decoded d;
  if (!type.matches("application", "reginfo+xml")) {
    d.error = "not application/reginfo+xml";
    return d;
  }
  reginfo doc;
  if (!reg::decode(text, doc, &d.error)) return d;
  d.ok = true;
  d.state = std::move(doc);
  return d;
}

SIPEVENTS_INLINE reg_view::result reg_view::apply(const reginfo& doc, std::vector<contact_change>& changes) {
  if (!doc.full && (!version_ || doc.version != *version_ + 1)) return result::need_full;
  auto active = [](const contact_info& c) { return c.state == "active"; };
  if (doc.full) {
    // Full state replaces everything; report the difference. Any version is taken
    // (Kamailio sends version 0 in every full document).
    std::map<std::string, registration> old = std::move(regs_);
    regs_.clear();
    for (const auto& r : doc.registrations) {
      registration& reg = regs_[r.aor];
      reg.id = r.id;
      reg.state = r.state;
      for (const auto& c : r.contacts) reg.contacts[c.id] = c;
    }
    for (const auto& [aor, reg] : regs_) {
      auto o = old.find(aor);
      for (const auto& [id, c] : reg.contacts) {
        bool was = o != old.end() && o->second.contacts.count(id) && active(o->second.contacts.at(id));
        if (active(c) && !was) changes.push_back({aor, c, true});
        if (!active(c) && was) changes.push_back({aor, c, false});
      }
    }
    for (const auto& [aor, reg] : old) {
      for (const auto& [id, c] : reg.contacts) {
        if (!active(c)) continue;
        auto n = regs_.find(aor);
        if (n == regs_.end() || !n->second.contacts.count(id)) {
          contact_info gone = c;
          gone.state = "terminated";
          changes.push_back({aor, gone, false});
        }
      }
    }
  } else {
    for (const auto& r : doc.registrations) {
      registration& reg = regs_[r.aor];
      reg.id = r.id;
      reg.state = r.state;
      for (const auto& c : r.contacts) {
        auto it = reg.contacts.find(c.id);
        bool was = it != reg.contacts.end() && active(it->second);
        if (active(c) && !was) changes.push_back({r.aor, c, true});
        if (!active(c) && was) changes.push_back({r.aor, c, false});
        reg.contacts[c.id] = c;
      }
    }
  }
  version_ = doc.version;
  return result::applied;
}

}  // namespace sipevents::reg

SIPEVENTS_IMPL_END
