// The real clock: the one place that reads the system's time.
#pragma once

#include "workflows/clock.h"

namespace fangfan {

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
  // How far the system time is past the start of the second now() reads: the scheduler sleeps
  // to the instant a due second begins, not a whole second from a truncated now.
  static std::chrono::microseconds into_second();
};

}  // namespace fangfan
