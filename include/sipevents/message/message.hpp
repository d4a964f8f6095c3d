// The one concrete SIP message type, its datagram parser and its serializer.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_MESSAGE
#endif
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sipevents/message/error.hpp"
#include "sipevents/message/header_id.hpp"
#include "sipevents/message/byte_buffer.hpp"
#include "sipevents/message/headers.hpp"
#include "sipevents/message/inline_vec.hpp"

namespace sipevents::message {

/// Size limits. Every one is configurable because a PBX faces the open internet.
struct parse_limits {
  std::size_t max_message_size = 65535;  ///< a whole datagram / stream message
  std::size_t max_header_block = 16384;  ///< start line + headers + blank line
  std::size_t max_headers = 256;         ///< header lines
  std::size_t max_body = 1 << 20;        ///< body octets (stream framing)
};

/// One header line. `value` has surrounding whitespace trimmed and keeps folding
/// and every other byte as received.
struct header_field {
  hdr id = hdr::unknown;
  std::string_view name;   ///< as written ("v", "VIA", "X-Foo")
  std::string_view value;
};

/// Iterates the comma-separated elements of every line of one header, never
/// splitting inside quotes, <...> or comments (RFC 3261 7.3.1).
class list_values {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;
    iterator() = default;
    iterator(const header_field* f, const header_field* end, hdr id) noexcept;
    std::string_view operator*() const noexcept { return cur_; }
    iterator& operator++() noexcept { next(); return *this; }
    iterator operator++(int) noexcept { iterator t = *this; next(); return t; }
    bool operator==(const iterator& o) const noexcept { return f_ == o.f_ && rest_.data() == o.rest_.data(); }
    bool operator!=(const iterator& o) const noexcept { return !(*this == o); }
   private:
    void next() noexcept;
    void seek() noexcept;
    const header_field* f_ = nullptr;
    const header_field* end_ = nullptr;
    hdr id_ = hdr::unknown;
    std::string_view rest_;
    std::string_view cur_;
  };
  list_values(std::span<const header_field> fields, hdr id) noexcept : fields_(fields), id_(id) {}
  iterator begin() const noexcept { return {fields_.data(), fields_.data() + fields_.size(), id_}; }
  iterator end() const noexcept { return {fields_.data() + fields_.size(), fields_.data() + fields_.size(), id_}; }
 private:
  std::span<const header_field> fields_;
  hdr id_;
};

/// Splits one header value at top-level commas; calls f(element) for each trimmed element.
/// Returns false if an element is empty (e.g. "a,,b"), which is a syntax error.
template <class F>
bool split_list(std::string_view value, F&& f);

/// A SIP request or response. It owns its bytes; every view it hands out points into
/// them. Copying re-parses the copy, so views never dangle.
class message {
 public:
  message() = default;
  message(const message& o);
  message& operator=(const message& o);
  message(message&& o) noexcept;
  message& operator=(message&& o) noexcept;

  bool is_request() const noexcept { return request_; }
  bool is_response() const noexcept { return !request_; }

  // Start line.
  method method_id() const noexcept { return method_; }
  std::string_view method_text() const noexcept { return method_text_; }
  const uri& request_uri() const noexcept { return ruri_; }
  std::string_view version() const noexcept { return version_; }
  std::uint16_t status() const noexcept { return status_; }
  std::string_view reason() const noexcept { return reason_; }

  std::span<const header_field> headers() const noexcept { return headers_.span(); }
  std::string_view body() const noexcept { return body_; }
  std::string_view raw() const noexcept { return raw_; }

  /// First header line with this id, or nullptr.
  const header_field* find(hdr id) const noexcept;
  /// First header line with this name (case-insensitive; compact forms resolve).
  const header_field* find(std::string_view name) const noexcept;
  /// Every element of a list header, across all its lines.
  list_values values(hdr id) const noexcept { return {headers(), id}; }
  std::size_t count(hdr id) const noexcept;

  // Typed headers the stack needs, parsed and validated eagerly.
  std::span<const via> vias() const noexcept { return vias_.span(); }
  const via* top_via() const noexcept { return vias_.empty() ? nullptr : &vias_[0]; }
  const name_addr& from() const noexcept { return from_; }
  const name_addr& to() const noexcept { return to_; }
  std::string_view call_id() const noexcept { return call_id_; }
  const struct cseq& cseq() const noexcept { return cseq_; }
  std::optional<std::uint8_t> max_forwards() const noexcept { return max_forwards_; }
  std::optional<std::uint32_t> content_length() const noexcept { return content_length_; }
  std::optional<std::uint32_t> expires() const noexcept { return expires_; }
  std::optional<std::uint32_t> min_expires() const noexcept { return min_expires_; }
  const event_header* event() const noexcept { return has_event_ ? &event_ : nullptr; }
  const struct subscription_state* subscription_state() const noexcept { return has_substate_ ? &substate_ : nullptr; }
  const media_type* content_type() const noexcept { return has_ctype_ ? &ctype_ : nullptr; }
  std::span<const contact> contacts() const noexcept { return contacts_.span(); }
  bool contact_star() const noexcept { return contact_star_; }
  std::string_view sip_etag() const noexcept { return etag_; }
  std::string_view sip_if_match() const noexcept { return if_match_; }

  /// True for a request with Via and CSeq, so a UAS can build a response even if a
  /// header is malformed or From, To or Call-ID is missing (RFC 4475 3.3.1): what is
  /// there is copied as it is.
  bool can_respond() const noexcept { return can_respond_; }

  /// Replaces `part`, a view into raw(), with `with`, and parses the result. Views
  /// taken before the call are invalidated. Used to stamp received/rport on the top
  /// Via (RFC 3261 18.2.1) and by applications that edit a message before sending.
  codec_error replace(std::string_view part, std::string_view with, const parse_limits& limits = {});
  /// Inserts a header line after the start line (or before the blank line when `last`).
  codec_error add_header(std::string_view name, std::string_view value, bool last = true,
                         const parse_limits& limits = {});

  /// Canonical wire form: canonical header names, compact forms expanded, one
  /// Content-Length computed from the body. parse(serialize(m)) == m.
  std::string serialize() const;
  void serialize_to(std::string& out) const;

 private:
  friend class parser;
  friend codec_error parse_bytes(std::string_view, message&, const parse_limits&, bool);
  void reset() noexcept;
  void reset_for_parse() noexcept;
  void reparse();
  void reparse_from(const message& o);

  byte_buffer raw_;
  bool request_ = true;
  method method_ = method::unknown;
  std::string_view method_text_, version_, reason_, body_;
  uri ruri_;
  std::uint16_t status_ = 0;
  inline_vec<header_field, 32> headers_;
  inline_vec<via, 8> vias_;
  inline_vec<contact, 4> contacts_;
  name_addr from_, to_;
  std::string_view call_id_;
  struct cseq cseq_;
  std::optional<std::uint8_t> max_forwards_;
  std::optional<std::uint32_t> content_length_, expires_, min_expires_;
  event_header event_;
  struct subscription_state substate_;
  media_type ctype_;
  std::string_view etag_, if_match_;
  bool has_event_ = false, has_substate_ = false, has_ctype_ = false;
  bool contact_star_ = false, can_respond_ = false;
};

/// Shared by parse_datagram and parse_framed; `framed` requires Content-Length.
codec_error parse_bytes(std::string_view bytes, message& out, const parse_limits& limits, bool framed);

/// Parses one datagram (RFC 3261 18.3): without Content-Length the body is the rest
/// of the datagram; octets past Content-Length are dropped; a short body is an error.
/// `out` keeps its capacity across calls, so a reused message does not allocate.
/// On error `out` still holds whatever could be read (see `message::can_respond`).
codec_error parse_datagram(std::string_view bytes, message& out, const parse_limits& limits = {});

/// As parse_datagram, for a message already framed by the stream framer: the body is
/// exactly `bytes` past the header block and Content-Length is required.
codec_error parse_framed(std::string_view bytes, message& out, const parse_limits& limits = {});

/// Builds messages as text, then parses them, so a built message is always valid.
/// The application may add any header before the message is built and sent.
class message_builder {
 public:
  static message_builder request(std::string_view method, std::string_view request_uri);
  static message_builder response(std::uint16_t status, std::string_view reason);
  /// A response to `request` per RFC 3261 8.2.6.2: every Via, From, To, Call-ID and
  /// CSeq copied; `to_tag` is added to To when it has none and status > 100.
  static message_builder response_to(const message& request, std::uint16_t status, std::string_view reason,
                                     std::string_view to_tag = {});

  message_builder& header(std::string_view name, std::string_view value);
  message_builder& header(hdr id, std::string_view value) { return header(canonical_name(id), value); }
  /// Whether a header of that name (any case, full form) was added.
  bool has(std::string_view name) const noexcept;
  /// Sets the body; Content-Type is added when `content_type` is not empty.
  message_builder& body(std::string_view content_type, std::string_view bytes);

  /// The wire text, Content-Length included.
  std::string text() const;
  codec_error build(message& out, const parse_limits& limits = {}) const;

 private:
  std::string head_;
  std::string body_;
};

// ---- template implementation -------------------------------------------------------

namespace detail {
/// Index one past the end of the list element starting at `i` (at a top-level comma or
/// the end of `v`).
std::size_t list_element_end(std::string_view v, std::size_t i) noexcept;
std::string_view trim(std::string_view v) noexcept;
}  // namespace detail

template <class F>
bool split_list(std::string_view value, F&& f) {
  std::size_t i = 0;
  for (;;) {
    std::size_t e = detail::list_element_end(value, i);
    std::string_view el = detail::trim(value.substr(i, e - i));
    if (el.empty()) return false;
    f(el);
    if (e >= value.size()) return true;
    i = e + 1;
  }
}

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_MESSAGE
#define SIPEVENTS_SEEN_MESSAGE_MESSAGE
#include "sipevents/impl/definitions.ipp"
#endif
