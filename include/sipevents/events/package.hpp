// Event packages (RFC 6665 7) as plugins, keyed by their Event token. A package knows
// its body types, its expiry bounds, how to write the state of a resource for one
// watcher, and how to read a body it receives back into a typed state.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_EVENTS_PACKAGE
#endif
#include <any>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sipevents/message/headers.hpp"
#include "sipevents/message/message.hpp"
#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::events {

using transaction::clock;
using transaction::time_point;
using seconds = std::chrono::seconds;

/// A body to put in a NOTIFY.
struct body {
  std::string content_type;  ///< "application/reginfo+xml"
  std::string text;
};

/// One server subscription as a package sees it when asked for a body.
struct watcher_view {
  std::uint64_t id = 0;          ///< stable for the life of the subscription
  std::string_view resource;     ///< "sip:joe@example.com": resource_name() of the Request-URI
  std::string_view watcher;      ///< the subscriber's From URI
  std::string_view event_id;     ///< the Event id parameter, empty if none
  std::string_view content_type; ///< the body type negotiated from Accept
  bool first = true;             ///< no NOTIFY with state went out yet: give full state
  time_point now{};              ///< when the NOTIFY is built (for expiry and durations)
  std::string_view identity;     ///< who the stack authenticated as the subscriber, if it does
};

/// Expiry bounds in seconds (RFC 6665 7.2: each package defines its default).
struct expiry_policy {
  std::uint32_t default_expires = 3600;
  std::uint32_t min_expires = 60;    ///< below gets 423 with Min-Expires (0 is a fetch)
  std::uint32_t max_expires = 86400; ///< above is lowered
};

/// A received body read by a package. `state` holds the package's own type.
struct decoded {
  bool ok = false;
  std::string error;  ///< why it could not be read (the subscription stays)
  std::any state;
};

/// Document versions counted per subscription from 0, one per NOTIFY (RFC 4235 4.1,
/// RFC 3858 4.1), kept across restarts through save_watcher()/restore_watcher().
class watcher_versions {
 public:
  /// The version of the document being built for `id`, and one more for the next.
  std::uint32_t next(std::uint64_t id) { return versions_[id]++; }
  void gone(std::uint64_t id) { versions_.erase(id); }
  std::string save(std::uint64_t id) const;
  /// Continues above what was saved and every NOTIFY sent since.
  void restore(std::uint64_t id, std::string_view saved, std::uint32_t notifies_since);

 private:
  std::unordered_map<std::uint64_t, std::uint32_t> versions_;
};

class package {
 public:
  virtual ~package() = default;
  /// The Event token: "reg", "presence".
  virtual std::string_view name() const = 0;
  /// Body types it can write, preferred first; Accept picks among them.
  virtual std::vector<std::string> content_types() const = 0;
  /// A body type for partial notification (RFC 5263: application/pidf-diff+xml) that
  /// the notifier picks only for a watcher whose Accept names it exactly, before any
  /// of content_types(); a wildcard or no Accept never gets it, nor does a PUBLISH.
  /// Empty: none.
  virtual std::string_view partial_type() const { return {}; }
  virtual expiry_policy expires() const { return {}; }
  /// Least time between two NOTIFYs of one subscription; changes in between are
  /// merged into the next one (RFC 6665 4.2.2 rate control).
  virtual std::chrono::milliseconds min_notify_interval() const { return std::chrono::milliseconds(0); }
  /// The same for the watchers of one resource (a resource list has its own rate).
  virtual std::chrono::milliseconds notify_interval(std::string_view /*resource*/) const {
    return min_notify_interval();
  }
  /// An option tag every subscriber must name in Supported (or get 421 with Require)
  /// and that each NOTIFY carries in Require: "eventlist" for resource lists (RFC 4662
  /// 4.1). Empty for none.
  virtual std::string_view required_extension() const { return {}; }

  /// The state of `w.resource` for this watcher. With `w.first` it must be full state;
  /// otherwise the package may send a partial document holding every change since its
  /// last body for this watcher. No body: a NOTIFY without one.
  virtual std::optional<body> state(const watcher_view& w) = 0;
  /// State shown to watchers that are pending or politely blocked (RFC 6665 4.2.1.3):
  /// nothing by default.
  virtual std::optional<body> neutral_state(const watcher_view&) { return std::nullopt; }
  /// A subscription ended; packages that keep per-watcher versions drop them here.
  virtual void watcher_gone(std::uint64_t /*id*/) {}
  /// The per-watcher state to store with subscription `id` (e.g. the next reginfo
  /// version), so that a restart continues it. Nothing by default.
  virtual std::string save_watcher(std::uint64_t /*id*/) const { return {}; }
  /// Takes back what save_watcher() gave for a subscription restored as `id`. Up to
  /// `notifies_since` NOTIFYs may have gone out after it was saved: a version must
  /// continue above them.
  virtual void restore_watcher(std::uint64_t /*id*/, std::string_view /*resource*/, std::string_view /*saved*/,
                               std::uint32_t /*notifies_since*/) {}

  /// Reads a body received in a NOTIFY. The default keeps the text.
  virtual decoded decode(const message::media_type& type, std::string_view text) const;
};

/// Resources that stand for lists of others (RFC 4662), served beside the packages by
/// a resource list server. The notifier asks it about each new subscription first and
/// tells it every change, so that a list follows its members.
class list_hook {
 public:
  virtual ~list_hook() = default;
  /// The package that serves `resource` of Event `event` as a list, or null when it is
  /// not a list.
  virtual package* list_package(std::string_view event, std::string_view resource) = 0;

  /// What list_for() makes of a new SUBSCRIBE.
  struct list_answer {
    package* pkg = nullptr;   ///< serves it as a list; null: not a list
    std::uint16_t status = 0; ///< else, when set: answer so (400 naming the fault in `reason`)
    std::string reason;
  };
  /// A new SUBSCRIBE: a list named by its Request-URI, or one it carries in its body
  /// (RFC 5367, Require: recipient-list-subscribe), or an error to answer it with. By
  /// default the Request-URI alone.
  virtual list_answer list_for(std::string_view event, std::string_view resource, const message::message&) {
    return {list_package(event, resource), 0, {}};
  }
  /// The subscription list_for() just answered for was created as `sub`.
  virtual void list_created(std::uint64_t /*sub*/) {}
  /// Whether a stored subscription to list `resource` can be served again after a
  /// restart. A list that came in its SUBSCRIBE body (RFC 5367) cannot: it is ended
  /// with reason=deactivated, so that the subscriber sends it again at once.
  virtual bool keeps(std::string_view /*event*/, std::string_view /*resource*/) { return true; }
  /// `resource` of `event` changed: appends the lists whose NOTIFYs must follow.
  virtual void member_changed(std::string_view event, std::string_view resource, std::vector<std::string>& lists) = 0;
};

}  // namespace sipevents::events

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_EVENTS_PACKAGE
#define SIPEVENTS_SEEN_EVENTS_PACKAGE
#include "sipevents/impl/definitions.ipp"
#endif
