#include "adapters/clock/system_clock.h"

namespace fangfan {

TimePoint SystemClock::now() const {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace fangfan
