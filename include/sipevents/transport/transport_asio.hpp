// UDP, TCP, TLS and WebSocket over standalone Asio, IPv4 and IPv6. The only layer
// that owns sockets. TLS itself comes from an adapter (transport_tls) through
// tls_provider, so this target does not link OpenSSL.
// Threading: every member must be called on the io_context's thread (the runtime
// guarantees it); completion handlers run there too.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_TRANSPORT_TRANSPORT_ASIO
#endif
#include <asio.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "sipevents/message/framer.hpp"
#include "sipevents/transaction/transaction_types.hpp"
#include "sipevents/ws/ws_codec.hpp"

namespace sipevents::transport {

using transaction::peer;
using transaction::transport_kind;

struct transport_config {
  std::size_t max_message_size = 65535;      ///< datagram and framed message limit
  /// Open TCP, TLS and WebSocket connections, both directions. When the table is full
  /// a newcomer is still taken: the oldest connection that has not yet sent a whole
  /// message is closed for it, else the longest idle one.
  std::size_t max_connections = 1024;
  /// Connections accepted from one IP address at once; more are refused, so that one
  /// source cannot fill the table.
  std::size_t max_connections_per_source = 128;
  std::size_t max_connection_buffer = 1 << 20;  ///< unparsed bytes per connection
  std::chrono::seconds tcp_idle{64};         ///< idle connections close after this
  /// An accepted connection must finish its TLS handshake and WebSocket upgrade and
  /// deliver its first whole SIP message within this, or it is closed (a connection
  /// that sends nothing, or a byte a second, holds no slot for long).
  std::chrono::seconds handshake_timeout{10};
  /// TLS handshakes and WebSocket upgrades in progress at once; more are refused.
  std::size_t max_handshakes = 256;
  /// An idle WebSocket connection gets a ping this often (browsers answer pings, but
  /// JsSIP and SIP.js send no keep-alive of their own). Zero turns it off.
  std::chrono::seconds ws_ping_interval{30};
  ws::ws_limits ws_limits;                   ///< WebSocket handshake, frame and message limits
  std::size_t max_notices_per_second = 20;   ///< connection notices logged per second
  /// Sec-WebSocket-Accept for a client key (crypto::websocket_accept). ws and wss
  /// listeners need it.
  std::function<std::string(std::string_view key)> ws_accept;
  /// SO_RCVBUF of UDP sockets (the kernel caps it at net.core.rmem_max); 0 keeps the
  /// default. A deep queue absorbs bursts that would otherwise be dropped and resent.
  std::size_t udp_receive_buffer = 4 << 20;
  message::parse_limits limits;              ///< framer limits
};

/// The byte stream under a connection: a TCP socket, or TLS over one.
class stream {
 public:
  using handshake_fn = std::function<void(std::error_code, std::string detail)>;
  using io_fn = std::function<void(std::error_code, std::size_t)>;
  virtual ~stream() = default;
  /// The TCP socket underneath (to accept into, connect, set options, close).
  virtual asio::ip::tcp::socket& socket() = 0;
  /// Runs the TLS handshake as the accepting or the connecting side; `detail` says
  /// why it failed (a certificate that does not name the server, ...).
  virtual void async_handshake(bool server, handshake_fn done) = 0;
  virtual void async_read_some(asio::mutable_buffer b, io_fn done) = 0;
  /// Writes all of `b`.
  virtual void async_write(asio::const_buffer b, io_fn done) = 0;
  /// True when a handshake is needed before bytes flow (TLS).
  virtual bool secure() const noexcept = 0;
};

/// Makes TLS streams: what the TLS adapter (sipevents::transport_tls) provides.
class tls_provider {
 public:
  virtual ~tls_provider() = default;
  /// A stream for a connection accepted on a tls or wss listener.
  virtual std::unique_ptr<stream> server_stream(asio::io_context& io) = 0;
  /// A stream for a connection we open to `to`, verifying the server as RFC 5922 says
  /// against `to.name` (or `to.host` when no name is given).
  virtual std::unique_ptr<stream> client_stream(asio::io_context& io, const peer& to) = 0;
  /// False when no certificate is loaded (tls and wss listeners need one).
  virtual bool can_serve() const noexcept = 0;
};

class transport_set {
 public:
  /// A message arrived: one datagram, one framed stream message, or one WebSocket
  /// message.
  using receive_fn = std::function<void(std::string_view bytes, const peer& from)>;
  /// Sending to `to` failed (unreachable, refused, reset, a TLS handshake or
  /// certificate failure): `detail` says why in words, for the log and the application.
  using error_fn = std::function<void(const peer& to, std::error_code, std::string_view detail)>;
  /// Something a connection did that ended it or was refused, for the log. At most
  /// `max_notices_per_second` a second; the rest are counted in a summary line.
  using notice_fn = std::function<void(std::string_view text)>;

  transport_set(asio::io_context& io, transport_config cfg, receive_fn on_receive, error_fn on_error);
  ~transport_set();
  transport_set(const transport_set&) = delete;
  transport_set& operator=(const transport_set&) = delete;

  /// TLS for tls and wss listeners and for tls destinations (not owned by the caller).
  void set_tls(std::shared_ptr<tls_provider> tls) { tls_ = std::move(tls); }
  void set_notice(notice_fn n) { notice_ = std::move(n); }
  /// Called when a connection opens, so the owner can schedule sweep() (idle and
  /// handshake deadlines).
  void set_on_connection(std::function<void()> f) { on_connection_ = std::move(f); }

  /// Listens on `bind` ("udp:127.0.0.1:5060", "wss:[::1]:8443", port 0 picks one).
  /// The address actually bound is written back into `bind`.
  std::error_code listen(peer& bind);
  /// Sends to `to`. TCP and TLS reuse a connection to that peer (and name) or open
  /// one; WebSocket only uses the client's connection, never opens one (RFC 7118 5).
  void send(const peer& to, std::string bytes);
  /// Sends the UDP datagrams queued this turn now (they otherwise leave at its end,
  /// together). Called before the event loop stops, so a last answer is not lost.
  void flush_datagrams();
  /// A listening address of this kind and family, for Via sent-by and Contact.
  const peer* local(transport_kind k, bool v6) const;
  bool has(transport_kind k, bool v6) const { return local(k, v6) != nullptr; }
  std::size_t connection_count() const noexcept { return conns_.size(); }
  /// True while a usable connection to `p` is open (a flow that can still carry
  /// requests to it, RFC 5626).
  bool connected(const peer& p) const;
  /// Connections whose TLS handshake or WebSocket upgrade is under way.
  std::size_t handshakes_in_progress() const noexcept { return handshaking_; }
  /// Closes idle connections and handshakes past their deadline; pings idle WebSocket
  /// connections.
  void sweep(std::chrono::steady_clock::time_point now);

 private:
  struct udp_socket;
  struct listener;
  struct connection;
  void start_receive(const std::shared_ptr<udp_socket>& s);
  static constexpr std::size_t k_udp_batch = 64;     // datagrams per sendmmsg
  static constexpr std::size_t k_udp_batch_in = 16;  // per recvmmsg
  const peer& udp_peer(udp_socket& s, const asio::ip::udp::endpoint& from);
  void flush(udp_socket& s);
  void start_accept(const std::shared_ptr<listener>& l);
  void begin(const std::shared_ptr<connection>& c, bool server);
  void opened(const std::shared_ptr<connection>& c);
  void start_read(const std::shared_ptr<connection>& c);
  bool on_stream_bytes(const std::shared_ptr<connection>& c, std::string_view bytes);
  bool on_upgrade_bytes(const std::shared_ptr<connection>& c, std::string_view bytes);
  bool on_ws_bytes(const std::shared_ptr<connection>& c, std::string_view bytes);
  void queue(const std::shared_ptr<connection>& c, std::string bytes);
  void start_write(const std::shared_ptr<connection>& c);
  /// Closes `c`. With `report`, or with messages still queued, the failure reaches the
  /// error callback with `detail`; otherwise `detail`, when given, is a notice.
  void drop(const std::shared_ptr<connection>& c, std::error_code ec, bool report, std::string_view detail = {});
  void adopt(const std::shared_ptr<connection>& c);
  void notice(std::string_view text);

  asio::io_context& io_;
  transport_config cfg_;
  receive_fn on_receive_;
  error_fn on_error_;
  notice_fn notice_;
  std::function<void()> on_connection_;
  // Notices are limited per second: a flood of connections must not flood the log.
  std::chrono::steady_clock::time_point notice_window_{};
  std::size_t notices_in_window_ = 0, notices_suppressed_ = 0;
  std::shared_ptr<tls_provider> tls_;
  std::vector<std::shared_ptr<udp_socket>> udp_;
  std::vector<std::shared_ptr<listener>> listeners_;
  std::map<std::string, std::shared_ptr<connection>> conns_;  // by connection_key(peer)
  std::size_t handshaking_ = 0;
  std::map<std::string, std::size_t, std::less<>> per_source_;  // accepted connections by remote host
  /// Makes room for an accepted connection in a full table; false if nothing can go.
  bool evict_one();
  std::shared_ptr<bool> alive_;
};

/// "127.0.0.1" / "::1" → asio address; false if `host` is not numeric.
bool to_address(const std::string& host, asio::ip::address& out);

/// The key connections are kept by: the peer, and for TLS the name it must prove.
std::string connection_key(const peer& p);

/// A plain TCP stream (what tcp and ws connections use).
std::unique_ptr<stream> make_tcp_stream(asio::io_context& io);

}  // namespace sipevents::transport

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_TRANSPORT_TRANSPORT_ASIO
#define SIPEVENTS_SEEN_TRANSPORT_TRANSPORT_ASIO
#include "sipevents/impl/definitions.ipp"
#endif
