// A vector with inline storage: the common case never touches the heap.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_INLINE_VEC
#endif
#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace sipevents::message {

/// Holds up to N elements inline; beyond that it moves everything to a std::vector.
/// T must be cheap to copy (the codec stores views and integers only). A push is one
/// compare and one store: the parser pushes once per header line.
template <class T, std::size_t N>
class inline_vec {
 public:
  inline_vec() noexcept = default;
  inline_vec(const inline_vec& o) { *this = o; }
  inline_vec(inline_vec&& o) noexcept { *this = std::move(o); }
  inline_vec& operator=(inline_vec&& o) noexcept {
    if (this == &o) return *this;
    if (o.data_ == o.inl()) {
      std::copy_n(o.inl(), o.n_, inl());
      data_ = inl();
      cap_ = N;
    } else {
      heap_ = std::move(o.heap_);
      data_ = heap_.data();
      cap_ = o.cap_;
    }
    n_ = o.n_;
    o.clear();
    return *this;
  }
  inline_vec& operator=(const inline_vec& o) {
    if (this == &o) return *this;
    clear();
    for (const T& v : o) push_back(v);
    return *this;
  }

  /// Back to the inline storage. A heap buffer keeps its capacity for the next spill
  /// (grow() reassigns it), so a reused vector does not free and allocate again.
  void clear() noexcept {
    n_ = 0;
    cap_ = N;
    data_ = inl();
  }
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  T& back() noexcept { return data_[n_ - 1]; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + n_; }
  std::span<const T> span() const noexcept { return {data_, n_}; }

  void push_back(const T& v) {
    if (n_ < cap_) { data_[n_++] = v; return; }
    grow() = v;
  }

  /// A slot at the end, left as it was: the caller assigns every member.
  T& emplace_back() {
    if (n_ < cap_) return data_[n_++];
    return grow();
  }

 private:
  T& grow() {
    // On the heap, heap_ holds cap_ elements of which the first n_ are in use.
    if (data_ == inl()) heap_.assign(inl(), inl() + n_);
    heap_.resize(n_ * 2 + 1);
    data_ = heap_.data();
    cap_ = heap_.size();
    return data_[n_++];
  }

  // Left uninitialized: a message holds several of these (some 4 KB in all) and is
  // constructed per datagram; only the n_ elements in use are ever read or copied.
  union storage {
    storage() noexcept {}
    std::array<T, N> a;
  };
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  T* inl() noexcept { return store_.a.data(); }
  const T* inl() const noexcept { return store_.a.data(); }
  storage store_;
  T* data_ = inl();
  std::size_t n_ = 0;
  std::size_t cap_ = N;
  std::vector<T> heap_;
};

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_INLINE_VEC
#define SIPEVENTS_SEEN_MESSAGE_INLINE_VEC
#include "sipevents/impl/definitions.ipp"
#endif
