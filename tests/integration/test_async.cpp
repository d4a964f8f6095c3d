// The completion-token forms: runtime::async_send_request and
// event_agent::async_subscribe with a C++20 coroutine (asio::use_awaitable), with
// asio::experimental::deferred (Asio 1.22, Debian 12), and with a plain callback, on
// loopback UDP.
#include <catch2/catch.hpp>

#include <asio/detail/config.hpp>
#include <asio/experimental/deferred.hpp>
#if defined(ASIO_HAS_CO_AWAIT)  // GCC 12 here; Debian's clang 14 with libstdc++ has no co_await for Asio
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#endif

#include "counter_package.hpp"
#include "sipevents/agent/event_agent.hpp"
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

}  // namespace

#if defined(ASIO_HAS_CO_AWAIT)
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
#endif

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
