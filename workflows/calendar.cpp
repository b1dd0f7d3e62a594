#include "workflows/calendar.h"

#include <algorithm>
#include <map>

#include "workflows/date.h"

namespace fangfan {
namespace {

using std::chrono::days;
using std::chrono::year_month_day;

int year_of(Date d) { return int(year_month_day{d}.year()); }

Date jan1(int year) {
  return Date{year_month_day{std::chrono::year{year}, std::chrono::January, std::chrono::day{1}}};
}

bool is_weekend(Date d) {
  const std::chrono::weekday wd{d};
  return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

CalendarError data_error(std::string message) { return CalendarError{0, std::move(message)}; }

}  // namespace

std::string missing_year_message(int year) {
  const std::string y = std::to_string(year);
  return y + "年的节假日安排尚未配置（config/calendar/" + y +
         ".toml），无法计算该年的工作日。请按国务院办公厅关于" + y +
         "年部分节假日安排的通知添加该文件。";
}

CalendarResult<WorkingDayCalendar> WorkingDayCalendar::build(std::vector<CalendarYear> years) {
  std::map<int, YearTable> tables;
  for (auto& cy : years) {
    const std::string y = std::to_string(cy.year);
    if (cy.year < 1900 || cy.year > 9999) {
      return data_error("节假日安排的年份 " + y + " 不是有效年份。");
    }
    if (tables.count(cy.year)) {
      return data_error(y + "年的节假日安排出现了两次。");
    }
    YearTable t;
    t.year = cy.year;
    t.jan1 = jan1(cy.year);
    t.length = int((jan1(cy.year + 1) - t.jan1).count());
    t.sources = std::move(cy.sources);

    // Day kinds: 0 ordinary, 1 holiday, 2 make-up workday.
    std::array<std::uint8_t, 366> kind{};
    std::map<Date, std::string> names;
    auto index_of = [&](Date d) -> std::optional<int> {
      if (year_of(d) != cy.year) return std::nullopt;
      return int((d - t.jan1).count());
    };
    for (const auto& period : cy.holidays) {
      for (Date d : period.days) {
        auto i = index_of(d);
        if (!i) {
          return data_error(y + "年" + period.name + "的假日 " + format_date(d) + " 不在" + y +
                            "年内。");
        }
        if (kind[*i] != 0) return data_error(y + "年的日期 " + format_date(d) + " 重复出现。");
        kind[*i] = 1;
        names[d] = period.name;
      }
    }
    for (const auto& period : cy.holidays) {
      for (Date d : period.makeup_workdays) {
        auto i = index_of(d);
        if (!i) {
          return data_error(y + "年" + period.name + "的调休上班日 " + format_date(d) + " 不在" +
                            y + "年内。");
        }
        if (kind[*i] == 1) {
          return data_error(format_date(d) + " 既是假日又是调休上班日。");
        }
        if (kind[*i] == 2) return data_error(y + "年的日期 " + format_date(d) + " 重复出现。");
        if (!is_weekend(d)) {
          return data_error(format_date(d) + " 是调休上班日，但它不是星期六或星期日。");
        }
        kind[*i] = 2;
        names[d] = period.name;
      }
    }
    t.cumulative[0] = 0;
    for (int i = 0; i < t.length; ++i) {
      const Date d = t.jan1 + days{i};
      const bool working = kind[i] == 2 || (kind[i] == 0 && !is_weekend(d));
      t.cumulative[i + 1] = std::uint16_t(t.cumulative[i] + (working ? 1 : 0));
    }
    t.names.assign(names.begin(), names.end());
    tables.emplace(cy.year, std::move(t));
  }

  WorkingDayCalendar cal;
  if (!tables.empty()) {
    cal.first_year_ = tables.begin()->first;
    cal.years_.resize(size_t(tables.rbegin()->first - cal.first_year_ + 1));
    for (auto& [year, t] : tables) cal.years_[size_t(year - cal.first_year_)] = std::move(t);
  }
  return cal;
}

const WorkingDayCalendar::YearTable* WorkingDayCalendar::table(int year) const {
  if (year < first_year_ || year - first_year_ >= int(years_.size())) return nullptr;
  const auto& slot = years_[size_t(year - first_year_)];
  return slot ? &*slot : nullptr;
}

CalendarError WorkingDayCalendar::missing(int year) const {
  return CalendarError{year, missing_year_message(year)};
}

bool WorkingDayCalendar::covers_year(int year) const { return table(year) != nullptr; }

std::optional<int> WorkingDayCalendar::last_covered_year() const {
  if (years_.empty()) return std::nullopt;
  return first_year_ + int(years_.size()) - 1;  // the last slot is always filled
}

std::optional<int> WorkingDayCalendar::first_covered_year() const {
  if (years_.empty()) return std::nullopt;
  return first_year_;
}

CalendarResult<bool> WorkingDayCalendar::is_working_day(Date d) const {
  const YearTable* t = table(year_of(d));
  if (!t) return missing(year_of(d));
  const int i = int((d - t->jan1).count());
  return t->cumulative[size_t(i) + 1] > t->cumulative[size_t(i)];
}

CalendarResult<Date> WorkingDayCalendar::add_working_days(Date d, int n) const {
  int year = year_of(d);
  const YearTable* t = table(year);
  if (!t) return missing(year);
  if (n == 0) return d;

  if (n > 0) {
    // Working days up to and including d; we want the first day whose count
    // reaches that plus n.
    int i = int((d - t->jan1).count());
    int target = t->cumulative[size_t(i) + 1] + n;
    while (target > t->cumulative[size_t(t->length)]) {
      target -= t->cumulative[size_t(t->length)];
      t = table(++year);
      if (!t) return missing(year);
      i = -1;
    }
    // First k in (i+1, length] with cumulative[k] >= target; the day is k-1.
    const auto* begin = t->cumulative.data() + i + 2;
    const auto* end = t->cumulative.data() + t->length + 1;
    const auto* k = std::lower_bound(begin, end, target);
    return t->jan1 + days{int(k - t->cumulative.data()) - 1};
  }

  // Backwards: working days strictly before d are cumulative[i]; we want the
  // last day j < i with cumulative[j] == cumulative[i] - |n| and day j working,
  // i.e. the day where the count rises to cumulative[i] - |n| + 1.
  int i = int((d - t->jan1).count());
  int target = t->cumulative[size_t(i)] + n + 1;  // n < 0
  while (target <= 0) {
    t = table(--year);
    if (!t) return missing(year);
    target += t->cumulative[size_t(t->length)];
    i = t->length;
  }
  const auto* begin = t->cumulative.data() + 1;
  const auto* end = t->cumulative.data() + i + 1;
  const auto* k = std::lower_bound(begin, end, target);
  return t->jan1 + days{int(k - t->cumulative.data()) - 1};
}

CalendarResult<int> WorkingDayCalendar::working_days_between(Date a, Date b) const {
  if (b < a) return 0;
  const int ya = year_of(a);
  const int yb = year_of(b);
  int total = 0;
  for (int y = ya; y <= yb; ++y) {
    const YearTable* t = table(y);
    if (!t) return missing(y);
    const int from = y == ya ? int((a - t->jan1).count()) : 0;
    const int to = y == yb ? int((b - t->jan1).count()) + 1 : t->length;
    total += t->cumulative[size_t(to)] - t->cumulative[size_t(from)];
  }
  return total;
}

CalendarResult<Date> WorkingDayCalendar::add_days(Date d, int n, DayUnit unit) const {
  if (unit == DayUnit::kCalendarDays) return d + days{n};
  return add_working_days(d, n);
}

std::optional<std::string> WorkingDayCalendar::period_name(Date d) const {
  const YearTable* t = table(year_of(d));
  if (!t) return std::nullopt;
  auto it = std::lower_bound(t->names.begin(), t->names.end(), d,
                             [](const auto& entry, Date key) { return entry.first < key; });
  if (it == t->names.end() || it->first != d) return std::nullopt;
  return it->second;
}

const std::vector<std::string>& WorkingDayCalendar::sources(int year) const {
  static const std::vector<std::string> kNone;
  const YearTable* t = table(year);
  return t ? t->sources : kNone;
}

}  // namespace fangfan
