// bench/auth: the cost of digest authentication on each side, OpenSSL's libcrypto
// underneath, one thread, no sockets.
//
//   auth [--n N] [--algorithm MD5|SHA-256|SHA-512-256]
//
//   challenge          digest_server::verify on a request without credentials: the
//                      401 verdict with a fresh nonce (HMAC-SHA-256 + 8 random bytes)
//   verify             digest_server::verify on a REGISTER with good credentials: MAC
//                      check of the nonce, HA1 from the password, response, nc table
//   verify (HA1)       the same with a stored HA1 (users file `user:ALG:HA1`)
//   client answer      digest_client::on_challenge: parse the challenges, pick one,
//                      HA1, cnonce, response, the Authorization line
//   client ahead       digest_client::ahead: the up-front answer of a refresh (nc + 1)
// Each line gives ns/op and ops/s, over N operations (default 200,000).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sipevents/auth/digest_client.hpp"
#include "sipevents/auth/digest_server.hpp"
#include "sipevents/crypto/openssl_crypto.hpp"
#include "sipevents/message/message.hpp"

namespace sm = sipevents::message;
namespace sa = sipevents::auth;
using clk = std::chrono::steady_clock;

namespace {

sm::message build(std::uint32_t cseq, const std::string& lines = {}) {
  auto b = sm::message_builder::request("REGISTER", "sip:example.com");
  b.header("Via", "SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK" + std::to_string(cseq) + ";rport");
  b.header("Max-Forwards", "70");
  b.header("From", "<sip:joe@example.com>;tag=f1");
  b.header("To", "<sip:joe@example.com>");
  b.header("Call-ID", "bench-call-1");
  b.header("CSeq", std::to_string(cseq) + " REGISTER");
  b.header("Contact", "<sip:joe@192.0.2.4:5060>");
  b.header("Expires", "3600");
  std::string text = b.text();
  text.insert(text.find("\r\n") + 2, lines);
  sm::message m;
  if (sm::parse_datagram(text, m)) std::abort();
  return m;
}

template <class F>
void timed(const char* what, std::size_t n, F&& f) {
  auto t0 = clk::now();
  for (std::size_t i = 0; i < n; ++i) f(i);
  double ns = std::chrono::duration<double, std::nano>(clk::now() - t0).count() / double(n);
  std::printf("%-16s %9.0f ns/op %11.0f ops/s\n", what, ns, 1e9 / ns);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 200000;
  sm::digest_algorithm alg = sm::digest_algorithm::md5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--n") n = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--algorithm") alg = sm::algorithm_from(v);
    else {
      std::fprintf(stderr, "usage: auth [--n N] [--algorithm MD5|SHA-256|SHA-512-256]\n");
      return 2;
    }
  }
  if (alg == sm::digest_algorithm::unknown || n == 0) return 2;
  auto& crypto = sipevents::crypto::default_crypto();
  sa::secret joe{"joe", "joe's secret", {}};
  sa::secret joe_ha1{"joe", "", {{alg, sa::ha1(crypto, alg, "joe", "example.com", "joe's secret")}}};
  const sa::secret* who = &joe;
  sa::server_auth_config cfg;
  cfg.realm = "example.com";
  cfg.algorithms = {alg};
  cfg.replay_slots = 1 << 15;
  cfg.secret = "bench secret shared by both servers";
  sa::digest_server srv(crypto, [&](std::string_view) { return who; }, cfg);
  const auto now = sa::wall_clock::now();

  std::printf("digest %s, %zu operations each\n", std::string(sm::to_string(alg)).c_str(), n);
  sm::message bare = build(1);
  std::size_t sink = 0;
  timed("challenge", n, [&](std::size_t) { sink += srv.verify(bare, sa::auth_mode::www, now).challenges.size(); });

  // The 401 a client sees, and the client's answer to it.
  sa::verdict v = srv.verify(bare, sa::auth_mode::www, now);
  auto rb = sm::message_builder::response_to(bare, 401, "Unauthorized", "t1");
  sa::digest_server::add_challenges(rb, v);
  sm::message challenge;
  if (rb.build(challenge)) std::abort();
  sa::digest_client cli(crypto, [&](std::string_view, const sm::message&) { return std::optional<sa::secret>(joe); });
  timed("client answer", n, [&](std::size_t) {
    sa::digest_client::attempt a;
    sink += cli.on_challenge(bare, challenge, "udp:192.0.2.1:5060", a)->size();
  });
  timed("client ahead", n, [&](std::size_t) {
    sa::digest_client::attempt a;
    sink += cli.ahead(bare, "udp:192.0.2.1:5060", a).size();
  });

  // Signed requests, made before the clock starts: one nc each on fresh nonces, so
  // every verification is a first use and the nc table turns over as it would.
  std::vector<sm::message> signed_reqs;
  signed_reqs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 100 == 0) {
      v = srv.verify(bare, sa::auth_mode::www, now);
      rb = sm::message_builder::response_to(bare, 401, "Unauthorized", "t1");
      sa::digest_server::add_challenges(rb, v);
      if (rb.build(challenge)) std::abort();
      sa::digest_client::attempt a;
      signed_reqs.push_back(build(2, *cli.on_challenge(bare, challenge, "udp:x", a)));
    } else {
      sa::digest_client::attempt a;
      signed_reqs.push_back(build(2, cli.ahead(bare, "udp:x", a)));
    }
  }
  std::size_t ok = 0;
  timed("verify", n, [&](std::size_t i) {
    ok += srv.verify(signed_reqs[i], sa::auth_mode::www, now).what == sa::verdict::kind::ok;
  });
  if (ok != n) {
    std::fprintf(stderr, "only %zu of %zu verified\n", ok, n);
    return 1;
  }
  // Stored HA1: a second server, so each nonce is again a first use.
  sa::digest_server srv2(crypto, [&](std::string_view) { return &joe_ha1; }, cfg);
  ok = 0;
  timed("verify (HA1)", n, [&](std::size_t i) {
    ok += srv2.verify(signed_reqs[i], sa::auth_mode::www, now).what == sa::verdict::kind::ok;
  });
  if (ok != n) return 1;
  std::printf("tracked nonces %zu (bound %zu); checksum %zu\n", srv.tracked_nonces(), cfg.replay_slots, sink % 10);
  return 0;
}
