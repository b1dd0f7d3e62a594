#include "adapters/calendar/calendar_files.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <system_error>

#include "workflows/date.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTopKeys = "year、source、holiday";
constexpr const char* kHolidayKeys = "name、days、makeup_workdays";

int line_of(const toml::node& n) { return int(n.source().begin.line); }
int line_of(const toml::key& k) { return int(k.source().begin.line); }

const char* weekday_name(Date d) {
  static constexpr const char* kNames[] = {"星期日", "星期一", "星期二", "星期三",
                                           "星期四", "星期五", "星期六"};
  return kNames[std::chrono::weekday{d}.c_encoding()];
}

bool is_weekend(Date d) {
  const std::chrono::weekday wd{d};
  return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

// The year in a file name "2025.toml", or nullopt.
std::optional<int> year_from_name(const fs::path& file) {
  const std::string stem = file.stem().string();
  if (stem.size() != 4 || !std::all_of(stem.begin(), stem.end(),
                                       [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return std::nullopt;
  }
  return std::stoi(stem);
}

// One file's checks; collects every problem instead of stopping at the first.
class FileChecker {
 public:
  explicit FileChecker(fs::path file) : file_(std::move(file)) {}

  CalendarYearLoad run() {
    const std::string name = file_.filename().string();
    const auto name_year = year_from_name(file_);
    if (!name_year) {
      fail(0, "", "文件名 " + name + " 不是“四位年份.toml”的形式（例如 2025.toml）。");
    }

    toml::table root;
    try {
      root = toml::parse_file(file_.string());
    } catch (const toml::parse_error& e) {
      fail(int(e.source().begin.line), "",
           "无法读取或不是有效的 TOML：" + std::string(e.description()));
      return finish();
    }

    CalendarYear out;
    for (auto&& [key, node] : root) {
      const std::string k{key.str()};
      if (k != "year" && k != "source" && k != "holiday") {
        fail(line_of(key), k, "未知的键“" + k + "”（允许的键：" + kTopKeys + "）。");
      }
    }

    // year
    bool year_known = true;
    if (const toml::node* y = root.get("year"); !y) {
      fail(0, "year", "缺少 year（本文件的年份，例如 year = 2025）。");
    } else if (!y->is_integer()) {
      fail(line_of(*y), "year", "year 应为整数年份，例如 year = 2025。");
    } else {
      out.year = int(y->as_integer()->get());
      if (name_year && out.year != *name_year) {
        fail(line_of(*y), "year",
             "year = " + std::to_string(out.year) + " 与文件名 " + name + " 不一致。");
        year_known = false;
      }
    }
    // The year the dates must lie in. When the key and the file name disagree we
    // cannot tell which one is wrong, so the dates are not checked against either
    // (one clear error instead of one per date).
    if (year_known) year_ = out.year != 0 ? out.year : name_year.value_or(0);

    // source: one citation, or several (2020: the arrangement and its extension).
    const std::string source_help = "请写明依据的国务院办公厅通知：标题（文号，发布日期）。";
    if (const toml::node* s = root.get("source"); !s) {
      fail(0, "source", "缺少 source。" + source_help);
    } else if (s->is_string()) {
      if (s->as_string()->get().empty()) fail(line_of(*s), "source", "source 为空。" + source_help);
      out.sources.push_back(s->as_string()->get());
    } else if (s->is_array() && !s->as_array()->empty()) {
      for (const toml::node& item : *s->as_array()) {
        if (!item.is_string() || item.as_string()->get().empty()) {
          fail(line_of(item), "source", "source 中的每一项应为非空字符串。" + source_help);
        } else {
          out.sources.push_back(item.as_string()->get());
        }
      }
    } else {
      fail(line_of(*s), "source", "source 应为字符串或字符串数组。" + source_help);
    }

    // [[holiday]]
    if (const toml::node* h = root.get("holiday"); !h) {
      fail(0, "holiday", "没有任何 [[holiday]] 假日安排。");
    } else if (!h->is_array_of_tables()) {
      fail(line_of(*h), "holiday", "holiday 应写成 [[holiday]] 表数组。");
    } else {
      int index = 0;
      for (const toml::node& item : *h->as_array()) {
        out.holidays.push_back(read_holiday(*item.as_table(), ++index));
      }
    }

    cross_check();
    if (errors_.empty()) return CalendarYearLoad{std::move(out), {}};
    return finish();
  }

 private:
  struct Seen {
    int line = 0;
    bool makeup = false;
    std::string key;
  };

  void fail(int line, std::string key, std::string message) {
    errors_.push_back(CalendarFileError{file_, line, std::move(key), std::move(message)});
  }

  CalendarYearLoad finish() { return CalendarYearLoad{std::nullopt, std::move(errors_)}; }

  HolidayPeriod read_holiday(const toml::table& t, int index) {
    const std::string where = "holiday[" + std::to_string(index) + "]";
    HolidayPeriod p;
    for (auto&& [key, node] : t) {
      const std::string k{key.str()};
      if (k != "name" && k != "days" && k != "makeup_workdays") {
        fail(line_of(key), where + "." + k,
             "未知的键“" + k + "”（[[holiday]] 中允许的键：" + kHolidayKeys + "）。");
      }
    }
    if (const toml::node* n = t.get("name"); !n) {
      fail(line_of(t), where + ".name", "缺少 name（假日名称，例如 name = \"春节\"）。");
    } else if (!n->is_string() || n->as_string()->get().empty()) {
      fail(line_of(*n), where + ".name", "name 应为非空字符串。");
    } else {
      p.name = n->as_string()->get();
    }
    if (const toml::node* d = t.get("days"); !d) {
      fail(line_of(t), where + ".days", "缺少 days（放假日期列表）。");
    } else {
      p.days = read_dates(*d, where + ".days", /*makeup=*/false, /*required=*/true);
    }
    if (const toml::node* m = t.get("makeup_workdays")) {
      p.makeup_workdays = read_dates(*m, where + ".makeup_workdays", /*makeup=*/true,
                                     /*required=*/false);
    }
    return p;
  }

  std::vector<Date> read_dates(const toml::node& node, const std::string& key, bool makeup,
                               bool required) {
    std::vector<Date> dates;
    if (!node.is_array()) {
      fail(line_of(node), key, "应为日期数组，例如 [\"2025-01-28\", \"2025-01-29\"]。");
      return dates;
    }
    if (required && node.as_array()->empty()) {
      fail(line_of(node), key, "日期列表为空。");
    }
    for (const toml::node& item : *node.as_array()) {
      std::optional<Date> d;
      std::string shown;
      if (item.is_string()) {
        shown = item.as_string()->get();
        d = parse_date(shown);
      } else if (item.is_date()) {
        const toml::date td = item.as_date()->get();
        const std::chrono::year_month_day ymd{
            std::chrono::year{td.year}, std::chrono::month{td.month}, std::chrono::day{td.day}};
        if (ymd.ok()) d = Date{ymd};
      }
      if (!d) {
        fail(line_of(item), key,
             (shown.empty() ? std::string("此项") : "“" + shown + "”") +
                 " 不是有效日期（应写成 \"YYYY-MM-DD\"）。");
        continue;
      }
      const int y = int(std::chrono::year_month_day{*d}.year());
      if (year_ != 0 && y != year_) {
        fail(line_of(item), key,
             "日期 " + format_date(*d) + " 不在" + std::to_string(year_) +
                 "年内；每个文件只写本年的日期（跨年假期中上一年的日子写入上一年的文件）。");
        continue;
      }
      auto [it, inserted] = seen_.try_emplace(*d, Seen{line_of(item), makeup, key});
      if (!inserted) {
        const Seen& first = it->second;
        if (first.makeup != makeup) {
          fail(line_of(item), key,
               format_date(*d) + " 既列为假日又列为调休上班日（另见第" +
                   std::to_string(first.line) + "行 " + first.key + "）。");
        } else {
          fail(line_of(item), key,
               format_date(*d) + " 重复出现（第" + std::to_string(first.line) + "行 " + first.key +
                   " 已列出）。");
        }
        continue;
      }
      dates.push_back(*d);
    }
    return dates;
  }

  // Checks that need every date first.
  void cross_check() {
    for (const auto& [d, seen] : seen_) {
      if (seen.makeup && !is_weekend(d)) {
        fail(seen.line, seen.key,
             "调休上班日 " + format_date(d) + " 是" + weekday_name(d) +
                 "；调休上班日只能是星期六或星期日（平日本来就上班）。");
      }
    }
  }

  fs::path file_;
  int year_ = 0;
  std::map<Date, Seen> seen_;
  std::vector<CalendarFileError> errors_;
};

}  // namespace

std::string CalendarFileError::to_string() const {
  std::string s = file.string();
  if (line > 0) s += " 第" + std::to_string(line) + "行";
  if (!key.empty()) s += "（" + key + "）";
  s += "：" + message;
  return s;
}

CalendarYearLoad load_calendar_file(const std::filesystem::path& file) {
  return FileChecker(file).run();
}

CalendarLoad load_calendar_dir(const std::filesystem::path& dir) {
  CalendarLoad out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    out.errors.push_back(CalendarFileError{
        dir, 0, "", "节假日安排目录不存在或无法访问（应包含 2025.toml 这样每年一个的文件）。"});
    return out;
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".toml" && it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) {
    out.errors.push_back(CalendarFileError{dir, 0, "", "无法读取节假日安排目录：" + ec.message()});
    return out;
  }
  if (files.empty()) {
    out.errors.push_back(CalendarFileError{
        dir, 0, "", "目录中没有任何节假日安排文件（每年一个，例如 2025.toml）。"});
    return out;
  }
  std::sort(files.begin(), files.end());

  std::vector<CalendarYear> years;
  for (const auto& f : files) {
    auto loaded = load_calendar_file(f);
    if (loaded.year) {
      years.push_back(std::move(*loaded.year));
    } else {
      out.errors.insert(out.errors.end(), std::make_move_iterator(loaded.errors.begin()),
                        std::make_move_iterator(loaded.errors.end()));
    }
  }
  out.files = files;
  if (!out.errors.empty()) return out;

  auto built = WorkingDayCalendar::build(std::move(years));
  if (!built) {
    out.errors.push_back(CalendarFileError{dir, 0, "", built.error().message});
    return out;
  }
  out.calendar = std::move(built).value();
  return out;
}

}  // namespace fangfan
