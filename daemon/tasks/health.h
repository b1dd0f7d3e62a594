// Liveness of the daemon's loops, for GET /healthz.
//
// A loop that must keep running (the scheduler) registers a heartbeat once with
// the longest silence that is still healthy, then calls beat() on every turn:
//
//   Heartbeat& hb = health.heartbeat("scheduler", std::chrono::minutes(2));
//   for (;;) { hb.beat(); ... }
//
// /healthz reports each heartbeat and answers 503 when one has been silent for
// longer than its limit (counting from registration for one that never beat).
// Time is the steady clock: liveness is about elapsed time, not the calendar, so
// the simulated clock does not apply.
//
// Thread-safety: beat() and checks() may be called from any thread. heartbeat()
// references stay valid as long as the monitor.
#pragma once

#include <atomic>
#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fangfan {

class Heartbeat {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  Heartbeat(std::string name, std::chrono::steady_clock::duration max_silence,
            SteadyTime registered)
      : name_(std::move(name)),
        max_silence_(max_silence),
        last_(registered.time_since_epoch().count()) {}

  void beat(SteadyTime now = std::chrono::steady_clock::now()) {
    last_.store(now.time_since_epoch().count());
    beaten_.store(true);
  }
  const std::string& name() const { return name_; }
  std::chrono::steady_clock::duration max_silence() const { return max_silence_; }
  // The last beat, or the registration time when it never beat.
  SteadyTime last() const { return SteadyTime(std::chrono::steady_clock::duration(last_.load())); }
  bool ever_beat() const { return beaten_.load(); }

 private:
  std::string name_;
  std::chrono::steady_clock::duration max_silence_;
  std::atomic<std::chrono::steady_clock::rep> last_;
  std::atomic<bool> beaten_{false};
};

class HealthMonitor {
 public:
  // The heartbeat called `name`, registered on first use with `max_silence`.
  Heartbeat& heartbeat(const std::string& name, std::chrono::steady_clock::duration max_silence);

  struct Check {
    std::string name;
    bool ok = false;
    bool ever_beat = false;
    double seconds_since_beat = 0;  // since registration when it never beat
    double max_silence_seconds = 0;
  };
  std::vector<Check> checks(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) const;

 private:
  mutable std::mutex mutex_;
  std::list<Heartbeat> heartbeats_;  // list: references stay valid
};

}  // namespace fangfan
