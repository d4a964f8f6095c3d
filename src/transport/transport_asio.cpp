#include "sipevents/transport/transport_asio.hpp"

#include <sys/socket.h>

namespace sipevents::transport {

namespace {
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

peer make_peer(transport_kind k, const asio::ip::address& a, unsigned short port) {
  peer p;
  p.transport = k;
  // v4-mapped v6 addresses are reported as plain v4, so keys and received= match.
  if (a.is_v6() && a.to_v6().is_v4_mapped()) p.host = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  else p.host = a.to_string();
  p.port = port;
  return p;
}
}  // namespace

bool to_address(const std::string& host, asio::ip::address& out) {
  std::error_code ec;
  out = asio::ip::make_address(host, ec);
  return !ec;
}

struct transport_set::udp_socket {
  explicit udp_socket(asio::io_context& io) : sock(io) {}
  udp::socket sock;
  peer local;
  udp::endpoint from;
  std::vector<char> buf;
};

struct transport_set::tcp_listener {
  explicit tcp_listener(asio::io_context& io) : acc(io) {}
  tcp::acceptor acc;
  peer local;
};

struct transport_set::connection {
  connection(asio::io_context& io, message::parse_limits l) : sock(io), framer(l) {}
  tcp::socket sock;
  peer remote;
  std::string key;
  message::stream_framer framer;
  std::array<char, 16384> rbuf{};
  std::deque<std::string> wq;
  bool connected = false;
  bool writing = false;
  bool closed = false;  // dropped: handlers still queued for it do nothing
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

transport_set::transport_set(asio::io_context& io, transport_config cfg, receive_fn on_receive, error_fn on_error)
    : io_(io), cfg_(std::move(cfg)), on_receive_(std::move(on_receive)), on_error_(std::move(on_error)),
      alive_(std::make_shared<bool>(true)) {}

transport_set::~transport_set() {
  *alive_ = false;
  std::error_code ec;
  for (auto& s : udp_) s->sock.close(ec);
  for (auto& l : tcp_) l->acc.close(ec);
  for (auto& [k, c] : conns_) c->sock.close(ec);
}

std::error_code transport_set::listen(peer& bind) {
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
    s->buf.resize(cfg_.max_message_size + 1);
    udp_.push_back(s);
    start_receive(s);
    return {};
  }
  auto l = std::make_shared<tcp_listener>(io_);
  tcp::endpoint ep(addr, bind.port);
  l->acc.open(ep.protocol(), ec);
  if (!ec) l->acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && addr.is_v6()) l->acc.set_option(asio::ip::v6_only(true), ec);
  if (!ec) l->acc.bind(ep, ec);
  if (!ec) l->acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  bind.port = l->acc.local_endpoint().port();
  l->local = bind;
  tcp_.push_back(l);
  start_accept(l);
  return {};
}

const peer* transport_set::local(transport_kind k, bool v6) const {
  asio::ip::address a;
  if (k == transport_kind::udp) {
    for (const auto& s : udp_)
      if (to_address(s->local.host, a) && a.is_v6() == v6) return &s->local;
  } else {
    for (const auto& l : tcp_)
      if (to_address(l->local.host, a) && a.is_v6() == v6) return &l->local;
  }
  return nullptr;
}

void transport_set::start_receive(const std::shared_ptr<udp_socket>& s) {
  std::weak_ptr<bool> alive = alive_;
  s->sock.async_receive_from(asio::buffer(s->buf), s->from, [this, s, alive](std::error_code ec, std::size_t n) {
    if (alive.expired() || !*alive.lock() || ec == asio::error::operation_aborted) return;
    // A datagram longer than the limit fills the buffer: drop it (18.3 cannot frame it).
    if (!ec && n > 0 && n <= cfg_.max_message_size)
      on_receive_(std::string_view(s->buf.data(), n), make_peer(transport_kind::udp, s->from.address(), s->from.port()));
    // Drain what is already queued before waiting again: one reactor round trip per
    // burst instead of one per datagram. Bounded, so TCP and timers still get a turn.
    for (int i = 0; i < 64 && s->sock.is_open() && !alive.expired(); ++i) {
      std::error_code rec;
      std::size_t m = s->sock.receive_from(asio::buffer(s->buf), s->from, 0, rec);
      if (rec == asio::error::would_block || rec == asio::error::try_again) break;
      if (!rec && m > 0 && m <= cfg_.max_message_size)
        on_receive_(std::string_view(s->buf.data(), m), make_peer(transport_kind::udp, s->from.address(), s->from.port()));
    }
    // ICMP errors surface as receive errors on Linux; keep listening regardless.
    if (s->sock.is_open()) start_receive(s);
  });
}

void transport_set::start_accept(const std::shared_ptr<tcp_listener>& l) {
  auto c = std::make_shared<connection>(io_, cfg_.limits);
  std::weak_ptr<bool> alive = alive_;
  l->acc.async_accept(c->sock, [this, l, c, alive](std::error_code ec) {
    if (alive.expired() || !*alive.lock() || ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (conns_.size() >= cfg_.max_connections) {
        std::error_code ig;
        c->sock.close(ig);
      } else {
        std::error_code ig;
        c->sock.set_option(tcp::no_delay(true), ig);
        auto ep = c->sock.remote_endpoint(ig);
        c->remote = make_peer(transport_kind::tcp, ep.address(), ep.port());
        c->connected = true;
        adopt(c);
        start_read(c);
      }
    }
    if (l->acc.is_open()) start_accept(l);
  });
}

void transport_set::adopt(const std::shared_ptr<connection>& c) {
  c->key = transaction::to_string(c->remote);
  // A newer connection to the same peer replaces the old one for sending; the old
  // one keeps reading until it closes.
  conns_[c->key] = c;
}

void transport_set::start_read(const std::shared_ptr<connection>& c) {
  std::weak_ptr<bool> alive = alive_;
  c->sock.async_read_some(asio::buffer(c->rbuf), [this, c, alive](std::error_code ec, std::size_t n) {
    if (alive.expired() || !*alive.lock() || c->closed) return;
    if (ec) { drop(c, ec, false); return; }
    c->last = std::chrono::steady_clock::now();
    c->framer.feed(std::string_view(c->rbuf.data(), n));
    message::message m;
    for (;;) {
      message::codec_error e = c->framer.next(m);
      if (e.code == message::errc::need_more) break;
      if (c->framer.fatal()) { drop(c, std::make_error_code(std::errc::protocol_error), false); return; }
      if (!m.raw().empty()) on_receive_(m.raw(), c->remote);
      if (alive.expired() || !*alive.lock()) return;
    }
    if (c->framer.buffered() > cfg_.max_connection_buffer) {
      drop(c, std::make_error_code(std::errc::message_size), false);
      return;
    }
    start_read(c);
  });
}

void transport_set::send(const peer& to, std::string bytes) {
  if (to.transport == transport_kind::udp) {
    asio::ip::address a;
    if (!to_address(to.host, a)) { on_error_(to, std::make_error_code(std::errc::invalid_argument)); return; }
    for (auto& s : udp_) {
      asio::ip::address la;
      to_address(s->local.host, la);
      if (la.is_v6() != a.is_v6()) continue;
      auto buf = std::make_shared<std::string>(std::move(bytes));
      std::weak_ptr<bool> alive = alive_;
      s->sock.async_send_to(asio::buffer(*buf), udp::endpoint(a, to.port), [this, buf, to, alive](std::error_code ec, std::size_t) {
        if (ec && !alive.expired() && *alive.lock() && ec != asio::error::operation_aborted) on_error_(to, ec);
      });
      return;
    }
    on_error_(to, std::make_error_code(std::errc::address_family_not_supported));
    return;
  }
  std::string key = transaction::to_string(to);
  auto it = conns_.find(key);
  if (it != conns_.end()) {
    it->second->wq.push_back(std::move(bytes));
    if (it->second->connected) start_write(it->second);
    return;
  }
  asio::ip::address a;
  if (!to_address(to.host, a)) { on_error_(to, std::make_error_code(std::errc::invalid_argument)); return; }
  if (conns_.size() >= cfg_.max_connections) { on_error_(to, std::make_error_code(std::errc::too_many_files_open)); return; }
  auto c = std::make_shared<connection>(io_, cfg_.limits);
  c->remote = to;
  c->wq.push_back(std::move(bytes));
  adopt(c);
  std::weak_ptr<bool> alive = alive_;
  c->sock.async_connect(tcp::endpoint(a, to.port), [this, c, alive](std::error_code ec) {
    if (alive.expired() || !*alive.lock()) return;
    if (ec) { drop(c, ec, true); return; }
    std::error_code ig;
    c->sock.set_option(tcp::no_delay(true), ig);
    c->connected = true;
    start_read(c);
    start_write(c);
  });
}

void transport_set::start_write(const std::shared_ptr<connection>& c) {
  if (c->writing || c->wq.empty()) return;
  c->writing = true;
  std::weak_ptr<bool> alive = alive_;
  asio::async_write(c->sock, asio::buffer(c->wq.front()), [this, c, alive](std::error_code ec, std::size_t) {
    if (alive.expired() || !*alive.lock()) return;
    c->writing = false;
    // A write that completed just before the connection was dropped (its reader saw
    // EOF) finds the queue already cleared: there is nothing to pop.
    if (c->closed) return;
    if (ec) { drop(c, ec, true); return; }
    c->last = std::chrono::steady_clock::now();
    c->wq.pop_front();
    start_write(c);
  });
}

void transport_set::drop(const std::shared_ptr<connection>& c, std::error_code ec, bool report) {
  if (c->closed) return;
  c->closed = true;
  std::error_code ig;
  c->sock.close(ig);
  auto it = conns_.find(c->key);
  if (it != conns_.end() && it->second == c) conns_.erase(it);
  // Unsent messages fail; so does a broken connection that still had work.
  if (report || !c->wq.empty()) on_error_(c->remote, ec);
  c->wq.clear();
}

void transport_set::sweep(std::chrono::steady_clock::time_point now) {
  std::vector<std::shared_ptr<connection>> idle;
  for (auto& [k, c] : conns_)
    if (c->connected && c->wq.empty() && !c->writing && now - c->last > cfg_.tcp_idle) idle.push_back(c);
  for (auto& c : idle) drop(c, {}, false);
}

}  // namespace sipevents::transport
