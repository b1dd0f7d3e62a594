// What comes from outside is made valid UTF-8 before it is echoed in an answer or a log.
#include "workflows/utf8.h"

#include <gtest/gtest.h>

namespace fangfan {
namespace {

struct Utf8Case {
  const char* name;
  std::string in;
  bool well_formed;
  std::string escaped;
};

class Utf8Table : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(Utf8Table, EscapesEveryByteOfAnIllFormedSequence) {
  const Utf8Case& c = GetParam();
  EXPECT_EQ(is_well_formed_utf8(c.in), c.well_formed);
  EXPECT_EQ(escape_invalid_utf8(c.in), c.escaped);
  EXPECT_TRUE(is_well_formed_utf8(escape_invalid_utf8(c.in)));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Utf8Table,
    ::testing::Values(Utf8Case{"ascii", "registered", true, "registered"},
                      Utf8Case{"chinese", "监测帮扶", true, "监测帮扶"},
                      Utf8Case{"four_bytes", "\xf0\x9f\x98\x80", true, "\xf0\x9f\x98\x80"},
                      Utf8Case{"query_ff_fe", "\xff\xfe", false, "\\xff\\xfe"},
                      Utf8Case{"lone_continuation", "a\x80z", false, "a\\x80z"},
                      Utf8Case{"overlong_slash", "\xc0\xaf", false, "\\xc0\\xaf"},
                      Utf8Case{"surrogate", "\xed\xa0\x80", false, "\\xed\\xa0\\x80"},
                      Utf8Case{"past_10ffff", "\xf4\x90\x80\x80", false, "\\xf4\\x90\\x80\\x80"},
                      Utf8Case{"truncated", "监\xe6\xb5", false, "监\\xe6\\xb5"},
                      Utf8Case{"gbk_bytes", "\xbc\xe0\xb2\xe2", false, "\\xbc\\xe0\\xb2\\xe2"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace fangfan
