// application/resource-lists+xml (RFC 4826 3): the buddy lists an RLS serves, and
// their reading into flat lists of resources: each top-level <list name="N"> becomes
// the list URI sip:N@DOMAIN, its nested lists and the served lists its entries name
// are expanded into it, duplicates removed. Loops and oversized lists are refused
// here, at load, rather than found while serving.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_RLS_RESOURCE_LISTS
#endif
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sipevents::rls {

inline constexpr std::string_view resource_lists_ns = "urn:ietf:params:xml:ns:resource-lists";
inline constexpr std::string_view resource_lists_type = "application/resource-lists+xml";

/// An `<entry uri="...">`, or an `<entry-ref ref>`/`<external anchor>` (kept to be refused:
/// they point into XCAP documents this reader does not fetch).
struct list_entry {
  enum class kind : std::uint8_t { entry, entry_ref, external };
  kind what = kind::entry;
  std::string uri;  ///< the uri, ref or anchor
  std::string display_name;
  bool operator==(const list_entry&) const = default;
};

struct resource_list {
  std::string name;
  std::string display_name;
  std::vector<list_entry> entries;
  std::vector<resource_list> lists;  ///< nested `<list>` elements
  bool operator==(const resource_list&) const = default;
};

struct resource_lists {
  std::vector<resource_list> lists;
  bool operator==(const resource_lists&) const = default;
};

std::string encode(const resource_lists& doc);
/// False, with the reason in `error`, for what is not XML or not <resource-lists>, an
/// entry without uri, or a top-level list without a name.
bool decode(std::string_view xml, resource_lists& out, std::string* error = nullptr, std::size_t max_depth = 16);

/// One resource of a served list.
struct member {
  std::string uri;   ///< as written: where a back-end SUBSCRIBE goes
  std::string key;   ///< its resource name (address-of-record), as packages know it
  std::string name;  ///< display name, may be empty
};

/// A list as the RLS serves it.
struct served_list {
  std::string uri;  ///< "sip:friends@example.com"
  std::string key;  ///< its resource name
  std::string name;
  std::vector<member> members;
};

struct list_limits {
  std::size_t max_lists = 10'000;
  std::size_t max_resources = 1'000;  ///< per list, after expansion
};

/// The lists of `doc`, each served as sip:NAME@domain. False, with a message naming
/// the list, for a list that includes itself (directly or through others), more
/// resources or lists than the limits allow, two lists of one name, an entry-ref or
/// external, or an entry whose uri is not a URI.
bool flatten(const resource_lists& doc, std::string_view domain, std::vector<served_list>& out,
             std::string* error = nullptr, const list_limits& limits = {});

/// All the lists of `doc` as the one list `out` (its uri and key set by the caller): a
/// list a SUBSCRIBE carries in its body (RFC 5367). Nested lists are expanded,
/// duplicates removed; false, with the reason, for an entry-ref or external, an entry
/// that is not a URI, or more resources than the limit.
bool flatten_into(const resource_lists& doc, served_list& out, std::string* error = nullptr,
                  const list_limits& limits = {});

}  // namespace sipevents::rls

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_RLS_RESOURCE_LISTS
#define SIPEVENTS_SEEN_RLS_RESOURCE_LISTS
#include "sipevents/impl/definitions.ipp"
#endif
