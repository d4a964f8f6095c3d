#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/message/auth_headers.hpp"

#include "chars.hpp"
#include "sipevents/message/error.hpp"
#include "sipevents/message/message.hpp"

namespace sipevents::message {
using namespace detail;

namespace {

std::error_code bad_auth() noexcept { return make_error_code(errc::malformed_header); }

/// Skips SWS ([LWS]) from p.
const char* sws(const char* p, const char* end) noexcept { return skip_lws(p, end); }

struct algorithm_name {
  std::string_view text;
  digest_algorithm id;
};
constexpr algorithm_name k_algorithms[] = {
    {"MD5", digest_algorithm::md5},
    {"MD5-sess", digest_algorithm::md5_sess},
    {"SHA-256", digest_algorithm::sha256},
    {"SHA-256-sess", digest_algorithm::sha256_sess},
    {"SHA-512-256", digest_algorithm::sha512_256},
    {"SHA-512-256-sess", digest_algorithm::sha512_256_sess},
};

bool parse_nc(std::string_view s, std::uint32_t& out) noexcept {
  if (s.size() != 8) return false;
  std::uint32_t v = 0;
  for (char c : s) {
    if (!is(c, c_hex)) return false;
    v = (v << 4) | static_cast<std::uint32_t>(c <= '9' ? c - '0' : lower(c) - 'a' + 10);
  }
  out = v;
  return true;
}

bool parse_bool(std::string_view s, bool& out) noexcept {
  if (iequals(s, "true")) out = true;
  else if (iequals(s, "false")) out = false;
  else return false;
  return true;
}

/// Sets `slot` from `p` once; a second occurrence of a known parameter is an error.
bool once(std::string_view& slot, bool& seen, const auth_param& p) noexcept {
  if (seen) return false;
  seen = true;
  slot = p.text();
  return true;
}

/// Reads a comma-separated qop list ("auth,auth-int"), marking what it names.
bool read_qop_options(std::string_view list, bool& auth, bool& auth_int) noexcept {
  const char* p = list.data();
  const char* end = p + list.size();
  for (;;) {
    p = sws(p, end);
    const char* t = skip_class(p, end, c_token);
    if (t == p) return false;
    std::string_view tok(p, static_cast<std::size_t>(t - p));
    if (iequals(tok, "auth")) auth = true;
    else if (iequals(tok, "auth-int")) auth_int = true;
    p = sws(t, end);
    if (p == end) return true;
    if (*p != ',') return false;
    ++p;
  }
}

/// At `p` (just after a comma): does another challenge start here, i.e. a token
/// followed by whitespace and something that is not '='?
bool challenge_starts(const char* p, const char* end) noexcept {
  p = sws(p, end);
  const char* t = skip_class(p, end, c_token);
  if (t == p) return false;
  const char* q = sws(t, end);
  if (q == end || *q == ',') return true;  // a bare scheme ("Basic")
  if (q == t) return false;                // "name=..." with no space: a parameter
  return *q != '=';
}

/// Reads "scheme LWS" at the start of `text`. Returns the position after it.
const char* read_scheme(std::string_view text, std::string_view& scheme) noexcept {
  const char* p = text.data();
  const char* end = p + text.size();
  p = sws(p, end);
  const char* t = skip_class(p, end, c_token);
  if (t == p) return nullptr;
  scheme = std::string_view(p, static_cast<std::size_t>(t - p));
  const char* q = skip_lws(t, end);
  if (q == t && q != end) return nullptr;  // the scheme must be followed by LWS
  return q;
}

}  // namespace

SIPEVENTS_INLINE digest_algorithm algorithm_from(std::string_view token) noexcept {
  for (const auto& a : k_algorithms)
    if (iequals(a.text, token)) return a.id;
  return digest_algorithm::unknown;
}

SIPEVENTS_INLINE std::string_view to_string(digest_algorithm a) noexcept {
  for (const auto& n : k_algorithms)
    if (n.id == a) return n.text;
  return "unknown";
}

SIPEVENTS_INLINE bool is_session(digest_algorithm a) noexcept {
  return a == digest_algorithm::md5_sess || a == digest_algorithm::sha256_sess ||
         a == digest_algorithm::sha512_256_sess;
}

SIPEVENTS_INLINE digest_algorithm base_of(digest_algorithm a) noexcept {
  switch (a) {
    case digest_algorithm::md5_sess: return digest_algorithm::md5;
    case digest_algorithm::sha256_sess: return digest_algorithm::sha256;
    case digest_algorithm::sha512_256_sess: return digest_algorithm::sha512_256;
    default: return a;
  }
}

SIPEVENTS_INLINE bool next_auth_param(std::string_view& rest, auth_param& out) noexcept {
  const char* p = rest.data();
  const char* end = p + rest.size();
  p = sws(p, end);
  if (p == end) {
    rest = {};
    return false;
  }
  const char* n = skip_class(p, end, c_token);
  if (n == p) {
    rest = std::string_view(p, static_cast<std::size_t>(end - p));
    return false;
  }
  out.name = std::string_view(p, static_cast<std::size_t>(n - p));
  const char* q = sws(n, end);
  if (q == end || *q != '=') {
    rest = std::string_view(p, static_cast<std::size_t>(end - p));
    return false;
  }
  q = sws(q + 1, end);
  const char* v;
  if (q < end && *q == '"') {
    v = skip_quoted(q, end);
    if (!v) {
      rest = std::string_view(p, static_cast<std::size_t>(end - p));
      return false;
    }
    out.quoted = true;
  } else {
    v = skip_class(q, end, c_token);
    if (v == q) {
      rest = std::string_view(p, static_cast<std::size_t>(end - p));
      return false;
    }
    out.quoted = false;
  }
  out.value = std::string_view(q, static_cast<std::size_t>(v - q));
  const char* r = sws(v, end);
  if (r == end) {
    rest = std::string_view(end, 0);
    return true;
  }
  if (*r != ',') {
    rest = std::string_view(p, static_cast<std::size_t>(end - p));
    return false;
  }
  ++r;
  if (sws(r, end) == end) {  // a trailing comma leaves an empty element
    rest = std::string_view(p, static_cast<std::size_t>(end - p));
    return false;
  }
  rest = std::string_view(r, static_cast<std::size_t>(end - r));
  return true;
}

SIPEVENTS_INLINE bool challenge::usable() const noexcept {
  return iequals(scheme, "Digest") && !realm.empty() && !nonce.empty() && algorithm != digest_algorithm::unknown;
}

SIPEVENTS_INLINE std::error_code parse_challenge(std::string_view text, challenge& out, std::string_view* next) noexcept {
  out = challenge{};
  if (next) *next = {};
  const char* p = read_scheme(text, out.scheme);
  if (!p) return bad_auth();
  const char* end = text.data() + text.size();
  const bool digest = iequals(out.scheme, "Digest");
  bool s_realm = false, s_nonce = false, s_opaque = false, s_domain = false, s_alg = false, s_qop = false,
       s_stale = false, s_userhash = false, s_charset = false;
  std::string_view rest(p, static_cast<std::size_t>(end - p));
  const char* params_begin = p;
  const char* params_end = p;
  auth_param a;
  while (!rest.empty()) {
    if (!next_auth_param(rest, a)) {
      if (!rest.empty()) return bad_auth();
      break;
    }
    params_end = a.value.data() + a.value.size();
    if (digest) {
      std::string_view v = a.text();
      bool ok = true;
      if (iequals(a.name, "realm")) ok = once(out.realm, s_realm, a);
      else if (iequals(a.name, "nonce")) ok = once(out.nonce, s_nonce, a);
      else if (iequals(a.name, "opaque")) ok = once(out.opaque, s_opaque, a);
      else if (iequals(a.name, "domain")) ok = once(out.domain, s_domain, a);
      else if (iequals(a.name, "charset")) ok = once(out.charset, s_charset, a);
      else if (iequals(a.name, "algorithm")) {
        ok = once(out.algorithm_text, s_alg, a);
        out.algorithm = algorithm_from(v);
      } else if (iequals(a.name, "qop")) {
        ok = once(out.qop, s_qop, a) && read_qop_options(v, out.qop_auth, out.qop_auth_int);
      } else if (iequals(a.name, "stale")) {
        std::string_view ignored;
        // RFC 7616: anything but "true" (case-insensitive) means false.
        ok = once(ignored, s_stale, a);
        out.stale = iequals(v, "true");
      } else if (iequals(a.name, "userhash")) {
        std::string_view ignored;
        ok = once(ignored, s_userhash, a) && parse_bool(v, out.userhash);
      }
      if (!ok) return bad_auth();
    }
    if (!rest.empty() && challenge_starts(rest.data(), rest.data() + rest.size())) {
      if (!next) return bad_auth();
      *next = rest;
      break;
    }
  }
  out.params = std::string_view(params_begin, static_cast<std::size_t>(params_end - params_begin));
  if (digest && (!s_realm || !s_nonce)) return bad_auth();
  return {};
}

SIPEVENTS_INLINE std::error_code parse_credentials(std::string_view text, credentials& out) noexcept {
  out = credentials{};
  const char* p = read_scheme(text, out.scheme);
  if (!p) return bad_auth();
  const char* end = text.data() + text.size();
  const bool digest = iequals(out.scheme, "Digest");
  bool s_user = false, s_realm = false, s_nonce = false, s_uri = false, s_resp = false, s_cnonce = false,
       s_opaque = false, s_alg = false, s_qop = false, s_nc = false, s_userhash = false;
  std::string_view rest(p, static_cast<std::size_t>(end - p));
  auth_param a;
  while (!rest.empty()) {
    if (!next_auth_param(rest, a)) {
      if (!rest.empty()) return bad_auth();
      break;
    }
    if (!digest) continue;
    std::string_view v = a.text();
    bool ok = true;
    if (iequals(a.name, "username")) ok = once(out.username, s_user, a);
    else if (iequals(a.name, "realm")) ok = once(out.realm, s_realm, a);
    else if (iequals(a.name, "nonce")) ok = once(out.nonce, s_nonce, a);
    else if (iequals(a.name, "uri")) ok = once(out.uri, s_uri, a);
    else if (iequals(a.name, "response")) {
      ok = once(out.response, s_resp, a);
      for (char c : out.response) ok = ok && is(c, c_hex);
    } else if (iequals(a.name, "cnonce")) ok = once(out.cnonce, s_cnonce, a);
    else if (iequals(a.name, "opaque")) ok = once(out.opaque, s_opaque, a);
    else if (iequals(a.name, "algorithm")) {
      ok = once(out.algorithm_text, s_alg, a);
      out.algorithm = algorithm_from(v);
    } else if (iequals(a.name, "qop")) {
      ok = once(out.qop, s_qop, a) && !out.qop.empty();
    } else if (iequals(a.name, "nc")) {
      ok = once(out.nc_text, s_nc, a) && parse_nc(v, out.nc);
    } else if (iequals(a.name, "userhash")) {
      std::string_view ignored;
      ok = once(ignored, s_userhash, a) && parse_bool(v, out.userhash);
    }
    if (!ok) return bad_auth();
  }
  out.params = std::string_view(p, static_cast<std::size_t>(end - p));
  while (!out.params.empty() && is(out.params.back(), c_ws)) out.params.remove_suffix(1);
  if (!digest) return {};
  if (!s_user || !s_realm || !s_nonce || !s_uri || !s_resp || out.response.empty()) return bad_auth();
  if (s_qop && (!s_cnonce || !s_nc)) return bad_auth();
  return {};
}

SIPEVENTS_INLINE std::error_code parse_authentication_info(std::string_view text, authentication_info& out) noexcept {
  out = authentication_info{};
  std::string_view rest = text;
  bool s_next = false, s_qop = false, s_rsp = false, s_cnonce = false, s_nc = false;
  auth_param a;
  bool any = false;
  while (!rest.empty()) {
    if (!next_auth_param(rest, a)) {
      if (!rest.empty()) return bad_auth();
      break;
    }
    any = true;
    bool ok = true;
    if (iequals(a.name, "nextnonce")) ok = once(out.nextnonce, s_next, a);
    else if (iequals(a.name, "qop")) ok = once(out.qop, s_qop, a);
    else if (iequals(a.name, "rspauth")) ok = once(out.rspauth, s_rsp, a);
    else if (iequals(a.name, "cnonce")) ok = once(out.cnonce, s_cnonce, a);
    else if (iequals(a.name, "nc")) ok = once(out.nc_text, s_nc, a) && parse_nc(a.text(), out.nc);
    if (!ok) return bad_auth();
  }
  if (!any) return bad_auth();
  out.params = detail::trim(text);
  return {};
}

SIPEVENTS_INLINE std::vector<challenge> read_challenges(const message& m, hdr which, std::size_t* malformed) {
  std::vector<challenge> out;
  if (malformed) *malformed = 0;
  for (const header_field& f : m.headers()) {
    if (f.id != which) continue;
    std::string_view rest = f.value;
    while (!rest.empty()) {
      challenge c;
      std::string_view next;
      if (parse_challenge(rest, c, &next)) {
        if (malformed) ++*malformed;
        break;
      }
      out.push_back(c);
      rest = next;
    }
  }
  return out;
}

SIPEVENTS_INLINE std::string nc_hex(std::uint32_t nc) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string s(8, '0');
  for (std::size_t i = 0; i < 8; ++i) s[i] = k_hex[(nc >> (28 - 4 * i)) & 0xf];
  return s;
}

SIPEVENTS_INLINE std::string unquote_text(std::string_view inner) {
  std::string s;
  s.reserve(inner.size());
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '\\' && i + 1 < inner.size()) ++i;
    s += inner[i];
  }
  return s;
}

SIPEVENTS_INLINE std::string quote(std::string_view s) {
  std::string q;
  q.reserve(s.size() + 2);
  q += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  q += '"';
  return q;
}

SIPEVENTS_INLINE std::string format_challenge(const challenge_spec& c) {
  std::string s = "Digest realm=" + quote(c.realm);
  if (!c.domain.empty()) s += ", domain=" + quote(c.domain);
  s += ", nonce=" + quote(c.nonce);
  if (!c.opaque.empty()) s += ", opaque=" + quote(c.opaque);
  if (c.stale) s += ", stale=true";
  if (c.write_algorithm) s += ", algorithm=" + std::string(to_string(c.algorithm));
  if (c.qop_auth || c.qop_auth_int) {
    s += ", qop=\"";
    if (c.qop_auth) s += "auth";
    if (c.qop_auth && c.qop_auth_int) s += ',';
    if (c.qop_auth_int) s += "auth-int";
    s += '"';
  }
  if (c.userhash) s += ", userhash=true";
  return s;
}

SIPEVENTS_INLINE std::string format_credentials(const credentials_spec& c) {
  std::string s = "Digest username=" + quote(c.username) + ", realm=" + quote(c.realm) +
                  ", nonce=" + quote(c.nonce) + ", uri=" + quote(c.uri) + ", response=" + quote(c.response);
  if (c.write_algorithm) s += ", algorithm=" + std::string(to_string(c.algorithm));
  if (!c.opaque.empty()) s += ", opaque=" + quote(c.opaque);
  if (!c.qop.empty()) {
    s += ", qop=" + c.qop + ", cnonce=" + quote(c.cnonce) + ", nc=" + nc_hex(c.nc);
  }
  if (c.userhash) s += ", userhash=true";
  return s;
}

}  // namespace sipevents::message

SIPEVENTS_IMPL_END
