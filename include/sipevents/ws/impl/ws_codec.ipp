#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/ws/ws_codec.hpp"

#include <algorithm>
#include <cstring>

namespace sipevents::ws {

namespace {

class ws_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sipevents.ws"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::ok: return "ok";
      case errc::need_more: return "need more bytes";
      case errc::handshake_too_large: return "WebSocket handshake too large";
      case errc::bad_request_line: return "Bad HTTP request line";
      case errc::bad_header_line: return "Bad HTTP header line";
      case errc::not_an_upgrade: return "Not a WebSocket upgrade";
      case errc::unsupported_version: return "Unsupported Sec-WebSocket-Version";
      case errc::bad_key: return "Bad Sec-WebSocket-Key";
      case errc::no_sip_protocol: return "Sec-WebSocket-Protocol does not offer sip";
      case errc::bad_status_line: return "Bad HTTP status line";
      case errc::upgrade_refused: return "WebSocket upgrade refused";
      case errc::bad_accept: return "Bad Sec-WebSocket-Accept";
      case errc::frame_too_large: return "WebSocket frame too large";
      case errc::message_too_large: return "WebSocket message too large";
      case errc::unmasked_frame: return "Unmasked client frame";
      case errc::masked_frame: return "Masked server frame";
      case errc::reserved_bits: return "Reserved bits set";
      case errc::bad_opcode: return "Reserved opcode";
      case errc::fragmented_control: return "Fragmented control frame";
      case errc::control_too_large: return "Control frame over 125 bytes";
      case errc::unexpected_continuation: return "Continuation outside a message";
      case errc::expected_continuation: return "Data frame inside a fragmented message";
      case errc::bad_length: return "Bad frame length";
      case errc::bad_close: return "Bad close frame";
      case errc::bad_utf8: return "Text that is not UTF-8";
    }
    return "unknown WebSocket error";
  }
};

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

/// Calls f(token) for each element of a comma list.
template <class F>
void each_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

bool list_has(std::string_view list, std::string_view token) {
  bool found = false;
  each_element(list, [&](std::string_view t) { found = found || iequal(t, token); });
  return found;
}

/// Splits an HTTP head (without the blank line) into its first line and header
/// fields; false on a line that is not "name: value" or that folds.
struct head {
  std::string_view first;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
};

bool split_head(std::string_view text, head& out) {
  std::size_t eol = text.find("\r\n");
  out.first = text.substr(0, eol);
  if (eol == std::string_view::npos) return true;
  text.remove_prefix(eol + 2);
  while (!text.empty()) {
    eol = text.find("\r\n");
    std::string_view line = text.substr(0, eol);
    if (line.empty() || line.front() == ' ' || line.front() == '\t') return false;  // obs-fold
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_tchar)) return false;
    out.fields.emplace_back(name, trim(line.substr(colon + 1)));
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 2);
  }
  return true;
}

/// Finds the end of an HTTP head: `ec` need_more, too large, or ok with `size`
/// including the blank line.
std::error_code head_size(std::string_view buffer, const ws_limits& limits, std::size_t& size) {
  std::size_t end = buffer.substr(0, limits.max_handshake).find("\r\n\r\n");
  if (end == std::string_view::npos)
    return buffer.size() >= limits.max_handshake ? errc::handshake_too_large : errc::need_more;
  size = end + 4;
  return {};
}

/// The head at the start of `buffer`, split: need_more, too large, a bad line, or ok
/// with `size` bytes (blank line included) read into `h`.
std::error_code read_head(std::string_view buffer, const ws_limits& limits, head& h, std::size_t& size) {
  if (std::error_code ec = head_size(buffer, limits, size)) return ec;
  if (!split_head(buffer.substr(0, size - 4), h)) return errc::bad_header_line;
  return {};
}

bool base64_key(std::string_view k) noexcept {
  // 16 bytes encode to 22 symbols and "==" (RFC 6455 4.1).
  if (k.size() != 24 || k[22] != '=' || k[23] != '=') return false;
  for (std::size_t i = 0; i < 22; ++i) {
    char c = k[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
      return false;
  }
  // The last symbol carries 2 bits of data and 4 zero bits.
  return std::string_view("AQgw").find(k[21]) != std::string_view::npos;
}

bool http11_or_later(std::string_view v) noexcept {
  if (v.size() < 8 || v.substr(0, 5) != "HTTP/") return false;
  if (v == "HTTP/1.0") return false;
  return v[5] >= '1' && v[5] <= '9' && v[6] == '.';
}

bool valid_close_code(std::uint16_t c) noexcept {
  if (c >= 3000 && c <= 4999) return true;
  if (c < 1000 || c > 1014) return false;
  return c != 1004 && c != 1005 && c != 1006;
}

}  // namespace

SIPEVENTS_INLINE const std::error_category& ws_category() noexcept {
  static const ws_category_impl c;
  return c;
}

SIPEVENTS_INLINE bool upgrade_request::offers(std::string_view protocol) const {
  return std::find(protocols.begin(), protocols.end(), protocol) != protocols.end();
}

SIPEVENTS_INLINE upgrade_result parse_upgrade(std::string_view buffer, upgrade_request& out, const ws_limits& limits) {
  upgrade_result r;
  std::size_t size = 0;
  head h;
  if ((r.ec = read_head(buffer, limits, h, size))) return r;
  // request-line = method SP request-target SP HTTP-version
  std::string_view line = h.first;
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.substr(0, sp1) != "GET" || sp2 == sp1 + 1 ||
      !http11_or_later(line.substr(sp2 + 1)))
    return {errc::bad_request_line, 0};
  out = upgrade_request{};
  out.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  bool upgrade = false, connection = false, host = false, version = false;
  for (auto [name, value] : h.fields) {
    if (iequal(name, "Host")) {
      host = true;
      out.host = std::string(value);
    } else if (iequal(name, "Upgrade")) {
      upgrade = upgrade || list_has(value, "websocket");
    } else if (iequal(name, "Connection")) {
      connection = connection || list_has(value, "upgrade");
    } else if (iequal(name, "Sec-WebSocket-Version")) {
      version = value == "13";
    } else if (iequal(name, "Sec-WebSocket-Key")) {
      out.key = std::string(value);
    } else if (iequal(name, "Sec-WebSocket-Protocol")) {
      each_element(value, [&](std::string_view t) { out.protocols.emplace_back(t); });
    } else if (iequal(name, "Origin")) {
      out.origin = std::string(value);
    } else if (iequal(name, "User-Agent")) {
      out.user_agent = std::string(value);
    }
  }
  if (!upgrade || !connection || !host) return {errc::not_an_upgrade, 0};
  if (!version) return {errc::unsupported_version, 0};
  if (!base64_key(out.key)) return {errc::bad_key, 0};
  if (!out.offers("sip")) return {errc::no_sip_protocol, 0};
  r.consumed = size;
  return r;
}

SIPEVENTS_INLINE std::uint16_t reject_status(std::error_code ec) noexcept {
  return ec == errc::unsupported_version ? 426 : 400;
}

SIPEVENTS_INLINE std::string accept_response(std::string_view accept) {
  std::string s =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  s.append(accept);
  s += "\r\nSec-WebSocket-Protocol: sip\r\n\r\n";
  return s;
}

SIPEVENTS_INLINE std::string reject_response(std::error_code why) {
  const std::uint16_t status = reject_status(why);
  const std::string text = why.message();
  std::string s = "HTTP/1.1 " + std::to_string(status) + " " + text + "\r\n";
  if (status == 426) s += "Sec-WebSocket-Version: 13\r\n";
  s += "Connection: close\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(text.size() + 2) +
       "\r\n\r\n" + text + "\r\n";
  return s;
}

SIPEVENTS_INLINE std::string client_request(std::string_view host, std::string_view target, std::string_view key) {
  std::string s = "GET ";
  s.append(target.empty() ? std::string_view("/") : target);
  s += " HTTP/1.1\r\nHost: ";
  s.append(host);
  s += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
  s.append(key);
  s += "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n";
  return s;
}

SIPEVENTS_INLINE upgrade_result parse_accept(std::string_view buffer, std::string_view expected_accept, const ws_limits& limits) {
  upgrade_result r;
  std::size_t size = 0;
  head h;
  if ((r.ec = read_head(buffer, limits, h, size))) return r;
  std::string_view line = h.first;
  std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos || !http11_or_later(line.substr(0, sp)) || line.size() < sp + 4)
    return {errc::bad_status_line, 0};
  if (line.substr(sp + 1, 3) != "101") return {errc::upgrade_refused, 0};
  bool upgrade = false, connection = false, accept = false, sip = false;
  for (auto [name, value] : h.fields) {
    if (iequal(name, "Upgrade")) upgrade = upgrade || list_has(value, "websocket");
    else if (iequal(name, "Connection")) connection = connection || list_has(value, "upgrade");
    else if (iequal(name, "Sec-WebSocket-Accept")) accept = value == expected_accept;
    else if (iequal(name, "Sec-WebSocket-Protocol")) sip = value == "sip";
  }
  if (!upgrade || !connection) return {errc::not_an_upgrade, 0};
  if (!accept) return {errc::bad_accept, 0};
  if (!sip) return {errc::no_sip_protocol, 0};
  r.consumed = size;
  return r;
}

// ---- frames -------------------------------------------------------------------------

SIPEVENTS_INLINE std::uint16_t close_code_for(std::error_code ec) noexcept {
  if (ec == errc::frame_too_large || ec == errc::message_too_large) return 1009;
  if (ec == errc::bad_utf8) return 1007;
  return 1002;
}

SIPEVENTS_INLINE frame_decoder::frame_decoder(role r, ws_limits limits) : role_(r), limits_(limits) {}

SIPEVENTS_INLINE void frame_decoder::feed(std::string_view bytes) {
  if (failed_) return;
  // Compact once the consumed prefix dominates, so the buffer stays about one frame.
  if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

SIPEVENTS_INLINE std::error_code frame_decoder::next(event& out) {
  if (failed_) return fault_;
  auto fail = [&](errc e) {
    failed_ = true;
    fault_ = make_error_code(e);
    buf_.clear();
    msg_.clear();
    pos_ = 0;
    return fault_;
  };
  for (;;) {
    const std::size_t avail = buf_.size() - pos_;
    if (avail < 2) return errc::need_more;
    const auto* p = reinterpret_cast<const std::uint8_t*>(buf_.data() + pos_);
    const bool fin = (p[0] & 0x80) != 0;
    const std::uint8_t op = p[0] & 0x0f;
    const bool masked = (p[1] & 0x80) != 0;
    const std::uint8_t len7 = p[1] & 0x7f;
    if (p[0] & 0x70) return fail(errc::reserved_bits);
    if (!(op <= 2 || (op >= 8 && op <= 10))) return fail(errc::bad_opcode);
    const bool control = (op & 0x8) != 0;
    if (role_ == role::server && !masked) return fail(errc::unmasked_frame);
    if (role_ == role::client && masked) return fail(errc::masked_frame);
    if (control && !fin) return fail(errc::fragmented_control);
    if (control && len7 > 125) return fail(errc::control_too_large);
    const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    const std::size_t hlen = 2 + ext + (masked ? 4 : 0);
    if (avail < hlen) return errc::need_more;
    std::uint64_t len = len7;
    if (ext == 2) len = (std::uint64_t{p[2]} << 8) | p[3];
    if (ext == 8) {
      if (p[2] & 0x80) return fail(errc::bad_length);
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    }
    if (!control) {
      if (len > limits_.max_frame) return fail(errc::frame_too_large);
      if (op == 0 && !in_message_) return fail(errc::unexpected_continuation);
      if (op != 0 && in_message_) return fail(errc::expected_continuation);
      const std::size_t already = op == 0 ? msg_.size() : 0;
      if (already + len > limits_.max_message) return fail(errc::message_too_large);
    }
    if (avail - hlen < len) return errc::need_more;
    const std::size_t n = static_cast<std::size_t>(len);
    std::string payload(buf_.data() + pos_ + hlen, n);
    if (masked) {
      const std::uint8_t* key = p + 2 + ext;
      for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<char>(payload[i] ^ key[i & 3]);
    }
    pos_ += hlen + n;
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    }
    if (control) {
      out = event{};
      if (op == 9) {
        out.what = event::kind::ping;
        out.payload = std::move(payload);
      } else if (op == 10) {
        out.what = event::kind::pong;
        out.payload = std::move(payload);
      } else {
        out.what = event::kind::close;
        if (n == 1) return fail(errc::bad_close);
        if (n >= 2) {
          out.close_code = static_cast<std::uint16_t>((std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]));
          if (!valid_close_code(out.close_code)) return fail(errc::bad_close);
          out.close_reason = payload.substr(2);
          if (!valid_utf8(out.close_reason)) return fail(errc::bad_utf8);
        }
      }
      return {};
    }
    if (op != 0) {
      msg_ = std::move(payload);
      msg_binary_ = op == 2;
    } else {
      msg_ += payload;
    }
    in_message_ = !fin;
    if (!fin) continue;
    if (!msg_binary_ && !valid_utf8(msg_)) return fail(errc::bad_utf8);
    out = event{};
    out.what = event::kind::message;
    out.binary = msg_binary_;
    out.payload = std::move(msg_);
    msg_.clear();
    return {};
  }
}

SIPEVENTS_INLINE std::string encode_frame(opcode op, std::string_view payload, const std::array<std::uint8_t, 4>* mask) {
  std::string f;
  f.reserve(payload.size() + 14);
  f.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));
  const std::uint8_t m = mask ? 0x80 : 0;
  const std::uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(m | n));
  } else if (n <= 0xffff) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  if (!mask) {
    f.append(payload);
    return f;
  }
  for (std::uint8_t k : *mask) f.push_back(static_cast<char>(k));
  for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ (*mask)[i & 3]));
  return f;
}

SIPEVENTS_INLINE std::string encode_close(std::uint16_t code, std::string_view reason, const std::array<std::uint8_t, 4>* mask) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xff));
  reason = reason.substr(0, 123);
  // Do not cut a UTF-8 sequence in half: a close reason must stay valid.
  while (!reason.empty() && !valid_utf8(reason)) reason.remove_suffix(1);
  p.append(reason);
  return encode_frame(opcode::close, p, mask);
}

SIPEVENTS_INLINE bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // Skip plain ASCII a word at a time: SIP text is nearly all of it.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c == 0xe0) { len = 3; lo = 0xa0; }
    else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) len = 3;
    else if (c == 0xed) { len = 3; hi = 0x9f; }  // no surrogates
    else if (c == 0xf0) { len = 4; lo = 0x90; }
    else if (c >= 0xf1 && c <= 0xf3) len = 4;
    else if (c == 0xf4) { len = 4; hi = 0x8f; }
    else return false;
    if (i + len > n) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xbf) return false;
    i += len;
  }
  return true;
}

}  // namespace sipevents::ws

SIPEVENTS_IMPL_END
