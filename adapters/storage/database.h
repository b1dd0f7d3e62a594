// The database fangfan keeps its state in: SQLite (the default) or PostgreSQL, through SOCI.
//
// A Database is opened from a URL:
//   sqlite3://PATH            a file, created with its folder when missing. PATH is used as given:
//                             the caller resolves a relative path first (config: against the
//                             config file's folder). Example: sqlite3:///var/lib/fangfan/fangfan.db
//   postgresql://USER:PASSWORD@HOST:PORT/DBNAME?PARAMS
//                             a libpq connection URI, passed to libpq as it is (plus
//                             connect_timeout when the URL has none).
// Every session it hands out is configured the same way. SQLite: WAL journal, foreign_keys=ON,
// synchronous=FULL, busy timeout (DatabaseOptions). PostgreSQL: UTF8 client encoding, notices
// below WARNING suppressed.
//
// Thread-safety: a Database is immutable after open(); share it freely and call open_session()
// from any thread. A soci::session is not thread-safe: each one is used by one thread at a time
// (the daemon keeps one per storage pool thread).
//
// Errors: every function in adapters/storage throws StorageError for a failure of the database
// itself (cannot open, unreachable, refused by a constraint, locked too long, schema too new);
// soci::soci_error never escapes them. Outcomes a caller must expect are return values instead:
// a stale version (false), a duplicate dedupe key (inserted == false), a missing row (nullopt).
// URLs in messages always have their password masked.
#pragma once

#include <soci/soci.h>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fangfan {

enum class Dialect { kSqlite, kPostgresql };

// "sqlite3" or "postgresql", as in the URL scheme.
std::string_view dialect_name(Dialect dialect);

// The dialect of an open session (from its SOCI backend).
Dialect dialect_of(soci::session& session);

class StorageError : public std::runtime_error {
 public:
  enum class Kind {
    kOpen,          // bad URL, server unreachable, file or folder not writable
    kSchemaTooNew,  // the database was migrated by a newer fangfan
    kMigration,     // a migration failed; its transaction was rolled back
    kConstraint,    // a write refused by the schema: unique or foreign key, check, append-only
    kUnavailable,   // locked by another writer beyond the busy timeout, or connection lost:
                    // retrying later may succeed
    kQuery,         // anything else the database refused
  };

  StorageError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Translates a SOCI error into a StorageError whose message starts with `what` (a sentence
// naming the operation, e.g. "保存案件 42 的历史记录失败 (saving the history of case 42
// failed)") and ends with the database's own words.
StorageError translate_error(const soci::soci_error& error, std::string_view what);

// Runs f() and turns a soci::soci_error thrown by it into a StorageError (see translate_error).
template <class F>
decltype(auto) guarded(std::string_view what, F&& f) {
  try {
    return static_cast<F&&>(f)();
  } catch (const soci::soci_error& e) {
    throw translate_error(e, what);
  }
}

// The URL with its password replaced by "***" (both user:password@ and ?password=).
std::string mask_url_password(std::string_view url);

struct DatabaseOptions {
  // SQLite: how long a statement waits for another connection's lock before it fails with
  // StorageError::Kind::kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // PostgreSQL: libpq's connect_timeout, used when the URL does not set one.
  std::chrono::seconds connect_timeout{10};
  // For tools that only read (fangfanctl case show). SQLite: the file is opened with SOCI's
  // readonly=true (SQLITE_OPEN_READONLY: never created, never written; no folder is created and
  // the journal mode is left as the daemon set it). PostgreSQL: every transaction is READ ONLY.
  // Writes fail with StorageError.
  bool read_only = false;
  // Runs on every session open_session() hands out, after it is configured: a seam for tests.
  // Empty in the programs. It must not set a query transformation (the statement cache holds
  // that slot): see query_filter.
  std::function<void(soci::session&)> session_setup;
  // Every statement's text passes through it before it runs, each run of a kept prepared
  // statement included (adapters/storage/prepared.h): a seam for tests
  // (tests/support/statement_faults.h fails the N-th statement). Empty in the programs.
  std::function<std::string(const std::string&)> query_filter;
  // Keep the hot statements prepared per session (adapters/storage/prepared.h). Off: every
  // statement is prepared at each use, as before (for comparisons).
  bool keep_statements = true;
};

class Database {
 public:
  // Parses `url`, creates the SQLite file's folder when missing, and opens one session to prove
  // the database is reachable and configured (WAL really on). Throws StorageError (kOpen) with a
  // message naming the URL, password masked.
  static Database open(std::string_view url, const DatabaseOptions& options = {});

  Dialect dialect() const { return dialect_; }
  // The URL with its password masked: safe for logs and messages.
  const std::string& display_url() const { return display_url_; }

  // A new, configured session. Throws StorageError (kOpen) when the database cannot be reached.
  std::unique_ptr<soci::session> open_session() const;

 private:
  Database(Dialect dialect, std::string connect_string, std::string display_url,
           DatabaseOptions options)
      : dialect_(dialect),
        connect_string_(std::move(connect_string)),
        display_url_(std::move(display_url)),
        options_(options) {}

  Dialect dialect_;
  std::string connect_string_;  // SOCI's: "db=... timeout=..." or the libpq URI
  std::string display_url_;
  DatabaseOptions options_;
};

// A write transaction. On SQLite it begins with BEGIN IMMEDIATE, taking the write lock at once:
// in WAL mode a deferred transaction that reads first and writes later fails at once with
// SQLITE_BUSY (no busy wait) when another connection wrote in between, and the read-check-write
// pattern of optimistic concurrency is exactly that. On PostgreSQL it is a plain BEGIN.
// The destructor rolls back unless commit() was called; it never throws. After a StorageError
// inside the transaction, let it roll back: PostgreSQL refuses every further statement of a
// transaction that had an error.
class WriteTransaction {
 public:
  explicit WriteTransaction(soci::session& session);  // throws StorageError
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  void commit();  // throws StorageError; the transaction is over either way

 private:
  soci::session& session_;
  bool open_ = true;
};

// A savepoint inside an open WriteTransaction: one item of a batch that may fail alone. The
// constructor sets it; release() keeps what was done since; the destructor (without release)
// rolls back to it, undoing only this item, and the transaction goes on. If that rollback
// itself fails (the connection is gone, SQLite ended the transaction), rolled_back() is false
// and the caller must abandon the whole transaction.
class Savepoint {
 public:
  Savepoint(soci::session& session, const char* name);  // throws StorageError
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;

  void release();   // throws StorageError
  bool rollback();  // undoes the work since the savepoint; false if that failed
 private:
  soci::session& session_;
  std::string name_;
  bool open_ = true;
};

}  // namespace fangfan
