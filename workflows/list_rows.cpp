// Department lists, the content: columns, who is on a list, its rows and cells, and what changed
// since the previous list (workflows/lists.h). The schedules and duties are in list_schedule.cpp.
#include <algorithm>
#include <map>
#include <tuple>

#include "workflows/case_events.h"
#include "workflows/date.h"
#include "workflows/id_number.h"
#include "workflows/lists.h"

namespace fangfan {
namespace {

constexpr std::string_view kYes = "是";
constexpr std::string_view kNo = "否";

// Age in whole years on `day` of someone born on `birth`.
int age_on(Date birth, Date day) {
  const std::chrono::year_month_day b{birth}, d{day};
  int age = int(d.year()) - int(b.year());
  if (std::pair{unsigned(d.month()), unsigned(d.day())} <
      std::pair{unsigned(b.month()), unsigned(b.day())}) {
    --age;
  }
  return age;
}

// The birth date of a stored ID number, or nullopt when it does not hold one (the birth date
// digits are read only after the number's shape is checked; stored numbers are validated).
std::optional<Date> birth_date_of(const std::string& id) {
  if (id.size() != 18) return std::nullopt;
  for (std::size_t i = 0; i < 17; ++i) {
    if (id[i] < '0' || id[i] > '9') return std::nullopt;
  }
  const Date birth = id_birth_date(id);
  if (!std::chrono::year_month_day{birth}.ok()) return std::nullopt;
  return birth;
}

// 学龄: a student, or aged 6..17 on the list's day (compulsory and senior secondary school).
bool school_age(const Member& m, Date day) {
  if (m.student) return true;
  const std::optional<Date> birth = birth_date_of(m.id_number);
  if (!birth) return false;
  const int age = age_on(*birth, day);
  return age >= 6 && age <= 17;
}

bool in_scope(const Member& m, MemberFilter filter, Date day) {
  switch (filter) {
    case MemberFilter::kAll:
      return true;
    case MemberFilter::kSchoolAge:
      return school_age(m, day);
    case MemberFilter::kDisabled:
      return m.disabled;
  }
  return false;
}

bool has_listed_cause(const CaseData& d, const std::vector<std::string>& causes) {
  if (causes.empty()) return true;
  for (RiskCause c : d.risk_causes) {
    if (std::find(causes.begin(), causes.end(), code_of(c)) != causes.end()) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

std::string risk_cause_labels(const CaseData& d) {
  std::vector<std::string> labels;
  for (RiskCause c : d.risk_causes) labels.emplace_back(label_of(c));
  return join(labels, "、");
}

// Measures in place or completed (已落实): "医疗保障：慢病门诊报销" each.
std::string measures_in_place(const CaseData& d) {
  std::vector<std::string> parts;
  for (const Measure& m : d.measures) {
    if (m.status != MeasureStatus::kInPlace && m.status != MeasureStatus::kCompleted) continue;
    std::string part{label_of(m.type)};
    if (!m.description.empty()) part += "：" + m.description;
    parts.push_back(std::move(part));
  }
  return join(parts, "；");
}

std::string yes_no(bool b) { return std::string(b ? kYes : kNo); }

// The text of column `code` for `member` (the head on household rows) of `c`.
std::string cell(std::string_view code, const ListCase& c, const Member* member, const Member* head,
                 ListCategory category) {
  const CaseData& d = c.snapshot.data;
  static const Member kNobody;
  const Member& m = member != nullptr ? *member : kNobody;
  const Member& h = head != nullptr ? *head : kNobody;
  if (code == "household_code") return d.household.code;
  if (code == "township") return c.township_name;
  if (code == "village") return c.village_name;
  if (code == "head_name") return h.name;
  if (code == "head_id_number") return h.id_number;
  if (code == "name") return m.name;
  if (code == "id_number") return m.id_number;
  if (code == "relation") return member != nullptr ? std::string(label_of(m.relation)) : "";
  if (code == "phone") return d.household.phone;
  if (code == "persons") return std::to_string(d.household.members.size());
  if (code == "case_kind") return c.case_kind_name.empty() ? d.kind : c.case_kind_name;
  if (code == "category") return std::string(list_category_label(category));
  if (code == "risk_causes") return risk_cause_labels(d);
  if (code == "state") {
    const CaseStateInfo* info = find_case_state(c.snapshot.state);
    return info != nullptr ? std::string(info->label) : c.snapshot.state;
  }
  if (code == "registered_on")
    return d.registered_at ? format_date(china_date(*d.registered_at)) : "";
  if (code == "officer") return d.officer;
  if (code == "measures") return measures_in_place(d);
  if (code == "disabled") return member != nullptr ? yes_no(m.disabled) : "";
  if (code == "student") return member != nullptr ? yes_no(m.student) : "";
  if (code == "able_to_work") return member != nullptr ? yes_no(m.able_to_work) : "";
  return "";
}

// Row order: village code (it begins with the township's code), household code, member order.
using RowOrder = std::tuple<std::string, std::string, std::size_t>;

}  // namespace

// -- columns

const std::vector<ListColumn>& list_columns() {
  static const std::vector<ListColumn> kColumns{
      {"household_code", "户编号", 16, true},
      {"township", "乡镇（街道）", 14, false},
      {"village", "行政村", 14, false},
      {"head_name", "户主姓名", 10, false},
      {"head_id_number", "户主身份证号", 21, true},
      {"name", "姓名", 10, false},
      {"id_number", "身份证号", 21, true},
      {"relation", "与户主关系", 11, false},
      {"phone", "联系电话", 15, true},
      {"persons", "家庭人口", 9, false},
      {"case_kind", "监测对象类型", 14, false},
      {"category", "名单类别", 10, false},
      {"risk_causes", "风险类型", 18, false},
      {"state", "当前状态", 16, false},
      {"registered_on", "纳入监测日期", 13, false},
      {"officer", "帮扶责任人", 11, false},
      {"measures", "已落实帮扶措施", 40, false},
      {"disabled", "是否残疾", 9, false},
      {"student", "是否在校生", 11, false},
      {"able_to_work", "是否有劳动能力", 15, false},
  };
  return kColumns;
}

const ListColumn* find_list_column(std::string_view code) {
  for (const ListColumn& c : list_columns()) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

std::vector<std::string> default_list_columns() {
  return {"household_code", "township",  "village",  "head_name",   "head_id_number",
          "phone",          "case_kind", "category", "risk_causes", "state"};
}

// -- who is on a list

std::string_view list_category_label(ListCategory c) {
  switch (c) {
    case ListCategory::kMonitored:
      return "监测对象";
    case ListCategory::kInstant:
      return "即时帮扶";
    case ListCategory::kRolledBack:
      return "回退";
  }
  return "";
}

std::optional<ListCategory> list_category(const CaseSnapshot& snapshot) {
  const CaseStateInfo* info = find_case_state(snapshot.state);
  if (info == nullptr || !info->in_progress) return std::nullopt;
  const CaseData& d = snapshot.data;
  // A rolled-back case is registered again (风险消除回退), or re-identified as kind "rollback".
  if (info->monitoring_object && (d.rolled_back_at || d.kind == "rollback")) {
    return ListCategory::kRolledBack;
  }
  if (d.kind == "instant") return ListCategory::kInstant;
  if (info->monitoring_object) return ListCategory::kMonitored;
  // Before recognition only an emergency case is assisted (先帮扶后认定).
  if (d.emergency) return ListCategory::kInstant;
  return std::nullopt;
}

ListContent build_list(const DepartmentList& list, const std::vector<ListCase>& cases, Date day) {
  ListContent out;
  out.columns = list.columns.empty() ? default_list_columns() : list.columns;
  std::vector<std::pair<RowOrder, ListRow>> rows;
  for (const ListCase& c : cases) {
    const std::optional<ListCategory> category = list_category(c.snapshot);
    if (!category) continue;
    const CaseData& d = c.snapshot.data;
    if (!has_listed_cause(d, list.risk_causes)) continue;
    const std::vector<Member>& members = d.household.members;
    std::vector<std::size_t> scoped;
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (in_scope(members[i], list.members, day)) scoped.push_back(i);
    }
    if (list.members != MemberFilter::kAll && scoped.empty()) continue;
    const Member* head = d.household.head();
    if (head == nullptr && !members.empty()) head = &members.front();

    auto add_row = [&](const Member* member, std::size_t order) {
      ListRow row;
      row.key = list.rows == ListRows::kMember ? member->id_number : d.household.code;
      row.case_id = c.case_id;
      row.household_code = d.household.code;
      row.name = member != nullptr ? member->name : "";
      row.cells.reserve(out.columns.size());
      for (const std::string& code : out.columns) {
        row.cells.push_back(cell(code, c, member, head, *category));
      }
      rows.emplace_back(RowOrder{d.household.village_code, d.household.code, order},
                        std::move(row));
    };
    if (list.rows == ListRows::kMember) {
      for (std::size_t i : scoped) add_row(&members[i], i);
    } else {
      add_row(head, 0);
    }
    ++out.households;
    out.persons += static_cast<int>(members.size());
    switch (*category) {
      case ListCategory::kMonitored:
        ++out.monitored;
        break;
      case ListCategory::kInstant:
        ++out.instant;
        break;
      case ListCategory::kRolledBack:
        ++out.rolled_back;
        break;
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.rows.reserve(rows.size());
  for (auto& [order, row] : rows) out.rows.push_back(std::move(row));
  return out;
}

// -- what changed

std::string_view list_change_label(ListChange::Kind kind) {
  switch (kind) {
    case ListChange::Kind::kNew:
      return "新增";
    case ListChange::Kind::kChanged:
      return "信息变更";
    case ListChange::Kind::kLeft:
      return "移出名单";
  }
  return "";
}

std::vector<ListChange> list_changes(
    const std::vector<StoredListRow>& previous, const ListContent& current,
    const std::function<std::string(const std::string&)>& left_reason) {
  std::map<std::string_view, const StoredListRow*> before;
  for (const StoredListRow& r : previous) before.emplace(r.key, &r);
  std::vector<ListChange> out;
  std::map<std::string_view, bool> still;
  for (const ListRow& row : current.rows) {
    still[row.key] = true;
    const auto it = before.find(row.key);
    if (it == before.end()) {
      out.push_back({ListChange::Kind::kNew, row.key, row.household_code, row.name, ""});
      continue;
    }
    std::vector<std::string> changed;
    for (std::size_t i = 0; i < current.columns.size() && i < row.cells.size(); ++i) {
      const std::string& code = current.columns[i];
      for (const auto& [old_code, old_text] : it->second->cells) {
        if (old_code != code || old_text == row.cells[i]) continue;
        const ListColumn* column = find_list_column(code);
        const std::string header = column != nullptr ? std::string(column->header) : code;
        changed.push_back(header + "：" + old_text + " -> " + row.cells[i]);
      }
    }
    if (!changed.empty()) {
      out.push_back(
          {ListChange::Kind::kChanged, row.key, row.household_code, row.name, join(changed, "；")});
    }
  }
  for (const StoredListRow& r : previous) {
    if (still.count(r.key) != 0) continue;
    out.push_back({ListChange::Kind::kLeft, r.key, r.household_code, r.name,
                   left_reason ? left_reason(r.household_code) : std::string()});
  }
  return out;
}

std::string left_list_reason(const CaseSnapshot* latest) {
  if (latest == nullptr) return "户已不在系统中";
  const CaseData& d = latest->data;
  if (latest->state == "eliminated") {
    if (!d.eliminated_at) return "风险已消除";
    return "风险已消除（" + format_date(china_date(*d.eliminated_at)) + "）";
  }
  if (latest->state == "cleared_out") return "已清退：" + d.closing_reason;
  if (latest->state == "rejected") return "未纳入监测：" + d.closing_reason;
  return "不再属于本部门关注范围";
}

}  // namespace fangfan
