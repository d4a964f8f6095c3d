// MIME multipart bodies (RFC 2046 5.1; multipart/related, RFC 2387) as SIP carries
// them: a list NOTIFY (RFC 4662) is one. Parts are held as owned strings so that a
// decoded body outlives the message it came in. Parsing is bounded: parts, headers
// per part and header lengths have limits.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_MULTIPART
#endif
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipevents::message {

struct mime_part {
  /// Name and value, in order, as written (values trimmed).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first header named `name` (case-insensitive), empty if none.
  std::string_view header(std::string_view name) const noexcept;
  std::string_view content_type() const noexcept { return header("Content-Type"); }
  /// Content-ID without its angle brackets (RFC 2392).
  std::string_view content_id() const noexcept;
};

struct multipart {
  std::string boundary;
  std::vector<mime_part> parts;
};

struct multipart_limits {
  std::size_t max_parts = 10'000;
  std::size_t max_headers = 32;      ///< per part
  std::size_t max_header_line = 4096;
};

/// The body text: each part after a delimiter line, then the close delimiter. The
/// boundary must not occur in any part (choose_boundary() makes sure).
std::string encode(const multipart& m);
/// A boundary made of `token` that none of the parts' bodies contains.
std::string choose_boundary(const std::vector<mime_part>& parts, std::string token);
/// Reads `body` split at `boundary` (the Content-Type parameter, quotes removed).
/// The preamble and epilogue are ignored; lines may end in CRLF or LF. False, with the
/// reason in `error`, without the first delimiter or the close delimiter, with a part
/// whose headers are not "name: value" lines, or past a limit.
bool decode(std::string_view body, std::string_view boundary, multipart& out, std::string* error = nullptr,
            const multipart_limits& limits = {});

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_MULTIPART
#define SIPEVENTS_SEEN_MESSAGE_MULTIPART
#include "sipevents/impl/definitions.ipp"
#endif
