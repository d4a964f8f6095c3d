// The header-name registry as constexpr tables, and the lookup the parser inlines
// into its line loop (internal).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_IMPL_HEADER_TABLE
#endif
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sipevents/message/header_id.hpp"

namespace sipevents::message::detail {

struct entry {
  hdr id;
  std::string_view name;
  char compact;
  bool list;
};

// RFC 3261 20, RFC 6665 (o, u), RFC 3515/3892 (r, b), RFC 4028 (x), RFC 4474 (y, n),
// RFC 3841 (a, j, d), RFC 3903, RFC 3265.
constexpr entry k_entries[] = {
    {hdr::accept, "Accept", 0, true},
    {hdr::accept_contact, "Accept-Contact", 'a', true},
    {hdr::accept_encoding, "Accept-Encoding", 0, true},
    {hdr::accept_language, "Accept-Language", 0, true},
    {hdr::alert_info, "Alert-Info", 0, true},
    {hdr::allow, "Allow", 0, true},
    {hdr::allow_events, "Allow-Events", 'u', true},
    {hdr::authentication_info, "Authentication-Info", 0, false},
    {hdr::authorization, "Authorization", 0, false},
    {hdr::call_id, "Call-ID", 'i', false},
    {hdr::call_info, "Call-Info", 0, true},
    {hdr::contact, "Contact", 'm', true},
    {hdr::content_disposition, "Content-Disposition", 0, false},
    {hdr::content_encoding, "Content-Encoding", 'e', true},
    {hdr::content_language, "Content-Language", 0, true},
    {hdr::content_length, "Content-Length", 'l', false},
    {hdr::content_type, "Content-Type", 'c', false},
    {hdr::cseq, "CSeq", 0, false},
    {hdr::date, "Date", 0, false},
    {hdr::error_info, "Error-Info", 0, true},
    {hdr::event, "Event", 'o', false},
    {hdr::expires, "Expires", 0, false},
    {hdr::from, "From", 'f', false},
    {hdr::identity, "Identity", 'y', false},
    {hdr::identity_info, "Identity-Info", 'n', false},
    {hdr::in_reply_to, "In-Reply-To", 0, true},
    {hdr::max_forwards, "Max-Forwards", 0, false},
    {hdr::min_expires, "Min-Expires", 0, false},
    {hdr::mime_version, "MIME-Version", 0, false},
    {hdr::organization, "Organization", 0, false},
    {hdr::path, "Path", 0, true},
    {hdr::priority, "Priority", 0, false},
    {hdr::proxy_authenticate, "Proxy-Authenticate", 0, false},
    {hdr::proxy_authorization, "Proxy-Authorization", 0, false},
    {hdr::proxy_require, "Proxy-Require", 0, true},
    {hdr::rack, "RAck", 0, false},
    {hdr::reason, "Reason", 0, true},
    {hdr::record_route, "Record-Route", 0, true},
    {hdr::refer_to, "Refer-To", 'r', false},
    {hdr::referred_by, "Referred-By", 'b', false},
    {hdr::reject_contact, "Reject-Contact", 'j', true},
    {hdr::reply_to, "Reply-To", 0, false},
    {hdr::request_disposition, "Request-Disposition", 'd', true},
    {hdr::require, "Require", 0, true},
    {hdr::retry_after, "Retry-After", 0, false},
    {hdr::route, "Route", 0, true},
    {hdr::rseq, "RSeq", 0, false},
    {hdr::server, "Server", 0, false},
    {hdr::service_route, "Service-Route", 0, true},
    {hdr::session_expires, "Session-Expires", 'x', false},
    {hdr::sip_etag, "SIP-ETag", 0, false},
    {hdr::sip_if_match, "SIP-If-Match", 0, false},
    {hdr::subject, "Subject", 's', false},
    {hdr::subscription_state, "Subscription-State", 0, false},
    {hdr::supported, "Supported", 'k', true},
    {hdr::timestamp, "Timestamp", 0, false},
    {hdr::to, "To", 't', false},
    {hdr::unsupported, "Unsupported", 0, true},
    {hdr::user_agent, "User-Agent", 0, false},
    {hdr::via, "Via", 'v', true},
    {hdr::warning, "Warning", 0, true},
    {hdr::www_authenticate, "WWW-Authenticate", 0, false},
};
constexpr std::size_t k_count = sizeof(k_entries) / sizeof(k_entries[0]);
static_assert(k_count == static_cast<std::size_t>(hdr::count_) - 1, "every hdr needs an entry");

// Nearly perfect over the registered names and compact forms: the key is the first
// four bytes (case folded) and the length, and the multiplier was searched for offline
// so that no two keys share a slot. Two pairs share their key itself
// (Accept-Encoding/Accept-Language, Content-Encoding/Content-Language); the second of
// each is the slot's sibling, compared only when the first does not match. make_tables
// refuses any other collision. A lookup is one slot and one compare.
constexpr std::size_t k_slots = 256;
constexpr std::uint32_t k_hash_mul = 4200529791u;
constexpr std::uint32_t hash_key(std::uint32_t first4_folded, std::size_t n) noexcept {
  return ((first4_folded + (static_cast<std::uint32_t>(n) << 3)) * k_hash_mul) >> 24;
}

// Each name as three little-endian 8-byte words in lower case, a mask with 0x20 at
// letter positions, and a mask of the bytes in use. Input AND used OR case == lower
// holds only for the two cases of each letter and the exact byte elsewhere, so a hit
// also proves the input is a valid token.
struct alignas(128) name_key {  // a power of two: the slot address is one shift
  std::uint64_t lower[3];
  std::uint64_t fold[3];
  std::uint64_t used[3];
  std::uint32_t first4;  // the hash input, folded
  std::uint8_t len;
  hdr id;
  std::uint8_t sibling;  // index + 1 into tables::siblings, 0 if none
};

struct tables {
  std::array<name_key, k_slots> slot{};  // len 0 = empty
  std::array<name_key, 2> siblings{};
  std::array<std::uint8_t, std::size_t(hdr::count_)> by_id{};
};

constexpr tables make_tables() {
  tables t{};
  std::size_t siblings = 0;
  auto add = [&](std::string_view n, hdr id) {
    name_key key{};
    for (std::size_t j = 0; j < 4; ++j)
      key.first4 |= (static_cast<std::uint32_t>(j < n.size() ? static_cast<unsigned char>(n[j]) : 0u) | 0x20u)
                    << (8 * j);
    key.len = static_cast<std::uint8_t>(n.size());
    key.id = id;
    for (std::size_t j = 0; j < n.size(); ++j) {
      char c = n[j];
      bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      std::uint64_t byte = static_cast<unsigned char>(letter ? char(c | 0x20) : c);
      key.lower[j / 8] |= byte << (8 * (j % 8));
      key.used[j / 8] |= std::uint64_t{0xFF} << (8 * (j % 8));
      if (letter) key.fold[j / 8] |= std::uint64_t{0x20} << (8 * (j % 8));
    }
    name_key& k = t.slot[hash_key(key.first4, n.size())];
    if (k.len == 0) {
      k = key;
    } else if (k.first4 == key.first4 && k.len == key.len && k.sibling == 0 && siblings < t.siblings.size()) {
      t.siblings[siblings++] = key;
      k.sibling = static_cast<std::uint8_t>(siblings);
    } else {
      throw "hash_key collides on two registered names";
    }
  };
  for (std::size_t i = 0; i < k_count; ++i) {
    add(k_entries[i].name, k_entries[i].id);
    if (k_entries[i].compact) add(std::string_view(&k_entries[i].compact, 1), k_entries[i].id);
    t.by_id[static_cast<std::size_t>(k_entries[i].id)] = static_cast<std::uint8_t>(i + 1);
  }
  return t;
}
inline constexpr tables k_tables = make_tables();
static_assert(std::endian::native == std::endian::little, "header keys are little-endian words");

/// lookup_header for a name whose buffer is readable for 24 bytes from its start. The
/// parser's names qualify. Names longer than any key find a slot whose length differs,
/// so they need no test.
inline hdr lookup_name_padded(const char* s, std::size_t n) noexcept {
  std::uint32_t first4;
  std::memcpy(&first4, s, 4);
  if (n < 4) first4 &= (1u << (8 * n)) - 1u;
  const name_key* k = &k_tables.slot[hash_key(first4 | 0x20202020u, n)];
  auto differs = [&](const name_key& key) {
    auto word_differs = [&](std::size_t i) {
      std::uint64_t w;
      std::memcpy(&w, s + 8 * i, 8);
      return ((w & key.used[i]) | key.fold[i]) ^ key.lower[i];
    };
    std::uint64_t diff = word_differs(0);
    if (n > 8) diff |= word_differs(1);
    if (n > 16) diff |= word_differs(2);
    return diff;
  };
  if (n != k->len) return hdr::unknown;
  if (differs(*k)) {
    if (!k->sibling) return hdr::unknown;
    k = &k_tables.siblings[k->sibling - 1u];
    if (differs(*k)) return hdr::unknown;
  }
  return k->id;
}

}  // namespace sipevents::message::detail

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_IMPL_HEADER_TABLE
#define SIPEVENTS_SEEN_MESSAGE_IMPL_HEADER_TABLE
#include "sipevents/impl/definitions.ipp"
#endif
