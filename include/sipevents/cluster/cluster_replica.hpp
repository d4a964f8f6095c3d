// One node's view of a service of notifier nodes sharing a store, sans-I/O: other
// nodes' writes are taken into this node's registrar and ESC as the changes they were
// there, so that this node's watchers hear them; subscriptions a dead node owned are
// prepared for this node to serve. Which node acts on what:
//  - a subscription is served by the node that owns it (the one that created it, or
//    took it over): only that node NOTIFYs it;
//  - a binding's or publication's expiry is acted on first by the node that wrote it
//    last; the others hold it `hold` longer, so they act only when that node is gone,
//    and the store's conditional erase lets one of them take effect.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_CLUSTER_CLUSTER_REPLICA
#endif
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sipevents/events/publication_server.hpp"
#include "sipevents/registrar/registrar.hpp"
#include "sipevents/store/state_store.hpp"

namespace sipevents::cluster {

using time_point = transaction::time_point;

struct replica_config {
  /// How much later than their writer this node acts on the expiry of bindings and
  /// publications another node wrote (the lease: by then a dead writer is known dead).
  std::chrono::milliseconds hold{5000};
  /// This node's Contact for the subscriptions it takes over (NOTIFY is a target
  /// refresh: the watcher's next refresh comes here).
  std::string contact;
};

/// What applying other nodes' writes did.
struct apply_stats {
  std::uint64_t bindings = 0, publications = 0, erased = 0, subscriptions_seen = 0, unreadable = 0;
};

class replica {
 public:
  /// Neither core is owned; either may be null (a node without that role).
  replica(registrar::registrar* reg, events::publication_server* esc, replica_config cfg = {});

  /// The state held when the node joined: bindings and publications taken in (each as
  /// another node's write); subscriptions are not, they come by takeover.
  void load(std::span<const store::stored> records, const store::clock_pair& clocks, time_point now);
  /// Another node's writes, in the order it made them. The registrar's and the ESC's
  /// changes are queued for their owners to poll as usual.
  void apply(std::span<const store::stored> entries, const store::clock_pair& clocks, time_point now);
  /// The whole of one partition, read again because changes were lost: what this node
  /// holds of it and the partition no longer has is removed, the rest applied.
  /// `in_partition` says whether a group (AoR, resource) belongs to it.
  void resync(std::span<const store::stored> records, const std::function<bool(std::string_view group)>& in_partition,
              const store::clock_pair& clocks, time_point now);
  /// Subscriptions claimed from a dead node, ready for this node to restore: with its
  /// Contact. Unreadable ones are counted and left out.
  std::vector<store::subscription_record> take_over(std::span<const store::stored> records,
                                                    const store::clock_pair& clocks);

  const apply_stats& stats() const noexcept { return stats_; }
  const replica_config& config() const noexcept { return cfg_; }

 private:
  void put(const store::stored& s, const store::clock_pair& clocks, time_point now);
  void erase(const store::stored& s);

  registrar::registrar* reg_;
  events::publication_server* esc_;
  replica_config cfg_;
  apply_stats stats_;
};

}  // namespace sipevents::cluster

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_CLUSTER_CLUSTER_REPLICA
#define SIPEVENTS_SEEN_CLUSTER_CLUSTER_REPLICA
#include "sipevents/impl/definitions.ipp"
#endif
