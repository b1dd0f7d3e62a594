#include "workflows/calendar_coverage.h"

#include <gtest/gtest.h>

#include "workflows/date.h"

namespace fangfan {
namespace {

WorkingDayCalendar calendar_of(std::vector<int> years) {
  std::vector<CalendarYear> data;
  for (int y : years) data.push_back(CalendarYear{y, {"test"}, {}});
  auto built = WorkingDayCalendar::build(std::move(data));
  EXPECT_TRUE(built.ok());
  return std::move(built).value();
}

Date d(const char* text) { return *parse_date(text); }

TEST(CalendarCoverage, QuietBeforeNovemberEvenWithoutNextYear) {
  auto cal = calendar_of({2026});
  EXPECT_FALSE(calendar_coverage_warning(cal, d("2026-10-31")));
}

TEST(CalendarCoverage, WarnsFromFirstNovemberWhenNextYearIsMissing) {
  auto cal = calendar_of({2026});
  auto w = calendar_coverage_warning(cal, d("2026-11-01"));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->missing_year, 2027);
  EXPECT_FALSE(w->current_year);
  EXPECT_NE(w->text.find("2027年的节假日安排尚未配置"), std::string::npos) << w->text;
  // 2026-11-01 is a Sunday: its week began on Monday 2026-10-26.
  EXPECT_EQ(w->period_key, "2026-10-26");
  EXPECT_EQ(calendar_coverage_warning(cal, d("2026-11-23"))->period_key, "2026-11-23");
  EXPECT_EQ(calendar_coverage_warning(cal, d("2026-11-29"))->period_key, "2026-11-23");
  EXPECT_EQ(calendar_coverage_warning(cal, d("2026-12-31"))->period_key, "2026-12-28");
}

TEST(CalendarCoverage, QuietWhenNextYearIsThere) {
  auto cal = calendar_of({2026, 2027});
  EXPECT_FALSE(calendar_coverage_warning(cal, d("2026-12-15")));
}

TEST(CalendarCoverage, CurrentYearMissingIsAnErrorAllYear) {
  auto cal = calendar_of({2025, 2026});
  auto w = calendar_coverage_warning(cal, d("2027-03-03"));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->missing_year, 2027);
  EXPECT_TRUE(w->current_year);
}

}  // namespace
}  // namespace fangfan
