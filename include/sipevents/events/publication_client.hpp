// The Event Publication Agent side of RFC 3903, sans-I/O: one publication of one
// entity. The application sets the state it wants published; the agent sends the
// initial PUBLISH, refreshes with SIP-If-Match before expiry, modifies and removes.
// Only one PUBLISH is in flight; state set meanwhile is coalesced into the next one
// (the last state wins). 412 republishes the full state without SIP-If-Match, 423
// retries with Min-Expires.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_EVENTS_PUBLICATION_CLIENT
#endif
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "sipevents/events/events_types.hpp"
#include "sipevents/events/package.hpp"
#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::events {

struct publish_params {
  std::string event = "presence";
  std::string from;         ///< the publisher's AoR; also To
  std::string request_uri;  ///< defaults to `from`
  std::uint32_t expires = 3600;
};

struct publication_client_config {
  /// Refresh this long before expiry: the smaller of a third of the interval and this.
  seconds refresh_margin{30};
  /// After a 408, 5xx or transport failure, try again this much later (Retry-After wins).
  seconds retry{30};
};

struct publisher_event {
  enum class kind : std::uint8_t {
    send,       ///< send `request`
    published,  ///< a PUBLISH got 2xx: `etag`, `expires`
    removed,    ///< the publication is gone (removed by us, or nothing was published)
    failed,     ///< a PUBLISH failed with `status`; `retrying` says whether it retries
  };
  kind what = kind::send;
  request_out request;
  std::uint16_t status = 0;
  std::string etag;
  std::uint32_t expires = 0;
  bool retrying = false;
};

class publication_client {
 public:
  using event_type = publisher_event;
  publication_client(publish_params p, token_source ids, publication_client_config cfg = {});

  /// The full state to publish from now on; sent at once unless a PUBLISH is in flight.
  void publish(std::string content_type, std::string body, time_point now);
  /// Removes the publication (Expires: 0), after the PUBLISH in flight if any.
  void remove(time_point now);

  void on_response(std::uint64_t key, const message::message& response, time_point now);
  /// Request `key` failed without a response: 408 (Timer F) or 503 (transport).
  void on_failure(std::uint64_t key, std::uint16_t status, time_point now);
  void advance(time_point now);
  time_point next_deadline() const;
  bool poll(publisher_event& out);

  const std::string& etag() const noexcept { return etag_; }
  bool published() const noexcept { return !etag_.empty(); }
  bool in_flight() const noexcept { return in_flight_ != 0; }
  /// True once removed and nothing more is wanted.
  bool done() const noexcept { return want_remove_ && !in_flight_ && etag_.empty(); }

 private:
  enum class purpose : std::uint8_t { initial, modify, refresh, remove };
  void pump(time_point now);
  void send(purpose what, time_point now);
  void fail(std::uint16_t status, std::optional<std::uint32_t> retry_after, time_point now);

  publish_params p_;
  token_source ids_;
  publication_client_config cfg_;
  std::string call_id_, tag_;
  std::uint32_t cseq_ = 0;
  std::uint32_t expires_;            // asked for; raised by 423
  std::string content_type_, body_;  // the wanted state
  bool have_state_ = false, want_remove_ = false, stopped_ = false;
  std::uint64_t version_ = 0, published_version_ = 0, sent_version_ = 0;
  std::string etag_;
  time_point refresh_at_ = time_point::max(), retry_at_ = time_point::max(), expires_at_ = time_point::max();
  std::uint64_t in_flight_ = 0, next_key_ = 0;
  purpose sent_ = purpose::initial;
  bool retried_423_ = false;
  std::deque<publisher_event> out_;
};

}  // namespace sipevents::events

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_EVENTS_PUBLICATION_CLIENT
#define SIPEVENTS_SEEN_EVENTS_PUBLICATION_CLIENT
#include "sipevents/impl/definitions.ipp"
#endif
