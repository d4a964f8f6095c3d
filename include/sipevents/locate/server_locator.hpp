// RFC 3263 server location as a state machine: given a SIP or SIPS URI, which DNS
// queries to make (NAPTR, SRV, A, AAAA), and from their answers the ordered list of
// (transport, address, port) targets to try, the next one after a failure (RFC 3263
// 4.3). Sans-I/O: it never resolves anything; a resolver adapter (c-ares on the
// runtime's io_context, or a test) answers the queries it asks.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_LOCATE_SERVER_LOCATOR
#endif
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::locate {

enum class rr_type : std::uint8_t { naptr, srv, a, aaaa };
std::string_view to_string(rr_type t) noexcept;

/// A question the locator wants answered.
struct query {
  std::uint64_t id = 0;
  rr_type type = rr_type::a;
  std::string name;  ///< "example.com", "_sip._udp.example.com"
};

struct naptr_record {
  std::uint16_t order = 0, preference = 0;
  std::string flags;        ///< "s" for the SIP services
  std::string service;      ///< "SIP+D2U", "SIPS+D2T" ...
  std::string replacement;  ///< the SRV name
};

struct srv_record {
  std::uint16_t priority = 0, weight = 0, port = 0;
  std::string target;
};

/// The answer to one query: records of its type (empty: no such name or no data).
struct answer {
  std::vector<naptr_record> naptr;
  std::vector<srv_record> srv;
  std::vector<std::string> addresses;  ///< A or AAAA, as text
  std::uint32_t ttl = 0;               ///< seconds, for the resolver's cache
};

struct locator_config {
  /// Transports this stack can use, in the order it prefers them when DNS leaves a
  /// choice (no NAPTR): the client tools have UDP, TCP and TLS.
  std::vector<transaction::transport_kind> transports{transaction::transport_kind::udp,
                                                     transaction::transport_kind::tcp,
                                                     transaction::transport_kind::tls};
  bool ipv6 = true;  ///< also ask AAAA
};

/// Why location failed.
enum class locate_error : std::uint8_t {
  none,
  bad_uri,          ///< not a sip: or sips: URI
  no_transport,     ///< sips: without TLS, or a transport parameter this stack lacks
  not_found,        ///< the name resolves to no address
};
std::string_view to_string(locate_error e) noexcept;

/// Locates the servers for one request (RFC 3263 4). Drive it: ask() yields queries,
/// give() their answers; done() when targets() is final or error() says why not.
class server_locator {
 public:
  /// `random` picks among equal-priority SRV records by weight (RFC 2782): a value in
  /// [0, n] for n = the sum of their weights; tests pass a fixed one.
  server_locator(std::string_view target_uri, locator_config cfg = {},
                 std::function<std::uint32_t(std::uint32_t n)> random = {});

  /// The next query to send, if any is waiting.
  bool ask(query& out);
  /// The answer to query `id` (an empty answer for NXDOMAIN, a timeout or an error).
  void give(std::uint64_t id, const answer& a);
  /// No query in flight and none waiting: targets() and error() are final.
  bool done() const noexcept { return waiting_.empty() && asked_.empty(); }
  locate_error error() const noexcept { return error_; }
  /// The targets in the order to try them. `name` carries the domain the TLS
  /// certificate must name (RFC 5922).
  const std::vector<transaction::peer>& targets() const noexcept { return targets_; }
  /// The host of the URI (what TLS must verify and what DNS was asked about).
  const std::string& domain() const noexcept { return host_; }

 private:
  struct pending {
    std::uint64_t id;
    rr_type type;
    std::string name;
    transaction::transport_kind transport;  // what its answer is for
    std::uint16_t port;
    std::uint32_t group, rank;  // where its targets go in the order
  };
  // A target with its place: NAPTR (or fallback) group, SRV rank, then A before AAAA.
  struct placed {
    std::uint32_t group, rank, seq;
    transaction::peer p;
  };
  void ask_srv(std::string name, transaction::transport_kind t, std::uint32_t group);
  void ask_addresses(const std::string& name, transaction::transport_kind t, std::uint16_t port, std::uint32_t group,
                     std::uint32_t rank);
  void take_srv(const pending& q, std::vector<srv_record> records);
  void fallback_to_host();
  void finish();
  bool usable(transaction::transport_kind t) const;
  transaction::transport_kind default_transport() const;

  locator_config cfg_;
  std::function<std::uint32_t(std::uint32_t)> random_;
  std::string host_;
  bool sips_ = false;
  std::optional<transaction::transport_kind> forced_;  // transport= parameter
  std::uint16_t port_ = 0;
  std::deque<pending> waiting_;
  std::vector<pending> asked_;
  std::uint64_t next_id_ = 0;
  bool naptr_stage_ = false;   // the SRVs asked came from NAPTR records
  std::size_t srv_left_ = 0;   // fallback SRV answers still to come
  bool srv_found_ = false;
  std::vector<placed> found_;
  std::vector<transaction::peer> targets_;
  locate_error error_ = locate_error::none;
};

}  // namespace sipevents::locate

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_LOCATE_SERVER_LOCATOR
#define SIPEVENTS_SEEN_LOCATE_SERVER_LOCATOR
#include "sipevents/impl/definitions.ipp"
#endif
