#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/message/uri.hpp"

#include <cstring>
#include <string>

#include "chars.hpp"
#include "grammar.hpp"
#include "typed.hpp"
#include "uri_fast.hpp"
#include "sipevents/message/error.hpp"

namespace sipevents::message {
using namespace detail;

namespace {

std::error_code bad() noexcept { return make_error_code(errc::bad_request_uri); }

}  // namespace


namespace {

/// userinfo "@" and host, in full: escapes, passwords and every user character.
bool user_host(const char*& pp, const char* end, uri& u) noexcept {
  const char* p = pp;
  // userinfo ends at the only '@': no other part of a SIP URI may contain one.
  const char* at = find_char(p, end, '@');
  if (at < end) {
    // ':' is no user character, so the user part ends at the password or at '@'.
    const char* q = skip_escaped(p, at, c_unres | c_user);
    if (!q || q == p || (q != at && *q != ':')) return false;
    u.user = sv(p, q);
    if (q != at) {
      const char* colon = q;
      q = skip_escaped(colon + 1, at, c_unres | c_pass);
      if (!q || q != at) return false;
      u.password = sv(colon + 1, at);
      u.has_password = true;
    }
    p = at + 1;
  }
  const char* h = scan_host(p, end);
  if (!h) return false;
  u.host = sv(p, h);
  pp = h;
  return true;
}

[[gnu::always_inline]] inline bool parse_sip(const char* p, const char* end, uri& u) noexcept {
#if defined(__SSE2__)
  if (const char* h = user_host_short(p, end, u)) {
    p = h;
  } else
#endif
  {
    if (!user_host(p, end, u)) return false;
  }
  if (!port_and_params(p, end, u)) return false;
  if (p < end && *p == '?') {
    const char* hs = ++p;
    constexpr std::uint16_t cls = c_unres | c_hnv;
    for (;;) {
      const char* n = skip_escaped(p, end, cls);
      if (!n || n == p || n >= end || *n != '=') return false;
      const char* v = skip_escaped(n + 1, end, cls);
      if (!v) return false;
      p = v;
      if (p < end && *p == '&') { ++p; continue; }
      break;
    }
    u.headers = sv(hs, p);
  }
  return p == end;
}

bool parse_tel(const char* p, const char* end, uri& u) noexcept {
  // RFC 3966: global-number-digits ("+" digits and visual separators) or local digits.
  const char* n = p;
  if (p < end && *p == '+') ++p;
  while (p < end && (is(*p, c_hex) || *p == '-' || *p == '.' || *p == '(' || *p == ')' ||
                     *p == '*' || *p == '#' || *p == 'p' || *p == 'w'))
    ++p;
  if (p == n || (p == n + 1 && *n == '+')) return false;
  u.user = sv(n, p);
  const char* ps = p;
  if (!skip_uri_params(p, end)) return false;
  u.params = sv(ps, p);
  return p == end;
}

struct kv {
  std::string_view name, value;
  bool has_value;
};

template <class F>
void each_item(std::string_view list, char sep, F&& f) {
  std::size_t i = 0;
  while (i < list.size()) {
    if (list[i] == sep) { ++i; continue; }
    std::size_t e = list.find(sep, i);
    if (e == std::string_view::npos) e = list.size();
    std::string_view item = list.substr(i, e - i);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) f(kv{item, {}, false});
    else f(kv{item.substr(0, eq), item.substr(eq + 1), true});
    i = e;
  }
}

std::optional<std::string_view> find_in(std::string_view list, char sep, std::string_view name) noexcept {
  std::optional<std::string_view> found;
  each_item(list, sep, [&](const kv& item) {
    if (!found && iequals(item.name, name)) found = item.value;
  });
  return found;
}

}  // namespace

SIPEVENTS_INLINE bool read_uri(std::string_view text, uri& out) noexcept {
  // Member by member: a whole-struct clear costs more than the parse of a short URI.
  out.scheme = uri::kind::none;
  out.text = text;
  out.scheme_text = out.user = out.password = out.host = out.params = out.headers = out.opaque = {};
  out.port = 0;
  out.has_port = out.has_password = false;
  const char* p = text.data();
  const char* end = p + text.size();
  if (p == end || !is(*p, c_alnum) || (*p >= '0' && *p <= '9')) return false;
  if (end - p > 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    if ((w | 0x00202020u) == 0x3a706973u) {  // "sip:" in any case, nearly always
      out.scheme_text = sv(p, p + 3);
      out.scheme = uri::kind::sip;
      return parse_sip(p + 4, end, out);
    }
  }
  const char* s = skip_class(p + 1, end, c_scheme);
  if (s >= end || *s != ':') return false;
  out.scheme_text = sv(p, s);
  const char* rest = s + 1;
  if (iequals(out.scheme_text, "sip")) {
    out.scheme = uri::kind::sip;
    return parse_sip(rest, end, out);
  }
  if (iequals(out.scheme_text, "sips")) {
    out.scheme = uri::kind::sips;
    return parse_sip(rest, end, out);
  }
  if (iequals(out.scheme_text, "tel")) {
    out.scheme = uri::kind::tel;
    return parse_tel(rest, end, out);
  }
  // absoluteURI = scheme ":" ( hier-part / opaque-part ); validate the characters only.
  out.scheme = uri::kind::other;
  const char* q = skip_escaped(rest, end, c_uric);
  if (!q || q != end || q == rest) return false;
  out.opaque = sv(rest, end);
  return true;
}

SIPEVENTS_INLINE std::error_code parse_uri(std::string_view text, uri& out) noexcept {
  return read_uri(text, out) ? std::error_code{} : bad();
}

SIPEVENTS_INLINE std::optional<std::string_view> uri::param(std::string_view name) const noexcept {
  return find_in(params, ';', name);
}

SIPEVENTS_INLINE std::optional<std::string_view> uri::header(std::string_view name) const noexcept {
  return find_in(headers, '&', name);
}

SIPEVENTS_INLINE std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

SIPEVENTS_INLINE std::string uri::user_unescaped() const { return unescape(user); }

namespace {

bool ieq_unescaped(std::string_view a, std::string_view b) {
  std::string x = unescape(a), y = unescape(b);
  return iequals(x, y);
}

/// RFC 3966 5: visual separators are not significant in comparisons.
std::string tel_digits(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '-' && c != '.' && c != '(' && c != ')') out.push_back(lower(c));
  return out;
}

/// True if `item` is the first entry of `list` with its name.
bool first_of_name(std::string_view list, char sep, const kv& item) {
  bool first = true, found = false;
  each_item(list, sep, [&](const kv& o) {
    if (found) return;
    if (o.name.data() == item.name.data()) found = true;
    else if (iequals(o.name, item.name)) first = false, found = true;
  });
  return first;
}

bool params_equal(std::string_view pa, std::string_view pb, bool tel) {
  static constexpr std::string_view must_match[] = {"user", "ttl", "method", "maddr", "transport"};
  bool ok = true;
  auto check_side = [&](std::string_view x, std::string_view y) {
    each_item(x, ';', [&](const kv& a) {
      if (!first_of_name(x, ';', a)) return;  // a repeated parameter: the first one counts
      std::optional<std::string_view> other = find_in(y, ';', a.name);
      bool special = tel;  // every tel parameter must be present in both
      for (auto n : must_match) special = special || iequals(n, a.name);
      if (!other) {
        if (special) ok = false;
        return;
      }
      if (!ieq_unescaped(a.value, *other)) ok = false;
    });
  };
  check_side(pa, pb);
  check_side(pb, pa);
  return ok;
}

bool headers_equal(std::string_view ha, std::string_view hb) {
  bool ok = true;
  auto check_side = [&](std::string_view x, std::string_view y) {
    each_item(x, '&', [&](const kv& a) {
      if (!first_of_name(x, '&', a)) return;
      auto other = find_in(y, '&', a.name);
      if (!other || unescape(a.value) != unescape(*other)) ok = false;
    });
  };
  check_side(ha, hb);
  check_side(hb, ha);
  return ok;
}

}  // namespace

SIPEVENTS_INLINE bool uri_equal(const uri& a, const uri& b) {
  if (a.scheme != b.scheme) return false;
  switch (a.scheme) {
    case uri::kind::none: return true;
    case uri::kind::other:
      return iequals(a.scheme_text, b.scheme_text) && unescape(a.opaque) == unescape(b.opaque);
    case uri::kind::tel:
      return tel_digits(a.user) == tel_digits(b.user) && params_equal(a.params, b.params, true);
    case uri::kind::sip:
    case uri::kind::sips:
      break;
  }
  if (unescape(a.user) != unescape(b.user)) return false;  // userinfo is case-sensitive
  if (a.has_password != b.has_password || unescape(a.password) != unescape(b.password)) return false;
  if (!iequals(a.host, b.host)) return false;
  if (a.has_port != b.has_port || a.port != b.port) return false;
  return params_equal(a.params, b.params, false) && headers_equal(a.headers, b.headers);
}

SIPEVENTS_INLINE std::string address_of_record(const uri& u) {
  if (!u.is_sip()) return {};
  std::string out = u.scheme == uri::kind::sips ? "sips:" : "sip:";
  if (!u.user.empty()) out.append(unescape(u.user)).push_back('@');
  for (char c : u.host) out.push_back(detail::lower(c));
  return out;
}

}  // namespace sipevents::message

SIPEVENTS_IMPL_END
