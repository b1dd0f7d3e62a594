// [[lists]], kind = "list" schedules and [storage] files (adapters/config/config_lists.cpp): the
// example's department lists, every key, and each mistake named by file, line and key.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
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

TEST(ConfigLists, TheExamplesEightDepartmentsGetTheirListsOnThe1stAnd15th) {
  auto r = load_config(kConfigDir / "example.toml");
  for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  const fs::path dir = fs::absolute(kConfigDir).lexically_normal();
  EXPECT_EQ(c.files_dir, dir / "state/files");
  const std::vector<std::string> departments = {
      "civil_affairs",     "education", "human_resources", "health",
      "medical_insurance", "water",     "housing",         "disability_federation"};
  ASSERT_EQ(c.rules.lists.lists.size(), departments.size());
  for (const std::string& d : departments) {
    const DepartmentList* l = c.rules.lists.find(d);
    ASSERT_NE(l, nullptr) << d;
    EXPECT_EQ(l->department, d);
    EXPECT_FALSE(l->department_name.empty()) << d;
    EXPECT_EQ(l->delivery.folder, (dir / "state/departments" / d).string());
    EXPECT_TRUE(l->delivery.csv) << d;
    EXPECT_FALSE(l->delivery.encrypt) << d;
    EXPECT_EQ(l->feedback.period, 10) << d;
    EXPECT_EQ(l->feedback.remind_before_working_days, 2) << d;
    EXPECT_FALSE(l->columns.empty()) << d;
    auto s = std::find_if(c.rules.schedules.begin(), c.rules.schedules.end(),
                          [&](const Schedule& s) { return s.kind == "list" && s.list == d; });
    ASSERT_NE(s, c.rules.schedules.end()) << d;
    EXPECT_EQ(s->department, d);
    EXPECT_EQ(s->days_of_month, (std::vector<int>{1, 15}));
    EXPECT_EQ(s->hour, 8);
  }
  const DepartmentList& education = *c.rules.lists.find("education");
  EXPECT_EQ(education.rows, ListRows::kMember);
  EXPECT_EQ(education.members, MemberFilter::kSchoolAge);
  EXPECT_EQ(c.rules.lists.find("disability_federation")->members, MemberFilter::kDisabled);
  EXPECT_EQ(c.rules.lists.find("civil_affairs")->rows, ListRows::kHousehold);
  EXPECT_EQ(c.rules.lists.find("civil_affairs")->members, MemberFilter::kAll);
  EXPECT_EQ(c.rules.lists.find("civil_affairs")->columns,
            (std::vector<std::string>{"household_code", "township", "village", "head_name",
                                      "head_id_number", "phone", "case_kind", "category",
                                      "risk_causes", "state"}));
}

// The commented [[lists]] shows every key: uncommented (with the gateways it names) in place of
// the civil affairs list, it loads as written.
TEST(ConfigLists, TheExamplesCommentedListWorksUncommented) {
  std::string text = example_text();
  const std::regex toml_line(R"(^# (\[|[a-z_]+ = |  \{|\]))");
  auto uncomment = [&](std::size_t begin, std::size_t end) {
    std::istringstream block(text.substr(begin, end - begin));
    std::string out;
    for (std::string line; std::getline(block, line);) {
      if (std::regex_search(line, toml_line)) {
        line = line.substr(2);
        if (line == "enabled = false") line = "enabled = true";
      }
      out += line + "\n";
    }
    text.replace(begin, end - begin, out);
  };
  replace_once(text,
               "[[lists]]\nname = \"civil_affairs\"\ndepartment = \"civil_affairs\"\n"
               "folder = \"state/departments/civil_affairs\"\ncsv = true\n",
               "");
  const std::size_t lists = text.find("# [[lists]]");
  ASSERT_NE(lists, std::string::npos);
  uncomment(lists, text.find("\n\n", lists));
  uncomment(text.find("# -- gateways"), text.find("# -- end gateways"));
  // The application message reaches the clerk by a wechat id.
  replace_once(text, "scope = \"civil_affairs\"\n",
               "scope = \"civil_affairs\"\nwechat = \"xuwen\"\n");
  auto r = load_config_text(text, kConfigDir / "x.toml", {.read_secrets = false});
  for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  const DepartmentList* l = c.rules.lists.find("civil_affairs");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->risk_causes, (std::vector<std::string>{"illness", "disability"}));
  EXPECT_EQ(l->delivery.robot_group, "清泉镇工作群");
  EXPECT_TRUE(l->delivery.app_to_clerks);
  EXPECT_EQ(l->delivery.http_url, "https://data.example-county.gov.cn/civil_affairs/lists");
  EXPECT_EQ(l->delivery.http_token, "");  // secrets left to the daemon
  EXPECT_TRUE(l->delivery.encrypt);
  EXPECT_TRUE(l->delivery.csv);
  EXPECT_EQ(l->feedback.period, 10);
  EXPECT_EQ(l->feedback.remind_before_working_days, 2);
  ASSERT_EQ(l->feedback.escalation.size(), 2u);
  EXPECT_EQ(l->feedback.escalation[1].after_working_days, 3);
  EXPECT_EQ(l->feedback.escalation[1].to_role, "county_office");
}

TEST(ConfigLists, KeysReadAsWrittenAndSecretsInline) {
  std::string text = example_text();
  replace_once(
      text, "name = \"health\"\ndepartment = \"health\"\n",
      "name = \"health\"\ndepartment = \"health\"\nrisk_causes = [\"因病\", \"accident\"]\n"
      "http_url = \"http://127.0.0.1:9/lists\"\nhttp_token = \"t0ken\"\n"
      "http_hmac_secret = \"s3cret\"\nanswer_within_working_days = 5\n"
      "remind_before_working_days = 0\n");
  replace_once(text, "files = \"state/files\"", "files = \"/srv/fangfan/files\"");
  auto r = load_config_text(text, kConfigDir / "x.toml");
  for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  EXPECT_EQ(c.files_dir, fs::path("/srv/fangfan/files"));
  const DepartmentList& l = *c.rules.lists.find("health");
  EXPECT_EQ(l.risk_causes, (std::vector<std::string>{"illness", "accident"}));
  EXPECT_EQ(l.delivery.http_token, "t0ken");
  EXPECT_EQ(l.delivery.http_hmac_secret, "s3cret");
  EXPECT_EQ(l.feedback.period, 5);
  EXPECT_EQ(l.feedback.remind_before_working_days, 0);
  EXPECT_TRUE(l.feedback.escalation.empty());  // the department clerk at due (lists.h)
}

struct ListBadCase {
  const char* name;
  const char* find;
  const char* replace;
  std::vector<std::pair<std::string, std::string>> expected;  // marker, "KEY: MESSAGE"
};
void PrintTo(const ListBadCase& c, std::ostream* os) { *os << c.name; }

class ConfigListErrors : public ::testing::TestWithParam<ListBadCase> {};

TEST_P(ConfigListErrors, NameFileLineAndKey) {
  const ListBadCase& c = GetParam();
  std::string text = example_text();
  replace_once(text, c.find, c.replace);
  const fs::path file = kConfigDir / "bad.toml";
  std::vector<std::string> got;
  for (const auto& e : errors_of(load_config_text(text, file))) got.push_back(e.to_string());
  std::vector<std::string> want;
  for (const auto& [marker, message] : c.expected) {
    want.push_back(file.string() + ":" + std::to_string(line_of(text, marker)) + ": " + message);
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

const char* const kHealth = "name = \"health\"\ndepartment = \"health\"\n";
const char* const kHealthList = "[[lists]]\nname = \"health\"";

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigListErrors,
    ::testing::Values(
        ListBadCase{"schedule_names_unknown_list",
                    "list = \"civil_affairs\"\n",
                    "list = \"welfare\"\n",
                    {{"list = \"welfare\"",
                      "rules.schedules[5 civil_affairs_list].list: list 'welfare' is not defined "
                      "under [[lists]]"},
                     {"[[lists]]\nname = \"civil_affairs\"",
                      "lists[1 civil_affairs]: no [[rules.schedules]] with kind = \"list\" sends "
                      "list 'civil_affairs': add one (list = \"civil_affairs\") or remove the "
                      "list"}}},
        ListBadCase{"schedule_sends_another_departments_list",
                    "department = \"water\"\nlist = \"water\"\n",
                    "department = \"water\"\nlist = \"housing\"\n",
                    {{"list = \"housing\"\ndays",
                      "rules.schedules[10 water_list].list: list 'housing' is of department "
                      "'housing', this schedule of 'water'"},
                     {"[[lists]]\nname = \"water\"",
                      "lists[6 water]: no [[rules.schedules]] with kind = \"list\" sends list "
                      "'water': add one (list = \"water\") or remove the list"}}},
        ListBadCase{"list_on_a_feed_schedule",
                    "department = \"civil_affairs\"\nfeed = \"civil_affairs\"\n",
                    "department = \"civil_affairs\"\nfeed = \"civil_affairs\"\nlist = \"x\"\n",
                    {{"list = \"x\"",
                      "rules.schedules[2 civil_affairs_feed].list: is only for kind = \"list\""}}},
        ListBadCase{"unknown_department",
                    kHealth,
                    "name = \"health\"\ndepartment = \"culture\"\n",
                    {{"department = \"culture\"",
                      "lists[4 health].department: department 'culture' is not defined under "
                      "[[departments]]"},
                     {"list = \"health\"\ndays",
                      "rules.schedules[8 health_list].list: list 'health' is of department "
                      "'culture', this schedule of 'health'"}}},
        ListBadCase{"unknown_column",
                    "\"relation\", \"student\"",
                    "\"religion\", \"student\"",
                    {{"\"religion\"",
                      "lists[2 education].columns: 'religion' is not a list column "
                      "(household_code, township, ...)"}}},
        ListBadCase{"column_twice",
                    "\"relation\", \"student\"",
                    "\"relation\", \"relation\"",
                    {{"\"relation\", \"relation\"",
                      "lists[2 education].columns: column 'relation' is listed twice"}}},
        ListBadCase{"no_columns",
                    "columns = [\"household_code\", \"township\", \"village\", \"head_name\", "
                    "\"head_id_number\", \"phone\", \"persons\", \"category\", "
                    "\"risk_causes\", \"able_to_work\"]\n",
                    "columns = []\n",
                    {{"columns = []", "lists[3 human_resources].columns: must not be empty"}}},
        ListBadCase{"bad_rows",
                    "rows = \"member\"\nmembers = \"school_age\"",
                    "rows = \"person\"\nmembers = \"school_age\"",
                    {{"rows = \"person\"",
                      "lists[2 education].rows: must be \"household\" or \"member\", got "
                      "'person'"}}},
        ListBadCase{"bad_members",
                    "members = \"disabled\"",
                    "members = \"elderly\"",
                    {{"members = \"elderly\"",
                      "lists[8 disability_federation].members: must be \"all\", \"school_age\" or "
                      "\"disabled\", got 'elderly'"}}},
        ListBadCase{"bad_risk_cause",
                    kHealth,
                    "name = \"health\"\ndepartment = \"health\"\nrisk_causes = [\"poverty\"]\n",
                    {{"risk_causes = [\"poverty\"]",
                      "lists[4 health].risk_causes: 'poverty' is not a risk cause (illness, "
                      "disability, ...)"}}},
        ListBadCase{"no_delivery",
                    "name = \"health\"\ndepartment = \"health\"\nfolder = "
                    "\"state/departments/health\"\n",
                    "name = \"health\"\ndepartment = \"health\"\n",
                    {{kHealthList,
                      "lists[4 health]: needs at least one delivery: folder, robot_group, "
                      "app_to_clerks or http_url"}}},
        ListBadCase{"robot_not_enabled",
                    kHealth,
                    "name = \"health\"\ndepartment = \"health\"\nrobot_group = \"卫健群\"\n",
                    {{"robot_group = \"卫健群\"",
                      "lists[4 health].robot_group: needs [channels.wechat_robot] enabled = "
                      "true"}}},
        ListBadCase{"app_not_enabled",
                    kHealth,
                    "name = \"health\"\ndepartment = \"health\"\napp_to_clerks = true  # bad\n",
                    {{"app_to_clerks = true  # bad",
                      "lists[4 health].app_to_clerks: needs [channels.wechat_app] enabled = "
                      "true"}}},
        ListBadCase{"encrypt_without_clerk",
                    kHealth,
                    "name = \"health\"\ndepartment = \"health\"\nencrypt = true  # bad\n",
                    {{"encrypt = true  # bad",
                      "lists[4 health].encrypt: the zip's password goes to the department's "
                      "clerks: no [[people]] with role department_clerk and scope 'health'"}}},
        ListBadCase{
            "http_token_without_url",
            kHealth,
            "name = \"health\"\ndepartment = \"health\"\nhttp_token = \"x\"\n",
            {{kHealthList, "lists[4 health]: http_token and http_hmac_secret need http_url"}}},
        ListBadCase{"http_url_not_http",
                    kHealth,
                    "name = \"health\"\ndepartment = \"health\"\nhttp_url = \"ftp://x\"\n",
                    {{"http_url = \"ftp://x\"",
                      "lists[4 health].http_url: must start with http:// or https://"}}},
        ListBadCase{"answer_within_zero",
                    kHealth,
                    "name = \"health\"\ndepartment = \"health\"\nanswer_within_working_days = 0\n",
                    {{"answer_within_working_days = 0",
                      "lists[4 health].answer_within_working_days: must be a positive number (1 "
                      "to 60 working days), got 0"}}},
        ListBadCase{"rungs_out_of_order",
                    kHealth,
                    "name = \"health\"\ndepartment = \"health\"\nescalation = [{ "
                    "after_working_days = 3, to = \"county_office\" }, { after_working_days = 1, "
                    "to = \"department_clerk\" }]\n",
                    {{"escalation = [{ after_working_days = 3",
                      "lists[4 health].escalation[2].after_working_days: rungs must be in "
                      "increasing order of working days"}}},
        ListBadCase{"name_with_slash",
                    "name = \"health\"\ndepartment = \"health\"\n",
                    "name = \"he/alth\"\ndepartment = \"health\"\n",
                    {{"name = \"he/alth\"", "lists[4 he/alth].name: must not contain '/'"},
                     {"[[lists]]\nname = \"he/alth\"",
                      "lists[4 he/alth]: no [[rules.schedules]] with kind = \"list\" sends list "
                      "'he/alth': add one (list = \"he/alth\") or remove the list"},
                     {"list = \"health\"\ndays",
                      "rules.schedules[8 health_list].list: list 'health' is not defined under "
                      "[[lists]]"}}},
        ListBadCase{"list_twice",
                    "name = \"water\"\ndepartment = \"water\"\n",
                    "name = \"health\"\ndepartment = \"water\"\n",
                    {{"name = \"health\"\ndepartment = \"water\"",
                      "lists[6 health].name: list 'health' is defined twice"},
                     {"list = \"water\"\ndays",
                      "rules.schedules[10 water_list].list: list 'water' is not defined under "
                      "[[lists]]"}}},
        ListBadCase{"unknown_key",
                    kHealth,
                    "name = \"health\"\ndepartment = \"health\"\nsend_on = 1\n",
                    {{"send_on",
                      "lists[4 health].send_on: unknown key (not a setting fangfan "
                      "knows)"}}},
        ListBadCase{"files_empty",
                    "files = \"state/files\"",
                    "files = \"\"",
                    {{"files = \"\"", "storage.files: must be a folder path, e.g. state/files"}}}));

}  // namespace
}  // namespace fangfan
