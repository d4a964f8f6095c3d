// Vocabulary shared by subscriber and notifier: requests to send, states, reasons.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_EVENTS_EVENTS_TYPES
#endif
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "sipevents/message/message.hpp"

namespace sipevents::events {

/// A request the state machine wants sent. Build first, send second: the application
/// may add headers to `msg` before it hands the request to its transport. The outcome
/// comes back through `on_response(key, ...)` / `on_failure(key, ...)`.
struct request_out {
  std::uint64_t key = 0;
  message::message_builder msg;
  std::string next_hop;  ///< URI to send to: first Route, remote target or Request-URI
  /// When set, the connection to send over instead ("tls:192.0.2.1:50312"): the flow
  /// the peer's own requests use (RFC 5626).
  std::string flow;
  /// Sent within a dialog (a refresh, an unsubscribe, a NOTIFY): its next hop is the
  /// dialog's route set or remote target.
  bool in_dialog = false;
};

/// RFC 6665 4.1.3 / 8.3 reason codes, plus what a subscriber observes locally.
enum class reason : std::uint8_t {
  none,
  deactivated,
  probation,
  rejected,
  timeout,
  giveup,
  noresource,
  invariant,
  other,        ///< an extension reason
  failed,       ///< the SUBSCRIBE was answered with an error (see `status`)
  expired,      ///< the subscription ran out without a refresh being answered
  no_notify,    ///< no NOTIFY arrived within 64*T1 of the 2xx (RFC 6665 4.1.2.4)
  unsubscribed, ///< ended by the application
};
reason reason_from(std::string_view token) noexcept;
std::string_view to_string(reason r) noexcept;

enum class sub_state : std::uint8_t { init, pending, active, terminated };
std::string_view to_string(sub_state s) noexcept;

/// Random tokens for tags and Call-IDs, `n` characters. The stack passes its own
/// (the transaction layer's) so that nothing here holds global state.
using token_source = std::function<std::string(std::size_t n)>;

/// Hash for unordered containers keyed by std::string that are looked up with
/// std::string_view too (no temporary string per lookup).
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace sipevents::events

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_EVENTS_EVENTS_TYPES
#define SIPEVENTS_SEEN_EVENTS_EVENTS_TYPES
#include "sipevents/impl/definitions.ipp"
#endif
