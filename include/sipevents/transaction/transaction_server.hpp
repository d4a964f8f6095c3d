// RFC 3261 17.2.2 non-INVITE server transaction, sans-I/O. The owner keeps the last
// response bytes and resends them when on_request says so.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_TRANSACTION_TRANSACTION_SERVER
#endif
#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::transaction {

class server_transaction {
 public:
  enum class state : std::uint8_t { trying, proceeding, completed, terminated };

  server_transaction(transport_kind t, const timer_config& cfg) noexcept
      : cfg_(cfg), reliable_(is_reliable(t)) {}

  /// A retransmission of the request arrived. Returns true when the last response
  /// must be sent again (Proceeding and Completed); in Trying it is absorbed.
  bool on_request() const noexcept { return state_ == state::proceeding || state_ == state::completed; }
  /// The TU sends a response. Returns false when the transaction can no longer send
  /// (already completed or terminated).
  bool on_response(std::uint16_t status, time_point now) noexcept;
  /// Call when now >= deadline(): Timer J ends the transaction.
  void on_timer(time_point now) noexcept;
  void on_transport_error() noexcept { state_ = state::terminated; }

  state current() const noexcept { return state_; }
  time_point deadline() const noexcept { return j_at_; }

 private:
  timer_config cfg_;
  bool reliable_;
  state state_ = state::trying;
  time_point j_at_ = time_point::max();
};

}  // namespace sipevents::transaction

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_TRANSACTION_TRANSACTION_SERVER
#define SIPEVENTS_SEEN_TRANSACTION_TRANSACTION_SERVER
#include "sipevents/impl/definitions.ipp"
#endif
