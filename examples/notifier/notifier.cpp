// sipevents-notifier: registrar (RFC 3261 10.3), reg event notifier (RFC 3680),
// presence server (RFC 3856 notifier composing RFC 3903 PUBLISHes), dialog state
// notifier for busy lamp fields (RFC 4235, fed by PUBLISH Event: dialog), voicemail
// summaries (RFC 3842, fed by PUBLISH Event: message-summary) and MESSAGE relay
// (RFC 3428) to registered contacts, in one process. A presentity may watch who
// watches her (Event: presence.winfo, RFC 3857); others are refused.
//
//   sipevents-notifier --bind udp:HOST:PORT [--bind tcp|tls|ws|wss:HOST:PORT ...] --domain DOMAIN
//                      [--domain DOMAIN ...] [--cert FILE --key FILE [--client-ca FILE [--require-client-cert]]]
//                      [--handshake-timeout S] [--ws-ping S] [--max-connections N]
//                      [--max-connections-per-source N] [--min-expires N] [--max-watchers N]
//                      [--max-transactions N] [--users FILE [--auth-secret HEX]
//                      [--auth-algorithms LIST] [--auth-no-uri-check]] [--db FILE [--db-sync full|normal]]
//                      [--redis HOST:PORT [--node-id ID] [--lease S] [--redis-prefix P] [--redis-partitions N]]
//                      [--lists FILE] [--list-service URI] [--list-rate MS] [--max-list N]
//                      [--outbound udp|tcp:HOST:PORT]
//                      [--presence-policy open|ask] [--metrics tcp:HOST:PORT] [--verbose | --quiet]
//   sipevents-notifier --db FILE --dump
//   sipevents-notifier --redis HOST:PORT --domain DOMAIN [--redis-prefix P] --dump
//
// --db keeps every binding, publication and subscription in an SQLite file (WAL),
// so a restart, even after kill -9, loses nothing that was acknowledged: a 2xx to
// REGISTER, PUBLISH or SUBSCRIBE goes out only once its state is committed. At start
// the stored state is taken back: bindings relay again, ETags stay valid, and every
// live subscription gets a NOTIFY with its current state in its own dialog (those
// that expired meanwhile a final one). While the file cannot be written (disk full),
// those requests are answered 500 with Retry-After. --db-sync normal survives a
// crash of the process but not of the machine (default full). With --users and no
// --auth-secret the nonce key is kept there too. A file that is not ours, or that a
// newer version wrote, is refused at start (exit 2) and left untouched.
// --dump prints the stored bindings, publications and subscriptions (of the file, or
// of the service on Redis) as JSON lines and exits without serving.
//
// --redis makes this notifier one node of a service: every notifier with the same
// Redis and --redis-prefix (default "sipevents:" + the first --domain + ":") shares
// its bindings, publications (an ETag from one node is good on all), subscriptions
// and nonce key. A REGISTER or PUBLISH on any node reaches the watchers on every
// node; each subscription is NOTIFYed by the node that owns it, once per change. A
// node renews a lease every --lease/3 seconds (default 5); when a node's lease
// lapses, another claims its subscriptions and NOTIFYs each watcher from its own
// Contact. --node-id (default: the host name) names the node; a node restarted with
// its id takes its subscriptions back at once. While Redis cannot be written,
// REGISTER, PUBLISH and SUBSCRIBE get 503 with Retry-After; the rest goes on from
// memory, and the node carries on when Redis is back. docs/scale-out.md has the design.
//
// --users turns digest authentication on for every request it serves: REGISTER,
// SUBSCRIBE and PUBLISH are challenged with 401, relayed MESSAGEs with 407, in the
// realm of the first --domain. FILE has one `user:password` line per user, or
// `user:ALGORITHM:HA1` (MD5, SHA-256, SHA-512-256), and `#` comments; a bad file is
// refused at start with its line number (exit 2). A user registers only her own AoR,
// publishes only her own presence, and relays only MESSAGEs From herself (403).
// --auth-secret is the nonce key (hex), shared by notifiers that accept each other's
// nonces; without it a random one is made at start. --auth-algorithms lists the
// challenges sent, in order (default MD5 alone: baresip 1.0 fails when any challenge
// names another algorithm; MD5,SHA-256 serves linphonec, Kamailio and our clients).
// --auth-no-uri-check accepts credentials whose uri is not the Request-URI (SIPp
// writes the server's address there). --verbose adds a line per authenticated
// request naming the user and algorithm.
//
// --bind tls:... and wss:... need --cert (the PEM chain) and --key; --client-ca asks
// clients for a certificate and checks one that is sent against those CAs;
// --require-client-cert refuses clients that send none. A TLS
// handshake or WebSocket upgrade not finished in --handshake-timeout seconds (default
// 10) is closed, and so is a connection that has not sent a whole SIP message by then.
// --max-connections (default 1024) bounds the TCP, TLS and WebSocket connections; when
// they are all taken, the oldest that has sent nothing yet (else the longest idle)
// makes room for a newcomer. --max-connections-per-source (default 128) bounds those
// from one address. An idle WebSocket connection is pinged every --ws-ping seconds
// (default 30, 0 never): browsers answer pings, and JsSIP and SIP.js send none. ws: and
// wss: listeners speak SIP over WebSocket (RFC 7118) to browsers: a request, the
// NOTIFYs of its subscriptions and a relayed MESSAGE reach a WebSocket (or TCP, TLS)
// client over the connection it registered or subscribed on, while that lasts.
//
// --lists serves resource lists (RFC 4662): FILE is an RFC 4826 resource-lists
// document, each top-level <list name="N"> served as sip:N@DOMAIN (the first
// --domain) for every package (a buddy list for presence, a BLF list for dialog).
// Nested lists and entries naming another served list are expanded into it. A list
// that includes itself, or holds more than --max-list resources (default 1000), is
// refused at start with its name (exit 2). A list subscriber must send Supported:
// eventlist (else 421); its NOTIFYs carry RLMI with every resource's state, then only
// what changed, at most one per --list-rate milliseconds (default 200). Members of
// our domains are served from our own state; members of other domains are watched
// through one back-end SUBSCRIBE each, From the list, sent to --outbound (without it,
// to the member's URI, which must then hold a numeric host).
// --list-service URI (RFC 5367) takes lists in the SUBSCRIBE body instead: a
// SUBSCRIBE to URI with Require: recipient-list-subscribe, Content-Disposition:
// recipient-list and an application/resource-lists+xml body (plain or deflate, as
// liblinphone sends its friend list to its rls_uri) is served as that list, bounded
// by --max-list; a malformed list gets 400 naming the fault, and a body list sent to
// any other URI 403.
//
// --presence-policy ask (RFC 3857 pending authorization): a presence watcher other
// than the presentity herself is pending (202, NOTIFY pending) until decided; she
// sees it in her watcher information (Event: presence.winfo) with status pending.
// The decision comes on standard input, one line each: `authorize ID accept`,
// `reject` or `polite-block`, ID being the watcher's id in the watcherinfo document;
// the watcher's state and the winfo follow. A line "pending ID WATCHER RESOURCE" is
// printed for each watcher that waits. The default, open, accepts the domain's own.
//
// --metrics tcp:HOST:PORT serves the counters in the Prometheus text format on GET
// /metrics: requests and responses by method and class, retransmissions, malformed
// and overload refusals, live transactions, bindings, publications, subscriptions by
// package, NOTIFYs sent, answered and failed.
//
// One log line per request on stdout (--quiet: warnings only, for load runs).
// --max-watchers bounds the watchers of one resource (default 10000; beyond: 503),
// --max-transactions the transactions held at once (default 100000; beyond: 503).
// Watchers of Event: reg, presence, dialog and message-summary are accepted from the
// AoR's own domain (or a subdomain of it), others get 403.
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "../common/net.hpp"
#include "../common/tls.hpp"
#include "../common/cli.hpp"
#include "sipevents/agent/event_agent.hpp"
#include "sipevents/auth/users_file.hpp"
#include "sipevents/crypto/openssl_crypto.hpp"
#include "sipevents/dialoginfo/dialog_package.hpp"
#include "sipevents/mwi/mwi_package.hpp"
#include "sipevents/winfo/winfo_package.hpp"
#include "sipevents/presence/presence_package.hpp"
#include "sipevents/reg/reg_package.hpp"
#include "sipevents/registrar/registrar.hpp"
#include "sipevents/rls/list_server.hpp"
#include "sipevents/store_sqlite/sqlite_store.hpp"
#include "../common/metrics.hpp"
#include "notifier_cluster.hpp"
#include "notifier_store.hpp"

namespace st = sipevents::transport;
namespace sm = sipevents::message;
namespace ev = sipevents::events;
namespace sr = sipevents::registrar;
namespace sa = sipevents::agent;
using sipevents::transaction::peer;
using sipevents::transaction::time_point;

namespace {

/// Drives the registrar from the runtime's timer and hands every binding change to
/// the reg package and the notifier.
class registrar_driver final : public st::timed {
 public:
  registrar_driver(sr::registrar& r, sipevents::reg::reg_package& pkg, sa::event_agent& agent, bool quiet)
      : r_(r), pkg_(pkg), agent_(agent), quiet_(quiet) {}
  time_point next_deadline() const override { return r_.next_deadline(); }
  void advance(time_point now) override {
    r_.advance(now);
    publish();
  }
  /// Registrations also feed presence: a user whose phone is registered is online.
  void set_presence(sipevents::presence::presence_package* p) { presence_ = p; }
  void publish() {
    sr::binding_change c;
    while (r_.poll(c)) {
      if (!quiet_)
        std::printf("binding %s %s %s\n", c.aor.c_str(), std::string(sr::to_string(c.event)).c_str(), c.b.uri.c_str());
      agent_.changed("reg", pkg_.apply(c));
      if (presence_) {
        std::vector<std::string> contacts;
        if (const auto* list = r_.lookup(c.aor))
          for (const auto& b : *list) contacts.push_back(b.uri);
        if (presence_->registered(c.aor, std::move(contacts))) agent_.changed("presence", c.aor);
      }
    }
    std::fflush(stdout);
  }

 private:
  sr::registrar& r_;
  sipevents::reg::reg_package& pkg_;
  sa::event_agent& agent_;
  bool quiet_;
  sipevents::presence::presence_package* presence_ = nullptr;
};

/// The bytes of an even-length hex string; false for anything else.
bool from_hex(const std::string& h, std::string& out) {
  if (h.empty() || h.size() % 2) return false;
  out.clear();
  for (std::size_t i = 0; i < h.size(); i += 2) {
    auto nib = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
    int a = nib(h[i]), b = nib(h[i + 1]);
    if (a < 0 || b < 0) return false;
    out.push_back(static_cast<char>(a * 16 + b));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> binds;
  sr::registrar_config rcfg;
  std::size_t max_watchers = 0, max_transactions = 0;
  long handshake_timeout = 0, ws_ping = -1;
  std::size_t max_connections = 0, max_per_source = 0;
  bool quiet = false, verbose = false, no_uri_check = false, dump = false;
  std::string users_file, auth_secret_hex, auth_algorithms, db_file, db_sync = "full";
  std::string redis_addr, node_id, redis_prefix;
  long lease_s = 5, redis_partitions = 16;
  std::string lists_file, outbound;
  std::vector<std::string> list_services;
  long list_rate_ms = 200, max_list = 1000;
  std::string presence_policy = "open", metrics_at;
  tools::tls_options tls;
  tools::cli cli("sipevents-notifier",
                 "Registrar with the reg notifier, presence server (PUBLISH, PIDF) and notifier of dialog, "
                 "message-summary, presence.winfo and resource lists.");
  CLI::App& app = cli.app();
  app.add_option("--bind", binds, "Listen on udp|tcp|tls|ws|wss:HOST:PORT (repeatable)")->check(tools::transport_address());
  app.add_option("--domain", rcfg.domains, "A domain served (repeatable; the first is the realm and the cluster's name)");
  tls.add_certificate(app, "for tls and wss listeners");
  tls.add_client_checks(app);
  app.add_option("--handshake-timeout", handshake_timeout, "Seconds a TLS handshake or WebSocket upgrade may take (default 10)")
      ->check(tools::within<long>(1, 3600));
  app.add_option("--ws-ping", ws_ping, "Seconds between pings on an idle WebSocket (0: none)")->check(tools::within<long>(0, 86400));
  app.add_option("--max-connections", max_connections, "TCP, TLS and WebSocket connections held at once (default 1024)")
      ->check(tools::within<std::size_t>(1, 1000000));
  app.add_option("--max-connections-per-source", max_per_source, "Connections from one address (default 128)")
      ->check(tools::within<std::size_t>(1, 1000000));
  app.add_option("--min-expires", rcfg.min_expires, "Shortest registration, subscription or publication in seconds (423 below)")
      ->check(tools::within<std::uint32_t>(1, 86400));
  app.add_option("--max-watchers", max_watchers, "Watchers of one resource (default 10000; beyond: 503)")
      ->check(tools::within<std::size_t>(1, 100000000));
  app.add_option("--max-transactions", max_transactions, "Transactions held at once (default 100000; beyond: 503)")
      ->check(tools::within<std::size_t>(1, 100000000));
  auto* users_opt = app.add_option("--users", users_file, "Digest authentication: a file of user:password or user:HA1 lines")
                    ->check(CLI::ExistingFile);
  app.add_option("--auth-secret", auth_secret_hex, "Nonce key in hex, shared by notifiers that accept each other's nonces")
      ->needs(users_opt);
  app.add_option("--auth-algorithms", auth_algorithms, "Digest algorithms offered, in order (MD5,SHA-256,SHA-512-256)")
      ->needs(users_opt);
  app.add_flag("--auth-no-uri-check", no_uri_check, "Accept credentials whose uri is not the Request-URI")->needs(users_opt);
  auto* db_opt = app.add_option("--db", db_file, "Keep bindings, publications and subscriptions in this SQLite file");
  app.add_option("--db-sync", db_sync, "full survives a machine crash, normal a process crash")
      ->check(CLI::IsMember({"full", "normal"}))
      ->needs(db_opt);
  auto* redis_opt = app.add_option("--redis", redis_addr, "Share the state with other nodes through Redis at HOST:PORT")
                    ->check(tools::host_port())
                    ->excludes(db_opt);
  app.add_option("--node-id", node_id, "This node's name in the cluster (default: the host name)")->needs(redis_opt);
  app.add_option("--lease", lease_s, "Seconds a node's lease lasts (renewed every third)")->check(tools::within<long>(1, 3600));
  app.add_option("--redis-prefix", redis_prefix, "Key prefix of the service in Redis")->needs(redis_opt);
  app.add_option("--redis-partitions", redis_partitions, "Partitions of the resources among the nodes")
      ->check(tools::within<long>(1, 16384))
      ->needs(redis_opt);
  auto* lists_opt = app.add_option("--lists", lists_file, "Serve the resource lists of this RFC 4826 document (RFC 4662)")
                    ->check(CLI::ExistingFile);
  auto* services_opt = app.add_option("--list-service", list_services, "Take lists in the SUBSCRIBE body at this URI (RFC 5367; repeatable)")
                      ->check(tools::sip_uri());
  app.add_option("--list-rate", list_rate_ms, "Milliseconds between two NOTIFYs of one list")->check(tools::within<long>(0, 3600000));
  app.add_option("--max-list", max_list, "Resources in one list")->check(tools::within<long>(1, 1000000));
  app.add_option("--outbound", outbound, "Where back-end SUBSCRIBEs for remote list members go (udp|tcp:HOST:PORT)")
      ->check(tools::transport_address());
  app.add_option("--presence-policy", presence_policy, "open, or ask the operator on stdin (RFC 3857 pending)")
      ->check(CLI::IsMember({"open", "ask"}));
  app.add_option("--metrics", metrics_at, "Serve Prometheus text on GET /metrics at tcp:HOST:PORT")->check(tools::transport_address());
  auto* verbose_opt = app.add_flag("--verbose", verbose, "A line per authenticated request, and more");
  app.add_flag("--quiet", quiet, "Warnings only (for load runs)")->excludes(verbose_opt);
  app.add_flag("--dump", dump, "Print what --db or --redis holds, and exit");
  if (int rc = cli.parse(argc, argv); rc >= 0) return rc;
  if (dump && redis_addr.empty()) return db_file.empty() ? cli.refuse("--dump needs --db or --redis") : tools::dump_store(db_file);
  if (!outbound.empty() && lists_opt->empty() && services_opt->empty())
    return cli.refuse("--outbound needs --lists or --list-service");
  if (binds.empty() && !dump) return cli.refuse("--bind is required");
  if (rcfg.domains.empty()) return cli.refuse("--domain is required");
  std::unique_ptr<sipevents::store_sqlite::sqlite_store> db;
  sipevents::store::loaded stored;
  if (!db_file.empty()) {
    std::string err;
    db = sipevents::store_sqlite::sqlite_store::open(db_file, {.full_sync = db_sync == "full"}, err);
    if (!db) {
      std::fprintf(stderr, "sipevents-notifier: %s\n", err.c_str());
      return 2;
    }
    if (auto ec = sipevents::store::load_all(*db, st::clocks_now(), stored)) {
      std::fprintf(stderr, "sipevents-notifier: %s: %s\n", db_file.c_str(), db->last_error().c_str());
      return 2;
    }
  }
  std::vector<sipevents::rls::served_list> served_lists;
  if (!lists_file.empty()) {
    std::ifstream in(lists_file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "sipevents-notifier: cannot read %s\n", lists_file.c_str());
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    sipevents::rls::resource_lists doc;
    std::string err;
    sipevents::rls::list_limits limits;
    limits.max_resources = static_cast<std::size_t>(max_list);
    if (!sipevents::rls::decode(text.str(), doc, &err) ||
        !sipevents::rls::flatten(doc, rcfg.domains.front(), served_lists, &err, limits)) {
      std::fprintf(stderr, "sipevents-notifier: %s: %s\n", lists_file.c_str(), err.c_str());
      return 2;
    }
  }

  asio::io_context io(1);
  std::unique_ptr<sipevents::store_redis::redis_store> redis;
  std::vector<sipevents::store::stored> shared;  // what the service held when this node joined
  if (!redis_addr.empty()) {
    sipevents::store_redis::redis_config rc;
    if (!tools::parse_redis_address(redis_addr, rc.link)) return cli.refuse("bad --redis " + redis_addr);
    if (node_id.empty()) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      node_id = host;
    }
    rc.node = node_id;
    rc.prefix = redis_prefix.empty() ? "sipevents:" + rcfg.domains.front() + ":" : redis_prefix;
    rc.lease = std::chrono::seconds(lease_s);
    rc.partitions = static_cast<unsigned>(redis_partitions);
    redis = std::make_unique<sipevents::store_redis::redis_store>(io, rc);
    redis->start();
    if (!tools::run_until(io, *redis, [&] { return redis->healthy(); }, std::chrono::seconds(5))) {
      std::fprintf(stderr, "sipevents-notifier: cannot reach Redis at %s\n", redis_addr.c_str());
      return 2;
    }
    if (dump) return tools::dump_redis(io, *redis);
    bool joined = false;
    std::error_code jec;
    redis->join([&](std::error_code ec, std::vector<sipevents::store_redis::held_record> held) {
      jec = ec;
      shared = tools::as_stored(std::move(held));
      joined = true;
    });
    if (!tools::run_until(io, *redis, [&] { return joined; }, std::chrono::seconds(30)) || jec) {
      std::fprintf(stderr, "sipevents-notifier: cannot join the service on Redis at %s: %s\n", redis_addr.c_str(),
                   joined ? redis->last_error().c_str() : "timed out");
      return 2;
    }
  }

  sipevents::auth::user_table users;
  bool new_secret = false;
  std::optional<sipevents::auth::digest_server> authenticator;
  if (!users_file.empty()) {
    std::ifstream in(users_file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "sipevents-notifier: cannot read %s\n", users_file.c_str());
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    if (auto err = sipevents::auth::parse_users(text.str(), users)) {
      std::fprintf(stderr, "sipevents-notifier: %s:%zu: %s\n", users_file.c_str(), err.line, err.what.c_str());
      return 2;
    }
    sipevents::auth::server_auth_config acfg;
    acfg.realm = rcfg.domains.front();
    acfg.check_uri = !no_uri_check;
    if (!auth_algorithms.empty()) {
      acfg.algorithms.clear();
      std::stringstream list(auth_algorithms);
      for (std::string a; std::getline(list, a, ',');) {
        const auto alg = sm::algorithm_from(a);
        if (alg == sm::digest_algorithm::unknown) {
          std::fprintf(stderr, "sipevents-notifier: unknown algorithm %s in --auth-algorithms\n", a.c_str());
          return 2;
        }
        acfg.algorithms.push_back(alg);
      }
    }
    if (!auth_secret_hex.empty() && !from_hex(auth_secret_hex, acfg.secret)) {
      std::fprintf(stderr, "sipevents-notifier: --auth-secret takes an even number of hex digits\n");
      return 2;
    }
    if (auth_secret_hex.empty() && redis) {
      // One nonce key for the service: the first node makes it, the others take it.
      std::array<std::uint8_t, 32> key{};
      sipevents::crypto::default_crypto().random(key);
      bool got = false;
      std::error_code sec;
      redis->put_meta_once("auth.secret", std::string(reinterpret_cast<const char*>(key.data()), key.size()),
                           [&](std::error_code ec, std::string v) {
                             sec = ec;
                             acfg.secret = std::move(v);
                             got = true;
                           });
      if (!tools::run_until(io, *redis, [&] { return got; }, std::chrono::seconds(5)) || sec || acfg.secret.empty()) {
        std::fprintf(stderr, "sipevents-notifier: cannot share the nonce key on Redis: %s\n",
                     redis->last_error().c_str());
        return 2;
      }
    } else if (auth_secret_hex.empty() && db) {
      // Nonces handed out before a restart stay good: the key is kept with the state.
      acfg.secret = std::string(sipevents::store::meta_value(stored, "auth.secret"));
      if (acfg.secret.empty()) {
        std::array<std::uint8_t, 32> key{};
        sipevents::crypto::default_crypto().random(key);
        acfg.secret.assign(reinterpret_cast<const char*>(key.data()), key.size());
        new_secret = true;  // stored with the state below, before anything is served
      }
    }
    sipevents::auth::prepare_ha1(users, sipevents::crypto::default_crypto(), acfg.realm, acfg.algorithms);
    authenticator.emplace(sipevents::crypto::default_crypto(),
                          [&users](std::string_view u) -> const sipevents::auth::secret* {
                            auto it = users.find(u);
                            return it == users.end() ? nullptr : &it->second;
                          },
                          acfg);
  }

  st::runtime_config cfg;
  cfg.allow_events = {"reg", "presence", "presence.winfo", "dialog", "message-summary"};
  if (!list_services.empty()) {
    // A list in the SUBSCRIBE body (RFC 5367): its option tag and its type are ours.
    cfg.layer.profile.supported.push_back("recipient-list-subscribe");
    cfg.layer.profile.accepted_types.push_back("application/resource-lists+xml");
  }
  cfg.layer.server = "sipevents-notifier";
  if (max_transactions) cfg.layer.max_transactions = max_transactions;
  tools::tls_options::enable_websocket(cfg);
  if (handshake_timeout > 0) cfg.transport.handshake_timeout = std::chrono::seconds(handshake_timeout);
  if (ws_ping >= 0) cfg.transport.ws_ping_interval = std::chrono::seconds(ws_ping);
  if (max_connections) cfg.transport.max_connections = max_connections;
  if (max_per_source) cfg.transport.max_connections_per_source = max_per_source;
  st::runtime rt(io, cfg);
  {
    std::string err;
    if (!tls.attach(rt, err)) {
      std::fprintf(stderr, "sipevents-notifier: %s\n", err.c_str());
      return 2;
    }
  }
  if (authenticator) rt.set_authenticator(&*authenticator);
  // The runtime logs each request it receives at info: that is our one line per request.
  rt.set_log(
      [](st::log_level, std::string_view s) {
        std::printf("%.*s\n", int(s.size()), s.data());
        std::fflush(stdout);
      },
      quiet ? st::log_level::warning : verbose ? st::log_level::debug : st::log_level::info);
  peer first;
  for (std::size_t i = 0; i < binds.size(); ++i) {
    peer bound;
    if (auto ec = rt.listen(binds[i], &bound)) {
      const bool secure = binds[i].rfind("tls:", 0) == 0 || binds[i].rfind("wss:", 0) == 0;
      std::fprintf(stderr, "cannot listen on %s: %s\n", binds[i].c_str(),
                   secure && !tls.has_certificate() ? "needs --cert and --key" : ec.message().c_str());
      return 1;
    }
    if (i == 0) first = bound;
  }

  std::uint64_t ids = 0;
  sr::registrar registrar([&rt, &ids](std::size_t n) { return rt.layer().random_token(n) + std::to_string(++ids); },
                          rcfg);
  sipevents::reg::reg_package reg_pkg(registrar, {3600, rcfg.min_expires, 86400});
  sa::agent_config acfg;
  if (!outbound.empty()) {
    peer via;
    if (!sipevents::transaction::parse_peer(outbound, via)) return cli.refuse("bad --outbound " + outbound);
    acfg.outbound = via;
  }
  if (max_watchers) acfg.server.max_per_resource = max_watchers;
  acfg.server.contact = "sip:notifier@" + tools::bracket(first.host) + ":" + std::to_string(first.port);
  // Watchers of a presentity's watchers (presence.winfo) must be the presentity itself.
  const bool ask = presence_policy == "ask";
  auto watch_policy = [ask](const ev::authorization_request& r) {
    if (r.package == "presence.winfo") return sipevents::winfo::own_watchers_only(r);
    if (ask && r.package == "presence") return sipevents::winfo::ask(r);
    return ev::same_domain(r);
  };
  sa::event_agent agent(rt, acfg, {.authorize = watch_policy});
  agent.add_package(reg_pkg);
  registrar_driver driver(registrar, reg_pkg, agent, quiet);
  rt.add_timed(driver);

  // Presence: PUBLISHes kept by the ESC, composed per presentity, NOTIFYed on change.
  sipevents::events::publication_server esc([&rt](std::size_t n) { return rt.layer().random_token(n); });
  sipevents::presence::presence_config pcfg;
  pcfg.publications.min_expires = pcfg.subscriptions.min_expires = rcfg.min_expires;
  sipevents::presence::presence_package presence(&esc, pcfg);
  esc.add_package(presence, pcfg.publications);
  agent.add_package(presence);
  driver.set_presence(&presence);
  // Dialog state (RFC 4235) for busy lamp fields, from PUBLISH Event: dialog.
  sipevents::dialoginfo::dialog_config dcfg;
  dcfg.publications.min_expires = dcfg.subscriptions.min_expires = rcfg.min_expires;
  sipevents::dialoginfo::dialog_package dialog(&esc, dcfg);
  esc.add_package(dialog, dcfg.publications);
  agent.add_package(dialog);
  // Who watches whom (RFC 3857): the notifier's own presence subscriptions.
  sipevents::winfo::winfo_config wcfg;
  wcfg.subscriptions.min_expires = rcfg.min_expires;
  sipevents::winfo::winfo_package winfo(wcfg);
  agent.add_package(winfo);
  std::function<void(const ev::server_event&)> on_server = [&](const ev::server_event& e) {
    std::optional<std::string> changed;
    if (e.what == ev::server_event::kind::subscribed) {
      if (auto d = agent.notifier().describe(e.sub); d && d->package == "presence") {
        changed = winfo.subscribed(e.sub, d->resource, d->watcher, e.state);
        if (e.state == ev::sub_state::pending) {
          std::printf("pending %llu %.*s %.*s\n", static_cast<unsigned long long>(e.sub), int(d->watcher.size()),
                      d->watcher.data(), int(d->resource.size()), d->resource.data());
          std::fflush(stdout);
        }
      }
    } else if (e.what == ev::server_event::kind::terminated) {
      changed = winfo.terminated(e.sub, e.why);
    }
    if (changed) agent.changed("presence.winfo", *changed);
  };
  agent.on_server_event(on_server);
  // Voicemail lamps (RFC 3842), from PUBLISH Event: message-summary.
  sipevents::mwi::mwi_config mcfg;
  mcfg.publications.min_expires = mcfg.subscriptions.min_expires = rcfg.min_expires;
  sipevents::mwi::mwi_package mwi(&esc, mcfg);
  esc.add_package(mwi, mcfg.publications);
  agent.add_package(mwi);
  // Resource lists (RFC 4662): one subscription for a whole buddy or BLF list.
  sipevents::rls::rls_config lcfg;
  lcfg.min_interval = std::chrono::milliseconds(list_rate_ms);
  lcfg.authorize = watch_policy;  // each member as if watched alone
  lcfg.body_limits.max_resources = static_cast<std::size_t>(max_list);
  for (const auto& u : list_services) {
    sm::uri parsed;
    if (sm::parse_uri(u, parsed)) return cli.refuse("bad --list-service " + u);
    lcfg.list_services.push_back(ev::resource_name(parsed));
  }
  lcfg.is_local = [&rcfg](std::string_view resource) {
    sm::uri u;
    if (sm::parse_uri(resource, u)) return true;
    auto lower = [](std::string_view x) {
      std::string o(x);
      for (char& c : o) c = char(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
      return o;
    };
    for (const auto& d : rcfg.domains)
      if (lower(u.host) == lower(d)) return true;
    return false;
  };
  sipevents::rls::list_server lists([&rt](std::size_t n) { return rt.layer().random_token(n); }, lcfg);
  std::map<std::string, std::uint64_t> backends;  // event + '\x1f' + member -> back-end subscription
  auto run_backends = [&] {
    sipevents::rls::backend_event b;
    while (lists.poll(b)) {
      const std::string key = b.event + '\x1f' + b.resource;
      if (b.what == sipevents::rls::backend_event::kind::unsubscribe) {
        if (auto it = backends.find(key); it != backends.end()) {
          agent.unsubscribe(it->second);
          backends.erase(it);
        }
        continue;
      }
      ev::subscribe_params bp;
      bp.event = b.event;
      bp.from = b.list;
      bp.to = b.uri;
      bp.contact = acfg.server.contact;
      std::string event = b.event, resource = b.resource;
      backends[key] = agent.subscribe(bp, [&, event, resource](std::uint64_t, const ev::client_event& e) {
        using K = ev::client_event::kind;
        if (e.what == K::notify && e.notify) {
          std::optional<ev::body> body;
          if (const auto* ct = e.notify->content_type(); ct && !e.notify->body().empty())
            body = ev::body{std::string(e.notify->find(sm::hdr::content_type)->value), std::string(e.notify->body())};
          lists.remote_state(event, resource, e.state == ev::sub_state::init ? ev::sub_state::active : e.state,
                             std::move(body));
        } else if (e.what == K::terminated) {
          lists.remote_state(event, resource, ev::sub_state::terminated, std::nullopt,
                             e.why == ev::reason::none ? ev::reason::failed : e.why);
        } else {
          return;
        }
        agent.changed(event, resource);
      });
    }
  };
  if (!served_lists.empty() || !list_services.empty()) {
    for (ev::package* p : std::initializer_list<ev::package*>{&reg_pkg, &presence, &dialog, &mwi}) lists.add_package(*p);
    lists.set_lists(std::move(served_lists));
    agent.notifier().set_lists(&lists);
    agent.on_server_event([&, prev = std::move(on_server)](const ev::server_event& e) {
      prev(e);
      run_backends();
    });
  }
  agent.serve_publications(esc, [&](const sipevents::events::publication_change& c) {
    if (!quiet) {
      std::printf("publication %s %s %s\n", c.resource.c_str(), std::string(to_string(c.kind)).c_str(),
                  c.etag.c_str());
      std::fflush(stdout);
    }
    if (presence.apply(c)) agent.changed("presence", c.resource);
    if (dialog.apply(c)) agent.changed("dialog", c.resource);
    if (mwi.apply(c)) agent.changed("message-summary", c.resource);
  });

  rt.on_request("REGISTER", [&](st::incoming_request& r) {
    rt.respond(r, registrar.on_register(r.msg, sipevents::transaction::clock::now(), r.identity,
                                        sipevents::transaction::to_string(r.from)));
    driver.publish();
    rt.rearm();
  });

  // MESSAGE relay: to the registered contact with the highest q, answered with its
  // final status; 404 when the AoR has no binding.
  rt.on_request("MESSAGE", [&](st::incoming_request& r) {
    // Authenticated users relay only as themselves.
    if (!r.identity.empty() && sm::address_of_record(r.msg.from().addr) != r.identity) {
      rt.log(st::log_level::warning, "relay: MESSAGE From " + std::string(r.msg.from().addr.text) + " by " +
                                         r.identity + " refused");
      rt.respond(r, 403, "Forbidden: From Is Not You");
      return;
    }
    const auto* bindings = registrar.lookup(sm::address_of_record(r.msg.request_uri()));
    peer to;
    if (!bindings || bindings->empty() || !sa::route_to(bindings->front().uri, bindings->front().received, rt, to)) {
      rt.respond(r, 404, "Not Found");
      return;
    }
    std::uint8_t mf = r.msg.max_forwards().value_or(70);
    if (mf == 0) {
      rt.respond(r, 483, "Too Many Hops");
      return;
    }
    auto fwd = sm::message_builder::request("MESSAGE", bindings->front().uri);
    fwd.header(sm::hdr::max_forwards, std::to_string(mf - 1));
    // Everything but what this hop owns: the body's own headers (Content-Encoding of
    // a deflated IMDN, Content-Disposition) mean nothing without them.
    for (const auto& h : r.msg.headers()) {
      switch (h.id) {
        case sm::hdr::via: case sm::hdr::route: case sm::hdr::record_route: case sm::hdr::max_forwards:
        case sm::hdr::content_length: case sm::hdr::authorization: case sm::hdr::proxy_authorization:
          break;
        default:
          fwd.header(h.id == sm::hdr::unknown ? h.name : sm::canonical_name(h.id), h.value);
          break;
      }
    }
    fwd.body({}, r.msg.body());
    st::incoming_request orig = r;
    rt.send_request(fwd, to, [&rt, orig](const st::request_result& res) {
      // No answer because the contact could not be reached (its connection is gone, a
      // WebSocket client's only way in): the user is registered but not reachable now.
      if (!res.response && (res.status == 0 || res.status == 503))
        rt.respond(orig, 480, "Temporarily Unavailable");
      else if (res.status >= 200) rt.respond(orig, res.status, res.reason);
      else rt.respond(orig, 503, "Service Unavailable");
    });
  });

  sipevents::store::journal journal;
  if (db) {
    registrar.set_journal(&journal);
    esc.set_journal(&journal);
    agent.notifier().set_journal(&journal);
    rt.set_store(&journal, db.get());
    if (new_secret) journal.put(sipevents::store::meta_record{"auth.secret", authenticator->config().secret});
    const auto t0 = std::chrono::steady_clock::now();
    const auto now = sipevents::transaction::clock::now();
    for (const auto& b : stored.bindings) registrar.restore(b, now);
    std::size_t pubs = 0, subs = 0, ended = 0;
    for (const auto& p : stored.publications) pubs += agent.restore(p);
    for (const auto& s : stored.subscriptions) {
      const std::uint64_t id = agent.restore(s);
      if (!id) continue;
      ++subs;
      ended += agent.notifier().state(id) == ev::sub_state::terminated;  // its final NOTIFY is out
    }
    // The restored NOTIFYs continue above the stored CSeq reservations: commit the new
    // ones before the first of them leaves.
    if (!rt.flush_store()) {
      std::fprintf(stderr, "sipevents-notifier: %s: %s\n", db_file.c_str(), db->last_error().c_str());
      return 2;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    std::printf("restored from %s: %zu bindings, %zu publications, %zu subscriptions; expired while down: %zu "
                "bindings, %zu publications, %zu subscriptions (final NOTIFY sent); %lld ms\n",
                db_file.c_str(), registrar.binding_count(), pubs, subs - ended,
                stored.bindings.size() - registrar.binding_count(), stored.publications.size() - pubs, ended,
                static_cast<long long>(ms.count()));
    if (stored.unreadable) std::printf("%s: %zu records in an unknown format left alone\n", db_file.c_str(), stored.unreadable);
    stored = {};  // the core holds it now; a copy for the life of the process is waste
  }

  std::optional<sipevents::cluster::replica> replica;
  if (redis) {
    registrar.set_journal(&journal);
    esc.set_journal(&journal);
    agent.notifier().set_journal(&journal);
    replica.emplace(&registrar, &esc,
                    sipevents::cluster::replica_config{std::chrono::seconds(lease_s), acfg.server.contact});
    const auto now = sipevents::transaction::clock::now();
    replica->load(shared, st::clocks_now(), now);
    driver.publish();
    agent.pump();
    std::printf("joined the service on Redis %s as %s: %zu bindings, %zu publications\n", redis_addr.c_str(),
                redis->incarnation().c_str(), registrar.binding_count(), esc.size());
    shared = {};
    st::store_policy policy;
    policy.status = 503;  // the service is degraded: a client may try another node or later
    policy.retry_after = 5;
    rt.set_store(&journal, redis.get(), policy);
    redis->on_deadline([&rt] { rt.rearm(); });
    redis->on_notice([&rt](const std::string& s) { rt.log(st::log_level::warning, "cluster: " + s); });
    rt.add_timed(*redis);
    auto* rs = redis.get();
    redis->follow(
        [&](const sipevents::store_redis::remote_change& c) {
          replica->apply(c.entries, st::clocks_now(), sipevents::transaction::clock::now());
          driver.publish();
          agent.pump();
          rt.rearm();
        },
        [&, rs](unsigned partition, std::vector<sipevents::store_redis::held_record> held) {
          const auto recs = tools::as_stored(std::move(held));
          replica->resync(recs, [rs, partition](std::string_view g) { return rs->partition_of(g) == partition; },
                          st::clocks_now(), sipevents::transaction::clock::now());
          rt.log(st::log_level::warning, "cluster: partition " + std::to_string(partition) +
                                             " read again (changes were trimmed from its stream)");
          driver.publish();
          agent.pump();
        });
    redis->on_claimed([&](const std::string& dead, std::vector<sipevents::store_redis::held_record> held) {
      const auto t0 = std::chrono::steady_clock::now();
      std::size_t n = 0;
      for (const auto& rec : replica->take_over(tools::as_stored(std::move(held)), st::clocks_now()))
        n += agent.restore(rec) != 0;
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
      rt.log(st::log_level::warning, "cluster: took over " + std::to_string(n) + " subscriptions of " + dead +
                                         " (" + std::to_string(us.count()) + " us)");
    });
    redis->on_lease_lost([&](std::vector<std::string> kept) {
      const std::size_t gone = agent.notifier().release_except(kept);
      rt.log(st::log_level::error, "cluster: this node's lease had lapsed; " + std::to_string(gone) +
                                       " subscriptions were taken over by other nodes and are no longer served here");
    });
  }

  // --presence-policy ask: the decisions, a line each on standard input.
  asio::posix::stream_descriptor decisions(io);
  asio::streambuf decided;
  std::function<void(std::error_code, std::size_t)> on_decision = [&](std::error_code ec, std::size_t n) {
    if (ec) return;  // end of input: pending watchers stay pending
    std::string line(asio::buffers_begin(decided.data()), asio::buffers_begin(decided.data()) + std::ptrdiff_t(n));
    decided.consume(n);
    std::istringstream words(line);
    std::string verb, id, what;
    words >> verb >> id >> what;
    const ev::authorization a = what == "accept"         ? ev::authorization::accept
                                : what == "reject"       ? ev::authorization::reject
                                : what == "polite-block" ? ev::authorization::polite_block
                                                         : ev::authorization::pending;
    sipevents::winfo::watcher w;
    w.id = id;
    const auto sub = sipevents::winfo::subscription_of(w);
    if (verb != "authorize" || !sub || a == ev::authorization::pending) {
      std::fprintf(stderr, "sipevents-notifier: ignored \"%s\": authorize ID accept|reject|polite-block\n",
                   line.substr(0, line.find('\n')).c_str());
    } else if (!agent.notifier().authorize(*sub, a, sipevents::transaction::clock::now())) {
      std::fprintf(stderr, "sipevents-notifier: no subscription %s to authorize\n", id.c_str());
    } else {
      std::printf("authorized %s %s\n", id.c_str(), what.c_str());
      std::fflush(stdout);
      agent.pump();
      rt.rearm();
    }
    asio::async_read_until(decisions, decided, '\n', on_decision);
  };
  if (ask) {
    std::error_code aec;
    decisions.assign(::dup(STDIN_FILENO), aec);  // a regular file cannot be watched: said, not thrown
    if (aec) std::fprintf(stderr, "sipevents-notifier: decisions cannot be read from standard input: %s\n",
                          aec.message().c_str());
    else asio::async_read_until(decisions, decided, '\n', on_decision);
  }

  std::optional<tools::metrics_server> metrics;
  if (!metrics_at.empty()) {
    peer where;
    if (!sipevents::transaction::parse_peer(metrics_at, where) || where.transport != sipevents::transaction::transport_kind::tcp) {
      std::fprintf(stderr, "sipevents-notifier: --metrics takes tcp:HOST:PORT\n");
      return 2;
    }
    metrics.emplace(io, [&] {
      return tools::prometheus_text(rt, agent, [&](std::string& o) {
        o += "# HELP sipevents_bindings Registered contacts.\n# TYPE sipevents_bindings gauge\nsipevents_bindings " +
             std::to_string(registrar.binding_count()) + "\n";
      });
    });
    if (auto ec = metrics->listen(where.host, where.port)) {
      std::fprintf(stderr, "cannot listen on %s for metrics: %s\n", metrics_at.c_str(), ec.message().c_str());
      return 1;
    }
    std::printf("metrics on http://%s:%u/metrics\n", tools::bracket(where.host).c_str(), unsigned(metrics->port()));
  }

  std::printf("sipevents-notifier: registrar, reg notifier, presence server and MESSAGE relay for");
  for (const auto& d : rcfg.domains) std::printf(" %s", d.c_str());
  if (authenticator) std::printf(" (digest authentication, %zu users)", users.size());
  if (redis) std::printf(" (node %s of a service on Redis)", node_id.c_str());
  if (lists.lists()) std::printf(" (%zu resource lists)", lists.lists());
  for (const auto& u : list_services) std::printf(" (list service %s)", u.c_str());
  std::printf("\n");
  std::fflush(stdout);
  io.restart();
  rt.run();
  return 0;
}
