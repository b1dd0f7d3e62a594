#include "workflows/date.h"

#include <gtest/gtest.h>

namespace fangfan {
namespace {

using namespace std::chrono_literals;

TEST(Date, ParsesAndFormatsRealDates) {
  auto d = parse_date("2024-02-29");
  ASSERT_TRUE(d);
  EXPECT_EQ(format_date(*d), "2024-02-29");
  EXPECT_EQ(format_date(*d + std::chrono::days{1}), "2024-03-01");
}

TEST(Date, RefusesImpossibleOrMisshapenDates) {
  for (const char* bad : {"2023-02-29", "2025-13-01", "2025-1-01", "20250101", "2025-01-0a", ""}) {
    EXPECT_FALSE(parse_date(bad)) << bad;
  }
}

TEST(Date, TimesAreChinaTime) {
  auto t = parse_time("2025-01-01T08:00");
  ASSERT_TRUE(t);
  // 08:00 in China is midnight UTC.
  EXPECT_EQ(t->time_since_epoch() % std::chrono::days{1}, 0s);
  EXPECT_EQ(format_time(*t), "2025-01-01T08:00:00+08:00");
  EXPECT_EQ(china_date(*parse_time("2025-01-01T23:30")), *parse_date("2025-01-01"));
  EXPECT_EQ(china_date(*parse_time("2025-01-01T00:30")), *parse_date("2025-01-01"));
  EXPECT_EQ(*parse_time("2025-01-01T00:00:00Z"), *parse_time("2025-01-01T08:00:00+08:00"));
  EXPECT_FALSE(parse_time("2025-01-01T24:00"));
  EXPECT_FALSE(parse_time("2025-01-01T08:00+09:00"));
}

TEST(Date, Durations) {
  EXPECT_EQ(parse_duration("3d"), std::chrono::seconds{3 * 86400});
  EXPECT_EQ(parse_duration("12h"), std::chrono::seconds{12 * 3600});
  EXPECT_EQ(parse_duration("30m"), std::chrono::seconds{1800});
  EXPECT_EQ(parse_duration("1d12h"), std::chrono::seconds{36 * 3600});
  EXPECT_EQ(parse_duration("7d22h59m"), std::chrono::seconds{7 * 86400 + 22 * 3600 + 59 * 60});
  EXPECT_FALSE(parse_duration("12h1d"));  // units fall
  EXPECT_FALSE(parse_duration("1h1h"));
  EXPECT_FALSE(parse_duration("1d12"));
  EXPECT_FALSE(parse_duration("-1d"));
  EXPECT_FALSE(parse_duration("1d-0h"));
  EXPECT_FALSE(parse_duration("1d+2h"));
  EXPECT_FALSE(parse_duration("3w"));
  EXPECT_FALSE(parse_duration("d"));
  EXPECT_FALSE(parse_duration("-3d"));
}

TEST(SimulatedClock, MovesOnlyWhenTold) {
  SimulatedClock clock{*parse_time("2025-01-01T08:00")};
  const auto t0 = clock.now();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(std::chrono::hours{36});
  EXPECT_EQ(clock.now() - t0, std::chrono::hours{36});
}

}  // namespace
}  // namespace fangfan
