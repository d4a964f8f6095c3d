// The subscriber side of a resource list (RFC 4662): list_reader decodes a list
// NOTIFY (multipart/related headed by RLMI) into one typed state per resource, each
// body read by the package of the list's Event; list_view follows the list across
// full and partial NOTIFYs. Pass a list_reader as the package of the subscription,
// and subscribe with list_subscribe_params().
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_RLS_LIST_VIEW
#endif
#include <optional>
#include <string>
#include <vector>

#include "sipevents/events/package.hpp"
#include "sipevents/events/subscription_client.hpp"
#include "sipevents/message/multipart.hpp"
#include "sipevents/rls/rlmi.hpp"

namespace sipevents::rls {

/// One instance of a resource as one NOTIFY told it.
struct instance_view {
  std::string id;
  instance_state state = instance_state::active;
  std::string reason;
  std::string content_type;          ///< of its body part, if one came
  std::optional<events::decoded> body;  ///< read by the member package
};

/// A decoded list NOTIFY: what list_reader::decode() puts in decoded::state.
struct list_notify {
  rlmi meta;
  /// Per resource of `meta`, in its order, per instance in its order.
  std::vector<std::vector<instance_view>> instances;
};

/// The state of one resource of the list, as list_view holds it.
struct resource_view {
  std::string uri;
  std::string name;
  std::vector<instance_view> instances;
};

struct list_limits_client {
  message::multipart_limits multipart;
  std::size_t max_resources = 10'000;
  std::size_t max_depth = 4;  ///< lists within lists
};

/// Reads list NOTIFYs of `inner`'s Event; bodies that are not lists go to `inner`.
class list_reader final : public events::package {
 public:
  explicit list_reader(const events::package& inner, list_limits_client limits = {})
      : inner_(inner), limits_(limits) {}
  std::string_view name() const override { return inner_.name(); }
  /// multipart/related, application/rlmi+xml, then the member package's types: the
  /// Accept of a list SUBSCRIBE (RFC 4662 4.1).
  std::vector<std::string> content_types() const override;
  std::optional<events::body> state(const events::watcher_view&) override { return std::nullopt; }
  events::decoded decode(const message::media_type& type, std::string_view text) const override;

 private:
  events::decoded decode_at(const message::media_type& type, std::string_view text, std::size_t depth) const;
  const events::package& inner_;
  list_limits_client limits_;
};

/// The SUBSCRIBE of a list: Supported: eventlist and the Accept list_reader names.
void make_list_subscription(events::subscribe_params& p, const list_reader& reader);

/// A list followed across NOTIFYs.
class list_view {
 public:
  /// Takes one NOTIFY's list. False when a partial one does not follow the version
  /// held (a NOTIFY was lost): refresh the subscription for full state.
  bool apply(const list_notify& n);
  const std::string& uri() const noexcept { return uri_; }
  std::optional<std::uint32_t> version() const noexcept { return version_; }
  const std::vector<resource_view>& resources() const noexcept { return resources_; }
  const resource_view* find(std::string_view uri) const;

 private:
  std::string uri_;
  std::optional<std::uint32_t> version_;
  std::vector<resource_view> resources_;
};

}  // namespace sipevents::rls

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_RLS_LIST_VIEW
#define SIPEVENTS_SEEN_RLS_LIST_VIEW
#include "sipevents/impl/definitions.ipp"
#endif
