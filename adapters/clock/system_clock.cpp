#include "adapters/clock/system_clock.h"

namespace fangfan {

TimePoint SystemClock::now() const {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::chrono::microseconds SystemClock::into_second() {
  const auto t = std::chrono::system_clock::now();
  return std::chrono::duration_cast<std::chrono::microseconds>(
      t - std::chrono::floor<std::chrono::seconds>(t));
}

}  // namespace fangfan
