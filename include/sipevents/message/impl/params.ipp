#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/message/params.hpp"

#include "chars.hpp"
#include "grammar.hpp"

namespace sipevents::message {
using namespace detail;

SIPEVENTS_INLINE void param_list::iterator::advance() noexcept {
  const char* p = skip_lws(p_, end_);
  // Empty parameters (";;") are tolerated and skipped; RFC 3428's own examples have them.
  while (p < end_ && *p == ';') {
    const char* q = skip_lws(p + 1, end_);
    if (q < end_ && *q == ';') p = q;
    else break;
  }
  if (p >= end_ || *p != ';') { done_ = true; p_ = end_; return; }
  p = skip_lws(p + 1, end_);
  if (p >= end_) { done_ = true; p_ = end_; return; }
  const char* n = p;
  while (p < end_ && *p != '=' && *p != ';' && !is(*p, c_ws) && *p != '\r' && *p != '\n') ++p;
  cur_ = param{sv(n, p), {}, false};
  const char* q = skip_lws(p, end_);
  if (q < end_ && *q == '=') {
    q = skip_lws(q + 1, end_);
    const char* v = q;
    if (q < end_ && *q == '"') {
      const char* e = skip_quoted(q, end_);
      q = e ? e : end_;
    } else {
      while (q < end_ && *q != ';' && !is(*q, c_ws) && *q != '\r' && *q != '\n') ++q;
    }
    cur_.value = sv(v, q);
    cur_.has_value = true;
    p = q;
  }
  p_ = p;
  done_ = false;
}

SIPEVENTS_INLINE std::optional<std::string_view> param_list::get(std::string_view name) const noexcept {
  for (const param& prm : *this)
    if (iequals(prm.name, name)) return prm.value;
  return std::nullopt;
}

SIPEVENTS_INLINE std::string_view unquote(std::string_view v) noexcept {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

namespace detail {

SIPEVENTS_INLINE bool skip_uri_params(const char*& p, const char* end) noexcept {
  constexpr std::uint16_t cls = c_unres | c_param;
  while (p < end && *p == ';') {
    const char* n = p + 1;
    const char* q = skip_escaped(n, end, cls);
    if (!q || q == n) return false;
    if (q < end && *q == '=') {
      const char* v = q + 1;
      q = skip_escaped(v, end, cls);
      if (!q || q == v) return false;
    }
    p = q;
  }
  return true;
}

}  // namespace detail
}  // namespace sipevents::message

SIPEVENTS_IMPL_END
