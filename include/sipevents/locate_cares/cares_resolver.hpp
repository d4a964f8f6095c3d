// c-ares on an Asio io_context behind the RFC 3263 locator: answers its NAPTR, SRV,
// A and AAAA queries asynchronously (c-ares does the DNS wire work; its sockets are
// watched by the io_context, its timeouts by one timer), caches answers for their
// TTL, and runs whole locations. Threading: as the io_context (one thread).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_LOCATE_CARES_CARES_RESOLVER
#endif
#include <asio.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "sipevents/locate/server_locator.hpp"

namespace sipevents::locate_cares {

struct resolver_config {
  /// DNS servers, "127.0.0.1:5353,192.0.2.53" (c-ares' csv); empty: the system's.
  std::string servers;
  std::chrono::milliseconds timeout{1500};  ///< per try
  int tries = 2;
  /// NAPTR and SRV answers are kept this long (c-ares 1.18 does not hand their TTL
  /// out); A and AAAA answers for their own TTL, at most this long either.
  std::chrono::seconds max_ttl{300};
  std::size_t max_cached = 10'000;  ///< answers kept; the oldest go first
};

class cares_resolver {
 public:
  using answer_handler = std::function<void(const locate::answer&)>;
  using locate_handler = std::function<void(locate::locate_error, std::vector<transaction::peer>)>;

  explicit cares_resolver(asio::io_context& io, resolver_config cfg = {});
  ~cares_resolver();
  cares_resolver(const cares_resolver&) = delete;
  cares_resolver& operator=(const cares_resolver&) = delete;

  /// Sets c-ares up (bad servers, no memory): an error, and every query then fails.
  std::error_code init();
  /// One query; `done` runs on the io_context (an empty answer for NXDOMAIN, no data,
  /// a timeout or any error).
  void resolve(const locate::query& q, answer_handler done);
  /// RFC 3263 for `uri`: the targets in the order to try them, or why there are none.
  void locate(std::string uri, locate::locator_config cfg, locate_handler done);
  std::size_t cached() const noexcept { return cache_.size(); }

 private:
  struct watch;
  struct request;
  static void on_sock_state(void* self, int fd, int readable, int writable);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
  void arm(int fd);
  void process(int read_fd, int write_fd);
  void rearm_timer();
  void store(const locate::query& q, const locate::answer& a);

  asio::io_context& io_;
  resolver_config cfg_;
  void* channel_ = nullptr;  // ares_channel, kept opaque in this header
  std::map<int, std::unique_ptr<watch>> watches_;
  asio::steady_timer timer_;
  struct cached_answer {
    locate::answer a;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::pair<locate::rr_type, std::string>, cached_answer> cache_;
  std::mt19937 rng_{std::random_device{}()};  // SRV weights (RFC 2782): not a secret
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sipevents::locate_cares

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_LOCATE_CARES_CARES_RESOLVER
#define SIPEVENTS_SEEN_LOCATE_CARES_CARES_RESOLVER
#include "sipevents/impl/definitions.ipp"
#endif
