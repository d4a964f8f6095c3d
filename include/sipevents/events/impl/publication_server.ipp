#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/events/publication_server.hpp"

#include <algorithm>

#include "sipevents/events/subscription_server.hpp"
#include "sipevents/message/uri.hpp"

namespace sipevents::events {

namespace sm = sipevents::message;

SIPEVENTS_INLINE std::string_view to_string(publication_change_kind k) noexcept {
  switch (k) {
    case publication_change_kind::created: return "created";
    case publication_change_kind::modified: return "modified";
    case publication_change_kind::refreshed: return "refreshed";
    case publication_change_kind::removed: return "removed";
    case publication_change_kind::expired: return "expired";
  }
  return "";
}

SIPEVENTS_INLINE bool publisher_is_resource(const publish_request& r) {
  sm::uri u;
  if (sm::parse_uri(r.identity.empty() ? r.publisher : r.identity, u)) return false;
  return resource_name(u) == r.resource;
}

SIPEVENTS_INLINE publication_server::publication_server(token_source ids, publication_config cfg, publish_authorizer authorize)
    : ids_(std::move(ids)), cfg_(cfg), authorize_(std::move(authorize)) {}

SIPEVENTS_INLINE void publication_server::add_package(const package& p, expiry_policy bounds) {
  packages_[std::string(p.name())] = {&p, bounds};
}

SIPEVENTS_INLINE std::string publication_server::key(std::string_view event, std::string_view resource) const {
  std::string k(event);
  k.push_back(' ');
  k.append(resource);
  return k;
}

SIPEVENTS_INLINE std::optional<publication_change_kind> publication_change_from(std::string_view s) noexcept {
  for (int i = 0; i <= static_cast<int>(publication_change_kind::expired); ++i)
    if (to_string(static_cast<publication_change_kind>(i)) == s) return static_cast<publication_change_kind>(i);
  return std::nullopt;
}

SIPEVENTS_INLINE void publication_server::persist(const publication& p) {
  if (journal_ && !remote_)
    journal_->put(store::publication_record{p.etag, p.event, p.resource, p.publisher, p.content_type, p.body,
                                            p.expires_at, p.modified});
}

SIPEVENTS_INLINE void publication_server::forget(const publication& p, publication_change_kind why) {
  if (journal_ && !remote_)
    journal_->erase(store::record_kind::publication, p.etag, p.resource, std::string(to_string(why)),
                    why == publication_change_kind::expired);
}

SIPEVENTS_INLINE void publication_server::forget_replaced(const publication& p) {
  if (journal_ && !remote_) journal_->erase(store::record_kind::publication, p.etag, p.resource, "replaced");
}

SIPEVENTS_INLINE bool publication_server::restore(const store::publication_record& r, time_point now) {
  auto pk = packages_.find(r.event);
  bool ok = pk != packages_.end() && r.expires_at > now && !by_etag_.count(r.etag);
  decoded d;
  if (ok) {
    sm::media_type mt;
    ok = !sm::parse_media_type(r.content_type, mt);
    if (ok) d = pk->second.pkg->decode(mt, r.body);
    ok = ok && d.ok;
  }
  if (!ok) {
    if (journal_)
      journal_->erase(store::record_kind::publication, r.etag, r.resource, "expired", r.expires_at <= now);
    return false;
  }
  publication p{r.etag, r.event, r.resource, r.publisher, r.content_type, r.body, std::move(d.state),
                r.expires_at, r.modified};
  seq_ = std::max(seq_, r.modified);
  by_entity_[key(r.event, r.resource)].push_back(r.etag);
  timers_.push({p.expires_at, p.etag});
  changes_.push({publication_change_kind::created, r.event, r.resource, r.etag, {}});
  by_etag_.emplace(r.etag, std::move(p));
  return true;
}

SIPEVENTS_INLINE bool publication_server::apply_remote(const store::publication_record& r, time_point now,
                                      transaction::clock::duration hold) {
  if (r.expires_at + hold <= now) return false;
  auto pk = packages_.find(r.event);
  if (pk == packages_.end()) return false;
  const std::string k = key(r.event, r.resource);
  auto it = by_etag_.find(r.etag);
  if (it != by_etag_.end() && it->second.expires_at == r.expires_at && it->second.body == r.body &&
      it->second.publisher == r.publisher) {
    it->second.hold = hold;  // the same write delivered again
    return true;
  }
  // The publication this write continues: itself (the same tag), or one the writer
  // replaced with this tag.
  std::optional<publication> before;
  if (it != by_etag_.end()) {
    before = std::move(it->second);
    by_etag_.erase(it);
  } else if (auto rp = replaced_.find(k); rp != replaced_.end()) {
    before = std::move(rp->second);
    replaced_.erase(rp);
  }
  decoded d;
  if (!before || before->body != r.body) {
    sm::media_type mt;
    if (sm::parse_media_type(r.content_type, mt)) return false;
    d = pk->second.pkg->decode(mt, r.body);
    if (!d.ok) return false;
  } else {
    d.state = std::move(before->state);
  }
  publication p{r.etag, r.event, r.resource, r.publisher, r.content_type, r.body, std::move(d.state),
                r.expires_at, r.modified, hold};
  seq_ = std::max(seq_, r.modified);
  auto& list = by_entity_[k];
  publication_change c{publication_change_kind::created, r.event, r.resource, r.etag, {}};
  if (before) {
    c.kind = before->body == r.body ? publication_change_kind::refreshed : publication_change_kind::modified;
    c.old_etag = before->etag;
    std::replace(list.begin(), list.end(), before->etag, r.etag);
    if (std::find(list.begin(), list.end(), r.etag) == list.end()) list.push_back(r.etag);
  } else {
    list.push_back(r.etag);
  }
  timers_.push({p.acts_at(), p.etag});
  changes_.push(std::move(c));
  by_etag_.insert_or_assign(r.etag, std::move(p));
  return true;
}

SIPEVENTS_INLINE void publication_server::apply_remote_erase(std::string_view etag, std::string_view reason) {
  auto it = by_etag_.find(etag);
  if (it == by_etag_.end()) return;
  remote_ = true;
  if (reason == "replaced") {
    const std::string k = key(it->second.event, it->second.resource);
    if (auto e = by_entity_.find(k); e != by_entity_.end()) {
      // Kept in the list (the new tag takes its place) unless no write follows.
      std::erase(e->second, it->first);
      if (e->second.empty()) by_entity_.erase(e);
    }
    replaced_.insert_or_assign(k, std::move(it->second));
    by_etag_.erase(it);
  } else {
    remove(it, publication_change_from(reason).value_or(publication_change_kind::removed));
  }
  remote_ = false;
}

SIPEVENTS_INLINE std::string publication_server::new_etag() {
  // Unguessable (the token source is the stack's CSPRNG-seeded one) and unique here.
  for (;;) {
    std::string t = ids_(cfg_.etag_length);
    if (!by_etag_.count(t)) return t;
  }
}

SIPEVENTS_INLINE sm::message_builder publication_server::on_publish(const sm::message& req, time_point now, std::string_view identity) {
  std::string to_tag = ids_(10);
  auto answer = [&](std::uint16_t st, std::string_view reason) {
    return sm::message_builder::response_to(req, st, reason, to_tag);
  };
  const sm::event_header* ev = req.event();
  auto pk = ev ? packages_.find(ev->type) : packages_.end();
  if (pk == packages_.end()) {
    auto b = answer(489, ev ? "Bad Event" : "Bad Event: Missing Event Header");
    std::string allow;
    for (const auto& [name, r] : packages_) allow += (allow.empty() ? "" : ", ") + name;
    if (!allow.empty()) b.header(sm::hdr::allow_events, allow);
    return b;
  }
  const std::string event = pk->first;
  const expiry_policy& bounds = pk->second.bounds;
  const std::string resource = resource_name(req.request_uri());
  const std::string publisher(req.from().addr.text);
  if (!authorize_({&req, resource, publisher, identity})) return answer(403, "Forbidden: Not Authorized to Publish");

  std::uint32_t expires = req.expires().value_or(bounds.default_expires);
  if (expires != 0 && expires < bounds.min_expires) {
    auto b = answer(423, "Interval Too Brief");
    b.header(sm::hdr::min_expires, std::to_string(bounds.min_expires));
    return b;
  }
  expires = std::min(expires, bounds.max_expires);

  const bool has_body = !req.body().empty();
  decoded d;
  if (has_body) {
    if (req.body().size() > cfg_.max_body) return answer(413, "Request Entity Too Large");
    const sm::media_type* ct = req.content_type();
    bool ok = false;
    if (ct)
      for (const auto& t : pk->second.pkg->content_types()) {
        auto slash = t.find('/');
        ok = ok || ct->matches(std::string_view(t).substr(0, slash), std::string_view(t).substr(slash + 1));
      }
    if (!ok) {
      auto b = ct ? answer(415, "Unsupported Media Type") : answer(400, "Missing Content-Type");
      std::string acc;
      for (const auto& t : pk->second.pkg->content_types()) acc += (acc.empty() ? "" : ", ") + t;
      b.header(sm::hdr::accept, acc);
      return b;
    }
    // The package must be able to read what it will compose from.
    d = pk->second.pkg->decode(*ct, req.body());
    if (!d.ok) {
      std::string why = "Bad " + std::string(ct->subtype) + " Body: " + d.error;
      for (char& c : why)
        if (c < 0x20 || c == 0x7f) c = ' ';
      if (why.size() > 120) why.resize(120);
      return answer(400, why);
    }
  }

  const std::string_view if_match = req.sip_if_match();
  auto ok = [&](std::string_view etag, std::uint32_t secs) {
    auto b = answer(200, "OK");
    if (secs) b.header(sm::hdr::sip_etag, etag);
    b.header(sm::hdr::expires, std::to_string(secs));
    return b;
  };

  if (if_match.empty()) {
    // Initial publication (RFC 3903 6 step 4): needs a body.
    if (!has_body) return answer(400, "Missing Body in Initial PUBLISH");
    if (expires == 0) return answer(400, "Expires 0 Without SIP-If-Match");
    const std::string k = key(event, resource);
    auto& list = by_entity_[k];
    if (list.size() >= cfg_.max_per_resource) {
      if (list.empty()) by_entity_.erase(k);
      auto b = answer(503, "Too Many Publications for This Resource");
      b.header(sm::hdr::retry_after, "60");
      return b;
    }
    if (by_etag_.size() >= cfg_.max_publications) {
      if (list.empty()) by_entity_.erase(k);
      auto b = answer(503, "Too Many Publications");
      b.header(sm::hdr::retry_after, "60");
      return b;
    }
    publication p;
    p.etag = new_etag();
    p.event = event;
    p.resource = resource;
    p.publisher = publisher;
    p.content_type = std::string(req.content_type()->type) + "/" + std::string(req.content_type()->subtype);
    p.body = std::string(req.body());
    p.state = std::move(d.state);
    p.expires_at = now + seconds(expires);
    p.modified = ++seq_;
    list.push_back(p.etag);
    timers_.push({p.expires_at, p.etag});
    changes_.push({publication_change_kind::created, event, resource, p.etag, {}});
    persist(p);
    auto& stored = by_etag_[p.etag] = std::move(p);
    return ok(stored.etag, expires);
  }

  // Refresh, modify or remove (steps 3, 5-7): the tag must name a live publication of
  // this very resource and event.
  auto it = by_etag_.find(if_match);
  if (it == by_etag_.end() || it->second.event != event || it->second.resource != resource ||
      it->second.expires_at <= now)
    return answer(412, "Conditional Request Failed");
  const std::string old = it->first;
  if (expires == 0) {
    remove(it, publication_change_kind::removed);
    changes_.back().old_etag = old;
    return ok({}, 0);  // a removal answers without an entity tag
  }
  publication p = std::move(it->second);
  by_etag_.erase(it);
  forget_replaced(p);
  p.hold = {};  // refreshed here: its expiry is ours to act on now
  p.etag = new_etag();
  p.publisher = publisher;
  p.expires_at = now + seconds(expires);
  publication_change_kind kind = publication_change_kind::refreshed;
  if (has_body) {
    kind = publication_change_kind::modified;
    p.content_type = std::string(req.content_type()->type) + "/" + std::string(req.content_type()->subtype);
    p.body = std::string(req.body());
    p.state = std::move(d.state);
    p.modified = ++seq_;
  }
  auto& list = by_entity_[key(event, resource)];
  std::replace(list.begin(), list.end(), old, p.etag);
  timers_.push({p.expires_at, p.etag});
  if (timers_.size() > 2 * by_etag_.size() + 64) {
    // Refreshes leave stale entries; rebuild so a fast refresher cannot grow the heap.
    std::vector<timer> live;
    for (const auto& [t, pub] : by_etag_) live.emplace_back(pub.acts_at(), t);
    live.emplace_back(p.expires_at, p.etag);
    timers_ = decltype(timers_)(std::greater<>(), std::move(live));
  }
  changes_.push({kind, event, resource, p.etag, old});
  persist(p);
  auto& stored = by_etag_[p.etag] = std::move(p);
  return ok(stored.etag, expires);
}

SIPEVENTS_INLINE void publication_server::remove(etag_map::iterator it, publication_change_kind why) {
  const std::string k = key(it->second.event, it->second.resource);
  auto e = by_entity_.find(k);
  if (e != by_entity_.end()) {
    std::erase(e->second, it->first);
    if (e->second.empty()) by_entity_.erase(e);
  }
  changes_.push({why, it->second.event, it->second.resource, it->first, {}});
  forget(it->second, why);
  by_etag_.erase(it);
}

SIPEVENTS_INLINE void publication_server::advance(time_point now) {
  while (!timers_.empty() && timers_.top().first <= now) {
    auto [at, etag] = timers_.top();
    timers_.pop();
    auto it = by_etag_.find(etag);
    if (it == by_etag_.end() || it->second.acts_at() != at) continue;
    remove(it, publication_change_kind::expired);
  }
  // Drop stale heads so next_deadline() names a live one.
  while (!timers_.empty()) {
    auto it = by_etag_.find(timers_.top().second);
    if (it != by_etag_.end() && it->second.acts_at() == timers_.top().first) break;
    timers_.pop();
  }
}

SIPEVENTS_INLINE time_point publication_server::next_deadline() const {
  return timers_.empty() ? time_point::max() : timers_.top().first;
}

SIPEVENTS_INLINE bool publication_server::poll(publication_change& out) {
  if (changes_.empty()) return false;
  out = std::move(changes_.front());
  changes_.pop();
  return true;
}

SIPEVENTS_INLINE std::vector<const publication*> publication_server::publications(std::string_view event,
                                                                 std::string_view resource) const {
  std::vector<const publication*> out;
  auto e = by_entity_.find(key(event, resource));
  if (e == by_entity_.end()) return out;
  for (const auto& t : e->second)
    if (auto it = by_etag_.find(t); it != by_etag_.end()) out.push_back(&it->second);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->modified < b->modified; });
  return out;
}

SIPEVENTS_INLINE const publication* publication_server::find(std::string_view etag) const {
  auto it = by_etag_.find(etag);
  return it == by_etag_.end() ? nullptr : &it->second;
}

}  // namespace sipevents::events

SIPEVENTS_IMPL_END
