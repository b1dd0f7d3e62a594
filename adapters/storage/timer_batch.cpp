#include "adapters/storage/timer_batch.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;
using storage_detail::Kept;
using storage_detail::Prepared;

// Rows per statement at most. Each row count is its own kept statement (a case's opening, 3
// duties and 14 timers, is one statement for each), so a session keeps up to 64 texts a table.
constexpr std::size_t kMaxRows = 64;

// "INSERT INTO <table> VALUES (:v0, :v1, ...), (...)<tail>" for `rows` rows of the table's
// columns (as many as the commas in its column list say).
std::string insert_sql(std::string_view table, std::string_view tail, std::size_t rows) {
  const std::size_t open = table.find('(');
  std::size_t columns = 1;
  for (char c : table.substr(open)) columns += c == ',' ? 1 : 0;
  std::string sql = "INSERT INTO ";
  sql += table;
  sql += " VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (std::size_t c = 0; c < columns; ++c) {
      sql += c == 0 ? ":v" : ", :v";
      sql += std::to_string(r * columns + c);
    }
    sql += ")";
  }
  sql += tail;
  return sql;
}

// One timer's bound values; its columns in the order of kTable's list.
struct TimerValues {
  static constexpr std::string_view kTable =
      "timers (case_id, kind, step, rung, dedupe_key, due_at, state, fired_at, payload,"
      " created_at, due_ms)";
  static constexpr std::string_view kTail =
      " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key";
  long long case_id = 0, due = 0, fired_at = 0, created = 0;
  soci::indicator case_ind = soci::i_null, fired_ind = soci::i_null;
  std::string kind, step, key, state, payload;
  int rung = 0, due_ms = 0;

  void bind(Prepared& p) {
    p, use(case_id, case_ind), use(kind), use(step), use(rung), use(key), use(due), use(state),
        use(fired_at, fired_ind), use(payload), use(created), use(due_ms);
  }
  void set(const TimerToStore& row) {
    const NewTimer& t = row.timer;
    case_id = t.case_id.value_or(0);
    case_ind = t.case_id ? soci::i_ok : soci::i_null;
    kind = t.kind;
    step = t.step;
    rung = t.rung;
    key = t.dedupe_key;
    due = to_epoch(t.due_at);
    state = row.fired_at ? "fired" : "pending";
    fired_at = row.fired_at ? to_epoch(*row.fired_at) : 0;
    fired_ind = row.fired_at ? soci::i_ok : soci::i_null;
    payload = t.payload;
    created = to_epoch(t.created_at);
    due_ms = static_cast<int>(t.due_within.count());
  }
  static const std::string& key_of(const TimerToStore& row) { return row.timer.dedupe_key; }
};

// One duty's bound values, opened.
struct DutyValues {
  static constexpr std::string_view kTable =
      "duties (duty_key, case_id, kind, subject, township_code, village_code, owner_role,"
      " officer, due_at, state, opened_at)";
  static constexpr std::string_view kTail =
      " ON CONFLICT (duty_key) DO NOTHING RETURNING id, duty_key";
  long long case_id = 0, due = 0, opened = 0;
  soci::indicator case_ind = soci::i_null;
  std::string key, kind, subject, township, village, owner, officer, state = "open";

  void bind(Prepared& p) {
    p, use(key), use(case_id, case_ind), use(kind), use(subject), use(township), use(village),
        use(owner), use(officer), use(due), use(state), use(opened);
  }
  void set(const NewDuty& d) {
    key = d.duty_key;
    case_id = d.case_id.value_or(0);
    case_ind = d.case_id ? soci::i_ok : soci::i_null;
    kind = d.kind;
    subject = d.subject;
    township = d.township_code;
    village = d.village_code;
    owner = d.owner_role;
    officer = d.officer;
    due = to_epoch(d.due_at);
    opened = to_epoch(d.opened_at);
  }
  static const std::string& key_of(const NewDuty& d) { return d.duty_key; }
};

// N rows of one table in one statement; its RETURNING rows (the inserted ones, in no promised
// order) are read one by one into id and key.
template <class Values, std::size_t N>
struct InsertRows {
  std::array<Values, N> rows;
  long long id = 0;
  std::string key;
  static std::string sql() { return insert_sql(Values::kTable, Values::kTail, N); }
  void bind(Prepared& p) {
    for (Values& v : rows) v.bind(p);
    p, into(id), into(key);
  }
};

// The same rows without RETURNING: how many were new is the statement's count of affected rows
// (on SQLite, RETURNING costs a temporary table per statement).
template <class Values, std::size_t N>
struct InsertRowsCounted {
  std::array<Values, N> rows;
  static std::string sql() {
    std::string sql = insert_sql(Values::kTable, Values::kTail, N);
    return sql.substr(0, sql.rfind(" RETURNING "));
  }
  void bind(Prepared& p) {
    for (Values& v : rows) v.bind(p);
  }
};

struct TimerIdOfKey {
  std::string key;
  long long id = 0;
  static std::string sql() { return "SELECT id FROM timers WHERE dedupe_key = :key"; }
  void bind(Prepared& p) { p, use(key), into(id); }
};

struct DutyIdOfKey {
  std::string key;
  long long id = 0;
  static std::string sql() { return "SELECT id FROM duties WHERE duty_key = :key"; }
  void bind(Prepared& p) { p, use(key), into(id); }
};

using Inserted = std::unordered_map<std::string, long long>;  // key -> id of the new row

template <class Values, std::size_t N, class In>
void insert_chunk(soci::session& session, const In* in, Inserted& inserted) {
  Kept<InsertRows<Values, N>> q(session);
  for (std::size_t i = 0; i < N; ++i) q->rows[i].set(in[i]);
  for (bool more = q.execute(); more; more = q.fetch()) inserted.emplace(q->key, q->id);
}

template <class Values, std::size_t N, class In>
long long insert_chunk_counted(soci::session& session, const In* in) {
  Kept<InsertRowsCounted<Values, N>> q(session);
  for (std::size_t i = 0; i < N; ++i) q->rows[i].set(in[i]);
  q.execute();
  return q.affected_rows();
}

// The statement of each row count 1..kMaxRows, picked at run time.
template <class Values, class In, std::size_t... I>
constexpr auto chunk_table(std::index_sequence<I...>) {
  struct Table {
    void (*returning[sizeof...(I)])(soci::session&, const In*, Inserted&);
    long long (*counted[sizeof...(I)])(soci::session&, const In*);
  };
  return Table{{&insert_chunk<Values, I + 1, In>...},
               {&insert_chunk_counted<Values, I + 1, In>...}};
}

template <class Values, class In>
constexpr auto kChunks = chunk_table<Values, In>(std::make_index_sequence<kMaxRows>{});

// Runs `n` rows from `in`, up to kMaxRows in each statement.
template <class Values, class In>
void insert_rows(soci::session& session, const In* in, std::size_t n, Inserted& inserted) {
  for (std::size_t rows = 0; n > 0; in += rows, n -= rows) {
    rows = std::min(n, kMaxRows);
    kChunks<Values, In>.returning[rows - 1](session, in, inserted);
  }
}

template <class Values, class In>
long long insert_rows_counted(soci::session& session, const In* in, std::size_t n) {
  long long added = 0;
  for (std::size_t rows = 0; n > 0; in += rows, n -= rows) {
    rows = std::min(n, kMaxRows);
    added += kChunks<Values, In>.counted[rows - 1](session, in);
  }
  return added;
}

// The results in input order (see the header): a key's first row is the inserted one, later rows
// and keys that existed before the call name the existing id (`existing` reads it).
template <class Result, class Values, class In, class Existing>
std::vector<Result> insert_all(soci::session& session, const std::vector<In>& in,
                               Existing existing) {
  Inserted inserted;
  insert_rows<Values>(session, in.data(), in.size(), inserted);
  std::vector<Result> results(in.size());
  std::unordered_map<std::string_view, long long> answered;  // keys already given a result
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::string& key = Values::key_of(in[i]);
    Result& r = results[i];
    if (auto seen = answered.find(key); seen != answered.end()) {
      r.id = seen->second;
    } else if (auto fresh = inserted.find(key); fresh != inserted.end()) {
      r.inserted = true;
      r.id = fresh->second;
    } else {
      r.id = existing(key);
    }
    answered.emplace(key, r.id);
  }
  return results;
}

DutyRecord opened_record(const NewDuty& d, std::int64_t id) {
  DutyRecord r;
  r.id = id;
  r.duty_key = d.duty_key;
  r.case_id = d.case_id;
  r.kind = d.kind;
  r.subject = d.subject;
  r.township_code = d.township_code;
  r.village_code = d.village_code;
  r.owner_role = d.owner_role;
  r.officer = d.officer;
  r.due_at = d.due_at;
  r.state = DutyState::kOpen;
  r.opened_at = d.opened_at;
  return r;
}

}  // namespace

std::vector<ScheduleResult> schedule_timers(soci::session& session,
                                            const std::vector<TimerToStore>& timers) {
  if (timers.empty()) return {};
  return guarded(
      "保存定时提醒失败 (scheduling " + std::to_string(timers.size()) + " timers failed)", [&] {
        return insert_all<ScheduleResult, TimerValues>(session, timers,
                                                       [&](const std::string& key) -> std::int64_t {
                                                         Kept<TimerIdOfKey> q(session);
                                                         q->key = key;
                                                         q.execute();
                                                         return q->id;
                                                       });
      });
}

int schedule_new_timers(soci::session& session, const std::vector<TimerToStore>& timers) {
  if (timers.empty()) return 0;
  return guarded(
      "保存定时提醒失败 (scheduling " + std::to_string(timers.size()) + " timers failed)", [&] {
        return static_cast<int>(
            insert_rows_counted<TimerValues>(session, timers.data(), timers.size()));
      });
}

std::vector<OpenDutyResult> open_duties(soci::session& session,
                                        const std::vector<NewDuty>& duties) {
  if (duties.empty()) return {};
  return guarded("保存应办事项失败 (opening " + std::to_string(duties.size()) + " duties failed)",
                 [&] {
                   return insert_all<OpenDutyResult, DutyValues>(
                       session, duties, [&](const std::string& key) -> std::int64_t {
                         Kept<DutyIdOfKey> q(session);
                         q->key = key;
                         q.execute();
                         return q->id;
                       });
                 });
}

std::vector<std::optional<DutyRecord>> open_or_reopen_duties(soci::session& session,
                                                             const std::vector<NewDuty>& duties) {
  const std::vector<OpenDutyResult> opened = open_duties(session, duties);
  std::vector<std::optional<DutyRecord>> out(duties.size());
  for (std::size_t i = 0; i < duties.size(); ++i) {
    const NewDuty& d = duties[i];
    if (opened[i].inserted) {
      out[i] = opened_record(d, opened[i].id);  // as stored: no need to read it back
      continue;
    }
    // The key existed (or an earlier row opened it): only a cancelled duty is opened again.
    std::optional<DutyRecord> existing = find_duty(session, d.duty_key);
    if (!existing || existing->state != DutyState::kCancelled) continue;
    reopen_duty(session, existing->id, d.due_at, d.opened_at);
    out[i] = find_duty(session, d.duty_key);
  }
  return out;
}

}  // namespace fangfan
