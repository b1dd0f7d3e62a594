#include "adapters/storage/database.h"

#include <fcntl.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <system_error>

#include "adapters/storage/prepared.h"
#include "adapters/storage/wal_checkpointer.h"

namespace fangfan {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite3://";
constexpr std::string_view kPostgresqlScheme = "postgresql://";
constexpr std::string_view kPostgresAlias = "postgres://";  // libpq accepts both

// SQLite's library-wide settings, made before its first connection (sqlite3_config is refused
// once the library is initialized: then the defaults stay, which are only slower):
// - multi-thread mode: no mutex around every call on a connection and statement. A session is
//   used by one thread at a time (SOCI's own rule for a session, and this project's: a storage
//   thread's session, the leader's, the checkpointer's connection), which is all that mode asks.
//   The per-call lock was about 7% of a firing batch's CPU (issue 15).
// - no memory statistics: they take a global mutex around every allocation; nothing here reads
//   them (sqlite3_memory_used and the heap limits stop working).
// Made while the program's statics are set up, so that it precedes any connection.
bool configure_sqlite_library() {
  using namespace sqlite_api;
  const bool threads = sqlite3_config(SQLITE_CONFIG_MULTITHREAD) == SQLITE_OK;
  const bool memory = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  return threads && memory;
}
[[maybe_unused]] const bool sqlite_library_configured = configure_sqlite_library();

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

StorageError open_error(const std::string& display_url, const std::string& detail) {
  return StorageError(StorageError::Kind::kOpen, "无法打开数据库 " + display_url +
                                                     " (cannot open the database " + display_url +
                                                     "): " + detail);
}

// Runs a statement without values (a transaction's BEGIN/COMMIT, a savepoint's three), kept
// prepared on a SQLite session like the hot queries (prepared.h): a group of case writes runs a
// savepoint pair per write, and parsing them anew each time showed in profiles. The cache's tag
// is the interned text. PostgreSQL runs the text as before: its parse is the server's and a
// prepared statement saves no round trip there.
struct NoValues {
  void bind(soci::details::prepare_temp_type&) {}
};
void run_kept_text(soci::session& session, const std::string& sql) {
  if (dialect_of(session) != Dialect::kSqlite) {
    session << sql;
    return;
  }
  static std::mutex interned_mutex;
  static std::set<std::string> interned;  // node-based: an element's address never changes
  const void* tag = nullptr;
  {
    std::lock_guard lock(interned_mutex);
    tag = &*interned.insert(sql).first;
  }
  storage_detail::Kept<NoValues> q(session, tag, sql);
  q.execute();
}

// The database holds ID numbers and phones in clear, so a new file is created 0600 whatever the
// process's umask (SQLite gives its -wal and -shm files the database file's mode). An existing
// file keeps the mode its owner gave it.
void create_private_file(const std::string& display, const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    const std::string why = std::strerror(errno);
    throw open_error(display, "无法创建数据库文件 " + path + " (cannot create the database file " +
                                  path + "): " + why);
  }
  ::close(fd);
}

// SOCI's PostgreSQL backend (4.0) re-joins its connect string as key=value pairs and turns a
// bare URI without '=' into "URI=", which libpq then reads as part of the database name. A URI
// that carries a query parameter passes through intact, and connect_timeout is worth setting
// anyway: the daemon must not hang on an unreachable server at start.
std::string postgresql_connect_string(std::string_view url, std::chrono::seconds timeout) {
  std::string result(url);
  if (result.find("connect_timeout=") == std::string::npos) {
    result += result.find('?') == std::string::npos ? '?' : '&';
    result += "connect_timeout=" + std::to_string(timeout.count());
  }
  return result;
}

void configure_sqlite(soci::session& session, const DatabaseOptions& options) {
  // busy_timeout first, so that switching the journal mode waits for a lock like anything else.
  session << "PRAGMA busy_timeout = " + std::to_string(options.busy_timeout.count());
  if (options.read_only) return;  // a reader changes nothing, not even the journal mode
  std::string journal_mode;
  session << "PRAGMA journal_mode = WAL", soci::into(journal_mode);
  if (journal_mode != "wal") {
    throw soci::soci_error("the file system refused the WAL journal (journal_mode is " +
                           journal_mode + ")");
  }
  // Checkpoints run on a thread of their own (wal_checkpointer.h), not inside a commit.
  storage_detail::attach_wal_checkpointer(session);
  session << "PRAGMA foreign_keys = ON";
  // In WAL mode NORMAL may lose the last commits on power failure; deadlines and queued
  // messages must survive that, so every commit is synced.
  session << "PRAGMA synchronous = FULL";
  // Statement journals (a write inside a longer transaction) and sorting b-trees in memory: as
  // files, SQLite creates, writes and deletes a temporary file for most such statements.
  session << "PRAGMA temp_store = MEMORY";
  // A page cache of 8 MiB per session instead of SQLite's 2 MiB: a bulk opening of 2,000 cases
  // (timers, duties and their indexes) outgrew 2 MiB and read its index pages again from the
  // file; with 8 MiB the create phase of timers_bench took about 14% less CPU (16 and 32 MiB
  // gained nothing more). Pages are allocated as used, so a session that touches little keeps
  // little (issue 15).
  session << "PRAGMA cache_size = -8192";
}

void configure_postgresql(soci::session& session, const DatabaseOptions& options) {
  session << "SET client_encoding TO 'UTF8'";
  // "relation already exists, skipping" and the like would otherwise go to stderr.
  session << "SET client_min_messages TO WARNING";
  if (options.read_only) session << "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY";
}

}  // namespace

std::string_view dialect_name(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "sqlite3" : "postgresql";
}

Dialect dialect_of(soci::session& session) {
  return session.get_backend_name() == "postgresql" ? Dialect::kPostgresql : Dialect::kSqlite;
}

StorageError translate_error(const soci::soci_error& error, std::string_view what) {
  using Kind = StorageError::Kind;
  Kind kind = Kind::kQuery;
  if (const auto* sqlite = dynamic_cast<const soci::sqlite3_soci_error*>(&error)) {
    // Extended result codes carry the primary one in the low byte.
    switch (sqlite->result() & 0xff) {
      case SQLITE_CONSTRAINT:
        kind = Kind::kConstraint;
        break;
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        kind = Kind::kUnavailable;
        break;
      default:
        break;
    }
  } else {
    switch (error.get_error_category()) {
      case soci::soci_error::constraint_violation:
        kind = Kind::kConstraint;
        break;
      case soci::soci_error::connection_error:
        kind = Kind::kUnavailable;
        break;
      default:
        break;
    }
  }
  return StorageError(kind, std::string(what) + ": " + error.get_error_message());
}

std::string mask_url_password(std::string_view url) {
  std::string out(url);
  const std::size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const std::size_t authority = scheme_end + 3;
    std::size_t authority_end = out.find_first_of("/?#", authority);
    if (authority_end == std::string::npos) authority_end = out.size();
    const std::size_t at = out.rfind('@', authority_end);
    if (at != std::string::npos && at >= authority) {
      const std::size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... in the query string (libpq accepts it there too).
  std::size_t query = out.find('?');
  while (query != std::string::npos) {
    const std::size_t key = out.find("password=", query);
    if (key == std::string::npos) break;
    const char before = out[key - 1];
    const std::size_t value = key + 9;
    std::size_t value_end = out.find('&', value);
    if (value_end == std::string::npos) value_end = out.size();
    if (before == '?' || before == '&') {
      out.replace(value, value_end - value, "***");
      query = value + 3;
    } else {
      query = value;
    }
  }
  return out;
}

Database Database::open(std::string_view url, const DatabaseOptions& options) {
  const std::string display = mask_url_password(url);
  std::optional<Database> db;
  if (starts_with(url, kSqliteScheme)) {
    const std::string path(url.substr(kSqliteScheme.size()));
    if (path.empty()) {
      throw open_error(display, "sqlite3:// 后面缺少数据库文件路径 (the URL names no file)");
    }
    if (path == ":memory:" || path.find('"') != std::string::npos) {
      // Every session would get its own empty in-memory database; a '"' cannot be quoted in
      // SOCI's connect string.
      throw open_error(display,
                       "数据库必须是普通文件路径，且不能含有双引号 (the path must be a "
                       "plain file name without '\"')");
    }
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !options.read_only) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        throw open_error(display, "无法创建文件夹 " + parent.string() +
                                      " (cannot create the folder " + parent.string() +
                                      "): " + ec.message());
      }
    }
    if (!options.read_only) create_private_file(display, path);
    db = Database(Dialect::kSqlite,
                  "db=\"" + path + "\"" + (options.read_only ? " readonly=true" : ""), display,
                  options);
  } else if (starts_with(url, kPostgresqlScheme) || starts_with(url, kPostgresAlias)) {
    db = Database(Dialect::kPostgresql, postgresql_connect_string(url, options.connect_timeout),
                  display, options);
  } else {
    throw open_error(display,
                     "数据库地址应以 sqlite3:// 或 postgresql:// 开头 (the URL must start with "
                     "sqlite3:// or postgresql://)");
  }
  db->open_session();  // proves the database can be reached and configured
  return *std::move(db);
}

std::unique_ptr<soci::session> Database::open_session() const {
  try {
    std::unique_ptr<soci::session> session;
    if (dialect_ == Dialect::kSqlite) {
      session = std::make_unique<soci::session>(*soci::factory_sqlite3(), connect_string_);
      configure_sqlite(*session, options_);
    } else {
      session = std::make_unique<soci::session>(*soci::factory_postgresql(), connect_string_);
      configure_postgresql(*session, options_);
    }
    if (options_.keep_statements) {
      storage_detail::keep_statements(*session, options_.query_filter);
    } else if (options_.query_filter) {
      session->set_query_transformation(options_.query_filter);
    }
    if (options_.session_setup) options_.session_setup(*session);
    return session;
  } catch (const soci::soci_error& e) {
    throw open_error(display_url_, e.get_error_message());
  }
}

WriteTransaction::WriteTransaction(soci::session& session) : session_(session) {
  guarded("无法开始事务 (cannot begin a transaction)", [&] {
    run_kept_text(session_, dialect_of(session_) == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  });
}

WriteTransaction::~WriteTransaction() {
  if (!open_) return;
  try {
    run_kept_text(session_, "ROLLBACK");
  } catch (const soci::soci_error&) {
    // The connection is gone or the transaction already ended; the server discards it.
  }
}

void WriteTransaction::commit() {
  open_ = false;
  try {
    run_kept_text(session_, "COMMIT");
  } catch (const soci::soci_error& e) {
    // SQLite keeps the transaction open when COMMIT fails (e.g. busy): end it here.
    try {
      run_kept_text(session_, "ROLLBACK");
    } catch (const soci::soci_error&) {
    }
    throw translate_error(e, "提交事务失败，本次修改未保存 (commit failed; nothing was saved)");
  }
}

Savepoint::Savepoint(soci::session& session, const char* name) : session_(session), name_(name) {
  guarded("无法设置保存点 (cannot set a savepoint)",
          [&] { run_kept_text(session_, "SAVEPOINT " + name_); });
}

Savepoint::~Savepoint() {
  if (open_) rollback();
}

void Savepoint::release() {
  open_ = false;
  guarded("无法释放保存点 (cannot release a savepoint)",
          [&] { run_kept_text(session_, "RELEASE SAVEPOINT " + name_); });
}

bool Savepoint::rollback() {
  if (!open_) return true;
  open_ = false;
  try {
    run_kept_text(session_, "ROLLBACK TO SAVEPOINT " + name_);
    run_kept_text(session_, "RELEASE SAVEPOINT " + name_);
    return true;
  } catch (const soci::soci_error&) {
    return false;  // the transaction is broken: the caller abandons it
  }
}

}  // namespace fangfan
