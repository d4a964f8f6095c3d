// The client side of digest authentication (RFC 3261 22.2-22.3, RFC 7616, RFC 8760),
// sans-I/O. It sits below every usage: whoever sends requests (the runtime) asks it
// for header lines to add before a request first goes out and again when a 401/407
// comes back, and resends the request with CSeq + 1 and a new branch. It keeps the
// last nonce of each realm, so a refresh answers up front and costs one round trip.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_AUTH_DIGEST_CLIENT
#endif
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sipevents/auth/digest.hpp"
#include "sipevents/message/message.hpp"

namespace sipevents::auth {

/// A user's secret for one realm: the password, or stored H(user:realm:password) per
/// hash (keyed by the plain algorithm: md5, sha256, sha512_256).
struct secret {
  std::string user;
  std::string password;
  std::vector<std::pair<digest_algorithm, std::string>> ha1;
  /// The HA1 for `a` in `realm`: stored, or computed from the password. Empty when
  /// neither is there.
  std::string ha1_for(crypto& c, digest_algorithm a, std::string_view realm) const;
};

/// Realm (and the request challenged) to the secret to answer with; nullopt declines,
/// and the 401/407 goes to the application.
using credentials_hook = std::function<std::optional<secret>(std::string_view realm, const message::message& request)>;

struct client_auth_config {
  std::size_t max_realms = 64;   ///< realms remembered (oldest forgotten first)
  std::size_t max_targets = 256; ///< next hops remembered with their realms
};

class digest_client {
 public:
  /// What the caller keeps per request while it is retried.
  struct attempt {
    std::uint8_t rounds = 0;            ///< challenges answered for this request
    bool stale_used = false;            ///< the one stale=true retry was taken
    std::vector<std::string> answered;  ///< realms the last send answered
    std::vector<std::string> fresh;     ///< realms whose secret came from the hook for it
  };

  digest_client(crypto& c, credentials_hook hook, client_auth_config cfg = {});

  /// Header lines ("Authorization: ...\r\n") answering ahead for `request` on its way
  /// to `target` (any key naming the next hop): the last nonce of each realm that
  /// target challenged with, nc + 1. Empty when nothing is known.
  std::string ahead(const message::message& request, std::string_view target, attempt& a);

  /// A 401 or 407 to `request` (as it was sent). Returns every authorization line for
  /// the resend, or nullopt when the response goes to the application: the hook
  /// declined, the credentials it just gave were refused, no challenge is one we can
  /// answer, or this request has had its two challenged rounds (one of them may be the
  /// stale=true retry, which reuses the secret without asking the hook).
  std::optional<std::string> on_challenge(const message::message& request, const message::message& response,
                                          std::string_view target, attempt& a);

  /// Any other final response: Authentication-Info nextnonce replaces the nonce of the
  /// realm answered (RFC 7616 3.5).
  void on_final(const message::message& response, const attempt& a);

  std::size_t realms() const noexcept { return realms_.size(); }

 private:
  struct realm_state {
    bool proxy = false;  // Proxy-Authorization (407) or Authorization (401)
    std::string nonce, opaque;
    digest_algorithm algorithm = digest_algorithm::md5;
    bool write_algorithm = true;
    std::string qop;  // what we answer: "auth", "auth-int" or ""
    bool userhash = false;
    std::uint32_t nc = 0;
    std::optional<secret> who;
    std::string ha1;  // for `algorithm`, computed once per secret
  };
  std::string answer(const message::message& request, const std::string& realm, realm_state& r);
  std::string lines(const message::message& request, const std::vector<std::string>& realms);
  realm_state& slot(const std::string& realm);
  void remember(std::string_view target, const std::vector<std::string>& realms);

  crypto& c_;
  credentials_hook hook_;
  client_auth_config cfg_;
  std::map<std::string, realm_state, std::less<>> realms_;
  std::deque<std::string> realm_order_;
  std::map<std::string, std::vector<std::string>, std::less<>> targets_;
  std::deque<std::string> target_order_;
};

}  // namespace sipevents::auth

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_AUTH_DIGEST_CLIENT
#define SIPEVENTS_SEEN_AUTH_DIGEST_CLIENT
#include "sipevents/impl/definitions.ipp"
#endif
