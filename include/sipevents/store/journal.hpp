// The journal: where the sans-I/O core puts the records to write, and whoever owns
// the store takes them from. Writes to one key coalesce (the last one wins), so a
// record changed many times in one event-loop turn is written once.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_STORE_JOURNAL
#endif
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sipevents/store/store_records.hpp"

namespace sipevents::store {

/// A write: a record to put, or the key of one to erase.
struct entry {
  record_kind kind = record_kind::meta;
  std::string key;
  std::optional<record> value;  ///< nullopt: erase
  /// The resource the record belongs to (AoR, presentity; empty for meta): what a
  /// shared store partitions by and other nodes find the record under.
  std::string group;
  /// For an erase: why, in the words of the layer that made it (a binding_event,
  /// a publication_change_kind), so that other nodes report it alike.
  std::string reason;
  /// For an erase: only when the stored record has expired. An expiry acted on here
  /// must not remove what a refresh made elsewhere has just stored.
  bool if_expired = false;
};

/// The group of a record: its AoR or resource.
std::string group_of(const record& r);

class journal {
 public:
  /// `wake` is called when the journal goes from empty to non-empty: the owner
  /// schedules a commit (the runtime posts one at the end of the loop turn).
  void on_first(std::function<void()> wake) { wake_ = std::move(wake); }

  void put(record r);
  /// Erases (k, key) of `group` (see entry) for `reason`.
  void erase(record_kind k, std::string key, std::string group = {}, std::string reason = {},
             bool if_expired = false);

  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }

  /// Everything written since the last take, oldest key first.
  std::vector<entry> take();
  /// A commit of `taken` failed: put it back under anything written since (which is
  /// newer and wins), so the next commit writes it again.
  void restore(std::vector<entry> taken);

 private:
  struct key_hash {
    std::size_t operator()(const std::pair<record_kind, std::string>& k) const noexcept {
      return std::hash<std::string>{}(k.second) * 31 + static_cast<std::size_t>(k.first);
    }
  };
  void add(entry e, bool newer);

  std::vector<entry> entries_;
  std::unordered_map<std::pair<record_kind, std::string>, std::size_t, key_hash> index_;
  std::function<void()> wake_;
};

}  // namespace sipevents::store

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_STORE_JOURNAL
#define SIPEVENTS_SEEN_STORE_JOURNAL
#include "sipevents/impl/definitions.ipp"
#endif
