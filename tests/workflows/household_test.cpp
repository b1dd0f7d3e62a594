#include "workflows/household.h"

#include <gtest/gtest.h>

#include "tests/support/people.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

using std::chrono::April;
using std::chrono::December;
using std::chrono::January;
using std::chrono::May;
using std::chrono::year;

const Date kToday = *parse_date("2024-05-06");

Household valid_household() {
  testing::PeopleGenerator people(11);
  return people.household("3713020010010001", "371302001001", 4);
}

TEST(Household, GeneratedHouseholdsAreValid) {
  testing::PeopleGenerator people(12);
  for (int i = 0; i < 200; ++i) {
    const auto h = people.household("3713020010010" + std::to_string(i), "371302001001", 1 + i % 6);
    EXPECT_TRUE(household_problems(h, kToday).empty()) << household_problems(h, kToday).front();
  }
}

TEST(Household, NamesTheMemberAndTheReason) {
  Household h = valid_household();
  h.members[1].name = "王芳";
  h.members[1].id_number = "110105194912310023";
  const auto problems = household_problems(h, kToday);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "第2位成员（王*）的身份证号校验位错误：应为X，实际为3");
}

TEST(Household, EachProblemIsReported) {
  struct Case {
    const char* what;
    void (*mutate)(Household&);
    const char* expected;
  };
  const Case cases[] = {
      {"no code", [](Household& h) { h.code.clear(); }, "户编号未填写"},
      {"no village", [](Household& h) { h.village_code.clear(); }, "所属村未填写"},
      {"no phone", [](Household& h) { h.phone.clear(); }, "联系电话未填写"},
      {"bad phone", [](Household& h) { h.phone = "12345678901"; },
       "联系电话“123****8901”既不是11位手机号，也不是带区号的固定电话"},
      {"no members", [](Household& h) { h.members.clear(); }, "家庭成员未填写，至少应有户主一人"},
      {"no head", [](Household& h) { h.members[0].relation = Relation::kOther; },
       "家庭成员中没有户主"},
      {"two heads", [](Household& h) { h.members[1].relation = Relation::kHead; },
       "家庭成员中有2位户主，只能有一位"},
      {"no name", [](Household& h) { h.members[2].name.clear(); }, "第3位成员的姓名未填写"},
      {"duplicate id",
       [](Household& h) {
         h.members[3].name = "李明";
         h.members[3].id_number = h.members[0].id_number;
       },
       "第4位成员（李*）的身份证号与前面的成员重复"},
      {"short id",
       [](Household& h) {
         h.members[0].name = "赵国强";
         h.members[0].id_number = "37130219800101";
       },
       "第1位成员（赵**）的身份证号应为18位，实际为14位"},
  };
  for (const auto& c : cases) {
    Household h = valid_household();
    c.mutate(h);
    const auto problems = household_problems(h, kToday);
    ASSERT_FALSE(problems.empty()) << c.what;
    EXPECT_EQ(problems.front(), c.expected) << c.what;
  }
}

TEST(Household, FixedLinePhoneIsAccepted) {
  Household h = valid_household();
  h.phone = "0539-8123456";
  EXPECT_TRUE(household_problems(h, kToday).empty());
}

TEST(Household, AnyoneCanWork) {
  Household h = valid_household();
  EXPECT_TRUE(h.anyone_can_work());
  for (auto& m : h.members) m.able_to_work = false;
  EXPECT_FALSE(h.anyone_can_work());
  ASSERT_NE(h.head(), nullptr);
  EXPECT_EQ(h.head()->relation, Relation::kHead);
}

TEST(IncomeWindow, SameMonthLastYearToLastMonth) {
  EXPECT_EQ(income_window(year{2024} / May), (IncomeWindow{year{2023} / May, year{2024} / April}));
  EXPECT_EQ(income_window(year{2024} / January),
            (IncomeWindow{year{2023} / January, year{2023} / December}));
}

std::vector<MonthlyAccount> twelve_months(std::chrono::year_month first, std::int64_t wage) {
  std::vector<MonthlyAccount> out;
  for (int i = 0; i < 12; ++i) {
    MonthlyAccount a;
    a.month = first + std::chrono::months{i};
    a.wage_income_fen = wage;
    out.push_back(a);
  }
  return out;
}

TEST(Income, SumsTheWindowAndIgnoresOtherMonths) {
  auto accounts = twelve_months(year{2023} / May, 100000);
  accounts[0].business_income_fen = 50000;
  accounts[0].business_expense_fen = 20000;
  accounts[1].medical_expense_fen = 70000;
  MonthlyAccount outside;
  outside.month = year{2024} / May;  // the month of discovery: not in the window
  outside.wage_income_fen = 999999;
  accounts.push_back(outside);
  const auto s = summarize_income(accounts, year{2024} / May, 3);
  EXPECT_TRUE(s.complete());
  EXPECT_EQ(s.net_income_fen, 12 * 100000 + 50000 - 20000);
  EXPECT_EQ(s.rigid_expense_fen, 70000);
  EXPECT_EQ(s.per_capita_fen(), (12 * 100000 + 30000) / 3);
}

TEST(Income, PerCapitaBelowIsExactAtTheFen) {
  IncomeSummary s;
  s.persons = 3;
  s.net_income_fen = 3 * 650000;  // exactly 6500.00 yuan each
  EXPECT_FALSE(s.per_capita_below(650000));
  s.net_income_fen -= 1;
  EXPECT_TRUE(s.per_capita_below(650000));
}

TEST(Income, ReportsMissingMonths) {
  auto accounts = twelve_months(year{2023} / May, 100000);
  accounts.erase(accounts.begin() + 2);  // 2023-07
  const auto s = summarize_income(accounts, year{2024} / May, 2);
  ASSERT_EQ(s.missing_months.size(), 1u);
  EXPECT_EQ(format_month(s.missing_months[0]), "2023-07");
  EXPECT_EQ(format_month_cn(s.missing_months[0]), "2023年7月");
}

TEST(Income, AccountProblems) {
  auto accounts = twelve_months(year{2023} / May, 100000);
  EXPECT_TRUE(account_problems(accounts).empty());
  accounts[3].transfer_income_fen = -1;
  accounts.push_back(accounts[0]);
  const auto problems = account_problems(accounts);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "2023年8月的收支记录含有负数金额（亏损请记入生产经营性支出）");
  EXPECT_EQ(problems[1], "2023年5月的收支记录重复登记");
}

TEST(Money, FormatsAndConverts) {
  EXPECT_EQ(format_yuan(650000), "6500.00");
  EXPECT_EQ(format_yuan(5), "0.05");
  EXPECT_EQ(format_yuan(-150), "-1.50");
  EXPECT_EQ(yuan_to_fen(6500), 650000);
  EXPECT_EQ(yuan_to_fen(5200.005), 520001);
  EXPECT_EQ(month_of(*parse_date("2024-05-31")), year{2024} / May);
}

}  // namespace
}  // namespace fangfan
