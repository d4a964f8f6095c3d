#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/message/error.hpp"

namespace sipevents::message {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sipevents.codec"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::ok: return "success";
      case errc::need_more: return "incomplete message";
      case errc::empty_message: return "empty message";
      case errc::malformed_start_line: return "malformed start line";
      case errc::bad_method: return "malformed method";
      case errc::bad_request_uri: return "malformed Request-URI";
      case errc::unsupported_version: return "SIP version not supported";
      case errc::bad_status_code: return "status code out of range";
      case errc::malformed_header_line: return "malformed header line";
      case errc::malformed_header: return "malformed header";
      case errc::missing_header: return "missing header";
      case errc::duplicate_header: return "header must appear once";
      case errc::cseq_method_mismatch: return "CSeq method does not match the request method";
      case errc::bad_content_length: return "malformed Content-Length";
      case errc::body_truncated: return "Content-Length larger than the message";
      case errc::missing_content_length: return "Content-Length required on stream transports";
      case errc::message_too_large: return "message too large";
      case errc::header_block_too_large: return "header block too large";
      case errc::too_many_headers: return "too many headers";
      case errc::body_too_large: return "body too large";
      case errc::unsupported_uri_scheme: return "unsupported URI scheme";
      case errc::method_not_supported: return "method not implemented";
      case errc::bad_extension: return "unsupported extension required";
      case errc::unsupported_media_type: return "unsupported media type";
      case errc::not_acceptable: return "no acceptable response body type";
      case errc::not_an_aor: return "To is not a SIP or SIPS AoR";
      case errc::too_many_hops: return "too many hops";
      case errc::response_with_extra_vias: return "response with more than one Via";
    }
    return "unknown codec error";
  }
};

}  // namespace

SIPEVENTS_INLINE const std::error_category& codec_category() noexcept {
  static const category c;
  return c;
}

SIPEVENTS_INLINE std::string codec_error::reason() const {
  std::string name(header != hdr::unknown ? canonical_name(header) : header_name);
  switch (code) {
    case errc::malformed_header: return "Malformed " + name + " header";
    case errc::missing_header: return "Missing " + name + " header";
    case errc::duplicate_header: return "Multiple " + name + " headers";
    case errc::malformed_start_line: return "Malformed Request-Line";
    case errc::bad_method: return "Malformed Method";
    case errc::bad_request_uri: return "Malformed Request-URI";
    case errc::unsupported_version: return "Version Not Supported";
    case errc::bad_content_length: return "Malformed Content-Length header";
    case errc::body_truncated: return "Content-Length Exceeds Message";
    case errc::cseq_method_mismatch: return "CSeq Method Does Not Match Request";
    case errc::malformed_header_line: return "Malformed Header Line" + (name.empty() ? "" : " (" + name + ")");
    case errc::unsupported_uri_scheme: return "Unsupported URI Scheme";
    case errc::method_not_supported: return "Not Implemented";
    case errc::bad_extension: return "Bad Extension";
    case errc::unsupported_media_type: return "Unsupported Media Type";
    case errc::not_acceptable: return "Not Acceptable";
    case errc::not_an_aor: return "To Is Not A SIP Or SIPS AoR";
    case errc::too_many_hops: return "Too Many Hops";
    case errc::body_too_large: return "Message Body Too Large";
    case errc::message_too_large: return "Message Too Large";
    case errc::header_block_too_large: return "Header Section Too Large";
    case errc::too_many_headers: return "Too Many Headers";
    default: return codec_category().message(static_cast<int>(code));
  }
}

SIPEVENTS_INLINE std::uint16_t status_for(errc e) noexcept {
  switch (e) {
    case errc::ok: case errc::need_more: case errc::empty_message: return 0;
    case errc::unsupported_version: return 505;
    case errc::unsupported_uri_scheme: return 416;
    case errc::method_not_supported: return 501;
    case errc::bad_extension: return 420;
    case errc::unsupported_media_type: return 415;
    case errc::not_acceptable: return 406;
    case errc::too_many_hops: return 483;
    case errc::body_too_large: return 413;
    case errc::message_too_large: case errc::header_block_too_large: case errc::too_many_headers: return 513;
    default: return 400;
  }
}

}  // namespace sipevents::message

SIPEVENTS_IMPL_END
