// A vector with inline storage: the common case never touches the heap.
#pragma once
#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace sipevents::message {

/// Holds up to N elements inline; beyond that it moves everything to a std::vector.
/// T must be cheap to copy (the codec stores views and integers only).
template <class T, std::size_t N>
class inline_vec {
 public:
  void clear() noexcept { n_ = 0; heap_.clear(); on_heap_ = false; }
  std::size_t size() const noexcept { return on_heap_ ? heap_.size() : n_; }
  bool empty() const noexcept { return size() == 0; }
  T* data() noexcept { return on_heap_ ? heap_.data() : inl_.data(); }
  const T* data() const noexcept { return on_heap_ ? heap_.data() : inl_.data(); }
  T& operator[](std::size_t i) noexcept { return data()[i]; }
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  T& back() noexcept { return data()[size() - 1]; }
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + size(); }
  std::span<const T> span() const noexcept { return {data(), size()}; }

  void push_back(const T& v) {
    if (!on_heap_ && n_ < N) { inl_[n_++] = v; return; }
    emplace_back() = v;
  }

  T& emplace_back() {
    if (!on_heap_) {
      if (n_ < N) { inl_[n_] = T{}; return inl_[n_++]; }
      heap_.assign(inl_.begin(), inl_.end());
      on_heap_ = true;
    }
    return heap_.emplace_back();
  }

 private:
  std::array<T, N> inl_{};
  std::size_t n_ = 0;
  bool on_heap_ = false;
  std::vector<T> heap_;
};

}  // namespace sipevents::message
