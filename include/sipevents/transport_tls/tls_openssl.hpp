// TLS for the transport over asio::ssl (OpenSSL): certificates from PEM files, server
// identity checked as RFC 5922 says, optional client certificates, SSLKEYLOGFILE.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_TRANSPORT_TLS_TLS_OPENSSL
#endif
#include <memory>
#include <string>
#include <vector>

#include "sipevents/transport/transport_asio.hpp"

namespace sipevents::transport_tls {

struct tls_config {
  /// Our certificate chain and private key (PEM). A server needs them; a client sends
  /// them when a server asks for a certificate.
  std::string cert_file;
  std::string key_file;
  /// Servers: when set, clients are asked for a certificate and one that is sent must
  /// chain to these CAs (PEM).
  std::string client_ca_file;
  /// Servers: refuse clients without a certificate (needs client_ca_file).
  bool require_client_cert = false;
  /// Clients: the CAs servers must chain to (PEM); empty uses the system's.
  std::string ca_file;
  /// Clients: accept "*.example.com" for a.example.com. RFC 5922 7.2 leaves it to
  /// configuration; off by default.
  bool allow_wildcards = false;
  /// Where TLS secrets are written in the NSS key log format, for Wireshark and
  /// tshark. Empty: $SSLKEYLOGFILE when that is set.
  std::string keylog_file;
};

/// What a certificate names: DNS and sip: URI subjectAltNames, IP SANs, and the CN.
struct cert_names {
  std::vector<std::string> dns, uri, ip;
  std::string cn;
  std::string subject;  ///< one line, for messages
};

/// RFC 5922 7.2 matching: `name` (a domain, or an IP literal) against `names`. SANs of
/// DNS or URI type win; the CN counts only when there are none. Exact, case-blind;
/// wildcards (one leftmost label) only when `wildcards`.
bool names_match(const cert_names& names, const std::string& name, bool wildcards);

/// The tls_provider the runtime takes (runtime::set_tls).
class openssl_tls final : public transport::tls_provider {
 public:
  /// Loads the files; nullptr with `error` saying which file and why.
  static std::shared_ptr<openssl_tls> create(const tls_config& cfg, std::string& error);
  ~openssl_tls() override;

  std::unique_ptr<transport::stream> server_stream(asio::io_context& io) override;
  std::unique_ptr<transport::stream> client_stream(asio::io_context& io, const transport::peer& to) override;
  bool can_serve() const noexcept override { return serving_; }

  struct impl;

 private:
  openssl_tls() = default;
  std::unique_ptr<impl> impl_;
  bool serving_ = false;
};

}  // namespace sipevents::transport_tls

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_TRANSPORT_TLS_TLS_OPENSSL
#define SIPEVENTS_SEEN_TRANSPORT_TLS_TLS_OPENSSL
#include "sipevents/impl/definitions.ipp"
#endif
