#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/mwi/message_summary.hpp"

#include <array>
#include <charconv>

namespace sipevents::mwi {

namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool fail(std::string* e, std::string why) {
  if (e) *e = std::move(why);
  return false;
}

/// A decimal number of at most 9 digits at the front of `s`, consumed.
bool number(std::string_view& s, std::uint32_t& out) {
  s = trim(s);
  std::size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  if (n == 0 || n > 9) return false;
  std::from_chars(s.data(), s.data() + n, out);
  s.remove_prefix(n);
  return true;
}

bool expect(std::string_view& s, char c) {
  s = trim(s);
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

/// "4/8 (1/2)" into `c`.
bool counts(std::string_view v, message_counts& c) {
  if (!number(v, c.new_msgs) || !expect(v, '/') || !number(v, c.old_msgs)) return false;
  v = trim(v);
  if (v.empty()) return true;
  std::uint32_t nu = 0, ou = 0;
  if (!expect(v, '(') || !number(v, nu) || !expect(v, '/') || !number(v, ou) || !expect(v, ')')) return false;
  c.new_urgent = nu;
  c.old_urgent = ou;
  return trim(v).empty();
}

bool header_line(std::string_view line, std::string_view& name, std::string_view& value) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  name = trim(line.substr(0, colon));
  for (char ch : name)
    if (ch <= ' ' || ch >= 127) return false;
  value = trim(line.substr(colon + 1));
  return !name.empty();
}

}  // namespace

SIPEVENTS_INLINE bool known_context(std::string_view c) noexcept {
  static constexpr std::array<std::string_view, 6> names = {"voice-message",      "fax-message",  "pager-message",
                                                            "multimedia-message", "text-message", "none"};
  for (auto n : names)
    if (iequal(n, c)) return true;
  return false;
}

SIPEVENTS_INLINE std::string encode(const message_summary& s) {
  std::string out = "Messages-Waiting: ";
  out += s.waiting ? "yes" : "no";
  out += "\r\n";
  if (!s.account.empty()) out += "Message-Account: " + s.account + "\r\n";
  for (const auto& c : s.counts) {
    out += c.context + ": " + std::to_string(c.new_msgs) + "/" + std::to_string(c.old_msgs);
    if (c.new_urgent && c.old_urgent) out += " (" + std::to_string(*c.new_urgent) + "/" + std::to_string(*c.old_urgent) + ")";
    out += "\r\n";
  }
  for (const auto& block : s.messages) {
    out += "\r\n";
    for (const auto& [n, v] : block) out += n + ": " + v + "\r\n";
  }
  return out;
}

SIPEVENTS_INLINE bool decode(std::string_view text, message_summary& out, std::string* error, summary_limits limits) {
  out = message_summary{};
  if (text.size() > limits.max_size) return fail(error, "message summary larger than " + std::to_string(limits.max_size));
  std::size_t lines = 0;
  bool status = false;
  bool in_messages = false;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (++lines > limits.max_lines) return fail(error, "message summary of more than " + std::to_string(limits.max_lines) + " lines");
    if (trim(line).empty()) {
      if (!status) return fail(error, "message summary without Messages-Waiting");
      // A blank line starts the optional message headers (a block per message).
      in_messages = true;
      if (out.messages.empty() || !out.messages.back().empty()) out.messages.emplace_back();
      continue;
    }
    std::string_view name, value;
    if (!header_line(line, name, value)) return fail(error, "message summary line is not a header: " + std::string(line.substr(0, 60)));
    if (in_messages) {
      out.messages.back().emplace_back(std::string(name), std::string(value));
      continue;
    }
    if (!status) {
      if (!iequal(name, "Messages-Waiting")) return fail(error, "message summary does not start with Messages-Waiting");
      if (iequal(value, "yes")) out.waiting = true;
      else if (!iequal(value, "no")) return fail(error, "Messages-Waiting is neither yes nor no");
      status = true;
    } else if (iequal(name, "Message-Account")) {
      if (value.empty()) return fail(error, "empty Message-Account");
      out.account = std::string(value);
    } else {
      message_counts c;
      c.context = std::string(name);
      if (!counts(value, c)) return fail(error, "message counts of " + c.context + " are not N/M or N/M (U/V)");
      out.counts.push_back(std::move(c));
    }
  }
  if (!status) return fail(error, "message summary without Messages-Waiting");
  if (!out.messages.empty() && out.messages.back().empty()) out.messages.pop_back();
  return true;
}

}  // namespace sipevents::mwi

SIPEVENTS_IMPL_END
