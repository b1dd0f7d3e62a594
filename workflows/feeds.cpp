// Feed rows and rules (workflows/feeds.h): header mapping, checking one row, signal rules and
// where a fired rule goes. Schedules and duties: feed_schedule.cpp.
#include "workflows/feeds.h"

#include <algorithm>
#include <charconv>

#include "workflows/id_number.h"

namespace fangfan {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// ASCII spaces, tabs, CR/LF and the full-width space (U+3000, E3 80 80) departments' exports
// leave around cells. Byte tests, no library calls: this runs for every cell.
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  for (;;) {
    if (!s.empty() && is_blank(s.front())) {
      s.remove_prefix(1);
    } else if (s.size() >= 3 && s[0] == '\xE3' && s[1] == '\x80' && s[2] == '\x80') {
      s.remove_prefix(3);
    } else {
      break;
    }
  }
  for (;;) {
    const std::size_t n = s.size();
    if (n > 0 && is_blank(s.back())) {
      s.remove_suffix(1);
    } else if (n >= 3 && s[n - 1] == '\x80' && s[n - 2] == '\x80' && s[n - 3] == '\xE3') {
      s.remove_suffix(3);
    } else {
      break;
    }
  }
  return s;
}

// Reads up to `max` digits at `i`; false when there are none.
bool read_number(std::string_view t, std::size_t& i, std::size_t max, int& out) {
  const std::size_t start = i;
  out = 0;
  while (i < t.size() && i - start < max && is_digit(t[i])) out = out * 10 + (t[i++] - '0');
  return i > start;
}

std::optional<Date> make_date(int y, int m, int d) {
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || y < 1900) return std::nullopt;
  return Date{ymd};
}

// "YYYY-MM-DD" into `out` without a temporary.
void write_date(Date d, std::string& out) {
  const std::chrono::year_month_day ymd{d};
  const int y = int(ymd.year());
  const unsigned m = unsigned(ymd.month()), day = unsigned(ymd.day());
  out.resize(10);
  out[0] = char('0' + y / 1000);
  out[1] = char('0' + y / 100 % 10);
  out[2] = char('0' + y / 10 % 10);
  out[3] = char('0' + y % 10);
  out[4] = '-';
  out[5] = char('0' + m / 10);
  out[6] = char('0' + m % 10);
  out[7] = '-';
  out[8] = char('0' + day / 10);
  out[9] = char('0' + day % 10);
}

// Writes the canonical amount of `t` into `out`; false when `t` is not an amount.
bool write_amount(std::string_view t, std::string& out) {
  t = trim(t);
  constexpr std::string_view kYuan = "元";
  if (!t.empty() && t.back() == kYuan.back() && ends_with(t, kYuan)) {
    t = trim(t.substr(0, t.size() - kYuan.size()));
  }
  bool negative = false;
  if (!t.empty() && (t.front() == '-' || t.front() == '+')) {
    negative = t.front() == '-';
    t.remove_prefix(1);
  }
  const std::size_t dot = t.find('.');
  std::string_view whole = t.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty()) || fraction.size() > 2) {
    return false;
  }
  // Digits, with ',' only between digits of the whole part.
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (is_digit(whole[i])) continue;
    if (whole[i] != ',' || i == 0 || i + 1 == whole.size() || !is_digit(whole[i + 1])) {
      return false;
    }
  }
  for (char c : fraction) {
    if (!is_digit(c)) return false;
  }
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  out.clear();
  if (negative) out += '-';
  bool leading = true;
  for (char c : whole) {
    if (c == ',' || (leading && c == '0')) continue;
    leading = false;
    out += c;
  }
  if (leading) out += '0';
  if (!fraction.empty()) {
    out += '.';
    out += fraction;
  }
  if (out == "-0") out = "0";
  return true;
}

bool is_code(std::string_view t) {
  for (char c : t) {
    if (!is_digit(c) && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && c != '-') {
      return false;
    }
  }
  return true;
}

// A number Excel made of an ID number: scientific notation ("3.7E+17", "3.70102E+17"), a
// decimal point among digits, or 18 digits whose last three Excel zeroed (its 15 significant
// digits) so that the check digit fails.
bool excel_mangled_id(std::string_view t) {
  bool digits_only = true, exponent = false, point = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (is_digit(c)) continue;
    digits_only = false;
    if ((c == 'E' || c == 'e') && i + 1 < t.size() && t[i + 1] == '+') {
      exponent = true;
      ++i;
    } else if (c == '.') {
      point = true;
    } else {
      return false;
    }
  }
  if (exponent || (point && !digits_only)) return true;
  return t.size() == 18 && digits_only && ends_with(t, "000") &&
         id_check_char(t.substr(0, 17)) != t[17];
}

template <typename Cell>
bool check_row(std::int64_t line, std::size_t cell_count, Cell cell, const FeedColumns& columns,
               Date today, const std::function<bool(std::string_view)>& known_village,
               FeedRecord& out, FeedCellProblem& problem) {
  out.line = line;
  out.values.resize(columns.fields.size());
  auto bad = [&](std::size_t i, std::string_view reason) {
    problem.field = columns.fields[i];
    problem.header = columns.headers[i];
    problem.reason.assign(reason);
    return false;
  };
  for (std::size_t i = 0; i < columns.fields.size(); ++i) {
    const std::size_t at = static_cast<std::size_t>(columns.index[i]);
    const std::string_view raw = at < cell_count ? trim(cell(at)) : std::string_view();
    std::string& value = out.values[i];
    switch (columns.kinds[i]) {
      case FeedFieldKind::kIdNumber: {
        if (raw.empty()) return bad(i, "身份证号未填写 (the ID number is empty)");
        if (excel_mangled_id(raw)) {
          return bad(i,
                     "身份证号被Excel转成了数字，末几位已丢失；请把身份证号列设为文本后重新导出 "
                     "(Excel turned the ID number into a number and lost its last digits; set "
                     "the column to text and export again)");
        }
        value.assign(raw);
        if (value.back() == 'x') value.back() = 'X';
        if (auto why = id_number_problem(value, today)) {
          return bad(i, *why + " (not a valid ID number)");
        }
        break;
      }
      case FeedFieldKind::kVillageCode:
        value.assign(raw);
        if (raw.empty()) break;
        if (raw.size() != 12 || !std::all_of(raw.begin(), raw.end(), is_digit)) {
          return bad(i, "村编码应为12位数字 (a village code has 12 digits)");
        }
        if (!known_village(raw)) {
          return bad(i, "村编码不在本县的配置中 (the village code is not in the configuration)");
        }
        break;
      case FeedFieldKind::kDate: {
        if (raw.empty()) {
          value.clear();
          break;
        }
        const std::optional<Date> d = parse_feed_date(raw);
        if (!d) {
          return bad(i,
                     "“" + columns.headers[i] +
                         "”不是有效日期，请写作 YYYY-MM-DD (not a valid date; write YYYY-MM-DD)");
        }
        write_date(*d, value);
        break;
      }
      case FeedFieldKind::kAmount:
        if (raw.empty()) {
          value.clear();
        } else if (!write_amount(raw, value)) {
          return bad(i, "“" + columns.headers[i] +
                            "”不是有效金额，应为数字，最多两位小数 (not an amount in yuan: "
                            "digits with at most two decimals)");
        }
        break;
      case FeedFieldKind::kCode:
        if (!is_code(raw)) {
          return bad(i, "“" + columns.headers[i] +
                            "”只能含字母、数字和“-” (a code holds letters, digits and '-' only)");
        }
        value.assign(raw);
        break;
      case FeedFieldKind::kText:
        value.assign(raw);
        break;
    }
  }
  return true;
}

// The amount in a normalized cell; nullopt when empty or not a number.
std::optional<double> amount_of(const std::string& value) {
  if (value.empty()) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc{} || p != value.data() + value.size()) return std::nullopt;
  return v;
}

bool holds(const CompiledFeedRules::Condition& c, const FeedRecord& r,
           std::optional<double> income) {
  if (c.column < 0 || static_cast<std::size_t>(c.column) >= r.values.size()) return false;
  const std::string& value = r.values[static_cast<std::size_t>(c.column)];
  const FeedCondition& f = *c.condition;
  if (!f.one_of.empty()) {
    return std::find(f.one_of.begin(), f.one_of.end(), value) != f.one_of.end();
  }
  const std::optional<double> amount = amount_of(value);
  if (!amount) return false;
  if (f.at_least) return *amount >= *f.at_least;
  if (f.share_of_income_at_least) {
    return income.has_value() && *amount >= *f.share_of_income_at_least * *income;
  }
  return false;
}

}  // namespace

FeedFieldKind feed_field_kind(std::string_view field) {
  if (field == "id_number") return FeedFieldKind::kIdNumber;
  if (field == "village_code") return FeedFieldKind::kVillageCode;
  if (field == "date" || ends_with(field, "_date")) return FeedFieldKind::kDate;
  if (field == "amount" || ends_with(field, "_amount")) return FeedFieldKind::kAmount;
  if (ends_with(field, "_code")) return FeedFieldKind::kCode;
  return FeedFieldKind::kText;
}

int FeedColumns::field_index(std::string_view field) const {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] == field) return static_cast<int>(i);
  }
  return -1;
}

std::variant<FeedColumns, std::string> map_feed_header(const std::vector<std::string>& header,
                                                       const FeedSource& source) {
  std::vector<std::string_view> names;
  names.reserve(header.size());
  for (const std::string& h : header) {
    std::string_view n = h;
    if (names.empty() && n.substr(0, kBom.size()) == kBom) n.remove_prefix(kBom.size());
    names.push_back(trim(n));
  }
  FeedColumns c;
  auto add = [&](const std::string& field,
                 const std::string& wanted) -> std::optional<std::string> {
    int found = -1;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] != wanted) continue;
      if (found >= 0) {
        return "文件表头中“" + wanted + "”出现了两次，无法确定" + field + "取哪一列 (feed " +
               source.name + ": the header '" + wanted + "' of field " + field + " appears twice)";
      }
      found = static_cast<int>(i);
    }
    if (found < 0) {
      return "文件表头缺少“" + wanted + "”列 (feed " + source.name + ": no column '" + wanted +
             "' for field " + field + ")";
    }
    c.fields.push_back(field);
    c.headers.push_back(wanted);
    c.index.push_back(found);
    c.kinds.push_back(feed_field_kind(field));
    return std::nullopt;
  };
  auto id = source.columns.find("id_number");
  if (id == source.columns.end()) {
    return "供数配置没有身份证号列 (feed " + source.name + " maps no id_number column)";
  }
  if (auto e = add(id->first, id->second)) return *e;
  for (const auto& [field, wanted] : source.columns) {
    if (field == "id_number") continue;
    if (auto e = add(field, wanted)) return *e;
  }
  return c;
}

bool check_feed_row(std::int64_t line, std::span<const std::string_view> cells,
                    const FeedColumns& columns, Date today,
                    const std::function<bool(std::string_view)>& known_village, FeedRecord& out,
                    FeedCellProblem& problem) {
  return check_row(
      line, cells.size(), [&](std::size_t i) { return cells[i]; }, columns, today, known_village,
      out, problem);
}

bool check_feed_row(std::int64_t line, const std::vector<std::string>& cells,
                    const FeedColumns& columns, Date today,
                    const std::function<bool(std::string_view)>& known_village, FeedRecord& out,
                    FeedCellProblem& problem) {
  return check_row(
      line, cells.size(), [&](std::size_t i) { return std::string_view(cells[i]); }, columns, today,
      known_village, out, problem);
}

std::variant<FeedRecord, FeedCellProblem> validate_feed_row(
    std::int64_t line, const std::vector<std::string>& cells, const FeedColumns& columns,
    Date today, const std::function<bool(std::string_view)>& known_village) {
  FeedRecord r;
  FeedCellProblem p;
  if (check_feed_row(line, cells, columns, today, known_village, r, p)) return r;
  return p;
}

std::optional<Date> parse_feed_date(std::string_view text) {
  std::string_view t = trim(text);
  // A time after the date ("2025-03-03 09:30:00", "2025-03-03T09:30") is dropped.
  for (std::size_t k = 8; k < t.size(); ++k) {
    if (t[k] == ' ' || t[k] == 'T') {
      t = t.substr(0, k);
      break;
    }
  }
  const bool digits = !t.empty() && std::all_of(t.begin(), t.end(), is_digit);
  int y = 0, m = 0, d = 0;
  std::size_t i = 0;
  if (t.size() == 8 && digits) {
    read_number(t, i, 4, y);
    read_number(t, i, 2, m);
    read_number(t, i, 2, d);
    return make_date(y, m, d);
  }
  // An Excel serial day number (days since 1899-12-30, Excel's own epoch); five or six digits so
  // that a bare year ("2025") is never read as one.
  const std::string_view whole =
      t.size() >= 5 && is_digit(t[4]) ? t.substr(0, t.find('.')) : std::string_view();
  if (whole.size() >= 5 && whole.size() <= 6 && std::all_of(whole.begin(), whole.end(), is_digit) &&
      (whole.size() == t.size() ||
       (t.size() > whole.size() + 1 &&
        std::all_of(t.begin() + whole.size() + 1, t.end(), is_digit)))) {
    int serial = 0;
    std::from_chars(whole.data(), whole.data() + whole.size(), serial);
    const Date day =
        Date{std::chrono::year{1899} / std::chrono::December / 30} + std::chrono::days{serial};
    if (serial > 2958465) return std::nullopt;  // after 9999-12-31
    return day;
  }
  if (!read_number(t, i, 4, y) || i != 4) return std::nullopt;
  auto separator = [&](std::string_view cn) {
    if (i < t.size() && (t[i] == '-' || t[i] == '/' || t[i] == '.')) {
      ++i;
      return true;
    }
    if (t.substr(i, cn.size()) == cn) {
      i += cn.size();
      return true;
    }
    return false;
  };
  if (!separator("年") || !read_number(t, i, 2, m) || !separator("月") ||
      !read_number(t, i, 2, d)) {
    return std::nullopt;
  }
  if (t.substr(i) == "日") i = t.size();
  if (i != t.size()) return std::nullopt;
  return make_date(y, m, d);
}

std::optional<std::string> canonical_amount(std::string_view text) {
  std::string out;
  if (!write_amount(text, out)) return std::nullopt;
  return out;
}

std::string feed_row_key(const FeedRecord& r, const FeedColumns& c, const FeedSource& s) {
  // A department answers with one row per person and measure (低保 and 临时救助 are two rows).
  static const std::vector<std::string> kFeedbackKey = {"measure_type", "measure", "start_date"};
  const bool feedback = !s.answers_list.empty() && s.key_fields.empty();
  std::string key = r.values.empty() ? std::string() : r.values.front();  // id_number is first
  for (const std::string& field : feedback ? kFeedbackKey : s.key_fields) {
    key += '\x1f';
    const int i = c.field_index(field);
    if (i >= 0) key += r.values[static_cast<std::size_t>(i)];
  }
  return key;
}

CompiledFeedRules compile_feed_rules(const FeedSource& source, const FeedColumns& columns) {
  CompiledFeedRules out;
  for (const FeedRule& rule : source.rules) {
    CompiledFeedRules::Rule r;
    r.rule = &rule;
    for (const FeedCondition& c : rule.conditions) {
      r.conditions.push_back({columns.field_index(c.field), &c});
    }
    out.rules.push_back(std::move(r));
  }
  return out;
}

void fired_rules(const CompiledFeedRules& rules, const FeedRecord& record,
                 std::optional<double> household_income, std::vector<const FeedRule*>& out) {
  out.clear();
  for (const CompiledFeedRules::Rule& r : rules.rules) {
    bool all = !r.conditions.empty();
    for (const auto& c : r.conditions) {
      if (!holds(c, record, household_income)) {
        all = false;
        break;
      }
    }
    if (all) out.push_back(r.rule);
  }
}

std::vector<const FeedRule*> fired_rules(const FeedSource& source, const FeedColumns& columns,
                                         const FeedRecord& record,
                                         std::optional<double> household_income) {
  std::vector<const FeedRule*> out;
  fired_rules(compile_feed_rules(source, columns), record, household_income, out);
  return out;
}

AlertDecision decide_alert(const FeedSource& source, const FeedRule& rule,
                           const FeedColumns& columns, const FeedRecord& record,
                           std::string_view period, const std::optional<MemberMatch>& member,
                           const std::function<std::string(std::string_view)>& township_of,
                           std::string_view county_code) {
  AlertDecision d;
  d.feed = source.name;
  d.department = source.department;
  d.period = std::string(period);
  d.rule = rule.name;
  d.rule_label = rule.label;
  d.exclusion = rule.exclusion;
  auto value = [&](std::string_view field) -> std::string {
    const int i = columns.field_index(field);
    return i >= 0 && static_cast<std::size_t>(i) < record.values.size()
               ? record.values[static_cast<std::size_t>(i)]
               : std::string();
  };
  d.id_number = value("id_number");
  d.name = value("name");
  if (d.name.empty() && member) d.name = member->name;
  for (std::size_t i = 0; i < columns.fields.size() && i < record.values.size(); ++i) {
    if (columns.kinds[i] == FeedFieldKind::kIdNumber) continue;
    d.detail.emplace_back(columns.fields[i], record.values[i]);
  }

  if (member && member->case_id) {
    d.route = CaseEvidence{*member->case_id,
                           !rule.exclusion.empty() && member->case_state == kStepCountyReview};
  } else {
    NewAlert a;
    const std::string row_village = value("village_code");
    std::string township = row_village.empty() ? std::string() : township_of(row_village);
    if (!township.empty()) {
      a.township_code = std::move(township);
      a.village_code = row_village;
    } else if (member && !member->township_code.empty()) {
      a.township_code = member->township_code;
      a.village_code = member->village_code;
    } else {
      a.township_code = std::string(county_code);
      a.placed = false;
    }
    d.route = std::move(a);
  }

  // "行业部门预警（civil_affairs 2025-05）：张*，新纳入低保（救助类别：低保）".
  std::string facts;
  for (const FeedCondition& c : rule.conditions) {
    const int i = columns.field_index(c.field);
    if (i < 0 || columns.kinds[static_cast<std::size_t>(i)] == FeedFieldKind::kIdNumber) continue;
    if (!facts.empty()) facts += "，";
    facts += columns.headers[static_cast<std::size_t>(i)] + "：" + value(c.field);
  }
  const std::string& department =
      source.department_name.empty() ? source.department : source.department_name;
  d.summary = "行业部门预警（" + department + " " + d.period + "）：" +
              (d.name.empty() ? std::string("（无姓名）") : mask_name(d.name)) + "，" +
              (rule.label.empty() ? rule.name : rule.label);
  if (!facts.empty()) d.summary += "（" + facts + "）";
  if (!rule.exclusion.empty()) {
    d.summary += "；比对结果涉及排除条件" + rule.exclusion +
                 "，须县级核定，不自动适用 (a cross-check hit on exclusion " + rule.exclusion +
                 ": for the county office to decide)";
  }
  return d;
}

}  // namespace fangfan
