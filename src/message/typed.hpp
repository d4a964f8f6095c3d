// Internal fast paths of the typed-header parsers: plain bool results, so the parser's
// hot loop never builds a std::error_code. The public parse_* functions wrap these.
#pragma once
#include <cstdint>
#include <string_view>

#include "sipevents/message/headers.hpp"
#include "sipevents/message/uri.hpp"

namespace sipevents::message {

bool read_uri(std::string_view text, uri& out) noexcept;
bool read_name_addr(std::string_view text, name_addr& out) noexcept;
bool read_contact(std::string_view text, contact& out) noexcept;
bool read_via(std::string_view text, via& out) noexcept;
/// One element of a list header starting at p (leading LWS allowed). On success p is at
/// `end` or at the ',' before the next element.
bool read_via_element(const char*& p, const char* end, via& out) noexcept;
bool read_contact_element(const char*& p, const char* end, contact& out) noexcept;
bool read_cseq(std::string_view text, cseq& out) noexcept;
bool read_event(std::string_view text, event_header& out) noexcept;
bool read_subscription_state(std::string_view text, subscription_state& out) noexcept;
bool read_media_type(std::string_view text, media_type& out) noexcept;
bool read_delta_seconds(std::string_view text, std::uint32_t& out) noexcept;
bool read_call_id(std::string_view text) noexcept;
bool read_token(std::string_view text) noexcept;
bool read_max_forwards(std::string_view text, std::uint8_t& out) noexcept;

}  // namespace sipevents::message
