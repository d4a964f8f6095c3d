// Typed header values (RFC 3261 20, RFC 6665, RFC 3903). Each is a view into the
// message text; parse functions validate the grammar and never allocate.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_HEADERS
#endif
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include "sipevents/message/params.hpp"
#include "sipevents/message/uri.hpp"

namespace sipevents::message {

enum class method : std::uint8_t {
  unknown, INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH,
  MESSAGE, REFER, INFO, UPDATE, PRACK
};
/// Methods are case-sensitive tokens (RFC 3261 7.1).
method method_from(std::string_view token) noexcept;
std::string_view to_string(method m) noexcept;

/// name-addr or addr-spec with header parameters (From, To, Contact, Route ...).
struct name_addr {
  std::string_view display;  ///< without quotes; escapes kept; empty if none
  bool display_quoted = false;
  bool angle = false;        ///< written as `<uri>`
  uri addr;
  param_list params;
  std::string_view tag;      ///< the tag parameter, empty if none
};

struct contact {
  name_addr value;
  std::optional<std::uint32_t> expires;
  std::optional<std::uint16_t> q;  ///< qvalue in thousandths (0..1000)
};

struct via {
  std::string_view text;              ///< the whole via-parm as written
  std::string_view protocol_name;     ///< "SIP"
  std::string_view protocol_version;  ///< "2.0"
  std::string_view transport;         ///< "UDP", "TCP", "TLS", any token
  std::string_view host;              ///< sent-by host (IPv6 keeps brackets)
  std::uint16_t port = 0;
  bool has_port = false;
  param_list params;
  std::string_view branch;
  std::string_view received;
  std::string_view maddr;
  bool rport = false;                 ///< rport present (RFC 3581)
  std::optional<std::uint16_t> rport_value;
  std::optional<std::uint8_t> ttl;
};

struct cseq {
  std::uint32_t seq = 0;
  std::string_view method_text;
  method id = method::unknown;
};

/// Event header (RFC 6665 8.2.1, 7.2.1).
struct event_header {
  std::string_view type;      ///< "presence.winfo"
  std::string_view package;   ///< "presence"
  std::string_view templates; ///< "winfo" (may contain further dots); empty if none
  std::optional<std::string_view> id;
  param_list params;
};
/// RFC 6665 8.2.1: event-type and id compared byte by byte; an id present on one
/// side only never matches.
bool event_matches(const event_header& a, const event_header& b) noexcept;

struct subscription_state {
  enum class value : std::uint8_t { active, pending, terminated, extension };
  value state = value::extension;
  std::string_view state_text;
  std::string_view reason;
  std::optional<std::uint32_t> expires;
  std::optional<std::uint32_t> retry_after;
  param_list params;
};

/// Content-Type and Accept media ranges.
struct media_type {
  std::string_view type;     ///< "application" (or "*")
  std::string_view subtype;  ///< "pidf+xml" (or "*")
  param_list params;
  /// Case-insensitive type/subtype comparison; "*" in this value matches anything.
  bool matches(std::string_view t, std::string_view st) const noexcept;
};

struct content_disposition {
  std::string_view type;  ///< "session", "render", "icon", "alert", extension
  param_list params;
};

struct retry_after {
  std::uint32_t seconds = 0;
  std::string_view comment;
  std::optional<std::uint32_t> duration;
  param_list params;
};

/// rfc1123-date, GMT only (RFC 3261 20.17).
struct sip_date {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string_view weekday;
  /// Seconds since 1970-01-01T00:00:00Z.
  std::int64_t epoch() const noexcept;
};

// Parsers. `text` is one header value (one list element for list headers).
std::error_code parse_name_addr(std::string_view text, name_addr& out) noexcept;
std::error_code parse_contact(std::string_view text, contact& out) noexcept;
std::error_code parse_via(std::string_view text, via& out) noexcept;
std::error_code parse_cseq(std::string_view text, cseq& out) noexcept;
std::error_code parse_event(std::string_view text, event_header& out) noexcept;
std::error_code parse_subscription_state(std::string_view text, subscription_state& out) noexcept;
std::error_code parse_media_type(std::string_view text, media_type& out) noexcept;
std::error_code parse_content_disposition(std::string_view text, content_disposition& out) noexcept;
std::error_code parse_retry_after(std::string_view text, retry_after& out) noexcept;
std::error_code parse_date(std::string_view text, sip_date& out) noexcept;
/// delta-seconds; values above 2^32-1 saturate (RFC 3261 is liberal here).
std::error_code parse_delta_seconds(std::string_view text, std::uint32_t& out) noexcept;
/// Call-ID: word ["@" word].
std::error_code parse_call_id(std::string_view text) noexcept;
/// A single token (SIP-ETag, SIP-If-Match, Allow, Supported, Require ...).
std::error_code parse_token(std::string_view text) noexcept;
/// Max-Forwards: 0..255.
std::error_code parse_max_forwards(std::string_view text, std::uint8_t& out) noexcept;

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_HEADERS
#define SIPEVENTS_SEEN_MESSAGE_HEADERS
#include "sipevents/impl/definitions.ipp"
#endif
