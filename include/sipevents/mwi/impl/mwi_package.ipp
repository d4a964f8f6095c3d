#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/mwi/mwi_package.hpp"

namespace sipevents::mwi {

SIPEVENTS_INLINE mwi_package::mwi_package(const events::publication_server* esc, mwi_config cfg) : esc_(esc), cfg_(cfg) {}

SIPEVENTS_INLINE message_summary mwi_package::summary(std::string_view mailbox) const {
  if (auto it = set_.find(mailbox); it != set_.end()) return it->second;
  if (esc_) {
    // Oldest body change first: the last one is the newest.
    auto pubs = esc_->publications("message-summary", mailbox);
    for (auto it = pubs.rbegin(); it != pubs.rend(); ++it) {
      if (const auto* s = std::any_cast<message_summary>(&(*it)->state)) return *s;
      message_summary own;
      if (mwi::decode((*it)->body, own, nullptr, cfg_.limits)) return own;
    }
  }
  return {};
}

SIPEVENTS_INLINE std::optional<events::body> mwi_package::state(const events::watcher_view& w) {
  return events::body{std::string(message_summary_type), encode(summary(w.resource))};
}

SIPEVENTS_INLINE events::decoded mwi_package::decode(const message::media_type&, std::string_view text) const {
  events::decoded out;
  message_summary s;
  if (!mwi::decode(text, s, &out.error, cfg_.limits)) return out;
  out.ok = true;
  out.state = std::move(s);
  return out;
}

SIPEVENTS_INLINE bool mwi_package::set(std::string_view mailbox, message_summary s) {
  auto it = set_.find(mailbox);
  if (it != set_.end() && it->second == s) return false;
  if (it == set_.end()) set_.emplace(std::string(mailbox), std::move(s));
  else it->second = std::move(s);
  return true;
}

SIPEVENTS_INLINE bool mwi_package::clear(std::string_view mailbox) {
  auto it = set_.find(mailbox);
  if (it == set_.end()) return false;
  set_.erase(it);
  return true;
}

}  // namespace sipevents::mwi

SIPEVENTS_IMPL_END
