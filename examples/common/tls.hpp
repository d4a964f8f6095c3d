// TLS and WebSocket options the tools share: --cert, --key, --client-ca, --ca, and
// where a request goes when the destination is a tls: peer or a sips: URI.
#pragma once
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "sipevents/crypto/openssl_crypto.hpp"
#include "sipevents/message/uri.hpp"
#include "sipevents/transport/runtime.hpp"
#include "sipevents/transport_tls/tls_openssl.hpp"

namespace tools {

class tls_options {
 public:
  /// --ca FILE: the CAs a server's certificate must chain to.
  void add_ca(CLI::App& app) {
    app.add_option("--ca", cfg_.ca_file, "CAs (PEM) a TLS server's certificate must chain to (default: the system's)")
        ->check(CLI::ExistingFile);
  }
  /// --cert FILE and --key FILE, each needing the other: `what` says when they are sent.
  void add_certificate(CLI::App& app, const std::string& what) {
    auto* cert = app.add_option("--cert", cfg_.cert_file, "Certificate chain (PEM) " + what)->check(CLI::ExistingFile);
    auto* key = app.add_option("--key", cfg_.key_file, "Private key (PEM) of --cert")->check(CLI::ExistingFile);
    cert->needs(key);
    key->needs(cert);
  }
  /// --client-ca FILE and --require-client-cert, for listeners.
  void add_client_checks(CLI::App& app) {
    auto* ca = app.add_option("--client-ca", cfg_.client_ca_file,
                              "Ask TLS clients for a certificate chained to these CAs (PEM)")
                   ->check(CLI::ExistingFile);
    app.add_flag("--require-client-cert", cfg_.require_client_cert, "Refuse TLS clients that send no certificate")
        ->needs(ca);
  }
  bool has_certificate() const { return !cfg_.cert_file.empty(); }
  /// WebSocket listeners answer upgrades with OpenSSL's SHA-1 and base64.
  static void enable_websocket(sipevents::transport::runtime_config& cfg) {
    cfg.transport.ws_accept = [](std::string_view key) { return sipevents::crypto::websocket_accept(key); };
  }
  /// Gives `rt` TLS (with our certificate when one was given, and the CAs servers must
  /// chain to). False with `error` when a file cannot be used.
  bool attach(sipevents::transport::runtime& rt, std::string& error) {
    auto tls = sipevents::transport_tls::openssl_tls::create(cfg_, error);
    if (!tls) return false;
    rt.set_tls(tls);
    return true;
  }

 private:
  sipevents::transport_tls::tls_config cfg_;
};

/// For a tls destination: the name its certificate must carry (RFC 5922), the domain
/// of `uri` when that is a name, else none (the address itself is checked).
inline void expect_name(sipevents::transaction::peer& to, const std::string& uri) {
  if (to.transport != sipevents::transaction::transport_kind::tls || !to.name.empty()) return;
  sipevents::message::uri u;
  if (sipevents::message::parse_uri(uri, u)) return;
  std::string host(u.host);
  asio::ip::address a;
  if (!host.empty() && host.front() != '[' && !sipevents::transport::to_address(host, a)) to.name = host;
}

/// The transport a tool listens on to speak to `to`: TLS clients listen on TCP (their
/// Via names it; answers come back over the connection).
inline std::string listen_kind(const sipevents::transaction::peer& to) {
  using sipevents::transaction::transport_kind;
  return to.transport == transport_kind::udp ? "udp" : "tcp";
}

/// ";transport=..." for a Contact reached over the same transport as `to`.
inline std::string transport_param(const sipevents::transaction::peer& to) {
  using sipevents::transaction::transport_kind;
  if (to.transport == transport_kind::udp) return "";
  return ";transport=" + std::string(sipevents::transaction::to_string(to.transport));
}

}  // namespace tools
