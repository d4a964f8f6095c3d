// Stream framing for TCP (RFC 3261 18.3): resumable, split-proof, bounded.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MESSAGE_FRAMER
#endif
#include <cstddef>
#include <string>
#include <string_view>

#include "sipevents/message/message.hpp"

namespace sipevents::message {

/// Cuts a byte stream into messages. Feed it whatever the socket returned; call
/// `next` until it reports `need_more`. CRLF keep-alives between messages are skipped.
///
/// A result with `fatal() == true` means framing is lost (no or bad Content-Length,
/// a limit exceeded): the connection must be closed. Any other error concerns one
/// message only; the framer has moved past it and the caller may answer 400.
class stream_framer {
 public:
  explicit stream_framer(parse_limits limits = {}) : limits_(limits) {}

  /// Appends received bytes.
  void feed(std::string_view bytes);
  /// Extracts the next complete message into `out`.
  codec_error next(message& out);
  /// True once a framing error has occurred; every later `next` repeats it.
  bool fatal() const noexcept { return fatal_.code != errc::ok; }
  /// Bytes buffered and not yet consumed.
  std::size_t buffered() const noexcept { return buf_.size() - start_; }
  /// Keep-alive CRLFs seen, so that a transport can answer "\r\n\r\n" pings (RFC 5626).
  std::size_t keepalives() const noexcept { return keepalives_; }

 private:
  codec_error fail(codec_error e) { fatal_ = e; return e; }
  parse_limits limits_;
  std::string buf_;
  std::size_t start_ = 0;       // first unconsumed byte
  std::size_t scanned_ = 0;     // header-end search resumes here (relative to start_)
  std::size_t header_len_ = 0;  // known header block length, 0 while unknown
  std::size_t body_len_ = 0;
  std::size_t keepalives_ = 0;
  codec_error fatal_{};
};

}  // namespace sipevents::message

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MESSAGE_FRAMER
#define SIPEVENTS_SEEN_MESSAGE_FRAMER
#include "sipevents/impl/definitions.ipp"
#endif
