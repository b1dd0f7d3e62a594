// What text from outside (an API body, an import row, a department feed) may hold before it
// becomes part of a case, and the shape of household and village codes. One set of rules for
// every way in, so two codes or names that look alike cannot be two different strings.
//
// Text: well-formed UTF-8 (utf8.h) with no control character (C0, DEL, C1) and no invisible
// format character (Unicode category Cf: U+00AD, U+200B..U+200F, U+202A..U+202E,
// U+2060..U+206F, U+FEFF, ...; and U+2028/U+2029). Free text (findings, reasons, descriptions)
// may hold line feeds (U+000A) — a clerk writes paragraphs — but no other control character
// (a CR LF pair is turned into LF when the text is normalised, see adapters/text/). Single-line
// text (names, codes, ID numbers, phones) holds no line feed either. Normalisation to Unicode
// NFC needs Unicode data and is done at the boundary (adapters/text/), before these checks.
//
// Codes: a village code is digits only; a household code (户编号) is digits only, begins with
// its village's code and has at most kMaxHouseholdCodeLength digits (the program's codes are
// the 12-digit village code and a sequence number; a household that moves keeps its code, so
// the prefix is checked when a case is opened: case_payload.cpp). Whether the village is configured
// is the household context's question (case_guards.h), not this file's.
// Errors are Problems (refusal_codes.h) naming the field; sentences never echo the text refused,
// only the position and U+ number of the refused character.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "workflows/refusal_codes.h"

namespace fangfan {

inline constexpr std::size_t kMaxHouseholdCodeLength = 32;
inline constexpr std::size_t kMaxVillageCodeLength = 20;

enum class TextShape {
  kLine,      // names, codes, ID numbers: no control character at all
  kFreeText,  // findings, reasons: line feeds allowed
};

// The first character `text` may not hold: its position (1-based, in characters) and code point;
// `code_point` is std::nullopt when the text is not well-formed UTF-8 there.
struct TextFault {
  std::size_t position = 0;
  std::optional<char32_t> code_point;
  bool operator==(const TextFault&) const = default;
};

// True for a code point no text may hold whatever its shape (controls except LF, Cf, U+2028/9).
// LF is refused only in single-line text.
bool is_refused_code_point(char32_t c, TextShape shape);

// The shape of the field at `path` ("household.members[0].name"): single-line for names, codes,
// ID numbers, phones and the actor (the last part of the path ends in "name", "code",
// "id_number" or "phone", or is "actor"); free text otherwise.
TextShape shape_of_field(std::string_view path);

// The first refused character of `text`, or std::nullopt when it may be kept.
std::optional<TextFault> text_fault(std::string_view text, TextShape shape);

// A sentence describing `fault`, e.g. "第3个字符是不可见字符 U+200B (invisible character U+200B
// at position 3)".
std::string describe_text_fault(const TextFault& fault);

// The refusal (refusal::kTextCharacterRefused) for `text` in `field` ("household.members[0].
// name"), labelled for the clerk with `label` ("姓名"), or std::nullopt.
std::optional<Problem> text_problem(std::string_view text, TextShape shape, std::string field,
                                    std::string_view label);

// The refusal (refusal::kVillageCodeInvalid) of a village code that is not digits only or is
// longer than kMaxVillageCodeLength; std::nullopt for an empty one (missing is its own refusal).
std::optional<Problem> village_code_problem(std::string_view village_code, std::string field);

// The refusal (refusal::kHouseholdCodeInvalid) of a household code that is not digits only, does
// not begin with `village_code` (when that is itself valid) or is longer than
// kMaxHouseholdCodeLength; std::nullopt for an empty one.
std::optional<Problem> household_code_problem(std::string_view code, std::string_view village_code,
                                              std::string field);

}  // namespace fangfan
