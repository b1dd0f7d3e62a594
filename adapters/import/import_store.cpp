#include "adapters/import/import_store.h"

#include <boost/json/parse.hpp>

#include "adapters/import/import_table.h"
#include "adapters/storage/database.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan {
namespace {

namespace json = boost::json;
using storage_detail::fetch_all;
using storage_detail::fetch_one;
using storage_detail::Kept;
using storage_detail::Prepared;

// The per-row statements of a step (importer.h), kept prepared for the session
// (adapters/storage/prepared.h): prepared at each use, these three took ~28% of a step's CPU
// in a profile of import_bench (visits), kept ~10%.
struct InsertImportRow {
  long long run = 0, line = 0, case_id = 0;
  soci::indicator case_ind = soci::i_null;
  std::string key, status, field, reason, raw;
  static std::string sql() {
    return "INSERT INTO import_rows (run_id, line, row_key, status, field, reason, raw, case_id)"
           " VALUES (:r, :l, :k, :s, :f, :why, :raw, :c)";
  }
  void bind(Prepared& p) {
    p, soci::use(run), soci::use(line), soci::use(key), soci::use(status), soci::use(field),
        soci::use(reason), soci::use(raw), soci::use(case_id, case_ind);
  }
};

struct AppliedKeyOf {
  std::string key;
  long long run = 0, line = 0, case_id = 0;
  soci::indicator case_ind = soci::i_null;
  static std::string sql() {
    return "SELECT run_id, line, case_id FROM import_applied WHERE row_key = :k";
  }
  void bind(Prepared& p) {
    p, soci::use(key), soci::into(run), soci::into(line), soci::into(case_id, case_ind);
  }
};

struct InsertAppliedKey {
  std::string key;
  long long run = 0, line = 0, case_id = 0, when = 0;
  soci::indicator case_ind = soci::i_null;
  static std::string sql() {
    return "INSERT INTO import_applied (row_key, run_id, line, case_id, applied_at)"
           " VALUES (:k, :r, :l, :c, :t)";
  }
  void bind(Prepared& p) {
    p, soci::use(key), soci::use(run), soci::use(line), soci::use(case_id, case_ind),
        soci::use(when);
  }
};

long long seconds(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint from_seconds(long long s) { return TimePoint{std::chrono::seconds(s)}; }

struct RunRow {
  long long id = 0, started = 0, finished = 0;
  soci::indicator finished_ind = soci::i_null;
  int total = 0, applied = 0, duplicate = 0, bad = 0;
  std::string file_name, sha256, kind, format, actor, scope, header;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(file_name), soci::into(sha256), soci::into(kind),
        soci::into(format), soci::into(actor), soci::into(scope), soci::into(header),
        soci::into(started), soci::into(finished, finished_ind), soci::into(total),
        soci::into(applied), soci::into(duplicate), soci::into(bad);
  }
  ImportRunRecord record() const {
    ImportRunRecord r;
    r.id = id;
    r.file_name = file_name;
    r.sha256 = sha256;
    r.kind = kind;
    r.format = format;
    r.actor = actor;
    r.scope = scope;
    r.header = header;
    r.started_at = from_seconds(started);
    if (finished_ind == soci::i_ok) r.finished_at = from_seconds(finished);
    r.rows_total = total;
    r.rows_applied = applied;
    r.rows_duplicate = duplicate;
    r.rows_bad = bad;
    return r;
  }
};

struct RowRow {
  long long run_id = 0, case_id = 0;
  soci::indicator case_ind = soci::i_null;
  long long line = 0;
  std::string row_key, status, field, reason, raw;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(run_id), soci::into(line), soci::into(row_key), soci::into(status),
        soci::into(field), soci::into(reason), soci::into(raw), soci::into(case_id, case_ind);
  }
  ImportRowRecord record() const {
    ImportRowRecord r;
    r.run_id = run_id;
    r.line = line;
    r.row_key = row_key;
    r.status = status;
    r.field = field;
    r.reason = reason;
    r.raw = raw;
    if (case_ind == soci::i_ok) r.case_id = case_id;
    return r;
  }
};

constexpr const char* kRunColumns =
    "SELECT id, file_name, sha256, kind, format, actor, scope, header, started_at, finished_at,"
    " rows_total, rows_applied, rows_duplicate, rows_bad FROM import_runs";
constexpr const char* kRowColumns =
    "SELECT run_id, line, row_key, status, field, reason, raw, case_id FROM import_rows";

}  // namespace

std::int64_t insert_import_run(soci::session& s, const ImportRunRecord& run) {
  return guarded("保存导入记录失败 (saving the import run failed)", [&] {
    const long long started = seconds(run.started_at);
    long long id = 0;
    if (dialect_of(s) == Dialect::kPostgresql) {
      s << "INSERT INTO import_runs (file_name, sha256, kind, format, actor, scope, header,"
           " started_at, rows_total) VALUES (:f, :h, :k, :fmt, :a, :s, :hd, :t, :n) RETURNING id",
          soci::use(run.file_name), soci::use(run.sha256), soci::use(run.kind),
          soci::use(run.format), soci::use(run.actor), soci::use(run.scope), soci::use(run.header),
          soci::use(started), soci::use(run.rows_total), soci::into(id);
    } else {
      s << "INSERT INTO import_runs (file_name, sha256, kind, format, actor, scope, header,"
           " started_at, rows_total) VALUES (:f, :h, :k, :fmt, :a, :s, :hd, :t, :n)",
          soci::use(run.file_name), soci::use(run.sha256), soci::use(run.kind),
          soci::use(run.format), soci::use(run.actor), soci::use(run.scope), soci::use(run.header),
          soci::use(started), soci::use(run.rows_total);
      s << "SELECT last_insert_rowid()", soci::into(id);
    }
    return static_cast<std::int64_t>(id);
  });
}

void finish_import_run(soci::session& s, const ImportRunRecord& run) {
  guarded("更新导入记录 " + std::to_string(run.id) + " 失败 (updating import run " +
              std::to_string(run.id) + " failed)",
          [&] {
            const long long finished = seconds(run.finished_at.value_or(run.started_at));
            const long long id = run.id;
            s << "UPDATE import_runs SET finished_at = :f, rows_total = :t, rows_applied = :a,"
                 " rows_duplicate = :d, rows_bad = :b WHERE id = :id",
                soci::use(finished), soci::use(run.rows_total), soci::use(run.rows_applied),
                soci::use(run.rows_duplicate), soci::use(run.rows_bad), soci::use(id);
          });
}

void store_import_counts(soci::session& s, const ImportRunRecord& run) {
  guarded("更新导入记录 " + std::to_string(run.id) + " 失败 (updating import run " +
              std::to_string(run.id) + " failed)",
          [&] {
            const long long id = run.id;
            s << "UPDATE import_runs SET rows_applied = :a, rows_duplicate = :d, rows_bad = :b"
                 " WHERE id = :id",
                soci::use(run.rows_applied), soci::use(run.rows_duplicate), soci::use(run.rows_bad),
                soci::use(id);
          });
}

std::optional<ImportRunRecord> load_import_run(soci::session& s, std::int64_t id) {
  return guarded("读取导入记录失败 (reading the import run failed)", [&] {
    RunRow row;
    const long long key = id;
    auto p = (s.prepare << kRunColumns << " WHERE id = :id", soci::use(key));
    row.bind(p);
    return fetch_one(p, row);
  });
}

void insert_import_row(soci::session& s, const ImportRowRecord& row) {
  guarded("保存导入行失败 (saving an import row failed)", [&] {
    Kept<InsertImportRow> q(s);
    q->run = row.run_id;
    q->line = row.line;
    q->case_id = row.case_id.value_or(0);
    q->case_ind = row.case_id ? soci::i_ok : soci::i_null;
    q->key = row.row_key;
    q->status = row.status;
    q->field = row.field;
    q->reason = row.reason;
    q->raw = row.raw;
    q.execute();
  });
}

std::vector<ImportRowRecord> load_import_rows(soci::session& s, std::int64_t run_id,
                                              std::optional<std::string_view> status) {
  return guarded("读取导入行失败 (reading import rows failed)", [&] {
    RowRow row;
    const long long run = run_id;
    const std::string wanted(status.value_or(""));
    auto p = (s.prepare << kRowColumns
                        << " WHERE run_id = :r AND (:s1 = '' OR status = :s2) ORDER BY line",
              soci::use(run), soci::use(wanted), soci::use(wanted));
    row.bind(p);
    return fetch_all(p, row);
  });
}

std::optional<ImportRowRecord> load_import_row(soci::session& s, std::int64_t run_id,
                                               std::int64_t line) {
  return guarded("读取导入行失败 (reading import rows failed)", [&] {
    RowRow row;
    const long long run = run_id, at = line;
    auto p = (s.prepare << kRowColumns << " WHERE run_id = :r AND line = :l", soci::use(run),
              soci::use(at));
    row.bind(p);
    auto rows = fetch_all(p, row);
    return rows.empty() ? std::nullopt : std::optional<ImportRowRecord>(std::move(rows.front()));
  });
}

std::optional<AppliedKey> find_applied_key(soci::session& s, std::string_view row_key) {
  return guarded("读取已导入记录失败 (reading applied import rows failed)", [&] {
    Kept<AppliedKeyOf> q(s);
    q->key = row_key;
    q->case_ind = soci::i_null;
    if (!q.execute()) return std::optional<AppliedKey>();
    AppliedKey found;
    found.run_id = q->run;
    found.line = q->line;
    if (q->case_ind == soci::i_ok) found.case_id = q->case_id;
    return std::optional<AppliedKey>(found);
  });
}

void insert_applied_key(soci::session& s, std::string_view row_key, std::int64_t run_id,
                        std::int64_t line_number, std::optional<std::int64_t> case_id,
                        TimePoint at) {
  guarded("登记已导入的行失败 (recording an applied import row failed)", [&] {
    Kept<InsertAppliedKey> q(s);
    q->key = row_key;
    q->run = run_id;
    q->line = line_number;
    q->case_id = case_id.value_or(0);
    q->case_ind = case_id ? soci::i_ok : soci::i_null;
    q->when = seconds(at);
    q.execute();
  });
}

std::string bad_rows_csv(const ImportRunRecord& run, const std::vector<ImportRowRecord>& bad) {
  std::vector<std::string> header;
  boost::system::error_code ec;
  const json::value parsed_header = json::parse(run.header, ec);
  if (!ec && parsed_header.is_array()) {
    for (const auto& h : parsed_header.get_array()) {
      header.push_back(h.is_string() ? std::string(h.get_string()) : std::string());
    }
  }
  std::string out = "\xEF\xBB\xBF";
  auto write_line = [&out](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_field(cells[i]);
    }
    out += "\r\n";
  };
  std::vector<std::string> first = {"行号"};
  first.insert(first.end(), header.begin(), header.end());
  first.push_back("错误列");
  first.push_back("错误原因");
  write_line(first);
  for (const auto& row : bad) {
    std::vector<std::string> cells = {std::to_string(row.line)};
    const json::value raw = json::parse(row.raw, ec);
    const json::object* o = !ec && raw.is_object() ? &raw.get_object() : nullptr;
    for (std::size_t i = 0; i < header.size(); ++i) {
      // Keys are the headers; a repeated or empty header is stored as "#<column>".
      const json::value* v = o ? o->if_contains("#" + std::to_string(i + 1)) : nullptr;
      if (v == nullptr && o) v = o->if_contains(header[i]);
      cells.push_back(v && v->is_string() ? std::string(v->get_string()) : std::string());
    }
    cells.push_back(row.field);
    cells.push_back(row.reason);
    write_line(cells);
  }
  return out;
}

}  // namespace fangfan
