// The event agent runs the RFC 6665 state machines on a runtime: subscription
// clients (watchers) and one subscription server (notifier). It sends what they
// build, routes SUBSCRIBE and NOTIFY to them, hands their answers back, and keeps
// their deadlines on the runtime's one timer. The state machines stay sans-I/O; this
// is the only place they meet sockets.
//
// Threading: as the runtime (one thread, the io_context's).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_AGENT_EVENT_AGENT
#endif
#include <functional>
#include <type_traits>
#include <vector>
#include <map>
#include <memory>
#include <optional>

#include "sipevents/events/publication_client.hpp"
#include "sipevents/events/publication_server.hpp"
#include "sipevents/events/subscription_client.hpp"
#include "sipevents/events/subscription_server.hpp"
#include "sipevents/transport/runtime.hpp"

namespace sipevents::agent {

struct agent_config {
  events::server_config server;
  events::client_config client;
  /// Where client requests go (an outbound proxy, e.g. the PBX); without it they go
  /// to their next hop URI, which must then carry a numeric host (no RFC 3263 DNS).
  std::optional<transaction::peer> outbound;
  /// Whether requests within a dialog go to `outbound` too. False: they go to the
  /// dialog's next hop (the notifier's Contact, RFC 3261 12.2.1.1), as a UA without a
  /// proxy does; a NOTIFY naming a new Contact (a node that took the subscription
  /// over) moves the refreshes there.
  bool outbound_in_dialog = true;
  /// Where to try next (RFC 3263 4.3) when a request sent to `outbound` fails with a
  /// transport error, a timeout (408) or 503: the other targets located for the
  /// domain, in their order. Each try is a new transaction (a new branch); the target
  /// that answered is tried first from then on.
  std::vector<transaction::peer> fallbacks;
  /// NOTIFYs sent per turn of the event loop. A change seen by thousands of watchers
  /// is sent in slices, so their 200s (and other requests) are read in between
  /// instead of overflowing the socket buffer and coming back as retransmissions.
  std::size_t notify_batch = 64;
};

/// Resolves a SIP URI with a numeric host to a transport address: port 5060 unless
/// given, TCP for `;transport=tcp`. False for other hosts or schemes.
bool peer_from_uri(std::string_view uri, transaction::peer& out);
/// Where a request to a registered contact goes: over `flow` (the connection it
/// registered on, "wss:192.0.2.1:50312") while `rt` still has that connection open, or
/// always for WebSocket (RFC 7118: its Contact cannot be reached); else to `uri`.
bool route_to(std::string_view uri, std::string_view flow, transport::runtime& rt, transaction::peer& out);

/// A NOTIFY that matched no subscription (RFC 3842 4: a PBX lighting a voicemail lamp
/// without a SUBSCRIBE), as accept_unsolicited() hands it over.
struct unsolicited_notify {
  const message::message* msg = nullptr;
  std::string_view package;  ///< its Event package
  events::decoded body;      ///< read by the package given, when there is a body
  transaction::peer from;
};

/// What the agent has done and holds, for metrics (stats()).
struct agent_stats {
  std::uint64_t notifies_sent = 0;      ///< NOTIFYs the notifier sent (first sends)
  std::uint64_t notifies_answered = 0;  ///< of those, answered 2xx
  std::uint64_t notifies_failed = 0;    ///< answered with an error, or not at all (408, 503)
  std::uint64_t notifies_suppressed = 0;  ///< RFC 5839: refreshes answered 204, no NOTIFY sent
  std::uint64_t bodies_suppressed = 0;    ///< RFC 5839: NOTIFYs of new subscriptions sent without body
  std::uint64_t changes_merged = 0;       ///< RFC 6446 or package pacing: changes sent in a later NOTIFY
  std::uint64_t notifies_forced = 0;      ///< RFC 6446 min-rate / adaptive-min-rate NOTIFYs
  std::map<std::string, std::size_t, std::less<>> subscriptions;  ///< notifier subscriptions by package
  std::size_t client_subscriptions = 0;  ///< our own subscriptions (watchers, back-ends)
  std::size_t publishers = 0;            ///< our own publications (EPA)
  std::size_t publications = 0;          ///< publications held by the ESC served, if any
};

class event_agent final : public transport::timed {
 public:
  using client_handler = std::function<void(std::uint64_t id, const events::client_event&)>;
  using server_handler = std::function<void(const events::server_event&)>;
  using publisher_handler = std::function<void(std::uint64_t id, const events::publisher_event&)>;
  using publication_handler = std::function<void(const events::publication_change&)>;
  /// True: the NOTIFY is taken (200); false: 481 as for any stray NOTIFY.
  using unsolicited_handler = std::function<bool(const unsolicited_notify&)>;

  /// Handles SUBSCRIBE and NOTIFY on `rt` from now on.
  event_agent(transport::runtime& rt, agent_config cfg = {}, events::server_hooks hooks = {});
  ~event_agent() override;
  event_agent(const event_agent&) = delete;
  event_agent& operator=(const event_agent&) = delete;

  // ---- notifier --------------------------------------------------------------------
  /// Serves `p` (not owned; it must outlive the agent).
  void add_package(events::package& p) { server_.add_package(p); }
  /// Subscribed/terminated events of server subscriptions.
  void on_server_event(server_handler h) { on_server_ = std::move(h); }
  /// The state of `resource` changed: NOTIFY its watchers.
  void changed(std::string_view package, std::string_view resource);
  events::subscription_server& notifier() noexcept { return server_; }
  /// Takes back a stored subscription and sends its NOTIFY (subscription_server::restore).
  std::uint64_t restore(const store::subscription_record& r);

  /// Takes NOTIFYs of `package` that match no subscription when `h` says so (RFC 3842
  /// allows them for message-summary; RFC 6665 4.1.3 answers others 481). `pkg` (not
  /// owned, may be null) reads their bodies.
  void accept_unsolicited(std::string package, unsolicited_handler h, const events::package* pkg = nullptr) {
    unsolicited_[std::move(package)] = {std::move(h), pkg};
  }

  // ---- subscriber ------------------------------------------------------------------
  /// Starts a subscription; `h` hears its NOTIFYs, state changes and end. `pkg` (not
  /// owned) decodes bodies. Returns its id.
  std::uint64_t subscribe(events::subscribe_params p, client_handler h, const events::package* pkg = nullptr);
  /// subscribe() with an Asio completion token that completes once: with the first
  /// NOTIFY (`ec` clear, the subscription's id and that event), or with the end of a
  /// subscription that never got one (`ec` = operation_aborted, the terminated event:
  /// its reason and status say why). `h`, if given, hears every event as subscribe()'s
  /// handler does, before and after. Signature: void(std::error_code, std::uint64_t,
  /// events::client_event).
  template <class CompletionToken>
  auto async_subscribe(events::subscribe_params p, client_handler h, const events::package* pkg,
                       CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, std::uint64_t, events::client_event)>(
        [this](auto handler, events::subscribe_params params, client_handler each, const events::package* package) {
          auto done = once<true>(std::move(handler));
          subscribe(std::move(params),
                    [done, each = std::move(each)](std::uint64_t id, const events::client_event& e) {
                      if (each) each(id, e);
                      if (e.what == events::client_event::kind::notify) done(std::error_code{}, id, e);
                      else if (e.what == events::client_event::kind::terminated)
                        done(make_error_code(asio::error::operation_aborted), id, e);
                    },
                    package);
        },
        token, std::move(p), std::move(h), pkg);
  }
  void unsubscribe(std::uint64_t id);
  /// Refreshes subscription `id` now (to get full state again).
  void refresh(std::uint64_t id);
  std::size_t subscriptions() const noexcept { return clients_.size(); }
  /// A snapshot of the counters and sizes (cheap but not free: subscriptions are
  /// counted per package).
  agent_stats stats() const;

  // ---- publisher (EPA, RFC 3903) -----------------------------------------------------
  /// Starts publishing `body` for `p.from`; `h` hears published/removed/failed.
  std::uint64_t publish(events::publish_params p, std::string content_type, std::string body, publisher_handler h);
  /// publish() with an Asio completion token that completes once: when the first
  /// PUBLISH got 2xx (`ec` clear, the publication's id and that event: its etag and
  /// expiry), or when it failed for good (`ec` = operation_aborted, the event's status
  /// says why; the publication stays, stopped, until republish() or unpublish()).
  /// `h`, if given, hears every event as publish()'s handler does, refreshes included.
  /// Signature: void(std::error_code, std::uint64_t, events::publisher_event).
  template <class CompletionToken>
  auto async_publish(events::publish_params p, std::string content_type, std::string body, publisher_handler h,
                     CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, std::uint64_t, events::publisher_event)>(
        [this](auto handler, events::publish_params params, std::string ct, std::string b, publisher_handler each) {
          auto done = once<true>(std::move(handler));
          const std::uint64_t id = publish(std::move(params), std::move(ct), std::move(b), std::move(each), false);
          publishers_.at(id).waiters.push_back([done](std::uint64_t i, const events::publisher_event& e) {
            using K = events::publisher_event::kind;
            if (e.what == K::published) return done(std::error_code{}, i, e);
            if (e.what == K::removed || (e.what == K::failed && !e.retrying))
              return done(make_error_code(asio::error::operation_aborted), i, e);
            return false;
          });
          flush();
        },
        token, std::move(p), std::move(content_type), std::move(body), std::move(h));
  }
  /// unpublish() with an Asio completion token that completes when the publication is
  /// gone: `ec` clear with the `removed` event, or operation_aborted with the `failed`
  /// one (the server kept it until it expires); asio::error::not_found for an unknown
  /// id. Signature: void(std::error_code, events::publisher_event).
  template <class CompletionToken>
  auto async_unpublish(std::uint64_t id, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, events::publisher_event)>(
        [this](auto handler, std::uint64_t pid) {
          auto done = once<false>(std::move(handler));
          auto it = publishers_.find(pid);
          if (it == publishers_.end()) {
            done(make_error_code(asio::error::not_found), pid, events::publisher_event{});
            return;
          }
          it->second.waiters.push_back([done](std::uint64_t i, const events::publisher_event& e) {
            using K = events::publisher_event::kind;
            if (e.what == K::removed) return done(std::error_code{}, i, e);
            if (e.what == K::failed && !e.retrying) return done(make_error_code(asio::error::operation_aborted), i, e);
            return false;
          });
          unpublish(pid);
        },
        token, id);
  }
  /// New state for publication `id` (coalesced if a PUBLISH is in flight).
  void republish(std::uint64_t id, std::string content_type, std::string body);
  /// Removes publication `id`; it is forgotten once removed.
  void unpublish(std::uint64_t id);
  std::size_t publishers() const noexcept { return publishers_.size(); }

  // ---- compositor (ESC, RFC 3903) ----------------------------------------------------
  /// Answers PUBLISH with `esc` (not owned) and drives its expiry; `h` hears every
  /// change (compose, then changed() to NOTIFY).
  void serve_publications(events::publication_server& esc, publication_handler h);
  /// Takes back a stored publication into the ESC; the handler hears it as created.
  bool restore(const store::publication_record& r);
  /// Hands on what the cores queued outside the agent's own calls (another node's
  /// writes applied to the ESC): the handler hears each change, NOTIFYs leave.
  void pump() { flush(); }

  // ---- timed -----------------------------------------------------------------------
  transaction::time_point next_deadline() const override;
  void advance(transaction::time_point now) override;

 private:
  struct client_slot {
    std::unique_ptr<events::subscription_client> c;
    client_handler h;
  };
  void flush();
  template <class Slots>
  bool flush_slots(Slots& slots);
  void send(const events::request_out& r, bool from_client, std::function<void(const transport::request_result&)> done);

  transport::runtime& rt_;
  agent_config cfg_;
  events::subscription_server server_;
  server_handler on_server_;
  std::map<std::uint64_t, client_slot> clients_;
  struct publisher_slot {
    std::unique_ptr<events::publication_client> c;
    publisher_handler h;
    /// Pending async_publish/async_unpublish: each hears events after `h` until it
    /// returns true (it completed).
    std::vector<std::function<bool(std::uint64_t, const events::publisher_event&)>> waiters;
  };
  std::uint64_t publish(events::publish_params p, std::string content_type, std::string body, publisher_handler h,
                        bool flush_now);
  /// A completion handler called at most once, on its associated executor (posted, so
  /// never inside the agent); later calls do nothing. The callable returns true, so a
  /// waiter holding it is dropped.
  template <bool WithId, class Handler>
  auto once(Handler handler) {
    auto slot = std::make_shared<std::optional<Handler>>(std::move(handler));
    return [this, slot](std::error_code ec, std::uint64_t id, auto event) {
      if (!*slot) return true;
      auto h = std::move(**slot);
      slot->reset();
      auto ex = asio::get_associated_executor(h, rt_.context().get_executor());
      asio::post(ex, [h = std::move(h), ec, id, event = std::move(event)]() mutable {
        if constexpr (WithId) {
          std::move(h)(ec, id, std::move(event));
        } else {
          (void)id;  // the signature carries no id
          std::move(h)(ec, std::move(event));
        }
      });
      return true;
    };
  }
  std::map<std::uint64_t, publisher_slot> publishers_;
  events::publication_server* esc_ = nullptr;
  struct unsolicited_slot {
    unsolicited_handler h;
    const events::package* pkg = nullptr;
  };
  std::map<std::string, unsolicited_slot, std::less<>> unsolicited_;
  publication_handler on_publication_;
  /// Which of `outbound` (0) and `fallbacks` (1...) answered last: tried first.
  std::size_t preferred_target_ = 0;
  void send_failover(std::shared_ptr<const message::message_builder> msg, std::size_t attempt,
                     std::function<void(const transport::request_result&)> done);
  std::uint64_t next_client_ = 0;
  agent_stats stats_;
  bool flushing_ = false;
  bool resume_posted_ = false;  // a flush continuation is queued on the event loop
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sipevents::agent

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_AGENT_EVENT_AGENT
#define SIPEVENTS_SEEN_AGENT_EVENT_AGENT
#include "sipevents/impl/definitions.ipp"
#endif
