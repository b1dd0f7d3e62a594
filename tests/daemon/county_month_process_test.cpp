// Issue 5's "done when" through the running daemon: fangfand on the simulated clock in early
// March 2025, two households of the example county taken to registration with their assistance
// officers (帮扶责任人) assigned, one case making both March visits and its monitoring record,
// the other only one visit; then the clock is moved to mid-April with fangfanctl and the
// visit and monitoring messages are checked exactly: none for the complete case, the whole
// ladder on the right working days for the other (the dates are derived in
// tests/adapters/scheduler_county_month_test.cpp from config/example.toml and the shipped
// calendar, Qingming 04-04..04-06 included).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <soci/soci.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/daemon/county_daemon.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using test::read_file;
using ::testing::HasSubstr;
using testing::RunResult;

class CountyMonthDaemon : public test::CountyDaemon {};

TEST_F(CountyMonthDaemon, March2025VisitsAndMonitoringThroughTheRunningDaemon) {
  admin_ = token("county_admin", "379901", "周建国");
  office_ = token("county_office", "379901", "吴秀兰");
  const std::string dongling_clerk = token("township_clerk", "379901001", "王丽");
  const std::string xihe_clerk = token("township_clerk", "379901002", "陈静");
  const std::string yang = token("assistance_officer", "379901001001", "杨帆");

  start("2025-03-03T09:00");
  // A in 东岭村 (officer 杨帆), B in 西河村 (officer 朱晓东), both in publicity from Mon 03-03.
  const std::int64_t a = open_to_publicity("379901001001", dongling_clerk);
  const std::int64_t b = open_to_publicity("379901002001", xihe_clerk);
  ASSERT_NE(a, 0);
  ASSERT_NE(b, 0);

  // Wed 03-12: the 5-day publicities are over; both are registered and get their officers.
  EXPECT_THAT(advance("9d"), HasSubstr("2025-03-12T09:00:00+08:00"));
  EXPECT_EQ(step(a, dongling_clerk, {{"type", "close_publicity"}}), "registered");
  EXPECT_EQ(step(b, xihe_clerk, {{"type", "close_publicity"}}), "registered");
  EXPECT_EQ(step(a, dongling_clerk, {{"type", "assign_officer"}, {"officer", "杨帆"}}),
            "registered");
  EXPECT_EQ(step(b, xihe_clerk, {{"type", "assign_officer"}, {"officer", "朱晓东"}}), "registered");
  // The first visit of each, A's by its own officer with fangfanctl.
  const fs::path visit_file = dir_.path() / "visit.json";
  std::ofstream(visit_file) << json::serialize(
      json::object{{"date", "2025-03-12"}, {"officer", "杨帆"}, {"findings", "已就医"}});
  RunResult visited =
      ctl({"case", "event", std::to_string(a), visit_file.string(), "--type", "record_visit",
           "--api", "127.0.0.1:" + std::to_string(port_), "--token", yang});
  EXPECT_EQ(visited.status, 0) << visited.output;
  EXPECT_EQ(step(b, xihe_clerk, visit("2025-03-12", "朱晓东")), "registered");

  // Tue 03-18, before reminder_day (20): A's second visit and its March monitoring record.
  EXPECT_THAT(advance("6d"), HasSubstr("2025-03-18T09:00:00+08:00"));
  EXPECT_EQ(step(a, dongling_clerk, visit("2025-03-18", "杨帆")), "registered");
  EXPECT_EQ(step(a, yang,
                 {{"type", "record_monitoring"},
                  {"record", {{"account", {{"month", "2025-03"}, {"wage_income_fen", 300000}}}}}}),
            "registered");
  EXPECT_TRUE(queued().empty());

  // To Tue 04-15 09:00: past the last rung of March (Mon 04-14), before April's reminders.
  EXPECT_THAT(advance("28d"), HasSubstr("2025-04-15T09:00:00+08:00"));

  // B alone, on the working days of the county's calendar: visit reminder Thu 03-20, monitoring
  // reminder Tue 03-25, both overdue Tue 04-01 to the officer; visits to the township head on
  // Mon 04-07 (3 working days after 04-01, Qingming skipped) and the county office on Mon 04-14
  // (8); monitoring to the township head on Wed 04-09 (5).
  const std::vector<std::string> want = {
      "2025-03-20T08:00:00+08:00 visit_reminder 朱晓东@379901002001",
      "2025-03-25T08:00:00+08:00 monitoring_reminder 朱晓东@379901002001",
      "2025-04-01T08:00:00+08:00 monitoring_overdue 朱晓东@379901002001",
      "2025-04-01T08:00:00+08:00 visit_overdue 朱晓东@379901002001",
      "2025-04-07T08:00:00+08:00 visit_overdue 冯志强@379901002",
      "2025-04-09T08:00:00+08:00 monitoring_overdue 冯志强@379901002",
      "2025-04-14T08:00:00+08:00 visit_overdue 吴秀兰@379901",
  };
  std::vector<Row> rows = queued();
  std::vector<std::string> got;
  for (const Row& r : rows) {
    EXPECT_EQ(r.case_id, b) << r.text;
    got.push_back(r.text);
  }
  EXPECT_EQ(got, want);

  // Every one of them reached messages.jsonl, alone or in a digest to its recipient.
  auto all_written = [&] {
    // A message folded into a digest names it once the dispatcher has taken it: read again.
    const std::set<std::int64_t> ids = written();
    for (const Row& r : queued()) {
      if (!ids.count(r.sent_as)) return false;
    }
    return true;
  };
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!all_written() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(all_written()) << read_file(messages());
  stop();
}

}  // namespace
}  // namespace fangfan
