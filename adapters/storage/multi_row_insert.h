// Internal to adapters/storage: the one multi-row insert engine of the batch writers (timers and
// duties, timer_batch.h; outbox messages, outbox_batch.h).
//
// A row type V describes one table's row:
//   struct V {
//     static constexpr std::string_view kTable = "timers (case_id, kind, ...)";  // its columns
//     static constexpr std::string_view kKey = "dedupe_key";  // the unique key column
//     void bind(Prepared& p);        // use() of each column, in kTable's order
//     void set(const In& row);       // the bound values of one input row
//     static const std::string& key_of(const In& row);
//   };
// Rows go out as "INSERT ... VALUES (...), (...) ON CONFLICT (<kKey>) DO NOTHING" of at most
// kMaxRows rows; each row count is its own statement, kept prepared per session (prepared.h:
// SQLite looks named parameters up one by one, so a fresh text per call cost more than the rows).
// insert_keyed() answers in input order as a single-row insert called for each row in turn
// would: a key stored before the call, or given twice, is inserted once (the first time) and
// answers the stored id with inserted = false; the new rows' ids come from RETURNING on
// PostgreSQL and from last_insert_rowid() on SQLite; the ids of keys that existed are read back
// with one IN query per kKeysPerRead keys (SQLite admits 32,766 bound values, PostgreSQL 65,535).
// On SQLite a row type with bind_sqlite() binds its values through SQLite's API (SqliteRow below).
// Works on SQLite and PostgreSQL. Errors: soci_error (callers wrap it in guarded()); a failed
// call may have written some statements: run it inside the caller's transaction.
// Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan::storage_detail {

inline constexpr std::size_t kMaxRows = 64;
inline constexpr std::size_t kKeysPerRead = 500;

using KeyIds = std::unordered_map<std::string, long long>;  // key -> row id

// "INSERT INTO <table> VALUES (:v0, :v1, ...), (...) ON CONFLICT (<key>) DO NOTHING" for `rows`
// rows of the table's columns (as many as the commas in its column list say), with
// " RETURNING id, <key>" when `returning`.
std::string insert_sql(std::string_view table, std::string_view key, std::size_t rows,
                       bool returning);

// SQLite's last_insert_rowid() on this session.
long long last_insert_rowid(soci::session& session);

// The rows of `table` with ids first..last, by key into `out`.
void keys_of_ids(soci::session& session, std::string_view table, std::string_view key,
                 long long first, long long last, KeyIds& out);

// The ids of those of `keys` stored in `table` (key column `key`); keys not stored are absent.
KeyIds ids_of_keys(soci::session& session, std::string_view table, std::string_view key,
                   const std::vector<const std::string*>& keys);

template <class V, std::size_t N, bool kReturning>
struct InsertRows {
  std::array<V, N> rows;
  long long id = 0;
  std::string key;
  static std::string sql() { return insert_sql(V::kTable, V::kKey, N, kReturning); }
  void bind(Prepared& p) {
    for (V& v : rows) v.bind(p);
    if constexpr (kReturning) p, soci::into(id), soci::into(key);
  }
};

// N rows from `in`: with RETURNING the new rows' ids by key into `inserted` (in no promised
// order); without, the count of new rows (on SQLite, RETURNING costs a temporary table).
template <class V, std::size_t N, class In>
long long insert_chunk(soci::session& session, const In* in, KeyIds* inserted) {
  if (inserted != nullptr) {
    Kept<InsertRows<V, N, true>> q(session);
    for (std::size_t i = 0; i < N; ++i) q->rows[i].set(in[i]);
    for (bool more = q.execute(); more; more = q.fetch()) inserted->emplace(q->key, q->id);
    return 0;
  }
  Kept<InsertRows<V, N, false>> q(session);
  for (std::size_t i = 0; i < N; ++i) q->rows[i].set(in[i]);
  q.execute();
  return q.affected_rows();
}

// The statement of each row count 1..kMaxRows, picked at run time.
template <class V, class In, std::size_t... I>
constexpr auto chunk_table(std::index_sequence<I...>) {
  using Chunk = long long (*)(soci::session&, const In*, KeyIds*);
  return std::array<Chunk, sizeof...(I)>{&insert_chunk<V, I + 1, In>...};
}

template <class V, class In>
inline constexpr auto kChunks = chunk_table<V, In>(std::make_index_sequence<kMaxRows>{});

// -- SQLite: values bound through SQLite's API (a row type with bind_sqlite(SqliteRow&, const
// In&)). SOCI's binding copies every value into a buffer of its own on each run (about a tenth of a
// bulk insert's work); here texts are bound in place (SQLITE_STATIC): the input rows outlive the
// statement's step, which is reset before the call returns.
class SqliteRow {
 public:
  explicit SqliteRow(sqlite_api::sqlite3_stmt* statement) : statement_(statement) {}
  void text(const std::string& value) {
    check(sqlite_api::sqlite3_bind_text(statement_, ++at_, value.data(),
                                        static_cast<int>(value.size()), SQLITE_STATIC));
  }
  void integer(long long value) { check(sqlite_api::sqlite3_bind_int64(statement_, ++at_, value)); }
  void null() { check(sqlite_api::sqlite3_bind_null(statement_, ++at_)); }
  // An optional integer column (a case id): the value, or NULL.
  template <class Integer>
  void integer_or_null(const std::optional<Integer>& value) {
    if (value) {
      integer(*value);
    } else {
      null();
    }
  }
  // Runs the bound statement once and resets it; the rows it changed. Throws soci_error (the
  // caller's Kept then drops the statement).
  long long run() {
    sqlite_api::sqlite3* db = sqlite_api::sqlite3_db_handle(statement_);
    const int done = failed_ == SQLITE_OK ? sqlite_api::sqlite3_step(statement_) : failed_;
    if (done != SQLITE_DONE) {
      std::string message = failed_ == SQLITE_OK ? sqlite_api::sqlite3_errmsg(db)
                                                 : sqlite_api::sqlite3_errstr(failed_);
      sqlite_api::sqlite3_reset(statement_);
      throw soci::soci_error("sqlite3_step: " + message);
    }
    const long long changed = sqlite_api::sqlite3_changes(db);
    sqlite_api::sqlite3_reset(statement_);
    return changed;
  }

 private:
  void check(int status) {
    if (status != SQLITE_OK && failed_ == SQLITE_OK) failed_ = status;
  }
  sqlite_api::sqlite3_stmt* statement_;
  int at_ = 0;
  int failed_ = SQLITE_OK;
};

template <class V, std::size_t N>
struct SqliteInsertRows {
  static std::string sql() { return insert_sql(V::kTable, V::kKey, N, false); }
  void bind(Prepared&) {}  // bound through SQLite's API
};

template <class V, class In>
concept BindsSqlite = requires(SqliteRow& row, const In& in) {
  V::bind_sqlite(row, in);
};

// N rows from `in` on SQLite; the count of new rows.
template <class V, std::size_t N, class In>
long long insert_chunk_sqlite(soci::session& session, const In* in) {
  Kept<SqliteInsertRows<V, N>> q(session);
  SqliteRow row(q.sqlite());
  for (std::size_t i = 0; i < N; ++i) V::bind_sqlite(row, in[i]);
  try {
    return row.run();
  } catch (...) {
    q.failed();
    throw;
  }
}

template <class V, class In, std::size_t... I>
constexpr auto sqlite_chunk_table(std::index_sequence<I...>) {
  using Chunk = long long (*)(soci::session&, const In*);
  return std::array<Chunk, sizeof...(I)>{&insert_chunk_sqlite<V, I + 1, In>...};
}

template <class V, class In>
inline constexpr auto kSqliteChunks =
    sqlite_chunk_table<V, In>(std::make_index_sequence<kMaxRows>{});

// `rows` rows from `in` in one statement, on SQLite; the count of new rows.
template <class V, class In>
long long insert_sqlite(soci::session& session, const In* in, std::size_t rows) {
  if constexpr (BindsSqlite<V, In>) {
    return kSqliteChunks<V, In>[rows - 1](session, in);
  } else {
    return kChunks<V, In>[rows - 1](session, in, nullptr);
  }
}

// Inserts `n` rows from `in`, up to kMaxRows in each statement; returns how many were new. With
// `inserted`, the new rows' ids by key go there (the count is then 0).
template <class V, class In>
long long insert_rows(soci::session& session, const In* in, std::size_t n,
                      KeyIds* inserted = nullptr) {
  long long added = 0;
  const bool sqlite = inserted == nullptr && session.get_backend_name() == "sqlite3";
  for (std::size_t rows = 0; n > 0; in += rows, n -= rows) {
    rows = std::min(n, kMaxRows);
    added += sqlite ? insert_sqlite<V>(session, in, rows)
                    : kChunks<V, In>[rows - 1](session, in, inserted);
  }
  return added;
}

// V's table: kTable is "name (columns...)".
template <class V>
constexpr std::string_view table_of() {
  return V::kTable.substr(0, V::kTable.find(' '));
}

// The largest id of V's table (0 when empty).
template <class V>
struct MaxId {
  long long id = 0;
  soci::indicator ind = soci::i_null;
  static std::string sql() { return "SELECT MAX(id) FROM " + std::string(table_of<V>()); }
  void bind(Prepared& p) { p, soci::into(id, ind); }
};

// insert_rows() answering insert_keyed(), on SQLite without RETURNING (there it costs a temporary
// table of the new rows, and each of them a fetch). A statement's new rows take ids above every
// id before it, in the order of its VALUES, the last being last_insert_rowid(). When every row of
// a statement was new their ids are consecutive: the rows are answered by position in `out`, no
// key looked up. Else (a row left out may still have used up an id: AUTOINCREMENT) its new rows
// are read back by key from the ids above the previous statements' and among its last `rows`
// ids into `inserted`, and its rows go to `open` to be answered by key.
template <class R, class V, class In>
void insert_rows_numbered(soci::session& session, const In* in, std::size_t n, KeyIds& inserted,
                          std::vector<R>& out, std::vector<std::size_t>& open) {
  long long high = 0;  // the highest id before this statement
  {
    Kept<MaxId<V>> q(session);
    q.execute();
    high = q->ind == soci::i_ok ? q->id : 0;
  }
  for (std::size_t at = 0, rows = 0; at < n; at += rows) {
    rows = std::min(n - at, kMaxRows);
    const long long added = insert_sqlite<V>(session, in + at, rows);
    if (added == static_cast<long long>(rows)) {
      const long long last = last_insert_rowid(session);
      for (std::size_t i = 0; i < rows; ++i) {
        out[at + i].inserted = true;
        out[at + i].id = last - added + 1 + static_cast<long long>(i);
      }
      high = last;
      continue;
    }
    for (std::size_t i = 0; i < rows; ++i) open.push_back(at + i);
    if (added == 0) continue;
    const long long last = last_insert_rowid(session);
    const long long first = std::max(high + 1, last - static_cast<long long>(rows) + 1);
    keys_of_ids(session, table_of<V>(), V::kKey, first, last, inserted);
    high = last;
  }
}

// Every row of `in` (n rows) inserted unless its key is stored; results (R: `inserted`, `id`) in
// input order, as the top of this file says.
template <class R, class V, class In>
std::vector<R> insert_keyed(soci::session& session, const In* in, std::size_t n) {
  std::vector<R> out(n);
  std::vector<std::size_t> open;  // the rows not answered yet, in input order
  KeyIds inserted;
  if (session.get_backend_name() == "sqlite3") {
    insert_rows_numbered<R, V>(session, in, n, inserted, out, open);
  } else {
    insert_rows<V>(session, in, n, &inserted);
    open.resize(n);
    for (std::size_t i = 0; i < n; ++i) open[i] = i;
  }
  std::vector<const std::string*> missing;
  for (std::size_t i : open) {
    if (!inserted.contains(V::key_of(in[i]))) missing.push_back(&V::key_of(in[i]));
  }
  KeyIds existing = ids_of_keys(session, table_of<V>(), V::kKey, missing);
  for (std::size_t i : open) {
    const std::string& key = V::key_of(in[i]);
    if (auto it = inserted.find(key); it != inserted.end()) {
      out[i].inserted = true;
      out[i].id = it->second;
      existing.emplace(key, it->second);  // a second use of the key: the same row
      inserted.erase(it);
    } else {
      out[i].id = existing.at(key);
    }
  }
  return out;
}

template <class R, class V, class In>
std::vector<R> insert_keyed(soci::session& session, const std::vector<In>& in) {
  return insert_keyed<R, V>(session, in.data(), in.size());
}

}  // namespace fangfan::storage_detail
