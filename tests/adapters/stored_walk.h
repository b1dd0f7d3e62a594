// A CaseWalk (tests/workflows/case_fixture.h: the case machine driven in memory) kept in step
// with the case writer (test_case_writer.h) on a real database: the walk decides, the repository
// stores, both must accept. Shared by the storage tests that need whole cases behind their timers
// and duties.
#pragma once

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <cstdint>
#include <functional>
#include <string>
#include <variant>

#include "adapters/config/config.h"
#include "adapters/storage/case_repository.h"
#include "tests/adapters/test_case_writer.h"
#include "tests/support/people.h"
#include "tests/workflows/case_fixture.h"

namespace fangfan::test {

// The id the next opened case gets (cases.id is assigned in order).
inline std::int64_t next_case_id(soci::session& s) {
  long long max_id = 0;
  soci::indicator ind = soci::i_null;
  s << "SELECT MAX(id) FROM cases", soci::into(max_id, ind);
  return ind == soci::i_ok ? max_id + 1 : 1;
}

// A "marginal" case of a generated household of three (seeded by its code) in `village`,
// starting at `start`, with the id the database will give it.
inline testing::CaseWalk stored_walk(soci::session& s, const Config& config, TimePoint start,
                                     const std::string& household_code, const char* village) {
  testing::PeopleGenerator people(std::hash<std::string>{}(household_code));
  return testing::CaseWalk(config.rules, format_case_id(next_case_id(s)), "marginal",
                           people.household(household_code, village, 3), start);
}

// Opens the walk's case in memory and in the database; its id, or 0 (a test failure).
inline std::int64_t open_stored(StoredCases& repo, testing::CaseWalk& w) {
  const OpenCase e = w.open_event();
  w.ok(e);
  const OpenResult r = repo.open_case(e);
  const auto* change = std::get_if<CaseChange>(&r);
  if (change == nullptr) {
    ADD_FAILURE() << "open refused: " << std::get<Refusal>(r).message;
    return 0;
  }
  return change->case_id;
}

// The event accepted in memory and stored.
inline void accept_stored(StoredCases& repo, testing::CaseWalk& w, std::int64_t id,
                          const CaseEvent& e) {
  w.ok(e);
  const ApplyResult r = repo.apply(id, e);
  EXPECT_TRUE(std::holds_alternative<CaseChange>(r)) << event_name(e) << " not stored";
}

}  // namespace fangfan::test
