// SIP, SIPS and tel URIs (RFC 3261 19.1, RFC 3966), parsed into views of the text.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_URI
#endif
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace sipevents::message {

/// A parsed URI. All views point into the text it was parsed from.
struct uri {
  enum class kind : std::uint8_t { none, sip, sips, tel, other };
  kind scheme = kind::none;
  std::string_view text;        ///< the whole URI as written
  std::string_view scheme_text; ///< "sip", "tel", "nobodyKnowsThisScheme" ...
  std::string_view user;        ///< still escaped; tel: the number
  std::string_view password;
  std::string_view host;        ///< IPv6 references keep their brackets
  std::uint16_t port = 0;
  bool has_port = false;
  bool has_password = false;
  std::string_view params;      ///< ";a=b;c" (URI parameters), escaped
  std::string_view headers;     ///< "a=b&c=d" after '?', escaped
  std::string_view opaque;      ///< everything after "scheme:" for other schemes

  bool is_sip() const noexcept { return scheme == kind::sip || scheme == kind::sips; }
  /// URI parameter by case-insensitive name; empty view when present without value.
  std::optional<std::string_view> param(std::string_view name) const noexcept;
  /// URI header ("?name=value") by case-insensitive name.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
  /// The user part with %HH escapes decoded once (RFC 4475 3.1.1.3: never recursively).
  std::string user_unescaped() const;
};

/// Parses `text` as a URI. Unknown schemes parse as `kind::other` if they are a
/// well-formed absoluteURI, so that a UAS can answer 416 rather than 400.
std::error_code parse_uri(std::string_view text, uri& out) noexcept;

/// Decodes %HH escapes once. Invalid escapes are copied unchanged.
std::string unescape(std::string_view s);

/// URI equality per RFC 3261 19.1.4 (sip/sips) and RFC 3966 (tel).
bool uri_equal(const uri& a, const uri& b);

/// The address-of-record of a SIP or SIPS URI (RFC 3261 10.3 step 5): scheme, user
/// (escapes decoded) and host in lower case, without port, parameters or headers:
/// "sip:joe@example.com". Empty for other schemes.
std::string address_of_record(const uri& u);

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_URI
#define SIPEVENTS_SEEN_MESSAGE_URI
#include "sipevents/impl/definitions.ipp"
#endif
