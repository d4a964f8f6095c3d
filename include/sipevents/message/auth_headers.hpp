// Typed authentication headers (RFC 3261 20.7, 20.27, 20.28, 20.44, 25.1; RFC 7616;
// RFC 8760): WWW-Authenticate and Proxy-Authenticate challenges, Authorization and
// Proxy-Authorization credentials, Authentication-Info. Parsed on demand: each is a
// view into the header value, and parsing never allocates.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_AUTH_HEADERS
#endif
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sipevents/message/params.hpp"

namespace sipevents::message {

class message;
enum class hdr : std::uint8_t;

/// Digest algorithms of RFC 7616 3.3 and RFC 8760, strongest last.
enum class digest_algorithm : std::uint8_t {
  unknown,
  md5,
  md5_sess,
  sha256,
  sha256_sess,
  sha512_256,
  sha512_256_sess,
};
/// Case-insensitive ("MD5", "SHA-256-sess" ...); anything else is `unknown`.
digest_algorithm algorithm_from(std::string_view token) noexcept;
/// The RFC spelling: "MD5", "SHA-512-256-sess".
std::string_view to_string(digest_algorithm a) noexcept;
/// True for the -sess variants, whose HA1 also covers both nonces.
bool is_session(digest_algorithm a) noexcept;
/// The variant without -sess: the hash function the algorithm names.
digest_algorithm base_of(digest_algorithm a) noexcept;

/// One auth-param (`name=value`); quoted values keep their quotes.
struct auth_param {
  std::string_view name;
  std::string_view value;
  bool quoted = false;
  /// The value without quotes, escapes kept.
  std::string_view text() const noexcept { return quoted ? value.substr(1, value.size() - 2) : value; }
};

/// Reads the next auth-param of `rest` (a comma-separated auth-param list) into `out`
/// and advances `rest` past it and its comma. False at the end, or on a syntax error,
/// which leaves `rest` where it failed (then not empty).
bool next_auth_param(std::string_view& rest, auth_param& out) noexcept;

/// A challenge (RFC 3261 25.1 `challenge`, RFC 7616 3.3). Quoted values are given
/// without their quotes and with any backslash escapes kept (see `unquote_text`).
struct challenge {
  std::string_view scheme;     ///< "Digest" (any auth-scheme is read)
  std::string_view params;     ///< every auth-param as written
  std::string_view realm, nonce, opaque, domain, charset;
  std::string_view algorithm_text;  ///< empty when absent
  /// Absent means MD5 (RFC 7616 3.3); `unknown` for a token we do not know.
  digest_algorithm algorithm = digest_algorithm::md5;
  std::string_view qop;        ///< qop-options inner text, "auth,auth-int"; empty when absent
  bool qop_auth = false, qop_auth_int = false;
  bool stale = false;
  bool userhash = false;
  /// A Digest challenge with realm and nonce, whose algorithm we know.
  bool usable() const noexcept;
};

/// Credentials (RFC 3261 25.1 `credentials`, RFC 7616 3.4).
struct credentials {
  std::string_view scheme;
  std::string_view params;
  std::string_view username, realm, nonce, uri, response, cnonce, opaque;
  std::string_view algorithm_text;
  digest_algorithm algorithm = digest_algorithm::md5;
  std::string_view qop;        ///< "auth" or "auth-int"; empty when absent (RFC 2069 form)
  std::string_view nc_text;    ///< as written: 8 hex digits
  std::uint32_t nc = 0;
  bool userhash = false;
};

/// Authentication-Info (RFC 3261 20.6, RFC 7616 3.5).
struct authentication_info {
  std::string_view params;
  std::string_view nextnonce, qop, rspauth, cnonce, nc_text;
  std::uint32_t nc = 0;
};

/// Parses one challenge. When `next` is given, the value may hold several challenges
/// (RFC 7235 allows a list): parsing stops at the comma that starts the next one and
/// `*next` is what follows it (empty when none). Without `next`, a second challenge is
/// an error. A Digest challenge needs realm and nonce; known parameters may appear once.
std::error_code parse_challenge(std::string_view text, challenge& out, std::string_view* next = nullptr) noexcept;
/// Parses Authorization / Proxy-Authorization. A Digest one needs username, realm,
/// nonce, uri and response, and with qop also cnonce and an nc of 8 hex digits.
std::error_code parse_credentials(std::string_view text, credentials& out) noexcept;
std::error_code parse_authentication_info(std::string_view text, authentication_info& out) noexcept;

/// Every challenge of every `which` header line (hdr::www_authenticate or
/// hdr::proxy_authenticate) in order, as RFC 8760 sends one per algorithm. Lines that
/// do not parse are skipped; `malformed`, when given, counts them.
std::vector<challenge> read_challenges(const message& m, hdr which, std::size_t* malformed = nullptr);

/// nc as the wire carries it: 8 lower-case hex digits.
std::string nc_hex(std::uint32_t nc);

/// A quoted-string's inner text with backslash escapes removed.
std::string unquote_text(std::string_view inner);
/// `s` as a quoted-string: quotes around, '"' and '\' escaped.
std::string quote(std::string_view s);

/// What a server writes in WWW-Authenticate / Proxy-Authenticate.
struct challenge_spec {
  std::string realm, nonce, opaque, domain;
  digest_algorithm algorithm = digest_algorithm::md5;
  bool write_algorithm = true;  ///< false leaves it out (MD5 by default)
  bool stale = false;
  bool qop_auth = true, qop_auth_int = false;
  bool userhash = false;
};
/// `Digest realm="...", nonce="...", ...`: the header value.
std::string format_challenge(const challenge_spec& c);

/// What a client writes in Authorization / Proxy-Authorization.
struct credentials_spec {
  std::string username, realm, nonce, uri, response, cnonce, opaque;
  digest_algorithm algorithm = digest_algorithm::md5;
  bool write_algorithm = true;
  std::string qop;  ///< "auth", "auth-int" or empty (no qop, cnonce or nc written)
  std::uint32_t nc = 0;
  bool userhash = false;
};
std::string format_credentials(const credentials_spec& c);

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_AUTH_HEADERS
#define SIPEVENTS_SEEN_MESSAGE_AUTH_HEADERS
#include "sipevents/impl/definitions.ipp"
#endif
