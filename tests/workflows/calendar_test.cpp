// The working-day calendar against the State Council notices, 2020-2026.
//
// The expected arrangement below is transcribed here, in ranges as the notices
// word them, independently of config/calendar/*.toml (which list every date):
// the test loads the real files and compares every day of every year.
#include "workflows/calendar.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "adapters/calendar/calendar_files.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

using std::chrono::days;

Date D(const char* text) {
  auto d = parse_date(text);
  EXPECT_TRUE(d) << text;
  return d.value_or(Date{});
}

struct NoticeItem {
  const char* name;
  const char* first_day_off;
  const char* last_day_off;
  std::vector<const char*> makeup_workdays;
};

struct Notice {
  int year;
  std::vector<NoticeItem> items;
  int working_days;  // in the whole year
};

// 国办发明电〔2019〕16号 with 国办发明电〔2020〕1号 (春节 extended to 2月2日, so the
// make-up Saturday 2月1日 became a day off), 〔2020〕27号, 〔2021〕11号,
// 〔2022〕16号, 〔2023〕7号, 〔2024〕12号, 〔2025〕7号.
const std::vector<Notice>& notices() {
  static const std::vector<Notice> kNotices = {
      {2020,
       {{"元旦", "2020-01-01", "2020-01-01", {}},
        {"春节", "2020-01-24", "2020-02-02", {"2020-01-19"}},
        {"清明节", "2020-04-04", "2020-04-06", {}},
        {"劳动节", "2020-05-01", "2020-05-05", {"2020-04-26", "2020-05-09"}},
        {"端午节", "2020-06-25", "2020-06-27", {"2020-06-28"}},
        {"国庆节、中秋节", "2020-10-01", "2020-10-08", {"2020-09-27", "2020-10-10"}}},
       249},
      {2021,
       {{"元旦", "2021-01-01", "2021-01-03", {}},
        {"春节", "2021-02-11", "2021-02-17", {"2021-02-07", "2021-02-20"}},
        {"清明节", "2021-04-03", "2021-04-05", {}},
        {"劳动节", "2021-05-01", "2021-05-05", {"2021-04-25", "2021-05-08"}},
        {"端午节", "2021-06-12", "2021-06-14", {}},
        {"中秋节", "2021-09-19", "2021-09-21", {"2021-09-18"}},
        {"国庆节", "2021-10-01", "2021-10-07", {"2021-09-26", "2021-10-09"}}},
       250},
      {2022,
       {{"元旦", "2022-01-01", "2022-01-03", {}},
        {"春节", "2022-01-31", "2022-02-06", {"2022-01-29", "2022-01-30"}},
        {"清明节", "2022-04-03", "2022-04-05", {"2022-04-02"}},
        {"劳动节", "2022-04-30", "2022-05-04", {"2022-04-24", "2022-05-07"}},
        {"端午节", "2022-06-03", "2022-06-05", {}},
        {"中秋节", "2022-09-10", "2022-09-12", {}},
        {"国庆节", "2022-10-01", "2022-10-07", {"2022-10-08", "2022-10-09"}}},
       249},
      {2023,
       // 元旦 ran from 2022-12-31 (a Saturday, in the 2022 year's weekend).
       {{"元旦", "2023-01-01", "2023-01-02", {}},
        {"春节", "2023-01-21", "2023-01-27", {"2023-01-28", "2023-01-29"}},
        {"清明节", "2023-04-05", "2023-04-05", {}},
        {"劳动节", "2023-04-29", "2023-05-03", {"2023-04-23", "2023-05-06"}},
        {"端午节", "2023-06-22", "2023-06-24", {"2023-06-25"}},
        {"中秋节、国庆节", "2023-09-29", "2023-10-06", {"2023-10-07", "2023-10-08"}}},
       249},
      {2024,
       {{"元旦", "2024-01-01", "2024-01-01", {}},
        {"春节", "2024-02-10", "2024-02-17", {"2024-02-04", "2024-02-18"}},
        {"清明节", "2024-04-04", "2024-04-06", {"2024-04-07"}},
        {"劳动节", "2024-05-01", "2024-05-05", {"2024-04-28", "2024-05-11"}},
        {"端午节", "2024-06-10", "2024-06-10", {}},
        {"中秋节", "2024-09-15", "2024-09-17", {"2024-09-14"}},
        {"国庆节", "2024-10-01", "2024-10-07", {"2024-09-29", "2024-10-12"}}},
       251},
      {2025,
       {{"元旦", "2025-01-01", "2025-01-01", {}},
        {"春节", "2025-01-28", "2025-02-04", {"2025-01-26", "2025-02-08"}},
        {"清明节", "2025-04-04", "2025-04-06", {}},
        {"劳动节", "2025-05-01", "2025-05-05", {"2025-04-27"}},
        {"端午节", "2025-05-31", "2025-06-02", {}},
        {"国庆节、中秋节", "2025-10-01", "2025-10-08", {"2025-09-28", "2025-10-11"}}},
       248},
      {2026,
       {{"元旦", "2026-01-01", "2026-01-03", {"2026-01-04"}},
        {"春节", "2026-02-15", "2026-02-23", {"2026-02-14", "2026-02-28"}},
        {"清明节", "2026-04-04", "2026-04-06", {}},
        {"劳动节", "2026-05-01", "2026-05-05", {"2026-05-09"}},
        {"端午节", "2026-06-19", "2026-06-21", {}},
        {"中秋节", "2026-09-25", "2026-09-27", {}},
        {"国庆节", "2026-10-01", "2026-10-07", {"2026-09-20", "2026-10-10"}}},
       248},
  };
  return kNotices;
}

bool weekend(Date d) {
  const std::chrono::weekday wd{d};
  return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

class RealCalendar : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = load_calendar_dir(std::filesystem::path(FANGFAN_SOURCE_DIR) / "config/calendar");
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
    ASSERT_TRUE(loaded.calendar);
    calendar_ = new WorkingDayCalendar(std::move(*loaded.calendar));
  }
  static void TearDownTestSuite() {
    delete calendar_;
    calendar_ = nullptr;
  }

  static bool working(const char* date) {
    auto r = calendar_->is_working_day(D(date));
    EXPECT_TRUE(r) << date << ": " << (r ? "" : r.error().message);
    return r && *r;
  }
  static std::string plus(const char* date, int n) {
    auto r = calendar_->add_working_days(D(date), n);
    if (!r) return "error: " + r.error().message;
    return format_date(*r);
  }
  static int between(const char* a, const char* b) {
    auto r = calendar_->working_days_between(D(a), D(b));
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : -1;
  }

  static const WorkingDayCalendar* calendar_;
};
const WorkingDayCalendar* RealCalendar::calendar_ = nullptr;

TEST_F(RealCalendar, CoversEachYearWithANotice) {
  EXPECT_FALSE(calendar_->covers_year(2019));
  for (int y = 2020; y <= 2026; ++y) EXPECT_TRUE(calendar_->covers_year(y)) << y;
  EXPECT_EQ(calendar_->first_covered_year(), 2020);
  EXPECT_EQ(calendar_->last_covered_year(), 2026);
  EXPECT_EQ(
      calendar_->sources(2025),
      std::vector<std::string>{
          "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024-11-12）"});
  ASSERT_EQ(calendar_->sources(2020).size(), 2u);
  EXPECT_NE(calendar_->sources(2020)[1].find("国办发明电〔2020〕1号"), std::string::npos);
}

// Every holiday and every make-up workday of each notice, by name.
TEST_F(RealCalendar, EveryHolidayAndMakeupWorkdayOfTheNotices) {
  for (const auto& notice : notices()) {
    for (const auto& item : notice.items) {
      for (Date d = D(item.first_day_off); d <= D(item.last_day_off); d += days{1}) {
        auto r = calendar_->is_working_day(d);
        ASSERT_TRUE(r) << format_date(d);
        EXPECT_FALSE(*r) << format_date(d) << " should be off (" << item.name << ")";
        EXPECT_EQ(calendar_->period_name(d), std::string(item.name)) << format_date(d);
      }
      for (const char* m : item.makeup_workdays) {
        EXPECT_TRUE(weekend(D(m))) << m << " is not a weekend day: the test table is wrong";
        EXPECT_TRUE(working(m)) << m << " is a make-up workday (" << item.name << ")";
        EXPECT_EQ(calendar_->period_name(D(m)), std::string(item.name)) << m;
      }
    }
  }
}

// Every other day of each year follows the weekend rule: nothing extra in the files.
TEST_F(RealCalendar, EveryOtherDayFollowsTheWeek) {
  for (const auto& notice : notices()) {
    std::set<Date> off, on;
    for (const auto& item : notice.items) {
      for (Date d = D(item.first_day_off); d <= D(item.last_day_off); d += days{1}) off.insert(d);
      for (const char* m : item.makeup_workdays) on.insert(D(m));
    }
    const Date first = D((std::to_string(notice.year) + "-01-01").c_str());
    const Date last = D((std::to_string(notice.year) + "-12-31").c_str());
    int expected_count = 0;
    for (Date d = first; d <= last; d += days{1}) {
      const bool expected = on.count(d) || (!off.count(d) && !weekend(d));
      expected_count += expected;
      auto r = calendar_->is_working_day(d);
      ASSERT_TRUE(r) << format_date(d);
      EXPECT_EQ(*r, expected) << format_date(d);
      if (!off.count(d) && !on.count(d)) {
        EXPECT_FALSE(calendar_->period_name(d)) << format_date(d);
      }
    }
    EXPECT_EQ(expected_count, notice.working_days) << notice.year << ": the test table is wrong";
  }
}

// Whole years: 2024 has 251 working days and 2025 has 248, as widely published
// after each notice; the others follow from the notices the same way.
TEST_F(RealCalendar, WorkingDaysInWholeYears) {
  for (const auto& notice : notices()) {
    const std::string y = std::to_string(notice.year);
    EXPECT_EQ(between((y + "-01-01").c_str(), (y + "-12-31").c_str()), notice.working_days) << y;
  }
  EXPECT_EQ(between("2020-01-01", "2026-12-31"), 249 + 250 + 249 + 249 + 251 + 248 + 248);
}

TEST_F(RealCalendar, IssueExamples) {
  EXPECT_TRUE(working("2025-10-11"));  // 国庆 make-up Saturday
  EXPECT_EQ(plus("2025-09-30", 5), "2025-10-14");
  EXPECT_EQ(between("2025-01-01", "2025-12-31"), 248);
}

// A 5-working-day deadline across the National Day week: the event day does not
// count, the 8 days off are skipped, the make-up Saturday counts.
TEST_F(RealCalendar, FiveWorkingDaysAcrossNationalDay) {
  // 2025: off 10-01..10-08; 10-09 Thu (1), 10-10 Fri (2), 10-11 Sat make-up (3),
  // 10-12 Sun off, 10-13 (4), 10-14 (5).
  EXPECT_EQ(plus("2025-09-30", 5), "2025-10-14");
  // Starting on the make-up Sunday before it: 09-29 (1), 09-30 (2), 10-09 (3), 10-10 (4),
  // 10-11 (5).
  EXPECT_EQ(plus("2025-09-28", 5), "2025-10-11");
  // 2024: off 10-01..10-07, 10-12 Saturday worked.
  EXPECT_EQ(plus("2024-09-30", 5), "2024-10-12");
  // An event during the holiday: counting starts at the first working day after it.
  EXPECT_EQ(plus("2025-10-03", 1), "2025-10-09");
  // 09-28 (Sun, worked), 09-29, 09-30, 10-09, 10-10, 10-11 (Sat, worked).
  EXPECT_EQ(between("2025-09-27", "2025-10-12"), 6);
}

// Across Spring Festival with its make-up Sunday (before) and Saturday (after).
TEST_F(RealCalendar, FiveWorkingDaysAcrossSpringFestival) {
  // 2025: 01-26 Sun worked, 01-28..02-04 off, 02-08 Sat worked.
  EXPECT_EQ(plus("2025-01-24", 5), "2025-02-07");  // 01-26, 01-27, 02-05, 02-06, 02-07
  EXPECT_EQ(plus("2025-01-27", 5), "2025-02-10");  // 02-05, 02-06, 02-07, 02-08 (Sat), 02-10
  EXPECT_EQ(plus("2025-01-25", 1), "2025-01-26");  // a Saturday event, due on the make-up Sunday
  // 2024: 02-04 Sun and 02-18 Sun worked; 除夕 02-09 was only "encouraged" off.
  EXPECT_EQ(plus("2024-02-02", 5), "2024-02-08");
  EXPECT_EQ(plus("2024-02-08", 1), "2024-02-09");
  EXPECT_EQ(plus("2024-02-08", 2), "2024-02-18");
  // 2026: nine days off, 02-14 Sat and 02-28 Sat worked.
  EXPECT_EQ(plus("2026-02-12", 5), "2026-02-26");     // 02-13, 02-14 (Sat), 02-24, 02-25, 02-26
  EXPECT_EQ(between("2026-02-13", "2026-02-28"), 7);  // 13, 14, 24, 25, 26, 27, 28
}

TEST_F(RealCalendar, SpringFestival2020Extension) {
  // The extension made 01-31 (Fri) and the planned make-up Saturday 02-01 days off.
  EXPECT_FALSE(working("2020-01-31"));
  EXPECT_FALSE(working("2020-02-01"));
  EXPECT_TRUE(working("2020-01-19"));
  EXPECT_EQ(plus("2020-01-23", 1), "2020-02-03");
}

TEST_F(RealCalendar, AcrossTheNewYear) {
  // 2026-01-01..03 off, 01-04 Sunday worked.
  EXPECT_EQ(plus("2025-12-31", 1), "2026-01-04");
  EXPECT_EQ(plus("2025-12-31", 2), "2026-01-05");
  EXPECT_EQ(plus("2026-01-04", -1), "2025-12-31");
  EXPECT_EQ(between("2025-12-29", "2026-01-05"), 5);  // 12-29, 12-30, 12-31, 01-04, 01-05
}

TEST_F(RealCalendar, ZeroAndBackwards) {
  EXPECT_EQ(plus("2025-10-03", 0), "2025-10-03");  // n = 0 is the date itself, even a holiday
  EXPECT_EQ(plus("2025-10-09", -1), "2025-09-30");
  EXPECT_EQ(plus("2025-10-14", -5), "2025-09-30");
  EXPECT_EQ(plus("2025-10-12", -1), "2025-10-11");    // the make-up Saturday
  EXPECT_EQ(between("2025-10-12", "2025-10-11"), 0);  // b before a: empty
  EXPECT_EQ(between("2025-10-11", "2025-10-11"), 1);
  EXPECT_EQ(between("2025-10-12", "2025-10-12"), 0);
}

// For every day of 2020-2026 and several n: the result is a working day, exactly n
// working days lie after the start through it, and going back n returns to the
// start's working day.
TEST_F(RealCalendar, ArithmeticIsConsistentEverywhere) {
  for (Date d = D("2020-01-01"); d <= D("2026-10-31"); d += days{1}) {
    for (int n : {1, 3, 5, 20}) {
      auto r = calendar_->add_working_days(d, n);
      ASSERT_TRUE(r) << format_date(d) << " + " << n;
      ASSERT_TRUE(*calendar_->is_working_day(*r));
      ASSERT_EQ(*calendar_->working_days_between(d + days{1}, *r), n) << format_date(d);
      ASSERT_EQ(*calendar_->working_days_between(d + days{1}, *r - days{1}), n - 1);
      if (*calendar_->is_working_day(d)) {
        ASSERT_EQ(*calendar_->add_working_days(*r, -n), d) << format_date(d) << " + " << n;
      }
    }
  }
}

TEST_F(RealCalendar, AddDaysByUnit) {
  auto cal = calendar_->add_days(D("2025-09-30"), 5, DayUnit::kCalendarDays);
  ASSERT_TRUE(cal);
  EXPECT_EQ(format_date(*cal), "2025-10-05");  // 公示 5 days runs through the holiday
  auto work = calendar_->add_days(D("2025-09-30"), 5, DayUnit::kWorkingDays);
  ASSERT_TRUE(work);
  EXPECT_EQ(format_date(*work), "2025-10-14");
  // Calendar days need no holiday data.
  auto far = calendar_->add_days(D("2030-01-01"), 3, DayUnit::kCalendarDays);
  ASSERT_TRUE(far);
  EXPECT_EQ(format_date(*far), "2030-01-04");
  EXPECT_FALSE(calendar_->add_days(D("2030-01-01"), 3, DayUnit::kWorkingDays));
}

TEST_F(RealCalendar, YearWithoutDataIsAnErrorNotAGuess) {
  auto r = calendar_->is_working_day(D("2027-01-04"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().missing_year, 2027);
  EXPECT_NE(r.error().message.find("2027年的节假日安排尚未配置（config/calendar/2027.toml）"),
            std::string::npos)
      << r.error().message;

  // 2026-12-31 is a Thursday; the next working day would be in 2027.
  auto next = calendar_->add_working_days(D("2026-12-31"), 1);
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().missing_year, 2027);
  EXPECT_EQ(plus("2026-12-30", 1), "2026-12-31");  // still inside 2026: fine

  auto back = calendar_->add_working_days(D("2020-01-02"), -2);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().missing_year, 2019);

  auto span = calendar_->working_days_between(D("2019-12-31"), D("2020-01-02"));
  ASSERT_FALSE(span);
  EXPECT_EQ(span.error().missing_year, 2019);
  EXPECT_FALSE(calendar_->working_days_between(D("2026-12-01"), D("2027-01-01")));
  EXPECT_FALSE(calendar_->add_working_days(D("2027-06-01"), 0));
  EXPECT_FALSE(calendar_->period_name(D("2027-01-01")));
  EXPECT_TRUE(calendar_->sources(2027).empty());
}

// --- the core's own checks, on hand-built years ---

CalendarYear year_with(int year, std::vector<HolidayPeriod> periods) {
  return CalendarYear{year, {"test notice"}, std::move(periods)};
}

TEST(WorkingDayCalendar, GapYearIsAnError) {
  auto built = WorkingDayCalendar::build(
      {year_with(2030, {{"元旦", {D("2030-01-01")}, {}}}), year_with(2032, {})});
  ASSERT_TRUE(built);
  EXPECT_TRUE(built->covers_year(2030));
  EXPECT_FALSE(built->covers_year(2031));
  EXPECT_TRUE(built->covers_year(2032));
  EXPECT_EQ(built->last_covered_year(), 2032);
  auto span = built->working_days_between(D("2030-12-30"), D("2032-01-02"));
  ASSERT_FALSE(span);
  EXPECT_EQ(span.error().missing_year, 2031);
  // 2030-12-31 is a Tuesday; +1 would be in 2031.
  EXPECT_EQ(built->add_working_days(D("2030-12-31"), 1).error().missing_year, 2031);
  EXPECT_EQ(built->add_working_days(D("2032-01-01"), -1).error().missing_year, 2031);
  EXPECT_FALSE(*built->is_working_day(D("2030-01-01")));
  EXPECT_TRUE(*built->is_working_day(D("2032-01-01")));  // no holidays configured: a Thursday
}

TEST(WorkingDayCalendar, EmptyCalendarCoversNothing) {
  auto built = WorkingDayCalendar::build({});
  ASSERT_TRUE(built);
  EXPECT_FALSE(built->last_covered_year());
  EXPECT_EQ(built->is_working_day(D("2025-01-02")).error().missing_year, 2025);
}

TEST(WorkingDayCalendar, RefusesInconsistentData) {
  struct Case {
    const char* what;
    std::vector<CalendarYear> years;
    const char* message_part;
  };
  const std::vector<Case> cases = {
      {"duplicate year", {year_with(2030, {}), year_with(2030, {})}, "出现了两次"},
      {"date outside the year",
       {year_with(2030, {{"元旦", {D("2029-12-31")}, {}}})},
       "不在2030年内"},
      {"holiday and make-up",
       {year_with(2030, {{"春节", {D("2030-02-02")}, {D("2030-02-02")}}})},
       "既是假日又是调休上班日"},
      {"make-up on a weekday",
       {year_with(2030, {{"春节", {D("2030-02-04")}, {D("2030-02-05")}}})},
       "不是星期六或星期日"},
      {"listed twice",
       {year_with(2030, {{"A", {D("2030-02-04")}, {}}, {"B", {D("2030-02-04")}, {}}})},
       "重复出现"},
  };
  for (const auto& c : cases) {
    auto built = WorkingDayCalendar::build(c.years);
    ASSERT_FALSE(built) << c.what;
    EXPECT_EQ(built.error().missing_year, 0) << c.what;
    EXPECT_NE(built.error().message.find(c.message_part), std::string::npos)
        << c.what << ": " << built.error().message;
  }
}

TEST(WorkingDayCalendar, LeapYearLastDay) {
  auto built = WorkingDayCalendar::build({year_with(2032, {}), year_with(2033, {})});
  ASSERT_TRUE(built);
  // 2032 is a leap year; 12-31 is a Friday, 2033-01-03 the Monday after.
  EXPECT_TRUE(*built->is_working_day(D("2032-12-31")));
  EXPECT_EQ(*built->working_days_between(D("2032-01-01"), D("2032-12-31")), 262);
  EXPECT_EQ(format_date(*built->add_working_days(D("2032-12-30"), 2)), "2033-01-03");
  EXPECT_EQ(format_date(*built->add_working_days(D("2033-01-03"), -1)), "2032-12-31");
}

}  // namespace
}  // namespace fangfan
