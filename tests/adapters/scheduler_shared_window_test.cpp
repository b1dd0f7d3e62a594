// Issue 14's leftover of item 3, as the example county (config/example.toml on the shipped
// calendar) lives it: a democratic review sharing the verification's window that starts after
// the window has passed is overdue from its first moment, and its ladder's rungs already due are
// told as one notice, the highest rung's, not all at once. SQLite only, like the county tests.
#include <gtest/gtest.h>

#include "adapters/storage/duty_store.h"
#include "tests/adapters/county_fixture.h"
#include "workflows/date.h"
#include "workflows/duties.h"

namespace fangfan {
namespace {

using namespace county_test;  // NOLINT: the fixture's vocabulary
using namespace std::chrono_literals;
using testing::at;
using testing::CaseWalk;

class SharedWindow : public CountyFixture {
 protected:
  SharedWindow() : CountyFixture("2025-03-03T08:00") {}

  // Fires every timer due up to `until`, hour by hour, keeping what was queued.
  std::vector<OutboxRecord> run_until(TimePoint until) {
    std::vector<OutboxRecord> sent;
    while (clock_.now() < until) {
      clock_.advance(1h);
      for (OutboxRecord& m : fire_all(clock_.now())) sent.push_back(std::move(m));
    }
    return sent;
  }

  // "<created_at> <recipient> 第<rung>级" of the democratic review's overdue notices.
  static std::vector<std::string> review_notices(const std::vector<OutboxRecord>& sent) {
    std::vector<std::string> out;
    for (const OutboxRecord& m : sent) {
      if (m.message_type != "step_overdue" || param(m, "step") != kStepDemocraticReview) continue;
      out.push_back(format_time(m.created_at) + " " + m.recipient + " 第" + param(m, "rung") +
                    "级");
    }
    return out;
  }
};

// [002] "乡镇扶贫部门组织人员5个工作日内完成入户调查和民主评议": one window for the survey and the
// review. A review that starts after that window has passed owes its ladder at once; the people
// told expect one notice, the highest rung already due (docs/rules.md "A late start sends one
// overdue notice"): the rungs below it are passed without a message, later rungs come on their
// own day. Verification opened Mon 03-03 in 柳树村: last day Mon 03-10; the review's ladder:
// 03-11 the village officer (第1级), 03-13 the township head (第2级), 03-18 the county office
// (第3级).
TEST_F(SharedWindow, AReviewStartedAfterTheWindowSendsOneNoticeThenItsLaterRungs) {
  struct Row {
    const char* verified_at;            // the verification recorded, the review starting
    std::vector<std::string> expected;  // the review's overdue notices until 03-20 09:00
  };
  const std::vector<Row> rows = {
      // Inside the window: each rung on its own day, as before.
      {"2025-03-06T10:00",
       {"2025-03-11T08:00:00+08:00 孔德明@379901001002 第1级",
        "2025-03-13T08:00:00+08:00 郑海峰@379901001 第2级",
        "2025-03-18T08:00:00+08:00 吴秀兰@379901 第3级"}},
      // Two rungs already due: only the township head's is sent, at once.
      {"2025-03-17T10:00",
       {"2025-03-17T10:00:00+08:00 郑海峰@379901001 第2级",
        "2025-03-18T08:00:00+08:00 吴秀兰@379901 第3级"}},
      // All three due: one notice, the county office's.
      {"2025-03-19T10:00", {"2025-03-19T10:00:00+08:00 吴秀兰@379901 第3级"}},
  };
  // One case per row, all applied Mon 03-03 09:00 in 柳树村; each verified on its row's day.
  std::vector<CaseWalk> walks;
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    walks.push_back(
        walk(at("2025-03-03T09:00"), "37990100100201" + std::to_string(i + 1), kLiushu));
    ids.push_back(open(walks.back()));
    accept(walks.back(), ids.back(), walks.back().start_verification());
  }
  std::vector<OutboxRecord> sent;
  auto keep = [&](std::vector<OutboxRecord> more) {
    for (OutboxRecord& m : more) sent.push_back(std::move(m));
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    keep(run_until(at(rows[i].verified_at)));
    walk_to(walks[i], at(rows[i].verified_at));
    accept(walks[i], ids[i], walks[i].eligible_verification());
    EXPECT_EQ(walks[i].state(), "democratic_review");
    keep(fire_all(clock_.now()));
  }
  keep(run_until(at("2025-03-20T09:00")));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].verified_at);
    std::vector<OutboxRecord> of_case;
    for (const OutboxRecord& m : sent) {
      if (m.case_id == ids[i]) of_case.push_back(m);
    }
    EXPECT_EQ(review_notices(of_case), rows[i].expected);
    // The rungs passed over are stored as fired: none left pending, none cancelled.
    long long unfired = 0;
    const long long case_id = ids[i];
    s() << "SELECT COUNT(*) FROM timers WHERE case_id = :id AND step = 'democratic_review'"
           " AND state <> 'fired'",
        soci::use(case_id), soci::into(unfired);
    EXPECT_EQ(unfired, 0);
  }
}

}  // namespace
}  // namespace fangfan
