#include "workflows/id_number.h"

#include <array>
#include <cstdio>

#include "workflows/date.h"

namespace fangfan {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return !s.empty();
}

bool all_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

int digits_value(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Province-level codes of GB/T 2260 (the first two digits of an area code),
// plus 83 used on residence permits of Taiwan residents.
bool is_province_code(int code) {
  static constexpr std::array<int, 35> kCodes{11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                              35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                              53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};
  for (int c : kCodes) {
    if (c == code) return true;
  }
  return false;
}

std::string position_sentence(size_t pos, const char* what) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "身份证号第%zu位%s", pos + 1, what);
  return buf;
}

}  // namespace

char id_check_char(std::string_view first17) {
  static constexpr std::array<int, 17> kWeights{7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                3, 7, 9,  10, 5, 8, 4, 2};
  static constexpr std::string_view kChars = "10X98765432";
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return kChars[sum % 11];
}

std::optional<std::string> id_number_problem(std::string_view id, Date today) {
  if (id.empty()) return "身份证号未填写";
  if (!all_ascii(id)) return "身份证号含有全角或中文字符，应为18位半角数字（末位可为X）";
  if (id.size() != 18) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "身份证号应为18位，实际为%zu位", id.size());
    return buf;
  }
  for (size_t i = 0; i < 17; ++i) {
    if (!is_digit(id[i])) return position_sentence(i, "不是数字");
  }
  const char last = id[17];
  if (last == 'x') return "身份证号末位应为大写X，实际为小写x";
  if (!is_digit(last) && last != 'X') return "身份证号第18位应为数字或大写X";

  const int province = digits_value(id.substr(0, 2));
  if (!is_province_code(province)) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "身份证号前两位“%02d”不是有效的省级行政区划代码", province);
    return buf;
  }

  const int year = digits_value(id.substr(6, 4));
  const int month = digits_value(id.substr(10, 2));
  const int day = digits_value(id.substr(12, 2));
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return "身份证号第7至14位的出生日期不是有效日期";
  if (year < 1900) return "身份证号中的出生年份早于1900年";
  if (Date{ymd} > today) {
    return "身份证号中的出生日期晚于今天（" + format_date(today) + "）";
  }

  const char expected = id_check_char(id.substr(0, 17));
  if (expected != last) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "身份证号校验位错误：应为%c，实际为%c", expected, last);
    return buf;
  }
  return std::nullopt;
}

Date id_birth_date(std::string_view id) {
  const std::chrono::year_month_day ymd{
      std::chrono::year{digits_value(id.substr(6, 4))},
      std::chrono::month{static_cast<unsigned>(digits_value(id.substr(10, 2)))},
      std::chrono::day{static_cast<unsigned>(digits_value(id.substr(12, 2)))}};
  return Date{ymd};
}

bool id_is_male(std::string_view id) { return (id[16] - '0') % 2 == 1; }

std::string normalize_id_number(std::string_view id) {
  while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.remove_prefix(1);
  while (!id.empty() && (id.back() == ' ' || id.back() == '\t')) id.remove_suffix(1);
  std::string out{id};
  if (!out.empty() && out.back() == 'x') out.back() = 'X';
  return out;
}

std::string mask_id_number(std::string_view id) {
  if (id.size() < 11 || id.size() > 18 || !all_ascii(id)) {
    return std::string(id.empty() ? 0 : 18, '*');
  }
  std::string out{id.substr(0, 6)};
  out.append(id.size() - 10, '*');
  out.append(id.substr(id.size() - 4));
  return out;
}

std::string mask_phone(std::string_view phone) {
  if (phone.size() < 8 || !all_ascii(phone)) return std::string(phone.empty() ? 0 : 11, '*');
  std::string out{phone.substr(0, 3)};
  out.append(phone.size() - 7, '*');
  out.append(phone.substr(phone.size() - 4));
  return out;
}

std::string mask_name(std::string_view name) {
  if (name.empty()) return {};
  // Length of the first UTF-8 sequence; a malformed lead byte counts as one.
  const unsigned char lead = static_cast<unsigned char>(name[0]);
  size_t first = 1;
  if (lead >= 0xF0) {
    first = 4;
  } else if (lead >= 0xE0) {
    first = 3;
  } else if (lead >= 0xC0) {
    first = 2;
  }
  if (first > name.size()) first = name.size();
  size_t rest = 0;
  for (size_t i = first; i < name.size(); ++i) {
    // Count every byte that is not a UTF-8 continuation byte.
    if ((static_cast<unsigned char>(name[i]) & 0xC0) != 0x80) ++rest;
  }
  if (rest == 0) return "*";
  return std::string{name.substr(0, first)} + std::string(rest, '*');
}

bool is_mainland_mobile(std::string_view phone) {
  return phone.size() == 11 && all_digits(phone) && phone[0] == '1' && phone[1] >= '3';
}

bool is_fixed_line_phone(std::string_view phone) {
  if (phone.size() < 10 || phone[0] != '0') return false;
  for (size_t area = 3; area <= 4; ++area) {
    if (phone.size() <= area || !all_digits(phone.substr(0, area))) continue;
    std::string_view local = phone.substr(area);
    if (!local.empty() && local.front() == '-') local.remove_prefix(1);
    if ((local.size() == 7 || local.size() == 8) && all_digits(local) && local[0] != '0') {
      return true;
    }
  }
  return false;
}

}  // namespace fangfan
