#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/pager/cpim.hpp"

namespace sipevents::pager {

namespace {

bool cpim_iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

std::string_view cpim_trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool cpim_name_char(char c) {
  // RFC 3862 3.3: a header name is a token, with "." joining a prefix.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '!' || c == '%' || c == '*' || c == '+' || c == '`' || c == '\'' || c == '~';
}

/// Reads header lines up to a blank line; `text` is left after it.
bool cpim_block(std::string_view& text, std::vector<std::pair<std::string, std::string>>& out, std::size_t max,
                std::string_view what, std::string& why) {
  while (true) {
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      why = std::string(what) + " headers not ended by a blank line";
      return false;
    }
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return true;
    if ((line.front() == ' ' || line.front() == '\t') && !out.empty()) {
      out.back().second.append(" ").append(cpim_trim(line));  // folded
      continue;
    }
    const std::size_t colon = line.find(':');
    const std::string_view name = colon == std::string_view::npos ? std::string_view{} : cpim_trim(line.substr(0, colon));
    if (name.empty()) {
      why = std::string(what) + " header without a name: " + std::string(line.substr(0, 40));
      return false;
    }
    for (char c : name)
      if (!cpim_name_char(c)) {
        why = std::string(what) + " header name not a token: " + std::string(name.substr(0, 40));
        return false;
      }
    if (out.size() >= max) {
      why = "more than " + std::to_string(max) + " " + std::string(what) + " headers";
      return false;
    }
    out.emplace_back(std::string(name), std::string(cpim_trim(line.substr(colon + 1))));
  }
}

}  // namespace

SIPEVENTS_INLINE std::optional<std::string_view> cpim_message::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (n == name) return std::string_view(v);
  return std::nullopt;
}

SIPEVENTS_INLINE std::optional<std::string_view> cpim_message::header_in(std::string_view ns_uri,
                                                                         std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n != "NS") continue;
    // NS: prefix <uri>
    const std::size_t lt = v.find('<'), gt = v.rfind('>');
    if (lt == std::string::npos || gt == std::string::npos || gt < lt) continue;
    if (std::string_view(v).substr(lt + 1, gt - lt - 1) != ns_uri) continue;
    const std::string prefix(cpim_trim(std::string_view(v).substr(0, lt)));
    if (auto h = header(prefix.empty() ? std::string(name) : prefix + "." + std::string(name))) return h;
  }
  return std::nullopt;
}

SIPEVENTS_INLINE std::optional<std::string_view> cpim_message::content_header(std::string_view name) const {
  for (const auto& [n, v] : content_headers)
    if (cpim_iequal(n, name)) return std::string_view(v);
  return std::nullopt;
}

SIPEVENTS_INLINE std::string cpim_message::content_type() const {
  auto ct = content_header("Content-Type");
  if (!ct) return {};
  std::string t(cpim_trim(ct->substr(0, ct->find(';'))));
  for (char& c : t) c = char(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
  return t;
}

SIPEVENTS_INLINE std::string encode(const cpim_message& m) {
  std::string out;
  for (const auto& [n, v] : m.headers) out.append(n).append(": ").append(v).append("\r\n");
  out.append("\r\n");
  for (const auto& [n, v] : m.content_headers) out.append(n).append(": ").append(v).append("\r\n");
  out.append("\r\n").append(m.body);
  return out;
}

SIPEVENTS_INLINE bool decode_cpim(std::string_view text, cpim_message& out, std::string* error, const cpim_limits& lim) {
  out = cpim_message{};
  std::string why;
  auto fail = [&](std::string w) {
    if (error) *error = std::move(w);
    return false;
  };
  if (text.size() > lim.max_size) return fail("larger than " + std::to_string(lim.max_size) + " bytes");
  if (!cpim_block(text, out.headers, lim.max_headers, "message", why)) return fail(why);
  if (out.headers.empty()) return fail("no message headers");
  if (!cpim_block(text, out.content_headers, lim.max_headers, "content", why)) return fail(why);
  if (!out.content_header("Content-Type")) return fail("content without Content-Type");
  out.body = std::string(text);
  return true;
}

}  // namespace sipevents::pager

SIPEVENTS_IMPL_END
