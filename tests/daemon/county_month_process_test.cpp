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

#include "adapters/storage/case_json.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/daemon_process.h"
#include "tests/support/people.h"
#include "workflows/date.h"
#include "workflows/household.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::run_program;
using testing::RunResult;

const fs::path kSource = FANGFAN_SOURCE_DIR;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CountyMonthDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(kSource / "config/calendar", dir_.path() / "calendar", fs::copy_options::recursive);
    std::string text = read_file(kSource / "config/example.toml");
    const std::string listen = "listen = \"127.0.0.1:8470\"";
    text.replace(text.find(listen), listen.size(), "listen = \"127.0.0.1:0\"");
    std::ofstream(config()) << text;
  }
  void TearDown() override { stop(); }

  fs::path config() const { return dir_.path() / "fangfan.toml"; }
  fs::path messages() const { return dir_.path() / "state/messages.jsonl"; }

  // Starts fangfand on the simulated clock at `at` (China time) and finds its port.
  void start(const std::string& at) {
    daemon_ = std::make_unique<DaemonProcess>(dir_.path());
    daemon_->start(FANGFAND_PATH, {"--config", config().string(), "--simulated-clock", at});
    ASSERT_TRUE(daemon_->wait_notify("READY=1", 30s)) << daemon_->log();
    std::smatch m;
    const std::string log = daemon_->log();
    ASSERT_TRUE(
        std::regex_search(log, m, std::regex(R"(api\.listening address=127\.0\.0\.1:([0-9]+))")))
        << log;
    port_ = static_cast<unsigned short>(std::stoi(m[1]));
  }
  void stop() {
    if (!daemon_) return;
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait_exit(10s), 0) << daemon_->log();
    daemon_.reset();
  }

  RunResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config().string()});
    return run_program(FANGFANCTL_PATH, args, {{"HOME", dir_.path().string()}});
  }
  std::string token(const std::string& role, const std::string& scope, const std::string& name) {
    RunResult made = ctl({"token", "create", "--role", role, "--scope", scope, "--name", name});
    EXPECT_EQ(made.status, 0) << made.output;
    std::smatch m;
    EXPECT_TRUE(std::regex_search(made.output, m, std::regex("fft_[0-9a-f]{64}"))) << made.output;
    return m.str();
  }
  // `fangfanctl clock advance BY` as the county admin; returns its output.
  std::string advance(const std::string& by) {
    RunResult moved = ctl(
        {"clock", "--api", "127.0.0.1:" + std::to_string(port_), "--token", admin_, "advance", by});
    EXPECT_EQ(moved.status, 0) << moved.output;
    return moved.output;
  }
  // One step of case `id` with plain HTTP; expects 200 and returns the case's state.
  std::string step(std::int64_t id, const std::string& token, json::object body) {
    test::Reply r =
        test::http_once(port_, http::verb::post, "/api/v1/cases/" + std::to_string(id) + "/events",
                        token, json::serialize(body));
    EXPECT_EQ(r.status, 200u) << json::serialize(body) << " " << r.body;
    if (r.status != 200u) return "<refused>";
    return std::string(r.json().at("case").at("state").as_string());
  }

  // Opens a case for a generated household of `village` and takes it through verification,
  // democratic review and county review on the same day: it waits in village publicity.
  std::int64_t open_to_publicity(const std::string& village, const std::string& clerk) {
    json::object open{
        {"household", case_json::encode(people_.household(village + "01", village, 3))},
        {"kind", "unstable"},
        {"source", "self_application"},
        {"risk_causes", json::array{"illness"}}};
    test::Reply opened =
        test::http_once(port_, http::verb::post, "/api/v1/cases", clerk, json::serialize(open));
    EXPECT_EQ(opened.status, 201u) << opened.body;
    if (opened.status != 201u) return 0;
    const std::int64_t id = opened.json().at("case").at("id").as_int64();
    EXPECT_EQ(step(id, clerk, {{"type", "start_verification"}, {"verifier", "镇扶贫办"}}),
              "household_verification");
    const IncomeWindow w = income_window(std::chrono::year(2025) / std::chrono::March);
    json::array accounts;
    for (auto m = w.first; m <= w.last; m += std::chrono::months(1)) {
      accounts.push_back(
          {{"month", format_month(m)}, {"wage_income_fen", 20000}, {"medical_expense_fen", 25000}});
    }
    EXPECT_EQ(step(id, clerk,
                   {{"type", "record_verification"},
                    {"accounts", accounts},
                    {"hardship", {{"basic_needs_affected", true}}}}),
              "democratic_review");
    EXPECT_EQ(step(id, clerk,
                   {{"type", "record_democratic_review"},
                    {"passed", true},
                    {"asset_authorisation_signed", true}}),
              "county_review");
    EXPECT_EQ(step(id, office_, {{"type", "record_county_review"}}), "village_publicity");
    return id;
  }

  json::object visit(const std::string& date, const std::string& officer) {
    return {{"type", "record_visit"}, {"date", date}, {"officer", officer}, {"findings", "已入户"}};
  }

  struct Row {
    std::int64_t id = 0, sent_as = 0, case_id = 0;
    std::string text;  // "China time type recipient"
  };
  // The visit and monitoring messages the daemon queued, in due order: id, the outbox row that
  // carries it (itself or its digest), case, and "created_at type recipient".
  std::vector<Row> queued() {
    soci::session s("sqlite3", "db=" + (dir_.path() / "state/fangfan.db").string() + " timeout=10");
    std::vector<Row> out;
    soci::rowset<soci::row> rs =
        (s.prepare << "SELECT id, digest_of, case_id, created_at, message_type,"
                      " recipient FROM outbox WHERE message_type LIKE 'visit_%'"
                      " OR message_type LIKE 'monitoring_%'"
                      " ORDER BY created_at, case_id, message_type, recipient");
    // SQLite reports small numbers as int and large ones as long long.
    auto number = [](const soci::row& r, std::size_t i) -> std::int64_t {
      switch (r.get_properties(i).get_data_type()) {
        case soci::dt_integer:
          return r.get<int>(i);
        case soci::dt_long_long:
          return r.get<long long>(i);
        default:
          return static_cast<std::int64_t>(r.get<double>(i));
      }
    };
    for (const soci::row& r : rs) {
      Row row;
      row.id = number(r, 0);
      row.sent_as = r.get_indicator(1) == soci::i_null ? row.id : number(r, 1);
      row.case_id = number(r, 2);
      row.text = format_time(TimePoint(std::chrono::seconds(number(r, 3)))) + " " +
                 r.get<std::string>(4) + " " + r.get<std::string>(5);
      out.push_back(row);
    }
    return out;
  }
  // The outbox ids the file channel wrote to messages.jsonl.
  std::set<std::int64_t> written() {
    std::set<std::int64_t> out;
    std::ifstream in(messages());
    for (std::string line; std::getline(in, line);) {
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      if (ec || !v.is_object() || !v.as_object().contains("outbox_id")) continue;
      out.insert(v.at("outbox_id").to_number<std::int64_t>());
    }
    return out;
  }

  test::TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  unsigned short port_ = 0;
  testing::PeopleGenerator people_{20251205};
  std::string admin_, office_;
};

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
