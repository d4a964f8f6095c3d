// UDP and TCP over standalone Asio, IPv4 and IPv6. The only layer that owns sockets.
// Threading: every member must be called on the io_context's thread (the runtime
// guarantees it); completion handlers run there too.
#pragma once
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

namespace sipevents::transport {

using transaction::peer;
using transaction::transport_kind;

struct transport_config {
  std::size_t max_message_size = 65535;      ///< datagram and framed message limit
  std::size_t max_connections = 1024;        ///< open TCP connections, both directions
  std::size_t max_connection_buffer = 1 << 20;  ///< unparsed bytes per connection
  std::chrono::seconds tcp_idle{64};         ///< idle connections close after this
  /// SO_RCVBUF of UDP sockets (the kernel caps it at net.core.rmem_max); 0 keeps the
  /// default. A deep queue absorbs bursts that would otherwise be dropped and resent.
  std::size_t udp_receive_buffer = 4 << 20;
  message::parse_limits limits;              ///< framer limits
};

class transport_set {
 public:
  /// A message arrived: one datagram or one framed stream message.
  using receive_fn = std::function<void(std::string_view bytes, const peer& from)>;
  /// Sending to `to` failed (unreachable, connection refused or reset).
  using error_fn = std::function<void(const peer& to, std::error_code)>;

  transport_set(asio::io_context& io, transport_config cfg, receive_fn on_receive, error_fn on_error);
  ~transport_set();
  transport_set(const transport_set&) = delete;
  transport_set& operator=(const transport_set&) = delete;

  /// Listens on `bind` ("udp:127.0.0.1:5060", port 0 picks one). The address actually
  /// bound is written back into `bind`.
  std::error_code listen(peer& bind);
  /// Sends to `to`. TCP reuses a connection to that peer or opens one.
  void send(const peer& to, std::string bytes);
  /// A listening address of this kind and family, for Via sent-by and Contact.
  const peer* local(transport_kind k, bool v6) const;
  bool has(transport_kind k, bool v6) const { return local(k, v6) != nullptr; }
  std::size_t connection_count() const noexcept { return conns_.size(); }
  /// Closes TCP connections idle longer than the configured time.
  void sweep(std::chrono::steady_clock::time_point now);

 private:
  struct udp_socket;
  struct tcp_listener;
  struct connection;
  void start_receive(const std::shared_ptr<udp_socket>& s);
  void start_accept(const std::shared_ptr<tcp_listener>& l);
  void start_read(const std::shared_ptr<connection>& c);
  void start_write(const std::shared_ptr<connection>& c);
  void drop(const std::shared_ptr<connection>& c, std::error_code ec, bool report);
  void adopt(const std::shared_ptr<connection>& c);

  asio::io_context& io_;
  transport_config cfg_;
  receive_fn on_receive_;
  error_fn on_error_;
  std::vector<std::shared_ptr<udp_socket>> udp_;
  std::vector<std::shared_ptr<tcp_listener>> tcp_;
  std::map<std::string, std::shared_ptr<connection>> conns_;  // by to_string(peer)
  std::shared_ptr<bool> alive_;
};

/// "127.0.0.1" / "::1" → asio address; false if `host` is not numeric.
bool to_address(const std::string& host, asio::ip::address& out);

}  // namespace sipevents::transport
