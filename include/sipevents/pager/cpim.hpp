// Common Presence and Instant Messaging message format (RFC 3862, message/cpim): the
// envelope IMDN (RFC 5438) rides in. Message headers (From, To, DateTime, NS and
// namespaced ones such as imdn.Message-ID), then the MIME headers and body of the
// content. Pure text in and out, with limits.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_PAGER_CPIM
#endif
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipevents::pager {

inline constexpr std::string_view cpim_type = "message/cpim";

/// A message/cpim body.
struct cpim_message {
  /// Message headers in order, as written ("imdn.Message-ID", "34jk324j").
  std::vector<std::pair<std::string, std::string>> headers;
  /// The content's MIME headers in order; Content-Type among them.
  std::vector<std::pair<std::string, std::string>> content_headers;
  std::string body;

  /// The first message header named `name` (RFC 3862 3.2: names are case-sensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  /// A header of namespace `ns_uri` ("urn:ietf:params:imdn"), whatever prefix an NS
  /// header gave it (RFC 3862 3.3.4).
  std::optional<std::string_view> header_in(std::string_view ns_uri, std::string_view name) const;
  /// A content header, case-insensitive ("Content-Type").
  std::optional<std::string_view> content_header(std::string_view name) const;
  /// The content's type and subtype, lowercase, parameters dropped; empty if none.
  std::string content_type() const;
};

struct cpim_limits {
  std::size_t max_headers = 64;      ///< message and content headers each
  std::size_t max_size = 64 * 1024;  ///< the whole body
};

/// The text of `m`, lines ended by CRLF.
std::string encode(const cpim_message& m);

/// Reads a message/cpim body (CRLF or bare LF line ends). False, with the reason in
/// `error`, when a header line has no colon or a bad name, the blank lines are
/// missing, the content has no Content-Type, or a limit is passed.
bool decode_cpim(std::string_view text, cpim_message& out, std::string* error = nullptr, const cpim_limits& lim = {});

}  // namespace sipevents::pager

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_PAGER_CPIM
#define SIPEVENTS_SEEN_PAGER_CPIM
#include "sipevents/impl/definitions.ipp"
#endif
