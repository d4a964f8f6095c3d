// The dialog event package (RFC 4235) on the RFC 6665 framework: what a PBX's busy
// lamp fields subscribe to. An entity's dialogs come from the application (a PBX
// reports its calls with report()) and from PUBLISH Event: dialog (as Kamailio's
// pua_dialoginfo sends them) kept by a publication_server; several publishers and the
// application are merged by dialog id, the newest report winning. Each watcher gets
// full documents, versioned per subscription from 0 (RFC 4235 4.1).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_DIALOGINFO_DIALOG_PACKAGE
#endif
#include <map>
#include <string>
#include <unordered_map>

#include "sipevents/dialoginfo/dialog_info.hpp"
#include "sipevents/events/package.hpp"
#include "sipevents/events/publication_server.hpp"

namespace sipevents::dialoginfo {

struct dialog_config {
  events::expiry_policy subscriptions{3600, 60, 86400};  ///< RFC 4235 3.3: default 3600
  events::expiry_policy publications{3600, 60, 86400};
  /// Dialogs the application reports per entity at most; beyond, the oldest
  /// terminated ones go first, then report() refuses new ones.
  std::size_t max_dialogs_per_entity = 64;
};

class dialog_package : public events::package {
 public:
  /// `esc` (not owned, may be null) holds PUBLISHed dialog state.
  explicit dialog_package(const events::publication_server* esc = nullptr, dialog_config cfg = {});

  std::string_view name() const override { return "dialog"; }
  std::vector<std::string> content_types() const override { return {std::string(dialog_info_type)}; }
  events::expiry_policy expires() const override { return cfg_.subscriptions; }
  std::optional<events::body> state(const events::watcher_view& w) override;
  void watcher_gone(std::uint64_t id) override { versions_.gone(id); }
  std::string save_watcher(std::uint64_t id) const override { return versions_.save(id); }
  void restore_watcher(std::uint64_t id, std::string_view, std::string_view saved,
                       std::uint32_t notifies_since) override {
    versions_.restore(id, saved, notifies_since);
  }
  /// Reads dialog-info into a dialog_info (the subscriber side, and PUBLISH bodies).
  events::decoded decode(const message::media_type& type, std::string_view text) const override;

  /// The application's report of one of `entity`'s dialogs (new, or moved to another
  /// state). A terminated dialog is shown once more, then dropped at the entity's next
  /// change. True when the entity's state changed: call the notifier's
  /// changed("dialog", entity). False for a dialog without id, or beyond the limit.
  bool report(std::string_view entity, dialog d);
  /// Feed every change the publication_server reports. True for an Event: dialog
  /// change other than a refresh (the body stays): call changed("dialog", c.resource).
  bool apply(const events::publication_change& c) const {
    // A refresh keeps the body: nothing to tell.
    return c.event == "dialog" && c.kind != events::publication_change_kind::refreshed;
  }
  /// The entity's dialogs now: the application's, then the publishers', by dialog id.
  std::vector<dialog> dialogs(std::string_view entity) const;
  const dialog_config& config() const noexcept { return cfg_; }

 private:
  const events::publication_server* esc_;
  dialog_config cfg_;
  struct reported {
    std::map<std::string, dialog> by_id;  // dialog id -> latest report
  };
  std::unordered_map<std::string, reported, events::string_hash, std::equal_to<>> reported_;
  events::watcher_versions versions_;
};

}  // namespace sipevents::dialoginfo

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_DIALOGINFO_DIALOG_PACKAGE
#define SIPEVENTS_SEEN_DIALOGINFO_DIALOG_PACKAGE
#include "sipevents/impl/definitions.ipp"
#endif
