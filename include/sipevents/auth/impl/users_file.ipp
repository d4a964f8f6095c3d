#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/auth/users_file.hpp"

namespace sipevents::auth {
namespace sm = sipevents::message;

namespace {
bool all_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}
std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = char(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
  return o;
}
}  // namespace

SIPEVENTS_INLINE users_file_error parse_users(std::string_view text, user_table& out) {
  std::size_t n = 0;
  while (!text.empty()) {
    ++n;
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return {n, "no ':' between user and password"};
    std::string_view user = line.substr(0, colon), rest = line.substr(colon + 1);
    while (!user.empty() && (user.front() == ' ' || user.front() == '\t')) user.remove_prefix(1);
    if (user.empty()) return {n, "empty user name"};
    if (user.find_first_of(" \t\"") != std::string_view::npos) return {n, "a user name has no spaces or quotes"};
    if (rest.empty()) return {n, "empty password"};
    secret& s = out[std::string(user)];
    s.user = std::string(user);
    // user:ALGORITHM:HA1 when the middle names a hash and the tail is that hash in hex.
    const std::size_t c2 = rest.find(':');
    if (c2 != std::string_view::npos) {
      const digest_algorithm a = sm::algorithm_from(rest.substr(0, c2));
      const std::string_view h = rest.substr(c2 + 1);
      if (a != digest_algorithm::unknown && !sm::is_session(a) && h.size() == 2 * hash_size(hash_of(a)) &&
          all_hex(h)) {
        for (const auto& [alg, existing] : s.ha1)
          if (alg == a) return {n, "a second " + std::string(sm::to_string(a)) + " hash for " + s.user};
        s.ha1.emplace_back(a, lower(h));
        continue;
      }
      if (a != digest_algorithm::unknown)
        return {n, std::string(sm::to_string(a)) + " hash for " + s.user + " is not " +
                       std::to_string(2 * hash_size(hash_of(a))) + " hex digits"};
    }
    if (!s.password.empty()) return {n, "a second password for " + s.user};
    s.password = std::string(rest);
  }
  for (const auto& [name, s] : out)
    if (!s.password.empty() && !s.ha1.empty())
      return {n, name + " has both a password and a stored hash"};
  return {};
}

SIPEVENTS_INLINE void prepare_ha1(user_table& users, crypto& c, std::string_view realm,
                                  const std::vector<digest_algorithm>& algorithms) {
  for (auto& [name, sec] : users) {
    if (sec.password.empty()) continue;
    for (digest_algorithm a : algorithms) {
      const digest_algorithm base = sm::base_of(a);
      bool have = false;
      for (const auto& kept : sec.ha1) have = have || sm::base_of(kept.first) == base;
      if (!have) sec.ha1.emplace_back(base, ha1(c, base, sec.user.empty() ? name : sec.user, realm, sec.password));
    }
  }
}

}  // namespace sipevents::auth

SIPEVENTS_IMPL_END
