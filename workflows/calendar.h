// China's working-day calendar (工作日历): weekends and statutory holidays are
// off, the State Council's make-up workdays (调休上班日) are on. Built from one
// CalendarYear per year, as published each year in the notice
// 国务院办公厅关于YYYY年部分节假日安排的通知; adapters/calendar loads them from
// config/calendar/YYYY.toml.
//
// A year with no data is never guessed at: every operation that would have to
// look at a day of such a year returns a CalendarError naming the year (other
// engines silently fall back to "weekends only" and drift by a week at every
// Spring Festival).
//
// Pure: no I/O, no clock. Lookups are O(1) per covered year (a cumulative
// working-day table per year), so a scheduler may call them for every timer.
// Thread-safety: immutable once built; const methods may be called from any
// thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "workflows/clock.h"
#include "workflows/program_rules.h"

namespace fangfan {

// One holiday period of a notice, e.g. 春节 with its days off and the weekend
// days worked instead.
struct HolidayPeriod {
  std::string name;                   // "春节", "国庆节、中秋节"
  std::vector<Date> days;             // days off, weekends inside the period included
  std::vector<Date> makeup_workdays;  // 调休: Saturdays/Sundays that are working days
};

// One year's arrangement. Every date lies in `year` (a period that starts in
// December of the year before, as 2023's 元旦 did, lists only its own year's
// days: the earlier days are that year's weekend anyway).
struct CalendarYear {
  int year = 0;
  std::vector<std::string> sources;  // the notices cited, title (document number, date)
  std::vector<HolidayPeriod> holidays;
};

struct CalendarError {
  // The year whose arrangement is missing, or 0 when the error is about the
  // data itself (see WorkingDayCalendar::build).
  int missing_year = 0;
  std::string message;  // a full sentence, for logs and for the county admin
};

// A value or a CalendarError.
template <typename T>
class CalendarResult {
 public:
  CalendarResult(T value) : v_(std::move(value)) {}              // NOLINT: implicit by design
  CalendarResult(CalendarError error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // REQUIRES: ok().
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok().
  const CalendarError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, CalendarError> v_;
};

class WorkingDayCalendar {
 public:
  // Checks and indexes the years. Refuses (missing_year == 0) two entries for
  // the same year, a date outside its year, a date listed twice, a date that is
  // both a holiday and a make-up workday, and a make-up workday that is not a
  // Saturday or Sunday. adapters/calendar checks the same with file and line
  // first; this is the core's own guard. An empty list gives a calendar that
  // covers no year.
  static CalendarResult<WorkingDayCalendar> build(std::vector<CalendarYear> years);

  bool covers_year(int year) const;
  // The latest year with data; nullopt when the calendar is empty. The daemon
  // warns from 1 November when this is the current year.
  std::optional<int> last_covered_year() const;
  std::optional<int> first_covered_year() const;

  CalendarResult<bool> is_working_day(Date d) const;

  // The date n working days after d: the day of the event (d) does not count,
  // so add_working_days(Friday before a plain weekend, 1) is the Monday.
  // n == 0 returns d itself, working day or not (a period of 0 ends on the day
  // it starts). n < 0 goes backwards: the |n|-th working day before d (used for
  // "remind 1 working day before it falls due").
  // Errors if d's year or any year walked through has no data.
  CalendarResult<Date> add_working_days(Date d, int n) const;

  // How many working days lie from a through b, both included. 0 when b < a.
  // Errors if any year from a's to b's has no data.
  CalendarResult<int> working_days_between(Date a, Date b) const;

  // Deadline arithmetic for a step period: calendar days are plain date
  // arithmetic (a 5-day 公示 runs through holidays) and never fail; working days
  // are add_working_days.
  CalendarResult<Date> add_days(Date d, int n, DayUnit unit) const;

  // The name of the holiday period d belongs to, or of the period d is a
  // make-up workday for ("春节"); nullopt for an ordinary day or an uncovered year.
  std::optional<std::string> period_name(Date d) const;

  // The citations of a covered year (empty for an uncovered one).
  const std::vector<std::string>& sources(int year) const;

 private:
  // Per covered year: cumulative_[i] = working days among the year's first i
  // days, so day i is a working day iff cumulative_[i+1] > cumulative_[i].
  struct YearTable {
    int year = 0;
    Date jan1;
    int length = 0;  // 365 or 366
    std::array<std::uint16_t, 367> cumulative{};
    std::vector<std::pair<Date, std::string>> names;  // sorted by date
    std::vector<std::string> sources;
  };

  const YearTable* table(int year) const;
  CalendarError missing(int year) const;

  int first_year_ = 0;
  std::vector<std::optional<YearTable>> years_;  // index: year - first_year_
};

// "2027年的节假日安排尚未配置（config/calendar/2027.toml）…": the sentence used
// for a missing year, shared with the daemon's November warning.
std::string missing_year_message(int year);

}  // namespace fangfan
