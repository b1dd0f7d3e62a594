// Civil dates and instants as text: ISO 8601 in and out, nothing locale-dependent.
// (GCC 12's libstdc++ has no std::chrono::parse/format, so these are ours.)
//
// Parsers return std::nullopt on anything that is not exactly the expected
// shape or not a real calendar date (2025-02-30 is refused).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "workflows/clock.h"

namespace fangfan {

// "YYYY-MM-DD".
std::optional<Date> parse_date(std::string_view text);
std::string format_date(Date d);

// "YYYY-MM-DDTHH:MM" or "YYYY-MM-DDTHH:MM:SS", read as China time (UTC+8),
// optionally ending in "Z" (UTC) or "+08:00".
std::optional<TimePoint> parse_time(std::string_view text);
// "YYYY-MM-DDTHH:MM:SS+08:00" (China time).
std::string format_time(TimePoint t);

// "3d", "12h", "30m", "45s", or parts in falling units: "1d12h", "7d22h59m". Used by
// `clock advance`. Each part at most 1,000,000. nullopt for anything else ("3w", "12h1d",
// "1h1h", "d", "-1d", "1d-0h").
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace fangfan
