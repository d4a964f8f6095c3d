#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/store/journal.hpp"

#include <utility>

namespace sipevents::store {

SIPEVENTS_INLINE std::string_view to_string(record_kind k) noexcept {
  switch (k) {
    case record_kind::binding: return "binding";
    case record_kind::publication: return "publication";
    case record_kind::subscription: return "subscription";
    case record_kind::meta: return "meta";
  }
  return "";
}

SIPEVENTS_INLINE record_kind kind_of(const record& r) noexcept { return static_cast<record_kind>(r.index() + 1); }

SIPEVENTS_INLINE const std::string& key_of(const record& r) noexcept {
  struct visitor {
    const std::string& operator()(const binding_record& x) const noexcept { return x.id; }
    const std::string& operator()(const publication_record& x) const noexcept { return x.etag; }
    const std::string& operator()(const subscription_record& x) const noexcept { return x.key; }
    const std::string& operator()(const meta_record& x) const noexcept { return x.name; }
  };
  return std::visit(visitor{}, r);
}

SIPEVENTS_INLINE time_point expiry_of(const record& r) noexcept {
  struct visitor {
    time_point operator()(const binding_record& x) const noexcept { return x.expires_at; }
    time_point operator()(const publication_record& x) const noexcept { return x.expires_at; }
    time_point operator()(const subscription_record& x) const noexcept { return x.expires_at; }
    time_point operator()(const meta_record&) const noexcept { return time_point::max(); }
  };
  return std::visit(visitor{}, r);
}

SIPEVENTS_INLINE std::string group_of(const record& r) {
  struct visitor {
    std::string operator()(const binding_record& x) const { return x.aor; }
    std::string operator()(const publication_record& x) const { return x.resource; }
    std::string operator()(const subscription_record& x) const { return x.resource; }
    std::string operator()(const meta_record&) const { return {}; }
  };
  return std::visit(visitor{}, r);
}

SIPEVENTS_INLINE void journal::add(entry e, bool newer) {
  auto [it, fresh] = index_.try_emplace({e.kind, e.key}, entries_.size());
  if (fresh) {
    const bool was_empty = entries_.empty();
    entries_.push_back(std::move(e));
    if (was_empty && wake_) wake_();
  } else if (newer) {
    entries_[it->second] = std::move(e);
  }
}

SIPEVENTS_INLINE void journal::put(record r) {
  entry e;
  e.kind = kind_of(r);
  e.key = key_of(r);
  e.group = group_of(r);
  e.value = std::move(r);
  add(std::move(e), true);
}

SIPEVENTS_INLINE void journal::erase(record_kind k, std::string key, std::string group, std::string reason, bool if_expired) {
  add(entry{k, std::move(key), std::nullopt, std::move(group), std::move(reason), if_expired}, true);
}

SIPEVENTS_INLINE std::vector<entry> journal::take() {
  index_.clear();
  return std::exchange(entries_, {});
}

SIPEVENTS_INLINE void journal::restore(std::vector<entry> taken) {
  for (auto& e : taken) add(std::move(e), false);
}

}  // namespace sipevents::store

SIPEVENTS_IMPL_END
