// The interface between the runtime and a storage adapter (SQLite now, Redis next),
// and the byte form records take in storage. Adapters keep opaque values under
// (kind, key) and commit a batch atomically; they never see SIP.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_STORE_STATE_STORE
#endif
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sipevents/store/journal.hpp"

namespace sipevents::store {

/// The steady and the wall clock read at one instant (by the runtime, which may read
/// clocks): how the edge converts the core's steady time points to wall-clock
/// milliseconds and back.
struct clock_pair {
  time_point steady{};
  std::int64_t wall_ms = 0;  ///< milliseconds since the Unix epoch
  std::int64_t to_wall(time_point t) const noexcept;
  time_point to_steady(std::int64_t wall) const noexcept;
};

/// An entry as a store keeps it.
struct stored {
  record_kind kind = record_kind::meta;
  std::string key;
  std::optional<std::string> value;  ///< nullopt: erase
  std::int64_t expires_wall_ms = 0;  ///< for the adapter's own clean-up and indexes; 0: never
  std::string group;                 ///< entry::group
  std::string reason;                ///< entry::reason
  bool if_expired = false;           ///< entry::if_expired
  std::int64_t now_wall_ms = 0;      ///< when it was written: what if_expired compares with
};

/// Record <-> bytes. The first byte is the format version, so a newer program reads
/// what an older one wrote.
std::string encode(const record& r, const clock_pair& clocks);
/// False when `bytes` is not a record of `kind` in a format this program knows.
bool decode(record_kind kind, std::string_view bytes, const clock_pair& clocks, record& out);
stored to_stored(const entry& e, const clock_pair& clocks);

enum class store_errc {
  unavailable = 1,  ///< the storage cannot be written now (disk full, read-only, I/O error)
  corrupt,          ///< what was read is not ours or not readable
  newer_schema,     ///< written by a newer program
};
const std::error_category& store_category() noexcept;
inline std::error_code make_error_code(store_errc e) noexcept { return {static_cast<int>(e), store_category()}; }

class state_store {
 public:
  virtual ~state_store() = default;
  /// Writes every entry in one transaction: all of it is durable when this returns
  /// no error, none of it otherwise.
  virtual std::error_code commit(std::span<const stored> batch) = 0;
  /// Writes `batch` and calls `done` with the outcome, on the caller's thread: at once
  /// for an embedded store (the default calls commit), later for one behind a server.
  /// An error means the batch may be stored in part or not at all, never that it is
  /// durable; writing it again must be harmless.
  virtual void commit_async(std::vector<stored> batch, std::function<void(std::error_code)> done) {
    done(commit(batch));
  }
  /// Calls `each` for every stored value of `kind`.
  virtual std::error_code load(record_kind kind,
                               const std::function<void(std::string_view key, std::string_view value)>& each) = 0;
  /// A human-readable word on the last error (the adapter's own message).
  virtual std::string last_error() const = 0;
};

/// Everything a store holds, decoded: what a stack takes back at start.
struct loaded {
  std::vector<binding_record> bindings;
  std::vector<publication_record> publications;
  std::vector<subscription_record> subscriptions;
  std::vector<meta_record> meta;
  std::size_t unreadable = 0;  ///< values in a format this program does not know (left alone)
};
std::error_code load_all(state_store& s, const clock_pair& clocks, loaded& out);
/// The value of a meta record, or empty.
std::string_view meta_value(const loaded& l, std::string_view name);

}  // namespace sipevents::store

/// \cond INTERNAL
template <>
struct std::is_error_code_enum<sipevents::store::store_errc> : std::true_type {};
/// \endcond

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_STORE_STATE_STORE
#define SIPEVENTS_SEEN_STORE_STATE_STORE
#include "sipevents/impl/definitions.ipp"
#endif
