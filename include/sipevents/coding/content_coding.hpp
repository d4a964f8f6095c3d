// Content-Encoding (RFC 3261 20.12) of message bodies: deflate and gzip, as
// liblinphone sends its lists and IMDNs, over zlib. Pure functions, bounded output.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_CODING_CONTENT_CODING
#endif
#include <cstddef>
#include <string>
#include <string_view>

namespace sipevents::coding {

/// The codings inflate_body() reads, for Accept-Encoding.
inline constexpr std::string_view accepted_encodings = "deflate, gzip, identity";

/// True for a Content-Encoding value inflate_body() reads ("deflate", "gzip", any
/// case) or that needs nothing ("identity").
bool known_encoding(std::string_view coding) noexcept;

/// A deflate (zlib or raw) or gzip body inflated into `out`, at most `limit` bytes;
/// false for what is not one, is cut short, or grows past the limit (a bomb).
bool inflate_body(std::string_view in, std::size_t limit, std::string& out);

/// `in` as a zlib stream (what "deflate" means in HTTP and SIP practice).
std::string deflate_body(std::string_view in);

}  // namespace sipevents::coding

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_CODING_CONTENT_CODING
#define SIPEVENTS_SEEN_CODING_CONTENT_CODING
#include "sipevents/impl/definitions.ipp"
#endif
