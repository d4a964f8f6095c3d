// application/rlmi+xml (RFC 4662 5): the Resource List Meta-Information that heads a
// list NOTIFY. It names the list and, for each resource, the back-end subscriptions
// ("instances") with their state and the Content-ID of the body part holding the
// resource's own state. A typed model, an encoder and a decoder (tinyxml2).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_RLS_RLMI
#endif
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipevents::rls {

inline constexpr std::string_view rlmi_ns = "urn:ietf:params:xml:ns:rlmi";
inline constexpr std::string_view rlmi_type = "application/rlmi+xml";
/// The option tag of list subscriptions (RFC 4662 4.1).
inline constexpr std::string_view eventlist_tag = "eventlist";

/// A `<name>`, with its xml:lang when given.
struct display_name {
  std::string text;
  std::string lang;
  bool operator==(const display_name&) const = default;
};

/// RFC 4662 5.2: the state of one back-end subscription.
enum class instance_state : std::uint8_t { active, pending, terminated };
std::string_view to_string(instance_state s) noexcept;
std::optional<instance_state> instance_state_from(std::string_view s) noexcept;

struct instance {
  std::string id;  ///< unique within the resource, stable for the back-end subscription
  instance_state state = instance_state::active;
  std::string reason;  ///< why it terminated ("rejected", "noresource", ...)
  std::string cid;     ///< the body part with its state, empty if none in this NOTIFY
  bool operator==(const instance&) const = default;
};

struct resource {
  std::string uri;
  std::vector<display_name> names;
  std::vector<instance> instances;
  bool operator==(const resource&) const = default;
};

struct rlmi {
  std::string uri;  ///< the list
  std::uint32_t version = 0;
  bool full = true;  ///< fullState
  std::string cid;   ///< set for a nested list (its own Content-ID)
  std::vector<display_name> names;
  std::vector<resource> resources;
  bool operator==(const rlmi&) const = default;
};

std::string encode(const rlmi& doc);
/// False, with the reason in `error`, for what is not XML, not an RLMI <list>, lacks
/// uri, version or fullState, or holds a resource without uri, an instance without id
/// or state, or a state RFC 4662 does not define.
bool decode(std::string_view xml, rlmi& out, std::string* error = nullptr);

}  // namespace sipevents::rls

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_RLS_RLMI
#define SIPEVENTS_SEEN_RLS_RLMI
#include "sipevents/impl/definitions.ipp"
#endif
