// Message composition indication (RFC 3994, application/im-iscomposing+xml): the
// document, and the sans-I/O timers of both ends: the composer sends "active" when
// typing starts, refreshes it while typing goes on, and "idle" after a pause; the
// receiver shows "active" until a refresh is overdue, "idle" or the message comes.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_PAGER_ISCOMPOSING
#endif
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::pager {

inline constexpr std::string_view iscomposing_type = "application/im-iscomposing+xml";
inline constexpr std::string_view iscomposing_ns = "urn:ietf:params:xml:ns:im-iscomposing";

/// An application/im-iscomposing+xml document.
struct composing_indication {
  bool active = false;                  ///< state: active or idle
  std::string lastactive;               ///< RFC 3339 time, optional
  std::string contenttype;              ///< what is being composed ("text/plain"), optional
  std::optional<std::uint32_t> refresh; ///< seconds (active only)
  bool operator==(const composing_indication&) const = default;
};

std::string encode_iscomposing(const composing_indication& c);
/// False, with the reason in `error`, when it is not XML, not isComposing, has no
/// state or one other than active/idle, or a refresh that is not a number.
bool decode_iscomposing(std::string_view xml, composing_indication& out, std::string* error = nullptr);

/// Times of RFC 3994 (its defaults).
struct composing_config {
  std::chrono::seconds idle_timeout{15};     ///< no typing this long: idle
  std::chrono::seconds refresh{120};         ///< "active" resent this often while typing
  std::chrono::seconds receiver_default{120};///< an "active" without refresh lasts this long
};

/// The composer's side, one per conversation.
class composing_sender {
 public:
  explicit composing_sender(composing_config c = {}) : cfg_(c) {}
  /// The user typed: an "active" to send when composing starts or its refresh is due;
  /// nothing otherwise.
  std::optional<composing_indication> typed(transaction::time_point now, std::string_view contenttype = "text/plain");
  /// The message went out: idle without an indication (the message says it).
  void message_sent();
  /// "idle" when the pause reached idle_timeout.
  std::optional<composing_indication> advance(transaction::time_point now);
  transaction::time_point next_deadline() const noexcept;
  bool active() const noexcept { return active_; }

 private:
  composing_config cfg_;
  bool active_ = false;
  transaction::time_point last_typed_{}, refresh_at_{};
  std::string contenttype_;
};

/// The receiver's side, one per conversation.
class composing_receiver {
 public:
  explicit composing_receiver(composing_config c = {}) : cfg_(c) {}
  /// An indication came. True when the shown state changed.
  bool on_indication(const composing_indication& c, transaction::time_point now);
  /// A message came: idle. True when that changed the shown state.
  bool on_message();
  /// True when an overdue refresh just made it idle.
  bool advance(transaction::time_point now);
  transaction::time_point next_deadline() const noexcept;
  bool active() const noexcept { return active_; }

 private:
  composing_config cfg_;
  bool active_ = false;
  transaction::time_point expires_{};
};

}  // namespace sipevents::pager

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_PAGER_ISCOMPOSING
#define SIPEVENTS_SEEN_PAGER_ISCOMPOSING
#include "sipevents/impl/definitions.ipp"
#endif
