// Connection costs of a SIP server over TLS and secure WebSocket: new handshakes per
// second, and memory held per idle connection. A load client, not a timed test: point
// it at any server (sipevents-notifier, Kamailio's tls module) and read its figures.
//
//   connections handshakes tls|wss HOST PORT SECONDS CONCURRENCY
//       Each of CONCURRENCY loops: connect, TLS handshake (and WebSocket upgrade), one
//       OPTIONS, its answer, close; for SECONDS. Prints cycles/s (each one new handshake).
//   connections idle tls|wss HOST PORT COUNT [WINDOW]
//       Opens COUNT connections, at most WINDOW (default 32) being set up at once, each
//       with one OPTIONS answered (a server closes connections that never send a whole
//       message), then holds them until stdin closes. Prints "idle N" once they are
//       all up, so a caller can measure the server.
//
//   connections subscribe tls HOST PORT SECONDS CONNECTIONS DEPTH
//       SUBSCRIBE (Event: presence, a fresh presentity each) + its NOTIFY answered 200,
//       DEPTH of them in flight on each of CONNECTIONS TLS connections, for SECONDS.
//       Prints completed SUBSCRIBE+NOTIFY pairs per second. The Via carries ;alias
//       (RFC 5923), so a server that sends the NOTIFY to the Contact (Kamailio with
//       tcp_accept_aliases) uses the same connection, as sipevents-notifier does by flow.
//
// Certificates are not checked: this measures the server's cost, not our client.
#include <asio.hpp>
#include <asio/ssl.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unordered_map>

#include "sipevents/message/framer.hpp"
#include "sipevents/ws/ws_codec.hpp"

namespace {
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

struct target {
  bool ws = false;
  tcp::endpoint ep;
  std::string host;
};

std::string options(const std::string& host, unsigned port, unsigned long n, bool ws) {
  const std::string via = ws ? "SIP/2.0/WSS bench.invalid" : "SIP/2.0/TLS " + host + ":9";
  return "OPTIONS sip:" + host + ":" + std::to_string(port) + " SIP/2.0\r\nVia: " + via + ";branch=z9hG4bKb" +
         std::to_string(n) + "\r\nMax-Forwards: 70\r\nFrom: <sip:bench@" + host + ">;tag=b" + std::to_string(n) +
         "\r\nTo: <sip:" + host + ">\r\nCall-ID: bench-" + std::to_string(n) + "\r\nCSeq: 1 OPTIONS\r\n" +
         "Content-Length: 0\r\n\r\n";
}

/// One client connection: connect, handshake, upgrade (wss), OPTIONS, answer; then
/// either closes and starts again (handshakes) or stays (idle).
class conn : public std::enable_shared_from_this<conn> {
 public:
  conn(asio::io_context& io, asio::ssl::context& ctx, const target& t, bool repeat, std::atomic<unsigned long>& done,
       std::atomic<unsigned long>& failed, std::atomic<bool>& stop)
      : io_(io), ctx_(ctx), t_(t), repeat_(repeat), done_(done), failed_(failed), stop_(stop) {}

  void start() {
    if (stop_) return;
    s_ = std::make_unique<asio::ssl::stream<tcp::socket>>(io_, ctx_);
    buf_.clear();
    auto self = shared_from_this();
    s_->next_layer().async_connect(t_.ep, [self](std::error_code ec) {
      if (ec) return self->fail();
      self->s_->async_handshake(asio::ssl::stream_base::client, [self](std::error_code e2) {
        if (e2) return self->fail();
        if (self->t_.ws) self->upgrade();
        else self->request();
      });
    });
  }

 private:
  void upgrade() {
    out_ = sipevents::ws::client_request(t_.host, "/", "dGhlIHNhbXBsZSBub25jZQ==");
    auto self = shared_from_this();
    asio::async_write(*s_, asio::buffer(out_), [self](std::error_code ec, std::size_t) {
      if (ec) return self->fail();
      self->read_until("\r\n\r\n", [self] {
        self->buf_.erase(0, self->buf_.find("\r\n\r\n") + 4);
        self->request();
      });
    });
  }

  void request() {
    std::string sip = options(t_.host, t_.ep.port(), ++serial_ + reinterpret_cast<std::uintptr_t>(this) * 1000, t_.ws);
    static const std::array<std::uint8_t, 4> mask{1, 2, 3, 4};
    out_ = t_.ws ? sipevents::ws::encode_frame(sipevents::ws::opcode::text, sip, &mask) : sip;
    auto self = shared_from_this();
    asio::async_write(*s_, asio::buffer(out_), [self](std::error_code ec, std::size_t) {
      if (ec) return self->fail();
      self->read_until("SIP/2.0 ", [self] { self->answered(); });
    });
  }

  void answered() {
    ++done_;
    if (!repeat_) return;  // idle: hold the connection
    std::error_code ig;
    s_->next_layer().close(ig);
    start();
  }

  template <class F>
  void read_until(const char* marker, F then) {
    if (buf_.find(marker) != std::string::npos) return then();
    auto self = shared_from_this();
    s_->async_read_some(asio::buffer(rbuf_), [self, marker, then](std::error_code ec, std::size_t n) {
      if (ec) return self->fail();
      self->buf_.append(self->rbuf_.data(), n);
      self->read_until(marker, then);
    });
  }

  void fail() {
    ++failed_;
    std::error_code ig;
    if (s_) s_->next_layer().close(ig);
    if (repeat_) asio::post(io_, [self = shared_from_this()] { self->start(); });
  }

  asio::io_context& io_;
  asio::ssl::context& ctx_;
  const target& t_;
  bool repeat_;
  std::atomic<unsigned long>& done_;
  std::atomic<unsigned long>& failed_;
  std::atomic<bool>& stop_;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> s_;
  std::string out_, buf_;
  std::array<char, 4096> rbuf_{};
  unsigned long serial_ = 0;
};

/// One TLS connection keeping `depth` SUBSCRIBE+NOTIFY pairs in flight.
class subscriber : public std::enable_shared_from_this<subscriber> {
 public:
  subscriber(asio::io_context& io, asio::ssl::context& ctx, const target& t, int id, int depth,
             std::atomic<unsigned long>& done, std::atomic<unsigned long>& failed)
      : s_(io, ctx), t_(t), id_(id), depth_(depth), done_(done), failed_(failed) {}

  void start() {
    auto self = shared_from_this();
    s_.next_layer().async_connect(t_.ep, [self](std::error_code ec) {
      if (ec) return self->fail("connect: " + ec.message());
      std::error_code ig;
      self->s_.next_layer().set_option(tcp::no_delay(true), ig);
      self->s_.async_handshake(asio::ssl::stream_base::client, [self](std::error_code e2) {
        if (e2) return self->fail("handshake: " + e2.message());
        for (int i = 0; i < self->depth_; ++i) self->subscribe();
        self->read();
      });
    });
  }

 private:
  struct pending {
    bool answered = false, notified = false;
  };

  void subscribe() {
    const unsigned long n = ++serial_;
    const std::string cid = "sub-" + std::to_string(id_) + "-" + std::to_string(n);
    const std::string res = "sip:p" + std::to_string(id_) + "x" + std::to_string(n) + "@" + t_.host;
    std::string m = "SUBSCRIBE " + res + " SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bKs" + cid +
                    ";alias;rport\r\nMax-Forwards: 70\r\nFrom: <sip:bench@" + t_.host + ">;tag=f" + cid +
                    "\r\nTo: <" + res + ">\r\nCall-ID: " + cid + "\r\nCSeq: 1 SUBSCRIBE\r\n" +
                    "Contact: <sip:bench@127.0.0.1:9;transport=tls>\r\nEvent: presence\r\n" +
                    "Accept: application/pidf+xml\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n";
    pending_[cid] = {};
    write(std::move(m));
  }

  void write(std::string bytes) {
    wq_.push_back(std::move(bytes));
    if (wq_.size() == 1) write_next();
  }
  void write_next() {
    auto self = shared_from_this();
    asio::async_write(s_, asio::buffer(wq_.front()), [self](std::error_code ec, std::size_t) {
      if (ec) return self->fail("write: " + ec.message());
      self->wq_.pop_front();
      if (!self->wq_.empty()) self->write_next();
    });
  }

  void read() {
    auto self = shared_from_this();
    s_.async_read_some(asio::buffer(rbuf_), [self](std::error_code ec, std::size_t n) {
      if (ec) return self->fail("read: " + ec.message());
      self->framer_.feed(std::string_view(self->rbuf_.data(), n));
      sipevents::message::message m;
      for (;;) {
        auto e = self->framer_.next(m);
        if (e.code == sipevents::message::errc::need_more) break;
        if (self->framer_.fatal()) return self->fail("framing");
        if (!e) self->handle(m);
      }
      self->read();
    });
  }

  void handle(const sipevents::message::message& m) {
    const std::string cid(m.call_id());
    auto it = pending_.find(cid);
    if (m.is_request()) {
      // Answer the NOTIFY: its Via, From, To, Call-ID and CSeq back.
      std::string r = "SIP/2.0 200 OK\r\n";
      for (const auto& h : m.headers()) {
        using sipevents::message::hdr;
        if (h.id == hdr::via || h.id == hdr::from || h.id == hdr::to || h.id == hdr::call_id || h.id == hdr::cseq)
          r.append(sipevents::message::canonical_name(h.id)).append(": ").append(h.value).append("\r\n");
      }
      r += "Content-Length: 0\r\n\r\n";
      write(std::move(r));
      if (it != pending_.end()) it->second.notified = true;
    } else if (it != pending_.end()) {
      if (m.status() < 200) return;
      if (m.status() >= 300) {
        ++failed_;
        pending_.erase(it);
        subscribe();
        return;
      }
      it->second.answered = true;
    }
    if (it != pending_.end() && it->second.answered && it->second.notified) {
      ++done_;
      pending_.erase(it);
      subscribe();
    }
  }

  void fail(const std::string& why) {
    if (!failed_reported_) std::fprintf(stderr, "connection %d: %s\n", id_, why.c_str());
    failed_reported_ = true;
    ++failed_;
  }

  asio::ssl::stream<tcp::socket> s_;
  const target& t_;
  int id_, depth_;
  std::atomic<unsigned long>& done_;
  std::atomic<unsigned long>& failed_;
  std::deque<std::string> wq_;
  std::array<char, 16384> rbuf_{};
  sipevents::message::stream_framer framer_;
  std::unordered_map<std::string, pending> pending_;
  unsigned long serial_ = 0;
  bool failed_reported_ = false;
};

int usage() {
  std::fprintf(stderr,
               "usage: connections handshakes tls|wss HOST PORT SECONDS CONCURRENCY\n"
               "       connections idle tls|wss HOST PORT COUNT [WINDOW]\n"
               "       connections subscribe tls HOST PORT SECONDS CONNECTIONS DEPTH\n");
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) return usage();
  const std::string mode = argv[1], kind = argv[2];
  target t;
  t.ws = kind == "wss";
  t.host = argv[3];
  std::error_code ec;
  t.ep = tcp::endpoint(asio::ip::make_address(t.host, ec), static_cast<unsigned short>(std::atoi(argv[4])));
  if (ec || (kind != "tls" && kind != "wss")) return usage();
  asio::io_context io(1);
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);
  std::atomic<unsigned long> done{0}, failed{0};
  std::atomic<bool> stop{false};
  if (mode == "handshakes" && argc >= 7) {
    const double seconds = std::atof(argv[5]);
    const int concurrency = std::atoi(argv[6]);
    for (int i = 0; i < concurrency; ++i) std::make_shared<conn>(io, ctx, t, true, done, failed, stop)->start();
    asio::steady_timer end(io, std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
    const auto t0 = clock_type::now();
    end.async_wait([&](std::error_code) {
      stop = true;
      io.stop();
    });
    io.run();
    const double took = std::chrono::duration<double>(clock_type::now() - t0).count();
    std::printf("%s handshakes: %lu in %.1f s = %.0f/s (%lu failed), %d concurrent\n", kind.c_str(), done.load(), took,
                done / took, failed.load(), concurrency);
    return done > 0 ? 0 : 1;
  }
  if (mode == "subscribe" && argc >= 8) {
    const double seconds = std::atof(argv[5]);
    const int nconn = std::atoi(argv[6]), depth = std::atoi(argv[7]);
    std::vector<std::shared_ptr<subscriber>> subs;
    for (int i = 0; i < nconn; ++i) {
      subs.push_back(std::make_shared<subscriber>(io, ctx, t, i, depth, done, failed));
      subs.back()->start();
    }
    // Count from the first second on, so connection set-up is not in the rate.
    asio::steady_timer warm(io, std::chrono::seconds(1)), end(io);
    unsigned long at_start = 0;
    clock_type::time_point t0;
    warm.async_wait([&](std::error_code) {
      at_start = done;
      t0 = clock_type::now();
      end.expires_after(std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
      end.async_wait([&](std::error_code) { io.stop(); });
    });
    io.run();
    const double took = std::chrono::duration<double>(clock_type::now() - t0).count();
    const unsigned long n = done - at_start;
    std::printf("subscribe+notify over tls: %lu in %.1f s = %.0f/s (%lu failed), %d connections x %d in flight\n", n,
                took, n / took, failed.load(), nconn, depth);
    return n > 0 ? 0 : 1;
  }
  if (mode == "idle") {
    const unsigned long count = std::strtoul(argv[5], nullptr, 10);
    const unsigned long window = argc >= 7 ? std::strtoul(argv[6], nullptr, 10) : 32;
    std::vector<std::shared_ptr<conn>> held;
    // A new connection starts as one in setup finishes: at most `window` handshakes
    // at once (servers bound those, and this measures what idle ones hold).
    asio::steady_timer feeder(io);
    std::function<void()> feed = [&] {
      while (held.size() < count && held.size() < done + failed + window) {
        held.push_back(std::make_shared<conn>(io, ctx, t, false, done, failed, stop));
        held.back()->start();
      }
      if (held.size() < count) {
        feeder.expires_after(std::chrono::milliseconds(2));
        feeder.async_wait([&](std::error_code) { feed(); });
      }
    };
    feed();
    // Up when every connection has its answer (or failed): then report and hold.
    asio::steady_timer poll(io);
    std::function<void()> check = [&] {
      if (done + failed >= count) {
        std::printf("idle %lu (%lu failed)\n", done.load(), failed.load());
        std::fflush(stdout);
        return;
      }
      poll.expires_after(std::chrono::milliseconds(20));
      poll.async_wait([&](std::error_code) { check(); });
    };
    check();
    std::thread waiter([&] {
      std::string line;
      std::getline(std::cin, line);  // the caller closes stdin when it has measured
      asio::post(io, [&] { io.stop(); });
    });
    auto guard = asio::make_work_guard(io);
    io.run();
    waiter.join();
    return 0;
  }
  return usage();
}
