// Shared grammar pieces of the typed-header parsers (internal).
#pragma once
#include "chars.hpp"

namespace sipevents::message::detail {

/// Validates `*( SEMI generic-param )` starting at p (RFC 3261 25.1) and advances p
/// past it; stops before anything that is not a parameter. Returns false on a broken
/// parameter (empty name, bad value, unterminated quote).
bool skip_generic_params(const char*& p, const char* end) noexcept;

/// Validates URI parameters ";pname[=pvalue]" (paramchar set, escapes allowed).
bool skip_uri_params(const char*& p, const char* end) noexcept;

/// hostname / IPv4address / IPv6reference: returns the end of the host or nullptr.
const char* scan_host(const char* p, const char* end) noexcept;

/// 1*DIGIT no larger than 65535; advances p.
bool parse_port(const char*& p, const char* end, std::uint16_t& port) noexcept;

}  // namespace sipevents::message::detail
