// sipevents-message: send or receive RFC 3428 pages.
//
//   sipevents-message send --from URI --to URI [--via udp|tcp|tls:HOST:PORT | --dns HOST:PORT] [--ca FILE] [--cert F --key F]
//                          [--content-type T] [--timeout-ms N] [--user NAME --password PW] TEXT
//   sipevents-message listen --bind udp:HOST:PORT [--bind tcp|tls:HOST:PORT ...] [--count N]
//                            [--cert FILE --key FILE] [--ca FILE]
//                            [--max-transactions N] [--register AOR --registrar udp|tcp|tls:HOST:PORT
//                            [--expires N] [--user NAME --password PW]]
//
// Over TLS the server's certificate must name the domain of the --to URI (send) or of
// the AoR (listen), or the address when that is a number (RFC 5922); --ca names the CAs
// it must chain to (default: the system's). A sips: --to without --via goes over TLS.
// --cert and --key are the client certificate sent when the server asks for one.
// --dns HOST:PORT locates the --to domain by RFC 3263 (NAPTR, SRV, A/AAAA) asking that
// DNS server, and tries the targets in order: a transport error, a timeout or a 503
// moves on to the next; a name that resolves to nothing is an error (exit 1).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "../common/locate.hpp"
#include "../common/net.hpp"
#include "../common/tls.hpp"
#include "../common/cli.hpp"
#include "../common/json.hpp"
#include "sipevents/pager/pager.hpp"
#include "sipevents/transport/runtime.hpp"

namespace st = sipevents::transport;
namespace sm = sipevents::message;
namespace sp = sipevents::pager;
using sipevents::transaction::peer;
using sipevents::transaction::transport_kind;

namespace {

using tools::bracket;
using tools::local_address_for;

/// The options of `send`.
struct send_options {
  std::string from, to, via, dns, ctype = "text/plain";
  std::vector<std::string> words;
  long timeout_ms = 40000;
  tools::login login;
  tools::tls_options tls;
  void add(CLI::App& app) {
    app.add_option("--from", from, "The sender's URI")->required()->check(tools::sip_uri());
    app.add_option("--to", to, "The recipient's URI (the Request-URI)")->required()->check(tools::sip_uri());
    auto* v = app.add_option("--via", via, "Send to udp|tcp|tls:HOST:PORT instead of where --to leads")
                  ->check(tools::transport_address());
    app.add_option("--dns", dns, "Locate the --to domain by RFC 3263, asking the DNS server at HOST:PORT")
        ->check(tools::host_port())
        ->excludes(v);
    tls.add_ca(app);
    tls.add_certificate(app, "sent when a TLS server asks for one");
    app.add_option("--content-type", ctype, "Content-Type of the page");
    app.add_option("--timeout-ms", timeout_ms, "Give up after N milliseconds")->check(tools::within<long>(1, 86400000));
    login.add(app);
    app.add_option("TEXT", words, "The page's text (words are joined with spaces)");
  }
};

int send_main(send_options& o) {
  const std::string &from = o.from, &to = o.to, &via = o.via, &dns = o.dns, &ctype = o.ctype;
  std::string text;
  for (const auto& w : o.words) text = text.empty() ? w : text + " " + w;
  const long timeout_ms = o.timeout_ms;
  tools::login& login = o.login;
  tools::tls_options& tls = o.tls;
  peer dest;
  std::vector<peer> targets;  // with --dns: RFC 3263's order
  if (!via.empty()) {
    sipevents::transaction::parse_peer(via, dest);  // checked by the option
  } else if (!dns.empty()) {
    std::string err;
    targets = tools::locate(dns, to, err);
    if (targets.empty()) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return err.rfind("bad --dns", 0) == 0 ? 2 : 1;
    }
    dest = targets.front();
  } else {
    sm::uri u;
    if (sm::parse_uri(to, u) || !u.is_sip()) { std::fprintf(stderr, "bad --to %s\n", to.c_str()); return 2; }
    dest.transport = u.scheme == sm::uri::kind::sips ? transport_kind::tls : transport_kind::udp;
    if (auto t = u.param("transport"); t && !sipevents::transaction::parse_transport(*t, dest.transport)) {
      std::fprintf(stderr, "bad transport in --to %s\n", to.c_str());
      return 2;
    }
    dest.host = std::string(u.host);
    if (dest.host.size() > 2 && dest.host.front() == '[') dest.host = dest.host.substr(1, dest.host.size() - 2);
    dest.port = u.has_port ? u.port : dest.transport == transport_kind::tls ? 5061 : 5060;
  }
  if (targets.empty()) {
    tools::expect_name(dest, to);
    targets.push_back(dest);
  }
  st::runtime rt;
  login.attach(rt);
  if (std::string err; !tls.attach(rt, err)) { std::fprintf(stderr, "%s\n", err.c_str()); return 2; }
  rt.set_log([](st::log_level l, std::string_view s) {
    if (l >= st::log_level::warning) std::fprintf(stderr, "%.*s\n", int(s.size()), s.data());
  });
  std::string local = local_address_for(dest.host);
  // Both transports, so a page over 1300 bytes can move to TCP (RFC 3261 18.1.1).
  if (auto ec = rt.listen("udp:" + bracket(local) + ":0")) { std::fprintf(stderr, "listen: %s\n", ec.message().c_str()); return 1; }
  if (auto ec = rt.listen("tcp:" + bracket(local) + ":0")) { std::fprintf(stderr, "listen: %s\n", ec.message().c_str()); return 1; }
  sp::pager_client pc(rt.layer());
  sp::page pg;
  pg.from = from;
  pg.to = to;
  pg.content_type = ctype;
  pg.body = text;
  int rc = 1;
  asio::steady_timer guard(rt.context(), std::chrono::milliseconds(timeout_ms));
  guard.async_wait([&](std::error_code ec) {
    if (!ec) { std::fprintf(stderr, "no answer\n"); rt.stop(); }
  });
  // RFC 3263 4.3: a transport error, a timeout or a 503 tries the next target.
  std::function<void(std::size_t)> attempt = [&](std::size_t i) {
    rt.send_request(pc.build(pg), targets[i], [&, i](const st::request_result& r) {
      const bool next = i + 1 < targets.size() && (r.status == 503 || r.status == 408 || r.status == 0);
      if (next) {
        std::fprintf(stderr, "%s: %s; trying %s\n", sipevents::transaction::to_string(targets[i]).c_str(),
                     r.response ? (std::to_string(r.status) + " " + r.reason).c_str()
                                : (r.error.empty() ? std::to_string(r.status) : r.error).c_str(),
                     sipevents::transaction::to_string(targets[i + 1]).c_str());
        attempt(i + 1);
        return;
      }
      if (r.status == 0 || (!r.response && !r.error.empty())) {
        std::fprintf(stderr, "%s\n", r.error.c_str());  // never sent, or the transport failed
      } else {
        std::printf("SIP/2.0 %u %s\n", r.status, r.reason.c_str());
        rc = r.status >= 200 && r.status < 300 ? 0 : 1;
      }
      guard.cancel();
      rt.stop();
    });
  };
  attempt(0);
  rt.run();
  std::fflush(stdout);
  return rc;
}

/// REGISTERs `contact` for `aor` at `registrar` (Expires `expires`); `done` gets the status.
void register_contact(st::runtime& rt, const std::string& aor, const std::string& contact, const peer& registrar,
                      std::uint32_t expires, std::uint32_t cseq, const std::string& call_id,
                      std::function<void(const st::request_result&)> done) {
  sm::uri u;
  std::string domain = !sm::parse_uri(aor, u) ? std::string(u.host) : "invalid";
  auto b = sm::message_builder::request("REGISTER", "sip:" + domain);
  b.header(sm::hdr::max_forwards, "70");
  b.header(sm::hdr::from, "<" + aor + ">;tag=" + rt.layer().random_token(10));
  b.header(sm::hdr::to, "<" + aor + ">");
  b.header(sm::hdr::call_id, call_id);
  b.header(sm::hdr::cseq, std::to_string(cseq) + " REGISTER");
  b.header(sm::hdr::contact, "<" + contact + ">");
  b.header(sm::hdr::expires, std::to_string(expires));
  rt.send_request(b, registrar, [done](const st::request_result& r) { done(r); });
}

/// The options of `listen`.
struct listen_options {
  std::vector<std::string> binds;
  long count = -1;
  std::string aor, registrar_at;
  std::uint32_t reg_expires = 3600;
  std::size_t max_transactions = 0;
  tools::login login;
  tools::tls_options tls;
  void add(CLI::App& app) {
    app.add_option("--bind", binds, "Listen on udp|tcp|tls:HOST:PORT (repeatable)")
        ->required()
        ->check(tools::transport_address());
    app.add_option("--count", count, "Exit after N pages")->check(tools::within<long>(1));
    tls.add_certificate(app, "for tls listeners");
    tls.add_ca(app);
    // Server transactions live 64*T1 after their answer over UDP (Timer J), so the
    // live count at a steady rate R is about 32*R; beyond the limit requests get 503.
    app.add_option("--max-transactions", max_transactions, "Transactions held at once (beyond: 503)")
        ->check(tools::within<std::size_t>(1, 100000000));
    auto* reg = app.add_option("--register", aor, "Register this AoR (and unregister before exiting)")->check(tools::sip_uri());
    auto* at = app.add_option("--registrar", registrar_at, "The registrar at udp|tcp|tls:HOST:PORT")
                   ->check(tools::transport_address())
                   ->needs(reg);
    reg->needs(at);
    app.add_option("--expires", reg_expires, "Registration duration asked, in seconds")
        ->check(tools::within<std::uint32_t>(1, 4294967295u))
        ->needs(reg);
    login.add(app);
  }
};

int listen_main(listen_options& o) {
  const std::vector<std::string>& binds = o.binds;
  const long count = o.count;
  const std::string& aor = o.aor;
  peer registrar;
  if (!o.registrar_at.empty()) sipevents::transaction::parse_peer(o.registrar_at, registrar);  // checked by the option
  std::uint32_t reg_expires = o.reg_expires;
  st::runtime_config cfg;
  if (o.max_transactions) cfg.layer.max_transactions = o.max_transactions;
  tools::login& login = o.login;
  tools::tls_options& tls = o.tls;
  cfg.layer.server = "sipevents-message";
  st::runtime rt(cfg);
  login.attach(rt);
  if (std::string err; !tls.attach(rt, err)) { std::fprintf(stderr, "%s\n", err.c_str()); return 2; }
  tools::expect_name(registrar, aor);
  rt.set_log([](st::log_level l, std::string_view s) {
    if (l >= st::log_level::info) std::fprintf(stderr, "%.*s\n", int(s.size()), s.data());
  });
  peer first;
  for (const auto& b : binds) {
    peer bound;
    if (auto ec = rt.listen(b, &bound)) {
      std::fprintf(stderr, "cannot listen on %s: %s\n", b.c_str(), ec.message().c_str());
      return 1;
    }
    if (first.port == 0) first = bound;
  }
  // With --register this listener is a UA: it binds its address to the AoR, and
  // removes the binding again before it exits after --count pages.
  sm::uri aor_uri;
  std::string user = !aor.empty() && !sm::parse_uri(aor, aor_uri) ? std::string(aor_uri.user) : "ua";
  std::string contact = "sip:" + user + "@" + bracket(first.host) + ":" + std::to_string(first.port) +
                        tools::transport_param(first);
  std::string reg_call_id = rt.layer().random_token(20);
  int rc = 0;
  std::uint32_t reg_cseq = 0;
  asio::steady_timer refresh(rt.context());
  // Refreshes at half the expiry: REGISTER has no refresh machinery of its own, and a
  // UA that lets its binding lapse silently disappears from the reg state.
  std::function<void()> do_register = [&] {
    register_contact(rt, aor, contact, registrar, reg_expires, ++reg_cseq, reg_call_id, [&](const st::request_result& r) {
      std::uint16_t st = r.status;
      reg_cseq = std::max(reg_cseq, r.cseq);  // a 401/407 resend took the next CSeq
      std::fprintf(stderr, "registered %s as %s: %u\n", aor.c_str(), contact.c_str(), st);
      if (st == 423 && r.response && r.response->min_expires() && *r.response->min_expires() > reg_expires) {
        reg_expires = *r.response->min_expires();  // RFC 3261 10.2.8: retry with Min-Expires
        do_register();
        return;
      }
      if (st < 200 || st >= 300) {
        rc = 1;
        rt.stop();
        return;
      }
      refresh.expires_after(std::chrono::seconds(std::max<std::uint32_t>(reg_expires / 2, 1)));
      refresh.async_wait([&](const std::error_code& ec) {
        if (!ec) do_register();
      });
    });
  };
  if (!aor.empty()) do_register();
  sp::pager_server server;
  long seen = 0;
  rt.on_request("MESSAGE", [&](st::incoming_request& r) {
    if (auto err = server.vet(r.msg, r.to_tag)) {
      rt.respond(r, *err);
      return;
    }
    sp::received_page pg = sp::pager_server::read(r.msg, r.from.transport);
    const std::string line = tools::json_line({{"from", pg.from},
                                               {"to", pg.to},
                                               {"content_type", pg.content_type},
                                               {"body", pg.body},
                                               {"transport", pg.transport}});
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
    rt.respond(r, 200, "OK");
    if (count > 0 && ++seen >= count) {
      if (!aor.empty()) {
        refresh.cancel();
        register_contact(rt, aor, contact, registrar, 0, ++reg_cseq, reg_call_id, [&](const st::request_result& ur) {
          std::fprintf(stderr, "unregistered %s: %u\n", aor.c_str(), ur.status);
          rt.stop();
        });
      } else {
        // Let the 200 leave before stopping.
        asio::post(rt.context(), [&rt] { rt.stop(); });
      }
    }
  });
  rt.run();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  tools::cli cli("sipevents-message", "Send or receive RFC 3428 pages (MESSAGE).");
  CLI::App& app = cli.app();
  app.require_subcommand(1);
  send_options so;
  so.add(*app.add_subcommand("send", "Send one page; prints the final response"));
  listen_options lo;
  lo.add(*app.add_subcommand("listen", "Answer pages 200 and print each as a JSON line"));
  if (argc > 1 && argv[1][0] != '-' && std::string_view(argv[1]) != "send" && std::string_view(argv[1]) != "listen")
    return cli.refuse(std::string("unknown command ") + argv[1] + ": send or listen");
  if (int rc = cli.parse(argc, argv); rc >= 0) return rc;
  if (app.got_subcommand("send")) return send_main(so);
  return listen_main(lo);
}
