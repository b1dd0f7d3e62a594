#include "adapters/storage/duty_store.h"

#include "adapters/storage/case_json.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/id_chunks.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"
#include "adapters/storage/timer_batch.h"
#include "workflows/duties.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;
using storage_detail::fetch_all;
using storage_detail::fetch_one;
using storage_detail::Kept;
using storage_detail::kept_all;
using storage_detail::kept_one;
using storage_detail::Prepared;

constexpr const char* kColumns =
    "SELECT id, duty_key, case_id, kind, subject, township_code, village_code, owner_role,"
    " officer, due_at, state, opened_at, closed_at FROM duties ";

DutyState parse_state(const std::string& name) {
  if (name == "done") return DutyState::kDone;
  if (name == "cancelled") return DutyState::kCancelled;
  return DutyState::kOpen;  // the CHECK constraint admits nothing else
}

struct DutyRow {
  long long id = 0, case_id = 0, due_at = 0, opened_at = 0, closed_at = 0;
  soci::indicator case_ind = soci::i_null, closed_ind = soci::i_null;
  std::string duty_key, kind, subject, township, village, owner_role, officer, state;

  void bind(Prepared& p) {
    p, into(id), into(duty_key), into(case_id, case_ind), into(kind), into(subject), into(township),
        into(village), into(owner_role), into(officer), into(due_at), into(state), into(opened_at),
        into(closed_at, closed_ind);
  }
  // On SQLite (id_chunks.h for_each_row): the same columns read through SQLite's API.
  void read_sqlite(const storage_detail::SqliteColumns& c) {
    id = c.integer(0);
    c.text(1, duty_key);
    case_ind = c.null(2) ? soci::i_null : soci::i_ok;
    case_id = c.integer(2);
    c.text(3, kind);
    c.text(4, subject);
    c.text(5, township);
    c.text(6, village);
    c.text(7, owner_role);
    c.text(8, officer);
    due_at = c.integer(9);
    c.text(10, state);
    opened_at = c.integer(11);
    closed_ind = c.null(12) ? soci::i_null : soci::i_ok;
    closed_at = c.integer(12);
  }
  // Takes the texts out of the bound buffers instead of copying them (the statement writes each
  // buffer afresh at its next fetch); a firing batch reads hundreds of duties.
  DutyRecord record() {
    DutyRecord r;
    r.id = id;
    r.duty_key = std::move(duty_key);
    if (case_ind == soci::i_ok) r.case_id = case_id;
    r.kind = std::move(kind);
    r.subject = std::move(subject);
    r.township_code = std::move(township);
    r.village_code = std::move(village);
    r.owner_role = std::move(owner_role);
    r.officer = std::move(officer);
    r.due_at = from_epoch(due_at);
    r.state = parse_state(state);
    r.opened_at = from_epoch(opened_at);
    if (closed_ind == soci::i_ok) r.closed_at = from_epoch(closed_at);
    return r;
  }
};

// The hot queries of the case hook and of firing, kept prepared (prepared.h); inserts are in
// timer_batch.cpp.
struct DutyById {
  DutyRow row;
  long long id = 0;
  static std::string sql() { return std::string(kColumns) + "WHERE id = :id"; }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(id);
  }
};

struct DutyByKey {
  DutyRow row;
  std::string key;
  static std::string sql() { return std::string(kColumns) + "WHERE duty_key = :key"; }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(key);
  }
};

struct DutiesOfCase {
  DutyRow row;
  long long id = 0;
  static std::string sql() { return std::string(kColumns) + "WHERE case_id = :id ORDER BY id"; }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(id);
  }
};

// What a case change's plan reads of the case's duties (case_duties_for_plan): 7 of the 13
// columns, none of the four place and owner texts.
struct PlannedDutyRow {
  long long id = 0, case_id = 0, opened_at = 0;
  soci::indicator case_ind = soci::i_null;
  std::string duty_key, kind, subject, state;

  void bind(Prepared& p) {
    p, into(id), into(duty_key), into(case_id, case_ind), into(kind), into(subject), into(state),
        into(opened_at);
  }
  DutyRecord record() const {
    DutyRecord r;
    r.id = id;
    r.duty_key = duty_key;
    if (case_ind == soci::i_ok) r.case_id = case_id;
    r.kind = kind;
    r.subject = subject;
    r.state = parse_state(state);
    r.opened_at = from_epoch(opened_at);
    return r;
  }
};

struct PlannedDutiesOfCase {
  PlannedDutyRow row;
  long long id = 0;
  static std::string sql() {
    return "SELECT id, duty_key, case_id, kind, subject, state, opened_at FROM duties"
           " WHERE case_id = :id ORDER BY id";
  }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(id);
  }
};

struct CloseDutyRow {
  long long id = 0, at = 0;
  std::string state;
  static std::string sql() {
    return "UPDATE duties SET state = :state, closed_at = :at WHERE id = :id AND state = 'open'";
  }
  void bind(Prepared& p) { p, use(state), use(at), use(id); }
};

struct ReopenDutyRow {
  long long id = 0, due = 0, opened = 0;
  static std::string sql() {
    return "UPDATE duties SET state = 'open', due_at = :due, opened_at = :opened,"
           " closed_at = NULL WHERE id = :id AND state = 'cancelled'";
  }
  void bind(Prepared& p) { p, use(due), use(opened), use(id); }
};

// substr, not LIKE: step names contain '_', a LIKE wildcard.
struct CancelCaseDutyTimers {
  long long id = 0;
  int length = 0;
  std::string prefix;
  static std::string sql() {
    return "UPDATE timers SET state = 'cancelled' WHERE case_id = :id"
           " AND state = 'pending' AND substr(dedupe_key, 1, :n) = :prefix";
  }
  void bind(Prepared& p) { p, use(id), use(length), use(prefix); }
};

struct CancelCountyDutyTimers {
  int length = 0;
  std::string prefix;
  static std::string sql() {
    return "UPDATE timers SET state = 'cancelled' WHERE case_id IS NULL"
           " AND state = 'pending' AND substr(dedupe_key, 1, :n) = :prefix";
  }
  void bind(Prepared& p) { p, use(length), use(prefix); }
};

struct SetDutyOfficer {
  long long id = 0;
  std::string officer;
  static std::string sql() {
    return "UPDATE duties SET officer = :officer WHERE case_id = :id"
           " AND state = 'open' AND kind IN ('visits', 'monitoring')";
  }
  void bind(Prepared& p) { p, use(officer), use(id); }
};

bool transition(soci::session& session, std::int64_t duty_id, const char* to, TimePoint now,
                const char* what) {
  return guarded(what, [&] {
    Kept<CloseDutyRow> q(session);
    q->id = duty_id;
    q->at = to_epoch(now);
    q->state = to;
    q.execute();
    return q.affected_rows() == 1;
  });
}

std::optional<CaseData> stored_case_data(soci::session& session, std::int64_t case_id) {
  std::optional<CaseRecord> record = load_case(session, case_id);
  if (!record) return std::nullopt;
  auto data = case_data_from_json(record->data);
  if (auto* error = std::get_if<std::string>(&data)) {
    throw StorageError(StorageError::Kind::kQuery,
                       "案件 " + std::to_string(case_id) + " 的存储数据无法读取：" + *error +
                           " (stored case " + std::to_string(case_id) + " cannot be read back)");
  }
  return std::get<CaseData>(std::move(data));
}

}  // namespace

OpenDutyResult open_duty(soci::session& session, const NewDuty& d) {
  return open_duties(session, {d}).front();
}

bool reopen_duty(soci::session& session, std::int64_t duty_id, TimePoint due_at,
                 TimePoint opened_at) {
  return guarded("重新打开应办事项失败 (reopening a duty failed)", [&] {
    Kept<ReopenDutyRow> q(session);
    q->id = duty_id;
    q->due = to_epoch(due_at);
    q->opened = to_epoch(opened_at);
    q.execute();
    return q.affected_rows() == 1;
  });
}

std::optional<DutyRecord> open_or_reopen_duty(soci::session& session, const NewDuty& d) {
  return open_or_reopen_duties(session, {d}).front();
}

std::optional<DutyRecord> load_duty(soci::session& session, std::int64_t duty_id) {
  return guarded("读取应办事项失败 (loading a duty failed)", [&]() -> std::optional<DutyRecord> {
    Kept<DutyById> q(session);
    q->id = duty_id;
    return kept_one(q);
  });
}

std::optional<DutyRecord> find_duty(soci::session& session, std::string_view duty_key) {
  return guarded("读取应办事项失败 (loading a duty failed)", [&]() -> std::optional<DutyRecord> {
    Kept<DutyByKey> q(session);
    q->key = duty_key;
    return kept_one(q);
  });
}

bool close_duty(soci::session& session, std::int64_t id, TimePoint now) {
  return transition(session, id, "done", now, "记录应办事项已完成失败 (closing a duty failed)");
}

bool cancel_duty(soci::session& session, std::int64_t id, TimePoint now) {
  return transition(session, id, "cancelled", now, "取消应办事项失败 (cancelling a duty failed)");
}

std::vector<DutyRecord> open_case_duties(soci::session& session, std::int64_t case_id,
                                         std::optional<std::string_view> kind,
                                         std::optional<std::string_view> subject) {
  return guarded("读取案件的应办事项失败 (loading the duties of a case failed)", [&] {
    const long long id = case_id;
    const std::string k(kind.value_or("")), s(subject.value_or(""));
    const int any_kind = kind ? 0 : 1, any_subject = subject ? 0 : 1;
    DutyRow row;
    Prepared p = (session.prepare << std::string(kColumns) +
                                         "WHERE case_id = :id AND state = 'open'"
                                         " AND (:any_kind = 1 OR kind = :kind)"
                                         " AND (:any_subject = 1 OR subject = :subject)"
                                         " ORDER BY id");
    row.bind(p);
    p, use(id), use(any_kind), use(k), use(any_subject), use(s);
    return fetch_all(p, row);
  });
}

std::vector<DutyRecord> case_duties(soci::session& session, std::int64_t case_id) {
  return guarded("读取案件的应办事项失败 (loading the duties of a case failed)", [&] {
    Kept<DutiesOfCase> q(session);
    q->id = case_id;
    return kept_all(q);
  });
}

std::vector<DutyRecord> case_duties_for_plan(soci::session& session, std::int64_t case_id) {
  return guarded("读取案件的应办事项失败 (loading the duties of a case failed)", [&] {
    Kept<PlannedDutiesOfCase> q(session);
    q->id = case_id;
    return kept_all(q);
  });
}

std::vector<std::int64_t> cases_lacking_duties(
    soci::session& session, const std::vector<std::string_view>& states,
    const std::vector<std::string_view>& emergency_states,
    const std::vector<std::string>& missing_kinds, const std::string& suffix) {
  // Bound values must outlive the statement.
  std::vector<std::string> state_names(states.begin(), states.end());
  std::vector<std::string> emergency_names(emergency_states.begin(), emergency_states.end());
  auto in_list = [](const char* prefix, std::size_t n) {
    std::string list;
    for (std::size_t i = 0; i < n; ++i) {
      list += (i == 0 ? ":" : ", :") + std::string(prefix) + std::to_string(i);
    }
    return list.empty() ? std::string("NULL") : list;
  };
  std::string sql =
      "SELECT c.id FROM cases c WHERE (c.state IN (" + in_list("s", state_names.size()) + ")";
  if (!emergency_names.empty()) {
    sql += " OR (c.emergency = 1 AND c.state IN (" + in_list("e", emergency_names.size()) + "))";
  }
  sql += ")";
  for (std::size_t i = 0; i < missing_kinds.size(); ++i) {
    sql += std::string(i == 0 ? " AND (" : " OR ") +
           "NOT EXISTS (SELECT 1 FROM duties d WHERE d.duty_key = CAST(:kind" + std::to_string(i) +
           " AS TEXT) || '/' || CAST(c.id AS TEXT) || :suffix" + std::to_string(i) + ")";
  }
  if (!missing_kinds.empty()) sql += ")";
  sql += " ORDER BY c.id";
  return guarded("读取案件列表失败 (listing cases failed)", [&] {
    std::vector<std::int64_t> ids;
    long long id = 0;
    Prepared p = (session.prepare << sql, into(id));
    for (const std::string& name : state_names) p, use(name);
    for (const std::string& name : emergency_names) p, use(name);
    for (const std::string& kind : missing_kinds) p, use(kind), use(suffix);
    soci::statement st(p);
    st.execute();
    while (st.fetch()) ids.push_back(id);
    return ids;
  });
}

int cancel_duty_timers(soci::session& session, const DutyRecord& duty) {
  return guarded("取消应办事项的定时提醒失败 (cancelling the timers of a duty failed)", [&] {
    const std::string prefix = duty.duty_key + "/";
    const int length = static_cast<int>(prefix.size());
    if (duty.case_id) {
      Kept<CancelCaseDutyTimers> q(session);
      q->id = *duty.case_id;
      q->length = length;
      q->prefix = prefix;
      q.execute();
      return static_cast<int>(q.affected_rows());
    }
    Kept<CancelCountyDutyTimers> q(session);
    q->length = length;
    q->prefix = prefix;
    q.execute();
    return static_cast<int>(q.affected_rows());
  });
}

int set_case_duty_officer(soci::session& session, std::int64_t case_id, std::string_view officer) {
  return guarded("更新应办事项的帮扶责任人失败 (updating the officer of duties failed)", [&] {
    Kept<SetDutyOfficer> q(session);
    q->id = case_id;
    q->officer = officer;
    q.execute();
    return static_cast<int>(q.affected_rows());
  });
}

std::vector<DutyRecord> list_open_duties(soci::session& session, const DutyFilter& filter) {
  return guarded("读取待办事项失败 (listing open duties failed)", [&] {
    const std::string township = filter.township.value_or(""),
                      village = filter.village.value_or(""), officer = filter.officer.value_or(""),
                      kind = filter.kind.value_or("");
    const int any_township = filter.township ? 0 : 1, any_village = filter.village ? 0 : 1,
              any_officer = filter.officer ? 0 : 1, any_due = filter.due_before ? 0 : 1,
              any_kind = filter.kind ? 0 : 1;
    const long long due_before = filter.due_before ? to_epoch(*filter.due_before) : 0;
    const int limit = filter.limit > 0 ? filter.limit : 500;
    DutyRow row;
    Prepared p = (session.prepare << std::string(kColumns) +
                                         "WHERE state = 'open'"
                                         " AND (:any_township = 1 OR township_code = :township)"
                                         " AND (:any_village = 1 OR village_code = :village)"
                                         " AND (:any_officer = 1 OR officer = :officer)"
                                         " AND (:any_due = 1 OR due_at <= :due_before)"
                                         " AND (:any_kind = 1 OR kind = :kind)"
                                         " ORDER BY due_at, id LIMIT :limit");
    row.bind(p);
    p, use(any_township), use(township), use(any_village), use(village), use(any_officer),
        use(officer), use(any_due), use(due_before), use(any_kind), use(kind), use(limit);
    return fetch_all(p, row);
  });
}

std::optional<int> count_case_visits(soci::session& session, std::int64_t case_id,
                                     std::chrono::year_month month) {
  return guarded("统计走访次数失败 (counting visits failed)", [&]() -> std::optional<int> {
    auto data = stored_case_data(session, case_id);
    if (!data) return std::nullopt;
    return visits_in_month(*data, month);
  });
}

std::optional<int> count_case_monitoring(soci::session& session, std::int64_t case_id,
                                         std::chrono::year_month month) {
  return guarded("统计监测记录失败 (counting monitoring records failed)",
                 [&]() -> std::optional<int> {
                   auto data = stored_case_data(session, case_id);
                   if (!data) return std::nullopt;
                   return monitoring_in_month(*data, month);
                 });
}

namespace {

// The batch reads of firing, a chunk of ids per run (id_chunks.h): the ids sorted, so that the
// chunks' rows come in the order of the whole list.
struct DutiesByIds {
  DutyRow row;
  storage_detail::IdChunk chunk;
  static std::string sql() {
    return std::string(kColumns) + "WHERE id IN (" + storage_detail::id_params() + ") ORDER BY id";
  }
  void bind(Prepared& p) {
    row.bind(p);
    chunk.bind(p);
  }
};

struct DutiesOfCases {
  DutyRow row;
  storage_detail::IdChunk chunk;
  static std::string sql() {
    return std::string(kColumns) + "WHERE case_id IN (" + storage_detail::id_params() +
           ") ORDER BY case_id, id";
  }
  void bind(Prepared& p) {
    row.bind(p);
    chunk.bind(p);
  }
};

}  // namespace

std::vector<DutyRecord> load_duties(soci::session& session, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return {};
  return guarded("读取应办事项失败 (loading duties failed)", [&] {
    std::vector<DutyRecord> out;
    storage_detail::for_each_row<DutiesByIds>(session, storage_detail::sorted_unique(ids),
                                              [&](DutyRow& row) { out.push_back(row.record()); });
    return out;
  });
}

std::vector<DutyRecord> duties_of_cases(soci::session& session,
                                        const std::vector<std::int64_t>& case_ids) {
  if (case_ids.empty()) return {};
  return guarded("读取案件的应办事项失败 (loading the duties of cases failed)", [&] {
    std::vector<DutyRecord> out;
    storage_detail::for_each_row<DutiesOfCases>(session, storage_detail::sorted_unique(case_ids),
                                                [&](DutyRow& row) { out.push_back(row.record()); });
    return out;
  });
}

}  // namespace fangfan
