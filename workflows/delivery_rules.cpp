#include "workflows/delivery_rules.h"

#include <algorithm>
#include <cmath>

namespace fangfan {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr minutes kDay = std::chrono::hours(24);
constexpr seconds kMaxRetryAfter = std::chrono::hours(24);
constexpr seconds kPacingSpan{60};

std::optional<int> two_digits(std::string_view s) {
  if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return std::nullopt;
  return (s[0] - '0') * 10 + (s[1] - '0');
}

std::optional<minutes> parse_hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto h = two_digits(s.substr(0, 2));
  auto m = two_digits(s.substr(3, 2));
  // 24:00 is allowed as the end of a day.
  if (!h || !m || *m > 59 || *h > 24 || (*h == 24 && *m != 0)) return std::nullopt;
  return std::chrono::hours(*h) + minutes(*m);
}

// Minutes since midnight China time, and that midnight.
minutes time_of_day(TimePoint t) {
  const Date d = china_date(t);
  return std::chrono::floor<minutes>(t - china_time(d));
}

std::string pacing_key(std::string_view channel, std::string_view recipient) {
  std::string key(channel);
  key += '\x1f';
  key += recipient;
  return key;
}

}  // namespace

std::optional<DailyWindow> parse_daily_window(std::string_view text) {
  if (text.empty()) return DailyWindow{};
  if (text.size() != 11 || text[5] != '-') return std::nullopt;
  auto start = parse_hhmm(text.substr(0, 5));
  auto end = parse_hhmm(text.substr(6, 5));
  if (!start || !end || *start == kDay) return std::nullopt;
  if (*end == kDay) *end = minutes(0);
  return DailyWindow{*start, *end};
}

bool in_window(TimePoint t, const DailyWindow& w) {
  if (w.empty()) return false;
  const minutes m = time_of_day(t);
  if (w.start < w.end) return m >= w.start && m < w.end;
  return m >= w.start || m < w.end;  // wraps midnight
}

TimePoint next_allowed_instant(TimePoint t, const DailyWindow& quiet) {
  if (!in_window(t, quiet)) return t;
  const Date today = china_date(t);
  const minutes m = time_of_day(t);
  // Inside a wrapping window before midnight: it ends tomorrow.
  const Date end_day =
      (quiet.start > quiet.end && m >= quiet.start) ? today + std::chrono::days(1) : today;
  return china_time(end_day, quiet.end);
}

std::chrono::seconds backoff_delay(const BackoffPolicy& policy, int attempts, double random01) {
  const int shift = std::clamp(attempts - 1, 0, 30);
  const double base =
      std::min(double(policy.initial.count()) * std::ldexp(1.0, shift), double(policy.max.count()));
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double r = std::clamp(random01, 0.0, 1.0);
  const double delay = base * (1.0 - jitter * r);
  return seconds(std::max<long long>(1, std::llround(delay)));
}

std::chrono::seconds retry_delay(const BackoffPolicy& policy, int attempts, double random01,
                                 std::optional<std::chrono::seconds> retry_after) {
  const seconds backoff = backoff_delay(policy, attempts, random01);
  if (!retry_after) return backoff;
  return std::max(backoff, std::min(*retry_after, kMaxRetryAfter));
}

std::optional<TimePoint> CircuitBreaker::admit(TimePoint now) {
  if (!open_until_) return std::nullopt;  // closed
  if (now < *open_until_) return *open_until_;
  // Half-open: one probe at a time; the others wait a short while for its answer.
  if (probe_out_) return now + std::min(policy_.cool_down, seconds(60));
  probe_out_ = true;
  return std::nullopt;
}

void CircuitBreaker::record_success() {
  consecutive_failures_ = 0;
  open_until_.reset();
  probe_out_ = false;
}

void CircuitBreaker::record_failure(TimePoint now) {
  ++consecutive_failures_;
  const bool probing = open_until_.has_value();  // a failed probe opens it again at once
  if (probing || consecutive_failures_ >= std::max(1, policy_.failures)) {
    open_until_ = now + policy_.cool_down;
  }
  probe_out_ = false;
}

CircuitBreaker::State CircuitBreaker::state(TimePoint now) const {
  if (!open_until_) return State::kClosed;
  return now < *open_until_ ? State::kOpen : State::kHalfOpen;
}

std::optional<TimePoint> RecipientPacer::reserve(std::string_view channel,
                                                 std::string_view recipient, int per_minute,
                                                 TimePoint now) {
  if (per_minute <= 0) return std::nullopt;
  const std::string key = pacing_key(channel, recipient);
  auto it = sent_.find(key);
  if (it == sent_.end()) it = sent_.emplace(key, std::deque<TimePoint>{}).first;
  auto& times = it->second;
  while (!times.empty() && times.front() + kPacingSpan <= now) times.pop_front();
  if (int(times.size()) >= per_minute) return times.front() + kPacingSpan;
  times.push_back(now);
  return std::nullopt;
}

void RecipientPacer::forget_before(TimePoint now) {
  for (auto it = sent_.begin(); it != sent_.end();) {
    if (it->second.empty() || it->second.back() + kPacingSpan <= now) {
      it = sent_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<DigestGroup> group_digests(std::span<const DigestCandidate> candidates,
                                       std::chrono::seconds window, int max_items) {
  std::vector<const DigestCandidate*> sorted;
  sorted.reserve(candidates.size());
  for (const auto& c : candidates) sorted.push_back(&c);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    if (a->channel != b->channel) return a->channel < b->channel;
    if (a->recipient != b->recipient) return a->recipient < b->recipient;
    if (a->created_at != b->created_at) return a->created_at < b->created_at;
    return a->id < b->id;
  });
  std::vector<DigestGroup> groups;
  const std::size_t cap = std::size_t(std::max(1, max_items));
  for (const auto* c : sorted) {
    if (groups.empty() || groups.back().channel != c->channel ||
        groups.back().recipient != c->recipient || groups.back().ids.size() >= cap) {
      groups.push_back({c->channel, c->recipient, {}, c->created_at + window});
    }
    groups.back().ids.push_back(c->id);
  }
  return groups;
}

const DailyWindow* DeliveryPolicy::quiet_for(std::string_view channel) const {
  auto it = quiet_hours.find(channel);
  return it == quiet_hours.end() || it->second.empty() ? nullptr : &it->second;
}

int DeliveryPolicy::per_minute_for(std::string_view channel) const {
  auto it = per_recipient_per_minute.find(channel);
  return it == per_recipient_per_minute.end() ? 0 : it->second;
}

}  // namespace fangfan
