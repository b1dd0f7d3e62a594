// The outbox's decision table (workflows/delivery_decisions.h), one row per case, no database:
// every answer kind, each branch of a transient failure, fallback or not, dead letters or not,
// and what each does to the channel's breaker.
#include "workflows/delivery_decisions.h"

#include <gtest/gtest.h>

#include <vector>

#include "workflows/date.h"

namespace fangfan {
namespace {

using namespace std::chrono_literals;
using Kind = DeliveryAnswer::Kind;
using Outcome = DeliveryDecision::Outcome;

const TimePoint kQueued = TimePoint{} + std::chrono::hours(24 * 20000);
const TimePoint kNow = kQueued + 10min;

DeliveryPolicy policy() {
  DeliveryPolicy p;
  p.max_attempts = 3;
  p.backoff = {30s, 3600s, 0.2};
  p.breaker = {5, 300s};
  p.give_up_after = 24h;
  return p;
}

const std::vector<std::string> kOfficer = {"wechat_app", "sms_aliyun"};
const std::vector<std::string> kNobody = {};

// A breaker that has just turned half-open (its cool-down over at kNow).
CircuitBreaker half_open() {
  CircuitBreaker b(policy().breaker);
  for (int i = 0; i < 5; ++i) b.record_failure(kNow - 300s);
  return b;
}

struct Row {
  const char* name;
  Kind kind;
  std::string channel = "wechat_app";
  std::string type = "written_notice";
  int attempts = 1;
  std::chrono::seconds age = 600s;  // now - created_at
  bool probe = false;
  const std::vector<std::string>* person = &kOfficer;
  std::optional<std::chrono::seconds> retry_after = std::nullopt;
  // expected
  Outcome outcome;
  std::chrono::seconds at_in = 0s;  // at - now (kSent: 0)
  bool count_attempt = false;
  std::string error;
  std::string next_channel = "";
  bool tell_admins = false;
  BreakerEffect breaker = BreakerEffect::kNone;
};

const std::string kFallbackNote = "；改由 sms_aliyun 发送 (moved to the next channel)";
const std::string kBlockedText =
    "消息含未打码的身份证号或手机号，已拦截 (the text holds an unmasked ID or phone number; not "
    "sent)";

std::vector<Row> table() {
  return {
      {.name = "accepted is sent, the breaker hears of a success",
       .kind = Kind::kAccepted,
       .outcome = Outcome::kSent,
       .breaker = BreakerEffect::kSuccess},
      {.name = "a probe accepted closes the breaker",
       .kind = Kind::kAccepted,
       .probe = true,
       .outcome = Outcome::kSent,
       .breaker = BreakerEffect::kSuccess},
      {.name = "rate-limited without Retry-After waits a minute, no attempt",
       .kind = Kind::kRateLimited,
       .outcome = Outcome::kRateLimited,
       .at_in = 60s,
       .error = "provider says"},
      {.name = "rate-limited waits the provider's Retry-After when longer",
       .kind = Kind::kRateLimited,
       .retry_after = 600s,
       .outcome = Outcome::kRateLimited,
       .at_in = 600s,
       .error = "provider says"},
      {.name = "rate-limited never waits less than a minute",
       .kind = Kind::kRateLimited,
       .retry_after = 5s,
       .outcome = Outcome::kRateLimited,
       .at_in = 60s,
       .error = "provider says"},
      {.name = "a rate-limited probe releases the probe",
       .kind = Kind::kRateLimited,
       .probe = true,
       .outcome = Outcome::kRateLimited,
       .at_in = 60s,
       .error = "provider says",
       .breaker = BreakerEffect::kReleaseProbe},
      {.name = "transient, first attempt: backoff 30 s, counted",
       .kind = Kind::kTransient,
       .outcome = Outcome::kRetry,
       .at_in = 30s,
       .count_attempt = true,
       .error = "provider says",
       .breaker = BreakerEffect::kFailure},
      {.name = "transient, second attempt: backoff doubles",
       .kind = Kind::kTransient,
       .attempts = 2,
       .outcome = Outcome::kRetry,
       .at_in = 60s,
       .count_attempt = true,
       .error = "provider says",
       .breaker = BreakerEffect::kFailure},
      {.name = "transient with a longer Retry-After waits for it",
       .kind = Kind::kTransient,
       .retry_after = 900s,
       .outcome = Outcome::kRetry,
       .at_in = 900s,
       .count_attempt = true,
       .error = "provider says",
       .breaker = BreakerEffect::kFailure},
      {.name = "transient at max_attempts is dead and the admins are told",
       .kind = Kind::kTransient,
       .attempts = 3,
       .outcome = Outcome::kDead,
       .error = "provider says（已尝试 3 次 / after 3 attempts）",
       .tell_admins = true,
       .breaker = BreakerEffect::kFailure},
      {.name = "a dead dead_letter tells nobody",
       .kind = Kind::kTransient,
       .type = "dead_letter",
       .attempts = 3,
       .outcome = Outcome::kDead,
       .error = "provider says（已尝试 3 次 / after 3 attempts）",
       .breaker = BreakerEffect::kFailure},
      {.name = "transient never falls back, even with a next channel",
       .kind = Kind::kTransient,
       .attempts = 5,
       .outcome = Outcome::kDead,
       .error = "provider says（已尝试 5 次 / after 5 attempts）",
       .tell_admins = true,
       .breaker = BreakerEffect::kFailure},
      {.name = "a failed probe waits for the next probe and costs no attempt",
       .kind = Kind::kTransient,
       .attempts = 3,
       .probe = true,
       .outcome = Outcome::kProbeFailed,
       .at_in = 300s,
       .error = "provider says（渠道试探未通过，不计次数 / channel probe failed, not counted）",
       .breaker = BreakerEffect::kFailure},
      {.name = "queued give_up_after ago: dead at the next failure",
       .kind = Kind::kTransient,
       .age = 24h,
       .outcome = Outcome::kDead,
       .error = "provider says（24 小时内未能送达 / not delivered within 24 hours）",
       .tell_admins = true,
       .breaker = BreakerEffect::kFailure},
      {.name = "give_up_after wins over a probe",
       .kind = Kind::kTransient,
       .age = 25h,
       .probe = true,
       .outcome = Outcome::kDead,
       .error = "provider says（24 小时内未能送达 / not delivered within 24 hours）",
       .tell_admins = true,
       .breaker = BreakerEffect::kFailure},
      {.name = "permanent moves to the person's next channel",
       .kind = Kind::kPermanent,
       .outcome = Outcome::kFallBack,
       .error = "provider says" + kFallbackNote,
       .next_channel = "sms_aliyun",
       .breaker = BreakerEffect::kSuccess},
      {.name = "permanent on the person's last channel fails and tells the admins",
       .kind = Kind::kPermanent,
       .channel = "sms_aliyun",
       .outcome = Outcome::kFailed,
       .error = "provider says",
       .tell_admins = true,
       .breaker = BreakerEffect::kSuccess},
      {.name = "permanent for nobody known fails and tells the admins",
       .kind = Kind::kPermanent,
       .person = &kNobody,
       .outcome = Outcome::kFailed,
       .error = "provider says",
       .tell_admins = true,
       .breaker = BreakerEffect::kSuccess},
      {.name = "permanent on a channel that is not the person's fails",
       .kind = Kind::kPermanent,
       .channel = "wechat_robot",
       .outcome = Outcome::kFailed,
       .error = "provider says",
       .tell_admins = true,
       .breaker = BreakerEffect::kSuccess},
      {.name = "a channel not run here moves on",
       .kind = Kind::kNoChannel,
       .outcome = Outcome::kFallBack,
       .error = "渠道 wechat_app 未在本服务中配置 (channel 'wechat_app' is not configured in "
                "this daemon)" +
                kFallbackNote,
       .next_channel = "sms_aliyun"},
      {.name = "a channel not run here, the last one: failed, admins told",
       .kind = Kind::kNoChannel,
       .channel = "sms_aliyun",
       .outcome = Outcome::kFailed,
       .error = "渠道 sms_aliyun 未在本服务中配置 (channel 'sms_aliyun' is not configured in "
                "this daemon)",
       .tell_admins = true},
      {.name = "unmasked text fails, never on another channel",
       .kind = Kind::kBlocked,
       .outcome = Outcome::kFailed,
       .error = kBlockedText,
       .tell_admins = true},
      {.name = "an unmasked probe releases the probe",
       .kind = Kind::kBlocked,
       .probe = true,
       .outcome = Outcome::kFailed,
       .error = kBlockedText,
       .tell_admins = true,
       .breaker = BreakerEffect::kReleaseProbe},
  };
}

TEST(DeliveryDecisions, EveryRowOfTheTable) {
  for (const Row& row : table()) {
    SCOPED_TRACE(row.name);
    DeliveryAttempt attempt;
    attempt.channel = row.channel;
    attempt.message_type = row.type;
    attempt.attempts = row.attempts;
    attempt.created_at = kNow - row.age;
    attempt.probe = row.probe;
    attempt.person_channels = *row.person;
    DeliveryAnswer answer;
    answer.kind = row.kind;
    if (row.kind != Kind::kAccepted) answer.error = "provider says";
    answer.retry_after = row.retry_after;
    const CircuitBreaker breaker = row.probe ? half_open() : CircuitBreaker(policy().breaker);

    DeliveryDecision expected;
    expected.outcome = row.outcome;
    const bool waits = row.outcome == Outcome::kRetry || row.outcome == Outcome::kProbeFailed ||
                       row.outcome == Outcome::kRateLimited;
    expected.at = (waits || row.outcome == Outcome::kSent) ? kNow + row.at_in : TimePoint{};
    expected.count_attempt = row.count_attempt;
    expected.error = row.error;
    expected.next_channel = row.next_channel;
    expected.tell_admins = row.tell_admins;
    expected.breaker = row.breaker;
    EXPECT_EQ(decide_delivery(policy(), attempt, answer, breaker, kNow, 0.0), expected);
  }
}

TEST(DeliveryDecisions, JitterShortensTheBackoff) {
  DeliveryAttempt attempt;
  attempt.channel = "wechat_app";
  attempt.created_at = kNow;
  DeliveryAnswer answer;
  answer.kind = Kind::kTransient;
  const auto d = decide_delivery(policy(), attempt, answer, CircuitBreaker(), kNow, 0.5);
  EXPECT_EQ(d.at, kNow + 27s);  // 30 s less half of the 20 % jitter
}

TEST(DeliveryDecisions, AFailedProbeWaitsForTheBreakersNextProbe) {
  // The breaker opened by an earlier failure of this moment: the probe waits until it ends.
  DeliveryAttempt attempt;
  attempt.channel = "wechat_app";
  attempt.created_at = kNow;
  attempt.probe = true;
  DeliveryAnswer answer;
  answer.kind = Kind::kTransient;
  CircuitBreaker b(policy().breaker);
  b.record_failure(kNow - 300s);
  b.record_failure(kNow - 299s);
  for (int i = 0; i < 3; ++i) b.record_failure(kNow - 100s);  // open until kNow + 200 s
  const auto d = decide_delivery(policy(), attempt, answer, b, kNow, 0.0);
  EXPECT_EQ(d.outcome, Outcome::kProbeFailed);
  EXPECT_EQ(d.at, kNow + 300s);  // a failure while open holds it a full cool-down from now
}

TEST(DeliveryDecisions, BreakerEffectsApply) {
  CircuitBreaker b(BreakerPolicy{1, 300s});
  apply_breaker_effect(b, BreakerEffect::kFailure, kNow);
  EXPECT_EQ(b.state(kNow), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.state(kNow + 300s), CircuitBreaker::State::kHalfOpen);
  EXPECT_FALSE(b.admit(kNow + 300s).has_value());  // the probe
  EXPECT_TRUE(b.admit(kNow + 300s).has_value());   // a second waits for the probe's answer
  apply_breaker_effect(b, BreakerEffect::kReleaseProbe, kNow + 300s);
  EXPECT_FALSE(b.admit(kNow + 300s).has_value());  // the probe again
  apply_breaker_effect(b, BreakerEffect::kNone, kNow + 300s);
  EXPECT_EQ(b.state(kNow + 300s), CircuitBreaker::State::kHalfOpen);
  apply_breaker_effect(b, BreakerEffect::kSuccess, kNow + 300s);
  EXPECT_EQ(b.state(kNow + 300s), CircuitBreaker::State::kClosed);
}

TEST(DeliveryDecisions, RouteOfADueMessage) {
  using Route = DueRoute::Kind;
  const TimePoint night = *parse_time("2025-03-04T22:00");
  const TimePoint day = *parse_time("2025-03-04T10:00");
  struct Case {
    const char* name;
    std::string channel;
    std::string type;
    int attempts;
    TimePoint now;
    std::chrono::seconds digest_window;
    DueRoute expected;
  };
  const std::vector<Case> cases = {
      {"SMS at night waits for the morning",
       "sms_aliyun",
       "written_notice",
       0,
       night,
       300s,
       {Route::kHold, *parse_time("2025-03-05T08:00"),
        "静默时段，2025-03-05 08:00 发送 (quiet hours of sms_aliyun)"}},
      {"quiet hours come before the digest",
       "sms_aliyun",
       "step_reminder",
       0,
       night,
       300s,
       {Route::kHold, *parse_time("2025-03-05T08:00"),
        "静默时段，2025-03-05 08:00 发送 (quiet hours of sms_aliyun)"}},
      {"WeChat Work has no quiet hours", "wechat_app", "written_notice", 0, night, 300s, {}},
      {"SMS by day goes", "sms_aliyun", "written_notice", 0, day, 300s, {}},
      {"a fresh reminder waits for its digest",
       "wechat_app",
       "step_reminder",
       0,
       day,
       300s,
       {Route::kDigest, {}, ""}},
      {"an overdue notice is a reminder too",
       "wechat_app",
       "visit_overdue",
       0,
       day,
       300s,
       {Route::kDigest, {}, ""}},
      {"a reminder tried before goes on its own", "wechat_app", "step_reminder", 1, day, 300s, {}},
      {"no digest window: a reminder goes", "wechat_app", "step_reminder", 0, day, 0s, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    DeliveryPolicy p = policy();
    p.digest_window = c.digest_window;
    EXPECT_EQ(route_due(p, c.channel, c.type, c.attempts, c.now), c.expected);
  }
}

TEST(DeliveryDecisions, HoldReasonsSayUntilWhenInChinaTime) {
  const TimePoint t = *parse_time("2025-03-04T10:05");
  EXPECT_EQ(breaker_hold_reason("wechat_app", t),
            "渠道 wechat_app 连续发送失败，暂停至 2025-03-04 10:05 (channel held by its circuit "
            "breaker)");
  EXPECT_EQ(pacing_hold_reason(15, t),
            "同一收件人每分钟最多 15 条，10:05 发送 (paced per recipient)");
  EXPECT_EQ(digest_hold_reason(t), "等待合并同一收件人的提醒，10:05 发送 (digest window)");
}

TEST(DeliveryDecisions, NextChannelOfAPerson) {
  struct Case {
    std::vector<std::string> channels;
    std::string channel;
    std::string next;
  };
  const std::vector<Case> cases = {
      {{"wechat_app", "sms_aliyun"}, "wechat_app", "sms_aliyun"},
      {{"wechat_app", "sms_aliyun"}, "sms_aliyun", ""},
      {{"wechat_app", "sms_aliyun", "file"}, "sms_aliyun", "file"},
      {{"wechat_app"}, "webhook", ""},
      {{}, "wechat_app", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(next_channel_of(c.channels, c.channel), c.next) << c.channel;
  }
}

}  // namespace
}  // namespace fangfan
