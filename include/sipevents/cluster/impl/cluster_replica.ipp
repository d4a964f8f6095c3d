#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/cluster/cluster_replica.hpp"

#include <set>

namespace sipevents::cluster {
namespace ss = sipevents::store;

SIPEVENTS_INLINE replica::replica(registrar::registrar* reg, events::publication_server* esc, replica_config cfg)
    : reg_(reg), esc_(esc), cfg_(std::move(cfg)) {}

SIPEVENTS_INLINE void replica::put(const ss::stored& s, const ss::clock_pair& clocks, time_point now) {
  if (!s.value) return;
  ss::record r;
  if (!ss::decode(s.kind, *s.value, clocks, r)) {
    ++stats_.unreadable;
    return;
  }
  switch (s.kind) {
    case ss::record_kind::binding:
      if (reg_) {
        reg_->apply_remote(std::get<ss::binding_record>(r), now, cfg_.hold);
        ++stats_.bindings;
      }
      break;
    case ss::record_kind::publication:
      if (esc_) {
        if (esc_->apply_remote(std::get<ss::publication_record>(r), now, cfg_.hold)) ++stats_.publications;
        else ++stats_.unreadable;
      }
      break;
    case ss::record_kind::subscription:
      ++stats_.subscriptions_seen;  // its owner serves it
      break;
    case ss::record_kind::meta:
      break;  // read once at start
  }
}

SIPEVENTS_INLINE void replica::erase(const ss::stored& s) {
  switch (s.kind) {
    case ss::record_kind::binding:
      if (reg_ && reg_->apply_remote_erase(s.group, s.key,
                                           registrar::binding_event_from(s.reason).value_or(
                                               registrar::binding_event::deactivated)))
        ++stats_.erased;
      break;
    case ss::record_kind::publication:
      if (esc_ && esc_->find(s.key)) {
        esc_->apply_remote_erase(s.key, s.reason);
        ++stats_.erased;
      }
      break;
    default:
      break;
  }
}

SIPEVENTS_INLINE void replica::load(std::span<const ss::stored> records, const ss::clock_pair& clocks, time_point now) {
  // Bindings before publications: presence composes registrations in.
  for (ss::record_kind k : {ss::record_kind::binding, ss::record_kind::publication})
    for (const ss::stored& s : records)
      if (s.kind == k) put(s, clocks, now);
}

SIPEVENTS_INLINE void replica::apply(std::span<const ss::stored> entries, const ss::clock_pair& clocks, time_point now) {
  for (const ss::stored& s : entries) {
    if (s.value) put(s, clocks, now);
    else erase(s);
  }
}

SIPEVENTS_INLINE void replica::resync(std::span<const ss::stored> records, const std::function<bool(std::string_view)>& in_partition,
                     const ss::clock_pair& clocks, time_point now) {
  std::set<std::string, std::less<>> bindings, publications;
  for (const ss::stored& s : records) {
    if (s.kind == ss::record_kind::binding) bindings.insert(s.key);
    if (s.kind == ss::record_kind::publication) publications.insert(s.key);
  }
  if (reg_) {
    std::vector<std::pair<std::string, std::string>> gone;
    reg_->for_each([&](const std::string& aor, const registrar::binding& b) {
      if (in_partition(aor) && !bindings.count(b.id)) gone.emplace_back(aor, b.id);
    });
    for (const auto& [aor, id] : gone)
      if (reg_->apply_remote_erase(aor, id, registrar::binding_event::deactivated)) ++stats_.erased;
  }
  if (esc_) {
    std::vector<std::string> gone;
    esc_->for_each([&](const events::publication& p) {
      if (in_partition(p.resource) && !publications.count(p.etag)) gone.push_back(p.etag);
    });
    for (const auto& etag : gone) {
      esc_->apply_remote_erase(etag, "removed");
      ++stats_.erased;
    }
  }
  load(records, clocks, now);
}

SIPEVENTS_INLINE std::vector<ss::subscription_record> replica::take_over(std::span<const ss::stored> records,
                                                        const ss::clock_pair& clocks) {
  std::vector<ss::subscription_record> out;
  for (const ss::stored& s : records) {
    if (s.kind != ss::record_kind::subscription || !s.value) continue;
    ss::record r;
    if (!ss::decode(s.kind, *s.value, clocks, r)) {
      ++stats_.unreadable;
      continue;
    }
    auto& sub = std::get<ss::subscription_record>(r);
    // RFC 6665 4.1.3: NOTIFY is a target refresh; this node's Contact in it moves the
    // watcher's next refresh here.
    if (!cfg_.contact.empty()) sub.local_contact = cfg_.contact;
    out.push_back(std::move(sub));
  }
  return out;
}

}  // namespace sipevents::cluster

SIPEVENTS_IMPL_END
