// Small helpers the example tools share.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "sipevents/auth/digest_client.hpp"
#include "sipevents/crypto/openssl_crypto.hpp"
#include "sipevents/transport/runtime.hpp"

namespace tools {

/// The local address the kernel would use to reach `host`, so Via and Contact name an
/// address the peer can answer.
inline std::string local_address_for(const std::string& host) {
  asio::io_context io;
  asio::ip::address a;
  if (!sipevents::transport::to_address(host, a)) return "127.0.0.1";
  asio::ip::udp::socket s(io);
  std::error_code ec;
  s.connect(asio::ip::udp::endpoint(a, 9), ec);
  if (ec) return a.is_v6() ? "::1" : "127.0.0.1";
  return s.local_endpoint().address().to_string();
}

/// A port free for both UDP and TCP on `host`. A UDP port the kernel picks is often
/// taken for TCP (by another program's outgoing connection, say), so pairs are
/// tried until one binds both ways; 0 if none did.
inline unsigned short free_port_pair(const std::string& host) {
  asio::io_context io;
  asio::ip::address a;
  if (!sipevents::transport::to_address(host, a)) return 0;
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::error_code ec;
    asio::ip::udp::socket u(io);
    u.open(a.is_v6() ? asio::ip::udp::v6() : asio::ip::udp::v4(), ec);
    if (!ec) u.bind(asio::ip::udp::endpoint(a, 0), ec);
    if (ec) return 0;
    const unsigned short port = u.local_endpoint().port();
    asio::ip::tcp::acceptor t(io);
    t.open(a.is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), ec);
    if (!ec) t.bind(asio::ip::tcp::endpoint(a, port), ec);
    if (!ec) return port;  // both sockets close here; the caller binds the port at once
  }
  return 0;
}

/// An IPv6 literal in brackets, anything else as is.
inline std::string bracket(const std::string& h) { return h.find(':') != std::string::npos ? "[" + h + "]" : h; }

/// `--user NAME --password PW` of the client tools: every challenge, whatever its
/// realm, is answered with them by a digest client on the tool's runtime.
class login {
 public:
  /// --user and --password, each needing the other.
  void add(CLI::App& app) {
    auto* u = app.add_option("--user", user_, "Digest user name answering 401/407 challenges");
    auto* p = app.add_option("--password", password_, "Digest password of --user");
    u->needs(p);
    p->needs(u);
  }
  /// Answers challenges to `rt`'s requests from now on (when a user was given).
  void attach(sipevents::transport::runtime& rt) {
    if (user_.empty()) return;
    client_ = std::make_unique<sipevents::auth::digest_client>(
        sipevents::crypto::default_crypto(),
        [this](std::string_view, const sipevents::message::message&) -> std::optional<sipevents::auth::secret> {
          return sipevents::auth::secret{user_, password_, {}};
        });
    rt.set_credentials(client_.get());
  }

 private:
  std::string user_, password_;
  std::unique_ptr<sipevents::auth::digest_client> client_;
};

}  // namespace tools
