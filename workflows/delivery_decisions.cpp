#include "workflows/delivery_decisions.h"

#include <algorithm>

#include "workflows/date.h"
#include "workflows/message_templates.h"

namespace fangfan {
namespace {

using Kind = DeliveryAnswer::Kind;
using Outcome = DeliveryDecision::Outcome;

// When the provider did not say how long; also the least a rate limit waits.
constexpr std::chrono::seconds kRateLimitWait{60};

// "HH:MM" China time of `t`, for the reasons operators read.
std::string china_hhmm(TimePoint t) { return format_time(t).substr(11, 5); }
std::string china_day_hhmm(TimePoint t) {
  const std::string s = format_time(t);
  return s.substr(0, 10) + " " + s.substr(11, 5);
}

// A failure with no retry: on the person's next channel when `may_move` and there is one, else
// final (`status`), the county admins told unless it is a notice to them itself.
DeliveryDecision give_up(const DeliveryAttempt& attempt, Outcome status, std::string error,
                         bool may_move, BreakerEffect breaker) {
  DeliveryDecision d;
  d.breaker = breaker;
  d.outcome = status;
  if (may_move) d.next_channel = next_channel_of(attempt.person_channels, attempt.channel);
  if (!d.next_channel.empty()) {
    d.outcome = Outcome::kFallBack;
    d.error = std::move(error) + "；改由 " + d.next_channel + " 发送 (moved to the next channel)";
    return d;
  }
  d.error = std::move(error);
  d.tell_admins = attempt.message_type != "dead_letter";
  return d;
}

DeliveryDecision transient(const DeliveryPolicy& policy, const DeliveryAttempt& attempt,
                           const DeliveryAnswer& answer, CircuitBreaker breaker, TimePoint now,
                           double random01) {
  if (now - attempt.created_at >= policy.give_up_after) {
    const auto hours = std::to_string(
        std::chrono::duration_cast<std::chrono::hours>(policy.give_up_after).count());
    return give_up(attempt, Outcome::kDead,
                   answer.error + "（" + hours + " 小时内未能送达 / not delivered within " + hours +
                       " hours）",
                   false, BreakerEffect::kFailure);
  }
  DeliveryDecision d;
  d.breaker = BreakerEffect::kFailure;
  d.error = answer.error;
  if (attempt.probe) {
    // The channel is down, not this message: the probe costs it no attempt, else the message
    // that happens to be the earliest due would die of a long outage alone.
    apply_breaker_effect(breaker, BreakerEffect::kFailure, now);
    d.outcome = Outcome::kProbeFailed;
    d.at = breaker.admit(now).value_or(now + policy.breaker.cool_down);
    d.error += "（渠道试探未通过，不计次数 / channel probe failed, not counted）";
    return d;
  }
  if (attempt.attempts >= policy.max_attempts) {
    const std::string n = std::to_string(attempt.attempts);
    return give_up(attempt, Outcome::kDead,
                   answer.error + "（已尝试 " + n + " 次 / after " + n + " attempts）", false,
                   BreakerEffect::kFailure);
  }
  d.outcome = Outcome::kRetry;
  d.count_attempt = true;
  d.at = now + retry_delay(policy.backoff, attempt.attempts, random01, answer.retry_after);
  return d;
}

}  // namespace

DueRoute route_due(const DeliveryPolicy& policy, std::string_view channel,
                   std::string_view message_type, int attempts, TimePoint now) {
  DueRoute r;
  if (const DailyWindow* quiet = policy.quiet_for(channel); quiet && in_window(now, *quiet)) {
    r.kind = DueRoute::Kind::kHold;
    r.until = next_allowed_instant(now, *quiet);
    r.reason = "静默时段，" + china_day_hhmm(r.until) + " 发送 (quiet hours of " +
               std::string(channel) + ")";
  } else if (policy.digest_window.count() > 0 && attempts == 0 && is_digestible(message_type)) {
    r.kind = DueRoute::Kind::kDigest;
  }
  return r;
}

std::string breaker_hold_reason(std::string_view channel, TimePoint until) {
  return "渠道 " + std::string(channel) + " 连续发送失败，暂停至 " + china_day_hhmm(until) +
         " (channel held by its circuit breaker)";
}

std::string pacing_hold_reason(int per_minute, TimePoint until) {
  return "同一收件人每分钟最多 " + std::to_string(per_minute) + " 条，" + china_hhmm(until) +
         " 发送 (paced per recipient)";
}

std::string digest_hold_reason(TimePoint ready_at) {
  return "等待合并同一收件人的提醒，" + china_hhmm(ready_at) + " 发送 (digest window)";
}

void apply_breaker_effect(CircuitBreaker& breaker, BreakerEffect effect, TimePoint now) {
  switch (effect) {
    case BreakerEffect::kNone:
      break;
    case BreakerEffect::kSuccess:
      breaker.record_success();
      break;
    case BreakerEffect::kFailure:
      breaker.record_failure(now);
      break;
    case BreakerEffect::kReleaseProbe:
      breaker.release_probe();
      break;
  }
}

std::string next_channel_of(std::span<const std::string> person_channels,
                            std::string_view channel) {
  auto it = std::find(person_channels.begin(), person_channels.end(), channel);
  if (it == person_channels.end() || ++it == person_channels.end()) return "";
  return *it;
}

DeliveryDecision decide_delivery(const DeliveryPolicy& policy, const DeliveryAttempt& attempt,
                                 const DeliveryAnswer& answer, CircuitBreaker breaker,
                                 TimePoint now, double random01) {
  // A probe that leaves without the channel's verdict frees the probe, or the channel would
  // stay held for good.
  const BreakerEffect unanswered =
      attempt.probe ? BreakerEffect::kReleaseProbe : BreakerEffect::kNone;
  switch (answer.kind) {
    case Kind::kAccepted: {
      DeliveryDecision d;
      d.outcome = Outcome::kSent;
      d.at = now;
      d.breaker = BreakerEffect::kSuccess;
      return d;
    }
    case Kind::kRateLimited: {
      // The channel works, but a probe says nothing more about it.
      DeliveryDecision d;
      d.outcome = Outcome::kRateLimited;
      d.at = now + std::max(answer.retry_after.value_or(kRateLimitWait), kRateLimitWait);
      d.error = answer.error;
      d.breaker = unanswered;
      return d;
    }
    case Kind::kTransient:
      return transient(policy, attempt, answer, breaker, now, random01);
    case Kind::kPermanent:  // the channel answered; the message was refused
      return give_up(attempt, Outcome::kFailed, answer.error, true, BreakerEffect::kSuccess);
    case Kind::kNoChannel:
      return give_up(attempt, Outcome::kFailed,
                     "渠道 " + attempt.channel + " 未在本服务中配置 (channel '" + attempt.channel +
                         "' is not configured in this daemon)",
                     true, BreakerEffect::kNone);
    case Kind::kBlocked:
      // The same text would leak on any channel: stop here, with the reason, never the text.
      return give_up(attempt, Outcome::kFailed,
                     "消息含未打码的身份证号或手机号，已拦截 (the text holds an unmasked ID or "
                     "phone number; not sent)",
                     false, unanswered);
  }
  return {};
}

}  // namespace fangfan
