#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/transaction/transaction_types.hpp"

#include <charconv>

namespace sipevents::transaction {

SIPEVENTS_INLINE std::string_view to_string(transport_kind k) noexcept {
  switch (k) {
    case transport_kind::udp: return "udp";
    case transport_kind::tcp: return "tcp";
    case transport_kind::tls: return "tls";
    case transport_kind::ws: return "ws";
    case transport_kind::wss: return "wss";
  }
  return "udp";
}

SIPEVENTS_INLINE std::string_view via_token(transport_kind k) noexcept {
  switch (k) {
    case transport_kind::udp: return "UDP";
    case transport_kind::tcp: return "TCP";
    case transport_kind::tls: return "TLS";
    case transport_kind::ws: return "WS";
    case transport_kind::wss: return "WSS";
  }
  return "UDP";
}

SIPEVENTS_INLINE bool parse_transport(std::string_view token, transport_kind& out) noexcept {
  auto is = [&](std::string_view name) {
    if (token.size() != name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      char c = token[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      if (c != name[i]) return false;
    }
    return true;
  };
  for (transport_kind k : {transport_kind::udp, transport_kind::tcp, transport_kind::tls, transport_kind::ws,
                           transport_kind::wss}) {
    if (is(to_string(k))) {
      out = k;
      return true;
    }
  }
  return false;
}

SIPEVENTS_INLINE std::string to_string(const peer& p) {
  std::string s(to_string(p.transport));
  s += ':';
  bool v6 = p.host.find(':') != std::string::npos;
  if (v6) s += '[';
  s += p.host;
  if (v6) s += ']';
  s += ':';
  s += std::to_string(p.port);
  return s;
}

SIPEVENTS_INLINE bool parse_peer(std::string_view text, peer& out) {
  std::size_t c = text.find(':');
  if (c == std::string_view::npos) return false;
  std::string_view proto = text.substr(0, c), rest = text.substr(c + 1);
  if (!parse_transport(proto, out.transport)) return false;
  std::string_view host, port;
  if (!rest.empty() && rest.front() == '[') {
    std::size_t e = rest.find(']');
    if (e == std::string_view::npos || e + 1 >= rest.size() || rest[e + 1] != ':') return false;
    host = rest.substr(1, e - 1);
    port = rest.substr(e + 2);
  } else {
    std::size_t e = rest.rfind(':');
    if (e == std::string_view::npos) return false;
    host = rest.substr(0, e);
    port = rest.substr(e + 1);
    if (host.find(':') != std::string_view::npos) return false;  // IPv6 needs brackets
  }
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (host.empty() || ec != std::errc{} || ptr != port.data() + port.size() || v > 65535) return false;
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(v);
  return true;
}

}  // namespace sipevents::transaction

SIPEVENTS_IMPL_END
