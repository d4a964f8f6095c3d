// Parameter lists (";name=value") kept as views and searched on demand.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_PARAMS
#endif
#include <cstddef>
#include <iterator>
#include <optional>
#include <string_view>

namespace sipevents::message {

/// One parameter. `value` is empty when the parameter has no "=value"; quoted values
/// keep their quotes (use `unquote` to strip them).
struct param {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

/// A validated parameter list in its wire form, starting at the first ';'.
/// Iteration re-scans the text: lists are short and this keeps parsing allocation-free.
class param_list {
 public:
  param_list() = default;
  explicit param_list(std::string_view text) noexcept : text_(text) {}

  std::string_view text() const noexcept { return text_; }
  bool empty() const noexcept { return text_.empty(); }

  /// Case-insensitive lookup by name. An empty optional means "absent"; a present
  /// parameter without value yields an empty view.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  bool has(std::string_view name) const noexcept { return get(name).has_value(); }

  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = param;
    using difference_type = std::ptrdiff_t;
    using pointer = const param*;
    using reference = const param&;
    iterator() = default;
    iterator(const char* p, const char* end) noexcept : p_(p), end_(end) { advance(); }
    const param& operator*() const noexcept { return cur_; }
    const param* operator->() const noexcept { return &cur_; }
    iterator& operator++() noexcept { advance(); return *this; }
    iterator operator++(int) noexcept { iterator t = *this; advance(); return t; }
    bool operator==(const iterator& o) const noexcept { return done_ == o.done_ && (done_ || p_ == o.p_); }
    bool operator!=(const iterator& o) const noexcept { return !(*this == o); }
   private:
    void advance() noexcept;
    const char* p_ = nullptr;
    const char* end_ = nullptr;
    param cur_{};
    bool done_ = true;
  };
  iterator begin() const noexcept { return {text_.data(), text_.data() + text_.size()}; }
  iterator end() const noexcept { return {}; }

 private:
  std::string_view text_;
};

/// Strips surrounding double quotes (escapes are left in place).
std::string_view unquote(std::string_view v) noexcept;

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_PARAMS
#define SIPEVENTS_SEEN_MESSAGE_PARAMS
#include "sipevents/impl/definitions.ipp"
#endif
