// WebSocket (RFC 6455) for SIP (RFC 7118), sans-I/O: the HTTP upgrade and the frame
// codec in the style of the SIP framer. It owns no socket and no hash: the transport
// feeds it bytes and computes Sec-WebSocket-Accept with its crypto adapter.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_WS_WS_CODEC
#endif
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace sipevents::ws {

/// What went wrong in an upgrade or a frame. need_more is not a fault.
enum class errc : std::uint8_t {
  ok = 0,
  need_more,                 ///< the handshake or frame is not complete yet
  handshake_too_large,       ///< no blank line within ws_limits::max_handshake
  bad_request_line,          ///< not "GET target HTTP/1.1"
  bad_header_line,           ///< no colon, an empty name, or obsolete line folding
  not_an_upgrade,            ///< Upgrade: websocket or Connection: Upgrade missing
  unsupported_version,       ///< Sec-WebSocket-Version is not 13 (answer 426)
  bad_key,                   ///< Sec-WebSocket-Key missing or not 16 bytes of base64
  no_sip_protocol,           ///< Sec-WebSocket-Protocol does not offer "sip" (RFC 7118 5)
  bad_status_line,           ///< client side: the answer is not an HTTP/1.1 status line
  upgrade_refused,           ///< client side: the answer is not 101
  bad_accept,                ///< client side: Sec-WebSocket-Accept does not match
  frame_too_large,           ///< one frame's payload exceeds ws_limits::max_frame (1009)
  message_too_large,         ///< a reassembled message exceeds max_message (1009)
  unmasked_frame,            ///< a client sent an unmasked frame (RFC 6455 5.1)
  masked_frame,              ///< a server sent a masked frame
  reserved_bits,             ///< RSV1-3 set without a negotiated extension
  bad_opcode,                ///< a reserved opcode
  fragmented_control,        ///< a control frame without FIN
  control_too_large,         ///< a control frame payload over 125 bytes
  unexpected_continuation,   ///< a continuation frame outside a message
  expected_continuation,     ///< a new data frame inside a fragmented message
  bad_length,                ///< a 64-bit length with its top bit set
  bad_close,                 ///< a close frame with a 1-byte payload or a bad code
  bad_utf8,                  ///< a text message or close reason that is not UTF-8 (1007)
};

const std::error_category& ws_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), ws_category()}; }

/// Every limit the codec enforces, per connection. Configurable.
struct ws_limits {
  std::size_t max_handshake = 8192;   ///< bytes of the HTTP upgrade request or answer
  std::size_t max_frame = 65536;      ///< payload bytes of one frame
  std::size_t max_message = 65536;    ///< payload bytes of one reassembled message
};

/// The GUID of RFC 6455 4.2.2: Sec-WebSocket-Accept is base64(SHA-1(key + guid)).
inline constexpr std::string_view k_accept_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// ---- the HTTP upgrade ---------------------------------------------------------------

/// A client's opening handshake (RFC 6455 4.2.1), as read by the server.
struct upgrade_request {
  std::string target;                  ///< request-target, e.g. "/" or "/ws"
  std::string host;
  std::string origin;
  std::string key;                     ///< Sec-WebSocket-Key as sent
  std::vector<std::string> protocols;  ///< Sec-WebSocket-Protocol tokens, in order
  std::string user_agent;
  bool offers(std::string_view protocol) const;
};

/// Result of a handshake parse: `ec` is need_more until the blank line arrives, then
/// ok (`consumed` bytes were the handshake; what follows are frames) or the fault.
struct upgrade_result {
  std::error_code ec;
  std::size_t consumed = 0;
};

/// Parses the upgrade request at the start of `buffer` (call again with more bytes
/// on need_more; the parse restarts, handshakes are small). Checks what RFC 6455 4.2.1
/// and RFC 7118 5 require, including that "sip" is offered.
upgrade_result parse_upgrade(std::string_view buffer, upgrade_request& out, const ws_limits& limits = {});

/// The HTTP status a refused upgrade is answered with: 426 for a version, else 400.
std::uint16_t reject_status(std::error_code ec) noexcept;
/// 101 Switching Protocols with `accept` (base64 of the SHA-1) and protocol "sip".
std::string accept_response(std::string_view accept);
/// The refusal: `status` with a reason naming the fault, and Connection: close.
std::string reject_response(std::error_code why);

/// A client's upgrade request for `host` and `target` offering "sip" with `key`
/// (base64 of 16 random bytes).
std::string client_request(std::string_view host, std::string_view target, std::string_view key);
/// Parses the server's answer; on ok `consumed` bytes were it. `expected_accept` is
/// what the key must hash to; protocol "sip" must be chosen.
upgrade_result parse_accept(std::string_view buffer, std::string_view expected_accept,
                            const ws_limits& limits = {});

// ---- frames -------------------------------------------------------------------------

enum class opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

/// Which end of the connection this codec is: a server requires masked frames and
/// sends unmasked ones; a client the reverse.
enum class role : std::uint8_t { server, client };

/// One thing the peer said: a whole data message (fragments joined), or a control frame.
struct event {
  enum class kind : std::uint8_t { message, ping, pong, close };
  kind what = kind::message;
  bool binary = false;            ///< message: sent as binary rather than text
  std::string payload;            ///< message, ping and pong payload
  std::uint16_t close_code = 0;   ///< close: 0 when the frame had no code (1005)
  std::string close_reason;
};

/// The close code to send for a frame fault: 1009 for sizes, 1007 for bad UTF-8,
/// 1002 for any other protocol error.
std::uint16_t close_code_for(std::error_code ec) noexcept;

/// Resumable frame decoder with limits. Feed bytes as they arrive, then call next()
/// until it says need_more. Any other error is final: send a close with
/// close_code_for() and drop the connection.
class frame_decoder {
 public:
  explicit frame_decoder(role r = role::server, ws_limits limits = {});
  void feed(std::string_view bytes);
  /// The next event, or need_more, or the fault.
  std::error_code next(event& out);
  /// Bytes held, complete or not (at most one frame's header and payload plus the
  /// message being reassembled, once next() has drained complete frames).
  std::size_t buffered() const noexcept { return buf_.size() - pos_ + msg_.size(); }
  /// True while a fragmented message is incomplete.
  bool in_message() const noexcept { return in_message_; }

 private:
  role role_;
  ws_limits limits_;
  std::string buf_;
  std::size_t pos_ = 0;
  std::string msg_;
  bool in_message_ = false;
  bool msg_binary_ = false;
  bool failed_ = false;
  std::error_code fault_;
};

/// One frame with FIN set: unmasked (a server's) unless `mask` is given (a client's).
std::string encode_frame(opcode op, std::string_view payload, const std::array<std::uint8_t, 4>* mask = nullptr);
/// A close frame with `code` (and a reason, cut to fit 125 bytes).
std::string encode_close(std::uint16_t code, std::string_view reason = {},
                         const std::array<std::uint8_t, 4>* mask = nullptr);

/// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

}  // namespace sipevents::ws

/// \cond INTERNAL
template <>
struct std::is_error_code_enum<sipevents::ws::errc> : std::true_type {};
/// \endcond

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_WS_WS_CODEC
#define SIPEVENTS_SEEN_WS_WS_CODEC
#include "sipevents/impl/definitions.ipp"
#endif
