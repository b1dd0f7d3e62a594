#include "daemon/tasks/health.h"

namespace fangfan {

Heartbeat& HealthMonitor::heartbeat(const std::string& name,
                                    std::chrono::steady_clock::duration max_silence) {
  std::lock_guard lock(mutex_);
  for (auto& h : heartbeats_) {
    if (h.name() == name) return h;
  }
  return heartbeats_.emplace_back(name, max_silence, std::chrono::steady_clock::now());
}

std::vector<HealthMonitor::Check> HealthMonitor::checks(
    std::chrono::steady_clock::time_point now) const {
  using Seconds = std::chrono::duration<double>;
  std::lock_guard lock(mutex_);
  std::vector<Check> out;
  for (const auto& h : heartbeats_) {
    const auto silence = now - h.last();
    Check c;
    c.name = h.name();
    c.ok = silence <= h.max_silence();
    c.ever_beat = h.ever_beat();
    c.seconds_since_beat = std::chrono::duration_cast<Seconds>(silence).count();
    c.max_silence_seconds = std::chrono::duration_cast<Seconds>(h.max_silence()).count();
    out.push_back(c);
  }
  return out;
}

}  // namespace fangfan
