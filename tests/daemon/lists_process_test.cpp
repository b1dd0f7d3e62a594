// Issue 13's "done when" through the running daemon on the simulated clock over the example
// county (config/example.toml), with the civil affairs list also going to a WeChat Work group
// robot (the fake provider, over loopback):
//   - on the 1st at 08:00 every configured department's list is in its drop folder and the
//     civil affairs list reaches the robot as file messages (uploaded, then sent, bytes intact);
//     the workbook, read with the project's own XLSX reader, has the ID numbers as 18-character
//     text;
//   - a household that left monitoring after the 1st is on the 15th's changes sheet, with why;
//   - the daemon stopped over the 15th sends that list once when started, while the robot is
//     down it is retried, and no file message is sent twice;
//   - the department's answer file attaches a measure to the right case and closes the answer's
//     duty; an unanswered list's duty reaches the department clerk and climbs to the county
//     office.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "adapters/config/config.h"
#include "tests/daemon/county_daemon.h"
#include "tests/support/fake_provider_process.h"
#include "tests/support/xlsx_sheets.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
using ::testing::Contains;
using ::testing::HasSubstr;

// One request the fake logged: its provider, whether it was accepted and its fields.
struct Hit {
  std::string provider;
  bool accepted = false;
  std::map<std::string, std::string> fields;
};

class ListsDaemon : public test::CountyDaemon {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<testing::FakeProviderProcess>(FANGFAN_FAKE_PROVIDER_PATH,
                                                           dir_.path() / "fake", fake_log());
    ASSERT_NE(fake_->port(), 0);
    CountyDaemon::SetUp();
    auto loaded = load_config(config(), LoadOptions{false, std::nullopt});
    if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
      for (const ConfigError& e : *errors) ADD_FAILURE() << e.to_string();
    }
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(loaded));
    config_ = std::get<std::shared_ptr<const Config>>(loaded);
    ASSERT_EQ(config_->rules.lists.lists.size(), 8u);
    for (const DepartmentList& l : config_->rules.lists.lists) {
      fs::create_directories(l.delivery.folder);  // as scripts/run does
    }
    fs::create_directories(dir_.path() / "state/feeds/civil_affairs_feedback");
  }
  void TearDown() override {
    CountyDaemon::TearDown();
    if (fake_) fake_->stop();
  }
  fs::path fake_log() const { return dir_.path() / "fake-requests.jsonl"; }

  void adjust_config(std::string& text) override {
    // The civil affairs list also goes to its WeChat Work group.
    const std::string folder = "folder = \"state/departments/civil_affairs\"\n";
    const std::size_t at = text.find(folder, text.find("[[lists]]\nname = \"civil_affairs\""));
    ASSERT_NE(at, std::string::npos);
    text.insert(at + folder.size(), "robot_group = \"民政局名单群\"\n");
    // The medical insurance list's answer climbs to the county office 2 working days late.
    const std::string med = "folder = \"state/departments/medical_insurance\"\n";
    const std::size_t m = text.find(med, text.find("[[lists]]\nname = \"medical_insurance\""));
    ASSERT_NE(m, std::string::npos);
    text.insert(m + med.size(),
                "escalation = [\n  { after_working_days = 0, to = \"department_clerk\" },\n"
                "  { after_working_days = 2, to = \"county_office\" },\n]\n");
    text += "\n[channels.wechat_robot]\nenabled = true\nbase_url = \"" + fake_->base_url() +
            "\"\ngroups = [\n  { name = \"民政局名单群\", key = \"robot-key-county\" },\n]\n";
    // Civil affairs answers its lists through a feedback feed.
    text +=
        "\n[[feeds]]\nname = \"civil_affairs_feedback\"\nkind = \"feedback\"\n"
        "list = \"civil_affairs\"\ndepartment = \"civil_affairs\"\nsource = \"folder\"\n"
        "folder = \"state/feeds/civil_affairs_feedback\"\n"
        "file_pattern = \"civil_affairs-feedback-{period}.*\"\nsettle_seconds = 0\n"
        "poll_minutes = 10\nmeasure_type = \"social_security\"\n"
        "columns = { id_number = \"身份证号\", name = \"姓名\", measure = \"落实措施\", "
        "start_date = \"起始日期\", amount = \"月保障金额\" }\n";
  }

  // An emergency case (先帮扶、后认定) of a generated household of 东岭村: on the lists at once.
  std::int64_t open_emergency(const std::string& clerk, const std::string& suffix) {
    households_.push_back(people_.household("379901001001" + suffix, "379901001001", 3));
    json::object open{{"household", case_json::encode(households_.back())},
                      {"kind", "unstable"},
                      {"source", "village_screening"},
                      {"risk_causes", json::array{"illness"}},
                      {"emergency", true},
                      {"emergency_reason", "突发重病，先帮扶后认定"}};
    test::Reply opened =
        test::http_once(port_, http::verb::post, "/api/v1/cases", clerk, json::serialize(open));
    EXPECT_EQ(opened.status, 201u) << opened.body;
    if (opened.status != 201u) return 0;
    return opened.json().at("case").at("id").as_int64();
  }

  std::vector<Hit> hits() {
    std::vector<Hit> out;
    std::ifstream in(fake_log());
    for (std::string line; std::getline(in, line);) {
      json::value v = json::parse(line);
      Hit h;
      h.provider = std::string(v.at("provider").as_string());
      h.accepted = v.at("accepted").as_bool();
      for (const auto& [k, f] : v.at("fields").as_object()) {
        if (f.is_string()) h.fields[std::string(k)] = std::string(f.as_string());
      }
      out.push_back(std::move(h));
    }
    return out;
  }
  // File messages the robot group accepted, by file name (how many times each).
  std::map<std::string, int> robot_files() {
    std::map<std::string, int> out;
    for (const Hit& h : hits()) {
      if (h.provider == "wechat_robot" && h.accepted && h.fields.count("msgtype") &&
          h.fields.at("msgtype") == "file") {
        ++out[h.fields.at("file_name")];
      }
    }
    return out;
  }
  std::string robot_sha256(const std::string& file_name) {
    for (const Hit& h : hits()) {
      if (h.provider == "wechat_robot" && h.accepted && h.fields.count("msgtype") &&
          h.fields.at("msgtype") == "file" && h.fields.at("file_name") == file_name) {
        return h.fields.at("sha256");
      }
    }
    return "";
  }

  // Waits (real time) until `done` holds: delivery runs after the clock's advance answers.
  bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 300; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  }

  std::int64_t count(const std::string& sql) {
    soci::session s("sqlite3", "db=" + (dir_.path() / "state/fangfan.db").string() + " timeout=10");
    long long n = 0;
    s << sql, soci::into(n);
    return n;
  }
  std::vector<std::string> messages_of(const std::string& type) {
    soci::session s("sqlite3", "db=" + (dir_.path() / "state/fangfan.db").string() + " timeout=10");
    std::vector<std::string> out;
    soci::rowset<std::string> rs =
        (s.prepare << "SELECT recipient FROM outbox WHERE message_type = :t ORDER BY id",
         soci::use(type));
    for (const std::string& r : rs) out.push_back(r);
    return out;
  }

  fs::path drop(const std::string& department, const std::string& name) const {
    return dir_.path() / "state/departments" / department / name;
  }

  std::unique_ptr<testing::FakeProviderProcess> fake_;
  std::shared_ptr<const Config> config_;
};

TEST_F(ListsDaemon, ListsOnThe1stAnd15thChangesRestartRetryFeedbackAndLadder) {
  admin_ = token("county_admin", "379901", "周建国");
  office_ = token("county_office", "379901", "吴秀兰");
  const std::string clerk = token("township_clerk", "379901001", "王丽");
  start("2026-11-30T09:00");
  const std::int64_t stays = open_emergency(clerk, "71");
  const std::int64_t leaves = open_emergency(clerk, "72");
  ASSERT_NE(stays, 0);
  ASSERT_NE(leaves, 0);
  const Household& staying = households_[0];
  const Household& leaving = households_[1];

  // Tue 12-01 08:00: every department's list, in its folder; civil affairs also to the robot.
  advance("23h");
  for (const DepartmentList& l : config_->rules.lists.lists) {
    const fs::path xlsx = drop(l.department, l.department_name + "-2026-12-01.xlsx");
    EXPECT_TRUE(eventually([&] { return fs::exists(xlsx); })) << xlsx << "\n" << daemon_->log();
    EXPECT_TRUE(fs::exists(drop(l.department, l.department_name + "-2026-12-01.csv")));
  }
  const std::string first = "县民政局-2026-12-01.xlsx";
  ASSERT_TRUE(eventually([&] { return robot_files()[first] == 1; })) << daemon_->log();
  EXPECT_TRUE(eventually([&] { return robot_files()["县民政局-2026-12-01.csv"] == 1; }));
  const fs::path first_xlsx = drop("civil_affairs", first);
  // The bytes that reached the group are the file in the folder (the fake hashed what arrived).
  {
    std::ifstream in(first_xlsx, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(fs::file_size(first_xlsx), bytes.size());
  }
  EXPECT_EQ(robot_sha256(first).size(), 64u);
  EXPECT_EQ((fs::status(first_xlsx).permissions() & fs::perms::all),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);

  // The list sheet: both households, ID numbers as 18-character text, as given.
  const testing::SheetTable rows = testing::read_sheet(first_xlsx, 2, dir_.path());
  const auto column = [&](const std::string& header) {
    auto it = std::find(rows.header.begin(), rows.header.end(), header);
    EXPECT_NE(it, rows.header.end()) << header;
    return static_cast<std::size_t>(it - rows.header.begin());
  };
  const std::size_t code = column("户编号"), id = column("户主身份证号");
  ASSERT_EQ(rows.rows.size(), 2u);
  for (const Household* h : {&staying, &leaving}) {
    auto row = std::find_if(rows.rows.begin(), rows.rows.end(),
                            [&](const auto& r) { return r.size() > code && r[code] == h->code; });
    ASSERT_NE(row, rows.rows.end()) << h->code;
    EXPECT_EQ((*row)[id], h->head()->id_number);
    EXPECT_EQ((*row)[id].size(), 18u);
  }

  // Wed 12-02: the second household's verification (its window counted from November, when it
  // was found) finds its income well above the line.
  advance("1d");
  EXPECT_EQ(step(leaves, clerk, {{"type", "start_verification"}, {"verifier", "镇扶贫办"}}),
            "household_verification");
  const IncomeWindow w = income_window(std::chrono::year(2026) / std::chrono::November);
  json::array accounts;
  for (auto mo = w.first; mo <= w.last; mo += std::chrono::months(1)) {
    accounts.push_back({{"month", format_month(mo)}, {"wage_income_fen", 3000000}});
  }
  EXPECT_EQ(step(leaves, clerk, {{"type", "record_verification"}, {"accounts", accounts}}),
            "rejected");

  // Stopped over the 15th; the robot is down when the daemon comes back on Wed 12-16.
  stop();
  fake_->set_answer("wechat_robot", "server_error");
  start("2026-12-16T09:00");
  const std::string second = "县民政局-2026-12-15.xlsx";
  const fs::path second_xlsx = drop("civil_affairs", second);
  ASSERT_TRUE(eventually([&] { return fs::exists(second_xlsx); })) << daemon_->log();
  // Each list once, for its period (the runner produces one list after another).
  EXPECT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM department_lists WHERE period = '2026-12-15'") == 8;
  }));
  EXPECT_EQ(count("SELECT COUNT(*) FROM department_lists"), 16);
  EXPECT_TRUE(eventually([&] {
    for (const Hit& h : hits()) {
      if (h.provider == "wechat_robot" && !h.accepted) return true;
    }
    return false;
  }));
  EXPECT_EQ(robot_files().count(second), 0u);
  fake_->set_answer("wechat_robot", "success");
  advance("2h");
  EXPECT_TRUE(eventually([&] { return robot_files()[second] == 1; })) << daemon_->log();

  // The 15th's changes sheet: the rejected household left, with why.
  const testing::SheetTable changes = testing::read_sheet(second_xlsx, 3, dir_.path());
  bool left = false;
  for (const auto& r : changes.rows) {
    const std::string line = ::testing::PrintToString(r);
    if (line.find(leaving.code) != std::string::npos) {
      left = true;
      EXPECT_THAT(line, HasSubstr("移出名单"));
      EXPECT_THAT(line, HasSubstr("未纳入监测"));
    }
    EXPECT_EQ(line.find(staying.code), std::string::npos) << line;  // unchanged: not listed
  }
  EXPECT_TRUE(left) << ::testing::PrintToString(changes.rows);

  // Civil affairs answers the 1st's list (late): a measure on the staying household's case.
  {
    const fs::path answer = dir_.path() / "state/feeds/civil_affairs_feedback" /
                            "civil_affairs-feedback-2026-12-01.csv";
    std::ofstream(answer) << "\xEF\xBB\xBF身份证号,姓名,落实措施,起始日期,月保障金额\n"
                          << staying.head()->id_number << "," << staying.head()->name
                          << ",低保,2026-12-01,480\n";
    fs::last_write_time(answer, fs::file_time_type::clock::now() - std::chrono::hours(1));
  }
  advance("20m");
  ASSERT_TRUE(eventually([&] {
    return count(
               "SELECT COUNT(*) FROM duties WHERE duty_key = 'feedback/civil_affairs/2026-12-01'"
               " AND state = 'done'") == 1;
  })) << daemon_->log();
  test::Reply shown =
      test::http_once(port_, http::verb::get, "/api/v1/cases/" + std::to_string(stays), office_);
  ASSERT_EQ(shown.status, 200u) << shown.body;
  EXPECT_THAT(shown.body, HasSubstr("低保"));

  // Medical insurance never answered the 1st's list: due on the 15th (told when the daemon came
  // back), then 2 working days later to the county office (Fri 12-18 08:00).
  EXPECT_THAT(messages_of("feedback_overdue"), Contains("尤明@medical_insurance"));
  advance("2d");
  EXPECT_THAT(messages_of("feedback_overdue"), Contains(HasSubstr("吴秀兰")));

  // Never a file message twice.
  for (const auto& [name, times] : robot_files()) EXPECT_EQ(times, 1) << name;
}

}  // namespace
}  // namespace fangfan
