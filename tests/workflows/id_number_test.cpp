#include "workflows/id_number.h"

#include <gtest/gtest.h>

#include "tests/support/people.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

const Date kToday = *parse_date("2024-05-06");

struct IdCase {
  const char* id;
  const char* problem;  // nullptr = valid
};

// gtest names a failing case by this instead of its bytes.
void PrintTo(const IdCase& c, std::ostream* os) { *os << c.id; }

class IdNumberTable : public ::testing::TestWithParam<IdCase> {};

TEST_P(IdNumberTable, ValidatesWithAClearSentence) {
  const auto& c = GetParam();
  const auto problem = id_number_problem(c.id, kToday);
  if (c.problem == nullptr) {
    EXPECT_FALSE(problem) << *problem;
  } else {
    ASSERT_TRUE(problem) << c.id;
    EXPECT_EQ(*problem, c.problem);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Gb11643, IdNumberTable,
    ::testing::Values(
        IdCase{"11010519491231002X", nullptr},
        IdCase{"110105194912310021", "身份证号校验位错误：应为X，实际为1"},
        IdCase{"11010519491231003X", "身份证号校验位错误：应为8，实际为X"},
        // Lowercase x is refused: stored IDs end in 'X' (normalize_id_number fixes input).
        IdCase{"11010519491231002x", "身份证号末位应为大写X，实际为小写x"},
        IdCase{"11010519491231002", "身份证号应为18位，实际为17位"},
        IdCase{"11010519491231002X1", "身份证号应为18位，实际为19位"}, IdCase{"", "身份证号未填写"},
        IdCase{"1101051949A231002X", "身份证号第11位不是数字"},
        IdCase{"11010519491231002Y", "身份证号第18位应为数字或大写X"},
        IdCase{"99010519491231002X", "身份证号前两位“99”不是有效的省级行政区划代码"},
        IdCase{"110105194902300023", "身份证号第7至14位的出生日期不是有效日期"},
        IdCase{"110105194913010023", "身份证号第7至14位的出生日期不是有效日期"},
        IdCase{"110105189912310023", "身份证号中的出生年份早于1900年"},
        IdCase{"110105202405070023", "身份证号中的出生日期晚于今天（2024-05-06）"},
        IdCase{"１１０１０５１９４９１２３１００２Ｘ",
               "身份证号含有全角或中文字符，应为18位半角数字（末位可为X）"}));

TEST(IdNumber, BirthTodayIsValidTomorrowIsNot) {
  std::string today = "37130220240506001";
  today += id_check_char(today);
  EXPECT_FALSE(id_number_problem(today, kToday));
  std::string tomorrow = "37130220240507001";
  tomorrow += id_check_char(tomorrow);
  EXPECT_TRUE(id_number_problem(tomorrow, kToday));
}

TEST(IdNumber, CheckCharacterAndFields) {
  EXPECT_EQ(id_check_char("11010519491231002"), 'X');
  EXPECT_EQ(id_birth_date("11010519491231002X"), *parse_date("1949-12-31"));
  EXPECT_FALSE(id_is_male("11010519491231002X"));  // sequence 002: even
  std::string male = "37130219800101001";
  male += id_check_char(male);
  EXPECT_TRUE(id_is_male(male));
}

TEST(IdNumber, NormalizeTrimsAndUppercasesTheCheckCharacter) {
  EXPECT_EQ(normalize_id_number(" 11010519491231002x\t"), "11010519491231002X");
  EXPECT_FALSE(id_number_problem(normalize_id_number("11010519491231002x"), kToday));
  EXPECT_EQ(normalize_id_number("x1"), "x1");  // only the last character
}

TEST(IdNumber, GeneratedPeopleAreAlwaysValid) {
  testing::PeopleGenerator people(20240506);
  for (int i = 0; i < 2000; ++i) {
    const auto p = people.person();
    EXPECT_FALSE(id_number_problem(p.id_number, kToday)) << mask_id_number(p.id_number);
    EXPECT_EQ(id_birth_date(p.id_number), p.birth_date);
    EXPECT_EQ(id_is_male(p.id_number), p.male);
    EXPECT_TRUE(is_mainland_mobile(p.phone)) << mask_phone(p.phone);
  }
}

TEST(IdNumber, GeneratorIsDeterministic) {
  testing::PeopleGenerator a(7), b(7), c(8);
  const auto pa = a.person();
  const auto pb = b.person();
  EXPECT_EQ(pa.id_number, pb.id_number);
  EXPECT_EQ(pa.name, pb.name);
  EXPECT_EQ(pa.phone, pb.phone);
  EXPECT_NE(pa.id_number, c.person().id_number);
}

TEST(Masking, IdNumbers) {
  EXPECT_EQ(mask_id_number("11010519491231002X"), "110105********002X");
  EXPECT_EQ(mask_id_number("110105491231002"), "110105*****1002");  // old 15-digit form
  EXPECT_EQ(mask_id_number("1234"), "******************");
  EXPECT_EQ(mask_id_number("11010519491231002X99"), "******************");
  EXPECT_EQ(mask_id_number(""), "");
}

TEST(Masking, PhonesAndNames) {
  EXPECT_EQ(mask_phone("13812345678"), "138****5678");
  EXPECT_EQ(mask_phone("0598-3851238"), "059*****1238");
  EXPECT_EQ(mask_phone("1234567"), "***********");
  EXPECT_EQ(mask_name("张三"), "张*");
  EXPECT_EQ(mask_name("欧阳娜娜"), "欧***");
  EXPECT_EQ(mask_name("王"), "*");
  EXPECT_EQ(mask_name("Li Lei"), "L*****");
  EXPECT_EQ(mask_name(""), "");
}

TEST(Phone, MainlandMobile) {
  for (const char* ok : {"13812345678", "19912345678", "15000000000"}) {
    EXPECT_TRUE(is_mainland_mobile(ok)) << ok;
  }
  for (const char* bad : {"12812345678", "1381234567", "138123456789", "2381234567a", "",
                          "+8613812345678", "138 1234 567"}) {
    EXPECT_FALSE(is_mainland_mobile(bad)) << bad;
  }
}

TEST(Phone, FixedLine) {
  for (const char* ok : {"0598-3851238", "05393851238", "010-12345678", "02112345678"}) {
    EXPECT_TRUE(is_fixed_line_phone(ok)) << ok;
  }
  for (const char* bad :
       {"0598-0851238", "5983851238", "0598-385123", "0598-385123899", "13812345678", ""}) {
    EXPECT_FALSE(is_fixed_line_phone(bad)) << bad;
  }
}

}  // namespace
}  // namespace fangfan
