// The users file of a registrar or presence server: one `user:password` line per user
// of the realm, or `user:ALGORITHM:HA1` for a stored hash, and `#` comments. Parsed
// from text; reading the file is the caller's.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_AUTH_USERS_FILE
#endif
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sipevents/auth/digest_client.hpp"

namespace sipevents::auth {

using user_table = std::map<std::string, secret, std::less<>>;

struct users_file_error {
  std::size_t line = 0;  ///< 1-based; 0 when there is no error
  std::string what;
  explicit operator bool() const noexcept { return line != 0; }
};

/// Parses `text` into `out`. A password is everything after the first ':' (spaces and
/// colons included) unless the line reads `user:MD5|SHA-256|SHA-512-256:<hex of that
/// hash's length>`. A user may have a password, or one stored hash per algorithm.
/// Blank lines and lines starting with '#' are skipped; CRLF line ends are fine.
users_file_error parse_users(std::string_view text, user_table& out);

/// Hashes each password user's HA1 for `realm` and each of `algorithms` once, so a
/// verification hashes twice rather than three times. Stored hashes are kept as they
/// are. Like the file itself, the table is then for `realm` only.
void prepare_ha1(user_table& users, crypto& c, std::string_view realm, const std::vector<digest_algorithm>& algorithms);

}  // namespace sipevents::auth

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_AUTH_USERS_FILE
#define SIPEVENTS_SEEN_AUTH_USERS_FILE
#include "sipevents/impl/definitions.ipp"
#endif
