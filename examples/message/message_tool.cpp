// sipevents-message: send or receive RFC 3428 pages.
//
//   sipevents-message send --from URI --to URI [--via udp|tcp|tls:HOST:PORT | --dns HOST:PORT] [--ca FILE] [--cert F --key F]
//                          [--content-type T] [--timeout-ms N] [--user NAME --password PW]
//                          [--imdn [--listen udp|tcp:HOST:PORT] [--register]] TEXT
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
//
// send --imdn wraps the page in CPIM (RFC 3862) asking for delivery and display
// notifications (RFC 5438; its Message-ID is also the Call-ID, which liblinphone names
// pages by), prints the final response, then waits for the delivery notification,
// prints it as a JSON line ({"imdn": {message_id, kind, status, datetime}, "from"})
// and exits 0 when it says delivered, 1 otherwise or after --timeout-ms; a display
// notification not yet in is awaited up to 1 s more and printed too. Notifications
// come to the --from URI: --listen binds where that leads, --register binds it at the
// --via registrar first (and removes the binding after).
// listen prints each MESSAGE as a JSON line (from, to, content_type, body inflated
// when deflated, transport; "imdn" for a notification, "composing" for an RFC 3994
// indication, "cpim" for the CPIM envelope) and answers a page asking for
// notifications with a delivery and a display notification, sent to its sender
// (through --registrar when given).
#include <fmt/chrono.h>
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

void register_contact(st::runtime& rt, const std::string& aor, const std::string& contact, const peer& registrar,
                      std::uint32_t expires, std::uint32_t cseq, const std::string& call_id,
                      std::function<void(const st::request_result&)> done);

/// Now as RFC 3339 UTC, for CPIM DateTime and IMDN datetime.
std::string rfc3339_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

/// {"message_id","kind","status","datetime"} of a notification.
tools::json imdn_json(const sp::imdn_notification& n) {
  return {{"message_id", n.message_id},
          {"kind", std::string(sp::to_string(n.what))},
          {"status", std::string(sp::to_string(n.state))},
          {"datetime", n.datetime}};
}

/// The options of `send`.
struct send_options {
  std::string from, to, via, dns, ctype = "text/plain";
  std::vector<std::string> words;
  long timeout_ms = 40000;
  bool imdn = false, reg = false;
  std::string listen_at;
  tools::login login;
  tools::tls_options tls;
  void add(CLI::App& app) {
    auto* im = app.add_flag("--imdn", imdn, "Ask for delivery notification (RFC 5438, in CPIM) and wait for it");
    app.add_option("--listen", listen_at, "With --imdn: receive notifications on udp|tcp:HOST:PORT")
        ->check(tools::transport_address())
        ->needs(im);
    app.add_flag("--register", reg, "With --imdn: register --from at the --via registrar while waiting")->needs(im);
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
  peer own;  // where notifications come (--listen), else the ephemeral UDP one
  if (!o.listen_at.empty()) {
    if (auto ec = rt.listen(o.listen_at, &own)) { std::fprintf(stderr, "listen: %s\n", ec.message().c_str()); return 1; }
  } else if (auto ec = rt.listen("udp:" + bracket(local) + ":0", &own)) {
    std::fprintf(stderr, "listen: %s\n", ec.message().c_str());
    return 1;
  }
  // Both transports, so a page over 1300 bytes can move to TCP (RFC 3261 18.1.1).
  if (auto ec = rt.listen("tcp:" + bracket(local) + ":0")) { std::fprintf(stderr, "listen: %s\n", ec.message().c_str()); return 1; }
  sp::pager_client pc(rt.layer());
  sp::page pg;
  pg.from = from;
  pg.to = to;
  pg.content_type = ctype;
  pg.body = text;
  sp::imdn_request asked;
  if (o.imdn) {
    asked = {rt.layer().random_token(24), rfc3339_now(), true, true, true};
    sp::cpim_message m;
    m.headers = {{"From", "<" + from + ">"}, {"To", "<" + to + ">"}};
    sp::add_imdn_request(m, asked);
    m.content_headers = {{"Content-Type", ctype}};
    m.body = text;
    pg.content_type = std::string(sp::cpim_type);
    pg.body = sp::encode(m);
    pg.call_id = asked.message_id;
  }
  int rc = 1;
  bool answered = false;            // the final response to the page came
  std::optional<int> noticed;       // the delivery notification came: its exit status
  sp::imdn_tracker tracker({std::chrono::milliseconds(timeout_ms), 16});
  sp::pager_server server;
  // With --register: the binding that brings notifications here, removed at the end.
  sm::uri from_uri;
  const std::string user = !sm::parse_uri(from, from_uri) ? std::string(from_uri.user) : "ua";
  const std::string contact = "sip:" + user + "@" + bracket(own.host) + ":" + std::to_string(own.port) + tools::transport_param(own);
  const std::string reg_call_id = rt.layer().random_token(20);
  bool finished = false;
  auto finish = [&] {
    if (finished) return;
    finished = true;
    if (!o.reg) {
      rt.stop();
      return;
    }
    register_contact(rt, from, contact, dest, 0, 2, reg_call_id, [&](const st::request_result&) { rt.stop(); });
  };
  asio::steady_timer guard(rt.context(), std::chrono::milliseconds(timeout_ms));
  guard.async_wait([&](std::error_code ec) {
    if (ec) return;
    std::fprintf(stderr, tracker.pending() ? "no delivery notification\n" : "no answer\n");
    rc = 1;
    finish();
  });
  // A recipient usually sends the display notification right after the delivery one:
  // answer it before leaving rather than let its sender retransmit for 64*T1.
  bool displayed = false, lingering = false;
  asio::steady_timer linger(rt.context());
  auto conclude = [&](int code) {
    rc = code;
    guard.cancel();
    if (!o.imdn || displayed) {
      finish();
      return;
    }
    lingering = true;
    linger.expires_after(std::min(std::chrono::milliseconds(1000), std::chrono::milliseconds(timeout_ms)));
    linger.async_wait([&](std::error_code ec) {
      if (!ec) finish();
    });
  };
  rt.on_request("MESSAGE", [&](st::incoming_request& r) {
    sp::taken_page t = server.take(r.msg, r.to_tag, r.from.transport);
    if (t.reject) {
      rt.respond(r, *t.reject);
      return;
    }
    rt.respond(r, 200, "OK");
    if (!t.page.imdn || !tracker.received(*t.page.imdn)) return;
    std::fputs(tools::json_line({{"imdn", imdn_json(*t.page.imdn)}, {"from", t.page.from}}).c_str(), stdout);
    std::fflush(stdout);
    if (t.page.imdn->what == sp::imdn_notification::kind::display) {
      displayed = true;
      if (lingering) {
        linger.cancel();
        asio::post(rt.context(), finish);  // after the 200 leaves
      }
      return;
    }
    if (t.page.imdn->what != sp::imdn_notification::kind::delivery) return;
    noticed = t.page.imdn->state == sp::imdn_notification::status::delivered ? 0 : 1;
    if (answered) conclude(*noticed);  // else the final response is still on its way (liblinphone answers last)
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
        std::fflush(stdout);
        rc = r.status >= 200 && r.status < 300 ? 0 : 1;
      }
      answered = true;
      if (o.imdn && rc == 0 && noticed) {
        conclude(*noticed);
        return;
      }
      if (o.imdn && rc == 0 && !noticed) {
        rc = 1;  // accepted: now the delivery notification (the guard runs on)
        return;
      }
      guard.cancel();
      finish();
    });
  };
  // Awaited from the start: a notification may come before the final response.
  if (o.imdn) tracker.sent(asked, sipevents::transaction::clock::now());
  if (o.reg) {
    register_contact(rt, from, contact, dest, 300, 1, reg_call_id, [&](const st::request_result& r) {
      if (r.status < 200 || r.status >= 300) {
        std::fprintf(stderr, "cannot register %s: %u\n", from.c_str(), r.status);
        guard.cancel();
        rt.stop();
        return;
      }
      attempt(0);
    });
  } else {
    attempt(0);
  }
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
  sp::pager_client notices(rt.layer());
  long seen = 0;
  int notices_out = 0;  // notifications not yet answered: --count waits for them
  bool done = false;
  std::function<void()> end;
  rt.on_request("MESSAGE", [&](st::incoming_request& r) {
    sp::taken_page t = server.take(r.msg, r.to_tag, r.from.transport);
    if (t.reject) {
      rt.respond(r, *t.reject);
      return;
    }
    const sp::received_page& pg = t.page;
    tools::json line = {{"from", pg.from},
                        {"to", pg.to},
                        {"content_type", pg.content_type},
                        {"body", pg.body},
                        {"transport", pg.transport}};
    if (pg.imdn) line["imdn"] = imdn_json(*pg.imdn);
    if (pg.composing) {
      line["composing"] = {{"state", pg.composing->active ? "active" : "idle"},
                           {"refresh", pg.composing->refresh ? tools::json(*pg.composing->refresh) : tools::json(nullptr)}};
    }
    if (pg.cpim) {
      line["cpim"] = {{"from", tools::or_null(pg.cpim->header("From").value_or(""))},
                      {"to", tools::or_null(pg.cpim->header("To").value_or(""))},
                      {"message_id", tools::or_null(pg.cpim->header_in(sp::imdn_ns, "Message-ID").value_or(""))}};
    }
    std::fputs(tools::json_line(line).c_str(), stdout);
    std::fflush(stdout);
    rt.respond(r, 200, "OK");
    if (pg.wants && pg.cpim) {
      // RFC 5438: delivered (the page is here) and displayed (it was just printed),
      // each in its own MESSAGE to the sender, through the registrar when there is one.
      using N = sp::imdn_notification;
      std::vector<N> answers;
      if (pg.wants->positive_delivery) answers.push_back({pg.wants->message_id, pg.wants->datetime, pg.to, "", N::kind::delivery, N::status::delivered});
      if (pg.wants->display) answers.push_back({pg.wants->message_id, pg.wants->datetime, pg.to, "", N::kind::display, N::status::displayed});
      peer back;
      if (!o.registrar_at.empty()) back = registrar;
      else if (sm::uri fu; !sm::parse_uri(pg.from, fu) && fu.is_sip()) {
        back.transport = transport_kind::udp;
        back.host = std::string(fu.host);
        if (back.host.size() > 2 && back.host.front() == '[') back.host = back.host.substr(1, back.host.size() - 2);
        back.port = fu.has_port ? fu.port : 5060;
      }
      for (const N& n : answers) {
        sp::page p;
        p.from = aor.empty() ? pg.to : aor;
        p.to = pg.from;
        p.content_type = std::string(sp::cpim_type);
        p.body = sp::encode(sp::imdn_reply(*pg.cpim, n, rt.layer().random_token(24), rfc3339_now()));
        ++notices_out;
        rt.send_request(notices.build(p), back, [&, back, kind = n.what](const st::request_result& res) {
          std::fprintf(stderr, "%s notification to %s: %u\n", std::string(sp::to_string(kind)).c_str(),
                       sipevents::transaction::to_string(back).c_str(), res.status);
          if (--notices_out == 0 && done) end();
        });
      }
    }
    if (count > 0 && ++seen >= count) {
      done = true;
      if (notices_out > 0) return;  // end() when the notifications are answered
      end();
    }
  });
  end = [&] {
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
  };
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
