// Vocabulary of the transaction layer: time, peers, timer settings. No I/O here.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_TRANSACTION_TRANSACTION_TYPES
#endif
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sipevents::transaction {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using duration = std::chrono::milliseconds;

/// RFC 3261 17.1.1.1 timer values. One per stack, never global, so two stacks in one
/// process (or a test with a fake clock) can differ.
struct timer_config {
  duration t1{500};   ///< RTT estimate
  duration t2{4000};  ///< cap on non-INVITE retransmit interval
  duration t4{5000};  ///< time a message may stay in the network
};

/// SIP transports: UDP, TCP, TLS over TCP (RFC 3261 26), and WebSocket (RFC 7118)
/// in clear (ws) and over TLS (wss).
enum class transport_kind : std::uint8_t { udp, tcp, tls, ws, wss };

/// True for transports that retransmit themselves (Timer E off, Timers J and K zero).
constexpr bool is_reliable(transport_kind k) noexcept { return k != transport_kind::udp; }

/// "udp", "tcp", "tls", "ws", "wss": the peer syntax and the URI transport parameter.
std::string_view to_string(transport_kind k) noexcept;
/// "UDP", "TCP", "TLS", "WS", "WSS": the Via transport token.
std::string_view via_token(transport_kind k) noexcept;
/// Reads a Via transport token or a transport parameter, any case; false if unknown.
bool parse_transport(std::string_view token, transport_kind& out) noexcept;
/// True for the transports that run over TLS.
constexpr bool is_secure(transport_kind k) noexcept { return k == transport_kind::tls || k == transport_kind::wss; }
/// True for WebSocket (ws and wss): a server never opens these (RFC 7118 5).
constexpr bool is_websocket(transport_kind k) noexcept { return k == transport_kind::ws || k == transport_kind::wss; }

/// A transport address: where a message came from or goes to. `host` is a numeric
/// IPv4 or IPv6 address (no brackets) or, for destinations only, a host name.
struct peer {
  transport_kind transport = transport_kind::udp;
  std::string host;
  std::uint16_t port = 0;
  /// TLS only, for connections we open: the name the server's certificate must carry
  /// (RFC 5922: the SIP domain being reached). Empty: the certificate must name `host`
  /// (an IP literal against an IP SAN). Connections are kept per address and name.
  std::string name;

  friend bool operator==(const peer&, const peer&) = default;
};

/// "udp:127.0.0.1:5060", "tls:[::1]:5061" (Kamailio's syntax); `name` is not part of it.
std::string to_string(const peer& p);

/// Parses "udp:HOST:PORT", "tcp:[V6]:PORT", and tls:, ws:, wss: alike. Returns false
/// on bad syntax.
bool parse_peer(std::string_view text, peer& out);

}  // namespace sipevents::transaction

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_TRANSACTION_TRANSACTION_TYPES
#define SIPEVENTS_SEEN_TRANSACTION_TRANSACTION_TYPES
#include "sipevents/impl/definitions.ipp"
#endif
