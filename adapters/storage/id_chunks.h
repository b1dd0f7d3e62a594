// Internal to adapters/storage: statements over a list of row ids ("WHERE id IN (...)") kept
// prepared per session (prepared.h) with a fixed number of bound ids, for the batch reads and the
// batch mark of timer firing (issue 15).
//
// Why: writing the ids into the text (id_list.h) made a new statement for every batch, and its
// preparing was a few percent of a firing batch's CPU on SQLite. Here a statement holds
// kIdsPerChunk bound ids; a list runs in chunks of that many, the last one padded with its last
// id again (an id twice in an IN list matches its row once, on both backends), so one statement
// text serves every list.
//
// A query type Q binds its other values, then `ids` (IdChunk::bind), and builds its text with
// id_params(). On SQLite, for_each_row() reads a row type that has read_sqlite() through
// SQLite's API (SqliteColumns); such a Q binds the ids alone. Errors: soci_error (callers wrap it
// in guarded()). Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan::storage_detail {

inline constexpr std::size_t kIdsPerChunk = 64;

// ":i0, :i1, ..., :i63": the IN list of a chunk's statement.
inline std::string id_params() {
  std::string out;
  out.reserve(kIdsPerChunk * 6);
  for (std::size_t i = 0; i < kIdsPerChunk; ++i) {
    if (i != 0) out += ", ";
    out += ":i" + std::to_string(i);
  }
  return out;
}

// The ids one run of a chunk's statement binds.
struct IdChunk {
  std::array<long long, kIdsPerChunk> ids{};
  void bind(Prepared& p) {
    for (long long& id : ids) p, soci::use(id);
  }
  // Takes ids[from...] up to a chunk, padded with the last one taken; returns how many it took.
  // REQUIRES: from < all.size().
  std::size_t fill(const std::vector<std::int64_t>& all, std::size_t from) {
    const std::size_t n = std::min(kIdsPerChunk, all.size() - from);
    for (std::size_t i = 0; i < kIdsPerChunk; ++i) ids[i] = all[from + std::min(i, n - 1)];
    return n;
  }
};

// `ids` in ascending order without repeats: a list read chunk by chunk then comes back in the
// order its statement sorts each chunk in.
inline std::vector<std::int64_t> sorted_unique(std::vector<std::int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// The current row of a SQLite statement, read through SQLite's API (for_each_row below): SOCI's
// fetch converts each column into its bound buffer through a layer of its own per value, most
// of a firing batch's reads of duties. A NULL read as text fails as SOCI's fetch does.
class SqliteColumns {
 public:
  explicit SqliteColumns(sqlite_api::sqlite3_stmt* statement) : statement_(statement) {}
  bool null(int column) const {
    return sqlite_api::sqlite3_column_type(statement_, column) == SQLITE_NULL;
  }
  long long integer(int column) const {
    return sqlite_api::sqlite3_column_int64(statement_, column);
  }
  void text(int column, std::string& out) const {
    const unsigned char* at = sqlite_api::sqlite3_column_text(statement_, column);
    if (at == nullptr) throw soci::soci_error("Null value fetched and no indicator defined.");
    out.assign(reinterpret_cast<const char*>(at),
               static_cast<std::size_t>(sqlite_api::sqlite3_column_bytes(statement_, column)));
  }

 private:
  sqlite_api::sqlite3_stmt* statement_;
};

// A row type that reads itself from SqliteColumns (in its statement's column order).
template <class Row>
concept ReadsSqlite = requires(Row& row, const SqliteColumns& columns) {
  row.read_sqlite(columns);
};

// for_each_row() on SQLite for a Q whose row reads itself and whose statement binds the chunk's
// ids alone: ids bound, rows stepped and read through SQLite's API, the statement reset after
// each chunk (and on any error, which drops it).
template <class Q, class Take>
void for_each_row_sqlite(Kept<Q>& q, const std::vector<std::int64_t>& ids, Take& take) {
  for (std::size_t from = 0; from < ids.size();) {
    from += q->chunk.fill(ids, from);
    sqlite_api::sqlite3_stmt* st = q.sqlite();
    try {
      if (sqlite_api::sqlite3_bind_parameter_count(st) != static_cast<int>(kIdsPerChunk)) {
        throw soci::soci_error("an id chunk's statement binds more than its ids");
      }
      for (std::size_t i = 0; i < kIdsPerChunk; ++i) {
        sqlite_api::sqlite3_bind_int64(st, static_cast<int>(i) + 1, q->chunk.ids[i]);
      }
      int step = SQLITE_ROW;
      while ((step = sqlite_api::sqlite3_step(st)) == SQLITE_ROW) {
        q->row.read_sqlite(SqliteColumns(st));
        take(q->row);
      }
      if (step != SQLITE_DONE) {
        throw soci::soci_error(std::string("sqlite3_step: ") +
                               sqlite_api::sqlite3_errmsg(sqlite_api::sqlite3_db_handle(st)));
      }
      sqlite_api::sqlite3_reset(st);
    } catch (...) {
      sqlite_api::sqlite3_reset(st);
      q.failed();
      throw;
    }
  }
}

// Runs Q once per chunk of `ids` (Q holds an IdChunk `chunk` and a row type `row`), and gives
// each row read to `take` (the bound row, whose buffers the next fetch overwrites). On SQLite a
// row type that reads itself (ReadsSqlite) is read through SQLite's API instead.
template <class Q, class Take>
void for_each_row(soci::session& session, const std::vector<std::int64_t>& ids, Take&& take) {
  if (ids.empty()) return;
  Kept<Q> q(session);
  if constexpr (ReadsSqlite<decltype(Q::row)>) {
    if (session.get_backend_name() == "sqlite3") {
      for_each_row_sqlite(q, ids, take);
      return;
    }
  }
  for (std::size_t from = 0; from < ids.size();) {
    from += q->chunk.fill(ids, from);
    for (bool more = q.execute(); more; more = q.fetch()) take(q->row);
  }
}

// Runs the statement Q (an UPDATE holding an IdChunk `chunk`) once per chunk of `ids`; returns
// the rows it changed, in all.
template <class Q>
long long update_each_chunk(Kept<Q>& q, const std::vector<std::int64_t>& ids) {
  long long changed = 0;
  for (std::size_t from = 0; from < ids.size();) {
    from += q->chunk.fill(ids, from);
    q.execute();
    changed += q.affected_rows();
  }
  return changed;
}

}  // namespace fangfan::storage_detail
