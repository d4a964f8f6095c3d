#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/message/framer.hpp"

#include <cstring>

#include "chars.hpp"

namespace sipevents::message {
using namespace detail;

namespace {

/// Finds the Content-Length value in a header block (full or compact name) without
/// a full parse: the framer only needs the body length.
enum class cl_result { missing, bad, ok };
cl_result find_content_length(std::string_view block, std::uint64_t& out) {
  std::size_t pos = block.find('\n');  // skip the start line
  bool found = false;
  while (pos != std::string_view::npos && pos + 1 < block.size()) {
    std::size_t ls = pos + 1;
    std::size_t le = block.find('\n', ls);
    if (le == std::string_view::npos) le = block.size();
    std::string_view line = block.substr(ls, le - ls);
    pos = le;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || line.empty() || line[0] == ' ' || line[0] == '\t') continue;
    std::string_view name = trim(line.substr(0, colon));
    if (!iequals(name, "content-length") && !iequals(name, "l")) continue;
    if (found) return cl_result::bad;  // two lengths: framing is ambiguous
    found = true;
    std::uint64_t v = 0;
    if (!parse_digits(trim(line.substr(colon + 1)), 0xFFFFFFFFull, v)) return cl_result::bad;
    out = v;
  }
  return found ? cl_result::ok : cl_result::missing;
}

}  // namespace

SIPEVENTS_INLINE void stream_framer::feed(std::string_view bytes) {
  if (fatal()) return;
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(0, start_);
    start_ = 0;
  }
  buf_.append(bytes.data(), bytes.size());
}

SIPEVENTS_INLINE codec_error stream_framer::next(message& out) {
  if (fatal()) return fatal_;
  if (header_len_ == 0) {
    // Keep-alives: CRLFs between messages (RFC 5626 uses "\r\n\r\n").
    while (start_ < buf_.size() && (buf_[start_] == '\r' || buf_[start_] == '\n')) {
      if (buf_[start_] == '\n') ++keepalives_;
      ++start_;
      scanned_ = 0;
    }
    std::string_view pending(buf_.data() + start_, buf_.size() - start_);
    std::size_t from = scanned_ > 3 ? scanned_ - 3 : 0;
    std::size_t end_hdr = std::string_view::npos;
    for (std::size_t i = pending.find('\n', from); i != std::string_view::npos; i = pending.find('\n', i + 1)) {
      if (i + 1 < pending.size() && pending[i + 1] == '\n') { end_hdr = i + 2; break; }
      if (i + 2 < pending.size() && pending[i + 1] == '\r' && pending[i + 2] == '\n') { end_hdr = i + 3; break; }
    }
    if (end_hdr == std::string_view::npos) {
      scanned_ = pending.size();
      if (pending.size() > limits_.max_header_block) return fail({errc::header_block_too_large});
      return {errc::need_more};
    }
    if (end_hdr > limits_.max_header_block) return fail({errc::header_block_too_large});
    std::uint64_t cl = 0;
    switch (find_content_length(pending.substr(0, end_hdr), cl)) {
      case cl_result::missing: return fail({errc::missing_content_length, hdr::content_length});
      case cl_result::bad: return fail({errc::bad_content_length, hdr::content_length});
      case cl_result::ok: break;
    }
    if (cl > limits_.max_body || end_hdr + cl > limits_.max_message_size) return fail({errc::body_too_large});
    header_len_ = end_hdr;
    body_len_ = static_cast<std::size_t>(cl);
  }
  if (buf_.size() - start_ < header_len_ + body_len_) return {errc::need_more};
  std::string_view msg(buf_.data() + start_, header_len_ + body_len_);
  start_ += msg.size();
  header_len_ = body_len_ = scanned_ = 0;
  codec_error e = parse_framed(msg, out, limits_);
  if (start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  }
  return e;
}

}  // namespace sipevents::message

SIPEVENTS_IMPL_END
