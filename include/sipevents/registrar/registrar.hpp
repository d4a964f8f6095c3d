// An RFC 3261 10.3 registrar, sans-I/O: REGISTER in, the response out, bindings
// kept per address-of-record with their expiry, and every change reported so the reg
// event package (RFC 3680) can tell its watchers.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_REGISTRAR_REGISTRAR
#endif
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "sipevents/message/message.hpp"
#include "sipevents/store/journal.hpp"
#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::registrar {

using transaction::time_point;

/// One contact bound to an AoR.
struct binding {
  std::string id;            ///< stable id of this binding (the reginfo contact id)
  std::string uri;           ///< the Contact URI
  std::string display_name;  ///< the Contact display name, unquoted
  std::string params;        ///< contact params other than expires and q, ";a=b;c"
  std::string call_id;
  std::uint32_t cseq = 0;
  std::optional<std::uint16_t> q;  ///< thousandths
  std::string received;  ///< where the REGISTER came from ("udp:192.0.2.1:5060"): the flow
  time_point expires_at{};
  time_point registered_at{};
  /// How long after expires_at this registrar acts on the expiry: zero for bindings
  /// made here, a grace for those another node of a cluster wrote (that node acts
  /// first; this one only when it is gone).
  transaction::clock::duration hold{};
  time_point acts_at() const noexcept { return expires_at + hold; }
  /// Seconds left at `now`, rounded up so a live binding never shows 0.
  std::uint32_t expires_in(time_point now) const;
};

/// RFC 3680 5.1 contact events a change is reported with.
enum class binding_event : std::uint8_t {
  registered,   ///< created by a REGISTER
  created,      ///< created by administrative means
  refreshed,    ///< its expiry moved later (or stayed)
  shortened,    ///< its expiry moved earlier
  expired,      ///< it ran out
  deactivated,  ///< removed; the UA may register again at once
  probation,    ///< removed; the UA may register again later
  unregistered, ///< removed by a REGISTER (Expires 0 or Contact: *)
  rejected,     ///< removed by policy
};
std::string_view to_string(binding_event e) noexcept;
/// The event named `s` (to_string's words); nullopt for anything else.
std::optional<binding_event> binding_event_from(std::string_view s) noexcept;

struct binding_change {
  std::string aor;
  binding b;
  binding_event event = binding_event::registered;
};

struct registrar_config {
  std::uint32_t default_expires = 3600;
  std::uint32_t min_expires = 60;     ///< below gets 423 with Min-Expires
  std::uint32_t max_expires = 86400;  ///< above is lowered
  std::size_t max_bindings_per_aor = 16;  ///< more gets 403 "Too many contacts"
  std::size_t max_aors = 1'000'000;       ///< more gets 503
  /// Domains served (the host of the AoR). Empty serves every domain.
  std::vector<std::string> domains;
};

class registrar {
 public:
  using token_source = std::function<std::string(std::size_t)>;
  explicit registrar(token_source ids, registrar_config cfg = {});

  /// Handles a REGISTER and returns the response to send (RFC 3261 10.3). Binding
  /// changes are queued for poll().
  /// `identity`: the AoR the stack authenticated the sender as; when given, only that
  /// AoR may be bound (403 otherwise).
  /// `source`: where it came from (transport:host:port), kept with the binding.
  message::message_builder on_register(const message::message& req, time_point now, std::string_view identity = {},
                                       std::string_view source = {});
  /// Removes a binding by policy (RFC 3680 deactivated, probation, rejected).
  bool remove(std::string_view aor, std::string_view binding_id, binding_event why, time_point now);

  /// Writes every binding change to `j` from now on (nullptr: memory only). Not owned.
  void set_journal(store::journal* j) noexcept { journal_ = j; }
  /// Takes back a binding stored before a restart. One that expired meanwhile is
  /// erased from the store instead (its watchers get full state when restored).
  void restore(const store::binding_record& r, time_point now);
  /// Another node's write of a binding (a cluster sharing a store): taken in and
  /// reported like a local change (registered, refreshed, shortened; nothing when it
  /// is what this registrar holds already), without a journal write. Its expiry is
  /// acted on here `hold` after it is due.
  void apply_remote(const store::binding_record& r, time_point now, transaction::clock::duration hold);
  /// Another node's removal of a binding, reported with `why`, without a journal write.
  bool apply_remote_erase(std::string_view aor, std::string_view id, binding_event why);

  /// Expires bindings whose time has come.
  void advance(time_point now);
  time_point next_deadline() const;
  bool poll(binding_change& out);

  /// Current bindings of an AoR ("sip:joe@example.com"), ordered by q (highest first),
  /// or nullptr when it has none.
  const std::vector<binding>* lookup(std::string_view aor) const;
  std::size_t aor_count() const noexcept { return aors_.size(); }
  /// Calls `f` for every binding of every AoR.
  void for_each(const std::function<void(const std::string& aor, const binding& b)>& f) const {
    for (const auto& [aor, list] : aors_)
      for (const auto& b : list) f(aor, b);
  }
  /// Bindings of every AoR.
  std::size_t binding_count() const noexcept;
  bool serves(std::string_view domain) const;
  const registrar_config& config() const noexcept { return cfg_; }

 private:
  struct timer_item {
    time_point at;
    std::string aor;
    bool operator>(const timer_item& o) const noexcept { return at > o.at; }
  };
  void report(const std::string& aor, const binding& b, binding_event e, bool journaled = true);
  bool take(std::string_view aor, std::string_view id, binding_event why, bool journaled);
  void schedule(const std::string& aor);
  void sort(std::vector<binding>& v);

  token_source ids_;
  registrar_config cfg_;
  std::map<std::string, std::vector<binding>, std::less<>> aors_;
  mutable std::priority_queue<timer_item, std::vector<timer_item>, std::greater<>> timers_;
  std::deque<binding_change> out_;
  store::journal* journal_ = nullptr;
};

/// A binding as its store record, and back.
store::binding_record to_record(std::string_view aor, const binding& b);
binding from_record(const store::binding_record& r);

}  // namespace sipevents::registrar

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_REGISTRAR_REGISTRAR
#define SIPEVENTS_SEEN_REGISTRAR_REGISTRAR
#include "sipevents/impl/definitions.ipp"
#endif
