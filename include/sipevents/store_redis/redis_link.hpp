// One connection to a Redis server: hiredis' asynchronous context on an Asio
// io_context. hiredis 0.14 has no timeouts, so every command carries a deadline that
// the owner's timer (the runtime's one timer, through deadline()/advance()) enforces:
// a command not answered in time drops the connection, which fails everything
// pending on it. A dropped or refused connection is made again with backoff; the
// event loop never blocks.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_STORE_REDIS_REDIS_LINK
#endif
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace sipevents::store_redis {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;

enum class redis_errc {
  disconnected = 1,  ///< no connection now (refused, dropped, not made yet)
  timeout,           ///< not answered in time: the connection was dropped
  reply_error,       ///< Redis answered with an error (redis_reply::str says which)
};
const std::error_category& redis_category() noexcept;
inline std::error_code make_error_code(redis_errc e) noexcept { return {static_cast<int>(e), redis_category()}; }

/// A reply, copied out of hiredis.
struct redis_reply {
  enum class kind : std::uint8_t { nil, status, error, integer, string, array };
  kind type = kind::nil;
  std::string str;             ///< status, error or string
  long long integer = 0;
  std::vector<redis_reply> elements;
  bool is_nil() const noexcept { return type == kind::nil; }
};

struct link_config {
  std::string host = "127.0.0.1";
  int port = 6379;
  /// CLIENT SETNAME after each connect: what CLIENT LIST and CLIENT KILL name it by.
  std::string name;
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds backoff_min{100};  ///< first wait before connecting again
  std::chrono::milliseconds backoff_max{2000};
};

/// What a link sent and received since it was made (for load reports).
struct link_stats {
  std::uint64_t commands = 0;
  std::uint64_t bytes_out = 0;  ///< the RESP encoding of the commands
  std::uint64_t errors = 0;
  std::uint64_t connects = 0;
};

class redis_link {
 public:
  using reply_fn = std::function<void(std::error_code, const redis_reply&)>;

  redis_link(asio::io_context& io, link_config cfg);
  ~redis_link();
  redis_link(const redis_link&) = delete;
  redis_link& operator=(const redis_link&) = delete;

  /// Connects, and from then on connects again whenever the connection goes.
  void start(time_point now);
  bool connected() const noexcept { return connected_; }

  /// Sends a command. `done` is called once, on the io_context's thread: with the
  /// reply, or with an error (disconnected at once when there is no connection). A
  /// `timeout` of zero takes the configured one; a negative one waits for ever (for
  /// blocking reads that carry their own).
  void command(const std::vector<std::string>& args, reply_fn done,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  /// Called after each connect, once the connection is named; commands sent from here
  /// go first.
  void on_connect(std::function<void()> f) { on_connect_ = std::move(f); }
  /// Called when a connection goes (with why), or a connect fails.
  void on_disconnect(std::function<void(const std::string&)> f) { on_disconnect_ = std::move(f); }
  /// Called when the deadline may have moved earlier (the owner re-arms its timer).
  void on_deadline(std::function<void()> f) { on_deadline_ = std::move(f); }

  /// The earliest command deadline or reconnect time.
  time_point deadline() const noexcept;
  /// Drops the connection when a command is overdue; connects again when it is time.
  void advance(time_point now);
  /// Closes the connection (failing what is pending) and connects again after the backoff.
  void drop(const std::string& why);

  const std::string& last_error() const noexcept { return last_error_; }
  const link_stats& stats() const noexcept { return stats_; }
  const link_config& config() const noexcept { return cfg_; }

 private:
  struct pending {
    reply_fn done;
    time_point deadline = time_point::max();
  };
  struct events;  // the Asio side of hiredis' event hooks
  static void on_reply(redisAsyncContext* ac, void* reply, void* priv);
  static void on_connected(const redisAsyncContext* ac, int status);
  static void on_disconnected(const redisAsyncContext* ac, int status);
  void connect(time_point now);
  void lost(const std::string& why);
  void fail_all(std::error_code ec);
  void schedule_reconnect(time_point now);

  asio::io_context& io_;
  link_config cfg_;
  redisAsyncContext* ac_ = nullptr;
  std::shared_ptr<events> ev_;
  bool connected_ = false;
  bool started_ = false;
  bool dropping_ = false;  // inside our own free: hiredis' callbacks must not recurse
  std::uint64_t next_id_ = 0;
  std::uint64_t connecting_id_ = 0;  // the pending entry that times a connect out
  std::error_code drop_error_;       // what pending commands fail with while we drop
  std::map<std::uint64_t, pending> pending_;
  time_point reconnect_at_ = time_point::max();
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
  link_stats stats_;
  std::function<void()> on_connect_;
  std::function<void(const std::string&)> on_disconnect_;
  std::function<void()> on_deadline_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sipevents::store_redis

/// \cond INTERNAL
template <>
struct std::is_error_code_enum<sipevents::store_redis::redis_errc> : std::true_type {};
/// \endcond

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_STORE_REDIS_REDIS_LINK
#define SIPEVENTS_SEEN_STORE_REDIS_REDIS_LINK
#include "sipevents/impl/definitions.ipp"
#endif
