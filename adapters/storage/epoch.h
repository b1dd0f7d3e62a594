// Instants as the schema stores them: BIGINT seconds since the epoch, UTC.
#pragma once

#include "workflows/clock.h"

namespace fangfan {

inline long long to_epoch(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_epoch(long long seconds) { return TimePoint{std::chrono::seconds{seconds}}; }

}  // namespace fangfan
