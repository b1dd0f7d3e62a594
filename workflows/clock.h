// Time as the core sees it. The core never reads a clock: every function that
// needs "now" takes a Clock& (or a TimePoint), so tests and the operator's
// simulated-clock mode decide what time it is.
//
// TimePoint is UTC seconds. The program runs on China Standard Time (UTC+8, no
// daylight saving), so "today" for a deadline is china_date(now).
//
// Thread-safety: SimulatedClock may be read from any thread while one thread
// advances it.
#pragma once

#include <atomic>
#include <chrono>

namespace fangfan {

using TimePoint = std::chrono::sys_seconds;
using Date = std::chrono::sys_days;

inline constexpr std::chrono::hours kChinaUtcOffset{8};

// The calendar date in China at instant `t`.
inline Date china_date(TimePoint t) {
  return std::chrono::floor<std::chrono::days>(t + kChinaUtcOffset);
}

// The instant at which `d` begins in China, plus a time of day.
inline TimePoint china_time(Date d, std::chrono::seconds time_of_day = {}) {
  return TimePoint{d} - kChinaUtcOffset + time_of_day;
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// A clock that moves only when told. Used by tests and by
// `fangfand --simulated-clock`.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint{std::chrono::seconds{now_.load()}}; }
  // REQUIRES: by >= 0. Time never goes backwards.
  void advance(std::chrono::seconds by) { now_ += by.count(); }

 private:
  std::atomic<std::chrono::seconds::rep> now_;
};

}  // namespace fangfan
