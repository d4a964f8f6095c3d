// Vocabulary of the transaction layer: time, peers, timer settings. No I/O here.
#pragma once
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

enum class transport_kind : std::uint8_t { udp, tcp };

/// True for transports that retransmit themselves (Timer E off, Timers J and K zero).
constexpr bool is_reliable(transport_kind k) noexcept { return k != transport_kind::udp; }

std::string_view to_string(transport_kind k) noexcept;

/// A transport address: where a message came from or goes to. `host` is a numeric
/// IPv4 or IPv6 address (no brackets) or, for destinations only, a host name.
struct peer {
  transport_kind transport = transport_kind::udp;
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const peer&, const peer&) = default;
};

/// "udp:127.0.0.1:5060", "tcp:[::1]:5070" (Kamailio's syntax).
std::string to_string(const peer& p);

/// Parses "udp:HOST:PORT" or "tcp:[V6]:PORT". Returns false on bad syntax.
bool parse_peer(std::string_view text, peer& out);

}  // namespace sipevents::transaction
