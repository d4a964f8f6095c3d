#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/store_redis/redis_link.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>

namespace sipevents::store_redis {

namespace {
class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sipevents.redis"; }
  std::string message(int c) const override {
    switch (static_cast<redis_errc>(c)) {
      case redis_errc::disconnected: return "not connected to Redis";
      case redis_errc::timeout: return "Redis did not answer in time";
      case redis_errc::reply_error: return "Redis answered with an error";
    }
    return "unknown Redis error";
  }
};

redis_reply copy(const redisReply* r) {
  redis_reply out;
  if (!r) return out;
  switch (r->type) {
    case REDIS_REPLY_STATUS: out.type = redis_reply::kind::status; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_ERROR: out.type = redis_reply::kind::error; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_INTEGER: out.type = redis_reply::kind::integer; out.integer = r->integer; break;
    case REDIS_REPLY_STRING: out.type = redis_reply::kind::string; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_ARRAY:
      out.type = redis_reply::kind::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy(r->element[i]));
      break;
    default: break;  // nil
  }
  return out;
}

std::size_t resp_size(const std::vector<std::string>& args) {
  std::size_t n = 16;
  for (const auto& a : args) n += a.size() + 16;
  return n;
}
}  // namespace

SIPEVENTS_INLINE const std::error_category& redis_category() noexcept {
  static const category c;
  return c;
}

// hiredis asks for read and write interest through these hooks; each is served by one
// async_wait on the socket at a time. The descriptor is hiredis', released (never
// closed) when hiredis cleans up.
struct redis_link::events : std::enable_shared_from_this<redis_link::events> {
  asio::posix::stream_descriptor sd;
  redisAsyncContext* ac = nullptr;
  bool want_read = false, want_write = false, reading = false, writing = false;
  events(asio::io_context& io, int fd) : sd(io, fd) {}

  void wait_read() {
    if (reading || !ac) return;
    reading = true;
    sd.async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](std::error_code ec) {
      self->reading = false;
      if (ec || !self->ac || !self->want_read) return;
      redisAsyncHandleRead(self->ac);
      if (self->ac && self->want_read) self->wait_read();
    });
  }
  void wait_write() {
    if (writing || !ac) return;
    writing = true;
    sd.async_wait(asio::posix::stream_descriptor::wait_write, [self = shared_from_this()](std::error_code ec) {
      self->writing = false;
      if (ec || !self->ac || !self->want_write) return;
      redisAsyncHandleWrite(self->ac);
      if (self->ac && self->want_write) self->wait_write();
    });
  }
  static void add_read(void* p) {
    auto* e = static_cast<events*>(p);
    e->want_read = true;
    e->wait_read();
  }
  static void del_read(void* p) { static_cast<events*>(p)->want_read = false; }
  static void add_write(void* p) {
    auto* e = static_cast<events*>(p);
    e->want_write = true;
    e->wait_write();
  }
  static void del_write(void* p) { static_cast<events*>(p)->want_write = false; }
  static void cleanup(void* p) {
    auto* e = static_cast<events*>(p);
    e->ac = nullptr;
    e->want_read = e->want_write = false;
    std::error_code ignored;
    e->sd.cancel(ignored);
    (void)e->sd.release();
  }
};

SIPEVENTS_INLINE redis_link::redis_link(asio::io_context& io, link_config cfg) : io_(io), cfg_(std::move(cfg)) {}

SIPEVENTS_INLINE redis_link::~redis_link() {
  *alive_ = false;
  if (ac_) {
    dropping_ = true;
    on_connect_ = {};
    on_disconnect_ = {};
    pending_.clear();  // nobody to tell
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    ac->data = nullptr;
    redisAsyncFree(ac);
  }
}

SIPEVENTS_INLINE void redis_link::start(time_point now) {
  started_ = true;
  if (!ac_) connect(now);
}

SIPEVENTS_INLINE time_point redis_link::deadline() const noexcept {
  time_point t = reconnect_at_;
  for (const auto& [id, p] : pending_) t = std::min(t, p.deadline);
  return t;
}

SIPEVENTS_INLINE void redis_link::connect(time_point now) {
  reconnect_at_ = time_point::max();
  ++stats_.connects;
  redisAsyncContext* ac = redisAsyncConnect(cfg_.host.c_str(), cfg_.port);
  if (!ac || ac->err) {
    last_error_ = ac ? ac->errstr : "out of memory";
    if (ac) redisAsyncFree(ac);
    schedule_reconnect(now);
    return;
  }
  ac->data = this;
  ev_ = std::make_shared<events>(io_, ac->c.fd);
  ev_->ac = ac;
  ac->ev.data = ev_.get();
  ac->ev.addRead = &events::add_read;
  ac->ev.delRead = &events::del_read;
  ac->ev.addWrite = &events::add_write;
  ac->ev.delWrite = &events::del_write;
  ac->ev.cleanup = &events::cleanup;
  ac_ = ac;
  redisAsyncSetDisconnectCallback(ac, &redis_link::on_disconnected);
  // Arms the write interest that reports the connect: the hooks are in place first.
  redisAsyncSetConnectCallback(ac, &redis_link::on_connected);
  // A connect that hangs (a black-holed address) is dropped like a late command.
  pending_.emplace(++next_id_, pending{[](std::error_code, const redis_reply&) {}, now + cfg_.command_timeout});
  connecting_id_ = next_id_;
}

SIPEVENTS_INLINE void redis_link::on_connected(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<redis_link*>(ac->data);
  if (!self) return;
  self->pending_.erase(self->connecting_id_);
  if (status != REDIS_OK) {
    // hiredis frees the context after this returns.
    self->lost(ac->errstr ? ac->errstr : "connect failed");
    return;
  }
  self->connected_ = true;
  self->backoff_ = std::chrono::milliseconds(0);
  if (!self->cfg_.name.empty()) self->command({"CLIENT", "SETNAME", self->cfg_.name}, [](std::error_code, const redis_reply&) {});
  if (self->on_connect_) self->on_connect_();
}

SIPEVENTS_INLINE void redis_link::on_disconnected(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<redis_link*>(ac->data);
  if (!self || self->dropping_) return;
  // hiredis frees the context after this returns.
  self->lost(status == REDIS_OK ? "connection closed" : (ac->errstr ? ac->errstr : "connection lost"));
}

SIPEVENTS_INLINE void redis_link::on_reply(redisAsyncContext* ac, void* reply, void* priv) {
  auto* self = static_cast<redis_link*>(ac->data);
  if (!self) return;
  auto it = self->pending_.find(reinterpret_cast<std::uintptr_t>(priv));
  if (it == self->pending_.end()) return;
  reply_fn done = std::move(it->second.done);
  self->pending_.erase(it);
  auto* r = static_cast<redisReply*>(reply);
  if (!r) {
    // The connection is going: everything pending fails.
    self->connected_ = false;
    ++self->stats_.errors;
    done(self->drop_error_ ? self->drop_error_ : make_error_code(redis_errc::disconnected), redis_reply{});
    return;
  }
  redis_reply out = copy(r);
  if (out.type == redis_reply::kind::error) {
    ++self->stats_.errors;
    self->last_error_ = out.str;
    done(make_error_code(redis_errc::reply_error), out);
    return;
  }
  done({}, out);
}

SIPEVENTS_INLINE void redis_link::command(const std::vector<std::string>& args, reply_fn done, std::chrono::milliseconds timeout) {
  auto fail_later = [this](reply_fn d, std::error_code ec) {
    std::weak_ptr<bool> alive = alive_;
    asio::post(io_, [d = std::move(d), ec, alive] {
      if (!alive.expired()) d(ec, redis_reply{});
    });
  };
  if (!ac_ || !connected_) {
    ++stats_.errors;
    fail_later(std::move(done), make_error_code(redis_errc::disconnected));
    return;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  const std::uint64_t id = ++next_id_;
  const time_point was = deadline();
  pending p;
  p.done = std::move(done);
  if (timeout.count() >= 0)
    p.deadline = clock::now() + (timeout.count() == 0 ? cfg_.command_timeout : timeout);
  const time_point dl = p.deadline;
  auto it = pending_.emplace(id, std::move(p)).first;
  if (redisAsyncCommandArgv(ac_, &redis_link::on_reply, reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)),
                            static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK) {
    reply_fn d = std::move(it->second.done);
    pending_.erase(it);
    ++stats_.errors;
    fail_later(std::move(d), make_error_code(redis_errc::disconnected));
    return;
  }
  ++stats_.commands;
  stats_.bytes_out += resp_size(args);
  if (dl < was && on_deadline_) on_deadline_();
}

SIPEVENTS_INLINE void redis_link::advance(time_point now) {
  if (ac_) {
    for (const auto& [id, p] : pending_) {
      if (p.deadline <= now) {
        drop_error_ = make_error_code(redis_errc::timeout);
        drop(connected_ ? "a command was not answered in time" : "connect timed out");
        drop_error_ = {};
        break;
      }
    }
  }
  if (!ac_ && started_ && reconnect_at_ <= now) connect(now);
}

SIPEVENTS_INLINE void redis_link::drop(const std::string& why) {
  if (!ac_) return;
  redisAsyncContext* ac = ac_;
  dropping_ = true;
  // Pending callbacks run inside the free with a null reply and fail.
  redisAsyncFree(ac);
  dropping_ = false;
  lost(why);
}

SIPEVENTS_INLINE void redis_link::lost(const std::string& why) {
  const bool was = ac_ != nullptr;
  ac_ = nullptr;
  ev_.reset();
  connected_ = false;
  last_error_ = why;
  fail_all(drop_error_ ? drop_error_ : make_error_code(redis_errc::disconnected));
  if (!was) return;
  schedule_reconnect(clock::now());
  if (on_disconnect_) on_disconnect_(why);
}

SIPEVENTS_INLINE void redis_link::fail_all(std::error_code ec) {
  auto p = std::move(pending_);
  pending_.clear();
  for (auto& [id, x] : p) {
    ++stats_.errors;
    x.done(ec, redis_reply{});
  }
}

SIPEVENTS_INLINE void redis_link::schedule_reconnect(time_point now) {
  if (!started_) return;
  backoff_ = backoff_.count() == 0 ? cfg_.backoff_min : std::min(backoff_ * 2, cfg_.backoff_max);
  reconnect_at_ = now + backoff_;
  if (on_deadline_) on_deadline_();
}

}  // namespace sipevents::store_redis

SIPEVENTS_IMPL_END
