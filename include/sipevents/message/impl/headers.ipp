#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/message/headers.hpp"

#include "chars.hpp"
#include "grammar.hpp"
#include "typed.hpp"
#include "uri_fast.hpp"
#include "sipevents/message/error.hpp"

#include <cstring>
#include <initializer_list>
#include <string_view>

namespace sipevents::message {
using namespace detail;

namespace {

std::error_code bad_header() noexcept { return make_error_code(errc::malformed_header); }

struct method_name {
  std::string_view text;
  method id;
};
constexpr method_name k_methods[] = {
    {"INVITE", method::INVITE},   {"ACK", method::ACK},         {"BYE", method::BYE},
    {"CANCEL", method::CANCEL},   {"OPTIONS", method::OPTIONS}, {"REGISTER", method::REGISTER},
    {"SUBSCRIBE", method::SUBSCRIBE}, {"NOTIFY", method::NOTIFY}, {"PUBLISH", method::PUBLISH},
    {"MESSAGE", method::MESSAGE}, {"REFER", method::REFER},     {"INFO", method::INFO},
    {"UPDATE", method::UPDATE},   {"PRACK", method::PRACK},
};
// to_string indexes this table by the enum value: every method, in enum order.
static_assert([] {
  constexpr std::size_t n = sizeof(k_methods) / sizeof(k_methods[0]);
  for (std::size_t i = 0; i < n; ++i)
    if (static_cast<std::size_t>(k_methods[i].id) != i + 1) return false;
  return n == static_cast<std::size_t>(method::PRACK);
}());

bool qvalue(std::string_view s, std::uint16_t& out) noexcept {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return false;
  unsigned v = static_cast<unsigned>(s[0] - '0') * 1000;
  if (s.size() > 1) {
    if (s[1] != '.' || s.size() > 5) return false;
    unsigned scale = 100;
    for (std::size_t i = 2; i < s.size(); ++i, scale /= 10) {
      if (s[i] < '0' || s[i] > '9') return false;
      v += static_cast<unsigned>(s[i] - '0') * scale;
    }
  }
  if (v > 1000) return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

}  // namespace

SIPEVENTS_INLINE method method_from(std::string_view token) noexcept {
  // By length, then constant-size compares the compiler turns into word compares: the
  // parser asks twice per request (start line and CSeq).
  auto pick = [&](std::initializer_list<method> candidates) {
    for (method m : candidates)
      if (token == k_methods[static_cast<std::size_t>(m) - 1].text) return m;
    return method::unknown;
  };
  switch (token.size()) {
    case 3: return pick({method::ACK, method::BYE});
    case 4: return pick({method::INFO});
    case 5: return pick({method::REFER, method::PRACK});
    case 6: return pick({method::INVITE, method::CANCEL, method::NOTIFY, method::UPDATE});
    case 7: return pick({method::OPTIONS, method::PUBLISH, method::MESSAGE});
    case 8: return pick({method::REGISTER});
    case 9: return pick({method::SUBSCRIBE});
    default: return method::unknown;
  }
}

SIPEVENTS_INLINE std::string_view to_string(method m) noexcept {
  auto i = static_cast<std::size_t>(m);
  return i == 0 || i > static_cast<std::size_t>(method::PRACK) ? std::string_view{} : k_methods[i - 1].text;
}

namespace {
/// One name-addr / addr-spec with parameters starting at p. In a list (`list`), it may
/// end at a ',' and p is left there; otherwise it must end at `end`.
/// `known(p, end)` reads the caller's usual parameter at p by a word compare (see
/// known_param) and returns its end, or nullptr to leave it to the general loop.
template <class F, class K>
bool name_addr_elem_impl(const char*& pp, const char* end, name_addr& out, bool list, F&& extra,
                         K&& known) noexcept {
  // params is set on every way to success, and name_addr_elem clears the slot on failure.
  out.display = out.tag = {};
  out.display_quoted = out.angle = false;
  const char* p = skip_lws(pp, end);
  if (p >= end) return false;
  const char* lt = nullptr;
  if (*p == '<') {
    lt = p;  // no display name: the usual case
  } else if (*p == '"') {
    const char* e = skip_quoted(p, end);
    if (!e) return false;
    out.display = sv(p + 1, e - 1);
    out.display_quoted = true;
    lt = end - e > 1 && *e == ' ' && e[1] == '<' ? e + 1 : skip_lws(e, end);  // "Alice" <sip:...
    if (lt >= end || *lt != '<') return false;
  } else {
    // *(token LWS) "<" means name-addr with a token display name.
    const char* q = p;
    const char* last = p;
    for (;;) {
      const char* t = skip_wide(q, end, c_token);
      if (t == q) break;
      last = t;
      q = end - t > 1 && *t == ' ' && static_cast<unsigned char>(t[1]) > ' ' ? t + 1 : skip_lws(t, end);
    }
    if (q < end && *q == '<') {
      lt = q;
      out.display = sv(p, last);
    }
  }
  if (lt) {
    const char* gt = read_uri_to_gt(lt + 1, end, out.addr);
    if (!gt) {
      gt = find_char(lt + 1, end, '>');
      if (gt >= end) return false;
      if (!read_uri(sv(lt + 1, gt), out.addr)) return false;
    }
    out.angle = true;
    p = gt + 1;
  } else {
    // addr-spec: the URI cannot contain ';', ',' or '?' here (RFC 3261 20.10).
    const char* u = p;
    while (p < end && *p != ';' && !is(*p, c_ws) && *p != '\r' && *p != '\n' && !(list && *p == ',')) ++p;
    if (!read_uri(sv(u, p), out.addr)) return false;
    if (!out.addr.headers.empty()) return false;
  }
  const char* started = nullptr;
  if (const char* r = leading_param(p, end, ";tag=", out.tag)) {
    started = p;
    p = r;
  }
  while (p < end && *p == ';') {
    const char* r = known(p, end);
    if (!r) break;
    if (!started) started = p;
    p = r;
  }
  const char* last = p;
  auto f = [&](std::string_view n, std::string_view v, bool has) {
    if (n.size() == 3 && name_is(n, "tag")) {
      if (!has) return false;
      out.tag = v;
      return true;
    }
    return extra(n, v, has);
  };
  bool ok = params_to_element_end(p, end, out.params, last, f, started) && (list || p == end);
  pp = p;
  return ok;
}

/// The members are set one by one as they are read (clearing the whole struct first
/// costs more than a short parse); a failure clears them all, so nothing half-read or
/// left from an earlier use of the same slot remains.
template <class F, class K>
bool name_addr_elem(const char*& p, const char* end, name_addr& out, bool list, F&& extra, K&& known) noexcept {
  if (name_addr_elem_impl(p, end, out, list, extra, known)) return true;
  out = name_addr{};
  return false;
}

constexpr auto no_known_params = [](const char*, const char*) -> const char* { return nullptr; };

bool contact_elem(const char*& p, const char* end, contact& out, bool list) noexcept {
  out.expires = std::optional<std::uint32_t>();  // assigned: no test, as in reset_for_parse
  out.q = std::optional<std::uint16_t>();
  auto general = [&](std::string_view n, std::string_view v, bool) {
    if (n.size() == 7 && name_is(n, "expires")) {
      std::uint32_t x = 0;
      if (!delta_seconds(v, x)) return false;
      out.expires = x;
    } else if (n.size() == 1 && name_is(n, "q")) {
      std::uint16_t x = 0;
      if (!qvalue(v, x)) return false;
      out.q = x;
    }
    return true;
  };
  // A registration's Contact usually carries expires and q: each by one word compare.
  auto known = [&](const char* q, const char* e) -> const char* {
    std::string_view v;
    bool has = false;
    if (const char* r = known_param(q, e, ";expires", v, has)) {
      std::uint32_t x = 0;
      if (!has || !delta_seconds(v, x)) return nullptr;
      out.expires = x;
      return r;
    }
    if (const char* r = known_param(q, e, ";q", v, has)) {
      std::uint16_t x = 0;
      if (!has || !qvalue(v, x)) return nullptr;
      out.q = x;
      return r;
    }
    return nullptr;
  };
  bool ok = name_addr_elem(p, end, out.value, list, general, known);
  if (!ok) out = contact{};
  return ok;
}
}  // namespace

SIPEVENTS_INLINE bool read_name_addr(std::string_view text, name_addr& out) noexcept {
  const char* p = text.data();
  return name_addr_elem(p, p + text.size(), out, false, [](std::string_view, std::string_view, bool) { return true; },
                        no_known_params);
}

SIPEVENTS_INLINE bool read_contact(std::string_view text, contact& out) noexcept {
  const char* p = text.data();
  return contact_elem(p, p + text.size(), out, false);
}

SIPEVENTS_INLINE bool read_contact_element(const char*& p, const char* end, contact& out) noexcept {
  return contact_elem(p, end, out, true);
}

namespace {
bool via_element(const char*& pp, const char* end, via& out) noexcept {
  // The sent-protocol, host, params and text are set on every way to success, and
  // read_via_element clears the slot on failure: only the optional parts start empty.
  out.branch = out.received = out.maddr = {};
  out.port = 0;
  out.has_port = out.rport = false;
  out.rport_value = std::optional<std::uint16_t>();  // assigned: no test, as in reset_for_parse
  out.ttl = std::optional<std::uint8_t>();
  const char* p = skip_lws(pp, end);
  const char* start = p;
  auto tok = [&](std::string_view& dst) {
    const char* t = skip_wide(p, end, c_token);
    if (t == p) return false;
    dst = sv(p, t);
    p = skip_lws(t, end);
    return true;
  };
  auto slash = [&] {
    if (p >= end || *p != '/') return false;
    p = skip_lws(p + 1, end);
    return true;
  };
  if (end - p > 8 && std::memcmp(p, "SIP/2.0/", 8) == 0) {  // nearly always
    out.protocol_name = sv(p, p + 3);
    out.protocol_version = sv(p + 4, p + 7);
    p += 8;
  } else if (!tok(out.protocol_name) || !slash() || !tok(out.protocol_version) || !slash()) {
    return false;
  }
  const char* t = skip_class(p, end, c_token);  // "UDP", "TCP", "TLS": a few bytes
  if (t == p) return false;
  out.transport = sv(p, t);
  if (end - t > 1 && *t == ' ' && static_cast<unsigned char>(t[1]) > ' ') {
    p = t + 1;  // the one SP nearly every Via has
  } else {
    p = skip_lws(t, end);
    if (p == t) return false;  // LWS between sent-protocol and sent-by
  }
#if defined(__SSE2__)
  const char* h = host_short(p, end);
  if (!h) h = scan_host(p, end);
#else
  const char* h = scan_host(p, end);
#endif
  if (!h) return false;
  out.host = sv(p, h);
  p = h;
  const char* c = skip_lws(p, end);
  if (c < end && *c == ':') {
    p = skip_lws(c + 1, end);
    if (!parse_port(p, end, out.port)) return false;
    out.has_port = true;
  }
  // The usual parameters first, each by one word compare; the general scan takes over
  // at the first other one (and rereads a known one whose value it must judge).
  auto received_ok = [](std::string_view v) {
    // IPv4address / IPv6address (bare, RFC 3261 20.42); hostnames are tolerated.
    const char* e = v.data() + v.size();
    return skip_class(v.data(), e, c_v6) == e || scan_host(v.data(), e) == e;
  };
  const char* started = nullptr;
  while (p < end && *p == ';') {
    std::string_view v;
    bool has = false;
    const char* r;
    if ((r = known_param(p, end, ";branch", v, has))) {
      if (!has) break;
      out.branch = v;
    } else if ((r = known_param(p, end, ";rport", v, has))) {
      std::uint16_t port = 0;
      if (has) {
        const char* q = v.data();
        if (!parse_port(q, q + v.size(), port) || q != v.data() + v.size()) break;
        out.rport_value = port;
      }
      out.rport = true;
    } else if ((r = known_param(p, end, ";received", v, has))) {
      if (!has || !received_ok(v)) break;
      out.received = v;
    } else {
      break;
    }
    if (!started) started = p;
    p = r;
  }
  const char* last = p;
  bool ok = params_to_element_end(p, end, out.params, last, [&](std::string_view n, std::string_view v, bool has) {
    switch (n.size()) {
      case 6:
        if (name_is(n, "branch")) {
          if (!has) return false;
          out.branch = v;
        }
        return true;
      case 8:
        if (name_is(n, "received")) {
          if (!has || !received_ok(v)) return false;
          out.received = v;
        }
        return true;
      case 5:
        if (name_is(n, "maddr")) {
          if (!has) return false;
          out.maddr = v;
        } else if (name_is(n, "rport")) {
          out.rport = true;
          if (has) {
            const char* q = v.data();
            std::uint16_t port = 0;
            if (!parse_port(q, q + v.size(), port) || q != v.data() + v.size()) return false;
            out.rport_value = port;
          }
        }
        return true;
      case 3:
        if (name_is(n, "ttl")) {
          std::uint64_t x = 0;
          if (!parse_digits(v, 255, x) || x > 255) return false;
          out.ttl = static_cast<std::uint8_t>(x);
        }
        return true;
      default:
        return true;
    }
  }, started);
  out.text = sv(start, last);
  pp = p;
  return ok;
}
}  // namespace

SIPEVENTS_INLINE bool read_via_element(const char*& p, const char* end, via& out) noexcept {
  if (via_element(p, end, out)) return true;
  out = via{};  // as name_addr_elem: nothing half-read or stale remains
  return false;
}

SIPEVENTS_INLINE bool read_via(std::string_view text, via& out) noexcept {
  const char* p = text.data();
  const char* end = p + text.size();
  return read_via_element(p, end, out) && p == end;
}

namespace {
bool event_parts(std::string_view text, event_header& out) noexcept {
  // type, package, templates and params are set on every way to success
  out.id = std::optional<std::string_view>();
  const char* end = text.data() + text.size();
  const char* p = skip_lws(text.data(), end);
  // event-type = token-nodot *( "." token-nodot ): one token, then the dots in it
  // (nearly always none) must not be first, last or next to each other.
  const char* s = p;
  p = skip_wide(p, end, c_token);
  if (p == s) return false;
  const char* dot = find_char(s, p, '.');
  if (dot < p) {
    if (dot == s || p[-1] == '.') return false;
    for (const char* d = dot; d < p; d = find_char(d + 1, p, '.'))
      if (d[1] == '.') return false;
  } else {
    dot = nullptr;
  }
  out.type = sv(s, p);
  out.package = dot ? sv(s, dot) : out.type;
  out.templates = dot ? sv(dot + 1, p) : std::string_view{};
  bool ok = params_to_end(p, end, out.params, [&](std::string_view n, std::string_view v, bool has) {
    if (!name_is(n, "id")) return true;
    if (!has) return false;
    out.id = v;
    return true;
  });
  return ok;
}
}  // namespace

SIPEVENTS_INLINE bool read_event(std::string_view text, event_header& out) noexcept {
  if (event_parts(text, out)) return true;
  out = event_header{};  // nothing half-read or left from an earlier use remains
  return false;
}

SIPEVENTS_INLINE bool event_matches(const event_header& a, const event_header& b) noexcept {
  if (a.type != b.type) return false;
  if (a.id.has_value() != b.id.has_value()) return false;
  return !a.id || *a.id == *b.id;
}



SIPEVENTS_INLINE bool read_subscription_state(std::string_view text, subscription_state& out) noexcept {
  out = subscription_state{};
  const char* end = text.data() + text.size();
  const char* p = skip_lws(text.data(), end);
  const char* t = skip_wide(p, end, c_token);
  if (t == p) return false;
  out.state_text = sv(p, t);
  if (name_is(out.state_text, "active")) out.state = subscription_state::value::active;
  else if (name_is(out.state_text, "pending")) out.state = subscription_state::value::pending;
  else if (name_is(out.state_text, "terminated")) out.state = subscription_state::value::terminated;
  p = t;
  // "active;expires=3600": the usual parameter by one word compare, the rest in general.
  const char* started = nullptr;
  std::string_view ev;
  bool has_ev = false;
  if (const char* r = known_param(p, end, ";expires", ev, has_ev); r && has_ev) {
    std::uint32_t x = 0;
    if (delta_seconds(ev, x)) {
      out.expires = x;
      started = p;
      p = r;
    }
  }
  return params_to_end(p, end, out.params, [&](std::string_view n, std::string_view v, bool has) {
    std::uint32_t x = 0;
    if (name_is(n, "reason")) {
      if (!has) return false;
      out.reason = v;
    } else if (name_is(n, "expires")) {
      if (!delta_seconds(v, x)) return false;
      out.expires = x;
    } else if (name_is(n, "retry-after")) {
      if (!delta_seconds(v, x)) return false;
      out.retry_after = x;
    }
    return true;
  }, started);
}

namespace {
bool media_type_parts(std::string_view text, media_type& out) noexcept {
  // type, subtype and params are set on every way to success
  const char* end = text.data() + text.size();
  const char* p = skip_lws(text.data(), end);
  const char* t = skip_wide(p, end, c_token);
  if (t == p) return false;
  out.type = sv(p, t);
  p = skip_lws(t, end);
  if (p >= end || *p != '/') return false;
  p = skip_lws(p + 1, end);
  t = skip_class(p, end, c_token);  // "pidf+xml": a "+" would break a block run
  if (t == p) return false;
  out.subtype = sv(p, t);
  p = t;
  if (!params_to_end(p, end, out.params)) return false;
  return true;
}
}  // namespace

SIPEVENTS_INLINE bool read_media_type(std::string_view text, media_type& out) noexcept {
  if (media_type_parts(text, out)) return true;
  out = media_type{};  // nothing half-read or left from an earlier use remains
  return false;
}

SIPEVENTS_INLINE bool media_type::matches(std::string_view t, std::string_view st) const noexcept {
  if (type == "*") return true;
  if (!iequals(type, t)) return false;
  return subtype == "*" || iequals(subtype, st);
}

SIPEVENTS_INLINE std::error_code parse_content_disposition(std::string_view text, content_disposition& out) noexcept {
  out = content_disposition{};
  const char* end = text.data() + text.size();
  const char* p = skip_lws(text.data(), end);
  const char* t = skip_wide(p, end, c_token);
  if (t == p) return bad_header();
  out.type = sv(p, t);
  p = t;
  return params_to_end(p, end, out.params) ? std::error_code{} : bad_header();
}

SIPEVENTS_INLINE std::error_code parse_retry_after(std::string_view text, retry_after& out) noexcept {
  out = retry_after{};
  const char* end = text.data() + text.size();
  const char* p = skip_lws(text.data(), end);
  const char* d = skip_class(p, end, c_digit);
  if (!delta_seconds(sv(p, d), out.seconds)) return bad_header();
  p = skip_lws(d, end);
  if (p < end && *p == '(') {
    const char* c = p;
    int depth = 0;
    for (; p < end; ++p) {
      if (*p == '\\') { ++p; continue; }
      if (*p == '(') ++depth;
      if (*p == ')' && --depth == 0) break;
    }
    if (p >= end) return bad_header();
    out.comment = sv(c + 1, p);
    ++p;
  }
  if (!params_to_end(p, end, out.params)) return bad_header();
  if (auto dur = out.params.get("duration")) {
    std::uint32_t v = 0;
    if (!delta_seconds(*dur, v)) return bad_header();
    out.duration = v;
  }
  return {};
}

SIPEVENTS_INLINE std::error_code parse_date(std::string_view text, sip_date& out) noexcept {
  // rfc1123-date = wkday "," SP date1 SP time SP "GMT"
  static constexpr std::string_view days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  out = sip_date{};
  std::string_view s = text;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s[25] != ' ' || s.substr(26) != "GMT")
    return bad_header();
  bool day_ok = false;
  for (auto d : days) day_ok = day_ok || s.substr(0, 3) == d;
  if (!day_ok) return bad_header();
  out.weekday = s.substr(0, 3);
  auto num = [&](std::size_t at, std::size_t n, int& v) {
    std::uint64_t x = 0;
    if (!parse_digits(s.substr(at, n), 9999, x)) return false;
    v = static_cast<int>(x);
    return true;
  };
  if (!num(5, 2, out.day) || !num(12, 4, out.year) || !num(17, 2, out.hour) || !num(20, 2, out.minute) ||
      !num(23, 2, out.second))
    return bad_header();
  out.month = 0;
  for (int i = 0; i < 12; ++i)
    if (s.substr(8, 3) == months[i]) out.month = i + 1;
  if (!out.month || out.day < 1 || out.day > 31 || out.hour > 23 || out.minute > 59 || out.second > 60)
    return bad_header();
  return {};
}

SIPEVENTS_INLINE std::int64_t sip_date::epoch() const noexcept {
  // Days from civil (Howard Hinnant's algorithm).
  int y = year - (month <= 2);
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int mp = (month + 9) % 12;
  int doy = (153 * mp + 2) / 5 + day - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}



SIPEVENTS_INLINE bool read_token(std::string_view text) noexcept {
  const char* end = text.data() + text.size();
  const char* p = skip_lws(text.data(), end);
  const char* t = skip_wide(p, end, c_token);
  return t != p && skip_lws(t, end) == end;
}


SIPEVENTS_INLINE std::error_code parse_name_addr(std::string_view text, name_addr& out) noexcept {
  return read_name_addr(text, out) ? std::error_code{} : bad_header();
}
SIPEVENTS_INLINE std::error_code parse_contact(std::string_view text, contact& out) noexcept {
  return read_contact(text, out) ? std::error_code{} : bad_header();
}
SIPEVENTS_INLINE std::error_code parse_via(std::string_view text, via& out) noexcept {
  return read_via(text, out) ? std::error_code{} : bad_header();
}
SIPEVENTS_INLINE std::error_code parse_cseq(std::string_view text, cseq& out) noexcept {
  if (read_cseq(text, out)) return {};
  out = cseq{};
  return bad_header();
}
SIPEVENTS_INLINE std::error_code parse_event(std::string_view text, event_header& out) noexcept {
  return read_event(text, out) ? std::error_code{} : bad_header();
}
SIPEVENTS_INLINE std::error_code parse_subscription_state(std::string_view text, subscription_state& out) noexcept {
  return read_subscription_state(text, out) ? std::error_code{} : bad_header();
}
SIPEVENTS_INLINE std::error_code parse_media_type(std::string_view text, media_type& out) noexcept {
  return read_media_type(text, out) ? std::error_code{} : bad_header();
}
SIPEVENTS_INLINE std::error_code parse_delta_seconds(std::string_view text, std::uint32_t& out) noexcept {
  return read_delta_seconds(text, out) ? std::error_code{} : bad_header();
}
SIPEVENTS_INLINE std::error_code parse_call_id(std::string_view text) noexcept {
  return read_call_id(text) ? std::error_code{} : bad_header();
}
SIPEVENTS_INLINE std::error_code parse_token(std::string_view text) noexcept {
  return read_token(text) ? std::error_code{} : bad_header();
}
SIPEVENTS_INLINE std::error_code parse_max_forwards(std::string_view text, std::uint8_t& out) noexcept {
  return read_max_forwards(text, out) ? std::error_code{} : bad_header();
}

}  // namespace sipevents::message

SIPEVENTS_IMPL_END
