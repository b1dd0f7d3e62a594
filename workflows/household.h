// A rural household (户) as the program sees it, its validation, and its
// per-capita disposable income over the program's income window.
//
// Income (人均可支配收入) follows the 建档立卡 rule [000]: wage + net business +
// property + transfer income, minus business expenses, over the twelve months
// from the same month of last year to last month, counted from the month the
// household was found (found 2024-05 -> 2023-05..2024-04), divided by the
// number of members. Money is integer fen (分) so thresholds compare exactly.
//
// Errors are values: validation returns sentences naming the field or the
// member (by position and masked name, never by ID number).
// Thread-safety: plain values and pure functions.
#pragma once

#include <boost/describe/class.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/case_codes.h"
#include "workflows/clock.h"
#include "workflows/refusal_codes.h"

namespace fangfan {

struct Member {
  std::string name;
  std::string id_number;  // GB 11643, stored with an uppercase 'X'
  Relation relation = Relation::kOther;
  bool able_to_work = false;  // 有劳动能力
  bool disabled = false;      // 残疾
  bool student = false;       // 在校生
  bool operator==(const Member&) const = default;
};
BOOST_DESCRIBE_STRUCT(Member, (), (name, id_number, relation, able_to_work, disabled, student))

struct Household {
  std::string code;          // 户编号, unique within the deployment
  std::string village_code;  // 村 (statistical area code or the deployment's own code)
  std::string phone;         // contact phone of the household
  std::vector<Member> members;

  bool operator==(const Household&) const = default;

  // False for 整户无劳动能力 households, which cannot be marked risk-eliminated [001].
  bool anyone_can_work() const;
  // The member whose relation is kHead, or nullptr.
  const Member* head() const;
};
BOOST_DESCRIBE_STRUCT(Household, (), (code, village_code, phone, members))

// Every problem with `household` as of `today`, each a sentence such as
// "第2位成员（王*）的身份证号校验位错误：应为X，实际为3". Empty when valid.
// Checks: code, village and phone (mobile or fixed line) present and well
// formed (codes digits only, text_rules.h; the village prefix is checked at
// opening, case_payload.cpp); at least one member; exactly one head; names present and
// single-line text without control or invisible characters; ID numbers valid
// and not repeated within the household.
std::vector<std::string> household_problems(const Household& household, Date today);

// The same problems, in the same order, with their refusal codes and fields: `at` names the
// household in the event ("household" gives "household.members[1].id_number").
std::vector<Problem> household_field_problems(const Household& household, Date today,
                                              std::string_view at = "household");

// One month of a household's income and expenses, in fen.
struct MonthlyAccount {
  std::chrono::year_month month{};
  std::int64_t wage_income_fen = 0;         // 工资性收入
  std::int64_t business_income_fen = 0;     // 生产经营性收入
  std::int64_t property_income_fen = 0;     // 财产性收入
  std::int64_t transfer_income_fen = 0;     // 转移性收入
  std::int64_t business_expense_fen = 0;    // 生产经营性支出
  std::int64_t medical_expense_fen = 0;     // 刚性支出：医疗（个人负担部分）
  std::int64_t education_expense_fen = 0;   // 刚性支出：教育
  std::int64_t disability_expense_fen = 0;  // 刚性支出：残疾康复、护理

  bool operator==(const MonthlyAccount&) const = default;
  std::int64_t net_income_fen() const;     // 可支配收入
  std::int64_t rigid_expense_fen() const;  // 因病因残因学刚性支出
};
BOOST_DESCRIBE_STRUCT(MonthlyAccount, (),
                      (month, wage_income_fen, business_income_fen, property_income_fen,
                       transfer_income_fen, business_expense_fen, medical_expense_fen,
                       education_expense_fen, disability_expense_fen))

// Sentences for negative amounts, months that are not real months and
// duplicated months. Empty when the records are usable.
std::vector<std::string> account_problems(const std::vector<MonthlyAccount>& accounts);

// Inclusive months [first, last]: always twelve.
struct IncomeWindow {
  std::chrono::year_month first{};
  std::chrono::year_month last{};
  bool operator==(const IncomeWindow&) const = default;
};

// The window for a household found in `discovered`.
IncomeWindow income_window(std::chrono::year_month discovered);

struct IncomeSummary {
  IncomeWindow window;
  int persons = 0;
  std::int64_t net_income_fen = 0;                      // whole household, whole window
  std::int64_t rigid_expense_fen = 0;                   // whole household, whole window
  std::vector<std::chrono::year_month> missing_months;  // months of the window with no record

  bool complete() const { return missing_months.empty(); }
  // Per-capita net income, rounded down to the fen. REQUIRES: persons > 0.
  std::int64_t per_capita_fen() const;
  // Exact: compares total income with line × persons, no division.
  bool per_capita_below(std::int64_t line_fen) const;
};

// Sums the records that fall inside the window of `discovered`; records
// outside it are ignored. REQUIRES: account_problems(accounts) is empty.
IncomeSummary summarize_income(const std::vector<MonthlyAccount>& accounts,
                               std::chrono::year_month discovered, int persons);

// "6500.00" (yuan with two decimals, no unit).
std::string format_yuan(std::int64_t fen);
// Yuan as configured (a double) to fen, rounded to the nearest fen.
std::int64_t yuan_to_fen(double yuan);
// "2024-05".
std::string format_month(std::chrono::year_month month);
// "2024年5月", for sentences a clerk reads.
std::string format_month_cn(std::chrono::year_month month);
// The calendar month of a date.
std::chrono::year_month month_of(Date d);

}  // namespace fangfan
