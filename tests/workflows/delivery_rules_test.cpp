// Delivery rules on injected time and injected randomness: quiet hours across midnight,
// backoff bounds with jitter, pacing, digest grouping, the circuit breaker.
#include "workflows/delivery_rules.h"

#include <gtest/gtest.h>

#include <random>

#include "workflows/date.h"

namespace fangfan {
namespace {

using namespace std::chrono_literals;
using std::chrono::March;

TimePoint at(const char* china_time_text) {
  auto t = parse_time(china_time_text);
  EXPECT_TRUE(t.has_value()) << china_time_text;
  return t.value_or(TimePoint{});
}

TEST(QuietHours, ParseWindows) {
  EXPECT_EQ(parse_daily_window("21:00-08:00"), (DailyWindow{21h, 8h}));
  EXPECT_EQ(parse_daily_window("12:30-13:45"), (DailyWindow{12h + 30min, 13h + 45min}));
  EXPECT_EQ(parse_daily_window("22:00-24:00"), (DailyWindow{22h, 0min}));
  EXPECT_TRUE(parse_daily_window("")->empty());
  for (const char* bad : {"21-08", "25:00-08:00", "21:60-08:00", "21:00–08:00", "9:00-10:00",
                          "24:00-08:00", "21:00 08:00"}) {
    EXPECT_EQ(parse_daily_window(bad), std::nullopt) << bad;
  }
}

struct QuietCase {
  const char* now;
  const char* expected;  // next allowed instant
};

// gtest names a failing case by this instead of its bytes.
void PrintTo(const QuietCase& c, std::ostream* os) { *os << c.now; }

class QuietHoursAcrossMidnight : public ::testing::TestWithParam<QuietCase> {};

TEST_P(QuietHoursAcrossMidnight, NextAllowedInstant) {
  const DailyWindow sms{21h, 8h};
  EXPECT_EQ(format_time(next_allowed_instant(at(GetParam().now), sms)), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Sms, QuietHoursAcrossMidnight,
    ::testing::Values(QuietCase{"2025-03-03T20:59:59", "2025-03-03T20:59:59+08:00"},
                      QuietCase{"2025-03-03T21:00", "2025-03-04T08:00:00+08:00"},
                      QuietCase{"2025-03-03T23:59:59", "2025-03-04T08:00:00+08:00"},
                      QuietCase{"2025-03-04T00:00", "2025-03-04T08:00:00+08:00"},
                      QuietCase{"2025-03-04T07:59:59", "2025-03-04T08:00:00+08:00"},
                      QuietCase{"2025-03-04T08:00", "2025-03-04T08:00:00+08:00"},
                      QuietCase{"2025-03-04T12:00", "2025-03-04T12:00:00+08:00"},
                      // Month and year ends.
                      QuietCase{"2025-02-28T22:00", "2025-03-01T08:00:00+08:00"},
                      QuietCase{"2025-12-31T21:30", "2026-01-01T08:00:00+08:00"}));

TEST(QuietHours, DaytimeWindowAndNone) {
  const DailyWindow lunch{12h, 13h + 30min};
  EXPECT_EQ(next_allowed_instant(at("2025-03-04T12:10"), lunch), at("2025-03-04T13:30"));
  EXPECT_EQ(next_allowed_instant(at("2025-03-04T13:30"), lunch), at("2025-03-04T13:30"));
  EXPECT_EQ(next_allowed_instant(at("2025-03-04T23:00"), DailyWindow{}), at("2025-03-04T23:00"));
}

TEST(Backoff, DoublesFromInitialAndIsCapped) {
  const BackoffPolicy p{30s, 3600s, 0.0};
  EXPECT_EQ(backoff_delay(p, 1, 0.5), 30s);
  EXPECT_EQ(backoff_delay(p, 2, 0.5), 60s);
  EXPECT_EQ(backoff_delay(p, 5, 0.5), 480s);
  EXPECT_EQ(backoff_delay(p, 8, 0.5), 3600s);
  EXPECT_EQ(backoff_delay(p, 60, 0.5), 3600s);  // no overflow far out
}

TEST(Backoff, JitterStaysWithinBoundsAndSpreads) {
  const BackoffPolicy p{30s, 3600s, 0.25};
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int attempts = 1; attempts <= 12; ++attempts) {
    const double base = std::min(30.0 * (1 << std::min(attempts - 1, 20)), 3600.0);
    std::set<long long> seen;
    for (int i = 0; i < 200; ++i) {
      const auto d = backoff_delay(p, attempts, u(rng)).count();
      EXPECT_GE(d, std::llround(base * 0.75)) << attempts;
      EXPECT_LE(d, std::llround(base)) << attempts;
      seen.insert(d);
    }
    EXPECT_GT(seen.size(), 3u) << "jitter must spread retries, attempts=" << attempts;
  }
}

TEST(Backoff, RetryAfterWinsWhenLongerButIsCappedAtADay) {
  const BackoffPolicy p{30s, 3600s, 0.0};
  EXPECT_EQ(retry_delay(p, 1, 0.0, 120s), 120s);
  EXPECT_EQ(retry_delay(p, 3, 0.0, 10s), 120s);
  EXPECT_EQ(retry_delay(p, 1, 0.0, std::chrono::seconds(30 * 86400)), 86400s);
  EXPECT_EQ(retry_delay(p, 1, 0.0, std::nullopt), 30s);
}

TEST(Pacing, AtMostNPerMinutePerRecipientAndChannel) {
  RecipientPacer pacer;
  const TimePoint t = at("2025-03-04T09:00");
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(pacer.reserve("wechat_robot", "group-a", 15, t + std::chrono::seconds(i)),
              std::nullopt)
        << i;
  }
  // The 16th within the minute waits until the first leaves the window.
  EXPECT_EQ(pacer.reserve("wechat_robot", "group-a", 15, t + 20s), t + 60s);
  // Other recipients and channels are not affected.
  EXPECT_EQ(pacer.reserve("wechat_robot", "group-b", 15, t + 20s), std::nullopt);
  EXPECT_EQ(pacer.reserve("wechat_app", "group-a", 15, t + 20s), std::nullopt);
  EXPECT_EQ(pacer.reserve("wechat_robot", "group-a", 15, t + 60s), std::nullopt);
  // No limit configured.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(pacer.reserve("file", "x", 0, t), std::nullopt);
}

TEST(Pacing, SimulatedHourNeverExceedsTheLimitInAnyMinute) {
  RecipientPacer pacer;
  const TimePoint start = at("2025-03-04T09:00");
  std::vector<TimePoint> sent;
  // 200 messages all due at once, each retried at the instant the pacer names.
  std::multimap<TimePoint, int> queue;
  for (int i = 0; i < 200; ++i) queue.emplace(start, i);
  while (!queue.empty()) {
    auto [t, id] = *queue.begin();
    queue.erase(queue.begin());
    if (auto later = pacer.reserve("wechat_app", "zhangsan", 20, t)) {
      queue.emplace(*later, id);
    } else {
      sent.push_back(t);
    }
  }
  ASSERT_EQ(sent.size(), 200u);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    int in_minute = 0;
    for (std::size_t j = i; j < sent.size() && sent[j] < sent[i] + 60s; ++j) ++in_minute;
    ASSERT_LE(in_minute, 20) << i;
  }
  EXPECT_LE(sent.back() - start, 10min);  // and it still drains
  pacer.forget_before(sent.back() + 61s);
  EXPECT_EQ(pacer.tracked(), 0u);
}

TEST(Digest, GroupsByRecipientAndChannelOldestFirstInChunks) {
  const TimePoint t = at("2025-03-04T09:00");
  std::vector<DigestCandidate> c;
  for (int i = 0; i < 6; ++i)
    c.push_back({10 + i, "wechat_app", "officer1", t + std::chrono::seconds(5 - i)});
  c.push_back({30, "wechat_app", "officer2", t});
  c.push_back({31, "sms_aliyun", "officer1", t + 1s});
  const auto groups = group_digests(c, 300s, 4);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].channel, "sms_aliyun");
  EXPECT_EQ(groups[0].ids, (std::vector<std::int64_t>{31}));
  EXPECT_EQ(groups[1].recipient, "officer1");
  EXPECT_EQ(groups[1].ids, (std::vector<std::int64_t>{15, 14, 13, 12}));  // oldest first
  EXPECT_EQ(groups[1].ready_at, t + 300s);
  EXPECT_EQ(groups[2].ids, (std::vector<std::int64_t>{11, 10}));
  EXPECT_EQ(groups[2].ready_at, t + 4s + 300s);
  EXPECT_EQ(groups[3].recipient, "officer2");
  EXPECT_TRUE(group_digests({}, 300s, 4).empty());
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresThenProbesOnce) {
  CircuitBreaker b({3, 300s});
  const TimePoint t = at("2025-03-04T09:00");
  EXPECT_EQ(b.admit(t), std::nullopt);
  b.record_failure(t);
  b.record_failure(t);
  b.record_success();  // not consecutive any more
  b.record_failure(t);
  b.record_failure(t);
  EXPECT_EQ(b.state(t), CircuitBreaker::State::kClosed);
  b.record_failure(t + 1s);
  EXPECT_EQ(b.state(t + 1s), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.admit(t + 10s), t + 301s);  // held for the cool-down
  // Half-open: exactly one probe goes; the rest wait for its answer.
  EXPECT_EQ(b.state(t + 301s), CircuitBreaker::State::kHalfOpen);
  EXPECT_EQ(b.admit(t + 301s), std::nullopt);
  EXPECT_EQ(b.admit(t + 302s), t + 362s);
  // The probe fails: open again for a whole cool-down.
  b.record_failure(t + 305s);
  EXPECT_EQ(b.admit(t + 306s), t + 605s);
  // Next probe succeeds: closed.
  EXPECT_EQ(b.admit(t + 605s), std::nullopt);
  b.record_success();
  EXPECT_EQ(b.state(t + 606s), CircuitBreaker::State::kClosed);
  EXPECT_EQ(b.admit(t + 606s), std::nullopt);
  EXPECT_EQ(b.admit(t + 606s), std::nullopt);
}

TEST(DeliveryPolicy, DefaultsHoldSmsAtNightAndPaceBelowProviderLimits) {
  const DeliveryPolicy p;
  ASSERT_NE(p.quiet_for("sms_aliyun"), nullptr);
  EXPECT_EQ(*p.quiet_for("sms_tencent"), (DailyWindow{21h, 8h}));
  EXPECT_EQ(p.quiet_for("wechat_app"), nullptr);
  EXPECT_LT(p.per_minute_for("wechat_robot"), 20);
  EXPECT_LT(p.per_minute_for("wechat_app"), 30);
  EXPECT_EQ(p.per_minute_for("file"), 0);
}

}  // namespace
}  // namespace fangfan
