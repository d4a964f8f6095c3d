// TLS and WebSocket options the tools share: --cert, --key, --client-ca, --ca, and
// where a request goes when the destination is a tls: peer or a sips: URI.
#pragma once
#include <memory>
#include <string>

#include "sipevents/crypto/openssl_crypto.hpp"
#include "sipevents/message/uri.hpp"
#include "sipevents/transport/runtime.hpp"
#include "sipevents/transport_tls/tls_openssl.hpp"

namespace tools {

class tls_options {
 public:
  /// Takes --cert, --key, --client-ca or --ca with its value; true when `flag` was one.
  bool take(const std::string& flag, const std::string& value) {
    if (flag == "--cert") cfg_.cert_file = value;
    else if (flag == "--key") cfg_.key_file = value;
    else if (flag == "--client-ca") cfg_.client_ca_file = value;
    else if (flag == "--ca") cfg_.ca_file = value;
    else return false;
    return true;
  }
  /// --require-client-cert: clients without a certificate are refused.
  void require_client_cert() { cfg_.require_client_cert = true; }
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
