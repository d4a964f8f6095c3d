// An open-addressing hash table keyed by 64-bit words: one probe run, no nodes.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_U64_TABLE
#endif
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sipevents::message {

/// A map from 64-bit keys to small values, for the stack's big indexes (transaction
/// keys, nonce replay state). Linear probing over one array with backward-shift
/// deletion: a lookup costs one or two cache lines where a node-based map costs a
/// bucket, a node and often a neighbour's node, each a miss once the table outgrows
/// the cache. Keys need not be mixed (a Fibonacci multiply picks the slot). At most
/// three quarters full; it doubles when that is reached and never shrinks (callers
/// bound what they insert). Pointers from find() hold until the next insert or erase.
template <class V>
class u64_table {
 public:
  u64_table() = default;

  /// The value of `key`, or nullptr.
  V* find(std::uint64_t key) noexcept {
    if (key == 0) return has_zero_ ? &zero_ : nullptr;
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      slot& s = slots_[i];
      if (s.key == key) return &s.value;
      if (s.key == 0) return nullptr;
    }
  }
  const V* find(std::uint64_t key) const noexcept { return const_cast<u64_table*>(this)->find(key); }

  /// Inserts `value` under `key` unless the key is there; the value in the table and
  /// whether it was inserted.
  std::pair<V*, bool> try_emplace(std::uint64_t key, V value) {
    if (key == 0) {
      if (has_zero_) return {&zero_, false};
      has_zero_ = true;
      zero_ = std::move(value);
      return {&zero_, true};
    }
    if ((used_ + 1) * 4 > slots_.size() * 3) grow();
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      slot& s = slots_[i];
      if (s.key == key) return {&s.value, false};
      if (s.key == 0) {
        s.key = key;
        s.value = std::move(value);
        ++used_;
        return {&s.value, true};
      }
    }
  }
  /// Inserts or overwrites.
  V& assign(std::uint64_t key, V value) {
    auto [v, fresh] = try_emplace(key, value);
    if (!fresh) *v = std::move(value);
    return *v;
  }

  /// Removes `key`; false when it was not there.
  bool erase(std::uint64_t key) noexcept {
    if (key == 0) {
      if (!has_zero_) return false;
      has_zero_ = false;
      zero_ = V{};
      return true;
    }
    if (slots_.empty()) return false;
    std::size_t i = home(key);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) break;
      if (slots_[i].key == 0) return false;
    }
    // Backward shift: pull later entries of the run into the hole unless their home
    // lies cyclically after it, so no tombstones slow later lookups.
    for (std::size_t j = i;;) {
      j = (j + 1) & mask_;
      if (slots_[j].key == 0) break;
      const std::size_t h = home(slots_[j].key);
      const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
    slots_[i] = slot{};
    --used_;
    return true;
  }

  std::size_t size() const noexcept { return used_ + (has_zero_ ? 1 : 0); }
  bool empty() const noexcept { return size() == 0; }
  /// Makes room for `n` entries without growing again.
  void reserve(std::size_t n) {
    while (n * 4 > slots_.size() * 3) grow();
  }
  void clear() noexcept {
    slots_.assign(slots_.size(), slot{});
    used_ = 0;
    has_zero_ = false;
    zero_ = V{};
  }

 private:
  struct slot {
    std::uint64_t key = 0;  // 0: empty (key 0 lives in zero_)
    V value{};
  };
  std::size_t home(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void grow() {
    const std::size_t n = slots_.empty() ? 16 : slots_.size() * 2;
    std::vector<slot> old(n);
    old.swap(slots_);
    mask_ = n - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(n));
    for (slot& s : old) {
      if (s.key == 0) continue;
      std::size_t i = home(s.key);
      while (slots_[i].key != 0) i = (i + 1) & mask_;
      slots_[i] = std::move(s);
    }
  }

  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t used_ = 0;  // occupied slots (zero_ is counted apart)
  bool has_zero_ = false;
  V zero_{};
};

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_U64_TABLE
#define SIPEVENTS_SEEN_MESSAGE_U64_TABLE
#include "sipevents/impl/definitions.ipp"
#endif
