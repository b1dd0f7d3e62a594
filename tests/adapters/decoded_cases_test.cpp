// The decoded-case memo (adapters/storage/decoded_cases.h): a case's data is given back only for
// the exact text it was remembered with, a case written again is remembered with its new text,
// and at most kMaxEntries cases are kept, the one used longest ago forgotten first.
#include "adapters/storage/decoded_cases.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace fangfan {
namespace {

// A case's data that tells cases (and their versions) apart.
CaseData data_of(std::int64_t id, const std::string& officer = "第一书记赵*") {
  CaseData d;
  d.case_id = std::to_string(id);
  d.kind = "unstable";
  d.officer = officer;
  return d;
}

// The stored text of a case: any text will do, the memo compares it byte for byte.
std::string text_of(std::int64_t id, int version = 1) {
  return R"({"case_id":")" + std::to_string(id) + R"(","version":)" + std::to_string(version) + "}";
}

TEST(DecodedCases, AnUnknownCaseIsNotFound) {
  DecodedCases memo;
  EXPECT_FALSE(memo.find(7, text_of(7)).has_value());
}

TEST(DecodedCases, GivesTheDataBackOnlyForTheTextItWasRememberedWith) {
  DecodedCases memo;
  memo.remember(7, text_of(7), data_of(7));
  const auto found = memo.find(7, text_of(7));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->case_id, "7");
  EXPECT_EQ(found->officer, "第一书记赵*");
  // Another text (another writer changed the row, a savepoint rolled back): decode afresh.
  EXPECT_FALSE(memo.find(7, text_of(7, 2)).has_value());
  EXPECT_FALSE(memo.find(7, text_of(7) + " ").has_value());
  // The same text under another case's id is not that case's data.
  EXPECT_FALSE(memo.find(8, text_of(7)).has_value());
}

TEST(DecodedCases, ACaseRememberedAgainKeepsOnlyItsNewTextAndData) {
  DecodedCases memo;
  memo.remember(7, text_of(7, 1), data_of(7, "第一书记赵*"));
  memo.remember(7, text_of(7, 2), data_of(7, "包村干部钱*"));
  EXPECT_FALSE(memo.find(7, text_of(7, 1)).has_value());
  const auto found = memo.find(7, text_of(7, 2));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->officer, "包村干部钱*");
}

TEST(DecodedCases, TheCaseUsedLongestAgoIsForgottenFirst) {
  DecodedCases memo;
  const auto n = static_cast<std::int64_t>(DecodedCases::kMaxEntries);
  for (std::int64_t id = 1; id <= n; ++id) memo.remember(id, text_of(id), data_of(id));
  // Full: every case is still there.
  for (std::int64_t id = n; id >= 1; --id) {
    ASSERT_TRUE(memo.find(id, text_of(id)).has_value()) << "case " << id;
  }
  // That loop used case 1 last and case n first: n is now the coldest.
  memo.remember(n + 1, text_of(n + 1), data_of(n + 1));
  EXPECT_FALSE(memo.find(n, text_of(n)).has_value());
  EXPECT_TRUE(memo.find(1, text_of(1)).has_value());
  EXPECT_TRUE(memo.find(n + 1, text_of(n + 1)).has_value());
  // Writing a case again counts as using it: remember n - 1 anew, then add one more case; the
  // coldest is now n - 2.
  memo.remember(n - 1, text_of(n - 1, 2), data_of(n - 1));
  memo.remember(n + 2, text_of(n + 2), data_of(n + 2));
  EXPECT_TRUE(memo.find(n - 1, text_of(n - 1, 2)).has_value());
  EXPECT_FALSE(memo.find(n - 2, text_of(n - 2)).has_value());
}

TEST(DecodedCases, HoldsAtMostItsBoundHowEverManyCasesPassThrough) {
  DecodedCases memo;
  const auto n = static_cast<std::int64_t>(DecodedCases::kMaxEntries);
  for (std::int64_t id = 1; id <= 3 * n; ++id) memo.remember(id, text_of(id), data_of(id));
  std::int64_t kept = 0;
  for (std::int64_t id = 1; id <= 3 * n; ++id) kept += memo.find(id, text_of(id)) ? 1 : 0;
  // Exactly the last n remembered (finding them in id order keeps the same set).
  EXPECT_EQ(kept, n);
  EXPECT_FALSE(memo.find(2 * n, text_of(2 * n)).has_value());
  EXPECT_TRUE(memo.find(2 * n + 1, text_of(2 * n + 1)).has_value());
}

}  // namespace
}  // namespace fangfan
