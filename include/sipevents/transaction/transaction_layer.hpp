// The transaction layer: matching (RFC 3261 17.1.3, 17.2.3), the client and server
// state machines, stateless answers to bad requests, and response routing (18.2.2).
// Sans-I/O: inputs are bytes or messages plus `now`; outputs are drained with poll().
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_TRANSACTION_TRANSACTION_LAYER
#endif
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "sipevents/message/check.hpp"
#include "sipevents/message/message.hpp"
#include "sipevents/message/u64_table.hpp"
#include "sipevents/transaction/transaction_client.hpp"
#include "sipevents/transaction/transaction_server.hpp"
#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::transaction {

struct layer_config {
  timer_config timers;
  message::parse_limits limits;
  /// Requests failing this profile get 416/420/501/415 ... without reaching the TU.
  message::endpoint_profile profile;
  /// Server header on stateless responses; empty for none.
  std::string server = "sipevents";
  /// Upper bound on live transactions; new requests beyond it get 503 Retry-After.
  std::size_t max_transactions = 100000;
};

/// What the layer has received and sent since it started (monotonic), for metrics.
struct layer_counters {
  /// Requests by method, in the order each method was first seen.
  std::vector<std::pair<std::string, std::uint64_t>> requests_in, requests_out;
  /// Responses by class: [1] is 1xx ... [6] is 6xx (first sends; resends count below).
  std::array<std::uint64_t, 7> responses_in{}, responses_out{};
  std::uint64_t retransmissions_out = 0;  ///< a request resent on its timer, a response resent to a retransmission
  std::uint64_t retransmissions_in = 0;   ///< a request or final response received again and absorbed
  std::uint64_t bad_messages = 0;         ///< dropped, or answered statelessly as RFC 3261 says (400 ...)
  std::uint64_t overloaded = 0;           ///< requests answered 503 for max_transactions
};

/// Identifies a transaction to the TU. Never reused within one layer.
using txn_id = std::uint64_t;

/// Something the layer asks its owner to do or to tell the TU.
struct output {
  enum class kind : std::uint8_t {
    send,            ///< send `bytes` to `where`
    request,         ///< a new request for the TU; answer with respond(txn, ...)
    response,        ///< a response to the TU's request `txn` (provisional or final)
    client_failure,  ///< request `txn` failed without a response: `status` 408 or 503
    server_failure,  ///< the response to `txn` could not be sent
    stray,           ///< a request or response that matched nothing and is not new (ACK ...)
  };
  kind what = kind::send;
  txn_id txn = 0;
  peer where;            ///< send: destination; request/response/stray: source
  std::string bytes;     ///< send only
  message::message msg;  ///< request, response, stray
  std::uint16_t status = 0;
};

class transaction_layer {
 public:
  explicit transaction_layer(layer_config cfg = {});

  // ---- inputs --------------------------------------------------------------------
  /// One datagram (UDP) or one framed message (TCP) from `from`. Malformed requests
  /// are answered statelessly when RFC 3261 allows, other bad input is dropped.
  void receive(std::string_view bytes, const peer& from, time_point now);
  /// Starts a client transaction. The request must carry a top Via with a branch
  /// (see new_branch()). Returns its id; the outcome arrives as response or
  /// client_failure outputs.
  txn_id send_request(message::message request, const peer& to, time_point now);
  /// Sends a response in server transaction `txn`. Returns false if the transaction
  /// is unknown or already answered finally.
  bool respond(txn_id txn, const message::message& response, time_point now);
  /// Sends a final response in server transaction `txn` and forgets the transaction
  /// at once (RFC 3261 8.2.7: a UAS may issue challenges statelessly), so nothing is
  /// held for Timer J; a retransmitted request is then a new request. False if `txn`
  /// is unknown or already answered finally.
  bool respond_and_forget(txn_id txn, const message::message& response);
  /// Sends a response with no transaction (18.2.2 routing from the request's Via).
  void respond_stateless(const message::message& request, const peer& from, const message::message& response);
  /// The transport failed to reach `to`: every transaction sending there fails.
  void transport_error(const peer& to, time_point now);
  /// Fires every timer due at `now`.
  void advance(time_point now);

  // ---- outputs -------------------------------------------------------------------
  bool poll(output& out);
  /// Earliest time advance() has work, or time_point::max().
  time_point next_deadline() const;

  /// A fresh RFC 3261 branch ("z9hG4bK" + 20 random hex digits).
  std::string new_branch();
  /// A fresh random token (tags, Call-ID left parts), `n` hex digits.
  std::string random_token(std::size_t n = 16);

  std::size_t client_count() const noexcept { return clients_.size(); }
  std::size_t server_count() const noexcept { return servers_.size(); }
  const layer_counters& counters() const noexcept { return counters_; }
  const layer_config& config() const noexcept { return cfg_; }

 private:
  struct client_entry {
    client_transaction fsm;
    std::string key;
    std::string bytes;
    peer to;
    std::uint16_t last_status = 0;
  };
  struct server_entry {
    server_transaction fsm;
    std::string key;
    std::string last_response;
    peer reply_to;
  };
  struct timer_item {
    time_point at;
    txn_id id;
    bool operator>(const timer_item& o) const noexcept { return at > o.at; }
  };

  void handle_request(message::message&& m, const peer& from, time_point);
  void handle_response(message::message&& m, const peer& from, time_point now);
  void send(const peer& to, std::string bytes);
  output& emit(output::kind what, txn_id id, const peer& where, message::message* msg = nullptr,
               std::uint16_t status = 0);
  void schedule(txn_id id, time_point at);
  void stateless_error(const message::message& m, const peer& from, const message::verdict& v);

  layer_config cfg_;
  layer_counters counters_;
  void count_response_out(std::string_view bytes);
  std::vector<output> out_;  // a ring: out_count_ outputs from out_head_
  std::size_t out_head_ = 0, out_count_ = 0;
  std::unordered_map<txn_id, client_entry> clients_;
  std::unordered_map<txn_id, server_entry> servers_;
  // Transaction keys are indexed by a seeded 64-bit hash of the key text (the node
  // holds no string, the lookup compares one word); an entry's own key is checked on
  // a hit. Two keys with one hash: the later transaction goes unindexed (its
  // retransmissions look new), never matched to the other.
  using key_index = message::u64_table<txn_id>;
  std::uint64_t slot_of(std::string_view key) const noexcept;
  void unindex(key_index& index, const std::string& key, txn_id id);
  key_index client_keys_, server_keys_;
  std::uint64_t key_seed_ = 0;
  mutable std::priority_queue<timer_item, std::vector<timer_item>, std::greater<>> timers_;
  txn_id next_id_ = 1;
  std::uint64_t rng_[2];
};

/// "a, b, c": the form of Allow, Accept, Supported and friends.
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

/// Key of a client transaction: top Via branch and CSeq method (17.1.3).
std::string client_key(const message::message& m);
/// Key of a server transaction (17.2.3), with the RFC 2543 fallback when the branch
/// lacks the magic cookie. ACK maps to the INVITE it acknowledges.
std::string server_key(const message::message& request);

/// Where a response to `request` goes (18.2.2 and RFC 3581), given the transport
/// address it came from.
peer response_destination(const message::message& request, const peer& source);

/// Stamps received= and rport= on the top Via of a request from `source` (18.2.1,
/// RFC 3581). Returns an error only if the edited message no longer parses.
message::codec_error stamp_received(message::message& request, const peer& source);

}  // namespace sipevents::transaction

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_TRANSACTION_TRANSACTION_LAYER
#define SIPEVENTS_SEEN_TRANSACTION_TRANSACTION_LAYER
#include "sipevents/impl/definitions.ipp"
#endif
