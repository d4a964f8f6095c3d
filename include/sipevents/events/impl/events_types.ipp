#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/events/events_types.hpp"

#include <charconv>
#include "sipevents/events/package.hpp"

namespace sipevents::events {
namespace {
struct reason_name {
  reason r;
  std::string_view text;
};
constexpr reason_name k_reasons[] = {
    {reason::deactivated, "deactivated"}, {reason::probation, "probation"}, {reason::rejected, "rejected"},
    {reason::timeout, "timeout"},         {reason::giveup, "giveup"},       {reason::noresource, "noresource"},
    {reason::invariant, "invariant"},     {reason::failed, "failed"},       {reason::expired, "expired"},
    {reason::no_notify, "no-notify"},     {reason::unsubscribed, "unsubscribed"}, {reason::other, "other"},
};
}  // namespace

SIPEVENTS_INLINE reason reason_from(std::string_view token) noexcept {
  if (token.empty()) return reason::none;
  // RFC 6665 8.3 reason codes are tokens compared case-insensitively; only the
  // registered ones map, so a peer cannot fake our local reasons.
  for (std::size_t i = 0; i < 7; ++i) {
    std::string_view t = k_reasons[i].text;
    if (t.size() != token.size()) continue;
    bool eq = true;
    for (std::size_t j = 0; j < t.size() && eq; ++j) eq = (token[j] | 0x20) == t[j];
    if (eq) return k_reasons[i].r;
  }
  return reason::other;
}

SIPEVENTS_INLINE std::string_view to_string(reason r) noexcept {
  for (const auto& e : k_reasons)
    if (e.r == r) return e.text;
  return "";
}

SIPEVENTS_INLINE std::string_view to_string(sub_state s) noexcept {
  switch (s) {
    case sub_state::init: return "init";
    case sub_state::pending: return "pending";
    case sub_state::active: return "active";
    case sub_state::terminated: return "terminated";
  }
  return "";
}

SIPEVENTS_INLINE std::string watcher_versions::save(std::uint64_t id) const {
  auto it = versions_.find(id);
  return it == versions_.end() ? std::string() : std::to_string(it->second);
}

SIPEVENTS_INLINE void watcher_versions::restore(std::uint64_t id, std::string_view saved, std::uint32_t notifies_since) {
  std::uint32_t v = 0;
  std::from_chars(saved.data(), saved.data() + saved.size(), v);
  versions_[id] = v + notifies_since;
}

SIPEVENTS_INLINE decoded package::decode(const message::media_type&, std::string_view text) const {
  decoded d;
  d.ok = true;
  d.state = std::string(text);
  return d;
}

}  // namespace sipevents::events

SIPEVENTS_IMPL_END
