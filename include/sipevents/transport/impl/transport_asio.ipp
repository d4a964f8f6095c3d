#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/transport/transport_asio.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace sipevents::transport {

namespace {
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using steady = std::chrono::steady_clock;

peer make_peer(transport_kind k, const asio::ip::address& a, unsigned short port) {
  peer p;
  p.transport = k;
  // v4-mapped v6 addresses are reported as plain v4, so keys and received= match.
  if (a.is_v6() && a.to_v6().is_v4_mapped()) p.host = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  else p.host = a.to_string();
  p.port = port;
  return p;
}

class tcp_stream final : public stream {
 public:
  explicit tcp_stream(asio::io_context& io) : sock_(io) {}
  tcp::socket& socket() override { return sock_; }
  void async_handshake(bool, handshake_fn done) override {
    asio::post(sock_.get_executor(), [done = std::move(done)] { done({}, {}); });
  }
  void async_read_some(asio::mutable_buffer b, io_fn done) override { sock_.async_read_some(b, std::move(done)); }
  void async_write(asio::const_buffer b, io_fn done) override { asio::async_write(sock_, b, std::move(done)); }
  bool secure() const noexcept override { return false; }

 private:
  tcp::socket sock_;
};
}  // namespace

SIPEVENTS_INLINE bool to_address(const std::string& host, asio::ip::address& out) {
  std::error_code ec;
  out = asio::ip::make_address(host, ec);
  return !ec;
}

SIPEVENTS_INLINE std::string connection_key(const peer& p) {
  std::string k = transaction::to_string(p);
  if (p.transport == transport_kind::tls && !p.name.empty()) k.append("#").append(p.name);
  return k;
}

SIPEVENTS_INLINE std::unique_ptr<stream> make_tcp_stream(asio::io_context& io) { return std::make_unique<tcp_stream>(io); }

struct transport_set::udp_socket {
  explicit udp_socket(asio::io_context& io) : sock(io) {}
  udp::socket sock;
  peer local;
  bool v6 = false;
  udp::endpoint from;
  std::vector<char> buf;  // k_udp_batch_in slots of max_message_size + 1 on Linux
  udp::endpoint last_from;
  peer last_peer;
  // Datagrams of this turn, sent together at its end (sendmmsg on Linux): one system
  // call and one wakeup of a busy peer per burst instead of one per datagram.
  struct outgoing {
    udp::endpoint to;
    std::string bytes;
    peer dest;  // for the error report
  };
  std::vector<outgoing> outq;
  bool flush_posted = false;
};

struct transport_set::listener {
  explicit listener(asio::io_context& io) : acc(io) {}
  tcp::acceptor acc;
  peer local;
};

struct transport_set::connection {
  enum class phase : std::uint8_t {
    connecting,  ///< TCP connect under way (ours)
    handshake,   ///< TLS handshake under way
    upgrade,     ///< WebSocket: waiting for the HTTP upgrade
    open,        ///< SIP flows
  };
  connection(std::unique_ptr<stream> s, message::parse_limits l) : io(std::move(s)), framer(l) {}
  std::unique_ptr<stream> io;
  peer remote;
  std::string key;
  phase state = phase::connecting;
  bool websocket = false;
  message::stream_framer framer;
  std::size_t keepalives_answered = 0;  // "\r\n\r\n" pings answered (RFC 5626 4.4.1)
  std::string upgrade;                  // WebSocket: the HTTP request so far
  std::unique_ptr<ws::frame_decoder> frames;
  std::array<char, 4096> rbuf{};  // per connection, idle ones too: one page, not a record
  std::deque<std::string> wq;
  bool writing = false;
  bool closing = false;      // close once the queue is written (WebSocket close, HTTP refusal)
  bool closed = false;       // dropped: handlers still queued for it do nothing
  bool counted = false;      // counted in handshaking_
  bool accepted = false;     // theirs: counted in per_source_, held to the first-message deadline
  bool proven = false;       // a whole SIP message has arrived on it
  steady::time_point opened = steady::now();
  steady::time_point last = opened;
  steady::time_point pinged = opened;
};

SIPEVENTS_INLINE transport_set::transport_set(asio::io_context& io, transport_config cfg, receive_fn on_receive, error_fn on_error)
    : io_(io), cfg_(std::move(cfg)), on_receive_(std::move(on_receive)), on_error_(std::move(on_error)),
      alive_(std::make_shared<bool>(true)) {}

SIPEVENTS_INLINE transport_set::~transport_set() {
  *alive_ = false;  // the owner may be half gone: no error reports from here on
  flush_datagrams();
  std::error_code ec;
  for (auto& s : udp_) s->sock.close(ec);
  for (auto& l : listeners_) l->acc.close(ec);
  for (auto& [k, c] : conns_) c->io->socket().close(ec);
}

SIPEVENTS_INLINE bool transport_set::evict_one() {
  // The oldest connection that has proven nothing yet; else the one idle longest.
  std::shared_ptr<connection> victim;
  for (auto& [k, c] : conns_) {
    if (c->accepted && !c->proven && (!victim || c->opened < victim->opened)) victim = c;
  }
  if (!victim) {
    for (auto& [k, c] : conns_) {
      if (c->writing || !c->wq.empty() || c->state != connection::phase::open) continue;
      if (!victim || c->last < victim->last) victim = c;
    }
  }
  if (!victim) return false;
  drop(victim, {}, false, "evicted " + transaction::to_string(victim->remote) + " for a newcomer: " +
                               std::to_string(conns_.size()) + " connections open");
  return true;
}

SIPEVENTS_INLINE bool transport_set::connected(const peer& p) const {
  auto it = conns_.find(connection_key(p));
  return it != conns_.end() && !it->second->closing && !it->second->closed;
}

SIPEVENTS_INLINE void transport_set::notice(std::string_view text) {
  if (!notice_) return;
  const auto now = steady::now();
  if (now - notice_window_ >= std::chrono::seconds(1)) {
    if (notices_suppressed_)
      notice_(std::to_string(notices_suppressed_) + " more connection notices in the last second not shown");
    notice_window_ = now;
    notices_in_window_ = notices_suppressed_ = 0;
  }
  if (notices_in_window_ < cfg_.max_notices_per_second) {
    ++notices_in_window_;
    notice_(text);
  } else {
    ++notices_suppressed_;
  }
}

SIPEVENTS_INLINE std::error_code transport_set::listen(peer& bind) {
  asio::ip::address addr;
  if (!to_address(bind.host, addr)) return std::make_error_code(std::errc::invalid_argument);
  std::error_code ec;
  if (bind.transport == transport_kind::udp) {
    auto s = std::make_shared<udp_socket>(io_);
    udp::endpoint ep(addr, bind.port);
    s->sock.open(ep.protocol(), ec);
    if (!ec && addr.is_v6()) s->sock.set_option(asio::ip::v6_only(true), ec);
    if (!ec) s->sock.bind(ep, ec);
    if (ec) return ec;
    if (cfg_.udp_receive_buffer) {
      // A smaller buffer only costs resends, never correctness. With CAP_NET_ADMIN the
      // size is taken past net.core.rmem_max (Debian's default is 208 KiB, less than
      // one burst of 200s from a thousand watchers).
      int size = static_cast<int>(cfg_.udp_receive_buffer);
      bool forced = false;
#ifdef SO_RCVBUFFORCE
      forced = ::setsockopt(s->sock.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == 0;
#endif
      std::error_code ignored;
      if (!forced) s->sock.set_option(asio::socket_base::receive_buffer_size(size), ignored);
    }
    s->sock.non_blocking(true, ec);
    if (ec) return ec;
    bind.port = s->sock.local_endpoint().port();
    s->local = bind;
    s->v6 = addr.is_v6();
#if defined(__linux__)
    s->buf.resize((cfg_.max_message_size + 1) * k_udp_batch_in);
#else
    s->buf.resize(cfg_.max_message_size + 1);
#endif
    udp_.push_back(s);
    start_receive(s);
    return {};
  }
  if (transaction::is_secure(bind.transport) && (!tls_ || !tls_->can_serve()))
    return std::make_error_code(std::errc::operation_not_supported);  // no certificate
  if (transaction::is_websocket(bind.transport) && !cfg_.ws_accept)
    return std::make_error_code(std::errc::operation_not_supported);
  auto l = std::make_shared<listener>(io_);
  tcp::endpoint ep(addr, bind.port);
  l->acc.open(ep.protocol(), ec);
  if (!ec) l->acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && addr.is_v6()) l->acc.set_option(asio::ip::v6_only(true), ec);
  if (!ec) l->acc.bind(ep, ec);
  if (!ec) l->acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  bind.port = l->acc.local_endpoint().port();
  bind.name.clear();
  l->local = bind;
  listeners_.push_back(l);
  start_accept(l);
  return {};
}

SIPEVENTS_INLINE const peer* transport_set::local(transport_kind k, bool v6) const {
  asio::ip::address a;
  if (k == transport_kind::udp) {
    for (const auto& s : udp_)
      if (to_address(s->local.host, a) && a.is_v6() == v6) return &s->local;
  } else {
    for (const auto& l : listeners_)
      if (l->local.transport == k && to_address(l->local.host, a) && a.is_v6() == v6) return &l->local;
  }
  return nullptr;
}

SIPEVENTS_INLINE const peer& transport_set::udp_peer(udp_socket& s, const udp::endpoint& from) {
  // One address formatted per source, not per datagram: a busy peer sends bursts.
  if (!(s.last_from == from) || s.last_peer.host.empty()) {
    s.last_from = from;
    s.last_peer = make_peer(transport_kind::udp, from.address(), from.port());
  }
  return s.last_peer;
}

SIPEVENTS_INLINE void transport_set::start_receive(const std::shared_ptr<udp_socket>& s) {
  std::weak_ptr<bool> alive = alive_;
#if defined(__linux__)
  s->sock.async_wait(udp::socket::wait_read, [this, s, alive](std::error_code ec) {
    if (alive.expired() || !*alive.lock() || ec == asio::error::operation_aborted) return;
    // Drain what is queued, k_udp_batch_in datagrams per system call, bounded so TCP
    // and timers still get a turn.
    const std::size_t slot = cfg_.max_message_size + 1;
    for (int round = 0; round < 4 && s->sock.is_open(); ++round) {
      std::array<mmsghdr, k_udp_batch_in> hdrs{};
      std::array<iovec, k_udp_batch_in> iov{};
      std::array<sockaddr_storage, k_udp_batch_in> names{};
      for (std::size_t k = 0; k < k_udp_batch_in; ++k) {
        iov[k].iov_base = s->buf.data() + k * slot;
        iov[k].iov_len = slot;
        hdrs[k].msg_hdr.msg_name = &names[k];
        hdrs[k].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        hdrs[k].msg_hdr.msg_iov = &iov[k];
        hdrs[k].msg_hdr.msg_iovlen = 1;
      }
      const int n = ::recvmmsg(s->sock.native_handle(), hdrs.data(), k_udp_batch_in, MSG_DONTWAIT, nullptr);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // nothing more (or an ICMP error): wait again
      for (int k = 0; k < n; ++k) {
        const std::size_t len = hdrs[k].msg_len;
        // A datagram longer than the limit fills its slot: drop it (18.3 cannot frame it).
        if (len == 0 || len > cfg_.max_message_size) continue;
        udp::endpoint from;
        std::memcpy(from.data(), &names[k], std::min<std::size_t>(hdrs[k].msg_hdr.msg_namelen, from.capacity()));
        on_receive_(std::string_view(s->buf.data() + std::size_t(k) * slot, len), udp_peer(*s, from));
        if (alive.expired()) return;
      }
      if (n < static_cast<int>(k_udp_batch_in)) break;
    }
    flush_datagrams();  // what this burst answered
    if (s->sock.is_open()) start_receive(s);
  });
#else
  s->sock.async_receive_from(asio::buffer(s->buf), s->from, [this, s, alive](std::error_code ec, std::size_t n) {
    if (alive.expired() || !*alive.lock() || ec == asio::error::operation_aborted) return;
    // A datagram longer than the limit fills the buffer: drop it (18.3 cannot frame it).
    if (!ec && n > 0 && n <= cfg_.max_message_size)
      on_receive_(std::string_view(s->buf.data(), n), udp_peer(*s, s->from));
    // Drain what is already queued before waiting again: one reactor round trip per
    // burst instead of one per datagram. Bounded, so TCP and timers still get a turn.
    for (int i = 0; i < 64 && s->sock.is_open() && !alive.expired(); ++i) {
      std::error_code rec;
      std::size_t m = s->sock.receive_from(asio::buffer(s->buf), s->from, 0, rec);
      if (rec == asio::error::would_block || rec == asio::error::try_again) break;
      if (!rec && m > 0 && m <= cfg_.max_message_size) on_receive_(std::string_view(s->buf.data(), m), udp_peer(*s, s->from));
    }
    if (alive.expired()) return;
    flush_datagrams();  // what this burst answered
    // ICMP errors surface as receive errors on Linux; keep listening regardless.
    if (s->sock.is_open()) start_receive(s);
  });
#endif
}

SIPEVENTS_INLINE void transport_set::flush_datagrams() {
  for (auto& s : udp_) {
    s->flush_posted = false;
    if (!s->outq.empty()) flush(*s);
  }
}

SIPEVENTS_INLINE void transport_set::flush(udp_socket& s) {
  std::vector<udp_socket::outgoing> q;
  q.swap(s.outq);
  std::size_t i = 0;
  while (i < q.size()) {
#if defined(__linux__)
    std::array<mmsghdr, k_udp_batch> hdrs{};
    std::array<iovec, k_udp_batch> iov{};
    const std::size_t n = std::min(q.size() - i, k_udp_batch);
    for (std::size_t k = 0; k < n; ++k) {
      udp_socket::outgoing& o = q[i + k];
      iov[k].iov_base = o.bytes.data();
      iov[k].iov_len = o.bytes.size();
      hdrs[k].msg_hdr.msg_name = o.to.data();
      hdrs[k].msg_hdr.msg_namelen = static_cast<socklen_t>(o.to.size());
      hdrs[k].msg_hdr.msg_iov = &iov[k];
      hdrs[k].msg_hdr.msg_iovlen = 1;
    }
    const int sent = ::sendmmsg(s.sock.native_handle(), hdrs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
    if (sent > 0) {
      i += static_cast<std::size_t>(sent);
      continue;
    }
    const int e = errno;
    if (e == EINTR) continue;
    const std::error_code ec(e, std::system_category());
#else
    std::error_code ec;
    s.sock.send_to(asio::buffer(q[i].bytes), q[i].to, 0, ec);
    if (!ec) {
      ++i;
      continue;
    }
#endif
    if (ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block) {
      // The socket buffer is full: the rest wait for room like any asynchronous send.
      std::weak_ptr<bool> alive = alive_;
      for (; i < q.size(); ++i) {
        auto o = std::make_shared<udp_socket::outgoing>(std::move(q[i]));
        s.sock.async_send_to(asio::buffer(o->bytes), o->to, [this, o, alive](std::error_code ec2, std::size_t) {
          if (ec2 && !alive.expired() && *alive.lock() && ec2 != asio::error::operation_aborted)
            on_error_(o->dest, ec2, ec2.message());
        });
      }
      break;
    }
    // This datagram cannot go (no route, too long): report it, send the rest.
    if (*alive_) on_error_(q[i].dest, ec, ec.message());
    ++i;
  }
  // Keep the larger buffer for the next turn unless another send refilled it.
  if (s.outq.empty()) {
    q.clear();
    s.outq.swap(q);
  }
}

SIPEVENTS_INLINE void transport_set::start_accept(const std::shared_ptr<listener>& l) {
  const transport_kind kind = l->local.transport;
  std::unique_ptr<stream> s = transaction::is_secure(kind) ? tls_->server_stream(io_) : make_tcp_stream(io_);
  auto c = std::make_shared<connection>(std::move(s), cfg_.limits);
  std::weak_ptr<bool> alive = alive_;
  l->acc.async_accept(c->io->socket(), [this, l, c, kind, alive](std::error_code ec) {
    if (alive.expired() || !*alive.lock() || ec == asio::error::operation_aborted) return;
    if (!ec) {
      std::error_code ig;
      auto ep = c->io->socket().remote_endpoint(ig);
      c->remote = make_peer(kind, ep.address(), ep.port());
      const bool handshake = c->io->secure() || transaction::is_websocket(kind);
      auto src = per_source_.find(c->remote.host);
      if (src != per_source_.end() && src->second >= cfg_.max_connections_per_source) {
        c->io->socket().close(ig);
        notice("refused " + transaction::to_string(c->remote) + ": " + std::to_string(src->second) +
               " connections from " + c->remote.host);
      } else if (conns_.size() >= cfg_.max_connections && !evict_one()) {
        c->io->socket().close(ig);
        notice("refused " + transaction::to_string(c->remote) + ": " + std::to_string(conns_.size()) +
               " connections open");
      } else if (handshake && handshaking_ >= cfg_.max_handshakes) {
        c->io->socket().close(ig);
        notice("refused " + transaction::to_string(c->remote) + ": " + std::to_string(handshaking_) +
               " handshakes in progress");
      } else {
        c->io->socket().set_option(tcp::no_delay(true), ig);
        c->websocket = transaction::is_websocket(kind);
        c->accepted = true;
        ++per_source_[c->remote.host];
        adopt(c);
        begin(c, true);
      }
    }
    if (l->acc.is_open()) start_accept(l);
  });
}

SIPEVENTS_INLINE void transport_set::adopt(const std::shared_ptr<connection>& c) {
  c->key = connection_key(c->remote);
  // A newer connection to the same peer replaces the old one for sending; the old
  // one keeps reading until it closes.
  conns_[c->key] = c;
  if (on_connection_) on_connection_();
}

SIPEVENTS_INLINE void transport_set::begin(const std::shared_ptr<connection>& c, bool server) {
  if (!c->io->secure() && !c->websocket) {
    opened(c);
    return;
  }
  c->counted = true;
  ++handshaking_;
  if (!c->io->secure()) {  // ws: straight to the upgrade
    c->state = connection::phase::upgrade;
    start_read(c);
    return;
  }
  c->state = connection::phase::handshake;
  std::weak_ptr<bool> alive = alive_;
  c->io->async_handshake(server, [this, c, server, alive](std::error_code ec, std::string detail) {
    if (alive.expired() || !*alive.lock() || c->closed) return;
    if (ec) {
      drop(c, ec, !server,
           "TLS handshake with " + transaction::to_string(c->remote) + " failed: " + (detail.empty() ? ec.message() : detail));
      return;
    }
    if (c->websocket) {
      c->state = connection::phase::upgrade;
      start_read(c);
      return;
    }
    opened(c);
  });
}

SIPEVENTS_INLINE void transport_set::opened(const std::shared_ptr<connection>& c) {
  if (c->counted) {
    c->counted = false;
    --handshaking_;
  }
  c->state = connection::phase::open;
  c->last = steady::now();
  c->pinged = c->last;
  // A connection we opened, or an accepted ws upgrade, starts reading here; an accepted
  // WebSocket connection is reading already.
  if (!c->websocket) start_read(c);
  start_write(c);
}

SIPEVENTS_INLINE void transport_set::start_read(const std::shared_ptr<connection>& c) {
  std::weak_ptr<bool> alive = alive_;
  c->io->async_read_some(asio::buffer(c->rbuf), [this, c, alive](std::error_code ec, std::size_t n) {
    if (alive.expired() || !*alive.lock() || c->closed) return;
    if (ec) {
      const bool mid = c->state != connection::phase::open || (c->frames && c->frames->in_message());
      drop(c, ec, false,
           mid ? "connection " + transaction::to_string(c->remote) + " closed before " +
                     (c->state == connection::phase::open ? "its message ended" : "its handshake finished")
               : std::string());
      return;
    }
    c->last = steady::now();
    std::string_view bytes(c->rbuf.data(), n);
    bool keep = c->state == connection::phase::upgrade ? on_upgrade_bytes(c, bytes)
                : c->websocket                         ? on_ws_bytes(c, bytes)
                                                       : on_stream_bytes(c, bytes);
    if (alive.expired() || !*alive.lock() || c->closed) return;
    if (keep) start_read(c);
  });
}

SIPEVENTS_INLINE bool transport_set::on_stream_bytes(const std::shared_ptr<connection>& c, std::string_view bytes) {
  std::weak_ptr<bool> alive = alive_;
  c->framer.feed(bytes);
  message::message m;
  for (;;) {
    message::codec_error e = c->framer.next(m);
    if (e.code == message::errc::need_more) break;
    if (c->framer.fatal()) {
      drop(c, std::make_error_code(std::errc::protocol_error), false,
           "closed " + transaction::to_string(c->remote) + ": " + e.reason());
      return false;
    }
    if (!m.raw().empty()) {
      c->proven = true;
      on_receive_(m.raw(), c->remote);
    }
    if (alive.expired() || !*alive.lock() || c->closed) return false;
  }
  // RFC 5626 4.4.1: each "\r\n\r\n" ping is answered with a "\r\n" pong.
  const std::size_t pings = c->framer.keepalives() / 2;
  if (pings > c->keepalives_answered) {
    c->keepalives_answered = pings;
    queue(c, "\r\n");
  }
  if (c->framer.buffered() > cfg_.max_connection_buffer) {
    drop(c, std::make_error_code(std::errc::message_size), false,
         "closed " + transaction::to_string(c->remote) + ": over " + std::to_string(cfg_.max_connection_buffer) +
             " bytes unframed");
    return false;
  }
  return true;
}

SIPEVENTS_INLINE bool transport_set::on_upgrade_bytes(const std::shared_ptr<connection>& c, std::string_view bytes) {
  c->upgrade.append(bytes);
  ws::upgrade_request req;
  ws::upgrade_result r = ws::parse_upgrade(c->upgrade, req, cfg_.ws_limits);
  if (r.ec == ws::errc::need_more) return true;
  if (r.ec) {
    notice("WebSocket upgrade from " + transaction::to_string(c->remote) + " refused: " + r.ec.message());
    c->closing = true;
    queue(c, ws::reject_response(r.ec));
    return false;
  }
  std::string rest = c->upgrade.substr(r.consumed);
  std::string().swap(c->upgrade);
  c->frames = std::make_unique<ws::frame_decoder>(ws::role::server, cfg_.ws_limits);
  c->wq.push_front(ws::accept_response(cfg_.ws_accept(req.key)));  // before anything else
  opened(c);
  if (rest.empty()) return true;
  return on_ws_bytes(c, rest);
}

SIPEVENTS_INLINE bool transport_set::on_ws_bytes(const std::shared_ptr<connection>& c, std::string_view bytes) {
  std::weak_ptr<bool> alive = alive_;
  c->frames->feed(bytes);
  ws::event ev;
  for (;;) {
    std::error_code ec = c->frames->next(ev);
    if (ec == ws::errc::need_more) return true;
    if (ec) {
      notice("closed WebSocket " + transaction::to_string(c->remote) + ": " + ec.message());
      c->closing = true;
      queue(c, ws::encode_close(ws::close_code_for(ec), ec.message()));
      return false;
    }
    switch (ev.what) {
      case ws::event::kind::message:
        // RFC 7118 5: each WebSocket message is one SIP message.
        c->proven = true;
        on_receive_(ev.payload, c->remote);
        if (alive.expired() || !*alive.lock() || c->closed) return false;
        break;
      case ws::event::kind::ping:
        queue(c, ws::encode_frame(ws::opcode::pong, ev.payload));
        break;
      case ws::event::kind::pong:
        break;
      case ws::event::kind::close:
        // Echo the code (RFC 6455 5.5.1), then close once it is written.
        if (c->frames->in_message())
          notice("WebSocket " + transaction::to_string(c->remote) + " closed in mid-message (code " +
                 std::to_string(ev.close_code) + ")");
        c->closing = true;
        queue(c, ws::encode_close(ev.close_code ? ev.close_code : 1000));
        return false;
    }
  }
}

SIPEVENTS_INLINE void transport_set::queue(const std::shared_ptr<connection>& c, std::string bytes) {
  c->wq.push_back(std::move(bytes));
  start_write(c);
}

SIPEVENTS_INLINE void transport_set::send(const peer& to, std::string bytes) {
  if (to.transport == transport_kind::udp) {
    asio::ip::address a;
    if (!to_address(to.host, a)) {
      on_error_(to, std::make_error_code(std::errc::invalid_argument), "not a numeric address: " + to.host);
      return;
    }
    for (auto& s : udp_) {
      if (s->v6 != a.is_v6()) continue;
      if (s->outq.size() >= k_udp_batch) flush(*s);
      s->outq.push_back({udp::endpoint(a, to.port), std::move(bytes), to});
      if (!s->flush_posted) {
        // Sends made outside a receive burst (timers, the application) go out at the
        // end of this turn.
        s->flush_posted = true;
        std::weak_ptr<bool> alive = alive_;
        asio::post(io_, [this, alive] {
          if (!alive.expired() && *alive.lock()) flush_datagrams();
        });
      }
      return;
    }
    on_error_(to, std::make_error_code(std::errc::address_family_not_supported), "no UDP socket of that family");
    return;
  }
  auto it = conns_.find(connection_key(to));
  if (it != conns_.end() && !it->second->closing) {
    connection& c = *it->second;
    if (c.websocket) {
      // Text when it is UTF-8 (what SIP is), else binary (RFC 7118 5).
      bytes = ws::encode_frame(ws::valid_utf8(bytes) ? ws::opcode::text : ws::opcode::binary, bytes);
    }
    c.wq.push_back(std::move(bytes));
    start_write(it->second);
    return;
  }
  if (transaction::is_websocket(to.transport)) {
    on_error_(to, std::make_error_code(std::errc::not_connected),
              "no WebSocket connection from " + transaction::to_string(to) + " (a server cannot open one)");
    return;
  }
  asio::ip::address a;
  if (!to_address(to.host, a)) {
    on_error_(to, std::make_error_code(std::errc::invalid_argument), "not a numeric address: " + to.host);
    return;
  }
  if (conns_.size() >= cfg_.max_connections) {
    on_error_(to, std::make_error_code(std::errc::too_many_files_open),
              std::to_string(conns_.size()) + " connections open");
    return;
  }
  std::unique_ptr<stream> s;
  if (to.transport == transport_kind::tls) {
    if (!tls_) {
      on_error_(to, std::make_error_code(std::errc::protocol_not_supported), "TLS is not configured");
      return;
    }
    s = tls_->client_stream(io_, to);
  } else {
    s = make_tcp_stream(io_);
  }
  auto c = std::make_shared<connection>(std::move(s), cfg_.limits);
  c->remote = to;
  c->wq.push_back(std::move(bytes));
  adopt(c);
  std::weak_ptr<bool> alive = alive_;
  c->io->socket().async_connect(tcp::endpoint(a, to.port), [this, c, alive](std::error_code ec) {
    if (alive.expired() || !*alive.lock() || c->closed) return;
    if (ec) {
      drop(c, ec, true, "cannot connect to " + transaction::to_string(c->remote) + ": " + ec.message());
      return;
    }
    std::error_code ig;
    c->io->socket().set_option(tcp::no_delay(true), ig);
    begin(c, false);
  });
}

SIPEVENTS_INLINE void transport_set::start_write(const std::shared_ptr<connection>& c) {
  if (c->writing || c->wq.empty() || c->closed) return;
  // Nothing goes out before the connection is up, except the answers to a WebSocket
  // upgrade (the 101 is queued as the connection opens; a refusal while upgrading).
  if (c->state != connection::phase::open && !(c->state == connection::phase::upgrade && c->closing)) return;
  c->writing = true;
  std::weak_ptr<bool> alive = alive_;
  c->io->async_write(asio::buffer(c->wq.front()), [this, c, alive](std::error_code ec, std::size_t) {
    if (alive.expired() || !*alive.lock()) return;
    c->writing = false;
    // A write that completed just before the connection was dropped (its reader saw
    // EOF) finds the queue already cleared: there is nothing to pop.
    if (c->closed) return;
    if (ec) {
      drop(c, ec, true, "write to " + transaction::to_string(c->remote) + " failed: " + ec.message());
      return;
    }
    c->last = steady::now();
    c->wq.pop_front();
    if (c->wq.empty() && c->closing) {
      drop(c, {}, false);
      return;
    }
    start_write(c);
  });
}

SIPEVENTS_INLINE void transport_set::drop(const std::shared_ptr<connection>& c, std::error_code ec, bool report, std::string_view detail) {
  if (c->closed) return;
  c->closed = true;
  if (c->counted) {
    c->counted = false;
    --handshaking_;
  }
  if (c->accepted) {
    auto src = per_source_.find(c->remote.host);
    if (src != per_source_.end() && --src->second == 0) per_source_.erase(src);
  }
  std::error_code ig;
  c->io->socket().close(ig);
  auto it = conns_.find(c->key);
  if (it != conns_.end() && it->second == c) conns_.erase(it);
  // Unsent messages fail; so does a broken connection that still had work. A close we
  // asked for (closing) has nothing left to report.
  if (!c->closing && (report || !c->wq.empty())) on_error_(c->remote, ec, detail.empty() ? ec.message() : detail);
  else if (!detail.empty()) notice(detail);
  c->wq.clear();
}

SIPEVENTS_INLINE void transport_set::sweep(steady::time_point now) {
  std::vector<std::shared_ptr<connection>> late, idle;
  for (auto& [k, c] : conns_) {
    const bool unproven = c->state == connection::phase::handshake || c->state == connection::phase::upgrade ||
                          (c->accepted && !c->proven);
    if (unproven && now - c->opened > cfg_.handshake_timeout) {
      late.push_back(c);
      continue;
    }
    if (c->state != connection::phase::open) continue;
    if (c->wq.empty() && !c->writing && now - c->last > cfg_.tcp_idle) {
      idle.push_back(c);
    } else if (c->websocket && cfg_.ws_ping_interval.count() > 0 && now - c->last > cfg_.ws_ping_interval &&
               now - c->pinged > cfg_.ws_ping_interval) {
      c->pinged = now;
      queue(c, ws::encode_frame(ws::opcode::ping, {}));
    }
  }
  for (auto& c : late)
    drop(c, std::make_error_code(std::errc::timed_out), false,
         "closed " + transaction::to_string(c->remote) + ": " +
             (c->state == connection::phase::open ? "no whole message" : "handshake not finished") + " in " +
             std::to_string(cfg_.handshake_timeout.count()) + " s");
  for (auto& c : idle) drop(c, {}, false);
}

}  // namespace sipevents::transport

SIPEVENTS_IMPL_END
