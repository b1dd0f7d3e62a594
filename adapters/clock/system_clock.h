// The real clock: the one place that reads the system's time.
#pragma once

#include "workflows/clock.h"

namespace fangfan {

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
};

}  // namespace fangfan
