// Delivery rules: when an outbox message may leave, and what to do when it could not.
//
//   - Quiet hours per channel (SMS by default 21:00–08:00 China time): a message due inside
//     them waits for the first allowed instant (next_allowed_instant).
//   - Capped exponential backoff with jitter after a transport failure (backoff_delay); a
//     provider's Retry-After wins when longer. pg-boss users saw uncapped backoff grow to days:
//     the cap is part of the rule.
//   - Per-recipient pacing (RecipientPacer): at most N messages a minute to one address on one
//     channel, set BELOW the provider's limit (WeChat Work group robot 20/min, member 30/min),
//     because beyond it the provider refuses or silently drops.
//   - A digest window (group_digests, like Alertmanager's group_wait): reminders to one
//     recipient on one channel wait until the window after the first of them has passed, then
//     go as one "digest" message listing them.
//   - A circuit breaker per channel (CircuitBreaker): after N consecutive transport failures
//     the channel is held for a cool-down, then one probe message decides whether it reopens.
//
// Pure: time is passed in and randomness is a number the caller draws. RecipientPacer and
// CircuitBreaker hold in-memory state and are not thread-safe (the dispatcher uses them on its
// event loop only); the rest are functions of their arguments.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

// A daily window in China time, [start, end). start > end wraps midnight (21:00–08:00);
// start == end is no window at all.
struct DailyWindow {
  std::chrono::minutes start{0};
  std::chrono::minutes end{0};
  bool empty() const { return start == end; }
  friend bool operator==(const DailyWindow&, const DailyWindow&) = default;
};

// "HH:MM-HH:MM" (China time) -> window; "" -> no window. nullopt when malformed.
std::optional<DailyWindow> parse_daily_window(std::string_view text);

bool in_window(TimePoint t, const DailyWindow& window);
// `t` itself when outside the window, else the instant the window ends.
TimePoint next_allowed_instant(TimePoint t, const DailyWindow& quiet);

struct BackoffPolicy {
  std::chrono::seconds initial{30};
  std::chrono::seconds max{3600};
  double jitter = 0.2;  // 0..1: the delay is drawn from [base·(1-jitter), base]
};

// The wait after `attempts` (>= 1) failed attempts: base = initial·2^(attempts-1) capped at
// max, then shortened by up to `jitter` of itself so that messages that failed together do not
// come back together. REQUIRES: 0 <= random01 < 1.
std::chrono::seconds backoff_delay(const BackoffPolicy& policy, int attempts, double random01);

// The later of the backoff and the provider's own Retry-After (itself capped at one day, so a
// provider's mistake cannot park a message for a month).
std::chrono::seconds retry_delay(const BackoffPolicy& policy, int attempts, double random01,
                                 std::optional<std::chrono::seconds> retry_after);

struct BreakerPolicy {
  int failures = 5;                     // consecutive transport failures that open it
  std::chrono::seconds cool_down{300};  // how long it stays open before one probe
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  explicit CircuitBreaker(BreakerPolicy policy = {}) : policy_(policy) {}

  // nullopt: the caller may send now (closed, or it is granted the one half-open probe).
  // Otherwise the instant to hold the message until.
  std::optional<TimePoint> admit(TimePoint now);
  // The channel answered (sent, or a permanent refusal): it works.
  void record_success();
  // A transport failure (network, timeout, 5xx): counts toward opening.
  void record_failure(TimePoint now);
  // An admitted message did not reach the channel after all (e.g. deferred): frees the probe.
  void release_probe() { probe_out_ = false; }

  State state(TimePoint now) const;

 private:
  BreakerPolicy policy_;
  int consecutive_failures_ = 0;
  std::optional<TimePoint> open_until_;
  bool probe_out_ = false;
};

// At most `per_minute` messages in any 60 seconds to one recipient on one channel.
class RecipientPacer {
 public:
  // nullopt: the message may go now, and is counted. Otherwise when the next may go.
  // per_minute <= 0 means no limit.
  std::optional<TimePoint> reserve(std::string_view channel, std::string_view recipient,
                                   int per_minute, TimePoint now);
  // Drops recipients with nothing in the last minute (bounded memory for long runs).
  void forget_before(TimePoint now);
  std::size_t tracked() const { return sent_.size(); }

 private:
  std::map<std::string, std::deque<TimePoint>, std::less<>> sent_;  // "channel\x1frecipient"
};

// A pending message that a digest may take.
struct DigestCandidate {
  std::int64_t id = 0;
  std::string channel;
  std::string recipient;
  TimePoint created_at{};
};

struct DigestGroup {
  std::string channel;
  std::string recipient;
  std::vector<std::int64_t> ids;  // oldest first; at most max_items
  TimePoint ready_at{};           // the oldest member's created_at + window
};

// Groups candidates by (channel, recipient), oldest first, in chunks of at most `max_items`
// (a WeChat Work text holds 2048 bytes). REQUIRES: max_items >= 1.
std::vector<DigestGroup> group_digests(std::span<const DigestCandidate> candidates,
                                       std::chrono::seconds window, int max_items);

// Everything the dispatcher needs to know about how to deliver; config [delivery].
struct DeliveryPolicy {
  int max_attempts = 8;
  int concurrency = 8;  // deliveries in flight at once
  BackoffPolicy backoff;
  // Quiet hours by channel name. SMS wakes people; WeChat Work does not ring at night.
  std::map<std::string, DailyWindow, std::less<>> quiet_hours = {
      {"sms_aliyun", {std::chrono::hours(21), std::chrono::hours(8)}},
      {"sms_tencent", {std::chrono::hours(21), std::chrono::hours(8)}}};
  std::chrono::seconds digest_window{300};
  int digest_max_items = 10;
  // Per recipient and channel, below the providers' own limits.
  std::map<std::string, int, std::less<>> per_recipient_per_minute = {
      {"wechat_robot", 15}, {"wechat_app", 20}, {"sms_aliyun", 1}, {"sms_tencent", 1}};
  BreakerPolicy breaker;
  // While a channel is held by its breaker, a failed probe costs its message no attempt (the
  // channel is down, not the message), so attempts alone would never end a long outage: a
  // message still undelivered this long after it was queued is dead at its next failure.
  std::chrono::seconds give_up_after{std::chrono::hours(24)};

  const DailyWindow* quiet_for(std::string_view channel) const;
  int per_minute_for(std::string_view channel) const;  // 0: no limit
};

}  // namespace fangfan
