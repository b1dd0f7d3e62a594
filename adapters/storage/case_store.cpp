#include "adapters/storage/case_store.h"

#include <boost/json/parse.hpp>

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/id_list.h"
#include "adapters/storage/multi_row_insert.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

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

// ---- households

constexpr const char* kHouseholdColumns =
    "SELECT code, village_code, township_code, head_name, phone, details, created_at, updated_at"
    " FROM households ";

struct InsertHousehold {
  std::string code, village_code, township_code, head_name, phone, details;
  long long created = 0, updated = 0;
  static std::string sql() {
    return "INSERT INTO households (code, village_code, township_code, head_name, phone, details,"
           " created_at, updated_at) VALUES (:code, :village, :township, :head, :phone, :details,"
           " :created, :updated)";
  }
  void bind(Prepared& p) {
    p, use(code), use(village_code), use(township_code), use(head_name), use(phone), use(details),
        use(created), use(updated);
  }
};

struct HouseholdRow {
  std::string code, village_code, township_code, head_name, phone, details;
  long long created_at = 0, updated_at = 0;

  void bind(Prepared& p) {
    p, into(code), into(village_code), into(township_code), into(head_name), into(phone),
        into(details), into(created_at), into(updated_at);
  }
  HouseholdRecord record() const {
    return {code,  village_code, township_code,          head_name,
            phone, details,      from_epoch(created_at), from_epoch(updated_at)};
  }
};

struct HouseholdByCode {
  HouseholdRow row;
  std::string code;
  static std::string sql() { return std::string(kHouseholdColumns) + "WHERE code = :code"; }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(code);
  }
};

// ---- members

constexpr const char* kMemberColumns =
    "SELECT id, household_code, name, id_number, relation, able_to_work, disabled, student"
    " FROM household_members ";

struct MemberRow {
  long long id = 0;
  std::string household_code, name, id_number, relation;
  int able_to_work = 0, disabled = 0, student = 0;

  void bind(Prepared& p) {
    p, into(id), into(household_code), into(name), into(id_number), into(relation),
        into(able_to_work), into(disabled), into(student);
  }
  MemberRecord record() const {
    return {id,       household_code,    name,          id_number,
            relation, able_to_work != 0, disabled != 0, student != 0};
  }
};

// ---- cases

// The columns CaseRow binds, in its order.
constexpr const char* kCaseFields =
    "SELECT id, household_code, kind, state, version, source, emergency, opened_at,"
    " previous_case_id, data, updated_at";
const std::string kCaseColumns = std::string(kCaseFields) + " FROM cases ";

struct CaseRow {
  long long id = 0, version = 0, opened_at = 0, previous_case_id = 0, updated_at = 0;
  soci::indicator previous_ind = soci::i_null;
  std::string household_code, kind, state, source, data;
  int emergency = 0;

  void bind(Prepared& p) {
    p, into(id), into(household_code), into(kind), into(state), into(version), into(source),
        into(emergency), into(opened_at), into(previous_case_id, previous_ind), into(data),
        into(updated_at);
  }
  // Takes the data text out of the bound buffer instead of copying it (the statement writes the
  // buffer afresh at its next fetch): one case's text is kilobytes once it has visits.
  CaseRecord record() {
    CaseRecord r;
    r.id = id;
    r.household_code = household_code;
    r.kind = kind;
    r.state = state;
    r.version = version;
    r.source = source;
    r.emergency = emergency != 0;
    r.opened_at = from_epoch(opened_at);
    if (previous_ind == soci::i_ok) r.previous_case_id = previous_case_id;
    r.data = std::move(data);
    data.clear();
    r.updated_at = from_epoch(updated_at);
    return r;
  }
};

struct CaseById {
  CaseRow row;
  long long id = 0;
  static std::string sql() { return kCaseColumns + "WHERE id = :id"; }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(id);
  }
};

struct CaseWithPlaceById {
  CaseRow row;
  long long id = 0;
  std::string village_code;
  soci::indicator village_ind = soci::i_null;
  static std::string sql() {
    // The village in a subquery, so that the case's columns are named as everywhere else (a
    // case whose household row is missing gets NULL, as a LEFT JOIN would give).
    return std::string(kCaseFields) +
           ", (SELECT h.village_code FROM households h WHERE h.code = cases.household_code)"
           " FROM cases WHERE id = :id";
  }
  void bind(Prepared& p) {
    row.bind(p);
    p, into(village_code, village_ind), use(id);
  }
};

// A new case's row. On PostgreSQL its id comes back by RETURNING; on SQLite (InsertCaseRow) from
// the connection's last insert rowid: SQLite runs a RETURNING statement through a temporary
// table built for each row (issue 15: bulk opening writes many cases).
struct InsertCaseRow {
  long long version = 0, opened = 0, updated = 0, previous = 0, id = 0;
  soci::indicator previous_ind = soci::i_null;
  int emergency = 0;
  std::string household_code, kind, state, source, data;
  static std::string sql() {
    return "INSERT INTO cases (household_code, kind, state, version, source, emergency, opened_at,"
           " previous_case_id, data, updated_at) VALUES (:household, :kind, :state, :version,"
           " :source, :emergency, :opened, :previous, :data, :updated)";
  }
  void bind(Prepared& p) {
    p, use(household_code), use(kind), use(state), use(version), use(source), use(emergency),
        use(opened), use(previous, previous_ind), use(data), use(updated);
  }
};

struct InsertCase : InsertCaseRow {
  static std::string sql() { return InsertCaseRow::sql() + " RETURNING id"; }
  void bind(Prepared& p) {
    InsertCaseRow::bind(p);
    p, into(id);
  }
};

// The case's fields into a query's buffers.
void fill_case(InsertCaseRow& q, const CaseRecord& c) {
  q.household_code = c.household_code;
  q.kind = c.kind;
  q.state = c.state;
  q.version = c.version;
  q.source = c.source;
  q.emergency = c.emergency ? 1 : 0;
  q.opened = to_epoch(c.opened_at);
  q.previous = c.previous_case_id.value_or(0);
  q.previous_ind = c.previous_case_id ? soci::i_ok : soci::i_null;
  q.data = c.data;
  q.updated = to_epoch(c.updated_at);
  q.id = 0;
}

struct CasesOfHousehold {
  CaseRow row;
  std::string code;
  static std::string sql() { return kCaseColumns + "WHERE household_code = :code ORDER BY id"; }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(code);
  }
};

struct SaveCaseState {
  std::string state, data;
  long long id = 0, expected = 0, next = 0, updated = 0;
  static std::string sql() {
    return "UPDATE cases SET state = :state, data = :data, version = :next, updated_at = :updated"
           " WHERE id = :id AND version = :expected";
  }
  void bind(Prepared& p) {
    p, use(state), use(data), use(next), use(updated), use(id), use(expected);
  }
};

// ---- history

struct LastHistorySeq {
  long long case_id = 0, last = 0;
  soci::indicator last_ind = soci::i_null;
  static std::string sql() { return "SELECT MAX(seq) FROM case_history WHERE case_id = :case_id"; }
  void bind(Prepared& p) { p, use(case_id), into(last, last_ind); }
};

struct InsertHistory {
  long long case_id = 0, seq = 0, at = 0;
  std::string event, before, after, actor, reason, details;
  static std::string sql() {
    return "INSERT INTO case_history (case_id, seq, event, before_state, after_state, actor, at,"
           " reason, details) VALUES (:case_id, :seq, :event, :before, :after, :actor, :at,"
           " :reason, :details)";
  }
  void bind(Prepared& p) {
    p, use(case_id), use(seq), use(event), use(before), use(after), use(actor), use(at),
        use(reason), use(details);
  }
};

constexpr const char* kHistoryColumns =
    "SELECT case_id, seq, event, before_state, after_state, actor, at, reason, details"
    " FROM case_history ";

struct HistoryRow {
  long long case_id = 0, seq = 0, at = 0;
  std::string event, before_state, after_state, actor, reason, details;

  void bind(Prepared& p) {
    p, into(case_id), into(seq), into(event), into(before_state), into(after_state), into(actor),
        into(at), into(reason), into(details);
  }
  HistoryRecord record() const {
    return {case_id, seq, event, before_state, after_state, actor, from_epoch(at), reason, details};
  }
};

std::string case_label(std::int64_t case_id) { return std::to_string(case_id); }

}  // namespace

void insert_household(soci::session& session, const HouseholdRecord& h) {
  guarded("保存农户 " + h.code + " 失败 (saving household " + h.code + " failed)", [&] {
    Kept<InsertHousehold> q(session);
    q->code = h.code;
    q->village_code = h.village_code;
    q->township_code = h.township_code;
    q->head_name = h.head_name;
    q->phone = h.phone;
    q->details = h.details;
    q->created = to_epoch(h.created_at);
    q->updated = to_epoch(h.updated_at);
    q.execute();
  });
}

std::optional<HouseholdRecord> load_household(soci::session& session, std::string_view code) {
  const std::string key(code);
  return guarded("读取农户 " + key + " 失败 (loading household " + key + " failed)", [&] {
    Kept<HouseholdByCode> q(session);
    q->code = key;
    return kept_one(q);
  });
}

std::int64_t insert_member(soci::session& session, const MemberRecord& m) {
  return guarded("保存农户 " + m.household_code + " 的家庭成员失败 (saving a member of household " +
                     m.household_code + " failed)",
                 [&] {
                   const int able = m.able_to_work ? 1 : 0, disabled = m.disabled ? 1 : 0,
                             student = m.student ? 1 : 0;
                   long long id = 0;
                   session << "INSERT INTO household_members (household_code, name, id_number,"
                              " relation, able_to_work, disabled, student) VALUES (:household,"
                              " :name, :id_number, :relation, :able, :disabled, :student)"
                              " RETURNING id",
                       use(m.household_code), use(m.name), use(m.id_number), use(m.relation),
                       use(able), use(disabled), use(student), into(id);
                   return static_cast<std::int64_t>(id);
                 });
}

// Kept prepared (prepared.h): every case write and every imported visit with an ID number reads
// its household's members (about 12% of an import step's CPU when prepared on each use).
struct LoadMembers {
  MemberRow row;
  std::string code;
  static std::string sql() {
    return std::string(kMemberColumns) + "WHERE household_code = :code ORDER BY id";
  }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(code);
  }
};

std::vector<MemberRecord> load_members(soci::session& session, std::string_view household_code) {
  const std::string key(household_code);
  return guarded(
      "读取农户 " + key + " 的家庭成员失败 (loading the members of household " + key + " failed)",
      [&] {
        Kept<LoadMembers> q(session);
        q->code = key;
        return kept_all(q);
      });
}

std::int64_t insert_case(soci::session& session, const CaseRecord& c) {
  return guarded("为农户 " + c.household_code + " 建立案件失败 (opening a case for household " +
                     c.household_code + " failed)",
                 [&] {
                   if (session.get_backend_name() == "sqlite3") {
                     Kept<InsertCaseRow> q(session);
                     fill_case(*q, c);
                     q.execute();
                     return static_cast<std::int64_t>(storage_detail::last_insert_rowid(session));
                   }
                   Kept<InsertCase> q(session);
                   fill_case(*q, c);
                   q.execute();
                   return static_cast<std::int64_t>(q->id);
                 });
}

std::optional<CaseRecord> load_case(soci::session& session, std::int64_t case_id) {
  return guarded(
      "读取案件 " + case_label(case_id) + " 失败 (loading case " + case_label(case_id) + " failed)",
      [&] {
        Kept<CaseById> q(session);
        q->id = case_id;
        return kept_one(q);
      });
}

std::optional<PlacedCase> load_case_with_place(soci::session& session, std::int64_t case_id) {
  return guarded(
      "读取案件 " + case_label(case_id) + " 失败 (loading case " + case_label(case_id) + " failed)",
      [&]() -> std::optional<PlacedCase> {
        Kept<CaseWithPlaceById> q(session);
        q->id = case_id;
        q->village_ind = soci::i_null;
        if (!q.execute()) return std::nullopt;
        PlacedCase placed{q->row.record(), std::nullopt};
        if (q->village_ind == soci::i_ok) placed.village_code = q->village_code;
        return placed;
      });
}

std::vector<CaseRecord> load_cases_of_household(soci::session& session,
                                                std::string_view household_code) {
  const std::string key(household_code);
  return guarded(
      "读取农户 " + key + " 的案件失败 (loading the cases of household " + key + " failed)", [&] {
        Kept<CasesOfHousehold> q(session);
        q->code = key;
        return kept_all(q);
      });
}

bool update_case_state(soci::session& session, std::int64_t case_id, std::int64_t expected_version,
                       std::string_view new_state, std::string_view data, TimePoint now) {
  return guarded("保存案件 " + case_label(case_id) + " 的状态失败 (saving the state of case " +
                     case_label(case_id) + " failed)",
                 [&] {
                   Kept<SaveCaseState> q(session);
                   q->state = new_state;
                   q->data = data;
                   q->id = case_id;
                   q->expected = expected_version;
                   q->next = expected_version + 1;
                   q->updated = to_epoch(now);
                   q.execute();
                   return q.affected_rows() == 1;
                 });
}

std::int64_t append_history(soci::session& session, const HistoryRecord& h) {
  return guarded("保存案件 " + case_label(h.case_id) +
                     " 的历史记录失败 (saving the history of case " + case_label(h.case_id) +
                     " failed)",
                 [&] {
                   Kept<LastHistorySeq> last(session);
                   last->case_id = h.case_id;
                   last->last_ind = soci::i_null;
                   last.execute();
                   const long long seq = (last->last_ind == soci::i_ok ? last->last : 0) + 1;
                   Kept<InsertHistory> insert(session);
                   insert->case_id = h.case_id;
                   insert->seq = seq;
                   insert->event = h.event;
                   insert->before = h.before_state;
                   insert->after = h.after_state;
                   insert->actor = h.actor;
                   insert->at = to_epoch(h.at);
                   insert->reason = h.reason;
                   insert->details = h.details;
                   insert.execute();
                   return static_cast<std::int64_t>(seq);
                 });
}

std::vector<HistoryRecord> load_history(soci::session& session, std::int64_t case_id) {
  return guarded(
      "读取案件 " + case_label(case_id) + " 的历史记录失败 (loading the history of case " +
          case_label(case_id) + " failed)",
      [&] {
        const long long id = case_id;
        HistoryRow row;
        Prepared p =
            (session.prepare << std::string(kHistoryColumns) + "WHERE case_id = :id ORDER BY seq");
        row.bind(p);
        p, use(id);
        return fetch_all(p, row);
      });
}

namespace {

// The officer is a field of the case data (case_json.h); a list reads it without decoding the
// whole case.
std::string officer_of(const std::string& data) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(data, ec);
  if (ec || !parsed.is_object()) return {};
  const auto* o = parsed.get_object().if_contains("officer");
  return o != nullptr && o->is_string() ? std::string(o->get_string()) : std::string();
}

}  // namespace

void list_cases(soci::session& session, const CaseListFilter& f,
                const std::function<bool(ListedCase&&)>& take) {
  guarded("列出案件失败 (listing cases failed)", [&] {
    long long id = 0, version = 0;
    int emergency = 0;
    std::string state, kind, household, village, township, data;
    // The prefix as substr(): one statement for both backends; an empty prefix matches all.
    const int prefix_len = static_cast<int>(f.code_prefix.size());
    soci::statement st =
        (session.prepare << "SELECT c.id, c.state, c.kind, c.version, c.emergency,"
                            " c.household_code, h.village_code, h.township_code, c.data"
                            " FROM cases c JOIN households h ON h.code = c.household_code"
                            " WHERE (:s1 = '' OR c.state = :s2) AND (:k1 = '' OR c.kind = :k2)"
                            " AND (:t1 = '' OR h.township_code = :t2)"
                            " AND (:v1 = '' OR h.village_code = :v2)"
                            " AND substr(h.village_code, 1, :pl) = :pc"
                            " ORDER BY c.id DESC",
         into(id), into(state), into(kind), into(version), into(emergency), into(household),
         into(village), into(township), into(data), use(f.state), use(f.state), use(f.kind),
         use(f.kind), use(f.township), use(f.township), use(f.village), use(f.village),
         use(prefix_len), use(f.code_prefix));
    st.execute();
    while (st.fetch()) {
      std::string officer = officer_of(data);
      if (!f.officer.empty() && officer != f.officer) continue;
      if (!take({id, state, kind, household, village, township, std::move(officer), version,
                 emergency != 0})) {
        break;
      }
    }
  });
}

std::vector<CaseRecord> load_cases(soci::session& session, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return {};
  return guarded("读取案件失败 (loading cases failed)", [&] {
    CaseRow row;
    Prepared p = (session.prepare << kCaseColumns + "WHERE id IN (" + storage_detail::id_list(ids) +
                                         ") ORDER BY id");
    row.bind(p);
    return fetch_all(p, row);
  });
}

void widen_case_writer_cache(soci::session& session) {
  if (session.get_backend_name() != "sqlite3") return;
  guarded("设置页缓存失败 (setting the page cache failed)",
          [&] { session << "PRAGMA cache_size = -" + std::to_string(kCaseWriterCacheMiB * 1024); });
}

}  // namespace fangfan
