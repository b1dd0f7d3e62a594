// Issue 12's "done when" through the running daemon on the simulated clock over the example
// county (config/example.toml): the civil affairs file dropped on the 4th is taken on the 5th at
// the schedule's hour; the missing medical insurance file opens the department clerk's duty and
// climbs its ladder until a late file is taken and closes it; an alert about a person the county
// does not monitor reaches the township clerk, is overdue after 5 working days and is dismissed
// or becomes a case with fangfanctl; a monitored member's row lands in the case's history; the
// daemon stopped over a 5th takes that period once when it starts again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "adapters/config/config.h"
#include "adapters/feeds/drop_folder.h"
#include "tests/daemon/county_daemon.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
using test::read_file;
using ::testing::HasSubstr;
using testing::RunResult;

class FeedsDaemon : public test::CountyDaemon {
 protected:
  void SetUp() override {
    CountyDaemon::SetUp();
    auto loaded = load_config(config(), LoadOptions{false, std::nullopt});
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(loaded));
    config_ = std::get<std::shared_ptr<const Config>>(loaded);
    for (const char* feed : {"civil_affairs", "medical_insurance"}) {
      const FeedSource* s = config_->rules.feeds.find(feed);
      ASSERT_NE(s, nullptr) << feed << " is not a feed of config/example.toml";
      ASSERT_EQ(s->kind, FeedSourceKind::kFolder);
      fs::create_directories(s->folder);
    }
  }

  // Drops `text` as the period's file of `feed`, as a department would (written, then renamed
  // into the folder), its modification time in the past so that it counts as complete.
  void drop(const std::string& feed, const std::string& period, const std::string& text) {
    const FeedSource* s = config_->rules.feeds.find(feed);
    std::string name = feed_file_pattern(*s, period);
    for (char& c : name) {
      if (c == '*') c = 'x';
      if (c == '?') c = 'y';
    }
    if (name.find('.') == std::string::npos || name.back() == 'x') name += ".csv";
    const fs::path tmp = fs::path(s->folder) / (".incoming-" + name);
    std::ofstream(tmp, std::ios::binary) << text;
    fs::last_write_time(tmp, fs::file_time_type::clock::now() - std::chrono::hours(1));
    fs::rename(tmp, fs::path(s->folder) / name);
  }

  // The header of a feed's file, from its column map (any order does).
  std::string header(const std::string& feed, std::vector<std::string>& fields) {
    const FeedSource* s = config_->rules.feeds.find(feed);
    std::string out;
    fields.clear();
    for (const auto& [field, head] : s->columns) {
      if (!out.empty()) out += ",";
      out += head;
      fields.push_back(field);
    }
    return out + "\n";
  }
  // One row with `values` by field ("" for the rest).
  std::string row(const std::vector<std::string>& fields,
                  const std::map<std::string, std::string>& values) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ",";
      auto it = values.find(fields[i]);
      if (it != values.end()) out += it->second;
    }
    return out + "\n";
  }

  json::object api(http::verb verb, const std::string& path, const std::string& token,
                   const std::string& body = "") {
    test::Reply r = test::http_once(port_, verb, path, token, body);
    EXPECT_LT(r.status, 300u) << path << " " << r.body;
    if (r.status >= 300u) return {};
    return r.json().as_object();
  }
  std::vector<std::string> messages_of(const std::string& type) {
    soci::session s("sqlite3", "db=" + (dir_.path() / "state/fangfan.db").string() + " timeout=10");
    std::vector<std::string> out;
    soci::rowset<soci::row> rs = (s.prepare << "SELECT created_at, recipient FROM outbox"
                                               " WHERE message_type = :t ORDER BY created_at, id",
                                  soci::use(type));
    for (const soci::row& r : rs) {
      const auto at = r.get_properties(0).get_data_type() == soci::dt_integer
                          ? static_cast<long long>(r.get<int>(0))
                          : r.get<long long>(0);
      out.push_back(format_time(TimePoint(std::chrono::seconds(at))) + " " + r.get<std::string>(1));
    }
    return out;
  }
  std::string ctl_api(std::vector<std::string> args, const std::string& token, int want = 0) {
    args.insert(args.end(), {"--api", "127.0.0.1:" + std::to_string(port_), "--token", token});
    RunResult r = ctl(args);
    EXPECT_EQ(r.status, want) << r.output;
    return r.output;
  }

  std::shared_ptr<const Config> config_;
};

TEST_F(FeedsDaemon, FeedsOnScheduleLadderLateFileAlertsAndRestart) {
  admin_ = token("county_admin", "379901", "周建国");
  office_ = token("county_office", "379901", "吴秀兰");
  const std::string clerk = token("township_clerk", "379901001", "王丽");
  start("2025-05-02T09:00");
  // A monitored household of 东岭村 (in verification: a case in progress).
  const std::int64_t monitored = open_verifying("379901001001", clerk);
  ASSERT_NE(monitored, 0);
  const std::string member = households_.back().members[1].id_number;
  const std::string stranger = people_.id_number(parse_date("1968-02-03").value(), true);
  const std::string other = people_.id_number(parse_date("1975-06-07").value(), false);

  // Sun 05-04: civil affairs drops its May file: a monitored member and two strangers newly
  // granted 低保/特困, and a row with a wrong check character.
  advance("2d");
  std::vector<std::string> fields;
  std::string csv = header("civil_affairs", fields);
  const std::string category =
      config_->rules.feeds.find("civil_affairs")->rules.at(0).conditions.at(0).one_of.at(0);
  csv += row(fields, {{"id_number", member},
                      {"name", "甲"},
                      {"category", category},
                      {"village_code", "379901001001"}});
  csv += row(fields, {{"id_number", stranger},
                      {"name", "乙"},
                      {"category", category},
                      {"village_code", "379901001002"}});
  csv += row(fields, {{"id_number", other},
                      {"name", "丙"},
                      {"category", category},
                      {"village_code", "379901002001"}});
  std::string wrong = other;
  wrong.back() = other.back() == '1' ? '2' : '1';
  csv += row(fields, {{"id_number", wrong}, {"name", "丁"}, {"category", category}});
  drop("civil_affairs", "2025-05", csv);
  // Not taken before its day.
  json::object runs = api(http::verb::get, "/api/v1/feeds/runs", admin_);
  EXPECT_EQ(runs["total"].as_int64(), 0);

  // Mon 05-05 08:00 (a holiday: the 5th stays the 5th): taken at the schedule's hour.
  advance("1d");
  runs = api(http::verb::get, "/api/v1/feeds/runs?feed=civil_affairs", admin_);
  ASSERT_EQ(runs["total"].as_int64(), 1) << json::serialize(runs);
  const json::object& run = runs["runs"].as_array()[0].as_object();
  EXPECT_EQ(run.at("status").as_string(), "done");
  EXPECT_EQ(run.at("period").as_string(), "2025-05");
  EXPECT_EQ(run.at("started_at").as_string(), "2025-05-05T08:00:00+08:00");
  EXPECT_EQ(run.at("rows_read").as_int64(), 4);
  EXPECT_EQ(run.at("rows_quarantined").as_int64(), 1);
  // The file went to the processed folder under its run id.
  const FeedSource* civil = config_->rules.feeds.find("civil_affairs");
  EXPECT_TRUE(std::holds_alternative<NotYet>(look_in_drop_folder(*civil, "2025-05")));
  // The monitored member is evidence on the case; the strangers are alerts for their townships.
  json::object c = api(http::verb::get, "/api/v1/cases/" + std::to_string(monitored), admin_);
  EXPECT_THAT(json::serialize(c), HasSubstr("record_department_evidence"));
  json::object alerts = api(http::verb::get, "/api/v1/alerts?status=open", admin_);
  ASSERT_EQ(alerts["total"].as_int64(), 2) << json::serialize(alerts);
  // The township clerk sees only 东岭镇's.
  json::object mine = api(http::verb::get, "/api/v1/alerts", clerk);
  ASSERT_EQ(mine["total"].as_int64(), 1);
  const std::int64_t alert_id = mine["alerts"].as_array()[0].at("id").as_int64();
  EXPECT_THAT(messages_of("alert_new"), ::testing::Contains(HasSubstr("王丽@379901001")));

  // The missing medical insurance file: the department clerk is told at once.
  EXPECT_THAT(messages_of("feed_missing"),
              ::testing::Contains("2025-05-05T08:00:00+08:00 尤明@medical_insurance"));

  // Thu 05-08: still missing; then dropped late and taken, which closes the duty.
  advance("3d");
  std::vector<std::string> med_fields;
  std::string med = header("medical_insurance", med_fields);
  med += row(med_fields, {{"id_number", other}, {"name", "丙"}});
  drop("medical_insurance", "2025-05", med);
  advance("2h");
  runs = api(http::verb::get, "/api/v1/feeds/runs?feed=medical_insurance", admin_);
  ASSERT_GE(runs["total"].as_int64(), 1) << json::serialize(runs);
  EXPECT_EQ(runs["runs"].as_array()[0].at("status").as_string(), "done");
  const auto missing_before = messages_of("feed_missing").size();

  // Two weeks later: no further rung for the closed duty; the alert not verified in 5 working
  // days is overdue to the clerk.
  advance("14d");
  EXPECT_EQ(messages_of("feed_missing").size(), missing_before);
  EXPECT_THAT(messages_of("alert_overdue"), ::testing::Contains(HasSubstr("王丽@379901001")));

  // The clerk dismisses it with fangfanctl; the other becomes a case.
  ctl_api({"alert", "dismiss", std::to_string(alert_id), "--reason", "已核实：外出务工收入稳定"},
          clerk);
  json::object dismissed =
      api(http::verb::get, "/api/v1/alerts/" + std::to_string(alert_id), clerk);
  EXPECT_EQ(dismissed["alert"].at("status").as_string(), "dismissed");
  EXPECT_EQ(dismissed["history"].as_array().size(), 2u);
  json::object others = api(http::verb::get, "/api/v1/alerts?status=open", admin_);
  ASSERT_EQ(others["total"].as_int64(), 1);
  const std::int64_t other_alert = others["alerts"].as_array()[0].at("id").as_int64();
  Household h = people_.household(
      "379901002001"
      "07",
      "379901002001", 2);
  const fs::path body = dir_.path() / "case.json";
  std::ofstream(body) << json::serialize(json::object{{"household", case_json::encode(h)},
                                                      {"kind", "unstable"},
                                                      {"risk_causes", json::array{"illness"}}});
  const std::string opened =
      ctl_api({"alert", "open", std::to_string(other_alert), body.string()}, office_);
  EXPECT_THAT(opened, HasSubstr("案件"));
  json::object became =
      api(http::verb::get, "/api/v1/alerts/" + std::to_string(other_alert), office_);
  EXPECT_EQ(became["alert"].at("status").as_string(), "case_opened");
  EXPECT_FALSE(became["alert"].at("case_id").is_null());

  // The daemon is stopped over June 5 and started on the 7th: the June file waiting in the
  // folder is taken once.
  advance("8d");  // Mon 06-02
  stop();
  std::string june = header("civil_affairs", fields);
  june += row(fields, {{"id_number", stranger},
                       {"name", "乙"},
                       {"category", category},
                       {"village_code", "379901001002"}});
  drop("civil_affairs", "2025-06", june);
  start("2025-06-07T09:00");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::int64_t june_runs = 0;
  while (std::chrono::steady_clock::now() < until) {
    runs = api(http::verb::get, "/api/v1/feeds/runs?feed=civil_affairs&period=2025-06", admin_);
    june_runs = runs["total"].as_int64();
    if (june_runs > 0 && runs["runs"].as_array()[0].at("status").as_string() == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(june_runs, 1) << json::serialize(runs) << daemon_->log();
  advance("1d");
  runs = api(http::verb::get, "/api/v1/feeds/runs?feed=civil_affairs&period=2025-06", admin_);
  EXPECT_EQ(runs["total"].as_int64(), 1);
  // The stranger was an alert of May: June raises a new one for June (a new period).
  const std::string listed = ctl_api({"feed", "runs"}, admin_);
  EXPECT_THAT(listed, HasSubstr("2025-06"));
  stop();
}

}  // namespace
}  // namespace fangfan
