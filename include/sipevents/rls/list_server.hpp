// A resource list server (RFC 4662) in the event framework: a list is a subscription
// that owns subscriptions. A SUBSCRIBE to a list URI (with Supported: eventlist) gets
// one subscription whose NOTIFYs are multipart/related: an RLMI document (full, then
// partial with only the resources that changed) and each resource's own body, written
// by the package of its Event (presence, dialog, ...) as it would for a watcher of its
// own. Resources of other domains are watched through back-end subscriptions, one per
// resource however many lists hold it, which the owner runs and feeds back.
//
// Sans-I/O like the notifier it plugs into (subscription_server::set_lists): it never
// sends; back-end subscriptions to start and end come out of poll().
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_RLS_LIST_SERVER
#endif
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sipevents/events/package.hpp"
#include "sipevents/events/subscription_server.hpp"
#include "sipevents/rls/resource_lists.hpp"
#include "sipevents/rls/rlmi.hpp"

namespace sipevents::rls {

struct rls_config {
  /// Least time between two NOTIFYs of one list subscription: changes in between are
  /// merged into one partial NOTIFY.
  std::chrono::milliseconds min_interval{200};
  /// Per-list overrides of min_interval, by list URI.
  std::map<std::string, std::chrono::milliseconds, std::less<>> list_interval;
  /// Whether a member is served here (its package has it) or through a back-end
  /// subscription. Default: every member is local.
  std::function<bool(std::string_view resource)> is_local;
  /// Who may see each member (RFC 4662 6: the RLS applies the member's own policy to
  /// the list's subscriber). Default: everyone. Pending and polite-block members show
  /// neutral state; rejected and denied ones are terminated;reason=rejected.
  std::function<events::authorization(const events::authorization_request&)> authorize;
  /// A back-end body larger than this is not kept (the instance shows no state).
  std::size_t max_remote_body = 64 * 1024;
  /// List services (RFC 5367): resource names ("sip:rls@example.com") whose SUBSCRIBEs
  /// carry the list itself (Require: recipient-list-subscribe, Content-Disposition:
  /// recipient-list, application/resource-lists+xml, plain or deflate). A body list
  /// sent anywhere else gets 403.
  std::vector<std::string> list_services;
  /// Bounds of a body list: its resources, and its text once inflated.
  list_limits body_limits;
  std::size_t max_body_list = 256 * 1024;
};

/// What the list server asks of its owner.
struct backend_event {
  enum class kind : std::uint8_t { subscribe, unsubscribe };
  kind what = kind::subscribe;
  std::string event;     ///< package token
  std::string resource;  ///< the member's resource name (key for remote_state())
  std::string uri;       ///< where the SUBSCRIBE goes (the member as written)
  std::string list;      ///< a list holding it (the back-end subscription's From)
};

class list_server final : public events::list_hook {
 public:
  explicit list_server(events::token_source ids, rls_config cfg = {});
  ~list_server() override;

  /// Serves lists of `inner`'s resources under its Event token (the package must
  /// outlive the server and be served by the same notifier).
  void add_package(events::package& inner);
  /// The lists served from now on. Subscriptions to a list that was there keep the
  /// members they had.
  void set_lists(std::vector<served_list> lists);
  std::size_t lists() const noexcept { return lists_.size(); }

  // ---- events::list_hook -------------------------------------------------------------
  events::package* list_package(std::string_view event, std::string_view resource) override;
  list_answer list_for(std::string_view event, std::string_view resource, const message::message& subscribe) override;
  void list_created(std::uint64_t sub) override;
  bool keeps(std::string_view event, std::string_view resource) override;
  void member_changed(std::string_view event, std::string_view resource, std::vector<std::string>& lists) override;

  /// A back-end subscription reported: `state` (pending, active, or terminated for
  /// `why`) and, if the NOTIFY had one, the resource's body. Then call the notifier's
  /// changed(event, resource) so that the lists follow.
  void remote_state(std::string_view event, std::string_view resource, events::sub_state state,
                    std::optional<events::body> body, events::reason why = events::reason::none);

  /// Back-end subscriptions to start or end.
  bool poll(backend_event& out);
  /// List subscriptions served (for metrics and tests).
  std::size_t subscriptions() const noexcept;
  /// Back-end subscriptions wanted now.
  std::size_t backends() const noexcept { return remote_.size(); }

 private:
  class served_package;
  struct list_def;
  struct remote {
    std::size_t refs = 0;
    events::sub_state state = events::sub_state::pending;
    events::reason why = events::reason::none;
    std::optional<events::body> body;
  };
  friend class served_package;
  void ref_remote(std::string_view event, const member& m, std::string_view list);
  void unref_remote(std::string_view event, const member& m);
  bool is_service(std::string_view resource) const;
  bool local(std::string_view resource) const { return !cfg_.is_local || cfg_.is_local(resource); }

  events::token_source ids_;
  rls_config cfg_;
  std::map<std::string, std::unique_ptr<served_package>, std::less<>> packages_;  // by Event token
  std::unordered_map<std::string, std::shared_ptr<const list_def>, events::string_hash, std::equal_to<>> lists_;
  // member resource -> the lists holding it
  std::unordered_map<std::string, std::vector<std::string>, events::string_hash, std::equal_to<>> holders_;
  std::map<std::string, remote, std::less<>> remote_;  // Event token + '\x1f' + resource
  std::deque<backend_event> out_;
  // Lists carried by SUBSCRIBEs (RFC 5367): the one list_for() read, until created;
  // then by subscription until its first NOTIFY; and how many hold each member.
  std::shared_ptr<const list_def> body_list_;
  std::unordered_map<std::uint64_t, std::shared_ptr<const list_def>> body_lists_;
  std::unordered_map<std::string, std::size_t, events::string_hash, std::equal_to<>> body_members_;
};

}  // namespace sipevents::rls

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_RLS_LIST_SERVER
#define SIPEVENTS_SEEN_RLS_LIST_SERVER
#include "sipevents/impl/definitions.ipp"
#endif
