#include "bench/sqlite_floor.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/measure.h"

namespace fangfan::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

// One connection, closed on every way out.
class Connection {
 public:
  explicit Connection(const fs::path& file) {
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) fail("open " + file.string());
  }
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The daemon's pragmas (adapters/storage/database.cpp), so the floor pays what it pays.
  void as_the_daemon() {
    exec(
        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
        " PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8192");
  }
  void exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(what + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// A prepared statement kept for the whole run (as the daemon keeps its own).
class Statement {
 public:
  Statement(Connection& c, const std::string& sql) : c_(c) {
    if (sqlite3_prepare_v3(c.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st_, nullptr) !=
        SQLITE_OK) {
      c.fail(sql);
    }
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return st_; }
  bool row() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) c_.fail(sqlite3_sql(st_));
    return false;
  }
  void run() {
    row();
    sqlite3_reset(st_);
  }

 private:
  Connection& c_;
  sqlite3_stmt* st_ = nullptr;
};

// Rows read from one database to be written into another: every column's value kept in its own
// storage class (integer, text or NULL), the texts in one buffer.
class Rows {
 public:
  void read(Statement& q) {
    columns_ = sqlite3_column_count(q.get());
    while (q.row()) {
      for (int c = 0; c < columns_; ++c) {
        Value v;
        v.type = sqlite3_column_type(q.get(), c);
        if (v.type == SQLITE_INTEGER) {
          v.number = sqlite3_column_int64(q.get(), c);
        } else if (v.type != SQLITE_NULL) {
          v.type = SQLITE_TEXT;
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q.get(), c));
          v.number = static_cast<long long>(texts_.size());
          v.length = sqlite3_column_bytes(q.get(), c);
          texts_.append(text, static_cast<std::size_t>(v.length));
        }
        values_.push_back(v);
      }
    }
  }
  long long size() const {
    return columns_ == 0 ? 0 : static_cast<long long>(values_.size()) / columns_;
  }
  long long integer(long long row, int column) const {
    return values_[std::size_t(row * columns_ + column)].number;
  }
  // Binds row `row`'s values to parameters 1.. of `st` (texts in place, not copied).
  void bind(long long row, Statement& st) const {
    for (int c = 0; c < columns_; ++c) {
      const Value& v = values_[std::size_t(row * columns_ + c)];
      if (v.type == SQLITE_INTEGER) {
        sqlite3_bind_int64(st.get(), c + 1, v.number);
      } else if (v.type == SQLITE_TEXT) {
        sqlite3_bind_text(st.get(), c + 1, texts_.data() + v.number, v.length, SQLITE_STATIC);
      } else {
        sqlite3_bind_null(st.get(), c + 1);
      }
    }
  }

 private:
  struct Value {
    int type = SQLITE_NULL;
    int length = 0;
    long long number = 0;  // the integer, or the text's offset in texts_
  };
  int columns_ = 0;
  std::vector<Value> values_;
  std::string texts_;
};

constexpr const char* kTimerColumns =
    "case_id, kind, step, rung, dedupe_key, due_at, state, fired_at, payload, created_at, due_ms";
constexpr const char* kOutboxColumns =
    "dedupe_key, case_id, channel, recipient, message_type, body, status, attempts,"
    " next_attempt_at, last_error, provider_message_id, created_at, sent_at, provider_code,"
    " digest_of, hold_reason, person, claimed_by, lease_until";

std::string numbered_parameters(int n) {
  std::string out;
  for (int i = 1; i <= n; ++i) out += (i == 1 ? "?" : ", ?") + std::to_string(i);
  return out;
}

void remove_database(const fs::path& file) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(file.string() + suffix, ignored);
  }
}

double seconds_since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

}  // namespace

bool print_create_floor(const fs::path& created, const fs::path& scratch,
                        int cases_per_transaction) {
  try {
    Rows timers, case_ids;
    std::vector<std::string> schema;
    {
      Connection from(created);
      Statement rows(from, std::string("SELECT ") + kTimerColumns + " FROM timers ORDER BY id");
      timers.read(rows);
      Statement ids(from, "SELECT id FROM cases ORDER BY id");
      case_ids.read(ids);
      // The table first, then its indexes, as the migrations left them.
      Statement sql(from,
                    "SELECT sql FROM sqlite_master WHERE tbl_name = 'timers' AND sql IS NOT NULL"
                    " ORDER BY type = 'table' DESC");
      while (sql.row()) {
        schema.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(sql.get(), 0)));
      }
    }
    remove_database(scratch);
    const long long n = timers.size();
    const long long per_transaction =
        std::max(1LL, n * cases_per_transaction / std::max(1LL, case_ids.size()));
    {
      Connection to(scratch);
      to.as_the_daemon();
      to.exec("CREATE TABLE cases (id INTEGER PRIMARY KEY)");  // what the foreign key checks
      to.exec("BEGIN");
      Statement add_case(to, "INSERT INTO cases (id) VALUES (?1)");
      for (long long r = 0; r < case_ids.size(); ++r) {
        case_ids.bind(r, add_case);
        add_case.run();
      }
      for (const std::string& sql : schema) to.exec(sql);
      to.exec("COMMIT");
      Statement insert(to, std::string("INSERT INTO timers (") + kTimerColumns + ") VALUES (" +
                               numbered_parameters(11) + ") ON CONFLICT (dedupe_key) DO NOTHING");
      const auto t0 = Steady::now();
      const double cpu0 = cpu_seconds();
      for (long long r = 0; r < n;) {
        to.exec("BEGIN");
        for (long long k = 0; k < per_transaction && r < n; ++k, ++r) {
          timers.bind(r, insert);
          insert.run();
        }
        to.exec("COMMIT");
      }
      const double cpu = cpu_seconds() - cpu0, wall = seconds_since(t0);
      std::printf(
          "floor, create: %lld timer rows written again through SQLite alone (C API, kept "
          "statement, %lld rows per commit) in %.1f s: %.0f/s; %.2f us CPU per timer (200,000/s "
          "leaves 5.00 us on SQLite's one writer)\n",
          n, per_transaction, wall, double(n) / wall, 1e6 * cpu / double(std::max(1LL, n)));
    }
    remove_database(scratch);
    return true;
  } catch (const std::exception& e) {
    std::printf("floor, create: %s\n", e.what());
    remove_database(scratch);
    return false;
  }
}

bool print_burst_floor(const fs::path& created, const fs::path& fired, const fs::path& scratch,
                       int batch) {
  try {
    Rows ids, messages;
    {
      Connection before(created);
      long long last_message = 0;
      Statement max_id(before, "SELECT COALESCE(MAX(id), 0) FROM outbox");
      if (max_id.row()) last_message = sqlite3_column_int64(max_id.get(), 0);
      Connection after(fired);
      // The burst's timers in the order it fired them (due order), and its messages.
      Statement fired_ids(after,
                          "SELECT id, fired_at FROM timers WHERE state = 'fired'"
                          " ORDER BY due_at, due_ms, id");
      ids.read(fired_ids);
      Statement rows(after, std::string("SELECT ") + kOutboxColumns +
                                " FROM outbox WHERE id > ?1 ORDER BY id");
      sqlite3_bind_int64(rows.get(), 1, last_message);
      messages.read(rows);
    }
    remove_database(scratch);
    fs::copy_file(created, scratch);
    const long long n = ids.size(), m = messages.size();
    {
      Connection to(scratch);
      to.as_the_daemon();
      Statement mark(to,
                     "UPDATE timers SET state = 'fired', fired_at = ?2"
                     " WHERE id = ?1 AND state = 'pending'");
      Statement insert(to, std::string("INSERT INTO outbox (") + kOutboxColumns + ") VALUES (" +
                               numbered_parameters(19) + ")");
      const auto t0 = Steady::now();
      const double cpu0 = cpu_seconds();
      long long written = 0;
      for (long long i = 0; i < n;) {
        const long long end = std::min(n, i + batch);
        to.exec("BEGIN");
        for (; i < end; ++i) {
          ids.bind(i, mark);
          mark.run();
        }
        // The messages in the daemon's proportion: as many as it wrote per timer on average.
        for (const long long until = m * end / n; written < until; ++written) {
          messages.bind(written, insert);
          insert.run();
        }
        to.exec("COMMIT");
      }
      const double cpu = cpu_seconds() - cpu0, wall = seconds_since(t0);
      std::printf(
          "floor, burst: %lld timers marked fired and %lld messages inserted through SQLite "
          "alone (C API, kept statements, %d timers per commit) in %.2f s: %.0f timers/s; %.2f "
          "us CPU per timer (100,000/s leaves 10.00 us on SQLite's one writer)\n",
          n, m, batch, wall, double(n) / wall, 1e6 * cpu / double(std::max(1LL, n)));
    }
    remove_database(scratch);
    return true;
  } catch (const std::exception& e) {
    std::printf("floor, burst: %s\n", e.what());
    remove_database(scratch);
    return false;
  }
}

}  // namespace fangfan::bench
