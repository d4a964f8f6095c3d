#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/message/header_id.hpp"

#include <cstring>

#include "header_table.hpp"

namespace sipevents::message {
using detail::k_entries;
using detail::k_tables;

SIPEVENTS_INLINE std::string_view canonical_name(hdr h) noexcept {
  auto i = k_tables.by_id[static_cast<std::size_t>(h)];
  return i ? k_entries[i - 1].name : std::string_view{};
}

SIPEVENTS_INLINE hdr lookup_header_padded(const char* s, std::size_t n) noexcept {
  // Longer names are unknown; keep the inline lookup inside the 24 readable bytes.
  return n > 24 ? hdr::unknown : detail::lookup_name_padded(s, n);
}

SIPEVENTS_INLINE hdr lookup_header(std::string_view name) noexcept {
  if (name.empty() || name.size() > 24) return hdr::unknown;
  char buf[32] = {};
  std::memcpy(buf, name.data(), name.size());
  return lookup_header_padded(buf, name.size());
}

SIPEVENTS_INLINE bool is_list_header(hdr h) noexcept {
  auto i = k_tables.by_id[static_cast<std::size_t>(h)];
  return i && k_entries[i - 1].list;
}

}  // namespace sipevents::message

SIPEVENTS_IMPL_END
