// The runtime: what an application creates. It owns the transports and the
// transaction layer, runs them on one executor, and drives every timer with a single
// asio::steady_timer set to the layer's next deadline.
//
// Threading rules: the runtime is single-threaded. Construct it, call its members and
// receive its callbacks on the thread that runs the io_context (with several threads
// calling io_context::run, post to one strand and use that). Nothing inside locks.
// Callbacks may call back into the runtime (send, respond) freely.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_TRANSPORT_RUNTIME
#endif
#include <asio.hpp>
#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipevents/auth/digest_client.hpp"
#include "sipevents/auth/digest_server.hpp"
#include "sipevents/message/message.hpp"
#include "sipevents/store/state_store.hpp"
#include "sipevents/transaction/transaction_layer.hpp"
#include "sipevents/transport/transport_asio.hpp"

namespace sipevents::transport {

enum class log_level : std::uint8_t { debug, info, warning, error };

struct runtime_config {
  transaction::layer_config layer;
  transport_config transport;
  std::string user_agent = "sipevents/0.1";
  /// Event packages announced in Allow-Events (OPTIONS answers, requests).
  std::vector<std::string> allow_events;
  /// Body types announced in Accept on OPTIONS answers.
  std::vector<std::string> accept{"text/plain", "message/cpim"};
  /// RFC 3261 18.1.1: requests larger than this never go over UDP.
  std::size_t udp_max_request = 1300;
  /// The one timer fires at most this late, so deadlines that fall close together
  /// (the Timer Es of a NOTIFY fan-out) are served by one wake-up and one re-arm
  /// instead of one each. SIP timers are 500 ms and up; 0 fires at exact deadlines.
  std::chrono::milliseconds timer_slack{4};
};

/// The steady and the wall clock read now: what store records are encoded and
/// decoded with (store::encode, store::load_all).
store::clock_pair clocks_now();

/// What the runtime counts above its transaction layer (runtime::stats()).
struct runtime_stats {
  std::uint64_t auth_accepted = 0;    ///< requests whose credentials were good
  std::uint64_t auth_challenged = 0;  ///< answered 401/407 for want of credentials, or a stale nonce
  std::uint64_t auth_refused = 0;     ///< answered for failed credentials: wrong, unknown, replayed, malformed
  std::uint64_t store_commits = 0;    ///< commits of the store that carried records, ended
  std::uint64_t store_commit_failures = 0;
  std::uint64_t store_records = 0;  ///< records in the commits that succeeded
  /// Upper bounds (seconds) of the commit latency buckets; the last bucket is +Inf.
  static constexpr std::array<double, 10> latency_bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                         0.005,  0.01,    0.025,  0.1,   1.0};
  /// Commits that ended within each bound (not cumulative), then those beyond the last.
  std::array<std::uint64_t, latency_bounds.size() + 1> store_latency{};
  double store_latency_sum = 0;  ///< seconds, over every ended commit
};

/// How the runtime keeps a store (set_store).
struct store_policy {
  /// Requests whose 2xx acknowledges stored state: held until it is committed, and
  /// answered `status` with Retry-After while the store cannot be written.
  std::vector<std::string> methods{"REGISTER", "PUBLISH", "SUBSCRIBE"};
  /// 500 for a store of this process (its disk is the fault); 503 for one a server
  /// keeps (the service is degraded, another node or a later try may do).
  std::uint16_t status = 500;
  std::uint32_t retry_after = 10;  ///< seconds, on those answers
  /// While the store fails, a commit is tried again this often; failures are logged
  /// at most this often.
  std::chrono::milliseconds retry_interval{1000};
};

/// The outcome of a request: a final response, or a failure without one
/// (408 timeout, 503 transport error, 0 with `error` set when it could not be sent).
struct request_result {
  std::uint16_t status = 0;
  std::string reason;
  std::optional<message::message> response;
  /// Why it was not sent (status 0), or why the transport failed (503 without a
  /// response: "TLS handshake with ... failed: certificate does not name ...").
  std::string error;
  std::uint32_t cseq = 0;  ///< the CSeq of the last send (a 401/407 resend takes the next)
};

/// A request handed to the application. Answer it once with respond().
struct incoming_request {
  transaction::txn_id txn = 0;
  message::message msg;
  peer from;
  std::string to_tag;  ///< use as the To tag of the answer (dialog-creating ones keep it)
  /// Who sent it, as an AoR ("sip:joe@example.com"), when the runtime authenticates
  /// this method (set_authenticator); empty otherwise. Trust it, not From.
  std::string identity;
};

/// A state machine the runtime's one timer also drives (the event agent, a registrar):
/// the timer is armed at the earliest deadline of the layer and every timed source,
/// and each source is advanced when its deadline passes.
class timed {
 public:
  virtual ~timed() = default;
  virtual transaction::time_point next_deadline() const = 0;
  virtual void advance(transaction::time_point now) = 0;
};

class runtime {
 public:
  using request_handler = std::function<void(incoming_request&)>;
  using result_handler = std::function<void(const request_result&)>;
  using log_sink = std::function<void(log_level, std::string_view)>;

  /// Runs on the application's io_context.
  runtime(asio::io_context& io, runtime_config cfg = {});
  /// Runs on an io_context of its own; call run() or poll().
  explicit runtime(runtime_config cfg = {});
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// Listens on "udp:HOST:PORT" / "tcp:[V6]:PORT" / "tls:..." / "ws:..." / "wss:...";
  /// port 0 picks one. Returns the bound address in `bound` when given. tls and wss
  /// need set_tls() with a certificate first; ws and wss need
  /// transport_config::ws_accept.
  std::error_code listen(std::string_view address, peer* bound = nullptr);
  /// TLS for tls/wss listeners and tls destinations (transport_tls provides it).
  void set_tls(std::shared_ptr<tls_provider> tls) { transports_->set_tls(std::move(tls)); }
  /// True while a connection to `p` is open: whether a flow can still be used.
  bool connected(const peer& p) const { return transports_->connected(p); }

  /// Sends a request built by the application (no Via: the runtime adds the top Via
  /// for the transport it picks). Over 1300 bytes it goes over TCP to the same
  /// address, or fails when there is no TCP transport. `done` gets the final outcome.
  /// With credentials set, a 401/407 is answered and the request sent again (CSeq + 1,
  /// new branch) before `done` hears anything; `request_result::cseq` says which CSeq
  /// the outcome belongs to.
  void send_request(const message::message_builder& request, const peer& to, result_handler done,
                    std::function<void(const message::message&)> provisional = {});
  /// send_request() with an Asio completion token: a callback, `asio::use_awaitable`
  /// (co_await it in a C++20 coroutine), `asio::use_future`, `asio::deferred` ...
  /// Completes with the request_result, on the token's executor (the runtime's by
  /// default). Credentials, TCP fallback and the rest are as for send_request().
  template <class CompletionToken>
  auto async_send_request(const message::message_builder& request, const peer& to, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(request_result)>(
        [this](auto handler, const message::message_builder& req, const peer& dest) {
          // The handler may be move-only (a coroutine's): shared, so the callback copies.
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          send_request(req, dest, [this, h](const request_result& r) {
            auto ex = asio::get_associated_executor(*h, context().get_executor());
            asio::post(ex, [h, r]() mutable { std::move (*h)(std::move(r)); });
          });
        },
        token, request, to);
  }
  /// Answers a request passed to a handler.
  bool respond(const incoming_request& req, const message::message_builder& response);
  bool respond(const incoming_request& req, std::uint16_t status, std::string_view reason);

  /// Handles requests of `method`; OPTIONS has a default answer, others get 405.
  void on_request(std::string method, request_handler h);
  /// Hands log lines of level `least` and above to `sink`; lines below it are not even
  /// formatted (a loaded server logs nothing per request).
  void set_log(log_sink sink, log_level least = log_level::debug) {
    log_ = std::move(sink);
    log_least_ = least;
  }
  /// Whether a line of level `l` would reach the sink.
  bool logs(log_level l) const noexcept { return log_ && l >= log_least_; }
  /// Answers challenges to every request this runtime sends with `c` (not owned;
  /// nullptr turns it off).
  void set_credentials(auth::digest_client* c) noexcept { client_auth_ = c; }
  /// Authenticates incoming requests with `s` (not owned; nullptr turns it off): each
  /// method `s` names is challenged until it carries good credentials, and handlers
  /// see the sender in incoming_request::identity. Refusals are logged with the source.
  void set_authenticator(auth::digest_server* s) noexcept { server_auth_ = s; }
  /// Commits what the core writes to `j` into `s` (neither owned; nullptr turns it
  /// off). The records of one event-loop turn go in one transaction at its end, and
  /// every response and request of that turn waits for it: a 2xx is sent only once what it
  /// acknowledges is durable. With a store that commits asynchronously, one commit is
  /// in flight at a time; what later turns write goes in the next, and what they send
  /// waits behind the answers held before it, in order. When a commit fails, the 2xx
  /// of the policy's methods become its status with Retry-After, those methods are
  /// answered so at once until a retried commit succeeds, and the failure is logged at
  /// most once per retry interval.
  void set_store(store::journal* j, store::state_store* s, store_policy p = {});
  /// Commits what the journal holds now (e.g. at start, before the first request
  /// leaves). False when the commit failed; with an asynchronous store, also while it
  /// is still in flight (what it holds back leaves when it ends).
  bool flush_store();
  /// False while the store cannot be written.
  bool store_healthy() const noexcept { return store_healthy_; }
  /// Authentication outcomes and store commits (count, failures, latency) so far.
  const runtime_stats& stats() const noexcept { return stats_; }

  /// Drives `t` from the runtime's timer until remove_timed(). Not owned.
  void add_timed(timed& t);
  void remove_timed(timed& t);
  /// Re-arms the timer after a timed source changed outside a runtime callback.
  void rearm();
  void log(log_level l, std::string_view text) const;

  /// Address for Via/Contact for the given transport and family.
  const peer* local(transport_kind k, bool v6 = false) const { return transports_->local(k, v6); }
  transaction::transaction_layer& layer() noexcept { return layer_; }
  const runtime_config& config() const noexcept { return cfg_; }
  asio::io_context& context() noexcept { return io_; }

  void run() { io_.run(); }
  void stop() {
    transports_->flush_datagrams();
    io_.stop();
  }

 private:
  void init();
  void on_bytes(std::string_view bytes, const peer& from);
  void pump();
  void answer_options(incoming_request& r);
  std::string allowed_methods() const;

  std::unique_ptr<asio::io_context> own_io_;
  asio::io_context& io_;
  runtime_config cfg_;
  transaction::transaction_layer layer_;
  std::unique_ptr<transport_set> transports_;
  asio::steady_timer timer_;
  transaction::time_point armed_ = transaction::time_point::max();
  std::map<std::string, request_handler> handlers_;
  struct pending {
    result_handler done;
    std::function<void(const message::message&)> provisional;
    // Kept only while credentials are set: what a 401/407 resend needs.
    std::optional<message::message> sent;
    peer dest;
    auth::digest_client::attempt attempt;
    std::uint32_t cseq = 0;
  };
  /// Adds the Via (and, on a first send with credentials set, answers ahead), starts
  /// the transaction.
  void start(std::string text, const peer& dest, pending p, bool resend, bool add_user_agent);
  /// A response as it goes out (Server added), parsed into `m`; false if it does not parse.
  bool finish(const message::message_builder& response, message::message& m) const;
  /// Runs the authenticator on a request: false when it was answered (401/407/400).
  bool authenticate(incoming_request& r);
  /// A 401/407 to `p`'s request: true when it was sent again.
  bool resend_challenged(pending& p, const message::message& challenge);
  std::map<transaction::txn_id, pending> pending_;
  // The transport failure being handed to the layer: the requests it fails carry why.
  peer failed_peer_;
  std::string failed_why_;
  log_sink log_;
  log_level log_least_ = log_level::debug;
  auth::digest_client* client_auth_ = nullptr;
  auth::digest_server* server_auth_ = nullptr;
  std::vector<timed*> timed_;
  // The store: responses held until the turn's commit.
  /// A response, or a request to send, that waits for the turn's commit; both kinds
  /// in one queue so that they leave in the order they were made (a NOTIFY after the
  /// 200 of its SUBSCRIBE).
  struct held_response {
    transaction::txn_id txn = 0;
    message::message msg;
    std::function<void()> request;  ///< set for a request: sends it
    std::uint64_t turn = 0;         ///< leaves once the commit covering this turn ends
  };
  /// Whether what is sent now must wait behind a commit.
  bool holding() const noexcept {
    return store_healthy_ && (commit_posted_ || in_flight_ || (!held_.empty() && !releasing_));
  }
  void commit_store();
  void committed(std::error_code ec, std::vector<store::entry> taken, std::uint64_t covers);
  void count_commit(std::error_code ec, std::size_t records, transaction::clock::duration took);
  bool store_gated(const message::message& req) const;
  bool send_response(transaction::txn_id txn, const message::message& m);
  store::journal* journal_ = nullptr;
  store::state_store* store_ = nullptr;
  store_policy store_policy_;
  std::deque<held_response> held_;
  std::uint64_t turn_ = 0;  // numbers the turns that write: what a held item waits for
  bool in_flight_ = false;
  bool releasing_ = false;  // sending what a commit held: the next held item is not overtaken
  bool commit_posted_ = false;
  bool store_healthy_ = true;
  transaction::time_point store_retry_at_ = transaction::time_point::max();
  transaction::time_point store_logged_at_{};
  std::uint64_t store_failures_ = 0;  // commits failed since the last log line
  runtime_stats stats_;
  bool pumping_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sipevents::transport

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_TRANSPORT_RUNTIME
#define SIPEVENTS_SEEN_TRANSPORT_RUNTIME
#include "sipevents/impl/definitions.ipp"
#endif
