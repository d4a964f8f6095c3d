#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/message/multipart.hpp"

#include "chars.hpp"
#include "sipevents/message/message.hpp"

namespace sipevents::message {

namespace {

using detail::trim;

bool fail(std::string* e, std::string why) {
  if (e) *e = std::move(why);
  return false;
}

// Where the delimiter line "--boundary" starting at or after `from` begins: at the
// start of the body or right after a line end. npos if none.
std::size_t find_delimiter(std::string_view body, std::string_view dash_boundary, std::size_t from) {
  for (std::size_t at = body.find(dash_boundary, from); at != std::string_view::npos;
       at = body.find(dash_boundary, at + 1)) {
    if (at == 0 || body[at - 1] == '\n') return at;
  }
  return std::string_view::npos;
}

}  // namespace

SIPEVENTS_INLINE std::string_view mime_part::header(std::string_view name) const noexcept {
  for (const auto& [n, v] : headers)
    if (detail::iequals(n, name)) return v;
  return {};
}

SIPEVENTS_INLINE std::string_view mime_part::content_id() const noexcept {
  std::string_view v = header("Content-ID");
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
  return v;
}

SIPEVENTS_INLINE std::string encode(const multipart& m) {
  std::size_t n = 8 + m.boundary.size();
  for (const auto& p : m.parts) {
    n += m.boundary.size() + p.body.size() + 8;
    for (const auto& [k, v] : p.headers) n += k.size() + v.size() + 4;
  }
  std::string out;
  out.reserve(n);
  for (const auto& p : m.parts) {
    out.append("--").append(m.boundary).append("\r\n");
    for (const auto& [k, v] : p.headers) out.append(k).append(": ").append(v).append("\r\n");
    out.append("\r\n").append(p.body).append("\r\n");
  }
  out.append("--").append(m.boundary).append("--\r\n");
  return out;
}

SIPEVENTS_INLINE std::string choose_boundary(const std::vector<mime_part>& parts, std::string token) {
  // A random token almost never occurs in a body; when it does, grow it until it is
  // in none (each round makes it longer, so this ends).
  for (;;) {
    bool clash = false;
    for (const auto& p : parts) clash = clash || p.body.find(token) != std::string::npos;
    if (!clash) return token;
    token.append(token.substr(0, 1 + token.size() / 2));
  }
}

SIPEVENTS_INLINE bool decode(std::string_view body, std::string_view boundary, multipart& out, std::string* error,
            const multipart_limits& limits) {
  out = {};
  // RFC 2046 5.1.1: 1 to 70 characters.
  if (boundary.empty() || boundary.size() > 70) return fail(error, "bad boundary");
  out.boundary = std::string(boundary);
  const std::string dash = "--" + std::string(boundary);
  std::size_t at = find_delimiter(body, dash, 0);
  if (at == std::string_view::npos) return fail(error, "no delimiter line");
  for (;;) {
    std::size_t after = at + dash.size();
    if (body.substr(after, 2) == "--") return true;  // the close delimiter; the epilogue is ignored
    // The delimiter line may carry trailing white space (transport padding).
    std::size_t eol = body.find('\n', after);
    if (eol == std::string_view::npos) return fail(error, "no close delimiter");
    if (!trim(body.substr(after, eol - after)).empty()) return fail(error, "text after a delimiter");
    std::size_t next = find_delimiter(body, dash, eol + 1);
    if (next == std::string_view::npos) return fail(error, "no close delimiter");
    if (out.parts.size() >= limits.max_parts) return fail(error, "too many parts");
    // The part is what lies between the delimiter lines, less the line end that
    // belongs to the next delimiter.
    std::string_view part = body.substr(eol + 1, next - (eol + 1));
    if (part.ends_with("\r\n")) part.remove_suffix(2);
    else if (part.ends_with("\n")) part.remove_suffix(1);
    mime_part p;
    std::size_t pos = 0;
    for (;;) {
      std::size_t le = part.find('\n', pos);
      std::string_view line = part.substr(pos, le == std::string_view::npos ? std::string_view::npos : le - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) {  // the blank line: the body follows (none if the part ends here)
        pos = le == std::string_view::npos ? part.size() : le + 1;
        break;
      }
      if (line.size() > limits.max_header_line) return fail(error, "part header too long");
      if ((line.front() == ' ' || line.front() == '\t') && !p.headers.empty()) {
        p.headers.back().second.append(" ").append(trim(line));  // a folded line
      } else {
        std::size_t colon = line.find(':');
        std::string_view name = colon == std::string_view::npos ? std::string_view{} : trim(line.substr(0, colon));
        if (name.empty() || name.find_first_of(" \t") != std::string_view::npos)
          return fail(error, "bad part header line");
        if (p.headers.size() >= limits.max_headers) return fail(error, "too many part headers");
        p.headers.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
      }
      if (le == std::string_view::npos) {
        pos = part.size();
        break;
      }
      pos = le + 1;
    }
    p.body = std::string(part.substr(pos));
    out.parts.push_back(std::move(p));
    at = next;
  }
}

}  // namespace sipevents::message

SIPEVENTS_IMPL_END
