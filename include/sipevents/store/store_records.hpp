// The records the sans-I/O core writes so that its state survives a restart: what a
// registrar, an ESC and a notifier emit after each change, and take back at start.
// Times are the core's steady time points; store_codec turns them into wall-clock
// milliseconds (and back) at the edge, where a clock may be read.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_STORE_STORE_RECORDS
#endif
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sipevents::store {

using time_point = std::chrono::steady_clock::time_point;

/// One contact bound to an AoR (RFC 3261 10.3). Key: `id`.
struct binding_record {
  std::string aor;           ///< "sip:joe@example.com"
  std::string id;            ///< stable binding id (reginfo contact id)
  std::string uri;           ///< Contact URI
  std::string display_name;
  std::string params;        ///< contact params other than expires and q (+sip.instance, reg-id ...)
  std::string call_id;
  std::uint32_t cseq = 0;
  std::optional<std::uint16_t> q;  ///< thousandths
  std::string received;      ///< where the REGISTER came from ("udp:192.0.2.1:5060"), the flow
  time_point expires_at{};
  time_point registered_at{};
};

/// One RFC 3903 publication. Key: `etag`.
struct publication_record {
  std::string etag;
  std::string event;
  std::string resource;
  std::string publisher;
  std::string content_type;
  std::string body;
  time_point expires_at{};
  std::uint64_t modified = 0;  ///< order of the last body change among all publications
};

/// One server subscription with its whole dialog (RFC 6665, RFC 3261 12). Key: `key`.
struct subscription_record {
  std::string key;           ///< stable over restarts
  std::string package;       ///< Event token
  std::string event_id;      ///< Event id parameter, empty if none
  std::string resource;      ///< resource_name() of the Request-URI
  std::string content_type;  ///< negotiated body type
  std::uint8_t authorization = 0;  ///< events::authorization
  std::uint8_t state = 0;          ///< events::sub_state
  time_point expires_at{};
  // The dialog.
  std::string call_id, local_tag, remote_tag;
  std::string local_uri, remote_uri, remote_target, local_contact;
  std::vector<std::string> route_set;
  std::uint32_t local_cseq = 0;  ///< the CSeq of the last NOTIFY when this was written
  /// CSeqs up to this one may have been used since: a restart continues above it.
  std::uint32_t cseq_mark = 0;
  std::optional<std::uint32_t> remote_cseq;
  /// The package's per-watcher state (the reginfo version ...), package::save_watcher.
  std::string package_state;
  /// RFC 6446 rate control the subscriber asked for, as Event parameters
  /// (";max-rate=0.2"); empty for none.
  std::string rate_control;
};

/// A named value of the stack (the nonce secret ...). Key: `name`.
struct meta_record {
  std::string name;
  std::string value;
};

enum class record_kind : std::uint8_t { binding = 1, publication = 2, subscription = 3, meta = 4 };
std::string_view to_string(record_kind k) noexcept;

using record = std::variant<binding_record, publication_record, subscription_record, meta_record>;

record_kind kind_of(const record& r) noexcept;
/// The key a record is stored under, unique within its kind.
const std::string& key_of(const record& r) noexcept;
/// The expiry of a record; time_point::max() for meta records.
time_point expiry_of(const record& r) noexcept;

}  // namespace sipevents::store

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_STORE_STORE_RECORDS
#define SIPEVENTS_SEEN_STORE_STORE_RECORDS
#include "sipevents/impl/definitions.ipp"
#endif
