// The rules for text and codes from outside (text_rules.h), and the household check that applies
// them: every hostile value of issue 16 is refused with a code naming the field.
#include "workflows/text_rules.h"

#include <gtest/gtest.h>

#include "tests/support/people.h"
#include "workflows/household.h"
#include "workflows/utf8.h"

namespace fangfan {
namespace {

struct FaultCase {
  const char* name;
  std::string text;
  TextShape shape;
  std::optional<TextFault> fault;
};

class TextFaultTable : public ::testing::TestWithParam<FaultCase> {};

TEST_P(TextFaultTable, FindsTheFirstRefusedCharacter) {
  const FaultCase& c = GetParam();
  EXPECT_EQ(text_fault(c.text, c.shape), c.fault);
  if (c.fault) {
    const std::string sentence = describe_text_fault(*c.fault);
    EXPECT_TRUE(is_well_formed_utf8(sentence));
    EXPECT_EQ(sentence.find(c.text), std::string::npos) << "never echoes what it refuses";
  }
}

constexpr auto kLine = TextShape::kLine;
constexpr auto kFree = TextShape::kFreeText;

INSTANTIATE_TEST_SUITE_P(
    Cases, TextFaultTable,
    ::testing::Values(
        FaultCase{"plain_name", "王小明", kLine, std::nullopt},
        FaultCase{"name_with_dot", "阿卜杜拉·买买提", kLine, std::nullopt},
        FaultCase{"emoji", "\xf0\x9f\x98\x80", kLine, std::nullopt},
        FaultCase{"ideographic_variation", "\xe8\xbe\xb6\xf3\xa0\x84\x80", kLine, std::nullopt},
        FaultCase{"nul", std::string("\0", 1), kLine, TextFault{1, U'\0'}},
        FaultCase{"crlf_in_code", "3799010010019\r\n", kLine, TextFault{14, U'\r'}},
        FaultCase{"lf_in_name", "王\n明", kLine, TextFault{2, U'\n'}},
        FaultCase{"lf_in_findings", "第一段\n第二段", kFree, std::nullopt},
        FaultCase{"cr_in_findings", "第一段\r\n第二段", kFree, TextFault{4, U'\r'}},
        FaultCase{"tab", "a\tb", kFree, TextFault{2, U'\t'}},
        FaultCase{"del", "a\x7f", kLine, TextFault{2, U'\x7f'}},
        FaultCase{"c1", "a\xc2\x85", kFree, TextFault{2, U'\x85'}},
        FaultCase{"zero_width_space", "\xe2\x80\x8b", kLine, TextFault{1, U'\u200b'}},
        FaultCase{"zero_width_joiner", "王\xe2\x80\x8d明", kLine, TextFault{2, U'\u200d'}},
        FaultCase{"right_to_left_override",
                  "37\xe2\x80\xae"
                  "99",
                  kLine, TextFault{3, U'\u202e'}},
        FaultCase{"word_joiner", "\xe2\x81\xa0", kFree, TextFault{1, U'\u2060'}},
        FaultCase{"bom", "\xef\xbb\xbf王", kLine, TextFault{1, U'\ufeff'}},
        FaultCase{"soft_hyphen", "a\xc2\xad", kLine, TextFault{2, U'\u00ad'}},
        FaultCase{"line_separator", "a\xe2\x80\xa8", kFree, TextFault{2, U'\u2028'}},
        FaultCase{"hangul_filler", "\xe3\x85\xa4", kLine, TextFault{1, U'\u3164'}},
        FaultCase{"tag_character", "a\xf3\xa0\x80\x81", kLine, TextFault{2, U'\U000e0001'}},
        FaultCase{"invalid_utf8", "王\xff", kLine, TextFault{2, std::nullopt}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(TextRules, FieldShapesFollowTheFieldName) {
  EXPECT_EQ(shape_of_field("household.members[2].name"), kLine);
  EXPECT_EQ(shape_of_field("household.code"), kLine);
  EXPECT_EQ(shape_of_field("household.village_code"), kLine);
  EXPECT_EQ(shape_of_field("household.members[0].id_number"), kLine);
  EXPECT_EQ(shape_of_field("member_name"), kLine);
  EXPECT_EQ(shape_of_field("meta.actor"), kLine);
  EXPECT_EQ(shape_of_field("meta.reason"), kFree);
  EXPECT_EQ(shape_of_field("findings"), kFree);
  EXPECT_EQ(shape_of_field("accounts[1].month"), kFree);
}

struct CodeCase {
  const char* name;
  std::string code;
  std::string village;
  std::string refusal;  // empty: accepted
  std::string field;
};

class HouseholdCodeTable : public ::testing::TestWithParam<CodeCase> {};

// The household check refuses each code with the machine code and the field of the code.
TEST_P(HouseholdCodeTable, RefusesCodesNotOfTheProgramsShape) {
  const CodeCase& c = GetParam();
  testing::PeopleGenerator people(16);
  Household h = people.household("379901001001001", "379901001001", 2);
  h.code = c.code;
  h.village_code = c.village;
  // What an opening checks (case_payload.cpp): the household, then the code's village prefix.
  auto problems = household_field_problems(h, Date{std::chrono::year{2026} / 3 / 1});
  if (problems.empty()) {
    if (auto p = household_code_problem(h.code, h.village_code, "household.code")) {
      problems.push_back(*p);
    }
  }
  if (c.refusal.empty()) {
    EXPECT_TRUE(problems.empty()) << problems.front().sentence;
    return;
  }
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems.front().code, c.refusal);
  EXPECT_EQ(problems.front().field, c.field);
  EXPECT_TRUE(is_well_formed_utf8(problems.front().sentence));
}

const std::string kVillage = "379901001001";

INSTANTIATE_TEST_SUITE_P(
    Cases, HouseholdCodeTable,
    ::testing::Values(
        CodeCase{"program_code", "3799010010010007", kVillage, "", ""},
        CodeCase{"thirteen_digits", "3799010010019", kVillage, "", ""},
        CodeCase{"x", "x", kVillage, "household_code_invalid", "household.code"},
        CodeCase{"nul", std::string("\0", 1), kVillage, "household_code_invalid", "household.code"},
        CodeCase{"ten_thousand_ones", std::string(10000, '1'), kVillage, "household_code_invalid",
                 "household.code"},
        CodeCase{"crlf", "3799010010019\r\n", kVillage, "household_code_invalid", "household.code"},
        CodeCase{"script", "379901001001<script>", kVillage, "household_code_invalid",
                 "household.code"},
        CodeCase{"right_to_left_override",
                 "379901001001\xe2\x80\xae"
                 "9",
                 kVillage, "household_code_invalid", "household.code"},
        CodeCase{"fullwidth_digits", "３７９９", kVillage, "household_code_invalid",
                 "household.code"},
        CodeCase{"other_village", "3799010020010007", kVillage, "household_code_invalid",
                 "household.code"},
        CodeCase{"village_code_alone", kVillage, kVillage, "household_code_invalid",
                 "household.code"},
        CodeCase{"max_length", kVillage + std::string(kMaxHouseholdCodeLength - 12, '9'), kVillage,
                 "", ""},
        CodeCase{"past_max_length", kVillage + std::string(kMaxHouseholdCodeLength - 11, '9'),
                 kVillage, "household_code_invalid", "household.code"},
        CodeCase{"village_not_digits", "3799010010010007", "37990100100X", "village_code_invalid",
                 "household.village_code"},
        CodeCase{"missing", "", kVillage, "household_code_missing", "household.code"}),
    [](const auto& info) { return std::string(info.param.name); });

// A household that moved keeps its code: the prefix is the opening's rule, the shape always.
TEST(HouseholdCode, AMovedHouseholdKeepsItsCodeButNotAMalformedOne) {
  testing::PeopleGenerator people(18);
  Household h = people.household("379901001001001", "379901002001", 2);
  const Date today{std::chrono::year{2026} / 3 / 1};
  EXPECT_TRUE(household_field_problems(h, today).empty());
  EXPECT_EQ(household_code_problem(h.code, h.village_code, "household.code")->code,
            "household_code_invalid");
  h.code = "3799010010010\xe2\x80\x8b";
  EXPECT_EQ(household_field_problems(h, today).at(0).code, "household_code_invalid");
}

struct NameCase {
  const char* name;
  std::string member_name;
  std::string refusal;  // empty: accepted
};

class MemberNameTable : public ::testing::TestWithParam<NameCase> {};

TEST_P(MemberNameTable, RefusesInvisibleAndControlCharactersInNames) {
  const NameCase& c = GetParam();
  testing::PeopleGenerator people(17);
  Household h = people.household("379901001001001", "379901001001", 3);
  h.members[1].name = c.member_name;
  const auto problems = household_field_problems(h, Date{std::chrono::year{2026} / 3 / 1});
  if (c.refusal.empty()) {
    EXPECT_TRUE(problems.empty()) << problems.front().sentence;
    return;
  }
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems.front().code, c.refusal);
  EXPECT_EQ(problems.front().field, "household.members[1].name");
  EXPECT_NE(problems.front().sentence.find("第2位成员"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MemberNameTable,
    ::testing::Values(NameCase{"plain", "李秀英", ""},
                      NameCase{"zero_width_space", "\xe2\x80\x8b", "text_character_refused"},
                      NameCase{"hidden_joiner", "李\xe2\x80\x8c秀英", "text_character_refused"},
                      NameCase{"line_break", "李\n秀英", "text_character_refused"},
                      NameCase{"bidi_isolate", "\xe2\x81\xa6李", "text_character_refused"},
                      NameCase{"spaces_only", "  ", "member_name_missing"},
                      NameCase{"ideographic_space", "\xe3\x80\x80", "member_name_missing"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace fangfan
