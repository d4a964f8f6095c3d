// Codec errors as values, and the verdict a UAS endpoint derives from them.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_ERROR
#endif
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "sipevents/message/header_id.hpp"

namespace sipevents::message {

/// What went wrong while framing or parsing. Header-specific kinds name the header
/// through `codec_error::header`.
enum class errc : std::uint8_t {
  ok = 0,
  need_more,               ///< stream framer: the message is not complete yet
  empty_message,           ///< only CRLF keep-alives
  malformed_start_line,
  bad_method,
  bad_request_uri,
  unsupported_version,     ///< well-formed SIP-Version other than 2.0 (505)
  bad_status_code,         ///< not 100-699
  malformed_header_line,   ///< no colon or bad header name
  malformed_header,        ///< a known header whose value breaks its grammar
  missing_header,
  duplicate_header,        ///< a single-valued header appears more than once
  cseq_method_mismatch,
  bad_content_length,      ///< negative, non-numeric or overflowing
  body_truncated,          ///< Content-Length larger than the datagram
  missing_content_length,  ///< stream transport without Content-Length (fatal)
  message_too_large,
  header_block_too_large,
  too_many_headers,
  body_too_large,
  unsupported_uri_scheme,  ///< 416
  method_not_supported,    ///< 501
  bad_extension,           ///< Require with an option tag we lack (420)
  unsupported_media_type,  ///< 415
  not_acceptable,          ///< 406
  not_an_aor,              ///< REGISTER To that is not sip/sips (400)
  too_many_hops,           ///< Max-Forwards 0 at a proxy (483)
  response_with_extra_vias,///< a UAC must discard it (RFC 3261 8.1.3.3)
};

const std::error_category& codec_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), codec_category()};
}

/// A parse or check result: the kind plus, where it applies, the header at fault.
struct codec_error {
  errc code = errc::ok;
  hdr header = hdr::unknown;
  std::string_view header_name{};  ///< raw name when `header` is unknown; may be empty

  constexpr explicit operator bool() const noexcept { return code != errc::ok; }
  std::error_code ec() const noexcept { return make_error_code(code); }
  /// A reason phrase that names the fault, e.g. "Malformed Via header".
  std::string reason() const;
};

/// What a UAS endpoint does with a message.
struct verdict {
  enum class action : std::uint8_t { accept, respond, drop };
  action what = action::accept;
  std::uint16_t status = 0;  ///< set when `what == respond`
  std::string reason;        ///< response reason phrase, or why it is dropped

  bool accepted() const noexcept { return what == action::accept; }
};

/// The response status RFC 3261 gives for an error in a request (400, 505 ...).
std::uint16_t status_for(errc e) noexcept;

}  // namespace sipevents::message

/// \cond INTERNAL
template <>
struct std::is_error_code_enum<sipevents::message::errc> : std::true_type {};
/// \endcond

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_ERROR
#define SIPEVENTS_SEEN_MESSAGE_ERROR
#include "sipevents/impl/definitions.ipp"
#endif
