// The watcher information template package for presence (RFC 3857, Event:
// presence.winfo): a presentity sees who watches her. The package learns the
// watchers from the notifier's own events (subscribed(), terminated(): the glue
// passes on what the subscription_server reports for Event: presence) and gives
// each winfo subscriber full watcherinfo documents, versioned per subscription. A
// watcher that ended is shown once more with its status terminated and the event
// that ended it, then dropped at the resource's next change.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_WINFO_WINFO_PACKAGE
#endif
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "sipevents/events/package.hpp"
#include "sipevents/events/subscription_server.hpp"
#include "sipevents/winfo/watcherinfo.hpp"

namespace sipevents::winfo {

struct winfo_config {
  events::expiry_policy subscriptions{3600, 60, 86400};
  /// The package whose watchers are shown.
  std::string watched = "presence";
  /// Ended watchers kept to be shown once, at most; beyond, the oldest go first (a
  /// resource that never changes again would otherwise keep its last one for ever).
  std::size_t max_terminated = 10'000;
};

/// Who may see whose watchers (RFC 3857 5.2: the resource itself): the authenticated
/// identity, or without authentication the From AoR, must be the resource; others get
/// 403.
events::authorization own_watchers_only(const events::authorization_request& r);

/// The "ask" policy (RFC 3857 3.2, pending authorization): the presentity herself is
/// accepted; any other watcher is pending, shown in her watcher information with
/// status pending and event subscribe, until the application decides with
/// subscription_server::authorize(subscription_of(watcher), ...). Watchers of other
/// domains are denied (403) as by same_domain().
events::authorization ask(const events::authorization_request& r);
/// The notifier subscription a watcherinfo watcher stands for (its id), to hand to
/// subscription_server::authorize(); nothing for an id this package did not write.
std::optional<std::uint64_t> subscription_of(const watcher& w);

class winfo_package : public events::package {
 public:
  explicit winfo_package(winfo_config cfg = {});

  std::string_view name() const override { return name_; }
  std::vector<std::string> content_types() const override { return {std::string(watcherinfo_type)}; }
  events::expiry_policy expires() const override { return cfg_.subscriptions; }
  std::optional<events::body> state(const events::watcher_view& w) override;
  void watcher_gone(std::uint64_t id) override { versions_.gone(id); }
  std::string save_watcher(std::uint64_t id) const override { return versions_.save(id); }
  void restore_watcher(std::uint64_t id, std::string_view, std::string_view saved,
                       std::uint32_t notifies_since) override {
    versions_.restore(id, saved, notifies_since);
  }
  events::decoded decode(const message::media_type& type, std::string_view text) const override;

  /// Subscription `sub` of the watched package to `resource` by `watcher` is now
  /// `state` (pending or active). Returns the resource when its watcher list changed:
  /// call the notifier's changed(name(), resource).
  std::optional<std::string> subscribed(std::uint64_t sub, std::string_view resource, std::string_view watcher,
                                        events::sub_state state);
  /// Subscription `sub` ended for `why`. Returns its resource (see subscribed()).
  std::optional<std::string> terminated(std::uint64_t sub, events::reason why);
  /// The watchers of `resource` now.
  std::vector<watcher> watchers(std::string_view resource) const;

 private:
  winfo_config cfg_;
  std::string name_;
  struct entry {
    std::string resource;
    watcher w;
  };
  std::map<std::uint64_t, entry> by_sub_;
  std::unordered_map<std::string, std::vector<std::uint64_t>, events::string_hash, std::equal_to<>> by_resource_;
  events::watcher_versions versions_;
  std::deque<std::uint64_t> ended_;  // terminated watchers, oldest first (some may be gone already)
  void prune(std::string_view resource, std::uint64_t keep);
  void forget(std::uint64_t sub);
};

}  // namespace sipevents::winfo

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_WINFO_WINFO_PACKAGE
#define SIPEVENTS_SEEN_WINFO_WINFO_PACKAGE
#include "sipevents/impl/definitions.ipp"
#endif
