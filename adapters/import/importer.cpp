#include "adapters/import/importer.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <set>
#include <stdexcept>

#include "adapters/import/import_table.h"
#include "adapters/import/table_stream.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "workflows/case_codes.h"
#include "workflows/date.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

namespace json = boost::json;

// A bad row: the column (its key in import_columns.h) and the sentence.
struct Bad {
  std::string_view column;
  std::string reason;
};

// The column a refusal of the case rules is about: from the field it names when it names one,
// else from the words of its sentence; the household code when neither says.
std::string_view refusal_column(ImportKind kind, const Refusal& refusal) {
  if (!refusal.field.empty()) {
    return column_of_field(kind, refusal.field).value_or("household_code");
  }
  const std::string_view reason = refusal.reason.empty() ? refusal.message : refusal.reason;
  struct Hint {
    std::string_view word;
    std::string_view column;
  };
  static const std::vector<Hint> kVisits = {
      {"走访日期", "visit_date"}, {"日期", "visit_date"},   {"走访人", "officer"},
      {"帮扶责任人", "officer"},  {"走访发现", "findings"}, {"走访内容", "findings"},
  };
  static const std::vector<Hint> kCases = {
      {"身份证", "id_number"},      {"电话", "phone"},      {"户主", "head_name"},
      {"姓名", "head_name"},        {"村", "village_code"}, {"类型", "kind"},
      {"风险", "risk_causes"},      {"来源", "source"},     {"先帮扶", "emergency_reason"},
      {"劳动能力", "able_to_work"},
  };
  for (const Hint& h : kind == ImportKind::kVisits ? kVisits : kCases) {
    if (reason.find(h.word) != std::string_view::npos) return h.column;
  }
  return "household_code";
}

std::optional<bool> parse_yes_no(std::string_view text) {
  static const std::array<std::string_view, 9> kYes = {"是",   "y", "Y",  "yes",       "Yes",
                                                       "true", "1", "有", "有劳动能力"};
  static const std::array<std::string_view, 11> kNo = {
      "否", "n", "N", "no", "No", "false", "0", "无", "无劳动能力", "丧失劳动能力", "弱劳动能力"};
  for (auto y : kYes) {
    if (text == y) return true;
  }
  for (auto n : kNo) {
    if (text == n) return false;
  }
  return std::nullopt;
}

// Splits "因病、因学" (or with , ， ; ； / or spaces) into its parts.
std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    std::string t = trim_cell(current);
    if (!t.empty()) out.push_back(t);
    current.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    bool sep = false;
    for (std::string_view s : {"、", "，", "；", ",", ";", "/", " "}) {
      if (text.substr(i, s.size()) == s) {
        flush();
        i += s.size();
        sep = true;
        break;
      }
    }
    if (!sep) current += text[i++];
  }
  flush();
  return out;
}

std::string missing(const ColumnMap& columns, std::string_view key) {
  const std::string h = columns.header_of(key);
  return "缺少" + h + " (" + h + " is empty)";
}

// One run: the per-row work and its bookkeeping.
class RunImporter {
 public:
  RunImporter(soci::session& s, const CaseUnitOfWork& cases, const ImportRequest& req,
              const ColumnMap& columns, std::int64_t run_id)
      : s_(&s),
        cases_(cases),
        config_(cases.config()),
        clock_(cases.clock()),
        req_(req),
        columns_(columns),
        run_id_(run_id),
        today_(china_date(clock_.now())) {}

  void use(soci::session& s) { s_ = &s; }

  ImportRowRecord import_row(const ImportRow& given, std::string raw) {
    ImportRowRecord out;
    out.run_id = run_id_;
    out.line = given.line;
    out.raw = std::move(raw);
    // The rules of every way in (text_rules.h), before any sentence quotes a cell.
    ImportRow row = given;
    if (auto refused = normalize_row_text(req_.kind, columns_, row.cells)) {
      const std::string h = columns_.header_of(refused->column);
      return mark_bad(
          std::move(out),
          Bad{refused->column, h + "含有不允许的字符：" + describe_text_fault(refused->fault)});
    }
    std::variant<OpenCase, RecordVisit, Bad> plan =
        req_.kind == ImportKind::kVisits ? plan_visit(row, out) : plan_case(row, out);
    if (auto* bad = std::get_if<Bad>(&plan)) return mark_bad(std::move(out), *bad);
    if (auto dup = find_applied_key(*s_, out.row_key)) {
      return mark_repeat(std::move(out), *dup, row);
    }
    return apply(std::move(out), std::move(plan));
  }

 private:
  std::string cell(const ImportRow& row, std::string_view key) const {
    return std::string(columns_.cell(key, row.cells));
  }

  ImportRowRecord mark_bad(ImportRowRecord out, const Bad& bad) const {
    out.status = "bad";
    out.field = columns_.header_of(bad.column);
    out.reason = bad.reason;
    return out;
  }

  ImportRowRecord mark_duplicate(ImportRowRecord out, const AppliedKey& where) const {
    out.status = "duplicate";
    out.case_id = where.case_id;
    const std::string run = std::to_string(where.run_id), line = std::to_string(where.line);
    out.reason = "已由导入 " + run + " 第 " + line +
                 " 行登记，未重复登记 (already applied by import " + run + ", line " + line +
                 "; not applied again)";
    return out;
  }

  // A row whose key was applied before: a duplicate when it says what that row said, else a
  // bad row naming the line it conflicts with (import_columns.h, conflict_reason).
  ImportRowRecord mark_repeat(ImportRowRecord out, const AppliedKey& where, const ImportRow& row) {
    const auto earlier = load_import_row(*s_, where.run_id, where.line);
    const auto differ = earlier ? differing_columns(req_.kind, columns_, row.cells, earlier->raw)
                                : std::vector<std::string_view>{};
    if (differ.empty()) return mark_duplicate(std::move(out), where);
    const std::optional<std::int64_t> run =
        where.run_id == run_id_ ? std::nullopt : std::optional(where.run_id);
    return mark_bad(std::move(out),
                    Bad{differ.front(), conflict_reason(columns_, differ, run, where.line)});
  }

  // The ID number cell, normalised, or the problem with it.
  std::variant<std::string, Bad> id_number(const ImportRow& row) const {
    const std::string id = normalize_id_number(cell(row, "id_number"));
    if (id.empty()) return id;
    if (auto problem = id_number_problem(id, today_)) {
      return Bad{"id_number", *problem + " (the ID number is not valid)"};
    }
    return id;
  }

  std::optional<Bad> scope_problem(std::string_view column, const std::string& village) const {
    if (req_.covers && req_.covers(village)) return std::nullopt;
    return Bad{column, "所在村 " + village + " 不在你的令牌范围 " + req_.scope +
                           " 内，未导入 (outside your scope: village " + village +
                           " is not covered by your token's scope " + req_.scope + ")"};
  }

  std::variant<OpenCase, RecordVisit, Bad> plan_visit(const ImportRow& row, ImportRowRecord& out) {
    const std::string code = cell(row, "household_code");
    const std::string date_text = cell(row, "visit_date");
    const std::string officer = cell(row, "officer");
    const std::string findings = cell(row, "findings");
    const std::string head = cell(row, "head_name");
    visit_household_ = code;
    out.row_key = "visits|" + code + "|" + date_text + "|" + officer;
    if (code.empty()) return Bad{"household_code", missing(columns_, "household_code")};
    if (date_text.empty()) return Bad{"visit_date", missing(columns_, "visit_date")};
    const std::optional<Date> date = parse_import_date(date_text);
    if (!date) {
      return Bad{"visit_date", "“" + date_text +
                                   "”不是有效日期，请写作 YYYY-MM-DD (not a valid date; write "
                                   "YYYY-MM-DD)"};
    }
    out.row_key = "visits|" + code + "|" + format_date(*date) + "|" + officer;
    if (officer.empty()) return Bad{"officer", missing(columns_, "officer")};
    if (findings.empty()) return Bad{"findings", missing(columns_, "findings")};
    auto id = id_number(row);
    if (auto* bad = std::get_if<Bad>(&id)) return *bad;

    const auto household = load_household(*s_, code);
    if (!household) {
      return Bad{"household_code",
                 "户编码 " + code + " 不存在，请先建档 (there is no household " + code + ")"};
    }
    if (auto bad = scope_problem("household_code", household->village_code)) return *bad;
    if (!head.empty() && head != household->head_name) {
      return Bad{"head_name", "户主姓名与户编码 " + code +
                                  " 登记的户主不一致 (the head's name does not match household " +
                                  code + ")"};
    }
    if (const std::string& number = std::get<std::string>(id); !number.empty()) {
      bool member = false;
      for (const auto& m : load_members(*s_, code)) member = member || m.id_number == number;
      if (!member) {
        return Bad{"id_number", "身份证号不是户编码 " + code +
                                    " 的家庭成员 (the ID number is not a member of household " +
                                    code + ")"};
      }
    }
    RecordVisit e;
    e.meta = meta();
    e.date = *date;
    e.officer = officer;
    e.findings = findings;
    return e;
  }

  std::variant<OpenCase, RecordVisit, Bad> plan_case(const ImportRow& row, ImportRowRecord& out) {
    const std::string code = cell(row, "household_code");
    out.row_key = "cases|" + code;
    if (code.empty()) return Bad{"household_code", missing(columns_, "household_code")};
    const std::string village = cell(row, "village_code");
    if (village.empty()) return Bad{"village_code", missing(columns_, "village_code")};
    if (config_.find_village(village) == nullptr) {
      return Bad{"village_code", "村编码 " + village + " 不在本县的配置中 (village " + village +
                                     " is not in the configuration)"};
    }
    if (auto bad = scope_problem("village_code", village)) return *bad;
    Member head;
    head.relation = Relation::kHead;
    head.name = cell(row, "head_name");
    if (head.name.empty()) return Bad{"head_name", missing(columns_, "head_name")};
    auto id = id_number(row);
    if (auto* bad = std::get_if<Bad>(&id)) return *bad;
    head.id_number = std::get<std::string>(id);
    if (head.id_number.empty()) return Bad{"id_number", missing(columns_, "id_number")};
    if (const std::string work = cell(row, "able_to_work"); !work.empty()) {
      auto yes = parse_yes_no(work);
      if (!yes) return Bad{"able_to_work", "“" + work + "”应为 是 或 否 (must be yes or no)"};
      head.able_to_work = *yes;
    }

    OpenCase e;
    e.meta = meta();
    e.meta.reason = cell(row, "reason");
    e.household.code = code;
    e.household.village_code = village;
    e.household.phone = cell(row, "phone");
    if (e.household.phone.empty()) return Bad{"phone", missing(columns_, "phone")};
    e.household.members.push_back(std::move(head));

    const std::string kind = cell(row, "kind");
    if (kind.empty()) return Bad{"kind", missing(columns_, "kind")};
    std::string kinds;
    for (const auto& k : config_.rules.case_kinds) {
      if (k.code == kind || k.name == kind) e.kind = k.code;
      kinds += (kinds.empty() ? "" : "、") + k.name;
    }
    if (e.kind.empty()) {
      return Bad{"kind", "“" + kind + "”不是已配置的监测对象类型，可选：" + kinds +
                             " (not a configured case kind)"};
    }
    const std::string source = cell(row, "source");
    if (source.empty()) return Bad{"source", missing(columns_, "source")};
    auto parsed_source = parse_code<DiscoverySource>(source);
    if (!parsed_source) {
      std::string labels;
      for (const auto& entry : CodeTable<DiscoverySource>::kEntries) {
        labels += (labels.empty() ? "" : "、") + std::string(entry.label);
      }
      return Bad{"source",
                 "“" + source + "”不是已知的信息来源，可选：" + labels + " (not a known source)"};
    }
    e.source = *parsed_source;
    for (const std::string& cause : split_list(cell(row, "risk_causes"))) {
      auto parsed = parse_code<RiskCause>(cause);
      if (!parsed) {
        std::string labels;
        for (const auto& entry : CodeTable<RiskCause>::kEntries) {
          labels += (labels.empty() ? "" : "、") + std::string(entry.label);
        }
        return Bad{"risk_causes", "“" + cause + "”不是已知的风险类型，可选：" + labels +
                                      " (not a known risk cause)"};
      }
      e.risk_causes.push_back(*parsed);
    }
    if (const std::string emergency = cell(row, "emergency"); !emergency.empty()) {
      auto yes = parse_yes_no(emergency);
      if (!yes) {
        return Bad{"emergency", "“" + emergency + "”应为 是 或 否 (must be yes or no)"};
      }
      e.emergency = *yes;
    }
    e.emergency_reason = cell(row, "emergency_reason");
    return e;
  }

  EventMeta meta() const {
    EventMeta m;
    m.actor = req_.actor;
    m.at = clock_.now();
    return m;
  }

  ImportRowRecord apply(ImportRowRecord out, std::variant<OpenCase, RecordVisit, Bad> plan) {
    bool recorded = false;
    const TimePoint now = clock_.now();
    // Runs after the deadline hook, in the same transaction as the case change.
    const CaseChangeHook record = [&](soci::session& s, const CaseChange& change) {
      if (recorded) return;  // a change opening a second case: the row is recorded once
      recorded = true;
      insert_applied_key(s, out.row_key, run_id_, out.line, change.case_id, now);
      ImportRowRecord applied = out;
      applied.status = "applied";
      applied.case_id = change.case_id;
      insert_import_row(s, applied);
    };
    std::optional<Refusal> refusal;
    std::optional<std::int64_t> case_id;
    // The row's own savepoint in the step's transaction (ImportJob::step): whatever the row
    // wrote before it was refused or failed goes back with it, the rows before it stay.
    Savepoint row(*s_, "import_row");
    try {
      if (auto* open = std::get_if<OpenCase>(&plan)) {
        OpenResult r = cases_.open_case_in(*s_, std::move(*open), record);
        if (auto* ch = std::get_if<CaseChange>(&r)) case_id = ch->case_id;
        if (auto* no = std::get_if<Refusal>(&r)) refusal = *no;
      } else {
        const std::string& code = visit_household_;
        std::optional<std::int64_t> target;
        for (const CaseRecord& c : load_cases_of_household(*s_, code)) {
          if (case_in_progress(c.state)) target = c.id;  // oldest first: the last one is the newest
        }
        if (!target) {
          undo(row);
          return mark_bad(
              std::move(out),
              Bad{"household_code", "户编码 " + code + " 没有进行中的监测案件 (household " + code +
                                        " has no case in progress)"});
        }
        ApplyResult r =
            cases_.apply_in(*s_, *target, std::get<RecordVisit>(plan), std::nullopt, record);
        if (auto* ch = std::get_if<CaseChange>(&r)) case_id = ch->case_id;
        if (auto* no = std::get_if<Refusal>(&r)) refusal = *no;
        if (auto* stale = std::get_if<StaleVersion>(&r)) {
          undo(row);
          return mark_bad(std::move(out), Bad{"household_code", stale->message});
        }
        if (auto* gone = std::get_if<CaseNotFound>(&r)) {
          undo(row);
          return mark_bad(std::move(out), Bad{"household_code", gone->message});
        }
      }
    } catch (const StorageError& e) {
      // Another import applied the same row between our check and our insert (PostgreSQL: it
      // committed while ours waited on the key): the unique key refused ours. Back to the row's
      // savepoint first: PostgreSQL answers nothing else in a transaction after an error.
      if (e.kind() != StorageError::Kind::kConstraint) throw;
      undo(row);
      auto dup = find_applied_key(*s_, out.row_key);
      if (!dup) throw;
      return mark_duplicate(std::move(out), *dup);
    }
    if (refusal) {
      undo(row);
      return mark_bad(std::move(out), Bad{refusal_column(req_.kind, *refusal),
                                          refusal->message + " (refused by the case rules)"});
    }
    row.release();
    out.status = "applied";
    out.case_id = case_id;
    return out;
  }

  // Undoes a row that was not applied (a refusal may leave writes behind: case_repository.h's
  // open_case_in). A savepoint that cannot be rolled back leaves the step's transaction broken.
  static void undo(Savepoint& row) {
    if (!row.rollback()) {
      throw StorageError(StorageError::Kind::kUnavailable,
                         "撤销导入行失败，本批未保存 (rolling back an import row failed; nothing "
                         "of its step was saved)");
    }
  }

  soci::session* s_;  // the session of the current step (ImportJob::step)
  const CaseUnitOfWork& cases_;
  const Config& config_;
  const Clock& clock_;
  const ImportRequest& req_;
  const ColumnMap& columns_;
  std::int64_t run_id_;
  Date today_;
  std::string visit_household_;  // the household code of the visit row being imported
};

// The row's cells as a JSON object keyed by the file's headers ("#N" for column N when its
// header is empty or repeated, or the cell lies beyond the header).
std::string raw_json(const std::vector<std::string>& header, const ImportRow& row) {
  json::object o;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < row.cells.size(); ++i) {
    std::string key = i < header.size() ? header[i] : std::string();
    if (key.empty() || !seen.insert(key).second) key = "#" + std::to_string(i + 1);
    o[key] = row.cells[i];
  }
  return json::serialize(o);
}

}  // namespace

struct ImportJob::State {
  State(const CaseUnitOfWork& c, const ImportRequest& r, ColumnMap m)
      : cases(c), request(r), columns(std::move(m)) {}

  const CaseUnitOfWork& cases;
  const ImportRequest& request;
  ColumnMap columns;
  std::unique_ptr<TableStream> rows;
  std::optional<RunImporter> importer;
  ImportOutcome outcome;
  std::size_t bad_kept = 0;
  TableRow row;
  bool done = false;
  bool failed = false;  // a step threw: its rows were rolled back, the job cannot go on
};

ImportJob::ImportJob(std::unique_ptr<State> state) : state_(std::move(state)) {}
ImportJob::~ImportJob() = default;

std::variant<std::unique_ptr<ImportJob>, ImportFileError> ImportJob::start(
    soci::session& session, const CaseUnitOfWork& cases, const ImportRequest& request) {
  // First pass: the file reads to its end (a file that turns bad half-way is refused as a
  // whole, nothing stored) and its rows are counted. The stream holds one chunk at a time.
  auto first = open_table_view(request.bytes);
  if (auto* problem = std::get_if<std::string>(&first)) return ImportFileError{*problem};
  TableStream& counting = *std::get<std::unique_ptr<TableStream>>(first);
  std::int64_t rows_total = 0;
  TableRow row;
  while (counting.next(row)) ++rows_total;
  if (counting.error()) return ImportFileError{*counting.error()};
  auto mapped = map_columns(request.kind, counting.header());
  if (auto* problem = std::get_if<std::string>(&mapped)) return ImportFileError{*problem};
  auto state = std::make_unique<State>(cases, request, std::get<ColumnMap>(std::move(mapped)));

  ImportRunRecord& run = state->outcome.run;
  run.file_name = request.file_name;
  run.sha256 = sha256_hex(request.bytes);
  run.kind = std::string(import_kind_name(request.kind));
  run.format = counting.format();  // as decided by the end of the file
  run.actor = request.actor;
  run.scope = request.scope;
  json::array header;
  for (const auto& h : counting.header()) header.emplace_back(h);
  run.header = json::serialize(header);
  run.started_at = cases.clock().now();
  run.rows_total = static_cast<int>(rows_total);
  {
    WriteTransaction tx(session);
    run.id = insert_import_run(session, run);
    tx.commit();
  }
  spdlog::info("import.started id={} kind={} format=\"{}\" rows={} by=\"{}\"", run.id, run.kind,
               run.format, run.rows_total, run.actor);

  // Second pass, step by step: each row as it is read.
  state->rows = std::move(std::get<std::unique_ptr<TableStream>>(open_table_view(request.bytes)));
  state->importer.emplace(session, cases, request, state->columns, run.id);
  return std::unique_ptr<ImportJob>(new ImportJob(std::move(state)));
}

bool ImportJob::step(soci::session& session, std::size_t rows) {
  State& st = *state_;
  if (st.done) return true;
  if (st.failed) {
    throw std::logic_error("ImportJob::step after a step that threw: import the file again");
  }
  ImportRunRecord& run = st.outcome.run;
  st.importer->use(session);
  // The step's rows in ONE transaction (group commit, issue 15): each row under its own
  // savepoint (RunImporter::apply), the rows not applied and the run's counts so far written
  // with them, one commit (one fsync on SQLite) for the step. A throw anywhere rolls the whole
  // step back: the rows of earlier steps stay, a re-run skips them by their keys. The job's
  // memory has gone past the rolled-back rows then, so it cannot go on.
  WriteTransaction tx(session);
  st.failed = true;  // until the commit: the job's memory runs ahead of what is stored
  bool end = false;
  for (std::size_t n = 0; n < rows; ++n) {
    if (!st.rows->next(st.row)) {
      end = true;
      break;
    }
    ImportRowRecord done = st.importer->import_row(st.row, raw_json(st.rows->header(), st.row));
    const bool bad = done.status == "bad";
    if (done.status == "applied") {
      ++run.rows_applied;
    } else {
      ++(bad ? run.rows_bad : run.rows_duplicate);
      // Applied rows are stored with their case change; these with the step.
      insert_import_row(session, done);
    }
    if (st.request.keep_all_rows) {
      st.outcome.rows.push_back(std::move(done));
    } else if (bad && st.bad_kept < st.request.max_bad_rows_kept) {
      ++st.bad_kept;
      st.outcome.rows.push_back(std::move(done));
    }
  }
  if (end) {
    run.finished_at = st.cases.clock().now();
    finish_import_run(session, run);
  } else {
    store_import_counts(session, run);
  }
  tx.commit();
  st.failed = false;
  if (end) {
    st.done = true;
    spdlog::info("import.finished id={} applied={} duplicate={} bad={}", run.id, run.rows_applied,
                 run.rows_duplicate, run.rows_bad);
  }
  return end;
}

ImportOutcome& ImportJob::outcome() { return state_->outcome; }

std::variant<ImportOutcome, ImportFileError> run_import(soci::session& session,
                                                        const CaseUnitOfWork& cases,
                                                        const ImportRequest& request) {
  auto started = ImportJob::start(session, cases, request);
  if (auto* problem = std::get_if<ImportFileError>(&started)) return *problem;
  ImportJob& job = *std::get<std::unique_ptr<ImportJob>>(started);
  while (!job.step(session, ImportJob::kRowsPerStep)) {
  }
  return std::move(job.outcome());
}

}  // namespace fangfan
