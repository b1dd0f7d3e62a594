#include "adapters/storage/list_store.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/storage/case_json.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/row_fetch.h"
#include "workflows/case_events.h"

namespace fangfan {
namespace {

namespace json = boost::json;
using soci::into;
using soci::use;
using storage_detail::fetch_all;
using storage_detail::fetch_one;
using storage_detail::Prepared;

constexpr const char* kListColumns =
    "SELECT id, list, department, period, previous_period, produced_at, row_count, households,"
    " persons, monitored, instant, rolled_back, changes, data_sha256, files"
    " FROM department_lists ";

std::string files_to_json(const std::vector<ListFileRecord>& files) {
  json::array a;
  for (const ListFileRecord& f : files) {
    a.push_back(json::object{{"kind", f.kind},
                             {"path", f.path},
                             {"name", f.name},
                             {"sha256", f.sha256},
                             {"size", f.size}});
  }
  return json::serialize(a);
}

std::string text_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::vector<ListFileRecord> files_from_json(const std::string& text) {
  std::vector<ListFileRecord> out;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const json::value& e : v.as_array()) {
    if (!e.is_object()) continue;
    const json::object& o = e.as_object();
    ListFileRecord f{text_of(o, "kind"), text_of(o, "path"), text_of(o, "name"),
                     text_of(o, "sha256"), 0};
    if (const json::value* size = o.if_contains("size")) {
      if (size->is_uint64()) f.size = size->as_uint64();
      if (size->is_int64()) f.size = std::uint64_t(size->as_int64());
    }
    out.push_back(std::move(f));
  }
  return out;
}

struct StoredListSelect {
  long long id = 0, produced_at = 0, rows = 0, households = 0, persons = 0, monitored = 0,
            instant = 0, rolled_back = 0, changes = 0;
  std::string list, department, period, previous, sha256, files;

  void bind(Prepared& p) {
    p, into(id), into(list), into(department), into(period), into(previous), into(produced_at),
        into(rows), into(households), into(persons), into(monitored), into(instant),
        into(rolled_back), into(changes), into(sha256), into(files);
  }
  DepartmentListRecord record() const {
    DepartmentListRecord r;
    r.id = id;
    r.list = list;
    r.department = department;
    r.period = period;
    r.previous_period = previous;
    r.produced_at = from_epoch(produced_at);
    r.rows = rows;
    r.households = households;
    r.persons = persons;
    r.monitored = monitored;
    r.instant = instant;
    r.rolled_back = rolled_back;
    r.changes = changes;
    r.data_sha256 = sha256;
    r.files = files_from_json(files);
    return r;
  }
};

// The cells of a row as stored: [[column code, text], ...].
std::string cells_to_json(const std::vector<std::string>& columns,
                          const std::vector<std::string>& cells) {
  json::array a;
  for (std::size_t i = 0; i < columns.size() && i < cells.size(); ++i) {
    a.push_back(json::array{json::string(columns[i]), json::string(cells[i])});
  }
  return json::serialize(a);
}

std::vector<std::pair<std::string, std::string>> cells_from_json(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const json::value& e : v.as_array()) {
    const json::array* pair = e.if_array();
    if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() ||
        !(*pair)[1].is_string()) {
      continue;
    }
    out.emplace_back(std::string((*pair)[0].as_string()), std::string((*pair)[1].as_string()));
  }
  return out;
}

// The states a list is built from: in progress (在办) or monitored (监测对象).
std::vector<std::string> listed_states() {
  std::vector<std::string> out;
  for (std::string_view name : case_state_names(
           [](const CaseStateInfo& s) { return s.in_progress || s.monitoring_object; })) {
    out.emplace_back(name);
  }
  return out;
}

}  // namespace

std::int64_t insert_department_list(soci::session& session, const NewDepartmentList& list,
                                    const ListContent& content) {
  return guarded("保存部门名单失败 (saving a department list failed)", [&] {
    const long long produced = to_epoch(list.produced_at), rows = list.rows,
                    households = list.households, persons = list.persons,
                    monitored = list.monitored, instant = list.instant,
                    rolled_back = list.rolled_back, changes = list.changes;
    const std::string files = files_to_json(list.files);
    long long id = 0;
    session << "INSERT INTO department_lists (list, department, period, previous_period,"
               " produced_at, row_count, households, persons, monitored, instant, rolled_back,"
               " changes, data_sha256, files) VALUES (:list, :department, :period, :previous,"
               " :produced, :rows, :households, :persons, :monitored, :instant, :rolled_back,"
               " :changes, :sha256, :files) RETURNING id",
        use(list.list), use(list.department), use(list.period), use(list.previous_period),
        use(produced), use(rows), use(households), use(persons), use(monitored), use(instant),
        use(rolled_back), use(changes), use(list.data_sha256), use(files), into(id);
    // Whole columns bound per chunk (prepared per chunk: SOCI's PostgreSQL backend keeps the
    // first values of re-executed bulk binds).
    constexpr std::size_t kChunk = 2000;
    for (std::size_t from = 0; from < content.rows.size(); from += kChunk) {
      const std::size_t m = std::min(kChunk, content.rows.size() - from);
      std::vector<long long> list_id(m, id), case_id(m);
      std::vector<soci::indicator> case_ind(m);
      std::vector<std::string> key(m), household(m), name(m), cells(m);
      for (std::size_t i = 0; i < m; ++i) {
        const ListRow& r = content.rows[from + i];
        key[i] = r.key;
        case_id[i] = r.case_id;
        case_ind[i] = r.case_id != 0 ? soci::i_ok : soci::i_null;
        household[i] = r.household_code;
        name[i] = r.name;
        cells[i] = cells_to_json(content.columns, r.cells);
      }
      soci::statement st =
          (session.prepare << "INSERT INTO department_list_rows (list_id, row_key, case_id,"
                              " household_code, name, cells) VALUES (:list_id, :row_key,"
                              " :case_id, :household, :name, :cells)",
           use(list_id), use(key), use(case_id, case_ind), use(household), use(name), use(cells));
      st.execute(true);
    }
    return static_cast<std::int64_t>(id);
  });
}

std::optional<DepartmentListRecord> find_department_list(soci::session& session,
                                                         std::string_view list,
                                                         std::string_view period) {
  return guarded("读取部门名单失败 (loading a department list failed)",
                 [&]() -> std::optional<DepartmentListRecord> {
                   const std::string l(list), p(period);
                   StoredListSelect row;
                   Prepared prep =
                       (session.prepare
                        << std::string(kListColumns) + "WHERE list = :list AND period = :period");
                   row.bind(prep);
                   prep, use(l), use(p);
                   return fetch_one(prep, row);
                 });
}

std::optional<DepartmentListRecord> previous_department_list(soci::session& session,
                                                             std::string_view list,
                                                             std::string_view period) {
  return guarded("读取部门名单失败 (loading a department list failed)",
                 [&]() -> std::optional<DepartmentListRecord> {
                   const std::string l(list), p(period);
                   StoredListSelect row;
                   Prepared prep = (session.prepare << std::string(kListColumns) +
                                                           "WHERE list = :list AND period < :period"
                                                           " ORDER BY period DESC LIMIT 1");
                   row.bind(prep);
                   prep, use(l), use(p);
                   return fetch_one(prep, row);
                 });
}

std::vector<StoredListRow> department_list_rows(soci::session& session, std::int64_t list_id) {
  return guarded("读取部门名单行失败 (loading department list rows failed)", [&] {
    const long long id = list_id;
    std::vector<StoredListRow> out;
    std::string key, household, name, cells;
    soci::statement st =
        (session.prepare << "SELECT row_key, household_code, name, cells"
                            " FROM department_list_rows WHERE list_id = :id ORDER BY id",
         into(key), into(household), into(name), into(cells), use(id));
    st.execute();
    while (st.fetch()) out.push_back({key, household, name, cells_from_json(cells)});
    return out;
  });
}

std::vector<DepartmentListRecord> list_department_lists(soci::session& session,
                                                        const DepartmentListFilter& filter) {
  return guarded("读取部门名单失败 (listing department lists failed)", [&] {
    const std::string list = filter.list.value_or(""), dept = filter.department.value_or(""),
                      from = filter.from_period.value_or(""), to = filter.to_period.value_or("");
    const int any_list = filter.list ? 0 : 1, any_dept = filter.department ? 0 : 1,
              any_from = filter.from_period ? 0 : 1, any_to = filter.to_period ? 0 : 1;
    const int limit = std::clamp(filter.limit, 1, 1000);
    StoredListSelect row;
    Prepared p = (session.prepare << std::string(kListColumns) +
                                         "WHERE (:any_list = 1 OR list = :list)"
                                         " AND (:any_dept = 1 OR department = :dept)"
                                         " AND (:any_from = 1 OR period >= :from_period)"
                                         " AND (:any_to = 1 OR period <= :to_period)"
                                         " ORDER BY period DESC, id DESC LIMIT :limit");
    row.bind(p);
    p, use(any_list), use(list), use(any_dept), use(dept), use(any_from), use(from), use(any_to),
        use(to), use(limit);
    return fetch_all(p, row);
  });
}

std::vector<ListCase> load_list_cases(soci::session& session, const Config& config,
                                      int* unreadable) {
  return guarded("读取名单案件失败 (loading the cases of a list failed)", [&] {
    const std::vector<std::string> states = listed_states();
    std::string in_states;
    for (std::size_t i = 0; i < states.size(); ++i) {
      in_states += (i == 0 ? ":s" : ", :s") + std::to_string(i);
    }
    long long id = 0, version = 0;
    std::string state, village, township, data;
    Prepared p = (session.prepare << "SELECT c.id, c.state, c.version, h.village_code,"
                                     " h.township_code, c.data FROM cases c"
                                     " JOIN households h ON h.code = c.household_code"
                                     " WHERE c.state IN (" +
                                         in_states + ") ORDER BY c.id",
                  into(id), into(state), into(version), into(village), into(township), into(data));
    for (const std::string& s : states) p, use(s);
    soci::statement st(p);
    st.execute();
    std::vector<ListCase> out;
    while (st.fetch()) {
      auto parsed = case_data_from_json(data);
      if (std::holds_alternative<std::string>(parsed)) {
        if (unreadable != nullptr) ++*unreadable;
        continue;
      }
      ListCase c;
      c.case_id = id;
      c.snapshot =
          CaseSnapshot{format_case_id(id), state, version, std::get<CaseData>(std::move(parsed))};
      c.township_name = place_name(config, township);
      c.village_name = place_name(config, village);
      const CaseKind* kind = config.rules.find_kind(c.snapshot.data.kind);
      c.case_kind_name = kind != nullptr ? kind->name : c.snapshot.data.kind;
      out.push_back(std::move(c));
    }
    return out;
  });
}

std::optional<CaseSnapshot> latest_household_case(soci::session& session,
                                                  std::string_view household_code) {
  std::vector<CaseRecord> cases = load_cases_of_household(session, household_code);
  for (auto it = cases.rbegin(); it != cases.rend(); ++it) {
    auto parsed = case_data_from_json(it->data);
    if (std::holds_alternative<std::string>(parsed)) continue;
    return CaseSnapshot{format_case_id(it->id), it->state, it->version,
                        std::get<CaseData>(std::move(parsed))};
  }
  return std::nullopt;
}

}  // namespace fangfan
