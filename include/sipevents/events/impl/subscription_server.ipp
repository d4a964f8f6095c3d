#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/events/subscription_server.hpp"

#include <unordered_set>

#include <algorithm>

#include "sipevents/transaction/transaction_layer.hpp"

namespace sipevents::events {
namespace sm = sipevents::message;

namespace {

std::string usage_key(std::string_view call_id, std::string_view local_tag, std::string_view remote_tag,
                      std::string_view type, std::string_view id) {
  // RFC 6665 8.2.1: a usage is its dialog plus event-type plus id (absent differs
  // from any value, so it gets its own marker).
  std::string k;
  k.reserve(call_id.size() + local_tag.size() + remote_tag.size() + type.size() + id.size() + 8);
  k.append(call_id).push_back('\x1f');
  k.append(local_tag).push_back('\x1f');
  k.append(remote_tag).push_back('\x1f');
  k.append(type).push_back('\x1f');
  if (!id.empty()) k.append("=").append(id);
  return k;
}

std::string event_value(std::string_view type, std::string_view id) {
  std::string v(type);
  if (!id.empty()) v.append(";id=").append(id);
  return v;
}

}  // namespace

SIPEVENTS_INLINE subscription_server::subscription_server(token_source ids, server_config cfg, server_hooks hooks)
    : ids_(std::move(ids)), cfg_(std::move(cfg)), hooks_(std::move(hooks)) {}

SIPEVENTS_INLINE std::string subscription_server::entity_tag(const sub& s) {
  if (etag_prefix_.empty()) etag_prefix_ = ids_(8);  // at first need: no token taken before
  auto g = generation_.find(s.resource_key);
  const bool neutral = s.state == sub_state::pending || s.auth == authorization::polite_block;
  return etag_prefix_ + "." + std::to_string(g == generation_.end() ? 0 : g->second) + (neutral ? "n" : "s") +
         std::to_string(s.ctype);
}

SIPEVENTS_INLINE bool subscription_server::suppressed(const sm::message& req, const sub& s) {
  const sm::header_field* f = req.find("Suppress-If-Match");
  if (!f) return false;
  std::string_view v = f->value;
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v == "*" || (!v.empty() && v == entity_tag(s));
}

namespace {
/// content_types(), then partial_type() if the package has one: the index of a
/// subscription's body type counts in this list.
std::vector<std::string> body_types(const package& p) {
  std::vector<std::string> t = p.content_types();
  if (!p.partial_type().empty()) t.emplace_back(p.partial_type());
  return t;
}
}  // namespace

SIPEVENTS_INLINE void subscription_server::add_package(package& p) {
  packages_[std::string(p.name())] = pkg_entry{&p, body_types(p)};
}

SIPEVENTS_INLINE std::string subscription_server::allow_events() const {
  std::vector<std::string> names;
  for (const auto& [n, p] : packages_) names.push_back(n);
  return transaction::join(names);
}

SIPEVENTS_INLINE authorization same_domain(const authorization_request& r) {
  sm::uri res, who;
  if (sm::parse_uri(r.resource, res) || sm::parse_uri(r.identity.empty() ? r.watcher : r.identity, who) ||
      !res.is_sip() || !who.is_sip())
    return authorization::deny;
  auto lower = [](std::string_view s) {
    std::string o(s);
    for (char& c : o) c = char(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    return o;
  };
  std::string d = lower(res.host), w = lower(who.host);
  bool ok = w == d || (w.size() > d.size() && w.ends_with(d) && w[w.size() - d.size() - 1] == '.');
  return ok ? authorization::accept : authorization::deny;
}

SIPEVENTS_INLINE std::string resource_name(const sm::uri& u) {
  std::string aor = sm::address_of_record(u);
  return aor.empty() ? std::string(u.text) : aor;
}

SIPEVENTS_INLINE std::string subscription_server::resource_key(std::string_view pkg, std::string_view resource) const {
  std::string k(pkg);
  k.push_back('\x1f');
  k.append(resource);
  return k;
}

SIPEVENTS_INLINE const std::vector<std::string>& subscription_server::types_of(const package* p) {
  if (auto it = packages_.find(p->name()); it != packages_.end() && it->second.p == p) return it->second.types;
  auto [it, fresh] = list_types_.try_emplace(p);
  if (fresh) it->second = body_types(*p);
  return it->second;
}

SIPEVENTS_INLINE std::string_view subscription_server::resource_of(const sub& s) const {
  return std::string_view(*s.resource_key).substr(s.pkg->name().size() + 1);
}

SIPEVENTS_INLINE std::size_t subscription_server::watchers(std::string_view pkg, std::string_view resource) const {
  auto it = by_resource_.find(resource_key(pkg, resource));
  return it == by_resource_.end() ? 0 : it->second.size();
}

SIPEVENTS_INLINE std::map<std::string, std::size_t, std::less<>> subscription_server::by_package() const {
  std::map<std::string, std::size_t, std::less<>> out;
  for (const auto& [n, p] : packages_) out[n] = 0;
  for (const auto& [id, s] : subs_) ++out[std::string(s.pkg->name())];
  return out;
}

SIPEVENTS_INLINE std::optional<sub_state> subscription_server::state(std::uint64_t id) const {
  auto it = subs_.find(id);
  if (it == subs_.end()) return std::nullopt;
  return it->second.state;
}

SIPEVENTS_INLINE void subscription_server::respond(std::uint64_t txn, sm::message_builder b) {
  server_event e;
  e.what = server_event::kind::respond;
  e.txn = txn;
  e.response = std::move(b);
  out_.push_back(std::move(e));
}

SIPEVENTS_INLINE void subscription_server::reject(std::uint64_t txn, const sm::message& req, std::uint16_t status,
                                 std::string_view reason, std::string_view header, std::string_view value) {
  auto b = sm::message_builder::response_to(req, status, reason, ids_(12));
  if (!header.empty()) b.header(header, value);
  respond(txn, std::move(b));
}

SIPEVENTS_INLINE void subscription_server::on_subscribe(std::uint64_t txn, const sm::message& req, time_point now,
                                       std::string_view identity, std::string_view flow) {
  const sm::event_header* ev = req.event();
  if (!ev) return reject(txn, req, 400, "Missing Event header");
  auto pit = packages_.find(ev->type);
  if (pit == packages_.end()) return reject(txn, req, 489, "Bad Event", "Allow-Events", allow_events());
  const std::string resource = resource_name(req.request_uri());
  package* served = pit->second.p;
  const std::vector<std::string>* served_types = &pit->second.types;
  bool as_list = false;
  if (lists_ && req.to().tag.empty()) {
    list_hook::list_answer la = lists_->list_for(ev->type, resource, req);
    if (la.status) return reject(txn, req, la.status, la.reason);
    if (la.pkg) {
      served = la.pkg;
      served_types = &types_of(la.pkg);
      as_list = true;
    }
  }
  package& pkg = *served;
  const std::vector<std::string>& types = *served_types;
  if (const std::string_view ext = pkg.required_extension(); !ext.empty() && req.to().tag.empty()) {
    bool named = false;
    for (std::string_view t : req.values(sm::hdr::supported))
      named = named || (t.size() == ext.size() && std::equal(t.begin(), t.end(), ext.begin(), [](char a, char b) {
                          return (a | 0x20) == (b | 0x20);
                        }));
    // RFC 4662 4.1: a list is served only to subscribers that say they can read one.
    if (!named) return reject(txn, req, 421, "Extension Required", "Require", ext);
  }
  const std::string_view event_id = ev->id.value_or(std::string_view{});
  rate_parse rate = read_rate_request(ev->params);
  if (!rate.error.empty()) return reject(txn, req, 400, rate.error);
  const expiry_policy pol = pkg.expires();
  std::uint32_t expires = req.expires().value_or(pol.default_expires);
  // 0 unsubscribes (or fetches); otherwise the package's bounds (RFC 6665 4.2.1.1).
  if (expires != 0 && expires < pol.min_expires)
    return reject(txn, req, 423, "Interval Too Brief", "Min-Expires", std::to_string(pol.min_expires));
  expires = std::min(expires, pol.max_expires);

  if (!req.to().tag.empty()) {
    std::string key = usage_key(req.call_id(), req.to().tag, req.from().tag, ev->type, event_id);
    auto kit = by_key_.find(key);
    dialog::dialog_id did{std::string(req.call_id()), std::string(req.to().tag), std::string(req.from().tag)};
    dialog::dialog* d = dialogs_.find(did);
    if (kit == by_key_.end()) {
      // A new usage inside a dialog we have (RFC 6665 4.5.2), else nothing to refresh.
      if (!d) return reject(txn, req, 481, "Subscription Does Not Exist");
      if (d->receive(req) == dialog::request_check::out_of_order) return reject(txn, req, 500, "CSeq Out of Order");
    } else {
      sub& s = subs_.at(kit->second);
      d = s.dlg;
      if (d->receive(req) == dialog::request_check::out_of_order)
        return reject(txn, req, 500, "CSeq Out of Order");
      if (s.ending) return reject(txn, req, 481, "Subscription Does Not Exist");
      if (!flow.empty()) s.flow = std::string(flow);
      // RFC 6446: a refresh sets the rate anew; a new one is answered in a NOTIFY.
      const bool new_rate = !(rate.request == s.rate);
      if (new_rate) {
        s.rate = rate.request;
        s.rate_since = now;
        s.rate_sent = 0;
      }
      // RFC 5839 4.3: the watcher has this state already; the refresh costs no NOTIFY.
      const bool quiet = expires != 0 && !new_rate && !s.in_flight && !s.dirty && suppressed(req, s);
      auto b = sm::message_builder::response_to(req, quiet ? 204 : 200, quiet ? "No Notification" : "OK");
      b.header(sm::hdr::expires, std::to_string(expires));
      if (!cfg_.contact.empty()) b.header(sm::hdr::contact, "<" + cfg_.contact + ">");
      respond(txn, std::move(b));
      if (quiet) {
        ++suppressions_.refreshes;
        s.expires_at = now + seconds(expires);
        s.unsaved = true;  // new expiry, remote CSeq and target
        if (journal_) persist(kit->second, s);
        reschedule(kit->second, s);
        return;
      }
      if (expires == 0) {
        send_notify(kit->second, s, now, reason::timeout);  // unsubscribe: final NOTIFY
        return;
      }
      s.expires_at = now + seconds(expires);
      s.unsaved = true;  // new expiry, remote CSeq and target
      s.first = true;  // a refresh gets the full state again (RFC 6665 4.2.1.2)
      send_notify(kit->second, s, now);
      return;
    }
  }

  // A new subscription.
  if (req.contacts().empty()) return reject(txn, req, 400, "Missing Contact header");
  std::size_t ctype = types.size();
  // The partial type, last in `types`, only when Accept names it (RFC 5263 3).
  const std::string_view partial = pkg.partial_type();
  const std::size_t full_types = types.size() - (partial.empty() ? 0 : 1);
  if (!partial.empty() && req.find(sm::hdr::accept)) {
    const std::size_t slash = partial.find('/');
    for (std::string_view a : req.values(sm::hdr::accept)) {
      sm::media_type mt;
      if (!sm::parse_media_type(a, mt) && mt.type != "*" && mt.subtype != "*" &&
          mt.matches(partial.substr(0, slash), partial.substr(slash + 1)))
        ctype = full_types;
    }
  }
  if (req.find(sm::hdr::accept) && ctype == types.size()) {
    for (std::size_t ti = 0; ti < full_types && ctype == types.size(); ++ti) {
      const std::string& t = types[ti];
      std::size_t slash = t.find('/');
      for (std::string_view a : req.values(sm::hdr::accept)) {
        sm::media_type mt;
        if (!sm::parse_media_type(a, mt) && mt.matches(std::string_view(t).substr(0, slash),
                                                       std::string_view(t).substr(slash + 1))) {
          ctype = ti;
          break;
        }
      }
    }
    if (ctype == types.size()) return reject(txn, req, 406, "Not Acceptable", "Accept", transaction::join(types));
  } else if (ctype == types.size()) {
    ctype = 0;
  }
  if (subs_.size() >= cfg_.max_subscriptions || watchers(pkg.name(), resource) >= cfg_.max_per_resource)
    return reject(txn, req, 503, "Too Many Subscriptions", "Retry-After", std::to_string(cfg_.retry_after));

  authorization a = authorization::accept;
  if (hooks_.authorize) {
    authorization_request ar{pkg.name(), resource, req.from().addr.text, &req, identity};
    a = hooks_.authorize(ar);
  }
  if (a == authorization::deny) return reject(txn, req, 403, "Forbidden");
  std::uint64_t id = create(txn, req, pkg, resource, expires, ctype, a, now);
  if (!id) return;
  if (as_list) lists_->list_created(id);
  sub& s = subs_.at(id);
  s.flow = std::string(flow);
  s.identity = std::string(identity);
  s.rate = rate.request;
  s.rate_since = now;
  // RFC 5839 4.2: a watcher that has this state already gets the NOTIFY without it.
  const bool quiet = a != authorization::reject && suppressed(req, s);
  if (quiet) ++suppressions_.bodies;
  if (a == authorization::reject) send_notify(id, s, now, reason::rejected);
  else if (expires == 0) send_notify(id, s, now, reason::timeout, std::nullopt, quiet);  // a fetch: one NOTIFY
  else send_notify(id, s, now, reason::none, std::nullopt, quiet);
}

SIPEVENTS_INLINE std::uint64_t subscription_server::create(std::uint64_t txn, const sm::message& req, package& pkg,
                                          std::string_view resource,
                                          std::uint32_t expires, std::size_t ctype, authorization a,
                                          time_point now) {
  std::string tag = req.to().tag.empty() ? ids_(12) : std::string(req.to().tag);
  dialog::dialog_id did{std::string(req.call_id()), tag, std::string(req.from().tag)};
  dialog::dialog* d = dialogs_.find(did);
  if (!d) {
    auto nd = dialog::dialog::from_request(req, tag, cfg_.contact);
    if (!nd) {
      reject(txn, req, 400, "Bad Contact header");
      return 0;
    }
    d = &dialogs_.acquire(std::move(*nd));
  } else {
    d = &dialogs_.acquire(*d);  // one more usage of the same dialog
  }
  std::uint64_t id = ++next_sub_;
  sub& s = subs_[id];
  s.pkg = &pkg;
  if (req.event()->id) s.event_id = std::string(*req.event()->id);
  s.ctype = static_cast<std::uint8_t>(ctype);
  s.dlg = d;
  s.expires_at = now + seconds(expires);
  s.auth = a;
  s.state = a == authorization::pending ? sub_state::pending : sub_state::active;
  s.unsaved = true;
  index(id, s, resource);

  // 202 tells an RFC 3265 subscriber that authorization is pending; 200 otherwise.
  bool pending = a == authorization::pending;
  auto b = sm::message_builder::response_to(req, pending ? 202 : 200, pending ? "Accepted" : "OK", tag);
  b.header(sm::hdr::expires, std::to_string(expires));
  if (!cfg_.contact.empty()) b.header(sm::hdr::contact, "<" + cfg_.contact + ">");
  respond(txn, std::move(b));
  server_event e;
  e.what = server_event::kind::subscribed;
  e.sub = id;
  e.state = s.state;
  out_.push_back(std::move(e));
  return id;
}

SIPEVENTS_INLINE void subscription_server::index(std::uint64_t id, sub& s, std::string_view resource) {
  const dialog::dialog_id& did = s.dlg->id();
  by_key_[usage_key(did.call_id, did.local_tag, did.remote_tag, s.pkg->name(), s.event_id)] = id;
  auto [rit, fresh] = by_resource_.try_emplace(resource_key(s.pkg->name(), resource));
  rit->second.push_back(id);
  s.resource_key = &rit->first;  // nodes never move: one copy of the resource for all
  if (fresh) generation_[s.resource_key] = ++generations_;
}

SIPEVENTS_INLINE void subscription_server::persist(std::uint64_t id, sub& s) {
  const dialog::dialog::snapshot d = s.dlg->save();
  if (s.store_key.empty()) s.store_key = ids_(20);
  s.cseq_mark = d.local_cseq + cfg_.cseq_reserve;
  s.unsaved = false;
  const auto& types = types_of(s.pkg);
  store::subscription_record r;
  r.key = s.store_key;
  r.package = std::string(s.pkg->name());
  r.event_id = s.event_id;
  r.resource = std::string(resource_of(s));
  r.content_type = s.ctype < types.size() ? types[s.ctype] : std::string();
  r.authorization = static_cast<std::uint8_t>(s.auth);
  r.state = static_cast<std::uint8_t>(s.state);
  r.expires_at = s.expires_at;
  r.call_id = d.id.call_id;
  r.local_tag = d.id.local_tag;
  r.remote_tag = d.id.remote_tag;
  r.local_uri = d.local_uri;
  r.remote_uri = d.remote_uri;
  r.remote_target = d.remote_target;
  r.local_contact = d.local_contact;
  r.route_set = d.route_set;
  r.local_cseq = d.local_cseq;
  r.cseq_mark = s.cseq_mark;
  r.remote_cseq = d.remote_cseq;
  r.package_state = s.pkg->save_watcher(id);
  r.rate_control = rate_params(s.rate);
  journal_->put(std::move(r));
}

SIPEVENTS_INLINE std::uint64_t subscription_server::restore(const store::subscription_record& r, time_point now) {
  auto pit = packages_.find(r.package);
  const std::string key = usage_key(r.call_id, r.local_tag, r.remote_tag, r.package, r.event_id);
  if (pit == packages_.end() || r.state == static_cast<std::uint8_t>(sub_state::terminated) || by_key_.count(key) ||
      r.key.empty()) {
    if (journal_) journal_->erase(store::record_kind::subscription, r.key, r.resource, "terminated");
    return 0;
  }
  // Continue above every CSeq the reservation allowed before the restart.
  const std::uint32_t cseq = std::max(r.cseq_mark, r.local_cseq);
  dialog::dialog_id did{r.call_id, r.local_tag, r.remote_tag};
  dialog::dialog* d = dialogs_.find(did);
  if (d) {
    d->note_local_cseq(cseq);
    d = &dialogs_.acquire(*d);
  } else {
    d = &dialogs_.acquire(dialog::dialog::restore({did, r.local_uri, r.remote_uri, r.remote_target, r.local_contact,
                                                   r.route_set, cseq, r.remote_cseq}));
  }
  package* served = pit->second.p;
  bool lost_list = false;
  if (lists_)
    if (package* lp = lists_->list_package(r.package, r.resource)) {
      served = lp;
      lost_list = !lists_->keeps(r.package, r.resource);
    }
  const std::vector<std::string>& types = types_of(served);
  std::uint64_t id = ++next_sub_;
  sub& s = subs_[id];
  s.pkg = served;
  s.dlg = d;
  s.event_id = r.event_id;
  s.ctype = static_cast<std::uint8_t>(std::find(types.begin(), types.end(), r.content_type) - types.begin());
  if (s.ctype >= types.size()) s.ctype = 0;
  s.auth = static_cast<authorization>(std::min<std::uint8_t>(r.authorization, std::uint8_t(authorization::deny)));
  s.state = r.state == static_cast<std::uint8_t>(sub_state::pending) ? sub_state::pending : sub_state::active;
  s.expires_at = r.expires_at;
  s.store_key = r.key;
  s.unsaved = true;
  if (rate_parse rp = read_rate_request(sm::param_list(r.rate_control)); rp.error.empty()) s.rate = rp.request;
  s.rate_since = now;
  index(id, s, r.resource);
  s.pkg->restore_watcher(id, r.resource, r.package_state, cseq - std::min(cseq, r.local_cseq));
  server_event e;
  e.what = server_event::kind::subscribed;
  e.sub = id;
  e.state = s.state;
  out_.push_back(std::move(e));
  // The state may have changed while we were down: full state now, or the end.
  if (s.expires_at <= now) send_notify(id, s, now, reason::timeout);
  else if (lost_list) send_notify(id, s, now, reason::deactivated);
  else if (s.auth == authorization::reject) send_notify(id, s, now, reason::rejected);
  else send_notify(id, s, now);
  return id;
}

SIPEVENTS_INLINE void subscription_server::send_notify(std::uint64_t id, sub& s, time_point now, events::reason ending,
                                                       std::optional<std::uint32_t> retry_after, bool suppress_body) {
  dialog::dialog* d = s.dlg;
  auto b = d->request("NOTIFY");
  b.header(sm::hdr::event, event_value(s.pkg->name(), s.event_id));
  if (const std::string_view ext = s.pkg->required_extension(); !ext.empty()) b.header(sm::hdr::require, ext);
  const bool final_notify = ending != reason::none;
  if (final_notify) {
    std::string v = "terminated;reason=" + std::string(to_string(ending));
    if (retry_after) v += ";retry-after=" + std::to_string(*retry_after);
    b.header(sm::hdr::subscription_state, v);
    s.ending = true;
    s.end_reason = ending;
    s.state = sub_state::terminated;
  }
  const rate_limits lim = limits(s);
  if (!final_notify) {
    auto left = std::chrono::duration_cast<seconds>(s.expires_at - now).count();
    // RFC 6446: the rate control in force, named as the subscriber named it.
    b.header(sm::hdr::subscription_state, std::string(s.state == sub_state::pending ? "pending" : "active") +
                                              ";expires=" + std::to_string(left > 0 ? left : 0) +
                                              (s.rate.empty() ? std::string() : rate_params(in_force(s.rate, lim))));
  }
  // Rejected watchers learn nothing; pending and politely blocked ones see neutral state.
  if (ending != reason::rejected && !final_notify) b.header(sm::hdr::sip_etag, entity_tag(s));
  if (ending != reason::rejected && !suppress_body) {
    const auto& types = types_of(s.pkg);
    std::string_view ctype = s.ctype < types.size() ? std::string_view(types[s.ctype]) : std::string_view{};
    watcher_view w{id, resource_of(s), d->remote_uri(), s.event_id, ctype, s.first, now, s.identity};
    bool neutral = s.state == sub_state::pending || s.auth == authorization::polite_block;
    std::optional<body> bd = neutral ? s.pkg->neutral_state(w) : s.pkg->state(w);
    if (bd) b.body(bd->content_type, bd->text);
    if (!neutral) s.first = false;
  }
  if (journal_ && (s.unsaved || final_notify || d->local_cseq() + cfg_.cseq_reserve / 2 >= s.cseq_mark))
    persist(id, s);
  std::uint64_t key = ++next_key_;
  if (s.in_flight) notifies_.erase(s.in_flight);
  s.in_flight = key;
  notifies_[key] = id;
  s.dirty = false;
  s.next_allowed = now + lim.min_interval;
  s.last_sent = now;
  ++s.rate_sent;
  server_event e;
  e.what = server_event::kind::send;
  e.sub = id;
  e.request = {key, std::move(b), d->next_hop(), s.flow, true};
  out_.push_back(std::move(e));
  reschedule(id, s);
}

SIPEVENTS_INLINE rate_limits subscription_server::limits(const sub& s) const {
  return limits_for(s.rate, s.pkg->notify_interval(resource_of(s)), cfg_.min_forced_interval);
}

SIPEVENTS_INLINE time_point subscription_server::forced_at(const sub& s) const {
  if (!s.rate.min_rate && !s.rate.adaptive_min_rate) return time_point::max();
  const rate_limits l = limits(s);
  if (!l.adaptive) return s.last_sent + l.max_interval;
  // The average gap since rate_since stays within max_interval: a NOTIFY is owed once
  // that many intervals have passed as NOTIFYs were sent, and never sooner than
  // max-rate allows.
  return std::max(s.last_sent + l.min_interval, s.rate_since + l.max_interval * std::max<std::uint32_t>(s.rate_sent, 1));
}

SIPEVENTS_INLINE void subscription_server::catch_up(std::uint64_t id, sub& s, time_point now) {
  if (s.in_flight || s.ending) return reschedule(id, s);
  if (s.dirty && now >= s.next_allowed) return send_notify(id, s, now);
  if (!s.dirty && s.auth != authorization::reject && forced_at(s) <= now) {
    ++rate_counts_.forced;
    s.first = true;  // nothing changed: the state in full, as a fresh look
    return send_notify(id, s, now);
  }
  reschedule(id, s);
}

SIPEVENTS_INLINE void subscription_server::reschedule(std::uint64_t id, sub& s) {
  time_point t = s.ending ? time_point::max() : s.expires_at;
  if (s.dirty && !s.in_flight) t = std::min(t, s.next_allowed);
  if (!s.dirty && !s.in_flight && !s.ending) t = std::min(t, forced_at(s));
  if (t == s.deadline) return;
  s.deadline = t;
  if (t != time_point::max()) timers_.push({t, id});
}

SIPEVENTS_INLINE void subscription_server::changed(std::string_view pkg, std::string_view resource, time_point now) {
  if (lists_) {
    std::vector<std::string> lists;
    lists_->member_changed(pkg, resource, lists);
    for (const std::string& l : lists)
      if (l != resource) changed(pkg, l, now);
  }
  auto it = by_resource_.find(resource_key(pkg, resource));
  if (it == by_resource_.end()) return;
  generation_[&it->first] = ++generations_;  // a new entity-tag from now on
  std::vector<std::uint64_t> ids = it->second;
  for (std::uint64_t id : ids) {
    sub& s = subs_.at(id);
    if (s.ending || s.auth == authorization::reject) continue;
    if (s.in_flight || now < s.next_allowed) {
      if (s.dirty) ++rate_counts_.merged;  // this change never gets a NOTIFY of its own
      s.dirty = true;  // merged into the NOTIFY that follows the wait
      reschedule(id, s);
    } else {
      send_notify(id, s, now);
    }
  }
}

SIPEVENTS_INLINE bool subscription_server::authorize(std::uint64_t id, authorization a, time_point now) {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.ending) return false;
  sub& s = it->second;
  if (a == authorization::deny || a == authorization::reject) {
    send_notify(id, s, now, reason::rejected);
    return true;
  }
  s.auth = a;
  const sub_state was = s.state;
  s.state = a == authorization::pending ? sub_state::pending : sub_state::active;
  s.first = true;
  s.unsaved = true;
  send_notify(id, s, now);
  if (s.state != was) {
    // Its owner hears the decision as it heard the subscription (watcher info follows it).
    server_event e;
    e.what = server_event::kind::subscribed;
    e.sub = id;
    e.state = s.state;
    out_.push_back(std::move(e));
  }
  return true;
}

SIPEVENTS_INLINE bool subscription_server::terminate(std::uint64_t id, events::reason why, time_point now,
                                    std::optional<std::uint32_t> retry_after) {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.ending) return false;
  send_notify(id, it->second, now, why, retry_after);
  return true;
}

SIPEVENTS_INLINE std::optional<subscription_server::description> subscription_server::describe(std::uint64_t id) const {
  auto it = subs_.find(id);
  if (it == subs_.end()) return std::nullopt;
  const sub& s = it->second;
  return description{s.pkg->name(), resource_of(s), s.dlg->remote_uri(), s.state};
}

SIPEVENTS_INLINE std::size_t subscription_server::release_except(const std::vector<std::string>& kept) {
  std::unordered_set<std::string_view> keep(kept.begin(), kept.end());
  std::vector<std::uint64_t> gone;
  for (const auto& [id, s] : subs_)
    if (!s.store_key.empty() && !keep.count(s.store_key)) gone.push_back(id);
  store::journal* j = std::exchange(journal_, nullptr);
  for (std::uint64_t id : gone) remove(id, events::reason::none, 0);
  journal_ = j;
  return gone.size();
}

SIPEVENTS_INLINE void subscription_server::remove(std::uint64_t id, events::reason why, std::uint16_t status) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  sub& s = it->second;
  if (s.in_flight) notifies_.erase(s.in_flight);
  const dialog::dialog_id& did = s.dlg->id();
  by_key_.erase(usage_key(did.call_id, did.local_tag, did.remote_tag, s.pkg->name(), s.event_id));
  auto rit = by_resource_.find(*s.resource_key);
  if (rit != by_resource_.end()) {
    auto& v = rit->second;
    v.erase(std::remove(v.begin(), v.end(), id), v.end());
    if (v.empty()) {
      generation_.erase(&rit->first);
      by_resource_.erase(rit);
    }
  }
  if (journal_)
    journal_->erase(store::record_kind::subscription, s.store_key, std::string(resource_of(s)), "terminated");
  dialogs_.release(did);
  s.pkg->watcher_gone(id);
  subs_.erase(it);
  server_event e;
  e.what = server_event::kind::terminated;
  e.sub = id;
  e.state = sub_state::terminated;
  e.why = why;
  e.status = status;
  out_.push_back(std::move(e));
}

SIPEVENTS_INLINE void subscription_server::on_response(std::uint64_t key, const sm::message& resp, time_point now) {
  if (resp.status() < 200) return;
  auto nit = notifies_.find(key);
  if (nit == notifies_.end()) return;
  std::uint64_t id = nit->second;
  notifies_.erase(nit);
  sub& s = subs_.at(id);
  s.in_flight = 0;
  if (s.dlg) s.dlg->note_local_cseq(resp.cseq().seq);  // a watcher that challenged us
  const std::uint16_t st = resp.status();
  if (s.ending) return remove(id, s.end_reason, st < 300 ? 0 : st);
  // RFC 6665 4.2.2: 481 means the subscriber has no such subscription; never NOTIFY again.
  if (st == 481) return remove(id, reason::failed, st);
  if (st >= 300) return reschedule(id, s);  // other errors: the subscription stands
  catch_up(id, s, now);
}

SIPEVENTS_INLINE void subscription_server::on_failure(std::uint64_t key, std::uint16_t status, time_point) {
  auto nit = notifies_.find(key);
  if (nit == notifies_.end()) return;
  std::uint64_t id = nit->second;
  notifies_.erase(nit);
  subs_.at(id).in_flight = 0;
  // Timer F (408) or a transport failure: the watcher is gone.
  sub& s = subs_.at(id);
  remove(id, s.ending ? s.end_reason : reason::failed, status);
}

SIPEVENTS_INLINE void subscription_server::advance(time_point now) {
  while (!timers_.empty() && timers_.top().at <= now) {
    timer_item t = timers_.top();
    timers_.pop();
    auto it = subs_.find(t.id);
    if (it == subs_.end() || it->second.deadline != t.at) continue;  // stale entry
    sub& s = it->second;
    s.deadline = time_point::max();
    if (s.ending) continue;
    if (s.expires_at <= now) {
      send_notify(t.id, s, now, reason::timeout);  // RFC 6665 4.2.2: expiry
    } else {
      catch_up(t.id, s, now);
    }
  }
}

SIPEVENTS_INLINE time_point subscription_server::next_deadline() const {
  while (!timers_.empty()) {
    const timer_item& t = timers_.top();
    auto it = subs_.find(t.id);
    if (it != subs_.end() && it->second.deadline == t.at) return t.at;
    timers_.pop();
  }
  return time_point::max();
}

SIPEVENTS_INLINE bool subscription_server::poll(server_event& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

}  // namespace sipevents::events

SIPEVENTS_IMPL_END
