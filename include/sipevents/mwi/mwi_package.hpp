// The message-summary event package (RFC 3842) on the RFC 6665 framework: what a
// phone's voicemail lamp subscribes to. A mailbox's summary comes from the
// application (a voicemail system reports it with set()) or, when it reports none,
// from the newest PUBLISH Event: message-summary kept by a publication_server. A
// mailbox nobody reports on says Messages-Waiting: no.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MWI_MWI_PACKAGE
#endif
#include <string>
#include <unordered_map>

#include "sipevents/events/package.hpp"
#include "sipevents/events/publication_server.hpp"
#include "sipevents/mwi/message_summary.hpp"

namespace sipevents::mwi {

struct mwi_config {
  events::expiry_policy subscriptions{3600, 60, 86400};
  events::expiry_policy publications{3600, 60, 86400};
  summary_limits limits;
};

class mwi_package : public events::package {
 public:
  /// `esc` (not owned, may be null) holds PUBLISHed summaries.
  explicit mwi_package(const events::publication_server* esc = nullptr, mwi_config cfg = {});

  std::string_view name() const override { return "message-summary"; }
  std::vector<std::string> content_types() const override { return {std::string(message_summary_type)}; }
  events::expiry_policy expires() const override { return cfg_.subscriptions; }
  std::optional<events::body> state(const events::watcher_view& w) override;
  /// Reads a summary into a message_summary (the subscriber side, and PUBLISH bodies).
  events::decoded decode(const message::media_type& type, std::string_view text) const override;

  /// The application's summary of `mailbox` (the AoR watched). True when it changed:
  /// call the notifier's changed("message-summary", mailbox).
  bool set(std::string_view mailbox, message_summary s);
  /// Forgets the application's summary (publications, if any, show again).
  bool clear(std::string_view mailbox);
  /// Feed every change the publication_server reports. True for an Event:
  /// message-summary change other than a refresh (the body stays): call
  /// changed("message-summary", c.resource).
  bool apply(const events::publication_change& c) const {
    // A refresh keeps the body: nothing to tell.
    return c.event == "message-summary" && c.kind != events::publication_change_kind::refreshed;
  }
  /// The summary watchers of `mailbox` get now.
  message_summary summary(std::string_view mailbox) const;
  const mwi_config& config() const noexcept { return cfg_; }

 private:
  const events::publication_server* esc_;
  mwi_config cfg_;
  std::unordered_map<std::string, message_summary, events::string_hash, std::equal_to<>> set_;
};

}  // namespace sipevents::mwi

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MWI_MWI_PACKAGE
#define SIPEVENTS_SEEN_MWI_MWI_PACKAGE
#include "sipevents/impl/definitions.ipp"
#endif
