// Internal to adapters/storage: hot statements kept prepared for the life of their session.
//
// Why: SOCI prepares a statement anew on every `session << ...` / `session.prepare << ...`, and
// for the per-item work of firing and of the case hook SQLite spent about 40% of its time
// parsing SQL. A query type Q (its SQL and its bound buffers) is prepared once per session;
// later uses copy new values into Q's buffers and run the same statement again (SOCI's own
// idiom: `use()`/`into()` read and write the bound variables at each execute).
//
//   struct MarkFired {            // one per query
//     long long id = 0, at = 0;
//     static std::string sql() { return "UPDATE timers SET ... WHERE id = :id"; }
//     void bind(Prepared& p) { p, use(at), use(id); }
//   };
//   Kept<MarkFired> q(session);   // inside guarded(): errors are soci_error
//   q->id = ...; q.execute();
//
// Lifetime: the cache of a session is owned by the session itself (keep_statements() installs
// it as the session's query transformation, which SOCI destroys before it closes the
// connection), so it dies with its session, whoever drops it. A session that has no cache (not
// from Database::open_session) prepares each use, as before.
// Errors: a statement whose run failed is dropped, never reused (after a failed statement in a
// PostgreSQL transaction or a savepoint rollback, the next use prepares afresh). A statement
// still in use (a nested call of the same query) is not shared: the inner use prepares its own.
// After a use, a SELECT's remaining rows are read to the end so that SQLite's statement holds
// no read snapshot between uses.
// Thread-safety: as the session's (one thread at a time); the session -> cache registry is
// locked.
#pragma once

#include <soci/soci.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sqlite_api {
struct sqlite3_stmt;  // SQLite's, as SOCI's sqlite3 backend declares it
}

namespace fangfan::storage_detail {

using QueryFilter = std::function<std::string(const std::string&)>;

// Gives `session` a statement cache. `filter` (may be empty): every statement's text passes
// through it before it runs, each run of a kept statement included (a seam for tests,
// DatabaseOptions::query_filter). Replaces the session's query transformation.
void keep_statements(soci::session& session, QueryFilter filter);

// A prepared statement with its bound buffers; the base lets the cache hold any query type.
struct KeptEntry {
  virtual ~KeptEntry() = default;
  std::string sql;
  std::optional<soci::statement> statement;
  bool busy = false;
};

template <class Q>
struct KeptEntryOf final : KeptEntry {
  Q query;  // bound by address: a KeptEntryOf never moves (held by unique_ptr)
};

class StatementCache {
 public:
  explicit StatementCache(QueryFilter filter) : filter_(std::move(filter)) {}
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The session's cache, or nullptr when it has none.
  static StatementCache* of(soci::session& session);

  KeptEntry* find(const void* tag) {
    auto it = entries_.find(tag);
    return it == entries_.end() ? nullptr : it->second.get();
  }
  void keep(const void* tag, std::unique_ptr<KeptEntry> entry) { entries_[tag] = std::move(entry); }
  void drop(const void* tag) { entries_.erase(tag); }
  const QueryFilter& filter() const { return filter_; }

 private:
  QueryFilter filter_;
  std::unordered_map<const void*, std::unique_ptr<KeptEntry>> entries_;
};

// The SQLite statement under a SOCI statement of the sqlite3 backend.
sqlite_api::sqlite3_stmt* sqlite_statement(soci::statement& statement);

// Runs a kept statement's text through the session's filter before a re-run; when the filter
// rewrites it (a test's injected fault), runs the rewritten text once so that the database
// itself refuses it, as it would have without the cache.
void filter_rerun(soci::session& session, const StatementCache& cache, const std::string& sql);

template <class Q>
inline constexpr char kKeptTag = 0;

// One use of query Q on a session: the kept statement (or a fresh one, see above).
template <class Q>
class Kept {
 public:
  explicit Kept(soci::session& session) : Kept(session, &kKeptTag<Q>, nullptr) {}
  // A statement whose text is chosen at run time (Q then binds nothing, e.g. a transaction's
  // BEGIN or a savepoint): kept under `tag`, which must be the same address for the same text
  // for the life of the process.
  Kept(soci::session& session, const void* tag, const std::string& text)
      : Kept(session, tag, &text) {}
  ~Kept() {
    bool keep = !failed_;
    if (keep && more_) {
      try {
        while (entry_->statement->fetch()) {
        }
      } catch (...) {
        keep = false;
      }
    }
    entry_->busy = false;
    if (cached_ && !keep) cache_->drop(tag_);
  }
  Kept(const Kept&) = delete;
  Kept& operator=(const Kept&) = delete;

  Q& operator*() { return entry_->query; }
  Q* operator->() { return &entry_->query; }

  // Runs the statement with the buffers' current values; true when a row was read into them.
  bool execute() {
    try {
      if (reused_ && cache_->filter()) filter_rerun(session_, *cache_, entry_->sql);
      reused_ = true;
      more_ = entry_->statement->execute(true);
      return more_;
    } catch (...) {
      failed_ = true;
      throw;
    }
  }
  // The next row into the buffers; false at the end.
  bool fetch() {
    try {
      more_ = entry_->statement->fetch();
      return more_;
    } catch (...) {
      failed_ = true;
      throw;
    }
  }
  long long affected_rows() { return entry_->statement->get_affected_rows(); }

  // SQLite only: the prepared statement itself, to bind, step and reset through SQLite's API
  // (multi_row_insert.h: SOCI's per-value binding copies each value; Q then binds nothing).
  // Runs the text through the session's filter as execute() does. A caller whose step failed
  // calls failed(), so the statement is dropped, never reused.
  sqlite_api::sqlite3_stmt* sqlite() {
    try {
      if (reused_ && cache_->filter()) filter_rerun(session_, *cache_, entry_->sql);
      reused_ = true;
      return sqlite_statement(*entry_->statement);
    } catch (...) {
      failed_ = true;
      throw;
    }
  }
  void failed() { failed_ = true; }

 private:
  // `text` null: Q::sql(), built only when a statement is prepared.
  Kept(soci::session& session, const void* tag, const std::string* text)
      : session_(session), cache_(StatementCache::of(session)), tag_(tag) {
    if (cache_ != nullptr) {
      if (KeptEntry* e = cache_->find(tag_); e != nullptr && !e->busy) {
        entry_ = static_cast<KeptEntryOf<Q>*>(e);
        entry_->busy = true;
        cached_ = true;
        reused_ = true;
        return;
      }
    }
    auto fresh = std::make_unique<KeptEntryOf<Q>>();
    if (text != nullptr) {
      fresh->sql = *text;
    } else if constexpr (requires { Q::sql(); }) {
      fresh->sql = Q::sql();
    }
    {
      soci::details::prepare_temp_type p = (session.prepare << fresh->sql);
      fresh->query.bind(p);
      fresh->statement.emplace(p);  // prepares; throws soci_error
    }
    entry_ = fresh.get();
    entry_->busy = true;
    if (cache_ != nullptr && cache_->find(tag_) == nullptr) {
      cache_->keep(tag_, std::move(fresh));
      cached_ = true;
    } else {
      own_ = std::move(fresh);
    }
  }

  soci::session& session_;
  StatementCache* cache_;
  const void* tag_;
  KeptEntryOf<Q>* entry_ = nullptr;
  std::unique_ptr<KeptEntryOf<Q>> own_;
  bool cached_ = false;
  bool reused_ = false;  // a prepare just ran the text through the filter: the first run needn't
  bool more_ = false;
  bool failed_ = false;
};

// Runs Q and returns its row's record (Q::row().record()), if any.
template <class Q>
auto kept_one(Kept<Q>& q) -> std::optional<decltype(q->row.record())> {
  if (!q.execute()) return std::nullopt;
  return q->row.record();
}

// Runs Q and returns every row's record, in order.
template <class Q>
auto kept_all(Kept<Q>& q) -> std::vector<decltype(q->row.record())> {
  std::vector<decltype(q->row.record())> out;
  for (bool more = q.execute(); more; more = q.fetch()) out.push_back(q->row.record());
  return out;
}

}  // namespace fangfan::storage_detail
