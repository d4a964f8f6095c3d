// The subscriber side of RFC 6665 (4.1): one logical subscription, which forking may
// split into several dialogs ("legs"), each with its own state, expiry and refresh.
// Sans-I/O: feed it responses, NOTIFYs and `now`; drain what it wants sent and what
// the application should hear with poll(); wake it at next_deadline().
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_EVENTS_SUBSCRIPTION_CLIENT
#endif
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sipevents/dialog/dialog.hpp"
#include "sipevents/events/events_types.hpp"
#include "sipevents/events/package.hpp"
#include "sipevents/events/rate_control.hpp"
#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::events {

struct subscribe_params {
  std::string event;         ///< package token: "presence", "reg"
  std::string event_id;      ///< the Event id parameter, empty for none
  std::string from;          ///< our AoR, e.g. "sip:alice@example.com"
  std::string to;            ///< the resource, e.g. "sip:bob@example.com"
  std::string request_uri;   ///< defaults to `to`
  std::string contact;       ///< our Contact URI (where NOTIFYs come)
  std::vector<std::string> accept;  ///< Accept; empty sends none (the package default)
  std::uint32_t expires = 3600;
  /// More headers on every SUBSCRIBE of this subscription (Supported: eventlist).
  std::vector<std::pair<std::string, std::string>> headers;
  /// RFC 6446 rate control asked of the notifier, as Event parameters on every
  /// SUBSCRIBE; what it applies comes back with each NOTIFY (client_event::rate).
  rate_request rate{};
};

struct client_config {
  transaction::timer_config timers;
  /// Refresh this long before expiry: the smaller of a third of the interval and
  /// `refresh_margin`.
  seconds refresh_margin{30};
  /// Wait before re-subscribing after probation/giveup without retry-after.
  seconds default_retry{60};
  /// A 481 to a refresh ends that dialog; with this set a fresh SUBSCRIBE follows.
  bool resubscribe_on_481 = false;
  /// RFC 5839: timed refreshes carry Suppress-If-Match with the entity-tag of the last
  /// state received, so a notifier that has nothing new answers 204 and sends no NOTIFY
  /// (the state held stays current). refresh() asks for full state regardless.
  bool conditional_refresh = true;
};

/// What the subscriber tells its owner.
struct client_event {
  enum class kind : std::uint8_t {
    send,        ///< send `request`
    notify,      ///< a NOTIFY was accepted on leg `remote_tag` (see `notify`)
    state,       ///< leg `remote_tag` changed to `state`
    terminated,  ///< the whole subscription ended (no leg left, no retry pending)
  };
  kind what = kind::send;
  request_out request;
  std::string remote_tag;
  sub_state state = sub_state::init;
  events::reason why = events::reason::none;
  std::uint16_t status = 0;      ///< the error status for reason::failed
  std::optional<std::uint32_t> expires;  ///< seconds left, from Subscription-State
  /// RFC 6446: the rate control in force, from Subscription-State (empty: none said).
  rate_request rate;
  std::optional<message::message> notify;
  decoded body;                  ///< the package's reading of the NOTIFY body
};

class subscription_client {
 public:
  using event_type = client_event;
  /// `pkg` may be null: bodies are then passed on undecoded.
  subscription_client(subscribe_params p, token_source ids, client_config cfg = {}, const package* pkg = nullptr);

  /// Sends the initial SUBSCRIBE.
  void start(time_point now);
  /// Refreshes every leg now (a package that lost track asks for full state this
  /// way, RFC 3680 4.4 / RFC 6665 4.2.1.2).
  void refresh(time_point now);
  /// Ends every leg with SUBSCRIBE Expires: 0 and waits for the final NOTIFYs
  /// (at most 64*T1).
  void unsubscribe(time_point now);

  /// The final response to request `key`.
  void on_response(std::uint64_t key, const message::message& response, time_point now);
  /// Request `key` failed without a response: 408 (Timer F) or 503 (transport).
  void on_failure(std::uint64_t key, std::uint16_t status, time_point now);
  /// True if `notify` belongs to this subscription (Call-ID, our tag, Event).
  bool matches(const message::message& notify) const;
  /// A NOTIFY for this subscription. Returns the status to answer it with: 200, 481
  /// (no such subscription), 500 (CSeq out of order). A NOTIFY without
  /// Subscription-State (as in RFC 3680's examples) counts as active.
  std::uint16_t on_notify(const message::message& notify, time_point now);

  void advance(time_point now);
  time_point next_deadline() const;
  bool poll(client_event& out);

  bool terminated() const noexcept { return done_; }
  const std::string& call_id() const noexcept { return call_id_; }
  const std::string& local_tag() const noexcept { return tag_; }
  std::size_t leg_count() const noexcept { return legs_.size(); }
  /// State of a leg by remote tag.
  std::optional<sub_state> leg_state(const std::string& remote_tag) const;
  const dialog::dialog_table& dialogs() const noexcept { return dialogs_; }

 private:
  struct leg {
    dialog::dialog_id id;
    sub_state state = sub_state::init;
    time_point expires_at = time_point::max();
    time_point refresh_at = time_point::max();
    time_point notify_by = time_point::max();  // first NOTIFY, or final one after unsubscribe
    std::uint64_t in_flight = 0;               // refresh or unsubscribe key
    std::uint32_t interval = 0;
    bool got_notify = false;
    bool unsubscribing = false;
    std::string etag;  ///< SIP-ETag of the last NOTIFY (RFC 5839), empty if none
  };
  enum class purpose : std::uint8_t { initial, refresh, unsubscribe };
  struct pending {
    purpose what;
    std::string remote_tag;
  };

  void send_initial(time_point now, std::optional<std::uint32_t> expires = {});
  void send_refresh(const std::string& tag, leg& l, bool conditional);
  void new_call();
  leg& make_leg(dialog::dialog d);
  void set_expiry(leg& l, std::uint32_t secs, time_point now);
  void end_leg(const std::string& tag, events::reason why, std::uint16_t status, time_point now,
               std::optional<std::uint32_t> retry_after = {});
  void retry_after_end(events::reason why, std::optional<std::uint32_t> retry_after, time_point now);
  void emit_state(const leg& l, events::reason why = events::reason::none, std::uint16_t status = 0);
  void check_done();
  void add_event_headers(message::message_builder& b, std::uint32_t expires) const;
  std::uint64_t next_key() { return ++key_; }

  subscribe_params p_;
  token_source ids_;
  client_config cfg_;
  const package* pkg_;
  std::string call_id_, tag_;
  std::uint32_t cseq_ = 0;
  message::message initial_;      // the last initial SUBSCRIBE as sent (less Via)
  std::uint64_t initial_key_ = 0;
  bool retried_423_ = false;
  bool unsubscribed_ = false;
  bool done_ = false;
  events::reason last_reason_ = events::reason::none;
  std::uint16_t last_status_ = 0;
  time_point retry_at_ = time_point::max();
  dialog::dialog_table dialogs_;
  std::map<std::string, leg> legs_;  // by remote tag
  std::map<std::uint64_t, pending> pending_;
  std::deque<client_event> out_;
  std::uint64_t key_ = 0;
};

}  // namespace sipevents::events

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_EVENTS_SUBSCRIPTION_CLIENT
#define SIPEVENTS_SEEN_EVENTS_SUBSCRIPTION_CLIENT
#include "sipevents/impl/definitions.ipp"
#endif
