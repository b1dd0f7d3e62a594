#include "workflows/household.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "workflows/id_number.h"
#include "workflows/text_rules.h"

namespace fangfan {
namespace {

// Empty, or only spaces (ASCII or the ideographic U+3000): a name nobody can read.
bool is_blank(std::string_view s) {
  while (!s.empty()) {
    if (s.front() == ' ') {
      s.remove_prefix(1);
    } else if (s.starts_with("\xe3\x80\x80")) {
      s.remove_prefix(3);
    } else {
      return false;
    }
  }
  return true;
}

std::string member_prefix(size_t index, const Member& m) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "第%zu位成员", index + 1);
  std::string out = buf;
  if (!is_blank(m.name) && !text_fault(m.name, TextShape::kLine)) {
    out += "（" + mask_name(m.name) + "）";
  }
  return out;
}

}  // namespace

bool Household::anyone_can_work() const {
  return std::any_of(members.begin(), members.end(),
                     [](const Member& m) { return m.able_to_work; });
}

const Member* Household::head() const {
  for (const auto& m : members) {
    if (m.relation == Relation::kHead) return &m;
  }
  return nullptr;
}

std::vector<Problem> household_field_problems(const Household& household, Date today,
                                              std::string_view at) {
  using namespace refusal;
  const std::string h{at};
  std::vector<Problem> out;
  if (household.code.empty())
    out.push_back(problem(kHouseholdCodeMissing, h + ".code", "户编号未填写"));
  if (auto p = household_code_problem(household.code, "", h + ".code")) {  // the shape only
    out.push_back(std::move(*p));
  }
  if (household.village_code.empty()) {
    out.push_back(problem(kVillageCodeMissing, h + ".village_code", "所属村未填写"));
  }
  if (auto p = village_code_problem(household.village_code, h + ".village_code")) {
    out.push_back(std::move(*p));
  }
  if (household.phone.empty()) {
    out.push_back(problem(kPhoneMissing, h + ".phone", "联系电话未填写"));
  } else if (!is_mainland_mobile(household.phone) && !is_fixed_line_phone(household.phone)) {
    out.push_back(problem(
        kPhoneInvalid, h + ".phone",
        "联系电话“" + mask_phone(household.phone) + "”既不是11位手机号，也不是带区号的固定电话"));
  }
  if (household.members.empty()) {
    out.push_back(problem(kMembersMissing, h + ".members", "家庭成员未填写，至少应有户主一人"));
    return out;
  }
  const auto heads = std::count_if(household.members.begin(), household.members.end(),
                                   [](const Member& m) { return m.relation == Relation::kHead; });
  if (heads == 0) out.push_back(problem(kHeadMissing, h + ".members", "家庭成员中没有户主"));
  if (heads > 1) {
    out.push_back(problem(kHeadRepeated, h + ".members",
                          "家庭成员中有" + std::to_string(heads) + "位户主，只能有一位"));
  }

  std::set<std::string> seen;
  for (size_t i = 0; i < household.members.size(); ++i) {
    const Member& m = household.members[i];
    const std::string member = h + ".members[" + std::to_string(i) + "]";
    if (is_blank(m.name)) {
      out.push_back(
          problem(kMemberNameMissing, member + ".name", member_prefix(i, m) + "的姓名未填写"));
    } else if (auto p = text_problem(m.name, TextShape::kLine, member + ".name",
                                     "第" + std::to_string(i + 1) + "位成员的姓名")) {
      out.push_back(std::move(*p));  // the name is not quoted: it holds what was refused
    }
    if (auto bad = id_number_problem(m.id_number, today)) {
      out.push_back(
          problem(kIdNumberInvalid, member + ".id_number", member_prefix(i, m) + "的" + *bad));
    } else if (!seen.insert(m.id_number).second) {
      out.push_back(problem(kIdNumberRepeated, member + ".id_number",
                            member_prefix(i, m) + "的身份证号与前面的成员重复"));
    }
  }
  return out;
}

std::vector<std::string> household_problems(const Household& household, Date today) {
  std::vector<std::string> out;
  for (auto& p : household_field_problems(household, today)) out.push_back(std::move(p.sentence));
  return out;
}

std::int64_t MonthlyAccount::net_income_fen() const {
  return wage_income_fen + business_income_fen + property_income_fen + transfer_income_fen -
         business_expense_fen;
}

std::int64_t MonthlyAccount::rigid_expense_fen() const {
  return medical_expense_fen + education_expense_fen + disability_expense_fen;
}

std::vector<std::string> account_problems(const std::vector<MonthlyAccount>& accounts) {
  std::vector<std::string> out;
  std::set<int> months;
  for (const auto& a : accounts) {
    if (!a.month.ok()) {
      out.push_back("收支记录的月份无效");
      continue;
    }
    const std::string label = format_month_cn(a.month) + "的收支记录";
    const std::int64_t amounts[] = {a.wage_income_fen,       a.business_income_fen,
                                    a.property_income_fen,   a.transfer_income_fen,
                                    a.business_expense_fen,  a.medical_expense_fen,
                                    a.education_expense_fen, a.disability_expense_fen};
    if (std::any_of(std::begin(amounts), std::end(amounts), [](auto v) { return v < 0; })) {
      out.push_back(label + "含有负数金额（亏损请记入生产经营性支出）");
    }
    const int key = int(a.month.year()) * 12 + int(unsigned(a.month.month()));
    if (!months.insert(key).second) out.push_back(label + "重复登记");
  }
  return out;
}

IncomeWindow income_window(std::chrono::year_month discovered) {
  return {discovered - std::chrono::years{1}, discovered - std::chrono::months{1}};
}

std::int64_t IncomeSummary::per_capita_fen() const { return net_income_fen / persons; }

bool IncomeSummary::per_capita_below(std::int64_t line_fen) const {
  return net_income_fen < line_fen * persons;
}

IncomeSummary summarize_income(const std::vector<MonthlyAccount>& accounts,
                               std::chrono::year_month discovered, int persons) {
  IncomeSummary s;
  s.window = income_window(discovered);
  s.persons = persons;
  for (auto m = s.window.first; m <= s.window.last; m += std::chrono::months{1}) {
    auto it = std::find_if(accounts.begin(), accounts.end(),
                           [m](const MonthlyAccount& a) { return a.month == m; });
    if (it == accounts.end()) {
      s.missing_months.push_back(m);
      continue;
    }
    s.net_income_fen += it->net_income_fen();
    s.rigid_expense_fen += it->rigid_expense_fen();
  }
  return s;
}

std::string format_yuan(std::int64_t fen) {
  const char* sign = fen < 0 ? "-" : "";
  const std::int64_t abs = fen < 0 ? -fen : fen;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", sign, static_cast<long long>(abs / 100),
                static_cast<long long>(abs % 100));
  return buf;
}

std::int64_t yuan_to_fen(double yuan) { return std::llround(yuan * 100.0); }

std::string format_month(std::chrono::year_month month) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", int(month.year()), unsigned(month.month()));
  return buf;
}

std::string format_month_cn(std::chrono::year_month month) {
  return std::to_string(int(month.year())) + "年" + std::to_string(unsigned(month.month())) + "月";
}

std::chrono::year_month month_of(Date d) {
  const std::chrono::year_month_day ymd{d};
  return ymd.year() / ymd.month();
}

}  // namespace fangfan
