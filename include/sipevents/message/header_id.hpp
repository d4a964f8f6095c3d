// Header name registry: canonical names, compact forms, and list semantics.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_HEADER_ID
#endif
#include <cstdint>
#include <string_view>

namespace sipevents::message {

/// Headers the codec knows by name. Everything else is `unknown` and kept verbatim.
enum class hdr : std::uint8_t {
  unknown = 0,
  accept, accept_contact, accept_encoding, accept_language, alert_info, allow, allow_events,
  authentication_info, authorization, call_id, call_info, contact, content_disposition,
  content_encoding, content_language, content_length, content_type, cseq, date, error_info,
  event, expires, from, identity, identity_info, in_reply_to, max_forwards, min_expires,
  mime_version, organization, path, priority, proxy_authenticate, proxy_authorization,
  proxy_require, rack, reason, record_route, refer_to, referred_by, reject_contact, reply_to,
  request_disposition, require, retry_after, route, rseq, server, service_route,
  session_expires, sip_etag, sip_if_match, subject, subscription_state, supported, timestamp,
  to, unsupported, user_agent, via, warning, www_authenticate,
  count_
};

/// Canonical spelling ("Call-ID", "CSeq", "SIP-ETag" ...); empty for `unknown`.
std::string_view canonical_name(hdr h) noexcept;

/// Case-insensitive lookup of a full or compact header name.
hdr lookup_header(std::string_view name) noexcept;

/// As lookup_header, for a name inside a buffer that stays readable for 24 bytes from
/// its start (the parser's own padded copy): no copy, word-at-a-time compares.
hdr lookup_header_padded(const char* name, std::size_t n) noexcept;

/// True for headers whose grammar is a comma-separated list (RFC 3261 7.3.1).
/// Authorization-family headers are never lists: their values contain commas.
bool is_list_header(hdr h) noexcept;

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_HEADER_ID
#define SIPEVENTS_SEEN_MESSAGE_HEADER_ID
#include "sipevents/impl/definitions.ipp"
#endif
