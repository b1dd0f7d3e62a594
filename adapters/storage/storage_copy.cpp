#include "adapters/storage/storage_copy.h"

#include <algorithm>
#include <map>
#include <set>

#include "adapters/storage/daemon_lock.h"
#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;

// The schema's bookkeeping table: migrated on both sides before the copy, replaced, not checked
// for emptiness.
constexpr std::string_view kMigrationsTable = "schema_migrations";
// PostgreSQL allows 65,535 parameters per statement; stay well below.
constexpr long kMaxValuesPerStatement = 30000;

struct Column {
  std::string name;
  std::string type;      // PostgreSQL's spelling, for CAST: "bigint", "text", ...
  std::string sequence;  // the id sequence feeding it, "" for none
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::vector<std::string> primary_key;
  std::vector<std::string> self_references;  // columns referencing this table's own key
};

std::string sql_name(std::string_view identifier) {
  std::string out = "\"";
  for (char c : identifier) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

// The strings of a one-column query, with `bind` as its only parameter when not empty.
std::vector<std::string> strings(soci::session& s, const std::string& sql,
                                 const std::string& bind = "") {
  std::vector<std::string> out;
  std::string value;
  soci::indicator ind = soci::i_ok;
  std::string parameter = bind;
  soci::statement st(s);
  st.exchange(soci::into(value, ind));
  if (!bind.empty()) st.exchange(soci::use(parameter));
  st.alloc();
  st.prepare(sql);
  st.define_and_bind();
  st.execute(false);
  while (st.fetch()) out.push_back(ind == soci::i_null ? std::string() : value);
  return out;
}

long long count_rows(soci::session& s, const std::string& table) {
  long long n = 0;
  s << "SELECT COUNT(*) FROM " + sql_name(table), soci::into(n);
  return n;
}

// ---- the daemon's lock on the SQLite file (daemon/tasks/leadership.cpp takes the same one)

// ---- PostgreSQL's catalog: what the schema of this build is

constexpr const char* kSchemaOid =
    "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())";

std::vector<Table> postgresql_tables(soci::session& pg) {
  std::vector<Table> tables;
  for (auto& name : strings(pg,
                            "SELECT CAST(table_name AS text) FROM information_schema.tables"
                            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                            " ORDER BY table_name")) {
    Table t;
    t.name = name;
    std::string column, type, sequence;
    soci::statement st =
        (pg.prepare << "SELECT CAST(a.attname AS text), format_type(a.atttypid, a.atttypmod),"
                       " COALESCE(pg_get_serial_sequence(quote_ident(c.relname), a.attname), '')"
                       " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                       " WHERE c.relname = :t AND c.relnamespace = " +
                           std::string(kSchemaOid) +
                           " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
         soci::use(name), soci::into(column), soci::into(type), soci::into(sequence));
    st.execute(false);
    while (st.fetch()) t.columns.push_back({column, type, sequence});
    t.primary_key =
        strings(pg,
                "SELECT CAST(a.attname AS text) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indrelid"
                " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)"
                " WHERE i.indisprimary AND c.relname = :t AND c.relnamespace = " +
                    std::string(kSchemaOid) + " ORDER BY a.attnum",
                name);
    tables.push_back(std::move(t));
  }
  return tables;
}

struct ForeignKey {
  std::string table, references, column;
  int columns = 1;
};

std::vector<ForeignKey> postgresql_foreign_keys(soci::session& pg) {
  std::vector<ForeignKey> out;
  ForeignKey k;
  soci::statement st =
      (pg.prepare << "SELECT CAST(c.relname AS text), CAST(r.relname AS text),"
                     " CAST(a.attname AS text), array_length(k.conkey, 1)"
                     " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                     " JOIN pg_class r ON r.oid = k.confrelid"
                     " JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]"
                     " WHERE k.contype = 'f' AND c.relnamespace = " +
                         std::string(kSchemaOid) + " ORDER BY 1, 3",
       soci::into(k.table), soci::into(k.references), soci::into(k.column), soci::into(k.columns));
  st.execute(false);
  while (st.fetch()) out.push_back(k);
  return out;
}

// ---- the checks before the copy

// The schema's tables and columns must be the same on both sides.
std::string schema_difference(soci::session& lite, const std::vector<Table>& tables) {
  std::set<std::string> in_file;
  for (auto& name : strings(lite,
                            "SELECT name FROM sqlite_master WHERE type = 'table'"
                            " AND substr(name, 1, 7) <> 'sqlite_'")) {
    in_file.insert(name);
  }
  for (const Table& t : tables) {
    if (!in_file.erase(t.name)) {
      return "SQLite 文件里没有表 " + t.name +
             "，两边的数据库结构不同 (the SQLite file has no table " + t.name +
             ": the two schemas differ)";
    }
    std::set<std::string> columns;
    for (auto& c : strings(lite, "SELECT name FROM pragma_table_info(:t)", t.name)) {
      columns.insert(c);
    }
    for (const Column& c : t.columns) {
      if (!columns.erase(c.name)) {
        return "SQLite 文件的表 " + t.name + " 没有列 " + c.name + " (table " + t.name +
               " of the SQLite file has no column " + c.name + ")";
      }
    }
    if (!columns.empty()) {
      return "PostgreSQL 的表 " + t.name + " 没有列 " + *columns.begin() + " (table " + t.name +
             " in PostgreSQL has no column " + *columns.begin() + ")";
    }
  }
  if (!in_file.empty()) {
    return "PostgreSQL 里没有表 " + *in_file.begin() +
           "，两边的数据库结构不同 (PostgreSQL has no table " + *in_file.begin() +
           ": the two schemas differ)";
  }
  return "";
}

// Both sides must have recorded the same migrations (a version number of another build's list
// would name other changes).
std::string migrations_difference(soci::session& lite, soci::session& pg) {
  const std::string sql =
      "SELECT CAST(version AS TEXT) || ' ' || name FROM schema_migrations ORDER BY version";
  const auto file = strings(lite, sql);
  const auto target = strings(pg, sql);
  for (std::size_t i = 0; i < std::max(file.size(), target.size()); ++i) {
    const std::string a = i < file.size() ? file[i] : "-";
    const std::string b = i < target.size() ? target[i] : "-";
    if (a != b) {
      return "两边记录的数据库迁移不同：SQLite 文件 \"" + a + "\"，PostgreSQL \"" + b +
             "\" (the recorded migrations differ: \"" + a + "\" in the SQLite file, \"" + b +
             "\" in PostgreSQL)";
    }
  }
  return "";
}

std::string first_table_with_rows(soci::session& pg, const std::vector<Table>& tables) {
  for (const Table& t : tables) {
    if (t.name == kMigrationsTable) continue;
    int one = 0;
    soci::indicator ind = soci::i_null;
    pg << "SELECT 1 FROM " + sql_name(t.name) + " LIMIT 1", soci::into(one, ind);
    if (pg.got_data() && ind == soci::i_ok) return t.name;
  }
  return "";
}

// ---- the copy

// Rows of one statement: `rows` x columns text values, each cast to its column's type.
void insert_rows(soci::session& pg, const Table& t, long rows, std::vector<std::string>& values,
                 std::vector<soci::indicator>& inds) {
  std::vector<std::string> names, casts;
  for (const Column& c : t.columns) {
    names.push_back(sql_name(c.name));
    casts.push_back("CAST(:v AS " + c.type + ")");
  }
  const std::string one = "(" + joined(casts, ", ") + ")";
  std::string sql = "INSERT INTO " + sql_name(t.name) + " (" + joined(names, ", ") + ") VALUES ";
  for (long r = 0; r < rows; ++r) sql += (r == 0 ? "" : ", ") + one;
  soci::statement st(pg);
  const std::size_t n = std::size_t(rows) * t.columns.size();
  for (std::size_t i = 0; i < n; ++i) st.exchange(soci::use(values[i], inds[i]));
  st.alloc();
  st.prepare(sql);
  st.define_and_bind();
  st.execute(true);
}

// Reads `columns` of every row of the file's table in key order and hands them to `write` in
// groups of at most `per_statement` rows (values row after row).
template <class Write>
void read_in_groups(soci::session& lite, const Table& t, const std::vector<std::string>& columns,
                    const std::string& where, long per_statement, Write write) {
  std::vector<std::string> selected, order;
  for (const auto& c : columns) selected.push_back("CAST(" + sql_name(c) + " AS TEXT)");
  for (const auto& c : t.primary_key) order.push_back(sql_name(c));
  const std::string sql = "SELECT " + joined(selected, ", ") + " FROM " + sql_name(t.name) + where +
                          (order.empty() ? "" : " ORDER BY " + joined(order, ", "));
  const std::size_t width = columns.size();
  std::vector<std::string> row(width);
  std::vector<soci::indicator> row_inds(width, soci::i_ok);
  soci::statement st(lite);
  for (std::size_t i = 0; i < width; ++i) st.exchange(soci::into(row[i], row_inds[i]));
  st.alloc();
  st.prepare(sql);
  st.define_and_bind();
  st.execute(false);
  std::vector<std::string> values;
  std::vector<soci::indicator> inds;
  long rows = 0;
  while (st.fetch()) {
    for (std::size_t i = 0; i < width; ++i) {
      values.push_back(row_inds[i] == soci::i_null ? std::string() : row[i]);
      inds.push_back(row_inds[i] == soci::i_null ? soci::i_null : soci::i_ok);
    }
    if (++rows == per_statement) {
      write(rows, values, inds);
      values.clear();
      inds.clear();
      rows = 0;
    }
  }
  if (rows > 0) write(rows, values, inds);
}

const Column& column_named(const Table& t, const std::string& name) {
  for (const Column& c : t.columns) {
    if (c.name == name) return c;
  }
  throw StorageError(StorageError::Kind::kQuery, "no column " + name + " in " + t.name);
}

// First pass: every row, its references to its own table left NULL.
void copy_table(soci::session& lite, soci::session& pg, const Table& t,
                const StorageCopyOptions& options) {
  const long batch_rows = options.batch_rows;
  const long long total = options.on_rows ? count_rows(lite, t.name) : 0;
  long long written = 0;
  std::vector<std::string> columns;
  std::vector<std::size_t> deferred;  // positions of self-referencing columns
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    columns.push_back(t.columns[i].name);
    if (std::count(t.self_references.begin(), t.self_references.end(), t.columns[i].name)) {
      deferred.push_back(i);
    }
  }
  const long width = long(columns.size());
  const long per_statement = std::max(1L, std::min(batch_rows, kMaxValuesPerStatement / width));
  read_in_groups(
      lite, t, columns, "", per_statement,
      [&](long rows, std::vector<std::string>& values, std::vector<soci::indicator>& inds) {
        for (long r = 0; r < rows; ++r) {
          for (std::size_t i : deferred) inds[std::size_t(r * width) + i] = soci::i_null;
        }
        insert_rows(pg, t, rows, values, inds);
        written += rows;
        if (options.on_rows) options.on_rows(t.name, written, total);
      });
  // Second pass: the references to the table's own rows, now all there.
  for (const std::string& reference : t.self_references) {
    const Column& key = column_named(t, t.primary_key.front());
    const Column& column = column_named(t, reference);
    read_in_groups(
        lite, t, {key.name, column.name}, " WHERE " + sql_name(column.name) + " IS NOT NULL",
        std::min(batch_rows, kMaxValuesPerStatement / 2),
        [&](long rows, std::vector<std::string>& values, std::vector<soci::indicator>& inds) {
          std::string sql = "UPDATE " + sql_name(t.name) + " SET " + sql_name(column.name) +
                            " = v.x FROM (VALUES ";
          for (long r = 0; r < rows; ++r) {
            sql += std::string(r == 0 ? "" : ", ") + "(CAST(:k AS " + key.type + "), CAST(:x AS " +
                   column.type + "))";
          }
          sql += ") AS v (k, x) WHERE " + sql_name(t.name) + "." + sql_name(key.name) + " = v.k";
          soci::statement st(pg);
          for (std::size_t i = 0; i < values.size(); ++i)
            st.exchange(soci::use(values[i], inds[i]));
          st.alloc();
          st.prepare(sql);
          st.define_and_bind();
          st.execute(true);
        });
  }
}

// Each id sequence past the largest id the table has had (SQLite's AUTOINCREMENT counter
// remembers ids of deleted rows; they are not handed out again either).
void set_sequences(soci::session& pg, const Table& t,
                   const std::map<std::string, long long>& counters) {
  for (const Column& c : t.columns) {
    if (c.sequence.empty()) continue;
    long long largest = 0;
    soci::indicator ind = soci::i_null;
    pg << "SELECT MAX(" + sql_name(c.name) + ") FROM " + sql_name(t.name), soci::into(largest, ind);
    if (ind == soci::i_null) largest = 0;
    const auto counter = counters.find(t.name);
    long long next = std::max(largest, counter == counters.end() ? 0 : counter->second) + 1;
    std::string sequence = c.sequence;
    pg << "SELECT setval(CAST(:s AS regclass), :n, false)", soci::use(sequence), soci::use(next);
  }
}

// SQLite's AUTOINCREMENT counters by table (none when no table has one).
std::map<std::string, long long> autoincrement_counters(soci::session& lite) {
  std::map<std::string, long long> out;
  if (strings(lite, "SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'").empty()) {
    return out;
  }
  for (const auto& line : strings(lite, "SELECT name || ' ' || seq FROM sqlite_sequence")) {
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stoll(line.substr(space + 1));
  }
  return out;
}

StorageCopyResult refusal(std::string sentence) {
  StorageCopyResult r;
  r.refused = std::move(sentence);
  return r;
}

}  // namespace

std::vector<std::string> foreign_key_order(const std::vector<std::string>& tables,
                                           const std::vector<TableReference>& references,
                                           std::vector<std::string>& ring) {
  std::map<std::string, std::set<std::string>> waits_for;
  for (const auto& r : references) {
    if (r.table != r.references) waits_for[r.table].insert(r.references);
  }
  std::vector<std::string> order, left = tables;
  for (bool progress = true; progress && !left.empty();) {
    progress = false;
    for (auto it = left.begin(); it != left.end(); ++it) {
      bool ready = true;
      for (const auto& needed : waits_for[*it]) {
        ready = ready && std::find(left.begin(), left.end(), needed) == left.end();
      }
      if (!ready) continue;
      order.push_back(*it);
      left.erase(it);
      progress = true;
      break;
    }
  }
  ring = left;
  return order;
}

StorageCopyResult copy_sqlite_to_postgresql(const fs::path& sqlite_file,
                                            std::string_view postgresql_url,
                                            const StorageCopyOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(sqlite_file, ec)) {
    return refusal("找不到 SQLite 文件 " + sqlite_file.string() + " (no SQLite file " +
                   sqlite_file.string() + ")");
  }
  SqliteDaemonLock lock(sqlite_file);
  if (lock.held_elsewhere()) {
    return refusal("fangfand 正在使用 " + sqlite_file.string() + "（锁文件 " + lock.path() +
                   " 被占用）：先停止它，再复制 (a fangfand is using " + sqlite_file.string() +
                   " (it holds " + lock.path() + "): stop it, then copy)");
  }
  if (!lock.taken()) return refusal(lock.error());

  const Database file = Database::open("sqlite3://" + sqlite_file.string());
  const auto lite = file.open_session();
  soci::transaction reading(*lite);  // one snapshot of the file; rolled back, never written
  const int version = current_schema_version(*lite);
  if (version != latest_schema_version()) {
    const std::string v = std::to_string(version), n = std::to_string(latest_schema_version());
    return refusal(
        version < latest_schema_version()
            ? "SQLite 文件的数据库结构版本是 " + v + "，本程序的是 " + n +
                  "：先用本版本的 fangfand 在这个文件上启动一次（它会迁移文件），停止后再复制 "
                  "(the SQLite file's schema version is " +
                  v + ", this fangfanctl's is " + n +
                  ": start fangfand of this version once on the file, which migrates it, stop it, "
                  "then copy)"
            : "SQLite 文件的数据库结构版本 " + v + " 比本程序的 " + n +
                  " 新：请用与它同版本的 fangfanctl 复制 (the SQLite file's schema version " + v +
                  " is newer than this fangfanctl's " + n +
                  ": copy with the fangfanctl of its version)");
  }

  const Database target = Database::open(postgresql_url);
  if (target.dialect() != Dialect::kPostgresql) {
    return refusal("目标必须是 PostgreSQL 数据库 (the target must be a PostgreSQL database)");
  }
  migrate(target, options.now);
  const auto pg = target.open_session();
  return guarded(
      "复制到 PostgreSQL 失败，已全部撤销 (copying to PostgreSQL failed; everything "
      "was rolled back)",
      [&]() -> StorageCopyResult {
        WriteTransaction tx(*pg);
        std::vector<Table> tables = postgresql_tables(*pg);
        std::vector<std::string> names;
        for (const Table& t : tables) names.push_back(sql_name(t.name));
        // No daemon on the target writes between the check and the commit.
        *pg << "LOCK TABLE " + joined(names, ", ") + " IN EXCLUSIVE MODE";
        if (auto d = schema_difference(*lite, tables); !d.empty()) return refusal(d);
        if (auto d = migrations_difference(*lite, *pg); !d.empty()) return refusal(d);
        if (auto t = first_table_with_rows(*pg, tables); !t.empty()) {
          return refusal("目标数据库不是空的：表 " + t +
                         " 已有数据；只能复制到空的 PostgreSQL 数据库 (the target "
                         "database is not empty: table " +
                         t + " has rows; copy only into an empty PostgreSQL database)");
        }

        std::vector<TableReference> references;
        for (const ForeignKey& k : postgresql_foreign_keys(*pg)) {
          references.push_back({k.table, k.references});
          if (k.table != k.references) continue;
          for (Table& t : tables) {
            if (t.name != k.table) continue;
            if (k.columns != 1 || t.primary_key.size() != 1) {
              return refusal("表 " + t.name + " 引用自身的外键不止一列，无法复制 (table " + t.name +
                             " references itself with a key of several columns; not "
                             "copied)");
            }
            t.self_references.push_back(k.column);
          }
        }
        std::vector<std::string> plain, ring;
        for (const Table& t : tables) plain.push_back(t.name);
        const auto order = foreign_key_order(plain, references, ring);
        if (!ring.empty()) {
          return refusal("这些表的外键互相引用，无法排出复制顺序：" + joined(ring, ", ") +
                         " (these tables reference each other in a ring; no copy "
                         "order: " +
                         joined(ring, ", ") + ")");
        }

        StorageCopyResult result;
        result.schema_version = version;
        const auto counters = autoincrement_counters(*lite);
        *pg << "DELETE FROM " + sql_name(kMigrationsTable);
        for (const std::string& name : order) {
          const Table& t = *std::find_if(tables.begin(), tables.end(),
                                         [&](const Table& x) { return x.name == name; });
          copy_table(*lite, *pg, t, options);
          set_sequences(*pg, t, counters);
          TableCopied copied{name, count_rows(*lite, name), count_rows(*pg, name)};
          if (copied.source_rows != copied.target_rows) {
            return refusal("表 " + name + " 复制后行数不一致（SQLite " +
                           std::to_string(copied.source_rows) + " 行，PostgreSQL " +
                           std::to_string(copied.target_rows) + " 行），已全部撤销 (table " + name +
                           ": " + std::to_string(copied.source_rows) + " rows in SQLite, " +
                           std::to_string(copied.target_rows) +
                           " in PostgreSQL after the copy; everything was rolled back)");
          }
          if (options.on_table) options.on_table(copied);
          result.tables.push_back(std::move(copied));
        }
        tx.commit();
        return result;
      });
}

}  // namespace fangfan
