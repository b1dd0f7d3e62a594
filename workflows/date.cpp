#include "workflows/date.h"

#include <charconv>
#include <cstdio>

namespace fangfan {
namespace {

bool read_int(std::string_view text, size_t pos, size_t len, int& out) {
  if (pos + len > text.size()) return false;
  for (size_t i = pos; i < pos + len; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
  return ec == std::errc{} && p == text.data() + pos + len;
}

}  // namespace

std::optional<Date> parse_date(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!read_int(text, 0, 4, y) || !read_int(text, 5, 2, m) || !read_int(text, 8, 2, d)) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                  std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return Date{ymd};
}

std::string format_date(Date d) {
  std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()));
  return buf;
}

std::optional<TimePoint> parse_time(std::string_view text) {
  if (text.size() < 16 || text[10] != 'T' || text[13] != ':') return std::nullopt;
  auto date = parse_date(text.substr(0, 10));
  int hh = 0, mm = 0, ss = 0;
  if (!date || !read_int(text, 11, 2, hh) || !read_int(text, 14, 2, mm)) return std::nullopt;
  size_t pos = 16;
  if (text.size() >= 19 && text[16] == ':') {
    if (!read_int(text, 17, 2, ss)) return std::nullopt;
    pos = 19;
  }
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  std::string_view zone = text.substr(pos);
  std::chrono::seconds tod{hh * 3600 + mm * 60 + ss};
  if (zone.empty() || zone == "+08:00") return china_time(*date, tod);
  if (zone == "Z") return TimePoint{*date} + tod;
  return std::nullopt;
}

std::string format_time(TimePoint t) {
  const auto local = t + kChinaUtcOffset;
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::hh_mm_ss tod{local - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d+08:00", format_date(day).c_str(),
                int(tod.hours().count()), int(tod.minutes().count()), int(tod.seconds().count()));
  return buf;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  // Parts in falling units, each at most once: "7d", "1d12h", "2h30m", "7d22h59m".
  if (text.empty()) return std::nullopt;
  constexpr std::string_view kUnits = "dhms";
  constexpr long long kSeconds[] = {86400, 3600, 60, 1};
  long long total = 0;
  std::size_t next_unit = 0;  // a unit may not come after a smaller one
  const char* p = text.data();
  const char* const end = text.data() + text.size();
  while (p != end) {
    unsigned long long n = 0;  // unsigned: no sign at all, not even "-0"
    auto [after, ec] = std::from_chars(p, end, n);
    if (ec != std::errc{} || after == end || n > 1'000'000) return std::nullopt;
    const std::size_t unit = kUnits.find(*after, next_unit);
    if (unit == std::string_view::npos) return std::nullopt;
    total += static_cast<long long>(n) * kSeconds[unit];
    next_unit = unit + 1;
    p = after + 1;
  }
  return std::chrono::seconds{total};
}

}  // namespace fangfan
