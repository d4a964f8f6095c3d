#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/transport_tls/tls_openssl.hpp"

#include <asio/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace sipevents::transport_tls {

namespace {
using tcp = asio::ip::tcp;

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
bool iequal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool is_ip_literal(const std::string& s) {
  asio::ip::address a;
  return transport::to_address(s, a);
}

std::string asn1_text(const ASN1_STRING* s) {
  if (!s) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
}

cert_names read_names(X509* cert) {
  cert_names n;
  if (!cert) return n;
  char line[512];
  X509_NAME_oneline(X509_get_subject_name(cert), line, sizeof line);
  n.subject = line;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      if (g->type == GEN_DNS) n.dns.push_back(asn1_text(g->d.dNSName));
      else if (g->type == GEN_URI) n.uri.push_back(asn1_text(g->d.uniformResourceIdentifier));
      else if (g->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* o = g->d.iPAddress;
        const unsigned char* p = ASN1_STRING_get0_data(o);
        if (ASN1_STRING_length(o) == 4) {
          n.ip.push_back(asio::ip::address_v4({p[0], p[1], p[2], p[3]}).to_string());
        } else if (ASN1_STRING_length(o) == 16) {
          asio::ip::address_v6::bytes_type b;
          std::copy(p, p + 16, b.begin());
          n.ip.push_back(asio::ip::address_v6(b).to_string());
        }
      }
    }
    GENERAL_NAMES_free(sans);
  }
  int idx = X509_NAME_get_index_by_NID(X509_get_subject_name(cert), NID_commonName, -1);
  if (idx >= 0) n.cn = asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(X509_get_subject_name(cert), idx)));
  return n;
}

std::string describe(const cert_names& n) {
  std::string s = n.subject;
  std::string alt;
  for (const auto& d : n.dns) alt += (alt.empty() ? "" : ", ") + ("DNS:" + d);
  for (const auto& u : n.uri) alt += (alt.empty() ? "" : ", ") + ("URI:" + u);
  for (const auto& i : n.ip) alt += (alt.empty() ? "" : ", ") + ("IP:" + i);
  if (!alt.empty()) s += " (subjectAltName " + alt + ")";
  return s;
}

std::string openssl_errors() {
  std::string s;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!s.empty()) s += "; ";
    s += buf;
  }
  return s;
}

/// The key log: one file per provider, written under a lock (several runtimes may
/// share a provider on their own threads).
struct keylog {
  std::FILE* f = nullptr;
  std::mutex m;
};
int keylog_index() {
  static const int idx = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return idx;
}
void keylog_line(const SSL* ssl, const char* line) {
  auto* k = static_cast<keylog*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keylog_index()));
  if (!k || !k->f) return;
  std::lock_guard<std::mutex> lock(k->m);
  std::fputs(line, k->f);
  std::fputc('\n', k->f);
  std::fflush(k->f);
}
}  // namespace

SIPEVENTS_INLINE bool names_match(const cert_names& n, const std::string& name, bool wildcards) {
  if (is_ip_literal(name)) {
    asio::ip::address want;
    transport::to_address(name, want);
    for (const auto& ip : n.ip) {
      asio::ip::address have;
      if (transport::to_address(ip, have) && have == want) return true;
    }
    return false;
  }
  auto dns_match = [&](const std::string& pattern) {
    if (iequal(pattern, name)) return true;
    if (!wildcards || pattern.size() < 3 || pattern.compare(0, 2, "*.") != 0) return false;
    std::size_t dot = name.find('.');
    return dot != std::string::npos && dot > 0 && iequal(std::string_view(pattern).substr(1), std::string_view(name).substr(dot));
  };
  if (!n.dns.empty() || !n.uri.empty()) {
    for (const auto& d : n.dns)
      if (dns_match(d)) return true;
    // RFC 5922 7.1: a sip: URI SAN names the domain (no user part, no port).
    for (const auto& u : n.uri)
      if (u.size() > 4 && iequal(std::string_view(u).substr(0, 4), "sip:") && iequal(std::string_view(u).substr(4), name))
        return true;
    return false;
  }
  return !n.cn.empty() && dns_match(n.cn);
}

struct openssl_tls::impl {
  asio::ssl::context server{asio::ssl::context::tls_server};
  asio::ssl::context client{asio::ssl::context::tls_client};
  tls_config cfg;
  keylog log;
  ~impl() {
    if (log.f) std::fclose(log.f);
  }
};

namespace {

class tls_stream final : public transport::stream {
 public:
  tls_stream(asio::io_context& io, asio::ssl::context& ctx) : s_(io, ctx) {}
  tcp::socket& socket() override { return s_.next_layer(); }
  bool secure() const noexcept override { return true; }

  /// A client stream checks the server's certificate against `name`.
  void expect(std::string name, bool wildcards) {
    expected_ = std::move(name);
    wildcards_ = wildcards;
    if (!is_ip_literal(expected_))  // SNI (the SSL_set_tlsext_host_name macro, without its C cast)
      SSL_ctrl(s_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(expected_.c_str()));
    s_.set_verify_mode(asio::ssl::verify_peer);
    s_.set_verify_callback([this](bool preverified, asio::ssl::verify_context& vc) {
      X509_STORE_CTX* x = vc.native_handle();
      const int depth = X509_STORE_CTX_get_error_depth(x);
      X509* cert = X509_STORE_CTX_get_current_cert(x);
      if (!preverified) {
        const int err = X509_STORE_CTX_get_error(x);
        if (detail_.empty())
          detail_ = std::string("certificate ") + describe(read_names(cert)) + " at depth " + std::to_string(depth) +
                    ": " + X509_verify_cert_error_string(err);
        return false;
      }
      if (depth != 0) return true;
      cert_names n = read_names(cert);
      if (names_match(n, expected_, wildcards_)) return true;
      detail_ = "certificate " + describe(n) + " does not name " + expected_;
      return false;
    });
  }

  void async_handshake(bool server, handshake_fn done) override {
    s_.async_handshake(server ? asio::ssl::stream_base::server : asio::ssl::stream_base::client,
                       [this, done = std::move(done)](std::error_code ec) {
                         std::string why;
                         if (ec) why = detail_.empty() ? ec.message() : detail_;
                         done(ec, std::move(why));
                       });
  }
  void async_read_some(asio::mutable_buffer b, io_fn done) override { s_.async_read_some(b, std::move(done)); }
  void async_write(asio::const_buffer b, io_fn done) override { asio::async_write(s_, b, std::move(done)); }

 private:
  asio::ssl::stream<tcp::socket> s_;
  std::string expected_;
  bool wildcards_ = false;
  std::string detail_;
};

}  // namespace

SIPEVENTS_INLINE openssl_tls::~openssl_tls() = default;

SIPEVENTS_INLINE std::shared_ptr<openssl_tls> openssl_tls::create(const tls_config& cfg, std::string& error) {
  std::shared_ptr<openssl_tls> t(new openssl_tls());
  t->impl_ = std::make_unique<impl>();
  impl& I = *t->impl_;
  I.cfg = cfg;
  std::error_code ec;
  // TLS 1.2 and up, no compression, no renegotiation.
  const auto opts = asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                    asio::ssl::context::no_compression;
  I.server.set_options(opts, ec);
  I.client.set_options(opts, ec);
  SSL_CTX_set_options(I.server.native_handle(), SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_options(I.client.native_handle(), SSL_OP_NO_RENEGOTIATION);
  // An idle connection (most of a registrar's) gives its record buffers back.
  SSL_CTX_set_mode(I.server.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_mode(I.client.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  ERR_clear_error();
  if (!cfg.cert_file.empty() || !cfg.key_file.empty()) {
    if (cfg.cert_file.empty() || cfg.key_file.empty()) {
      error = "a certificate needs both a chain file and a key file";
      return nullptr;
    }
    for (asio::ssl::context* c : {&I.server, &I.client}) {
      c->use_certificate_chain_file(cfg.cert_file, ec);
      if (ec) {
        error = "certificate chain " + cfg.cert_file + ": " + ec.message();
        return nullptr;
      }
      c->use_private_key_file(cfg.key_file, asio::ssl::context::pem, ec);
      if (ec) {
        error = "private key " + cfg.key_file + ": " + ec.message();
        return nullptr;
      }
    }
    if (SSL_CTX_check_private_key(I.server.native_handle()) != 1) {
      error = "private key " + cfg.key_file + " does not match " + cfg.cert_file + ": " + openssl_errors();
      return nullptr;
    }
    t->serving_ = true;
  }
  if (!cfg.client_ca_file.empty()) {
    I.server.load_verify_file(cfg.client_ca_file, ec);
    if (ec) {
      error = "client CA file " + cfg.client_ca_file + ": " + ec.message();
      return nullptr;
    }
    I.server.set_verify_mode(asio::ssl::verify_peer |
                             (cfg.require_client_cert ? asio::ssl::verify_fail_if_no_peer_cert : 0));
  } else if (cfg.require_client_cert) {
    error = "requiring client certificates needs a client CA file";
    return nullptr;
  }
  if (!cfg.ca_file.empty()) I.client.load_verify_file(cfg.ca_file, ec);
  else I.client.set_default_verify_paths(ec);
  if (ec) {
    error = "CA file " + (cfg.ca_file.empty() ? std::string("(system)") : cfg.ca_file) + ": " + ec.message();
    return nullptr;
  }
  std::string keylog = cfg.keylog_file;
  if (keylog.empty()) {
    if (const char* env = std::getenv("SSLKEYLOGFILE")) keylog = env;
  }
  if (!keylog.empty()) {
    I.log.f = std::fopen(keylog.c_str(), "a");
    if (!I.log.f) {
      error = "key log " + keylog + ": cannot open";
      return nullptr;
    }
    for (asio::ssl::context* c : {&I.server, &I.client}) {
      SSL_CTX_set_ex_data(c->native_handle(), keylog_index(), &I.log);
      SSL_CTX_set_keylog_callback(c->native_handle(), keylog_line);
    }
  }
  return t;
}

SIPEVENTS_INLINE std::unique_ptr<transport::stream> openssl_tls::server_stream(asio::io_context& io) {
  return std::make_unique<tls_stream>(io, impl_->server);
}

SIPEVENTS_INLINE std::unique_ptr<transport::stream> openssl_tls::client_stream(asio::io_context& io, const transport::peer& to) {
  auto s = std::make_unique<tls_stream>(io, impl_->client);
  s->expect(to.name.empty() ? to.host : to.name, impl_->cfg.allow_wildcards);
  return s;
}

}  // namespace sipevents::transport_tls

SIPEVENTS_IMPL_END
