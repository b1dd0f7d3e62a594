// A fangfand process on the simulated clock over the example county (config/example.toml and
// the shipped calendar, in a temporary folder), and what the county-scale process tests do with
// it: tokens, households opened and taken through their steps over HTTP, `fangfanctl clock
// advance`, and the outbox read back from the SQLite file. A test may change the configuration
// before it is written (adjust_config), e.g. to point people at gateways.
//
// REQUIRES: FANGFAND_PATH and FANGFANCTL_PATH defined by CMake; the test links
// fangfan_test_api, fangfan_test_process and fangfan_test_support.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <soci/soci.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/storage/case_json.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/daemon_process.h"
#include "tests/support/people.h"
#include "workflows/date.h"
#include "workflows/household.h"

namespace fangfan::test {

namespace county_daemon_detail {
namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::DaemonProcess;
using testing::run_program;
using testing::RunResult;

const fs::path kSource = FANGFAN_SOURCE_DIR;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CountyDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(kSource / "config/calendar", dir_.path() / "calendar", fs::copy_options::recursive);
    std::string text = read_file(kSource / "config/example.toml");
    const std::string listen = "listen = \"127.0.0.1:8470\"";
    text.replace(text.find(listen), listen.size(), "listen = \"127.0.0.1:0\"");
    adjust_config(text);
    std::ofstream(config()) << text;
  }
  // A test's changes to the example configuration before it is written.
  virtual void adjust_config(std::string& /*text*/) {}
  void TearDown() override { stop(); }

  fs::path config() const { return dir_.path() / "fangfan.toml"; }
  fs::path messages() const { return dir_.path() / "state/messages.jsonl"; }

  // Starts fangfand on the simulated clock at `at` (China time) and finds its port. Each start
  // has its own folder for the notify socket and log (a test may restart the daemon).
  void start(const std::string& at, const std::map<std::string, std::string>& env = {}) {
    const fs::path run = dir_.path() / ("run-" + std::to_string(++runs_));
    fs::create_directories(run);
    daemon_ = std::make_unique<DaemonProcess>(run);
    daemon_->start(FANGFAND_PATH, {"--config", config().string(), "--simulated-clock", at}, env);
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

  // fangfanctl with this configuration, `env` added to its environment.
  RunResult ctl(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {"--config", config().string()});
    env["HOME"] = dir_.path().string();
    return run_program(FANGFANCTL_PATH, args, env);
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
    Reply r = http_once(port_, http::verb::post, "/api/v1/cases/" + std::to_string(id) + "/events",
                        token, json::serialize(body));
    EXPECT_EQ(r.status, 200u) << json::serialize(body) << " " << r.body;
    if (r.status != 200u) return "<refused>";
    return std::string(r.json().at("case").at("state").as_string());
  }

  // Opens a case for a generated household of `village` and starts its household verification
  // now: the step's reminder, due and escalation timers are scheduled. 0 when refused.
  std::int64_t open_verifying(const std::string& village, const std::string& clerk,
                              const std::string& suffix = "02") {
    households_.push_back(people_.household(village + suffix, village, 3));
    json::object open{{"household", case_json::encode(households_.back())},
                      {"kind", "unstable"},
                      {"source", "self_application"},
                      {"risk_causes", json::array{"illness"}}};
    Reply opened =
        http_once(port_, http::verb::post, "/api/v1/cases", clerk, json::serialize(open));
    EXPECT_EQ(opened.status, 201u) << opened.body;
    if (opened.status != 201u) return 0;
    const std::int64_t id = opened.json().at("case").at("id").as_int64();
    EXPECT_EQ(step(id, clerk, {{"type", "start_verification"}, {"verifier", "镇扶贫办"}}),
              "household_verification");
    return id;
  }

  // The same, then verification, democratic review and county review on the same day: the case
  // waits in village publicity.
  std::int64_t open_to_publicity(const std::string& village, const std::string& clerk,
                                 const std::string& suffix = "01") {
    const std::int64_t id = open_verifying(village, clerk, suffix);
    if (id == 0) return 0;
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

  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  unsigned short port_ = 0;
  int runs_ = 0;
  testing::PeopleGenerator people_{20251205};
  std::string admin_, office_;
  std::vector<Household> households_;  // every household opened, in order
};
}  // namespace county_daemon_detail

using county_daemon_detail::CountyDaemon;
using county_daemon_detail::read_file;

}  // namespace fangfan::test
