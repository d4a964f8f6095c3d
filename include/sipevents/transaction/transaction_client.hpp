// RFC 3261 17.1.2 non-INVITE client transaction, sans-I/O. The owner sends the
// request once at creation and then whenever on_timer says so.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_TRANSACTION_TRANSACTION_CLIENT
#endif
#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::transaction {

class client_transaction {
 public:
  enum class state : std::uint8_t { trying, proceeding, completed, terminated };
  /// What the owner must do after a timer.
  enum class timer_result : std::uint8_t { nothing, retransmit, timeout, terminated };

  /// Starts in Trying at `now`; the request has just been sent.
  client_transaction(transport_kind t, const timer_config& cfg, time_point now) noexcept;

  /// A response matched this transaction. Returns true if the TU must see it
  /// (provisional and the first final); retransmitted finals are absorbed.
  bool on_response(std::uint16_t status, time_point now) noexcept;
  /// Call when now >= deadline().
  timer_result on_timer(time_point now) noexcept;
  /// The transport could not send: the transaction ends (the TU sees 503).
  void on_transport_error() noexcept { state_ = state::terminated; }

  state current() const noexcept { return state_; }
  /// The earliest pending timer, or time_point::max() when none is.
  time_point deadline() const noexcept;

 private:
  static constexpr time_point never = time_point::max();
  timer_config cfg_;
  bool reliable_;
  state state_ = state::trying;
  duration e_interval_;
  time_point e_at_ = never, f_at_ = never, k_at_ = never;
};

}  // namespace sipevents::transaction

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_TRANSACTION_TRANSACTION_CLIENT
#define SIPEVENTS_SEEN_TRANSACTION_TRANSACTION_CLIENT
#include "sipevents/impl/definitions.ipp"
#endif
