// Resident ID numbers (居民身份证号码, GB 11643-1999), phone numbers and the
// masking every log line and message uses for them.
//
// An ID number is 18 ASCII characters: a 6-digit area code whose first two
// digits name a province-level region, the birth date YYYYMMDD, a 3-digit
// sequence (odd = male, even = female) and a check character computed with
// ISO 7064 MOD 11-2 over the first 17 digits ('X' stands for 10).
//
// Lowercase 'x' policy: the stored form of an ID number always ends in an
// uppercase 'X', so equality between records is plain string equality.
// id_number_problem() therefore refuses a lowercase 'x' (with a sentence saying
// so); importers that accept human input call normalize_id_number() first,
// which trims surrounding spaces and upper-cases a final 'x'.
//
// Masking: ID numbers and phone numbers never appear unmasked in logs or
// messages. mask_* functions never return more of the input than documented,
// whatever the input looks like.
//
// Thread-safety: all functions are pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "workflows/clock.h"

namespace fangfan {

// Why `id` is not a valid ID number of someone born on or before `today`, as a
// sentence beginning with "身份证号" (e.g. "身份证号校验位错误：应为X，实际为3");
// std::nullopt when it is valid. The sentence never repeats the number.
std::optional<std::string> id_number_problem(std::string_view id, Date today);

// The check character for the first 17 characters of an ID number.
// REQUIRES: first17 is exactly 17 ASCII digits.
char id_check_char(std::string_view first17);

// Birth date and sex read from an ID number.
// REQUIRES: !id_number_problem(id, today) for some today.
Date id_birth_date(std::string_view id);
bool id_is_male(std::string_view id);

// Trims ASCII spaces and tabs and upper-cases a final 'x'. Does not validate.
std::string normalize_id_number(std::string_view id);

// "11010519491231002X" -> "110105********002X". Anything that is not 11..18
// ASCII characters is masked completely.
std::string mask_id_number(std::string_view id);

// "13812345678" -> "138****5678". Anything shorter than 8 characters or not
// ASCII is masked completely.
std::string mask_phone(std::string_view phone);

// "张三" -> "张*", "欧阳娜娜" -> "欧***": the first character (UTF-8) and one '*'
// per further character. A one-character name becomes "*".
std::string mask_name(std::string_view name);

// Mainland mobile number: 11 digits, "1" then 3..9 (e.g. 13812345678).
bool is_mainland_mobile(std::string_view phone);

// Mainland fixed-line number with its area code: "0" + 2..3 digits, an
// optional '-', then 7..8 digits (e.g. 0598-3851238, 05393851238).
bool is_fixed_line_phone(std::string_view phone);

}  // namespace fangfan
