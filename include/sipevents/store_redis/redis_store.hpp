// Redis behind store::state_store, for a service of several notifier nodes: every
// node writes its records here and reads every other node's changes back, leases
// say which nodes live, and a dead node's subscriptions are claimed by a live one.
//
// Layout (P: the service prefix; {pN}: the hash tag of partition N, which a record's
// group (AoR, resource) hashes to, so a resource's records and its changes share a
// Redis Cluster slot and one script writes them atomically):
//   P{pN}:r          hash   kind:key -> "origin|expires_ms|record bytes"
//   P{pN}:c          stream one entry per commit to the partition: o=origin, then
//                           p<kind:key>=bytes for each put, e<kind:key>=group\nreason
//                           for each erase that took effect (bindings, publications
//                           and meta records: subscriptions only their owner serves)
//   P{pN}:s:<inc>    set    the subscriptions node incarnation <inc> owns there
//   P{nodes}:m       hash   incarnation -> node id: the members of the service
//   P{nodes}:l:<inc> string the lease of an incarnation (expires unless renewed)
//
// Changes travel on streams rather than pub/sub: a node that was disconnected reads
// on from the last entry it saw, and one whose position was trimmed away reads the
// partition again (resync). Nothing here knows SIP: records are opaque bytes.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_STORE_REDIS_REDIS_STORE
#endif
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sipevents/store/state_store.hpp"
#include "sipevents/store_redis/redis_link.hpp"
#include "sipevents/transport/runtime.hpp"

namespace sipevents::store_redis {

struct redis_config {
  link_config link;  ///< host, port and command timeout (the name is set per link)
  /// The service: every node with the same prefix shares one state.
  std::string prefix = "sipevents:";
  /// Partitions the records and change streams are spread over; every node of a
  /// service must agree (the first node records it, others are refused otherwise).
  unsigned partitions = 16;
  /// This node's id; unique within the service. A process that starts with the id of
  /// one that died takes its subscriptions back at once.
  std::string node = "node";
  /// A node whose lease is not renewed for this long is dead; renewed every third.
  std::chrono::milliseconds lease{5000};
  /// Entries kept per change stream (approximately); a node further behind resyncs.
  std::size_t stream_max = 100'000;
  /// How long one blocking read of the change streams waits.
  std::chrono::milliseconds block{1000};
  /// Records asked for per HSCAN page when a partition is read.
  std::size_t scan_count = 1000;
};

/// A record as a partition holds it.
struct held_record {
  store::record_kind kind = store::record_kind::meta;
  std::string key;
  std::string origin;  ///< the incarnation that wrote it last
  std::string value;   ///< store::encode bytes
};

/// What another node changed in one partition with one commit, in order.
struct remote_change {
  std::string origin;
  unsigned partition = 0;
  std::vector<store::stored> entries;  ///< puts carry value; erases group and reason
};

class redis_store final : public store::state_store, public transport::timed {
 public:
  redis_store(asio::io_context& io, redis_config cfg);
  ~redis_store() override;

  /// Connects (and keeps reconnecting). Call once, then join().
  void start();
  /// Joins the service: checks the partition count, takes a lease, and reads every
  /// partition. `done` gets everything held (or an error); the change streams are
  /// read from that instant on once follow() is called.
  void join(std::function<void(std::error_code, std::vector<held_record>)> done);
  /// Reads every partition without joining (a dump, a check): nothing is written.
  void read_all(std::function<void(std::error_code, std::vector<held_record>)> done);
  /// Reads other nodes' changes for ever from the positions join() took; after a
  /// reconnect it reads on where it stopped, or (when the streams were trimmed past
  /// it) hands the whole partition to `resync`.
  void follow(std::function<void(const remote_change&)> on_change,
              std::function<void(unsigned partition, std::vector<held_record>)> resync);
  /// Called with the subscriptions claimed from a dead incarnation (the values of
  /// the records now owned by this node).
  void on_claimed(std::function<void(const std::string& dead, std::vector<held_record>)> f) {
    on_claimed_ = std::move(f);
  }
  /// Called when this node's own lease was found lapsed (others may have claimed
  /// its subscriptions): with the subscription keys it still owns.
  void on_lease_lost(std::function<void(std::vector<std::string> still_owned)> f) { on_lease_lost_ = std::move(f); }
  /// Hears what an operator wants to know: a connection lost and back, a catch-up, a
  /// partition read again, a lease found lapsed.
  void on_notice(std::function<void(const std::string&)> f) { on_notice_ = std::move(f); }
  /// Sets a meta record unless one is there; `done` gets the value that is.
  void put_meta_once(const std::string& name, const std::string& bytes,
                     std::function<void(std::error_code, std::string)> done);

  // store::state_store
  std::error_code commit(std::span<const store::stored> batch) override;
  void commit_async(std::vector<store::stored> batch, std::function<void(std::error_code)> done) override;
  std::error_code load(store::record_kind kind,
                       const std::function<void(std::string_view, std::string_view)>& each) override;
  std::string last_error() const override { return last_error_; }

  // transport::timed: command timeouts, reconnects, lease renewals, member checks.
  transaction::time_point next_deadline() const override;
  void advance(transaction::time_point now) override;
  /// Called when next_deadline() may have moved earlier (the runtime re-arms).
  void on_deadline(std::function<void()> f);

  unsigned partition_of(std::string_view group) const noexcept;
  const std::string& incarnation() const noexcept { return inc_; }
  bool healthy() const noexcept { return main_.connected(); }
  /// Commands and bytes sent on the write and feed connections.
  link_stats stats() const noexcept;
  /// Changes read from other nodes, catch-ups after a reconnect, partitions resynced.
  struct feed_stats {
    std::uint64_t changes = 0, entries = 0, reconnects = 0, resyncs = 0, claimed = 0;
  };
  const feed_stats& follow_stats() const noexcept { return fstats_; }

 private:
  struct scan_job;
  std::string pkey(unsigned p, std::string_view what) const;
  std::string nkey(std::string_view what) const;
  void load_scripts();
  void read_partition(unsigned p, std::function<void(std::error_code, std::string last_id, std::vector<held_record>)> done);
  void read_feed();
  void catch_up();
  void renew(transaction::time_point now);
  void deliver(remote_change c);
  void release_held();
  void check_members();
  void claim(const std::string& dead);
  void evalsha(int script, std::vector<std::string> keys, std::vector<std::string> args, redis_link::reply_fn done);

  asio::io_context& io_;
  redis_config cfg_;
  std::string inc_;  // node id + '.' + random: this process
  redis_link main_;
  redis_link feed_;
  std::vector<std::string> sha_;
  std::vector<std::string> positions_;  // last stream id read, per partition
  bool following_ = false;
  bool feed_reading_ = false;
  bool feed_fresh_ = false;  // the feed connection is new: check for a gap first
  bool joined_ = false;
  std::function<void(const remote_change&)> on_change_;
  std::function<void(unsigned, std::vector<held_record>)> on_resync_;
  std::function<void(const std::string&, std::vector<held_record>)> on_claimed_;
  std::function<void(std::vector<std::string>)> on_lease_lost_;
  std::function<void()> on_deadline_;
  std::function<void(const std::string&)> on_notice_;
  void notice(const std::string& s) const {
    if (on_notice_) on_notice_(s);
  }
  transaction::time_point renew_at_ = transaction::time_point::max();
  transaction::time_point check_at_ = transaction::time_point::max();
  bool renewing_ = false, checking_ = false;
  transaction::time_point lease_until_{};  // the lease holds at least until then
  std::vector<remote_change> held_feed_;   // changes waiting to know whether it still does
  std::vector<std::string> claiming_;
  std::string last_error_;
  feed_stats fstats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sipevents::store_redis

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_STORE_REDIS_REDIS_STORE
#define SIPEVENTS_SEEN_STORE_REDIS_REDIS_STORE
#include "sipevents/impl/definitions.ipp"
#endif
