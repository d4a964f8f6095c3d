#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/message/check.hpp"

#include "chars.hpp"

namespace sipevents::message {
using namespace detail;

namespace {

bool contains_ci(const std::vector<std::string>& v, std::string_view s) {
  for (const auto& e : v)
    if (iequals(e, s)) return true;
  return false;
}

bool type_listed(const std::vector<std::string>& v, const media_type& t) {
  for (const auto& e : v) {
    std::string_view s = e;
    std::size_t slash = s.find('/');
    if (slash != std::string_view::npos && iequals(s.substr(0, slash), t.type) && iequals(s.substr(slash + 1), t.subtype))
      return true;
  }
  return false;
}

}  // namespace

SIPEVENTS_INLINE verdict verdict_for(const codec_error& e, bool is_request, bool can_respond) {
  verdict v;
  if (!e) return v;
  if (!is_request || !can_respond || e.code == errc::empty_message) {
    v.what = verdict::action::drop;
    v.reason = is_request && !can_respond ? "cannot respond: " + e.reason() : e.reason();
    return v;
  }
  v.what = verdict::action::respond;
  v.status = status_for(e.code);
  v.reason = e.reason();
  return v;
}

SIPEVENTS_INLINE verdict check(const message& m, const codec_error& parsed, const endpoint_profile& profile) {
  if (parsed) return verdict_for(parsed, m.is_request(), m.can_respond());
  auto reply = [&](errc e, hdr h = hdr::unknown) { return verdict_for(codec_error{e, h}, true, true); };
  if (m.is_response()) {
    // RFC 3261 8.1.3.3: a UAC discards a response with more than one Via.
    if (m.vias().size() > 1) {
      verdict v;
      v.what = verdict::action::drop;
      v.reason = codec_error{errc::response_with_extra_vias}.reason();
      return v;
    }
    return {};
  }
  if (!contains_ci(profile.uri_schemes, m.request_uri().scheme_text)) return reply(errc::unsupported_uri_scheme);
  bool known = false;
  for (const auto& meth : profile.methods) known = known || meth == m.method_text();  // case-sensitive
  if (!known) return reply(errc::method_not_supported);
  for (std::string_view tag : m.values(hdr::require))
    if (!contains_ci(profile.supported, tag)) return reply(errc::bad_extension, hdr::require);
  if (profile.proxy && m.max_forwards() && *m.max_forwards() == 0) return reply(errc::too_many_hops);
  if (!m.body().empty() && !profile.accepted_types.empty()) {
    const media_type* ct = m.content_type();
    if (!ct) return reply(errc::missing_header, hdr::content_type);
    if (!type_listed(profile.accepted_types, *ct)) return reply(errc::unsupported_media_type);
  }
  for (const auto& [meth, type] : profile.answer_types) {
    if (meth != m.method_text() || !m.find(hdr::accept)) continue;
    std::string_view ty = type, t = ty.substr(0, ty.find('/')), st = ty.substr(ty.find('/') + 1);
    bool ok = false;
    for (std::string_view el : m.values(hdr::accept)) {
      media_type mt;
      if (!parse_media_type(el, mt) && mt.matches(t, st)) ok = true;
    }
    if (!ok) return reply(errc::not_acceptable);
  }
  if (profile.registrar && m.method_id() == method::REGISTER && !m.to().addr.is_sip()) return reply(errc::not_an_aor);
  return {};
}

}  // namespace sipevents::message

SIPEVENTS_IMPL_END
