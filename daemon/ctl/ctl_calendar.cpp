#include "daemon/ctl/ctl_calendar.h"

#include <charconv>
#include <optional>

#include "adapters/calendar/calendar_files.h"
#include "workflows/calendar.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 2;

constexpr const char* kUsage =
    "用法：\n"
    "  fangfanctl calendar is-working-day YYYY-MM-DD\n"
    "  fangfanctl calendar add-working-days YYYY-MM-DD N\n"
    "  fangfanctl calendar working-days-between YYYY-MM-DD YYYY-MM-DD\n"
    "  fangfanctl calendar check\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << problem << "\n";
  err << kUsage;
  return kFailed;
}

std::optional<Date> date_arg(const std::string& text, std::ostream& err) {
  auto d = parse_date(text);
  if (!d) err << "“" << text << "”不是有效日期，应写成 YYYY-MM-DD，例如 2025-10-11。\n";
  return d;
}

std::optional<int> count_arg(const std::string& text, std::ostream& err) {
  int n = 0;
  const char* begin = text.data();
  if (!text.empty() && text[0] == '+') ++begin;
  auto [p, ec] = std::from_chars(begin, text.data() + text.size(), n);
  // Bounded so that a typo cannot ask for centuries of walking.
  if (text.empty() || ec != std::errc{} || p != text.data() + text.size() || n < -100000 ||
      n > 100000) {
    err << "“" << text << "”不是有效的工作日天数（应为整数，例如 5）。\n";
    return std::nullopt;
  }
  return n;
}

std::optional<WorkingDayCalendar> load(const std::filesystem::path& dir, std::ostream& err) {
  auto loaded = load_calendar_dir(dir);
  if (!loaded.calendar) {
    err << "节假日安排文件有误，未做计算：\n";
    for (const auto& e : loaded.errors) err << "  " << e.to_string() << "\n";
    return std::nullopt;
  }
  return std::move(loaded.calendar);
}

template <typename T>
bool report(const CalendarResult<T>& r, std::ostream& err) {
  if (!r) err << r.error().message << "\n";
  return r.ok();
}

}  // namespace

int run_calendar_command(const std::vector<std::string>& args,
                         const std::filesystem::path& calendar_dir, std::ostream& out,
                         std::ostream& err) {
  if (args.empty()) return usage(err, "缺少子命令。");
  const std::string& cmd = args[0];
  auto want = [&](size_t n) { return args.size() == n + 1; };

  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    out << kUsage;
    return kOk;
  }
  if (cmd == "is-working-day") {
    if (!want(1)) return usage(err, "is-working-day 需要一个日期。");
    auto d = date_arg(args[1], err);
    if (!d) return kFailed;
    auto cal = load(calendar_dir, err);
    if (!cal) return kFailed;
    auto r = cal->is_working_day(*d);
    if (!report(r, err)) return kFailed;
    out << (*r ? "yes" : "no") << "\n";
    return kOk;
  }
  if (cmd == "add-working-days") {
    if (!want(2)) return usage(err, "add-working-days 需要一个日期和一个天数。");
    auto d = date_arg(args[1], err);
    auto n = count_arg(args[2], err);
    if (!d || !n) return kFailed;
    auto cal = load(calendar_dir, err);
    if (!cal) return kFailed;
    auto r = cal->add_working_days(*d, *n);
    if (!report(r, err)) return kFailed;
    out << format_date(*r) << "\n";
    return kOk;
  }
  if (cmd == "working-days-between") {
    if (!want(2)) return usage(err, "working-days-between 需要起止两个日期。");
    auto a = date_arg(args[1], err);
    auto b = date_arg(args[2], err);
    if (!a || !b) return kFailed;
    if (*b < *a) {
      err << "结束日期 " << args[2] << " 早于起始日期 " << args[1] << "。\n";
      return kFailed;
    }
    auto cal = load(calendar_dir, err);
    if (!cal) return kFailed;
    auto r = cal->working_days_between(*a, *b);
    if (!report(r, err)) return kFailed;
    out << *r << "\n";
    return kOk;
  }
  if (cmd == "check") {
    if (!want(0)) return usage(err, "check 不带参数。");
    auto cal = load(calendar_dir, err);
    if (!cal) return kFailed;
    const int first = *cal->first_covered_year();
    const int last = *cal->last_covered_year();
    out << "节假日安排已配置：";
    bool any = false;
    for (int y = first; y <= last; ++y) {
      if (!cal->covers_year(y)) continue;
      out << (any ? "、" : "") << y;
      any = true;
    }
    out << "\n";
    for (int y = first; y <= last; ++y) {
      if (!cal->covers_year(y)) out << "缺少 " << y << " 年（" << y << ".toml）。\n";
    }
    return kOk;
  }
  return usage(err, "未知的子命令“" + cmd + "”。");
}

}  // namespace fangfan
