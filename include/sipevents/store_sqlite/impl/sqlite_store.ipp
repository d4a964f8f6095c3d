#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/store_sqlite/sqlite_store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

namespace sipevents::store_sqlite {

namespace {

// One step per schema version: migrations[v - 1] takes a file from v to v + 1.
constexpr const char* migrations[] = {
    // 1 -> 2: the expiry of each record in its own column (0: unknown, as for rows
    // migrated here; the record itself still carries it).
    "ALTER TABLE records ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX records_expires ON records(kind, expires);",
};
static_assert(std::size(migrations) == schema_version - 1);

constexpr const char* create_v1 =
    "CREATE TABLE records(kind INTEGER NOT NULL, key BLOB NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY(kind, key)) WITHOUT ROWID;";

int query_int(sqlite3* db, const char* sql, int& out) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      out = sqlite3_column_int(st, 0);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

}  // namespace

SIPEVENTS_INLINE bool sqlite_store::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  last_error_ = msg ? msg : sqlite3_errmsg(db_);
  sqlite3_free(msg);
  return false;
}

SIPEVENTS_INLINE std::error_code sqlite_store::fail(const char* what) {
  last_error_ = std::string(what) + ": " + sqlite3_errmsg(db_);
  return store::store_errc::unavailable;
}

SIPEVENTS_INLINE std::unique_ptr<sqlite_store> sqlite_store::open(const std::string& path, const sqlite_options& opt,
                                                 std::string& error) {
  std::unique_ptr<sqlite_store> s(new sqlite_store());
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  if (!existed && !opt.create) {
    error = path + ": no such file";
    return nullptr;
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (existed ? 0 : SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &s->db_, flags, nullptr) != SQLITE_OK) {
    error = path + ": " + (s->db_ ? sqlite3_errmsg(s->db_) : "cannot open");
    return nullptr;
  }
  sqlite3_busy_timeout(s->db_, opt.busy_timeout_ms);
  // Judge the file before anything writes to it: reading the header writes nothing.
  int app = 0, version = 0, tables = 0;
  if (query_int(s->db_, "PRAGMA application_id", app) != SQLITE_OK ||
      query_int(s->db_, "PRAGMA user_version", version) != SQLITE_OK ||
      query_int(s->db_, "SELECT count(*) FROM sqlite_master", tables) != SQLITE_OK) {
    error = path + ": not a sipevents database (" + sqlite3_errmsg(s->db_) + ")";
    return nullptr;
  }
  if (app != application_id && (app != 0 || tables != 0)) {
    error = path + ": not a sipevents database (another program's SQLite file)";
    return nullptr;
  }
  if (version > schema_version) {
    error = path + ": written by a newer sipevents (schema " + std::to_string(version) + "; this program knows up to " +
            std::to_string(schema_version) + ")";
    return nullptr;
  }
  s->opened_version_ = app == 0 ? 0 : version;
  if (!s->exec("PRAGMA journal_mode=WAL") ||
      !s->exec(opt.full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") ||
      !s->exec("BEGIN IMMEDIATE")) {
    error = path + ": " + s->last_error_;
    return nullptr;
  }
  bool ok = true;
  int v = s->opened_version_;
  if (v == 0) {
    ok = s->exec(create_v1) && s->exec(("PRAGMA application_id=" + std::to_string(application_id)).c_str());
    v = 1;
  }
  for (; ok && v < schema_version; ++v) ok = s->exec(migrations[v - 1]);
  ok = ok && s->exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str()) && s->exec("COMMIT");
  if (!ok) {
    error = path + ": cannot set up the schema: " + s->last_error_;
    s->exec("ROLLBACK");
    return nullptr;
  }
  if (sqlite3_prepare_v3(s->db_,
                         "INSERT INTO records(kind, key, expires, data) VALUES(?1, ?2, ?3, ?4)"
                         " ON CONFLICT(kind, key) DO UPDATE SET expires = excluded.expires, data = excluded.data",
                         -1, SQLITE_PREPARE_PERSISTENT, &s->put_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v3(s->db_, "DELETE FROM records WHERE kind = ?1 AND key = ?2", -1, SQLITE_PREPARE_PERSISTENT,
                         &s->del_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v3(s->db_, "SELECT key, data FROM records WHERE kind = ?1", -1, SQLITE_PREPARE_PERSISTENT,
                         &s->get_, nullptr) != SQLITE_OK) {
    error = path + ": " + sqlite3_errmsg(s->db_);
    return nullptr;
  }
  return s;
}

SIPEVENTS_INLINE sqlite_store::~sqlite_store() {
  sqlite3_finalize(put_);
  sqlite3_finalize(del_);
  sqlite3_finalize(get_);
  sqlite3_close(db_);
}

SIPEVENTS_INLINE std::error_code sqlite_store::commit(std::span<const store::stored> batch) {
  if (batch.empty()) return {};
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("begin");
  for (const store::stored& e : batch) {
    sqlite3_stmt* st = e.value ? put_ : del_;
    sqlite3_bind_int(st, 1, static_cast<int>(e.kind));
    sqlite3_bind_blob(st, 2, e.key.data(), static_cast<int>(e.key.size()), SQLITE_STATIC);
    if (e.value) {
      sqlite3_bind_int64(st, 3, e.expires_wall_ms);
      sqlite3_bind_blob(st, 4, e.value->data(), static_cast<int>(e.value->size()), SQLITE_STATIC);
    }
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
      std::error_code ec = fail("write");
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return ec;
    }
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::error_code ec = fail("commit");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return ec;
  }
  return {};
}

SIPEVENTS_INLINE std::error_code sqlite_store::load(store::record_kind kind,
                                   const std::function<void(std::string_view, std::string_view)>& each) {
  sqlite3_bind_int(get_, 1, static_cast<int>(kind));
  int rc;
  while ((rc = sqlite3_step(get_)) == SQLITE_ROW) {
    auto text = [&](int col) {
      const void* p = sqlite3_column_blob(get_, col);
      return std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(get_, col)));
    };
    each(text(0), text(1));
  }
  sqlite3_reset(get_);
  if (rc != SQLITE_DONE) return fail("read");
  return {};
}

}  // namespace sipevents::store_sqlite

SIPEVENTS_IMPL_END
