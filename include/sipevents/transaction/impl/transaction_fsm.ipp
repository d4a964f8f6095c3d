#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include <algorithm>

#include "sipevents/transaction/transaction_client.hpp"
#include "sipevents/transaction/transaction_server.hpp"

namespace sipevents::transaction {

SIPEVENTS_INLINE client_transaction::client_transaction(transport_kind t, const timer_config& cfg, time_point now) noexcept
    : cfg_(cfg), reliable_(is_reliable(t)), e_interval_(cfg.t1) {
  if (!reliable_) e_at_ = now + e_interval_;
  f_at_ = now + 64 * cfg_.t1;
}

SIPEVENTS_INLINE bool client_transaction::on_response(std::uint16_t status, time_point now) noexcept {
  if (state_ == state::completed || state_ == state::terminated) return false;
  if (status < 200) {
    state_ = state::proceeding;
    return true;
  }
  state_ = state::completed;
  e_at_ = f_at_ = never;
  // Timer K absorbs retransmitted finals on UDP; over TCP there are none.
  k_at_ = now + (reliable_ ? duration{0} : cfg_.t4);
  return true;
}

SIPEVENTS_INLINE client_transaction::timer_result client_transaction::on_timer(time_point now) noexcept {
  if (state_ == state::terminated) return timer_result::nothing;
  if (now >= k_at_) {
    state_ = state::terminated;
    k_at_ = never;
    return timer_result::terminated;
  }
  if (now >= f_at_) {
    state_ = state::terminated;
    e_at_ = f_at_ = never;
    return timer_result::timeout;
  }
  if (now >= e_at_) {
    // 17.1.2.2: doubling up to T2 in Trying; T2 flat once a provisional arrived.
    e_interval_ = state_ == state::proceeding ? cfg_.t2 : std::min(2 * e_interval_, cfg_.t2);
    e_at_ = now + e_interval_;
    return timer_result::retransmit;
  }
  return timer_result::nothing;
}

SIPEVENTS_INLINE time_point client_transaction::deadline() const noexcept {
  if (state_ == state::terminated) return never;
  return std::min({e_at_, f_at_, k_at_});
}

SIPEVENTS_INLINE bool server_transaction::on_response(std::uint16_t status, time_point now) noexcept {
  if (state_ == state::completed || state_ == state::terminated) return false;
  if (status < 200) {
    state_ = state::proceeding;
    return true;
  }
  state_ = state::completed;
  j_at_ = now + (reliable_ ? duration{0} : 64 * cfg_.t1);
  return true;
}

SIPEVENTS_INLINE void server_transaction::on_timer(time_point now) noexcept {
  if (state_ == state::completed && now >= j_at_) {
    state_ = state::terminated;
    j_at_ = time_point::max();
  }
}

}  // namespace sipevents::transaction

SIPEVENTS_IMPL_END
