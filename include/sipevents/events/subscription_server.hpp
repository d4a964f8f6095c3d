// The notifier side of RFC 6665 (4.2): accepts SUBSCRIBEs for the packages it has,
// keeps every server subscription with its dialog and expiry, and NOTIFYs watchers on
// each change, rate-limited per package and as each watcher asks (RFC 6446). Sans-I/O: feed it SUBSCRIBEs, NOTIFY
// outcomes and `now`; drain responses and NOTIFYs to send with poll().
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_EVENTS_SUBSCRIPTION_SERVER
#endif
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "sipevents/dialog/dialog.hpp"
#include "sipevents/events/events_types.hpp"
#include "sipevents/events/package.hpp"
#include "sipevents/events/rate_control.hpp"
#include "sipevents/store/journal.hpp"
#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::events {

/// What the authorization hook decides for a new subscription (RFC 6665 4.2.1.3).
enum class authorization : std::uint8_t {
  accept,        ///< 200, NOTIFY active with the state
  pending,       ///< 202, NOTIFY pending with neutral state until authorize() decides
  polite_block,  ///< 200, NOTIFY active with neutral state: the watcher cannot tell
  reject,        ///< 200, NOTIFY terminated;reason=rejected
  deny,          ///< 403, no subscription
};

/// The resource a SUBSCRIBE names: the address-of-record of its Request-URI
/// ("sip:joe@example.com", no port or parameters), or the URI as written for other
/// schemes. changed() takes the same form.
std::string resource_name(const message::uri& request_uri);

struct authorization_request {
  std::string_view package;
  std::string_view resource;  ///< resource_name() of the Request-URI
  std::string_view watcher;   ///< From URI
  const message::message* subscribe = nullptr;
  /// The authenticated user's AoR; empty when the stack does not authenticate. Policy
  /// should trust it over `watcher`, which anyone can write.
  std::string_view identity;
};

/// A policy many deployments start from: watchers of the resource's own domain or a
/// subdomain of it ("app.example.com" watching "sip:joe@example.com") are accepted,
/// everyone else is denied (403). The watcher is the identity when there is one.
authorization same_domain(const authorization_request& r);

struct server_config {
  transaction::timer_config timers;
  /// Our Contact URI in 2xx and NOTIFY: where refreshes come.
  std::string contact;
  std::size_t max_subscriptions = 1'000'000;  ///< beyond: 503 with Retry-After
  std::size_t max_per_resource = 10'000;      ///< watchers of one resource in one package
  std::uint32_t retry_after = 60;             ///< Retry-After on those 503s
  /// With a journal: NOTIFY CSeqs reserved per subscription write. A subscription is
  /// written again when half of them are used, so a restart, which continues above
  /// the reservation, never repeats a CSeq (and the package, e.g. a reginfo version,
  /// continues above it too), while a NOTIFY costs a write only once per this many.
  std::uint32_t cseq_reserve = 32;
  /// RFC 6446: the notifier forces a NOTIFY (min-rate, adaptive-min-rate) at most this
  /// often, whatever a subscriber asks; the values in force say so.
  std::chrono::milliseconds min_forced_interval{1000};
};

struct server_hooks {
  /// Who may watch what. Default: accept everyone.
  std::function<authorization(const authorization_request&)> authorize;
};

/// What the notifier tells its owner.
struct server_event {
  enum class kind : std::uint8_t {
    respond,     ///< answer SUBSCRIBE `txn` with `response`
    send,        ///< send `request` (a NOTIFY)
    subscribed,  ///< subscription `sub` exists, or authorize() moved it (state in `state`)
    terminated,  ///< subscription `sub` ended for `why`
  };
  kind what = kind::send;
  std::uint64_t txn = 0;
  message::message_builder response;
  request_out request;
  std::uint64_t sub = 0;
  sub_state state = sub_state::init;
  events::reason why = events::reason::none;
  std::uint16_t status = 0;  ///< the NOTIFY error that ended it, if any
};

class subscription_server {
 public:
  explicit subscription_server(token_source ids, server_config cfg = {}, server_hooks hooks = {});

  /// Serves `p` under its Event token. The package must outlive the server.
  void add_package(package& p);
  /// Allow-Events: every package served.
  std::string allow_events() const;
  /// Serves the lists `h` knows (not owned; null: none): a SUBSCRIBE to one of them
  /// is handled by the package h gives, and changes reach the lists holding them.
  void set_lists(list_hook* h) noexcept { lists_ = h; }

  /// A SUBSCRIBE received in server transaction `txn` (initial, refresh or unsubscribe).
  /// RFC 5839: every NOTIFY with state carries SIP-ETag; a refresh whose
  /// Suppress-If-Match names the state the watcher would get (or "*") is answered 204
  /// (No Notification) and no NOTIFY follows; a new subscription so conditioned gets
  /// its NOTIFY without a body. Any other tag gets the full NOTIFY.
  /// RFC 6446: the Event parameters max-rate, throttle, min-rate and adaptive-min-rate
  /// set the subscription's rate (each SUBSCRIBE anew: a refresh without them ends rate
  /// control); the package's own interval is a floor; every NOTIFY answers with the
  /// values in force in Subscription-State. A malformed value gets 400 naming it.
  /// `identity`: who the stack authenticated, handed to the authorization hook.
  /// `flow`: for a connection-oriented transport, the connection it came over
  /// ("wss:192.0.2.1:50312"); the subscription's NOTIFYs go back over it (RFC 5626,
  /// RFC 7118: a WebSocket client's Contact is not reachable), the latest one winning.
  void on_subscribe(std::uint64_t txn, const message::message& request, time_point now,
                    std::string_view identity = {}, std::string_view flow = {});
  /// The state of `resource` in `package` changed: NOTIFY each of its watchers, at
  /// most once per package interval (later changes merge into the next NOTIFY).
  void changed(std::string_view package, std::string_view resource, time_point now);
  /// Decides a pending subscription. Returns false if `sub` is unknown.
  bool authorize(std::uint64_t sub, authorization a, time_point now);
  /// Ends a subscription with a final NOTIFY (e.g. the resource is gone: noresource).
  bool terminate(std::uint64_t sub, events::reason why, time_point now,
                 std::optional<std::uint32_t> retry_after = {});

  /// The final response to NOTIFY `key`.
  void on_response(std::uint64_t key, const message::message& response, time_point now);
  /// NOTIFY `key` got no response: 408 (Timer F) or 503 (transport failure).
  void on_failure(std::uint64_t key, std::uint16_t status, time_point now);

  /// Writes every subscription (dialog, state, expiry, package state) to `j` from now
  /// on (nullptr: memory only). Not owned.
  void set_journal(store::journal* j) noexcept { journal_ = j; }
  /// Takes back a subscription stored before a restart (its package added first): it
  /// gets a NOTIFY with full state at once, in its dialog, with a CSeq above any sent
  /// before; one that expired meanwhile gets its final NOTIFY (reason=timeout). Returns
  /// its new id, 0 when it was dropped (unknown package, ended, a duplicate).
  std::uint64_t restore(const store::subscription_record& r, time_point now);

  /// Another node of a cluster took these subscriptions over: every stored one whose
  /// key is not in `kept` is forgotten here, without a NOTIFY or a journal write (its
  /// new owner serves it). Returns how many.
  std::size_t release_except(const std::vector<std::string>& kept);

  void advance(time_point now);
  time_point next_deadline() const;
  bool poll(server_event& out);
  /// Events waiting for poll().
  std::size_t pending() const noexcept { return out_.size(); }

  std::size_t size() const noexcept { return subs_.size(); }
  /// RFC 5839 savings so far: refreshes answered 204 without a NOTIFY, and NOTIFYs of
  /// new subscriptions sent without their body.
  struct suppression_counts {
    std::uint64_t refreshes = 0;
    std::uint64_t bodies = 0;
  };
  const suppression_counts& suppressions() const noexcept { return suppressions_; }
  /// RFC 6446 (and package interval) work so far: changes merged into a later NOTIFY
  /// instead of sending their own, and NOTIFYs forced by min-rate or adaptive-min-rate.
  struct rate_counts {
    std::uint64_t merged = 0;
    std::uint64_t forced = 0;
  };
  const rate_counts& rate_control() const noexcept { return rate_counts_; }
  /// Subscriptions by Event package (one pass over them all).
  std::map<std::string, std::size_t, std::less<>> by_package() const;
  /// What subscription `sub` is about (RFC 3857 watcher information needs it).
  struct description {
    std::string_view package, resource, watcher;  ///< valid until the next call that changes the server
    sub_state state = sub_state::init;
  };
  std::optional<description> describe(std::uint64_t sub) const;
  std::size_t watchers(std::string_view package, std::string_view resource) const;
  const dialog::dialog_table& dialogs() const noexcept { return dialogs_; }
  std::optional<sub_state> state(std::uint64_t sub) const;

 private:
  struct sub {
    package* pkg = nullptr;
    const std::string* resource_key = nullptr;  // the by_resource_ key: package, resource
    dialog::dialog* dlg = nullptr;              // in dialogs_; nodes never move
    std::string event_id;
    std::uint8_t ctype = 0;                     // index into the package's body types
    authorization auth = authorization::accept;
    sub_state state = sub_state::pending;
    time_point expires_at{};
    time_point next_allowed{};
    time_point deadline = time_point::max();  // the one live entry in the timer heap
    std::uint64_t in_flight = 0;
    bool first = true;
    bool dirty = false;
    bool ending = false;  // the final NOTIFY went out
    bool unsaved = false;  // changed since the journal saw it
    events::reason end_reason = events::reason::none;
    std::string flow;            // the connection the subscriber uses, if any
    std::string identity;        // who the stack authenticated, if it does
    std::string store_key;       // the record's key, stable over restarts
    std::uint32_t cseq_mark = 0; // CSeqs up to this one are reserved in the store
    rate_request rate;           // RFC 6446, as the subscriber asked
    time_point last_sent{};      // the last NOTIFY
    time_point rate_since{};     // adaptive-min-rate averages from here
    std::uint32_t rate_sent = 0; // NOTIFYs since rate_since
  };
  struct timer_item {
    time_point at;
    std::uint64_t id;
    bool operator>(const timer_item& o) const noexcept { return at > o.at; }
  };

  void respond(std::uint64_t txn, message::message_builder b);
  void reject(std::uint64_t txn, const message::message& req, std::uint16_t status, std::string_view reason,
              std::string_view header = {}, std::string_view value = {});
  std::uint64_t create(std::uint64_t txn, const message::message& req, package& pkg, std::string_view resource, std::uint32_t expires,
                       std::size_t content_type, authorization a, time_point now);
  void send_notify(std::uint64_t id, sub& s, time_point now, events::reason ending = events::reason::none,
                   std::optional<std::uint32_t> retry_after = {}, bool suppress_body = false);
  /// The entity-tag (RFC 5839) of the state `s` is shown: the resource's generation
  /// and the view (neutral or not, the body type).
  std::string entity_tag(const sub& s);
  /// Whether `req`'s Suppress-If-Match names what `s` would be sent now ("*" always).
  bool suppressed(const message::message& req, const sub& s);
  void remove(std::uint64_t id, events::reason why, std::uint16_t status = 0);
  void reschedule(std::uint64_t id, sub& s);
  /// The intervals in force for `s` now (its package's interval and its rate request).
  rate_limits limits(const sub& s) const;
  /// When min-rate or adaptive-min-rate next forces a NOTIFY on `s` (max: never).
  time_point forced_at(const sub& s) const;
  /// Sends what `s` is owed at `now` (merged changes, a forced NOTIFY), if anything and
  /// nothing is in flight; reschedules otherwise.
  void catch_up(std::uint64_t id, sub& s, time_point now);
  std::string resource_key(std::string_view pkg, std::string_view resource) const;
  std::string_view resource_of(const sub& s) const;
  const std::vector<std::string>& types_of(const package* p);
  void persist(std::uint64_t id, sub& s);
  void index(std::uint64_t id, sub& s, std::string_view resource);

  token_source ids_;
  server_config cfg_;
  server_hooks hooks_;
  struct pkg_entry {
    package* p = nullptr;
    std::vector<std::string> types;  // content_types(), asked once
  };
  std::map<std::string, pkg_entry, std::less<>> packages_;
  std::unordered_map<const package*, std::vector<std::string>> list_types_;  // content_types() of list packages
  list_hook* lists_ = nullptr;
  std::unordered_map<std::uint64_t, sub> subs_;
  std::unordered_map<std::string, std::uint64_t> by_key_;
  std::unordered_map<std::string, std::vector<std::uint64_t>> by_resource_;
  /// RFC 5839: the state generation of each by_resource_ entry (keyed by its key's
  /// node), a new one at each changed() and for each new entry, from one counter, so
  /// an entity-tag never names two states of one server.
  std::unordered_map<const std::string*, std::uint64_t> generation_;
  std::uint64_t generations_ = 0;
  suppression_counts suppressions_;
  rate_counts rate_counts_;
  std::string etag_prefix_;  ///< random per server (taken at first need): a restarted one matches no old tag
  std::unordered_map<std::uint64_t, std::uint64_t> notifies_;  // NOTIFY key -> sub
  dialog::dialog_table dialogs_;
  mutable std::priority_queue<timer_item, std::vector<timer_item>, std::greater<>> timers_;
  std::deque<server_event> out_;
  std::uint64_t next_sub_ = 0;
  std::uint64_t next_key_ = 0;
  store::journal* journal_ = nullptr;
};

}  // namespace sipevents::events

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_EVENTS_SUBSCRIPTION_SERVER
#define SIPEVENTS_SEEN_EVENTS_SUBSCRIPTION_SERVER
#include "sipevents/impl/definitions.ipp"
#endif
