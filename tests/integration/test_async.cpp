// The completion-token forms: runtime::async_send_request, event_agent::async_subscribe,
// async_publish and async_unpublish with a C++20 coroutine (asio::use_awaitable), with
// asio::experimental::deferred (Asio 1.22, Debian 12), and with a plain callback, on
// loopback UDP.
#include <catch2/catch.hpp>

#include <asio/detail/config.hpp>
#include <asio/experimental/deferred.hpp>
#if !defined(ASIO_HAS_CO_AWAIT)  // cmake/SipeventsCoroutines.cmake turns it on for clang too
#error "Asio without co_await"
#endif
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "counter_package.hpp"
#include "sipevents/agent/event_agent.hpp"
#include "sipevents/events/publication_server.hpp"
#include "sipevents/transport/runtime.hpp"

namespace st = sipevents::transport;
namespace ev = sipevents::events;
namespace sa = sipevents::agent;
namespace sm = sipevents::message;
using sipevents::transaction::peer;

namespace {

sm::message_builder page(const peer& to, int n) {
  auto b = sm::message_builder::request("MESSAGE", "sip:bob@127.0.0.1:" + std::to_string(to.port));
  b.header("Max-Forwards", "70");
  b.header("From", "<sip:alice@127.0.0.1>;tag=a" + std::to_string(n));
  b.header("To", "<sip:bob@127.0.0.1>");
  b.header("Call-ID", "async-" + std::to_string(n));
  b.header("CSeq", "1 MESSAGE");
  b.body("text/plain", "hello " + std::to_string(n));
  return b;
}

struct loopback {
  asio::io_context io;
  st::runtime server{io}, client{io};
  peer srv, cli;
  std::unique_ptr<sa::event_agent> notifier, watchers;
  testsupport::counter_package pkg;
  int pages = 0;
  loopback() {
    REQUIRE_FALSE(server.listen("udp:127.0.0.1:0", &srv));
    REQUIRE_FALSE(client.listen("udp:127.0.0.1:0", &cli));
    server.on_request("MESSAGE", [this](st::incoming_request& r) {
      ++pages;
      server.respond(r, 200, "OK");
    });
    sa::agent_config scfg;
    scfg.server.contact = "sip:notifier@127.0.0.1:" + std::to_string(srv.port);
    notifier = std::make_unique<sa::event_agent>(server, scfg);
    notifier->add_package(pkg);
    sa::agent_config ccfg;
    ccfg.outbound = srv;
    watchers = std::make_unique<sa::event_agent>(client, ccfg);
  }
  ev::subscribe_params params(std::string event) const {
    ev::subscribe_params p;
    p.event = std::move(event);
    p.from = "sip:w@127.0.0.1";
    p.to = "sip:res@127.0.0.1";
    p.contact = "sip:w@127.0.0.1:" + std::to_string(cli.port);
    return p;
  }
};

/// The loopback with the notifier answering PUBLISH (Event: x-count) as an ESC.
struct publishing : loopback {
  ev::publication_server esc{[this](std::size_t n) { return server.layer().random_token(n); }};
  int changes = 0;
  publishing() {
    esc.add_package(pkg);
    notifier->serve_publications(esc, [this](const ev::publication_change&) { ++changes; });
  }
  static ev::publish_params params(std::string event) {
    ev::publish_params p;
    p.event = std::move(event);
    p.from = "sip:alice@127.0.0.1";
    p.expires = 600;
    return p;
  }
};

}  // namespace

TEST_CASE("async: co_await a request and a subscription's first NOTIFY in a coroutine") {
  loopback l;
  bool finished = false;
  asio::co_spawn(
      l.io,
      [&]() -> asio::awaitable<void> {
        st::request_result r = co_await l.client.async_send_request(page(l.srv, 1), l.srv, asio::use_awaitable);
        CHECK(r.status == 200);
        // An error would throw; none does.
        auto [id, first] = co_await l.watchers->async_subscribe(l.params("x-count"), {}, nullptr, asio::use_awaitable);
        CHECK(id != 0);
        CHECK(first.what == ev::client_event::kind::notify);
        CHECK(first.state == ev::sub_state::active);
        CHECK(first.notify->body() == "version 0");
        // A package the notifier does not serve: 489, and the subscription ends unNOTIFYed.
        std::error_code ec2;
        auto [id2, end] = co_await l.watchers->async_subscribe(l.params("x-none"), {}, nullptr,
                                                                asio::redirect_error(asio::use_awaitable, ec2));
        CHECK(ec2 == asio::error::operation_aborted);
        CHECK(end.what == ev::client_event::kind::terminated);
        CHECK(end.status == 489);
        finished = true;
      },
      asio::detached);
  for (int i = 0; i < 300 && !finished; ++i) l.io.run_for(std::chrono::milliseconds(10));
  CHECK(finished);
  CHECK(l.pages == 1);
}

TEST_CASE("async: co_await a publication and its removal then a refused one and an unknown id") {
  publishing l;
  bool finished = false;
  int heard = 0;
  asio::co_spawn(
      l.io,
      [&]() -> asio::awaitable<void> {
        using K = ev::publisher_event::kind;
        auto [id, first] = co_await l.watchers->async_publish(
            publishing::params("x-count"), "text/plain", "state 1",
            [&](std::uint64_t, const ev::publisher_event&) { ++heard; }, asio::use_awaitable);
        CHECK(first.what == K::published);
        CHECK_FALSE(first.etag.empty());
        CHECK(first.expires == 600);
        CHECK(l.esc.find(first.etag) != nullptr);
        ev::publisher_event gone = co_await l.watchers->async_unpublish(id, asio::use_awaitable);
        CHECK(gone.what == K::removed);
        CHECK(l.esc.find(first.etag) == nullptr);
        CHECK(l.watchers->publishers() == 0);
        // An event the ESC does not take: 489, final; the publication stays stopped until
        // the application publishes again or lets it go.
        std::error_code ec;
        auto [id2, failed] = co_await l.watchers->async_publish(publishing::params("x-none"), "text/plain", "s", {},
                                                                 asio::redirect_error(asio::use_awaitable, ec));
        CHECK(ec == asio::error::operation_aborted);
        CHECK(failed.what == K::failed);
        CHECK(failed.status == 489);
        CHECK_FALSE(failed.retrying);
        CHECK(id2 != 0);
        CHECK(l.watchers->publishers() == 1);
        ev::publisher_event let_go = co_await l.watchers->async_unpublish(id2, asio::use_awaitable);
        CHECK(let_go.what == K::removed);
        CHECK(l.watchers->publishers() == 0);
        co_await l.watchers->async_unpublish(id2, asio::redirect_error(asio::use_awaitable, ec));
        CHECK(ec == asio::error::not_found);
        finished = true;
      },
      asio::detached);
  for (int i = 0; i < 300 && !finished; ++i) l.io.run_for(std::chrono::milliseconds(10));
  CHECK(finished);
  CHECK(heard >= 2);     // published, then removed, through the handler as well
  CHECK(l.changes >= 2);  // the ESC saw it created and removed
}

TEST_CASE("async: the same calls with asio::deferred and with a plain callback") {
  loopback l;
  int done = 0;
  auto op = l.client.async_send_request(page(l.srv, 2), l.srv, asio::experimental::deferred);
  std::move(op)([&](st::request_result r) {
    CHECK(r.status == 200);
    ++done;
  });
  l.client.async_send_request(page(l.srv, 3), l.srv, [&](st::request_result r) {
    CHECK(r.status == 200);
    ++done;
  });
  int heard = 0;
  l.watchers->async_subscribe(l.params("x-count"), [&](std::uint64_t, const ev::client_event&) { ++heard; }, nullptr,
                              [&](std::error_code ec, std::uint64_t, ev::client_event e) {
                                CHECK_FALSE(ec);
                                CHECK(e.what == ev::client_event::kind::notify);
                                ++done;
                              });
  for (int i = 0; i < 300 && done < 3; ++i) l.io.run_for(std::chrono::milliseconds(10));
  CHECK(done == 3);
  CHECK(heard >= 1);  // the handler heard the NOTIFY too
  CHECK(l.pages == 2);
}

TEST_CASE("async: publish with a callback and unpublish with asio::deferred") {
  publishing l;
  bool removed = false;
  l.watchers->async_publish(publishing::params("x-count"), "text/plain", "state 2", {},
                            [&](std::error_code ec, std::uint64_t id, ev::publisher_event e) {
                              CHECK_FALSE(ec);
                              CHECK(e.what == ev::publisher_event::kind::published);
                              auto op = l.watchers->async_unpublish(id, asio::experimental::deferred);
                              std::move(op)([&](std::error_code ec2, ev::publisher_event gone) {
                                CHECK_FALSE(ec2);
                                removed = gone.what == ev::publisher_event::kind::removed;
                              });
                            });
  for (int i = 0; i < 300 && !removed; ++i) l.io.run_for(std::chrono::milliseconds(10));
  CHECK(removed);
}

TEST_CASE("agent: RFC 3263 failover from a 503 and a dead target to the next and that one first from then on") {
  loopback l;
  st::runtime busy{l.io};
  peer busy_at;
  REQUIRE_FALSE(busy.listen("udp:127.0.0.1:0", &busy_at));
  int refused = 0;
  busy.on_request("SUBSCRIBE", [&](st::incoming_request& r) {
    ++refused;
    busy.respond(r, 503, "Service Unavailable");
  });
  peer dead;  // a TCP port nothing listens on: the connection is refused
  {
    asio::ip::tcp::acceptor a(l.io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    dead.transport = sipevents::transaction::transport_kind::tcp;
    dead.host = "127.0.0.1";
    dead.port = a.local_endpoint().port();
  }
  sa::agent_config cfg;
  cfg.outbound = busy_at;
  cfg.fallbacks = {dead, l.srv};
  sa::event_agent agent(l.client, cfg);
  int notifies = 0;
  auto count = [&](std::uint64_t, const ev::client_event& e) {
    if (e.what == ev::client_event::kind::notify) ++notifies;
  };
  agent.subscribe(l.params("x-count"), count);
  for (int i = 0; i < 300 && notifies < 1; ++i) l.io.run_for(std::chrono::milliseconds(10));
  CHECK(notifies == 1);
  CHECK(refused == 1);  // the 503 moved it on, the refused connection too
  auto second = l.params("x-count");
  second.to = "sip:other@127.0.0.1";
  agent.subscribe(second, count);
  for (int i = 0; i < 300 && notifies < 2; ++i) l.io.run_for(std::chrono::milliseconds(10));
  CHECK(notifies == 2);
  CHECK(refused == 1);  // the target that answered is tried first now
}
