#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/auth/digest_client.hpp"

#include <algorithm>

namespace sipevents::auth {
namespace sm = sipevents::message;

namespace {
bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

SIPEVENTS_INLINE std::string secret::ha1_for(crypto& c, digest_algorithm a, std::string_view realm) const {
  const digest_algorithm base = sm::base_of(a);
  for (const auto& [alg, h] : ha1)
    if (sm::base_of(alg) == base) return h;
  if (password.empty()) return {};  // no password and no stored hash for this algorithm
  return auth::ha1(c, a, user, realm, password);
}

SIPEVENTS_INLINE digest_client::digest_client(crypto& c, credentials_hook hook, client_auth_config cfg)
    : c_(c), hook_(std::move(hook)), cfg_(cfg) {}

SIPEVENTS_INLINE digest_client::realm_state& digest_client::slot(const std::string& realm) {
  auto it = realms_.find(realm);
  if (it != realms_.end()) return it->second;
  if (cfg_.max_realms && realms_.size() >= cfg_.max_realms && !realm_order_.empty()) {
    realms_.erase(realm_order_.front());
    realm_order_.pop_front();
  }
  realm_order_.push_back(realm);
  return realms_[realm];
}

SIPEVENTS_INLINE void digest_client::remember(std::string_view target, const std::vector<std::string>& realms) {
  auto it = targets_.find(target);
  if (it != targets_.end()) {
    it->second = realms;
    return;
  }
  if (cfg_.max_targets && targets_.size() >= cfg_.max_targets && !target_order_.empty()) {
    targets_.erase(target_order_.front());
    target_order_.pop_front();
  }
  target_order_.emplace_back(target);
  targets_.emplace(std::string(target), realms);
}

SIPEVENTS_INLINE std::string digest_client::answer(const sm::message& req, const std::string& realm, realm_state& r) {
  if (!r.who) return {};
  if (r.ha1.empty()) r.ha1 = r.who->ha1_for(c_, r.algorithm, realm);
  if (r.ha1.empty()) return {};
  ++r.nc;
  sm::credentials_spec spec;
  spec.username = r.userhash ? user_hash(c_, r.algorithm, r.who->user, realm) : r.who->user;
  spec.realm = realm;
  spec.nonce = r.nonce;
  spec.uri = std::string(req.request_uri().text);
  spec.opaque = r.opaque;
  spec.algorithm = r.algorithm;
  spec.write_algorithm = r.write_algorithm;
  spec.qop = r.qop;
  spec.nc = r.nc;
  spec.userhash = r.userhash;
  if (!r.qop.empty() || sm::is_session(r.algorithm)) spec.cnonce = random_hex(c_, 12);
  const std::string nc = sm::nc_hex(r.nc);
  response_input in;
  in.algorithm = r.algorithm;
  in.ha1 = r.ha1;
  in.nonce = r.nonce;
  in.cnonce = spec.cnonce;
  in.nc = nc;
  in.qop = r.qop;
  in.method = req.method_text();
  in.uri = spec.uri;
  in.body = req.body();
  spec.response = response(c_, in);
  return std::string(r.proxy ? "Proxy-Authorization: " : "Authorization: ") + sm::format_credentials(spec) + "\r\n";
}

SIPEVENTS_INLINE std::string digest_client::lines(const sm::message& req, const std::vector<std::string>& realms) {
  std::string out;
  for (const auto& realm : realms) {
    auto it = realms_.find(realm);
    if (it != realms_.end()) out += answer(req, realm, it->second);
  }
  return out;
}

SIPEVENTS_INLINE std::string digest_client::ahead(const sm::message& request, std::string_view target, attempt& a) {
  a.answered.clear();
  a.fresh.clear();
  auto it = targets_.find(target);
  if (it == targets_.end()) return {};
  for (const auto& realm : it->second) {
    auto r = realms_.find(realm);
    if (r != realms_.end() && r->second.who) a.answered.push_back(realm);
  }
  return lines(request, a.answered);
}

SIPEVENTS_INLINE std::optional<std::string> digest_client::on_challenge(const sm::message& request, const sm::message& response,
                                                       std::string_view target, attempt& a) {
  const bool proxy = response.status() == 407;
  if ((response.status() != 401 && !proxy) || a.rounds >= 2) return std::nullopt;
  const std::vector<sm::challenge> all =
      sm::read_challenges(response, proxy ? sm::hdr::proxy_authenticate : sm::hdr::www_authenticate);
  // Challenges per realm, in the order the realms first appear (RFC 8760: one per
  // algorithm, the server's preferred first).
  std::vector<std::pair<std::string, std::vector<const sm::challenge*>>> by_realm;
  for (const auto& c : all) {
    if (!c.usable()) continue;
    std::string realm = sm::unquote_text(c.realm);
    auto it = std::find_if(by_realm.begin(), by_realm.end(), [&](const auto& e) { return e.first == realm; });
    if (it == by_realm.end()) by_realm.push_back({std::move(realm), {&c}});
    else it->second.push_back(&c);
  }
  if (by_realm.empty()) return std::nullopt;

  bool stale_round = false;
  for (auto& [realm, offered] : by_realm) {
    realm_state& r = slot(realm);
    const bool was_answered = contains(a.answered, realm);
    const bool stale = std::any_of(offered.begin(), offered.end(), [](const sm::challenge* c) { return c->stale; });
    bool new_secret = false;
    if (was_answered && stale) {
      if (a.stale_used) return std::nullopt;
      stale_round = true;  // the secret was right: only the nonce is new
    } else if (was_answered && contains(a.fresh, realm)) {
      return std::nullopt;  // what the hook just gave was refused: no loop
    } else if (was_answered || !r.who) {
      std::optional<secret> s = hook_ ? hook_(realm, request) : std::nullopt;
      if (!s) return std::nullopt;
      r.who = std::move(*s);
      new_secret = true;
      a.fresh.push_back(realm);
    }
    // The strongest challenge the secret can answer.
    const sm::challenge* pick = nullptr;
    for (const sm::challenge* c : offered) {
      if (strength(c->algorithm) == 0) continue;
      if (!r.who->password.empty() || !r.who->ha1_for(c_, c->algorithm, realm).empty())
        if (!pick || strength(c->algorithm) > strength(pick->algorithm)) pick = c;
    }
    if (!pick) return std::nullopt;
    if (new_secret || r.algorithm != pick->algorithm) r.ha1.clear();
    r.proxy = proxy;
    r.nonce = sm::unquote_text(pick->nonce);
    r.opaque = sm::unquote_text(pick->opaque);
    r.algorithm = pick->algorithm;
    r.write_algorithm = !pick->algorithm_text.empty();
    // qop=auth where offered; auth-int only when it is all that is offered.
    r.qop = pick->qop_auth ? "auth" : pick->qop_auth_int ? "auth-int" : "";
    r.userhash = pick->userhash;
    r.nc = 0;
    if (!was_answered) a.answered.push_back(realm);
  }
  if (stale_round) a.stale_used = true;
  ++a.rounds;
  remember(target, a.answered);
  std::string out = lines(request, a.answered);
  if (out.empty()) return std::nullopt;
  return out;
}

SIPEVENTS_INLINE void digest_client::on_final(const sm::message& response, const attempt& a) {
  const sm::header_field* f = response.find(sm::hdr::authentication_info);
  if (!f) return;
  sm::authentication_info info;
  if (sm::parse_authentication_info(f->value, info) || info.nextnonce.empty()) return;
  for (const auto& realm : a.answered) {
    auto it = realms_.find(realm);
    if (it == realms_.end() || it->second.proxy) continue;
    it->second.nonce = sm::unquote_text(info.nextnonce);
    it->second.nc = 0;
    return;
  }
}

}  // namespace sipevents::auth

SIPEVENTS_IMPL_END
