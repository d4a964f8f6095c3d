// What a UAS endpoint answers to a parsed message (RFC 3261 8.2, 8.1.3.3).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_CHECK
#endif
#include <string>
#include <vector>

#include "sipevents/message/error.hpp"
#include "sipevents/message/message.hpp"

namespace sipevents::message {

/// The capabilities an endpoint checks requests against. The defaults describe a
/// general RFC 3261 user agent that also acts as registrar.
struct endpoint_profile {
  /// Methods it implements; anything else gets 501.
  std::vector<std::string> methods{"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER",
                                   "SUBSCRIBE", "NOTIFY", "PUBLISH", "MESSAGE", "REFER",
                                   "INFO", "UPDATE", "PRACK"};
  /// Request-URI schemes it serves; others get 416.
  std::vector<std::string> uri_schemes{"sip", "sips", "tel"};
  /// Option tags it supports; a Require naming another gets 420.
  std::vector<std::string> supported{};
  /// Body types it can process ("type/subtype"); empty accepts anything. Others get 415.
  std::vector<std::string> accepted_types{"application/sdp", "multipart/mixed", "text/plain",
                                          "message/cpim", "message/imdn+xml",
                                          "application/im-iscomposing+xml", "application/pidf+xml",
                                          "application/cpim-pidf+xml", "application/pidf-diff+xml",
                                          "application/reginfo+xml",
                                          "application/watcherinfo+xml",
                                          "application/simple-message-summary",
                                          "application/dialog-info+xml", "multipart/related",
                                          "application/rlmi+xml"};
  /// Requests whose answer carries a body of a fixed type: an Accept without that
  /// type gets 406 (RFC 4475 3.3.15).
  std::vector<std::pair<std::string, std::string>> answer_types{{"INVITE", "application/sdp"}};
  /// Acts as registrar: a REGISTER whose To is not a SIP or SIPS AoR gets 400.
  bool registrar = true;
  /// Acts as proxy: Max-Forwards 0 gets 483.
  bool proxy = false;
};

/// Turns a parse result into a verdict, then applies the profile to a well-formed
/// request. Responses are accepted or dropped, never answered.
verdict check(const message& m, const codec_error& parsed, const endpoint_profile& profile = {});

/// The verdict for a parse or check error alone.
verdict verdict_for(const codec_error& e, bool is_request, bool can_respond);

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_CHECK
#define SIPEVENTS_SEEN_MESSAGE_CHECK
#include "sipevents/impl/definitions.ipp"
#endif
