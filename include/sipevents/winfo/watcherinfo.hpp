// application/watcherinfo+xml (RFC 3858): who watches a resource, for the watcher
// information template package (RFC 3857, Event: presence.winfo). A typed model, an
// encoder and a decoder (tinyxml2); unknown elements and attributes are not kept.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_WINFO_WATCHERINFO
#endif
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipevents::winfo {

inline constexpr std::string_view watcherinfo_ns = "urn:ietf:params:xml:ns:watcherinfo";
inline constexpr std::string_view watcherinfo_type = "application/watcherinfo+xml";

/// RFC 3857 3.2: a watcher's subscription state.
enum class watcher_status : std::uint8_t { pending, active, waiting, terminated };
std::string_view to_string(watcher_status s) noexcept;
std::optional<watcher_status> watcher_status_from(std::string_view s) noexcept;

/// RFC 3857 3.3: what moved it there.
enum class watcher_event : std::uint8_t {
  subscribe, approved, deactivated, probation, rejected, timeout, giveup, noresource
};
std::string_view to_string(watcher_event e) noexcept;
std::optional<watcher_event> watcher_event_from(std::string_view s) noexcept;

struct watcher {
  std::string id;
  std::string uri;  ///< the watcher, as the text of the element
  watcher_status status = watcher_status::pending;
  watcher_event event = watcher_event::subscribe;
  std::string display_name;
  std::optional<std::uint32_t> expiration;           ///< seconds
  std::optional<std::uint32_t> duration_subscribed;  ///< seconds
  bool operator==(const watcher&) const = default;
};

struct watcher_list {
  std::string resource;
  std::string package;  ///< "presence"
  std::vector<watcher> watchers;
  bool operator==(const watcher_list&) const = default;
};

struct watcherinfo {
  std::uint32_t version = 0;
  bool full = true;
  std::vector<watcher_list> lists;
  bool operator==(const watcherinfo&) const = default;
};

std::string encode(const watcherinfo& doc);
/// False, with the reason in `error`, for what is not XML, not watcherinfo, lacks a
/// version or state, or holds a watcher-list without resource or package, a watcher
/// without id, status or event, or a status, event or number RFC 3858 does not allow.
bool decode(std::string_view xml, watcherinfo& out, std::string* error = nullptr);

}  // namespace sipevents::winfo

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_WINFO_WATCHERINFO
#define SIPEVENTS_SEEN_WINFO_WATCHERINFO
#include "sipevents/impl/definitions.ipp"
#endif
