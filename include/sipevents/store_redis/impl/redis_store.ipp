#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/store_redis/redis_store.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace sipevents::store_redis {
namespace ss = sipevents::store;

namespace {

// Writes one partition's share of a commit, and appends what took effect to the
// partition's change stream, atomically. Subscriptions stay off the stream: only
// their owner serves them, and a node taking them over reads them from the hash. A conditional erase (x) takes effect only
// when the stored record has expired by the writer's clock: a refresh stored by
// another node meanwhile wins. Subscriptions (fields s:...) are listed in the
// writer's owner set, which a takeover moves.
// KEYS: records, stream, owner set. ARGV: origin, now_ms, maxlen, then op, field,
// value, expires_ms per entry.
constexpr const char* write_lua = R"lua(
local inc, now, maxlen = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local xadd = {'XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', 'o', inc}
local n = 0
for i = 4, #ARGV, 4 do
  local op, f, v, x = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3]
  local sub = string.byte(f, 1) == 115
  if op == 'p' then
    redis.call('HSET', KEYS[1], f, inc .. '|' .. x .. '|' .. v)
    if sub then
      redis.call('SADD', KEYS[3], f)
    else
      n = n + 1
      xadd[#xadd+1] = 'p' .. f
      xadd[#xadd+1] = v
    end
  else
    local cur = redis.call('HGET', KEYS[1], f)
    local ok = cur ~= false
    if ok and op == 'x' then
      local cx = tonumber(string.match(cur, '^[^|]*|(%d+)|'))
      ok = cx ~= nil and cx > 0 and cx <= now
    end
    if ok then
      redis.call('HDEL', KEYS[1], f)
      if sub then
        redis.call('SREM', KEYS[3], f)
      else
        n = n + 1
        xadd[#xadd+1] = 'e' .. f
        xadd[#xadd+1] = v
      end
    end
  end
end
if n == 0 then return '' end
return redis.call(unpack(xadd))
)lua";

// Joins: records this incarnation as a member with a lease, and ends the lease of
// every earlier incarnation of the same node id (that process is gone: this one
// replaces it), so that the member check hands its subscriptions over at once.
// KEYS: members, own lease, config. ARGV: incarnation, node, lease_ms, lease prefix, partitions.
constexpr const char* join_lua = R"lua(
local parts = redis.call('HGET', KEYS[3], 'partitions')
if parts and parts ~= ARGV[5] then return redis.error_reply('service has ' .. parts .. ' partitions') end
redis.call('HSET', KEYS[3], 'partitions', ARGV[5])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i+1] == ARGV[2] and all[i] ~= ARGV[1] then redis.call('DEL', ARGV[4] .. all[i]) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return 1
)lua";

// Renews a lease; 0 when it had lapsed (and is taken again).
// KEYS: own lease. ARGV: lease_ms.
constexpr const char* renew_lua = R"lua(
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 1 then return 1 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return 0
)lua";

// The members whose lease lapsed. KEYS: members. ARGV: lease prefix.
constexpr const char* dead_lua = R"lua(
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if redis.call('EXISTS', ARGV[1] .. all[i]) == 0 then out[#out+1] = all[i] end
end
return out
)lua";

// Moves a dead incarnation's subscriptions in one partition to the claimer and
// returns them: whoever runs this first for a partition gets them, once.
// KEYS: records, dead's set, claimer's set.
constexpr const char* claim_lua = R"lua(
local f = redis.call('SMEMBERS', KEYS[2])
local out = {}
for i = 1, #f do
  local v = redis.call('HGET', KEYS[1], f[i])
  if v then
    redis.call('SADD', KEYS[3], f[i])
    out[#out+1] = f[i]
    out[#out+1] = v
  end
end
redis.call('DEL', KEYS[2])
return out
)lua";

// Forgets a member once each partition was claimed. KEYS: members. ARGV: incarnation.
constexpr const char* forget_lua = R"lua(
return redis.call('HDEL', KEYS[1], ARGV[1])
)lua";

// Sets a field unless it is there; returns the value that is. KEYS: records. ARGV: field, value.
constexpr const char* once_lua = R"lua(
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])
)lua";

enum script : int { s_write, s_join, s_renew, s_dead, s_claim, s_forget, s_once, s_count };
constexpr const char* scripts[s_count] = {write_lua, join_lua, renew_lua, dead_lua, claim_lua, forget_lua, once_lua};

std::string sha1_hex(std::string_view text) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

char kind_char(ss::record_kind k) {
  switch (k) {
    case ss::record_kind::binding: return 'b';
    case ss::record_kind::publication: return 'p';
    case ss::record_kind::subscription: return 's';
    case ss::record_kind::meta: return 'm';
  }
  return 'm';
}

bool kind_from(char c, ss::record_kind& k) {
  switch (c) {
    case 'b': k = ss::record_kind::binding; return true;
    case 'p': k = ss::record_kind::publication; return true;
    case 's': k = ss::record_kind::subscription; return true;
    case 'm': k = ss::record_kind::meta; return true;
    default: return false;
  }
}

/// "s:KEY" -> (subscription, KEY).
bool split_field(std::string_view f, ss::record_kind& k, std::string& key) {
  if (f.size() < 2 || f[1] != ':' || !kind_from(f[0], k)) return false;
  key.assign(f.substr(2));
  return true;
}

/// "origin|expires|bytes" -> a held record.
bool parse_held(std::string_view field, std::string_view v, held_record& out) {
  if (!split_field(field, out.kind, out.key)) return false;
  const std::size_t a = v.find('|');
  if (a == std::string_view::npos) return false;
  const std::size_t b = v.find('|', a + 1);
  if (b == std::string_view::npos) return false;
  out.origin.assign(v.substr(0, a));
  out.value.assign(v.substr(b + 1));
  return true;
}

/// Stream ids compare as two numbers, "ms-seq".
bool id_less(std::string_view a, std::string_view b) {
  auto parse = [](std::string_view s, std::uint64_t& ms, std::uint64_t& seq) {
    ms = seq = 0;
    const std::size_t d = s.find('-');
    std::from_chars(s.data(), s.data() + (d == std::string_view::npos ? s.size() : d), ms);
    if (d != std::string_view::npos) std::from_chars(s.data() + d + 1, s.data() + s.size(), seq);
  };
  std::uint64_t am, as, bm, bs;
  parse(a, am, as);
  parse(b, bm, bs);
  return am < bm || (am == bm && as < bs);
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<unsigned char>(t >> (8 * (i % 8)));
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

link_config named(link_config c, std::string name) {
  c.name = std::move(name);
  return c;
}

}  // namespace

SIPEVENTS_INLINE redis_store::redis_store(asio::io_context& io, redis_config cfg)
    : io_(io),
      cfg_(std::move(cfg)),
      inc_(cfg_.node + "." + random_hex(4)),
      main_(io, named(cfg_.link, "sipevents:" + cfg_.node + ":store")),
      feed_(io, named(cfg_.link, "sipevents:" + cfg_.node + ":feed")) {
  if (cfg_.partitions == 0) cfg_.partitions = 1;
  for (const char* s : scripts) sha_.push_back(sha1_hex(s));
  positions_.assign(cfg_.partitions, "0-0");
  main_.on_connect([this] {
    load_scripts();
    if (joined_) notice("Redis: store connection made again");
  });
  main_.on_disconnect([this](const std::string& why) { notice("Redis: store connection lost: " + why); });
  feed_.on_connect([this] {
    feed_fresh_ = true;
    feed_reading_ = false;
    if (following_) catch_up();
  });
  feed_.on_disconnect([this](const std::string& why) {
    feed_reading_ = false;
    if (following_) notice("Redis: change feed lost (" + why + "); reading on from where it stopped once back");
  });
}

SIPEVENTS_INLINE redis_store::~redis_store() { *alive_ = false; }

SIPEVENTS_INLINE void redis_store::on_deadline(std::function<void()> f) {
  on_deadline_ = f;
  main_.on_deadline(f);
  feed_.on_deadline(std::move(f));
}

SIPEVENTS_INLINE void redis_store::start() {
  const auto now = clock::now();
  main_.start(now);
  feed_.start(now);
}

SIPEVENTS_INLINE std::string redis_store::pkey(unsigned p, std::string_view what) const {
  return cfg_.prefix + "{p" + std::to_string(p) + "}:" + std::string(what);
}
SIPEVENTS_INLINE std::string redis_store::nkey(std::string_view what) const { return cfg_.prefix + "{nodes}:" + std::string(what); }

SIPEVENTS_INLINE unsigned redis_store::partition_of(std::string_view group) const noexcept {
  // FNV-1a: stable across processes and versions (std::hash is neither).
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : group) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<unsigned>(h % cfg_.partitions);
}

SIPEVENTS_INLINE link_stats redis_store::stats() const noexcept {
  link_stats s = main_.stats();
  s.commands += feed_.stats().commands;
  s.bytes_out += feed_.stats().bytes_out;
  s.errors += feed_.stats().errors;
  s.connects += feed_.stats().connects;
  return s;
}

SIPEVENTS_INLINE void redis_store::load_scripts() {
  // First on a new connection: a restarted Redis has forgotten them, and every
  // EVALSHA sent after these finds them.
  for (const char* s : scripts) main_.command({"SCRIPT", "LOAD", s}, [](std::error_code, const redis_reply&) {});
}

SIPEVENTS_INLINE void redis_store::evalsha(int script, std::vector<std::string> keys, std::vector<std::string> args,
                          redis_link::reply_fn done) {
  std::vector<std::string> cmd;
  cmd.reserve(3 + keys.size() + args.size());
  cmd.push_back("EVALSHA");
  cmd.push_back(sha_[static_cast<std::size_t>(script)]);
  cmd.push_back(std::to_string(keys.size()));
  for (auto& k : keys) cmd.push_back(std::move(k));
  for (auto& a : args) cmd.push_back(std::move(a));
  main_.command(cmd, [this, done = std::move(done)](std::error_code ec, const redis_reply& r) {
    // A script cache emptied under us (SCRIPT FLUSH): the next connection loads them.
    if (ec && r.str.rfind("NOSCRIPT", 0) == 0) main_.drop("scripts missing");
    done(ec, r);
  });
}

SIPEVENTS_INLINE std::error_code redis_store::commit(std::span<const ss::stored>) {
  last_error_ = "the Redis store commits asynchronously only";
  return make_error_code(ss::store_errc::unavailable);
}

SIPEVENTS_INLINE std::error_code redis_store::load(ss::record_kind, const std::function<void(std::string_view, std::string_view)>&) {
  last_error_ = "the Redis store is read with join()";
  return make_error_code(ss::store_errc::unavailable);
}

SIPEVENTS_INLINE void redis_store::commit_async(std::vector<ss::stored> batch, std::function<void(std::error_code)> done) {
  if (!main_.connected()) {
    last_error_ = "Redis " + cfg_.link.host + ":" + std::to_string(cfg_.link.port) + ": " +
                  (main_.last_error().empty() ? "not connected" : main_.last_error());
    std::weak_ptr<bool> alive = alive_;
    asio::post(io_, [done = std::move(done), alive] {
      if (!alive.expired()) done(make_error_code(ss::store_errc::unavailable));
    });
    return;
  }
  // One script call per partition the batch touches, pipelined; the batch is stored
  // when every one of them succeeded.
  std::map<unsigned, std::vector<std::string>> parts;
  for (const ss::stored& s : batch) {
    std::vector<std::string>& a = parts[partition_of(s.group)];
    if (a.empty()) {
      a.push_back(inc_);
      a.push_back(std::to_string(s.now_wall_ms));
      a.push_back(std::to_string(cfg_.stream_max));
    }
    std::string field{kind_char(s.kind), ':'};
    field += s.key;
    if (s.value) {
      a.push_back("p");
      a.push_back(std::move(field));
      a.push_back(*s.value);
      a.push_back(std::to_string(s.expires_wall_ms));
    } else {
      a.push_back(s.if_expired ? "x" : "e");
      a.push_back(std::move(field));
      a.push_back(s.group + "\n" + s.reason);
      a.push_back("0");
    }
  }
  struct state {
    std::size_t left;
    std::error_code ec;
    std::function<void(std::error_code)> done;
  };
  auto st = std::make_shared<state>(state{parts.size(), {}, std::move(done)});
  for (auto& [p, args] : parts) {
    evalsha(s_write, {pkey(p, "r"), pkey(p, "c"), pkey(p, "s:" + inc_)}, std::move(args),
            [this, st](std::error_code ec, const redis_reply& r) {
              if (ec && !st->ec) {
                st->ec = make_error_code(ss::store_errc::unavailable);
                last_error_ = "Redis: " + (r.str.empty() ? ec.message() : r.str);
              }
              if (--st->left == 0) st->done(st->ec);
            });
  }
}

struct redis_store::scan_job {
  unsigned p = 0;
  std::string last_id;
  std::vector<held_record> out;
  std::function<void(std::error_code, std::string, std::vector<held_record>)> done;
};

SIPEVENTS_INLINE void redis_store::read_partition(unsigned p,
                                 std::function<void(std::error_code, std::string, std::vector<held_record>)> done) {
  auto job = std::make_shared<scan_job>();
  job->p = p;
  job->done = std::move(done);
  // The position first: what changes during the scan is read again from the stream,
  // and applying a write twice changes nothing.
  main_.command({"XREVRANGE", pkey(p, "c"), "+", "-", "COUNT", "1"}, [this, job](std::error_code ec,
                                                                              const redis_reply& r) {
    if (ec) return job->done(ec, {}, {});
    job->last_id = "0-0";
    if (r.type == redis_reply::kind::array && !r.elements.empty() && !r.elements[0].elements.empty())
      job->last_id = r.elements[0].elements[0].str;
    auto page = std::make_shared<std::function<void(std::string)>>();
    *page = [this, job, page](std::string cursor) {
      main_.command({"HSCAN", pkey(job->p, "r"), cursor, "COUNT", std::to_string(cfg_.scan_count)},
                    [job, page](std::error_code ec2, const redis_reply& rr) {
                      if (ec2 || rr.elements.size() != 2) {
                        auto d = std::move(job->done);
                        *page = nullptr;  // breaks the self-reference
                        return d(ec2 ? ec2 : make_error_code(redis_errc::reply_error), {}, {});
                      }
                      const auto& kv = rr.elements[1].elements;
                      for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
                        held_record h;
                        if (parse_held(kv[i].str, kv[i + 1].str, h)) job->out.push_back(std::move(h));
                      }
                      if (rr.elements[0].str == "0") {
                        auto d = std::move(job->done);
                        auto f = std::move(*page);
                        d({}, job->last_id, std::move(job->out));
                        return;
                      }
                      auto next = *page;
                      next(rr.elements[0].str);
                    });
    };
    auto first = *page;
    first("0");
  });
}

SIPEVENTS_INLINE void redis_store::join(std::function<void(std::error_code, std::vector<held_record>)> done) {
  const auto lease_ms = std::to_string(cfg_.lease.count());
  evalsha(s_join, {nkey("m"), nkey("l:" + inc_), nkey("config")},
          {inc_, cfg_.node, lease_ms, nkey("l:"), std::to_string(cfg_.partitions)},
          [this, done = std::move(done)](std::error_code ec, const redis_reply& r) mutable {
            if (ec) {
              last_error_ = r.str.empty() ? ec.message() : r.str;
              return done(ec, {});
            }
            joined_ = true;
            const auto now = clock::now();
            lease_until_ = now + cfg_.lease;
            renew_at_ = now + cfg_.lease / 3;
            check_at_ = now;  // an earlier incarnation of this node is claimed at once
            if (on_deadline_) on_deadline_();
            read_all(std::move(done));
          });
}

SIPEVENTS_INLINE void redis_store::read_all(std::function<void(std::error_code, std::vector<held_record>)> done) {
  struct all {
    std::size_t left;
    std::error_code ec;
    std::vector<held_record> out;
    std::function<void(std::error_code, std::vector<held_record>)> done;
  };
  auto st = std::make_shared<all>(all{cfg_.partitions, {}, {}, std::move(done)});
  for (unsigned p = 0; p < cfg_.partitions; ++p) {
    read_partition(p, [this, st, p](std::error_code e, std::string id, std::vector<held_record> recs) {
      if (e && !st->ec) st->ec = e;
      positions_[p] = std::move(id);
      for (auto& h : recs) st->out.push_back(std::move(h));
      if (--st->left == 0) st->done(st->ec, st->ec ? std::vector<held_record>{} : std::move(st->out));
    });
  }
}

SIPEVENTS_INLINE void redis_store::follow(std::function<void(const remote_change&)> on_change,
                         std::function<void(unsigned, std::vector<held_record>)> resync) {
  on_change_ = std::move(on_change);
  on_resync_ = std::move(resync);
  following_ = true;
  feed_fresh_ = false;  // the positions are join()'s: nothing was missed
  read_feed();
}

SIPEVENTS_INLINE void redis_store::catch_up() {
  if (!feed_fresh_) return read_feed();
  feed_fresh_ = false;
  ++fstats_.reconnects;
  // Entries trimmed past our position are lost to the stream: those partitions are
  // read whole again.
  struct st_t {
    std::size_t left;
    std::vector<unsigned> gaps;
  };
  auto st = std::make_shared<st_t>(st_t{cfg_.partitions, {}});
  for (unsigned p = 0; p < cfg_.partitions; ++p) {
    feed_.command({"XINFO", "STREAM", pkey(p, "c")}, [this, st, p](std::error_code ec, const redis_reply& r) {
      if (!ec && r.type == redis_reply::kind::array) {
        for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
          if (r.elements[i].str == "max-deleted-entry-id" && id_less(positions_[p], r.elements[i + 1].str))
            st->gaps.push_back(p);
        }
      }
      if (--st->left) return;
      notice("Redis: change feed back; " +
             (st->gaps.empty() ? std::string("catching up from the stream positions it had")
                               : std::to_string(st->gaps.size()) + " partitions trimmed past its position are read again"));
      for (unsigned gp : st->gaps) {
        ++fstats_.resyncs;
        read_partition(gp, [this, gp](std::error_code e, std::string id, std::vector<held_record> recs) {
          if (e) return;  // the next reconnect tries again
          positions_[gp] = std::move(id);
          if (on_resync_) on_resync_(gp, std::move(recs));
        });
      }
      read_feed();
    });
  }
}

SIPEVENTS_INLINE void redis_store::read_feed() {
  if (!following_ || feed_reading_ || !feed_.connected()) return;
  feed_reading_ = true;
  std::vector<std::string> cmd{"XREAD", "COUNT", "1000", "BLOCK", std::to_string(cfg_.block.count()), "STREAMS"};
  for (unsigned p = 0; p < cfg_.partitions; ++p) cmd.push_back(pkey(p, "c"));
  for (unsigned p = 0; p < cfg_.partitions; ++p) cmd.push_back(positions_[p]);
  feed_.command(
      cmd,
      [this](std::error_code ec, const redis_reply& r) {
        feed_reading_ = false;
        if (ec) return;  // the connection is dropped and made again: on_connect reads on
        if (r.type == redis_reply::kind::array) {
          for (const redis_reply& stream : r.elements) {
            if (stream.elements.size() != 2) continue;
            const std::string& key = stream.elements[0].str;
            // "P{pN}:c" -> N
            const std::size_t open = key.rfind("{p");
            unsigned p = 0;
            if (open == std::string::npos ||
                std::from_chars(key.data() + open + 2, key.data() + key.size(), p).ec != std::errc() ||
                p >= cfg_.partitions)
              continue;
            for (const redis_reply& e : stream.elements[1].elements) {
              if (e.elements.size() != 2) continue;
              positions_[p] = e.elements[0].str;
              const auto& f = e.elements[1].elements;
              if (f.size() < 2 || f[0].str != "o" || f[1].str == inc_) continue;  // our own
              remote_change c;
              c.origin = f[1].str;
              c.partition = p;
              for (std::size_t i = 2; i + 1 < f.size(); i += 2) {
                const std::string& name = f[i].str;
                ss::stored s;
                if (name.size() < 3 || !split_field(std::string_view(name).substr(1), s.kind, s.key)) continue;
                if (name[0] == 'p') {
                  s.value = f[i + 1].str;
                } else {
                  const std::string& v = f[i + 1].str;
                  const std::size_t nl = v.find('\n');
                  s.group = v.substr(0, nl);
                  if (nl != std::string::npos) s.reason = v.substr(nl + 1);
                }
                c.entries.push_back(std::move(s));
              }
              ++fstats_.changes;
              fstats_.entries += c.entries.size();
              if (!c.entries.empty()) deliver(std::move(c));
            }
          }
        }
        read_feed();
      },
      cfg_.block + cfg_.link.command_timeout);
}

SIPEVENTS_INLINE void redis_store::put_meta_once(const std::string& name, const std::string& bytes,
                                std::function<void(std::error_code, std::string)> done) {
  evalsha(s_once, {pkey(partition_of(""), "r")}, {std::string("m:") + name, inc_ + "|0|" + bytes},
          [done = std::move(done)](std::error_code ec, const redis_reply& r) {
            held_record h;
            if (ec || !parse_held("m:x", r.str, h)) return done(ec ? ec : make_error_code(redis_errc::reply_error), {});
            done({}, std::move(h.value));
          });
}

SIPEVENTS_INLINE transaction::time_point redis_store::next_deadline() const {
  transaction::time_point t = std::min(main_.deadline(), feed_.deadline());
  if (joined_) t = std::min({t, renew_at_, check_at_});
  return t;
}

SIPEVENTS_INLINE void redis_store::advance(transaction::time_point now) {
  main_.advance(now);
  feed_.advance(now);
  if (joined_ && now >= renew_at_) renew(now);
  if (joined_ && now >= check_at_) {
    check_at_ = now + cfg_.lease / 3;
    check_members();
  }
}

SIPEVENTS_INLINE void redis_store::deliver(remote_change c) {
  // A node that may have lost its lease (paused, cut off) acts on nothing until it
  // knows: another node may own its watchers by now.
  if (joined_ && clock::now() >= lease_until_) {
    held_feed_.push_back(std::move(c));
    renew(clock::now());
    return;
  }
  if (on_change_) on_change_(c);
}

SIPEVENTS_INLINE void redis_store::release_held() {
  auto held = std::move(held_feed_);
  held_feed_.clear();
  for (auto& c : held)
    if (on_change_) on_change_(c);
}

SIPEVENTS_INLINE void redis_store::renew(transaction::time_point now) {
  renew_at_ = now + cfg_.lease / 3;
  if (renewing_ || !main_.connected()) return;
  renewing_ = true;
  evalsha(s_renew, {nkey("l:" + inc_)}, {std::to_string(cfg_.lease.count())},
          [this, sent = now](std::error_code ec, const redis_reply& r) {
            renewing_ = false;
            if (ec) return;
            lease_until_ = sent + cfg_.lease;
            if (r.integer != 0) return release_held();
            notice("Redis: this node's lease had lapsed; taken again");
            // The lease had lapsed: another node may have claimed our subscriptions.
            // Ask which are still ours (SMEMBERS per partition) and tell the owner.
            struct st_t {
              std::size_t left;
              std::vector<std::string> keys;
            };
            auto st = std::make_shared<st_t>(st_t{cfg_.partitions, {}});
            for (unsigned p = 0; p < cfg_.partitions; ++p) {
              main_.command({"SMEMBERS", pkey(p, "s:" + inc_)}, [this, st](std::error_code e, const redis_reply& rr) {
                if (!e)
                  for (const auto& m : rr.elements)
                    if (m.str.size() > 2) st->keys.push_back(m.str.substr(2));
                if (--st->left) return;
                if (on_lease_lost_) on_lease_lost_(std::move(st->keys));
                release_held();
              });
            }
          });
}

SIPEVENTS_INLINE void redis_store::check_members() {
  if (checking_ || !main_.connected()) return;
  checking_ = true;
  evalsha(s_dead, {nkey("m")}, {nkey("l:")}, [this](std::error_code ec, const redis_reply& r) {
    checking_ = false;
    if (ec) return;
    for (const redis_reply& d : r.elements)
      if (d.str != inc_ && std::find(claiming_.begin(), claiming_.end(), d.str) == claiming_.end()) claim(d.str);
  });
}

SIPEVENTS_INLINE void redis_store::claim(const std::string& dead) {
  claiming_.push_back(dead);
  struct st_t {
    std::size_t left;
    bool failed = false;
    std::vector<held_record> got;
  };
  auto st = std::make_shared<st_t>(st_t{cfg_.partitions, false, {}});
  for (unsigned p = 0; p < cfg_.partitions; ++p) {
    evalsha(s_claim, {pkey(p, "r"), pkey(p, "s:" + dead), pkey(p, "s:" + inc_)}, {},
            [this, st, dead](std::error_code ec, const redis_reply& r) {
              if (ec) st->failed = true;
              for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
                held_record h;
                if (parse_held(r.elements[i].str, r.elements[i + 1].str, h)) st->got.push_back(std::move(h));
              }
              if (--st->left) return;
              std::erase(claiming_, dead);
              // Every partition was claimed (by us or another node): the member is gone.
              if (!st->failed) evalsha(s_forget, {nkey("m")}, {dead}, [](std::error_code, const redis_reply&) {});
              fstats_.claimed += st->got.size();
              if (on_claimed_ && !st->got.empty()) on_claimed_(dead, std::move(st->got));
            });
  }
}

}  // namespace sipevents::store_redis

SIPEVENTS_IMPL_END
