// The server side of digest authentication (RFC 3261 22.1-22.4, RFC 7616, RFC 8760),
// sans-I/O: `verify(request, now)` says who sent a request, or how to answer it.
// Nonces are stateless: a timestamp and a salt under HMAC-SHA-256 with the stack's
// secret and the realm, so every node that shares the secret accepts the others'
// nonces. Replay is caught by a bounded table of the nonce counts seen.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_AUTH_DIGEST_SERVER
#endif
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipevents/auth/digest.hpp"
#include "sipevents/auth/digest_client.hpp"
#include "sipevents/message/message.hpp"
#include "sipevents/message/u64_table.hpp"

namespace sipevents::auth {

/// How a method is authenticated: not at all, by 401/Authorization (requests this
/// server answers itself), or by 407/Proxy-Authorization (requests it relays).
enum class auth_mode : std::uint8_t { none, www, proxy };

using wall_clock = std::chrono::system_clock;

struct server_auth_config {
  /// The protection space; the notifier uses its SIP domain.
  std::string realm;
  /// Challenges sent, one WWW-Authenticate per entry, in this order (RFC 8760). MD5
  /// alone by default: measured on Debian 12, baresip 1.0 (libre) fails a response in
  /// which any challenge names another algorithm, linphonec 5.1 takes the first one
  /// it knows and gives up on SHA-512-256, and JsSIP and SIP.js read only the first
  /// and know only MD5. {md5, sha256} serves linphonec, Kamailio's and our clients.
  std::vector<digest_algorithm> algorithms{digest_algorithm::md5};
  /// Also offer qop=auth-int (qop=auth is always offered).
  bool offer_auth_int = false;
  /// Accept credentials without qop (RFC 2069), each nonce once. Off: they are
  /// challenged again.
  bool allow_no_qop = false;
  /// digest-uri must name the Request-URI (RFC 2617 3.2.2.5: 400 otherwise); a SIP
  /// URI with the same user and host passes. Off for load generators such as SIPp,
  /// which write the server's address there (Kamailio does not check by default).
  bool check_uri = true;
  std::chrono::seconds nonce_lifetime{300};
  /// Nonces from the future beyond this are not ours (clock skew between nodes).
  std::chrono::seconds max_skew{30};
  /// The HMAC key. Empty: 32 random bytes at construction (one node only).
  std::string secret;
  /// Nonces whose counts are tracked; the table never grows past this.
  std::size_t replay_slots = 1 << 15;
  /// Per method; methods not listed use `default_mode`.
  std::map<std::string, auth_mode, std::less<>> methods{
      {"REGISTER", auth_mode::www}, {"SUBSCRIBE", auth_mode::www}, {"PUBLISH", auth_mode::www},
      {"MESSAGE", auth_mode::proxy}};
  auth_mode default_mode = auth_mode::none;
};

/// The user's secret in our realm, or nullptr for an unknown user.
using user_lookup = std::function<const secret*(std::string_view user)>;

struct verdict {
  enum class kind : std::uint8_t {
    ok,          ///< `user` sent it
    challenge,   ///< answer `status` (401/407) with `challenges` under `header`
    bad_request, ///< answer 400 `reason`
  };
  kind what = kind::challenge;
  std::string user;                     ///< ok: the authenticated username
  digest_algorithm algorithm = digest_algorithm::unknown;  ///< ok: what the client answered with
  std::uint16_t status = 401;
  std::string reason = "Unauthorized";  ///< the reason phrase
  std::string header;                   ///< "WWW-Authenticate" / "Proxy-Authenticate"
  std::vector<std::string> challenges;  ///< header values, in order
  /// Why it was refused, for the log ("no credentials", "wrong password for joe",
  /// "replayed nc 00000003", ...). Empty for ok.
  std::string why;
  /// True when the request carried credentials that failed (as opposed to none).
  bool failed = false;
};

class digest_server {
 public:
  digest_server(crypto& c, user_lookup users, server_auth_config cfg);

  /// How `request` is authenticated under this configuration.
  auth_mode mode_for(const message::message& request) const;
  /// Checks `request` in `mode` (not none) at wall time `now`.
  verdict verify(const message::message& request, auth_mode mode, wall_clock::time_point now);
  /// Adds the challenge of a non-ok verdict to a response being built.
  static void add_challenges(message::message_builder& b, const verdict& v);

  /// A fresh nonce for `now` (exposed for tests and for nextnonce).
  std::string make_nonce(wall_clock::time_point now);
  const server_auth_config& config() const noexcept { return cfg_; }
  std::size_t tracked_nonces() const noexcept { return seen_.size(); }

 private:
  enum class nonce_check : std::uint8_t { bad, fresh, expired };
  enum class count_check : std::uint8_t { ok, replayed, forgotten };
  /// Checks our MAC and the age of `nonce`; on success `ts` is its time and `salt` its
  /// 64 random bits, which name it in the replay table.
  nonce_check check_nonce(std::string_view nonce, wall_clock::time_point now, std::int64_t& ts,
                          std::uint64_t& salt) const;
  std::string mac(std::string_view ts_salt) const;
  verdict challenge(auth_mode mode, wall_clock::time_point now, bool stale, std::string why, bool failed);
  /// Records nc for `nonce`: replayed when it was used already, forgotten when the
  /// nonce may have been used but its entry was evicted.
  count_check note_count(std::uint64_t salt, std::int64_t ts, std::uint32_t nc);

  crypto& c_;
  user_lookup users_;
  server_auth_config cfg_;
  struct seen_entry {
    std::int64_t ts = 0;
    std::uint32_t max_nc = 0;
    std::uint64_t window = 0;  // bit i: max_nc - i was used
  };
  // Keyed by the nonce's random salt: the nonce passed our MAC, so the salt is one we
  // drew, and a word key keeps the table free of strings and nodes.
  message::u64_table<seen_entry> seen_;
  std::vector<std::uint64_t> ring_;  // insertion order, replay_slots long
  std::size_t ring_next_ = 0;
  bool ring_full_ = false;
  /// The newest timestamp among evicted nonces: an unknown nonce at or before it may
  /// have been used, so it is answered stale=true instead of being trusted.
  std::int64_t evicted_upto_ = -1;
};

}  // namespace sipevents::auth

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_AUTH_DIGEST_SERVER
#define SIPEVENTS_SEEN_AUTH_DIGEST_SERVER
#include "sipevents/impl/definitions.ipp"
#endif
