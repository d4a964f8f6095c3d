// SQLite (WAL) behind store::state_store: the embedded default for a notifier that
// keeps its state over restarts. One file, one table of opaque records keyed by
// (kind, key); the schema carries a version and older files are migrated in place.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_STORE_SQLITE_SQLITE_STORE
#endif
#include <memory>
#include <string>

#include "sipevents/store/state_store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sipevents::store_sqlite {

/// The schema this program writes. 1: records (kind, key, data); 2: an expiry
/// column per record, so that stale rows can be found in SQL.
inline constexpr int schema_version = 2;
/// PRAGMA application_id of our files ("SEVT"): anything else is not ours.
inline constexpr int application_id = 0x53455654;

struct sqlite_options {
  /// synchronous=FULL: a commit survives a power cut, not only a crash of the
  /// process (NORMAL: the latter only, and cheaper).
  bool full_sync = true;
  int busy_timeout_ms = 2000;
  /// Create the file when it does not exist (a read-only dump does not).
  bool create = true;
};

class sqlite_store final : public store::state_store {
 public:
  /// Opens `path`, creating it when missing, migrating an older schema. Refuses (null,
  /// with `error` saying why) a file that is not SQLite, is another program's
  /// database, or was written by a newer sipevents; such a file is left untouched.
  static std::unique_ptr<sqlite_store> open(const std::string& path, const sqlite_options& opt,
                                            std::string& error);
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  std::error_code commit(std::span<const store::stored> batch) override;
  std::error_code load(store::record_kind kind,
                       const std::function<void(std::string_view, std::string_view)>& each) override;
  std::string last_error() const override { return last_error_; }

  /// The schema version the file had when it was opened (before any migration).
  int opened_version() const noexcept { return opened_version_; }

 private:
  sqlite_store() = default;
  bool exec(const char* sql);
  std::error_code fail(const char* what);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* del_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  std::string last_error_;
  int opened_version_ = 0;
};

}  // namespace sipevents::store_sqlite

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_STORE_SQLITE_SQLITE_STORE
#define SIPEVENTS_SEEN_STORE_SQLITE_SQLITE_STORE
#include "sipevents/impl/definitions.ipp"
#endif
