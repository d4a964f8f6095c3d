// The presence event package (RFC 3856) on the RFC 6665 framework, with the state of
// each presentity composed from what its devices PUBLISHed (RFC 3903) to a
// publication_server: the union of their tuples and persons, a newer publication
// replacing the same id; when nothing is published, an open tuple for a registered
// contact (registrations_open), else hard state (default: one closed tuple). Watchers
// get full PIDF documents, or, when their Accept names application/pidf-diff+xml
// (RFC 5263), full state once and then only what changed (RFC 5262); a composed state
// that did not change sends no NOTIFY.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_PRESENCE_PRESENCE_PACKAGE
#endif
#include <memory>
#include <string>
#include <unordered_map>

#include "sipevents/events/package.hpp"
#include "sipevents/events/publication_server.hpp"
#include "sipevents/presence/pidf.hpp"
#include "sipevents/presence/pidf_diff.hpp"

namespace sipevents::presence {

struct presence_config {
  events::expiry_policy subscriptions{3600, 60, 86400};  ///< RFC 3856 6.4: default 3600
  events::expiry_policy publications{3600, 60, 86400};
  /// What watchers see of a presentity nobody publishes for; none: no tuple at all.
  basic_status hard_state = basic_status::closed;
  /// A presentity that publishes nothing but has a registered contact is open, with
  /// that contact (RFC 3856 6.6: registrations are a presence source). Softphones and
  /// browser clients that never PUBLISH then still come online. Needs registered().
  bool registrations_open = true;
};

class presence_package : public events::package {
 public:
  /// `esc` (not owned, may be null for a watcher-only use) holds the publications.
  explicit presence_package(const events::publication_server* esc = nullptr, presence_config cfg = {});

  std::string_view name() const override { return "presence"; }
  std::vector<std::string> content_types() const override;
  /// application/pidf-diff+xml, for watchers that name it.
  std::string_view partial_type() const override { return pidf_diff_type; }
  events::expiry_policy expires() const override { return cfg_.subscriptions; }
  /// PIDF; for a pidf-diff+xml watcher `<pidf-full>` first (and on refresh), then a
  /// `<pidf-diff>` from what that watcher was last sent, or `<pidf-full>` again when that
  /// is no larger, each one version up.
  std::optional<events::body> state(const events::watcher_view& w) override;
  void watcher_gone(std::uint64_t id) override;
  std::string save_watcher(std::uint64_t id) const override { return versions_.save(id); }
  void restore_watcher(std::uint64_t id, std::string_view resource, std::string_view saved,
                       std::uint32_t notifies_since) override;
  /// Pending and politely blocked watchers see the hard state (RFC 3856 5.2: as if
  /// the presentity were offline).
  std::optional<events::body> neutral_state(const events::watcher_view& w) override;
  /// Reads PIDF (either type) into a presence_document, and pidf-diff+xml into a
  /// pidf_update (feed it to a pidf_view).
  events::decoded decode(const message::media_type& type, std::string_view text) const override;

  /// Feed every change the publication_server reports. True when the composed
  /// document of that resource changed: call the notifier's changed("presence", r).
  bool apply(const events::publication_change& c);
  /// The contacts `resource` (an AoR) has registered now, after a registrar change;
  /// empty when it has none. True when the composed document changed: call the
  /// notifier's changed("presence", resource).
  bool registered(std::string_view resource, std::vector<std::string> contacts);
  /// The composed document of a resource.
  presence_document compose(std::string_view resource) const;
  const presence_config& config() const noexcept { return cfg_; }

 private:
  const events::publication_server* esc_;
  presence_config cfg_;
  /// Recomputes `resource`'s document; true when it changed.
  bool recompose(std::string_view resource);
  struct composed_state {
    std::string xml;
    std::shared_ptr<const presence_document> doc;  ///< shared with the diff watchers last sent it
  };
  /// The composed document of `resource`, cached or made now.
  std::shared_ptr<const presence_document> current(std::string_view resource) const;
  // resource -> last document
  std::unordered_map<std::string, composed_state, events::string_hash, std::equal_to<>> composed_;
  // pidf-diff watchers: what each was last sent, and its document versions
  std::unordered_map<std::uint64_t, std::shared_ptr<const presence_document>> sent_;
  events::watcher_versions versions_;
  // resource -> registered contacts (only AoRs that have some)
  std::unordered_map<std::string, std::vector<std::string>, events::string_hash, std::equal_to<>> registered_;
};

}  // namespace sipevents::presence

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_PRESENCE_PRESENCE_PACKAGE
#define SIPEVENTS_SEEN_PRESENCE_PRESENCE_PACKAGE
#include "sipevents/impl/definitions.ipp"
#endif
