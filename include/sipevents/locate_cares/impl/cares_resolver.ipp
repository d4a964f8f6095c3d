#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/locate_cares/cares_resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <algorithm>
#include <random>

namespace sipevents::locate_cares {

namespace {
ares_channel ch(void* p) { return static_cast<ares_channel>(p); }

int rr_code(locate::rr_type t) {
  switch (t) {
    case locate::rr_type::naptr: return 35;  // T_NAPTR
    case locate::rr_type::srv: return ns_t_srv;
    case locate::rr_type::a: return ns_t_a;
    case locate::rr_type::aaaa: return ns_t_aaaa;
  }
  return ns_t_a;
}

struct cares_category final : std::error_category {
  const char* name() const noexcept override { return "c-ares"; }
  std::string message(int c) const override { return ares_strerror(c); }
};
const cares_category g_category;
}  // namespace

// The io_context's view of one c-ares socket. The descriptor is c-ares' to close: it
// is released, never closed, here.
struct cares_resolver::watch {
  explicit watch(asio::io_context& io, int fd) : d(io, fd) {}
  ~watch() {
    std::error_code ec;
    d.cancel(ec);
    d.release();
  }
  asio::posix::stream_descriptor d;
  bool want_read = false, want_write = false, reading = false, writing = false;
};

struct cares_resolver::request {
  cares_resolver* self;
  std::weak_ptr<bool> alive;
  locate::query q;
  answer_handler done;
};

SIPEVENTS_INLINE cares_resolver::cares_resolver(asio::io_context& io, resolver_config cfg) : io_(io), cfg_(std::move(cfg)), timer_(io) {
  ares_library_init(ARES_LIB_INIT_ALL);
}

SIPEVENTS_INLINE cares_resolver::~cares_resolver() {
  *alive_ = false;
  if (channel_) ares_destroy(ch(channel_));  // runs the callbacks with ARES_EDESTRUCTION
  watches_.clear();
  ares_library_cleanup();
}

SIPEVENTS_INLINE std::error_code cares_resolver::init() {
  ares_options o{};
  o.sock_state_cb = &cares_resolver::on_sock_state;
  o.sock_state_cb_data = this;
  o.timeout = static_cast<int>(cfg_.timeout.count());
  o.tries = cfg_.tries;
  ares_channel c = nullptr;
  int rc = ares_init_options(&c, &o, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (rc != ARES_SUCCESS) return {rc, g_category};
  channel_ = c;
  if (!cfg_.servers.empty()) {
    rc = ares_set_servers_ports_csv(c, cfg_.servers.c_str());
    if (rc != ARES_SUCCESS) return {rc, g_category};
  }
  return {};
}

SIPEVENTS_INLINE void cares_resolver::on_sock_state(void* p, int fd, int readable, int writable) {
  auto* self = static_cast<cares_resolver*>(p);
  if (!readable && !writable) {
    self->watches_.erase(fd);
    return;
  }
  auto& w = self->watches_[fd];
  if (!w) w = std::make_unique<watch>(self->io_, fd);
  w->want_read = readable;
  w->want_write = writable;
  self->arm(fd);
}

SIPEVENTS_INLINE void cares_resolver::arm(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  watch& w = *it->second;
  std::weak_ptr<bool> alive = alive_;
  if (w.want_read && !w.reading) {
    w.reading = true;
    w.d.async_wait(asio::posix::stream_descriptor::wait_read, [this, fd, alive](std::error_code ec) {
      if (alive.expired()) return;
      if (auto i = watches_.find(fd); i != watches_.end()) i->second->reading = false;
      if (ec) return;
      process(fd, ARES_SOCKET_BAD);
    });
  }
  if (w.want_write && !w.writing) {
    w.writing = true;
    w.d.async_wait(asio::posix::stream_descriptor::wait_write, [this, fd, alive](std::error_code ec) {
      if (alive.expired()) return;
      if (auto i = watches_.find(fd); i != watches_.end()) i->second->writing = false;
      if (ec) return;
      process(ARES_SOCKET_BAD, fd);
    });
  }
}

SIPEVENTS_INLINE void cares_resolver::process(int read_fd, int write_fd) {
  ares_process_fd(ch(channel_), read_fd, write_fd);
  for (auto& [fd, w] : watches_) arm(fd);
  rearm_timer();
}

SIPEVENTS_INLINE void cares_resolver::rearm_timer() {
  timeval tv{};
  if (!ares_timeout(ch(channel_), nullptr, &tv)) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  std::weak_ptr<bool> alive = alive_;
  timer_.async_wait([this, alive](std::error_code ec) {
    if (ec || alive.expired()) return;
    process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  });
}

SIPEVENTS_INLINE void cares_resolver::store(const locate::query& q, const locate::answer& a) {
  if (cfg_.max_cached == 0) return;
  if (cache_.size() >= cfg_.max_cached) {
    auto oldest = std::min_element(cache_.begin(), cache_.end(),
                                   [](const auto& x, const auto& y) { return x.second.until < y.second.until; });
    cache_.erase(oldest);
  }
  const auto ttl = std::min<std::chrono::seconds>(std::chrono::seconds(a.ttl), cfg_.max_ttl);
  cache_[{q.type, q.name}] = {a, std::chrono::steady_clock::now() + ttl};
}

SIPEVENTS_INLINE void cares_resolver::resolve(const locate::query& q, answer_handler done) {
  if (auto it = cache_.find({q.type, q.name}); it != cache_.end()) {
    if (it->second.until > std::chrono::steady_clock::now()) {
      asio::post(io_, [a = it->second.a, done = std::move(done)] { done(a); });
      return;
    }
    cache_.erase(it);
  }
  if (!channel_) {
    asio::post(io_, [done = std::move(done)] { done({}); });
    return;
  }
  auto* r = new request{this, alive_, q, std::move(done)};
  ares_query(ch(channel_), q.name.c_str(), ns_c_in, rr_code(q.type), &cares_resolver::on_answer, r);
  rearm_timer();
}

SIPEVENTS_INLINE void cares_resolver::on_answer(void* arg, int status, int, unsigned char* abuf, int alen) {
  std::unique_ptr<request> r(static_cast<request*>(arg));
  if (r->alive.expired() || status == ARES_EDESTRUCTION) return;
  locate::answer a;
  a.ttl = static_cast<std::uint32_t>(r->self->cfg_.max_ttl.count());
  if (status == ARES_SUCCESS) {
    switch (r->q.type) {
      case locate::rr_type::naptr: {
        ares_naptr_reply* n = nullptr;
        if (ares_parse_naptr_reply(abuf, alen, &n) == ARES_SUCCESS) {
          for (auto* x = n; x; x = x->next)
            a.naptr.push_back({x->order, x->preference, reinterpret_cast<const char*>(x->flags),
                               reinterpret_cast<const char*>(x->service), x->replacement ? x->replacement : ""});
          ares_free_data(n);
        }
        break;
      }
      case locate::rr_type::srv: {
        ares_srv_reply* s = nullptr;
        if (ares_parse_srv_reply(abuf, alen, &s) == ARES_SUCCESS) {
          for (auto* x = s; x; x = x->next) a.srv.push_back({x->priority, x->weight, x->port, x->host});
          ares_free_data(s);
        }
        break;
      }
      case locate::rr_type::a: {
        ares_addrttl ttls[32];
        int n = 32;
        if (ares_parse_a_reply(abuf, alen, nullptr, ttls, &n) == ARES_SUCCESS) {
          for (int i = 0; i < n; ++i) {
            char text[INET_ADDRSTRLEN] = {};
            inet_ntop(AF_INET, &ttls[i].ipaddr, text, sizeof text);
            a.addresses.emplace_back(text);
            a.ttl = std::min(a.ttl, static_cast<std::uint32_t>(std::max(ttls[i].ttl, 0)));
          }
        }
        break;
      }
      case locate::rr_type::aaaa: {
        ares_addr6ttl ttls[32];
        int n = 32;
        if (ares_parse_aaaa_reply(abuf, alen, nullptr, ttls, &n) == ARES_SUCCESS) {
          for (int i = 0; i < n; ++i) {
            char text[INET6_ADDRSTRLEN] = {};
            inet_ntop(AF_INET6, &ttls[i].ip6addr, text, sizeof text);
            a.addresses.emplace_back(text);
            a.ttl = std::min(a.ttl, static_cast<std::uint32_t>(std::max(ttls[i].ttl, 0)));
          }
        }
        break;
      }
    }
  }
  // A name that does not exist is an answer too (RFC 2308 would give its own TTL).
  if (status == ARES_SUCCESS || status == ARES_ENOTFOUND || status == ARES_ENODATA) r->self->store(r->q, a);
  // Not from inside c-ares' own call stack: the handler may start the next query.
  asio::post(r->self->io_, [done = std::move(r->done), a = std::move(a)] { done(a); });
}

SIPEVENTS_INLINE void cares_resolver::locate(std::string uri, locate::locator_config cfg, locate_handler done) {
  struct run : std::enable_shared_from_this<run> {
    cares_resolver* self;
    locate::server_locator l;
    locate_handler done;
    std::weak_ptr<bool> alive;
    run(cares_resolver* s, const std::string& u, locate::locator_config c, locate_handler d)
        : self(s), l(u, std::move(c), [s](std::uint32_t n) {
            return std::uniform_int_distribution<std::uint32_t>(0, n)(s->rng_);
          }),
          done(std::move(d)), alive(s->alive_) {}
    void step() {
      locate::query q;
      while (l.ask(q)) {
        auto me = shared_from_this();
        const std::uint64_t id = q.id;
        self->resolve(q, [me, id](const locate::answer& a) {
          if (me->alive.expired()) return;
          me->l.give(id, a);
          me->step();
        });
      }
      if (l.done() && done) {
        auto d = std::move(done);
        done = nullptr;
        d(l.error(), l.targets());
      }
    }
  };
  auto r = std::make_shared<run>(this, uri, std::move(cfg), std::move(done));
  r->step();
}

}  // namespace sipevents::locate_cares

SIPEVENTS_IMPL_END
