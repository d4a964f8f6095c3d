#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/winfo/winfo_package.hpp"

#include <algorithm>
#include <charconv>

#include "sipevents/message/uri.hpp"

namespace sipevents::winfo {

SIPEVENTS_INLINE events::authorization own_watchers_only(const events::authorization_request& r) {
  const std::string_view who = r.identity.empty() ? r.watcher : r.identity;
  message::uri a, b;
  if (message::parse_uri(who, a) || message::parse_uri(r.resource, b)) return events::authorization::deny;
  return message::address_of_record(a) == message::address_of_record(b) ? events::authorization::accept
                                                                          : events::authorization::deny;
}

SIPEVENTS_INLINE events::authorization ask(const events::authorization_request& r) {
  if (own_watchers_only(r) == events::authorization::accept) return events::authorization::accept;
  return events::same_domain(r) == events::authorization::deny ? events::authorization::deny
                                                                : events::authorization::pending;
}

SIPEVENTS_INLINE std::optional<std::uint64_t> subscription_of(const watcher& w) {
  std::uint64_t id = 0;
  auto [end, ec] = std::from_chars(w.id.data(), w.id.data() + w.id.size(), id);
  if (ec != std::errc() || end != w.id.data() + w.id.size() || w.id.empty()) return std::nullopt;
  return id;
}

SIPEVENTS_INLINE winfo_package::winfo_package(winfo_config cfg) : cfg_(std::move(cfg)), name_(cfg_.watched + ".winfo") {}

SIPEVENTS_INLINE std::vector<watcher> winfo_package::watchers(std::string_view resource) const {
  std::vector<watcher> out;
  if (auto it = by_resource_.find(resource); it != by_resource_.end())
    for (std::uint64_t s : it->second)
      if (auto e = by_sub_.find(s); e != by_sub_.end()) out.push_back(e->second.w);
  return out;
}

SIPEVENTS_INLINE std::optional<events::body> winfo_package::state(const events::watcher_view& w) {
  watcherinfo doc;
  doc.version = versions_.next(w.id);
  doc.full = true;
  doc.lists.push_back({std::string(w.resource), cfg_.watched, watchers(w.resource)});
  return events::body{std::string(watcherinfo_type), encode(doc)};
}

SIPEVENTS_INLINE events::decoded winfo_package::decode(const message::media_type&, std::string_view text) const {
  events::decoded out;
  watcherinfo doc;
  if (!winfo::decode(text, doc, &out.error)) return out;
  out.ok = true;
  out.state = std::move(doc);
  return out;
}

SIPEVENTS_INLINE void winfo_package::prune(std::string_view resource, std::uint64_t keep) {
  auto it = by_resource_.find(resource);
  if (it == by_resource_.end()) return;
  std::erase_if(it->second, [&](std::uint64_t s) {
    auto e = by_sub_.find(s);
    if (e == by_sub_.end()) return true;
    if (s != keep && e->second.w.status == watcher_status::terminated) {
      by_sub_.erase(e);
      return true;
    }
    return false;
  });
  if (it->second.empty()) by_resource_.erase(it);
}

SIPEVENTS_INLINE std::optional<std::string> winfo_package::subscribed(std::uint64_t sub, std::string_view resource,
                                                     std::string_view uri, events::sub_state state) {
  const watcher_status status = state == events::sub_state::active ? watcher_status::active : watcher_status::pending;
  auto it = by_sub_.find(sub);
  if (it != by_sub_.end() && it->second.w.status == status) return std::nullopt;  // a refresh: nothing new
  prune(resource, sub);
  if (it == by_sub_.end()) {
    entry e;
    e.resource = std::string(resource);
    e.w.id = std::to_string(sub);
    e.w.uri = std::string(uri);
    e.w.status = status;
    e.w.event = status == watcher_status::active ? watcher_event::approved : watcher_event::subscribe;
    by_sub_.emplace(sub, std::move(e));
    by_resource_[std::string(resource)].push_back(sub);
  } else {
    it->second.w.status = status;
    it->second.w.event = status == watcher_status::active ? watcher_event::approved : watcher_event::subscribe;
  }
  return std::string(resource);
}

SIPEVENTS_INLINE void winfo_package::forget(std::uint64_t sub) {
  auto e = by_sub_.find(sub);
  if (e == by_sub_.end() || e->second.w.status != watcher_status::terminated) return;
  if (auto r = by_resource_.find(e->second.resource); r != by_resource_.end()) {
    std::erase(r->second, sub);
    if (r->second.empty()) by_resource_.erase(r);
  }
  by_sub_.erase(e);
}

SIPEVENTS_INLINE std::optional<std::string> winfo_package::terminated(std::uint64_t sub, events::reason why) {
  auto it = by_sub_.find(sub);
  if (it == by_sub_.end() || it->second.w.status == watcher_status::terminated) return std::nullopt;
  const std::string resource = it->second.resource;
  prune(resource, sub);
  watcher& w = it->second.w;
  w.status = watcher_status::terminated;
  switch (why) {
    case events::reason::deactivated: w.event = watcher_event::deactivated; break;
    case events::reason::probation: w.event = watcher_event::probation; break;
    case events::reason::rejected: w.event = watcher_event::rejected; break;
    case events::reason::giveup: w.event = watcher_event::giveup; break;
    case events::reason::noresource: w.event = watcher_event::noresource; break;
    default: w.event = watcher_event::timeout; break;  // expired or unsubscribed (RFC 3857 3.3)
  }
  ended_.push_back(sub);
  while (ended_.size() > cfg_.max_terminated) {
    forget(ended_.front());
    ended_.pop_front();
  }
  return resource;
}

}  // namespace sipevents::winfo

SIPEVENTS_IMPL_END
