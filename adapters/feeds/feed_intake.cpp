#include "adapters/feeds/feed_intake.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <unordered_set>

#include "adapters/feeds/http_pull.h"
#include "adapters/feeds/json_rows.h"
#include "adapters/import/import_table.h"
#include "adapters/scheduler/feed_duties.h"
#include "adapters/storage/alert_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/text/text_normal.h"

namespace fangfan {
namespace json = boost::json;
namespace {

constexpr std::size_t kMatchBatch = 2000;
constexpr std::size_t kBadRowsPerWrite = 5000;
// The header a corrected file names a row's line in the run it corrects by (fangfanctl feed
// quarantine writes it).
constexpr std::string_view kOriginalLineHeader = "原行号";

std::string hex(const unsigned char* d, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
  return out;
}

// SHA-256 of a file read in chunks, or of bytes; nullopt when the file cannot be read.
std::optional<std::string> sha256_of(const FeedInput& in) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  bool ok = true;
  if (in.file) {
    std::ifstream f(*in.file, std::ios::binary);
    if (!f) ok = false;
    std::vector<char> buf(1 << 20);
    while (ok && f) {
      f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(f.gcount()));
    }
    if (f.bad()) ok = false;
  } else {
    EVP_DigestUpdate(ctx, in.bytes.data(), in.bytes.size());
  }
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(ctx, d, &n);
  EVP_MD_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return hex(d, n);
}

// FNV-1a, 64 bits: identities and cells of rows for the duplicate table (not security).
std::uint64_t fnv(std::string_view s, std::uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// A JSON body as a table stream (json_rows.h): the answer is held whole anyway.
class JsonTableStream : public TableStream {
 public:
  explicit JsonTableStream(JsonTable t) : table_(std::move(t)) {
    format_ = "JSON";
    header_ = table_.header;
  }
  bool next(TableRow& row) override {
    while (at_ < table_.rows.size()) {
      auto& [line, cells] = table_.rows[at_++];
      bool empty = std::all_of(cells.begin(), cells.end(), [](const auto& c) { return c.empty(); });
      if (empty) continue;
      row.line = line;
      row.cells = std::move(cells);
      return true;
    }
    return false;
  }

 private:
  JsonTable table_;
  std::size_t at_ = 0;
};

std::string cells_json(const std::vector<std::string>& header,
                       const std::vector<std::string>& cells) {
  json::object o;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const std::string key = i < header.size() ? header[i] : "列" + std::to_string(i + 1);
    o[key] = cells[i];
  }
  return json::serialize(o);
}

// The rules of every way in (workflows/text_rules.h) on a row's mapped cells, before any check
// might quote one: each in NFC, and none with a control or invisible character (a department's
// cells are single values: no line breaks either). False with `problem` naming the field.
bool text_rules_hold(std::vector<std::string>& cells, const FeedColumns& columns,
                     FeedCellProblem& problem) {
  for (std::size_t i = 0; i < columns.fields.size(); ++i) {
    const auto at = static_cast<std::size_t>(columns.index[i]);
    if (columns.index[i] < 0 || at >= cells.size()) continue;
    cells[at] = normalize_text(cells[at], TextShape::kLine);
    if (auto fault = text_fault(cells[at], TextShape::kLine)) {
      problem.field = columns.fields[i];
      problem.header = columns.headers[i];
      problem.reason = columns.headers[i] + "含有不允许的字符：" + describe_text_fault(*fault);
      return false;
    }
  }
  return true;
}

std::string detail_json(const AlertDecision& d) {
  json::object o;
  for (const auto& [field, value] : d.detail) o[field] = value;
  return json::serialize(o);
}

}  // namespace

// A fired rule waiting for finish(), with the member it matched (for a fallback alert).
struct FeedIntake::Pending {
  std::int64_t line = 0;
  AlertDecision decision;
  std::optional<MemberMatch> member;
};

// Identities seen so far: open addressing on 24-byte entries (64-bit identity hash, 32-bit cells
// hash, 64-bit line: an XLSX row number may pass 2^32), so a million rows cost tens of MiB, not a
// map node per row.
struct FeedIntake::SeenTable {
  struct Entry {
    std::uint64_t key = 0;  // 0 = empty (a real hash of 0 is nudged to 1)
    std::uint32_t cells = 0;
    std::int64_t line = 0;
  };
  std::vector<Entry> slots = std::vector<Entry>(1 << 12);
  std::size_t used = 0;

  // The earlier row with this identity, or nullptr (then this row is remembered).
  const Entry* find_or_insert(std::uint64_t key, std::uint32_t cells, std::int64_t line) {
    if (key == 0) key = 1;
    if ((used + 1) * 4 > slots.size() * 3) grow();
    std::size_t mask = slots.size() - 1;
    for (std::size_t i = key & mask;; i = (i + 1) & mask) {
      if (slots[i].key == key) return &slots[i];
      if (slots[i].key == 0) {
        slots[i] = {key, cells, line};
        ++used;
        return nullptr;
      }
    }
  }
  void grow() {
    std::vector<Entry> old(slots.size() * 2);
    old.swap(slots);
    const std::size_t mask = slots.size() - 1;
    for (const Entry& e : old) {
      if (e.key == 0) continue;
      std::size_t i = e.key & mask;
      while (slots[i].key != 0) i = (i + 1) & mask;
      slots[i] = e;
    }
  }
};

FeedIntake::FeedIntake(std::shared_ptr<const Config> config, std::string feed, std::string period,
                       FeedInput input, IntakeOptions options)
    : config_(std::move(config)),
      source_(config_->rules.feeds.find(feed)),
      period_(std::move(period)),
      input_(std::move(input)),
      options_(std::move(options)),
      seen_(std::make_unique<SeenTable>()) {
  if (source_ == nullptr) throw std::invalid_argument("unknown feed " + feed);
  feedback_ = !source_->answers_list.empty();
  report_.status = "running";
}

FeedIntake::~FeedIntake() = default;

bool FeedIntake::start(soci::session& session, TimePoint now) {
  started_ = now;
  const std::optional<std::string> sha = sha256_of(input_);
  {
    WriteTransaction tx(session);
    if (sha && options_.trigger != "fix") {
      if (auto earlier = find_done_feed_run(session, source_->name, *sha)) {
        report_.status = "already_taken";
        report_.same_as_run = earlier->id;
        tx.commit();
        return false;
      }
    }
    NewFeedRun run;
    run.feed = source_->name;
    run.department = source_->department;
    run.period = period_;
    run.source = input_.source;
    run.sha256 = sha.value_or("");
    run.trigger = options_.trigger;
    run.started_at = now;
    run.fixes_run_id = options_.fixes_run_id;
    const std::int64_t id = create_feed_run(session, run);
    tx.commit();
    report_.run_id = id;
  }
  if (!sha) {
    fail(session, "无法读取数据文件 (the data file cannot be read: " + input_.source + ")", now);
    return false;
  }
  TableStreamOptions opts;
  opts.max_expanded_bytes = static_cast<std::uint64_t>(source_->max_expanded_mib) << 20;
  TableStreamResult opened;
  if (input_.file) {
    opened = open_table_file(input_.file->string(), opts);
  } else if (looks_like_json_array(input_.bytes)) {
    auto t = read_json_rows(input_.bytes);
    if (auto* why = std::get_if<std::string>(&t)) {
      opened = *why;
    } else {
      opened = std::unique_ptr<TableStream>(new JsonTableStream(std::move(std::get<JsonTable>(t))));
    }
  } else {
    opened = open_table_view(input_.bytes, opts);
  }
  if (auto* why = std::get_if<std::string>(&opened)) {
    fail(session, input_.source + ": " + *why, now);
    return false;
  }
  stream_ = std::move(std::get<std::unique_ptr<TableStream>>(opened));
  auto mapped = map_feed_header(stream_->header(), *source_);
  if (auto* why = std::get_if<std::string>(&mapped)) {
    fail(session, input_.source + " 第1行 (line 1): " + *why, now);
    return false;
  }
  columns_ = std::move(std::get<FeedColumns>(mapped));
  rules_ = compile_feed_rules(*source_, *columns_);
  const auto& header = stream_->header();
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == kOriginalLineHeader) original_line_column_ = static_cast<int>(i);
  }
  return true;
}

void FeedIntake::fail(soci::session& session, const std::string& why, TimePoint now) {
  report_.status = "failed";
  report_.error = why;
  WriteTransaction tx(session);
  if (report_.run_id) finish_feed_run(session, *report_.run_id, report_.counts, now, why);
  tx.commit();
  spdlog::warn("feed.run_failed feed={} period={} run={} error=\"{}\"", source_->name, period_,
               report_.run_id.value_or(0), why);
}

void FeedIntake::abandon(soci::session& session, const std::string& why, TimePoint now) {
  if (report_.status != "running" || !report_.run_id) return;
  stream_.reset();
  fail(
      session,
      "取数中途存储出错，请重新取数 (a storage error stopped the run; take the data again): " + why,
      now);
}

void FeedIntake::keep_bad(std::int64_t line, const std::vector<std::string>& cells,
                          std::string field, std::string header, std::string reason,
                          std::optional<std::int64_t> conflicts) {
  ++report_.counts.rows_quarantined;
  NewBadRow b;
  b.line = line;
  b.field = std::move(field);
  b.header = std::move(header);
  b.reason = std::move(reason);
  b.raw = cells_json(stream_->header(), cells);
  b.conflicts_with_line = conflicts;
  bad_.push_back(std::move(b));
}

void FeedIntake::flush_bad(soci::session& session) {
  if (bad_.empty() || !report_.run_id) return;
  WriteTransaction tx(session);
  insert_feed_bad_rows(session, *report_.run_id, bad_);
  tx.commit();
  bad_.clear();
}

void FeedIntake::match_batch(soci::session& session) {
  if (batch_.empty()) return;
  std::vector<std::string> ids;
  ids.reserve(batch_.size());
  for (const FeedRecord& r : batch_) ids.push_back(r.values[0]);
  const std::map<std::string, StoredMemberMatch> found = match_members(session, ids);
  if (feedback_) {
    match_feedback(found);
    batch_.clear();
    batch_cells_.clear();
    return;
  }
  auto township_of = [this](std::string_view village) -> std::string {
    const Village* v = config_->find_village(village);
    return v ? v->township : "";
  };
  std::vector<const FeedRule*> fired;
  for (const FeedRecord& r : batch_) {
    std::optional<MemberMatch> member;
    if (auto it = found.find(r.values[0]); it != found.end()) {
      const StoredMemberMatch& m = it->second;
      member = MemberMatch{m.household_code, m.village_code, m.township_code,   m.name,
                           m.case_id,        m.case_state,   m.household_income};
      ++report_.counts.rows_matched;
    }
    fired_rules(rules_, r, member ? member->household_income : std::nullopt, fired);
    for (const FeedRule* rule : fired) {
      pending_.push_back({r.line,
                          decide_alert(*source_, *rule, *columns_, r, period_, member, township_of,
                                       config_->county.code),
                          member});
    }
  }
  batch_.clear();
}

bool FeedIntake::next_chunk(soci::session& session, Date today) {
  if (!stream_) return false;
  auto known_village = [this](std::string_view code) {
    return config_->find_village(code) != nullptr;
  };
  TableRow row;
  FeedRecord record;
  FeedCellProblem problem;
  std::string cells_text;
  bool more = true;
  for (std::int64_t n = 0; n < options_.chunk_rows; ++n) {
    if (!stream_->next(row)) {
      more = false;
      break;
    }
    ++report_.counts.rows_read;
    if (!text_rules_hold(row.cells, *columns_, problem) ||
        !check_feed_row(row.line, row.cells, *columns_, today, known_village, record, problem)) {
      keep_bad(row.line, row.cells, problem.field, problem.header, problem.reason, std::nullopt);
      if (bad_.size() >= kBadRowsPerWrite) flush_bad(session);
      continue;
    }
    const std::uint64_t key = fnv(feed_row_key(record, *columns_, *source_));
    std::uint64_t cells = 1469598103934665603ull;
    for (const std::string& v : record.values) cells = fnv(v, fnv("\x1f", cells));
    if (const auto* prior =
            seen_->find_or_insert(key, static_cast<std::uint32_t>(cells), row.line)) {
      if (prior->cells == static_cast<std::uint32_t>(cells)) {
        ++report_.counts.rows_duplicate;
      } else {
        keep_bad(row.line, row.cells, "id_number", columns_->headers[0],
                 "与第" + std::to_string(prior->line) + "行同一人但内容不同 (conflicts with line " +
                     std::to_string(prior->line) + ": same person, different cells)",
                 prior->line);
      }
      continue;
    }
    ++report_.counts.rows_accepted;
    if (original_line_column_ >= 0 &&
        static_cast<std::size_t>(original_line_column_) < row.cells.size()) {
      try {
        fixed_lines_.push_back(std::stoll(row.cells[original_line_column_]));
      } catch (const std::exception&) {
      }
    }
    batch_.push_back(record);
    if (feedback_) batch_cells_.push_back(row.cells);
    if (batch_.size() >= kMatchBatch) match_batch(session);
  }
  match_batch(session);
  if (!more && stream_->error()) {
    // The file turned bad mid-way: what was read is kept (bad rows), nothing is applied.
    flush_bad(session);
    fail(session, input_.source + ": " + *stream_->error(), started_);
    stream_.reset();
    return false;
  }
  flush_bad(session);
  return more;
}

void FeedIntake::finish(soci::session& session, const CaseUnitOfWork& cases,
                        const WorkingDayCalendar& calendar, TimePoint now) {
  if (report_.status != "running" || !report_.run_id) return;
  if (feedback_) {
    finish_feedback(session, cases, now);
    return;
  }
  const std::int64_t run_id = *report_.run_id;
  // One (person, rule) once, the earliest line's decision.
  std::stable_sort(pending_.begin(), pending_.end(),
                   [](const Pending& a, const Pending& b) { return a.line < b.line; });
  std::unordered_set<std::string> done;
  for (Pending& p : pending_) {
    AlertDecision& d = p.decision;
    if (!done.insert(d.id_number + '\x1f' + d.rule).second) continue;
    if (feed_signal_exists(session, source_->name, period_, d.id_number, d.rule)) continue;
    FeedSignal signal{d.id_number, d.rule, std::nullopt, std::nullopt};
    if (const auto* ev = std::get_if<CaseEvidence>(&d.route)) {
      RecordDepartmentEvidence e;
      e.meta.actor = options_.actor;
      e.meta.at = now;
      e.department = source_->department;
      e.feed = source_->name;
      e.period = period_;
      e.rule = d.rule;
      e.rule_label = d.rule_label;
      e.summary = d.summary;
      e.member_name = d.name;
      if (!d.exclusion.empty()) e.exclusion = d.exclusion;
      signal.case_id = ev->case_id;
      auto record_signal = [&](soci::session& s, const CaseChange&) {
        insert_feed_signal(s, source_->name, period_, run_id, signal);
      };
      ApplyResult r = cases.apply(session, ev->case_id, CaseEvent{e}, std::nullopt, record_signal);
      if (std::holds_alternative<CaseChange>(r)) {
        ++report_.evidence_applied;
        continue;
      }
      // The case would not take it (closed meanwhile): the township verifies it as an alert.
      signal.case_id.reset();
      NewAlert fallback;
      fallback.township_code = p.member ? p.member->township_code : config_->county.code;
      fallback.village_code = p.member ? p.member->village_code : "";
      d.route = fallback;
    }
    const NewAlert& where = std::get<NewAlert>(d.route);
    WriteTransaction tx(session);
    NewAlertRecord a;
    a.feed = source_->name;
    a.department = source_->department;
    a.period = period_;
    a.run_id = run_id;
    a.rule = d.rule;
    a.rule_label = d.rule_label;
    a.id_number = d.id_number;
    a.name = d.name;
    a.village_code = where.village_code;
    a.township_code = where.township_code;
    a.detail = detail_json(d);
    a.created_at = now;
    const InsertedAlert inserted = insert_alert(session, a);
    signal.alert_id = inserted.id;
    if (inserted.inserted) {
      json::object details{{"feed", a.feed},
                           {"period", a.period},
                           {"rule", a.rule},
                           {"run_id", run_id},
                           {"summary", d.summary}};
      if (!d.exclusion.empty()) details["exclusion"] = d.exclusion;
      append_alert_history(
          session, {0, inserted.id, now, options_.actor, "raised", json::serialize(details)});
      open_alert_duty(session, *config_, calendar, inserted.id, a, d.summary, now);
      ++report_.alerts_raised;
    }
    insert_feed_signal(session, source_->name, period_, run_id, signal);
    tx.commit();
  }
  report_.counts.alerts_raised = report_.evidence_applied + report_.alerts_raised;
  WriteTransaction tx(session);
  finish_feed_run(session, run_id, report_.counts, now);
  // A fix adds the corrected rows to its period; a new take of the period replaces the earlier.
  if (options_.trigger != "fix") mark_replaced_feed_runs(session, source_->name, period_, run_id);
  if (options_.fixes_run_id && !fixed_lines_.empty()) {
    mark_feed_bad_rows_fixed(session, *options_.fixes_run_id, fixed_lines_, run_id);
  }
  report_.duty_closed = close_feed_duty(session, source_->name, period_, now);
  tx.commit();
  report_.status = "done";
  spdlog::info(
      "feed.run_done feed={} period={} run={} read={} accepted={} matched={} quarantined={} "
      "duplicates={} evidence={} alerts={}",
      source_->name, period_, run_id, report_.counts.rows_read, report_.counts.rows_accepted,
      report_.counts.rows_matched, report_.counts.rows_quarantined, report_.counts.rows_duplicate,
      report_.evidence_applied, report_.alerts_raised);
}

std::string feed_bad_rows_csv(const std::vector<BadRowRecord>& rows) {
  std::vector<std::string> header;
  std::vector<json::object> raws;
  raws.reserve(rows.size());
  for (const BadRowRecord& r : rows) {
    boost::system::error_code ec;
    json::value v = json::parse(r.row.raw, ec);
    raws.push_back(!ec && v.is_object() ? v.get_object() : json::object{});
    for (const auto& kv : raws.back()) {
      const std::string key(kv.key());
      if (std::find(header.begin(), header.end(), key) == header.end()) header.push_back(key);
    }
  }
  std::string out = "\xEF\xBB\xBF";
  auto line = [&out](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_field(cells[i]);
    }
    out += "\r\n";
  };
  std::vector<std::string> first = {std::string(kOriginalLineHeader)};
  first.insert(first.end(), header.begin(), header.end());
  first.push_back("错误列");
  first.push_back("错误原因");
  line(first);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::vector<std::string> cells = {std::to_string(rows[i].row.line)};
    for (const std::string& h : header) {
      const json::value* v = raws[i].if_contains(h);
      cells.push_back(v && v->is_string() ? std::string(v->get_string()) : "");
    }
    cells.push_back(rows[i].row.header);
    cells.push_back(rows[i].row.reason);
    line(cells);
  }
  return out;
}

int fail_abandoned_feed_runs(soci::session& session, TimePoint now,
                             std::optional<TimePoint> started_before) {
  WriteTransaction tx(session);
  const int n = fail_running_feed_runs(
      session, now,
      "运行中断（守护进程停止），请重新取数 (interrupted: the daemon stopped mid-run)",
      started_before);
  tx.commit();
  return n;
}

}  // namespace fangfan
