// The bytes a message owns (internal to the codec's message type).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_BYTE_BUFFER
#endif
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace sipevents::message {

/// One heap block that keeps its address when moved, so views into it stay valid, and
/// that keeps room for a number of readable bytes past the end, the first of them a
/// given sentinel: the parser's block-wise scans read there without tail checks, and
/// its line-end scan always finds an LF by the end.
class byte_buffer {
 public:
  byte_buffer() noexcept = default;
  byte_buffer(const byte_buffer&) = delete;
  byte_buffer& operator=(const byte_buffer&) = delete;
  byte_buffer(byte_buffer&& o) noexcept : p_(std::move(o.p_)), n_(o.n_), cap_(o.cap_) { o.n_ = o.cap_ = 0; }
  byte_buffer& operator=(byte_buffer&& o) noexcept {
    p_ = std::move(o.p_);
    n_ = o.n_;
    cap_ = o.cap_;
    o.n_ = o.cap_ = 0;
    return *this;
  }

  const char* data() const noexcept { return p_ ? p_.get() : ""; }
  std::size_t size() const noexcept { return n_; }
  operator std::string_view() const noexcept { return {data(), n_}; }

  /// Copies n bytes from s, keeping `pad` (at least 1) readable bytes after them, the
  /// first of them `after`.
  void assign(const char* s, std::size_t n, std::size_t pad, char after) {
    if (cap_ < n + pad) grow(n + pad, false);
    std::memcpy(p_.get(), s, n);
    p_[n] = after;
    n_ = n;
  }
  /// As assign, keeping the content.
  void pad(std::size_t pad, char after) {
    if (cap_ < n_ + pad) grow(n_ + pad, true);
    p_[n_] = after;
  }
  void clear() noexcept {
    n_ = 0;
    if (p_) p_[0] = 0;
  }

 private:
  void grow(std::size_t cap, bool keep) {
    std::unique_ptr<char[]> q(new char[cap]);
    if (keep && n_) std::memcpy(q.get(), p_.get(), n_);
    q[keep ? n_ : 0] = 0;
    p_ = std::move(q);
    cap_ = cap;
    if (!keep) n_ = 0;
  }

  std::unique_ptr<char[]> p_;
  std::size_t n_ = 0, cap_ = 0;
};

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_BYTE_BUFFER
#define SIPEVENTS_SEEN_MESSAGE_BYTE_BUFFER
#include "sipevents/impl/definitions.ipp"
#endif
