#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/auth/digest_server.hpp"

#include "sipevents/message/uri.hpp"

#include <algorithm>
#include <array>

namespace sipevents::auth {
namespace sm = sipevents::message;

namespace {
constexpr std::size_t k_ts_hex = 16, k_salt_hex = 16, k_mac_hex = 32;
constexpr std::size_t k_nonce_len = k_ts_hex + k_salt_hex + k_mac_hex;

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

bool hex_u64(std::string_view s, std::uint64_t& out) {
  std::uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  out = v;
  return true;
}

/// RFC 2617 3.2.2.5 wants digest-uri to be the Request-URI. Clients differ in how
/// they write it (SIPp puts the server's address and port there), so a SIP URI with
/// the same scheme, user and host passes; anything else does not.
bool same_resource(std::string_view digest_uri, const sm::uri& request_uri) {
  if (digest_uri == request_uri.text) return true;
  sm::uri u;
  if (sm::parse_uri(digest_uri, u) || !u.is_sip() || !request_uri.is_sip()) return false;
  return u.scheme_text == request_uri.scheme_text && u.user == request_uri.user && iequal(u.host, request_uri.host);
}

std::int64_t seconds_of(wall_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
}  // namespace

SIPEVENTS_INLINE digest_server::digest_server(crypto& c, user_lookup users, server_auth_config cfg)
    : c_(c), users_(std::move(users)), cfg_(std::move(cfg)) {
  if (cfg_.secret.empty()) {
    std::array<std::uint8_t, 32> k{};
    c_.random(k);
    cfg_.secret.assign(reinterpret_cast<const char*>(k.data()), k.size());
  }
  if (cfg_.replay_slots == 0) cfg_.replay_slots = 1;
  ring_.resize(cfg_.replay_slots);
  seen_.reserve(std::min<std::size_t>(cfg_.replay_slots, 4096));
}

SIPEVENTS_INLINE auth_mode digest_server::mode_for(const sm::message& request) const {
  auto it = cfg_.methods.find(request.method_text());
  return it != cfg_.methods.end() ? it->second : cfg_.default_mode;
}

SIPEVENTS_INLINE std::string digest_server::mac(std::string_view ts_salt) const {
  std::string data(ts_salt);
  data += ':';
  data += cfg_.realm;
  std::array<std::uint8_t, 32> m{};
  c_.hmac_sha256(cfg_.secret, data, m);
  return to_hex(std::span<const std::uint8_t>(m.data(), k_mac_hex / 2));
}

SIPEVENTS_INLINE std::string digest_server::make_nonce(wall_clock::time_point now) {
  std::uint64_t ts = static_cast<std::uint64_t>(seconds_of(now));
  std::string n(k_ts_hex, '0');
  static constexpr char k_hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < k_ts_hex; ++i) n[i] = k_hex[(ts >> (60 - 4 * i)) & 0xf];
  n += random_hex(c_, k_salt_hex / 2);
  n += mac(n);
  return n;
}

SIPEVENTS_INLINE digest_server::nonce_check digest_server::check_nonce(std::string_view nonce, wall_clock::time_point now,
                                                      std::int64_t& ts, std::uint64_t& salt) const {
  if (nonce.size() != k_nonce_len) return nonce_check::bad;
  std::uint64_t t = 0;
  if (!hex_u64(nonce.substr(0, k_ts_hex), t) || !hex_u64(nonce.substr(k_ts_hex, k_salt_hex), salt))
    return nonce_check::bad;
  if (!constant_time_equal(mac(nonce.substr(0, k_ts_hex + k_salt_hex)), nonce.substr(k_ts_hex + k_salt_hex)))
    return nonce_check::bad;
  ts = static_cast<std::int64_t>(t);
  const std::int64_t s = seconds_of(now);
  if (ts > s + cfg_.max_skew.count()) return nonce_check::bad;
  if (s - ts > cfg_.nonce_lifetime.count()) return nonce_check::expired;
  return nonce_check::fresh;
}

SIPEVENTS_INLINE digest_server::count_check digest_server::note_count(std::uint64_t salt, std::int64_t ts, std::uint32_t nc) {
  if (nc == 0) return count_check::replayed;
  seen_entry* found = seen_.find(salt);
  if (!found) {
    if (ts <= evicted_upto_) return count_check::forgotten;
    std::uint64_t& slot = ring_[ring_next_];
    if (ring_full_) {
      if (const seen_entry* old = seen_.find(slot)) {
        evicted_upto_ = std::max(evicted_upto_, old->ts);
        seen_.erase(slot);
      }
    }
    slot = salt;
    ring_next_ = (ring_next_ + 1) % ring_.size();
    if (ring_next_ == 0) ring_full_ = true;
    seen_.try_emplace(salt, seen_entry{ts, nc, 1});
    return count_check::ok;
  }
  seen_entry& e = *found;
  if (nc > e.max_nc) {
    const std::uint32_t shift = nc - e.max_nc;
    e.window = shift >= 64 ? 0 : e.window << shift;
    e.window |= 1;
    e.max_nc = nc;
    return count_check::ok;
  }
  const std::uint32_t back = e.max_nc - nc;
  if (back >= 64 || (e.window >> back) & 1) return count_check::replayed;
  e.window |= std::uint64_t(1) << back;  // out of order within the window: fine once
  return count_check::ok;
}

SIPEVENTS_INLINE verdict digest_server::challenge(auth_mode mode, wall_clock::time_point now, bool stale, std::string why,
                                 bool failed) {
  verdict v;
  const bool proxy = mode == auth_mode::proxy;
  v.what = verdict::kind::challenge;
  v.status = proxy ? 407 : 401;
  v.reason = proxy ? "Proxy Authentication Required" : "Unauthorized";
  v.header = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
  v.why = std::move(why);
  v.failed = failed;
  sm::challenge_spec spec;
  spec.realm = cfg_.realm;
  spec.nonce = make_nonce(now);
  spec.stale = stale;
  spec.qop_auth = true;
  spec.qop_auth_int = cfg_.offer_auth_int;
  for (digest_algorithm a : cfg_.algorithms) {
    spec.algorithm = a;
    v.challenges.push_back(sm::format_challenge(spec));
  }
  return v;
}

SIPEVENTS_INLINE verdict digest_server::verify(const sm::message& request, auth_mode mode, wall_clock::time_point now) {
  const bool proxy = mode == auth_mode::proxy;
  const sm::hdr which = proxy ? sm::hdr::proxy_authorization : sm::hdr::authorization;
  sm::credentials cr;
  bool found = false;
  for (const sm::header_field& f : request.headers()) {
    if (f.id != which) continue;
    sm::credentials c;
    if (sm::parse_credentials(f.value, c)) {
      verdict v;
      v.what = verdict::kind::bad_request;
      v.status = 400;
      v.reason = std::string("Malformed ") + std::string(sm::canonical_name(which)) + " header";
      v.why = v.reason;
      v.failed = true;
      return v;
    }
    // Credentials for another realm (an upstream proxy's) are not ours to judge.
    if (!iequal(c.scheme, "Digest") || sm::unquote_text(c.realm) != cfg_.realm) continue;
    cr = c;
    found = true;
    break;
  }
  if (!found) return challenge(mode, now, false, "no credentials for our realm", false);
  const std::string user = sm::unquote_text(cr.username);
  if (std::find(cfg_.algorithms.begin(), cfg_.algorithms.end(), cr.algorithm) == cfg_.algorithms.end())
    return challenge(mode, now, false, "algorithm " + std::string(cr.algorithm_text) + " not offered", true);
  if (cr.userhash) return challenge(mode, now, false, "userhash not offered", true);
  const std::string nonce = sm::unquote_text(cr.nonce);
  std::int64_t ts = 0;
  std::uint64_t salt = 0;
  const nonce_check nc = check_nonce(nonce, now, ts, salt);
  if (nc == nonce_check::bad) return challenge(mode, now, false, "unknown nonce from " + user, true);
  if (cr.qop.empty() ? !cfg_.allow_no_qop
                     : !(iequal(cr.qop, "auth") || (iequal(cr.qop, "auth-int") && cfg_.offer_auth_int)))
    return challenge(mode, now, false, "qop " + std::string(cr.qop) + " not offered", true);
  const std::string uri = sm::unquote_text(cr.uri);
  if (cfg_.check_uri && !same_resource(uri, request.request_uri())) {
    verdict v;
    v.what = verdict::kind::bad_request;
    v.status = 400;
    v.reason = std::string(sm::canonical_name(which)) + " uri does not match the Request-URI";
    v.why = v.reason;
    v.failed = true;
    return v;
  }
  const secret* s = users_ ? users_(user) : nullptr;
  // An unknown user is answered exactly as a wrong password.
  std::string h1 = s ? s->ha1_for(c_, cr.algorithm, cfg_.realm) : std::string();
  if (h1.empty()) return challenge(mode, now, false, "unknown user " + user, true);
  const std::string cnonce = sm::unquote_text(cr.cnonce);
  response_input in;
  in.algorithm = cr.algorithm;
  in.ha1 = h1;
  in.nonce = nonce;
  in.cnonce = cnonce;
  in.nc = cr.nc_text;
  in.qop = cr.qop;
  in.method = request.method_text();
  in.uri = uri;
  in.body = request.body();
  if (!constant_time_equal(response(c_, in), cr.response))
    return challenge(mode, now, false, "wrong password for " + user, true);
  if (nc == nonce_check::expired) return challenge(mode, now, true, "stale nonce from " + user, false);
  switch (note_count(salt, ts, cr.qop.empty() ? 1 : cr.nc)) {
    case count_check::ok: break;
    case count_check::replayed:
      return challenge(mode, now, false, "replayed nc " + std::string(cr.nc_text) + " from " + user, true);
    case count_check::forgotten:
      return challenge(mode, now, true, "nonce of " + user + " no longer tracked", false);
  }
  verdict v;
  v.what = verdict::kind::ok;
  v.status = 200;
  v.reason.clear();
  v.user = user;
  v.algorithm = cr.algorithm;
  return v;
}

SIPEVENTS_INLINE void digest_server::add_challenges(sm::message_builder& b, const verdict& v) {
  for (const auto& c : v.challenges) b.header(v.header, c);
}

}  // namespace sipevents::auth

SIPEVENTS_IMPL_END
