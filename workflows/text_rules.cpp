#include "workflows/text_rules.h"

#include <algorithm>
#include <cstdio>

#include "workflows/utf8.h"

namespace fangfan {
namespace {

struct Range {
  char32_t first, last;
};

// Unicode 15 general category Cf (format characters: zero-width, bidirectional controls, word
// joiners, BOM, interlinear annotations, tags), the line and paragraph separators, and the
// Hangul fillers, which render as nothing. Each of these lets two strings that look the same
// differ, or reorders what a clerk sees.
constexpr Range kInvisible[] = {
    {0x00ad, 0x00ad},   {0x0600, 0x0605},   {0x061c, 0x061c},   {0x06dd, 0x06dd},
    {0x070f, 0x070f},   {0x0890, 0x0891},   {0x08e2, 0x08e2},   {0x115f, 0x1160},
    {0x180e, 0x180e},   {0x200b, 0x200f},   {0x2028, 0x202e},   {0x2060, 0x206f},
    {0x3164, 0x3164},   {0xfeff, 0xfeff},   {0xffa0, 0xffa0},   {0xfff9, 0xfffb},
    {0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f}, {0x1bca0, 0x1bca3},
    {0x1d173, 0x1d17a}, {0xe0001, 0xe0001}, {0xe0020, 0xe007f},
};

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7f && c <= 0x9f); }

bool is_invisible(char32_t c) {
  return std::any_of(std::begin(kInvisible), std::end(kInvisible),
                     [c](const Range& r) { return c >= r.first && c <= r.last; });
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string hex(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

}  // namespace

bool is_refused_code_point(char32_t c, TextShape shape) {
  if (c == U'\n') return shape == TextShape::kLine;
  return is_control(c) || is_invisible(c);
}

TextShape shape_of_field(std::string_view path) {
  std::string_view last = path.substr(
      path.find_last_of('.') == std::string_view::npos ? 0 : path.find_last_of('.') + 1);
  last = last.substr(0, last.find('['));
  for (std::string_view end : {"name", "code", "id_number", "phone"}) {
    if (last.ends_with(end)) return TextShape::kLine;
  }
  return last == "actor" ? TextShape::kLine : TextShape::kFreeText;
}

std::optional<TextFault> text_fault(std::string_view text, TextShape shape) {
  std::size_t position = 1;
  for (std::size_t i = 0; i < text.size(); ++position) {
    const auto decoded = decode_utf8_at(text, i);
    if (!decoded) return TextFault{position, std::nullopt};
    if (is_refused_code_point(decoded->code_point, shape)) {
      return TextFault{position, decoded->code_point};
    }
    i += decoded->length;
  }
  return std::nullopt;
}

std::string describe_text_fault(const TextFault& fault) {
  const std::string at = std::to_string(fault.position);
  if (!fault.code_point) {
    return "第" + at + "个字符不是有效的 UTF-8 编码 (invalid UTF-8 at character " + at + ")";
  }
  const char32_t c = *fault.code_point;
  const std::string u = hex(c);
  if (c == U'\n') return "第" + at + "个字符是换行 (line break at character " + at + ")";
  if (is_control(c)) {
    return "第" + at + "个字符是控制字符 " + u + " (control character " + u + " at character " +
           at + ")";
  }
  return "第" + at + "个字符是不可见字符 " + u + " (invisible character " + u + " at character " +
         at + ")";
}

std::optional<Problem> text_problem(std::string_view text, TextShape shape, std::string field,
                                    std::string_view label) {
  const auto fault = text_fault(text, shape);
  if (!fault) return std::nullopt;
  const std::string sentence =
      std::string(label) + "含有不允许的字符：" + describe_text_fault(*fault);
  return problem(refusal::kTextCharacterRefused, std::move(field), sentence);
}

std::optional<Problem> village_code_problem(std::string_view village_code, std::string field) {
  if (village_code.empty()) return std::nullopt;
  if (all_digits(village_code) && village_code.size() <= kMaxVillageCodeLength) return std::nullopt;
  return problem(refusal::kVillageCodeInvalid, std::move(field),
                 "所属村代码只能由数字组成，最多" + std::to_string(kMaxVillageCodeLength) +
                     "位 (a village code is digits only, at most " +
                     std::to_string(kMaxVillageCodeLength) + " of them)");
}

std::optional<Problem> household_code_problem(std::string_view code, std::string_view village_code,
                                              std::string field) {
  if (code.empty()) return std::nullopt;
  const std::string max = std::to_string(kMaxHouseholdCodeLength);
  if (!all_digits(code) || code.size() > kMaxHouseholdCodeLength) {
    return problem(refusal::kHouseholdCodeInvalid, std::move(field),
                   "户编号只能由数字组成，最多" + max +
                       "位 (a household code is digits only, at most " + max + " of them)");
  }
  const bool village_valid =
      !village_code.empty() && !village_code_problem(village_code, std::string()).has_value();
  if (village_valid && (code.size() <= village_code.size() || !code.starts_with(village_code))) {
    return problem(refusal::kHouseholdCodeInvalid, std::move(field),
                   "户编号应以所属村代码开头并在其后加上户序号 (a household code begins with its "
                   "village code followed by the household's number)");
  }
  return std::nullopt;
}

}  // namespace fangfan
