// kind = "report" schedules (adapters/config/config_reports.cpp): the example's monthly report,
// every key, and each mistake named by file, line and key.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "adapters/config/config.h"
#include "tests/adapters/config_text.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using test::errors_of;
using test::example_text;
using test::kConfigDir;
using test::line_of;
using test::replace_once;

// The example's report schedule block from its name on.
const char* const kReport =
    "name = \"county_monthly_report\"\nkind = \"report\"\ndays_of_month = [1]\nhour = 8\n"
    "reports = [\"households\", \"measures\", \"overdue\", \"exchange\", \"movements\"]\n"
    "folder = \"state/reports\"\n";
const char* const kReportTable = "[[rules.schedules]]\nname = \"county_monthly_report\"";
// The two WeChat Work gateways, and the county office person's wechat id.
const char* const kGateways =
    "\n[channels.wechat_robot]\nenabled = true\ngroups = { \"县防返贫工作群\" = \"KEY\" }\n"
    "[channels.wechat_app]\nenabled = true\ncorp_id = \"ww0000000000000000\"\n"
    "corp_secret = \"s\"\nagent_id = 1000002\n";

std::string with_gateways(std::string text) {
  replace_once(text, "role = \"county_office\"\nscope = \"379901\"\n",
               "role = \"county_office\"\nscope = \"379901\"\nwechat = \"wuxiulan\"\n");
  replace_once(text, "# -- end gateways\n", std::string("# -- end gateways\n") + kGateways);
  return text;
}

TEST(ConfigReports, TheExamplesMonthlyReportGoesToTheCountyOfficesFolderOnThe1st) {
  auto r = load_config(kConfigDir / "example.toml");
  for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  auto s = std::find_if(c.rules.schedules.begin(), c.rules.schedules.end(),
                        [](const Schedule& s) { return s.kind == "report"; });
  ASSERT_NE(s, c.rules.schedules.end());
  EXPECT_EQ(s->name, "county_monthly_report");
  EXPECT_EQ(s->department, "");
  EXPECT_EQ(s->days_of_month, (std::vector<int>{1}));
  EXPECT_EQ(s->hour, 8);
  ASSERT_EQ(c.rules.monthly_reports.reports.size(), 1u);
  const MonthlyReport* m = c.rules.monthly_reports.find("county_monthly_report");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->reports, default_monthly_reports());
  EXPECT_EQ(m->folder, (fs::absolute(kConfigDir).lexically_normal() / "state/reports").string());
  EXPECT_EQ(m->robot_group, "");
  EXPECT_FALSE(m->app_to_county_office);
}

TEST(ConfigReports, KeysReadAsWritten) {
  struct Case {
    const char* name;
    std::string block;
    std::vector<std::string> reports;
    std::string folder, robot_group;
    bool app = false;
  };
  const std::string abs = "/srv/county-office/reports";
  const std::vector<Case> cases = {
      {"defaults",
       "name = \"m\"\nkind = \"report\"\ndays_of_month = [1]\nfolder = \"" + abs + "\"\n",
       default_monthly_reports(), abs, "", false},
      {"some_reports_and_the_robot",
       "name = \"m\"\nkind = \"report\"\ndays_of_month = [2]\n"
       "reports = [\"overdue\", \"evaluation\"]\nrobot_group = \"县防返贫工作群\"\n",
       {"overdue", "evaluation"},
       "",
       "县防返贫工作群",
       false},
      {"app_only",
       "name = \"m\"\nkind = \"report\"\ndepartment = \"civil_affairs\"\ndays_of_month = [1]\n"
       "app_to_county_office = true\n",
       default_monthly_reports(), "", "", true},
  };
  for (const Case& k : cases) {
    std::string text = with_gateways(example_text());
    replace_once(text, kReport, k.block);
    auto r = load_config_text(text, kConfigDir / "x.toml", {.read_secrets = false});
    for (const auto& e : errors_of(r)) ADD_FAILURE() << k.name << ": " << e.to_string();
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r)) << k.name;
    const Config& c = *std::get<std::shared_ptr<const Config>>(r);
    const MonthlyReport* m = c.rules.monthly_reports.find("m");
    ASSERT_NE(m, nullptr) << k.name;
    EXPECT_EQ(m->reports, k.reports) << k.name;
    EXPECT_EQ(m->folder, k.folder) << k.name;
    EXPECT_EQ(m->robot_group, k.robot_group) << k.name;
    EXPECT_EQ(m->app_to_county_office, k.app) << k.name;
  }
}

struct ReportBadCase {
  const char* name;
  std::string replace;  // in place of the example's report block (kReport)
  bool gateways;        // with the WeChat Work gateways enabled
  std::vector<std::pair<std::string, std::string>> expected;  // marker, "KEY: MESSAGE"
};
void PrintTo(const ReportBadCase& c, std::ostream* os) { *os << c.name; }

class ConfigReportErrors : public ::testing::TestWithParam<ReportBadCase> {};

TEST_P(ConfigReportErrors, NameFileLineAndKey) {
  const ReportBadCase& c = GetParam();
  std::string text = c.gateways ? with_gateways(example_text()) : example_text();
  replace_once(text, kReport, c.replace);
  const fs::path file = kConfigDir / "bad.toml";
  std::vector<std::string> got;
  for (const auto& e : errors_of(load_config_text(text, file, {.read_secrets = false}))) {
    got.push_back(e.to_string());
  }
  std::vector<std::string> want;
  for (const auto& [marker, message] : c.expected) {
    want.push_back(file.string() + ":" + std::to_string(line_of(text, marker)) + ": " + message);
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

const std::string kHead =
    "name = \"county_monthly_report\"\nkind = \"report\"\ndays_of_month = [1]\n";
const std::string kAt = "rules.schedules[13 county_monthly_report]";

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigReportErrors,
    ::testing::Values(
        ReportBadCase{"unknown_report",
                      kHead + "reports = [\"households\", \"weather\"]\nfolder = \"r\"\n",
                      false,
                      {{"reports = [", kAt + ".reports: 'weather' is not a monthly report "
                                             "(households, measures, overdue, exchange, "
                                             "movements, evaluation)"}}},
        ReportBadCase{"campaign_needs_a_name",
                      kHead + "reports = [\"campaign\"]\nfolder = \"r\"\n",
                      false,
                      {{"reports = [", kAt + ".reports: 'campaign' is not a monthly report "
                                             "(households, measures, overdue, exchange, "
                                             "movements, evaluation)"}}},
        ReportBadCase{"report_twice",
                      kHead + "reports = [\"overdue\", \"overdue\"]\nfolder = \"r\"\n",
                      false,
                      {{"reports = [", kAt + ".reports: report 'overdue' is listed twice"}}},
        ReportBadCase{"no_reports",
                      kHead + "reports = []\nfolder = \"r\"\n",
                      false,
                      {{"reports = []", kAt + ".reports: must not be empty"}}},
        ReportBadCase{"no_delivery",
                      kHead,
                      false,
                      {{kReportTable, kAt + ": needs at least one delivery: folder, robot_group "
                                            "or app_to_county_office"}}},
        ReportBadCase{"empty_folder",
                      kHead + "folder = \"\"\nrobot_group = \"县防返贫工作群\"\n",
                      true,
                      {{"folder = \"\"",
                        kAt + ".folder: must not be empty (leave it out for no drop folder)"}}},
        ReportBadCase{"robot_not_enabled",
                      kHead + "robot_group = \"县防返贫工作群\"\n",
                      false,
                      {{"robot_group = ",
                        kAt + ".robot_group: needs [channels.wechat_robot] enabled = true"}}},
        ReportBadCase{"unknown_group",
                      kHead + "robot_group = \"乡镇群\"\n",
                      true,
                      {{"robot_group = ", kAt + ".robot_group: group '乡镇群' is not one of "
                                                "[channels.wechat_robot] groups"}}},
        ReportBadCase{"app_not_enabled",
                      kHead + "app_to_county_office = true\n",
                      false,
                      {{"app_to_county_office = ",
                        kAt + ".app_to_county_office: needs [channels.wechat_app] enabled = "
                              "true"}}},
        ReportBadCase{
            "list_key_on_a_report",
            kHead + "list = \"civil_affairs\"\nfolder = \"r\"\n",
            false,
            {{"list = \"civil_affairs\"\nfolder", kAt + ".list: is only for kind = \"list\""}}},
        ReportBadCase{"unknown_key",
                      kHead + "answer_within_working_days = 5\nfolder = \"r\"\n",
                      false,
                      {{"answer_within_working_days = 5\nfolder",
                        kAt + ".answer_within_working_days: unknown key (not a setting fangfan "
                              "knows)"}}},
        ReportBadCase{"unknown_department",
                      kHead + "department = \"culture\"\nfolder = \"r\"\n",
                      false,
                      {{"department = \"culture\"",
                        kAt + ".department: department 'culture' is not defined under "
                              "[[departments]]"}}},
        ReportBadCase{"bad_kind",
                      "name = \"county_monthly_report\"\nkind = \"weekly\"\ndays_of_month = [1]\n"
                      "department = \"civil_affairs\"\n",
                      false,
                      {{"kind = \"weekly\"", kAt + ".kind: must be \"feed\", \"list\" or "
                                                   "\"report\", got 'weekly'"}}}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace fangfan
